"""Review 81 (RI) of f8fc4e0f, records of a one-image task with several images: what a user is told of them, and
by which readers (data_gen chat said the reader's notes of kept records only where a line was skipped)."""

import json

from data_gen.__main__ import main as data_gen_main
from rsvlm.data.records import load_records

PAIR = [{"path": "a_t0.png", "modality": "optical"}, {"path": "a_t1.png", "modality": "optical"}]


def _rec(rid: str, task: str | None, question: str, answer: str, images=PAIR, **more) -> dict:
    turns = [{"from": "human", "value": "<image>\n" * len(images) + question}, {"from": "gpt", "value": answer}]
    return {"id": rid, "images": images, "conversations": turns, **({"task": task} if task else {}), **more}


def _write(path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_the_summary_says_what_becomes_of_them_and_why_it_matters(tmp_path):
    """Kept, trained and answered as written: the summary says so, and that only [change] compares two images and
    such an answer does not say which image it is of (it said 'change alone comparing two')."""
    path = tmp_path / "r.jsonl"
    _write(path, [_rec("c1", "cls", "[cls] What scene?", "harbour"), _rec("c2", "cls", "[cls] And this?", "port")])
    recs, report = load_records(path, strict=False)
    said = report.summary()
    assert len(recs) == 2 and dict(report.several_images) == {"cls": 2}
    assert "2 records kept with several images" in said and "([cls] 2;" in said
    assert "trained and answered as written" in said and "only [change] compares two" in said
    assert "which image it is of" in said and f"first: {path}:1 (id c1): 2 images" in said


def test_an_untagged_record_is_counted_by_the_tag_of_the_question_eval_answers(tmp_path):
    """A record with no task field takes its task from its question's tag (records.raw_task): a two-image one whose
    question is tagged [det] is counted as a [det]; untagged chat of two images (rsvlm chat takes a pair) is not,
    nor a [change] pair, nor a later question's own tag where the record's task is chat's."""
    path = tmp_path / "r.jsonl"
    chat_then_det = {"id": "chat-det", "images": PAIR, "conversations": [
        {"from": "human", "value": "<image>\n<image>\nWhich is greener?"}, {"from": "gpt", "value": "The first."},
        {"from": "human", "value": "[det] Detect every ship."},
        {"from": "gpt", "value": "<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>"},
        {"from": "human", "value": "Thanks. And the clouds?"}, {"from": "gpt", "value": "None."}]}
    _write(path, [_rec("untagged-det", None, "[det] Detect every ship.",
                       "<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>"),
                  _rec("chat", None, "Which is greener?", "The first."),
                  _rec("pair", "change", "[change] What changed?", "Nothing changed."), chat_then_det])
    recs, report = load_records(path, strict=False)
    assert [r["task"] for r in recs] == ["det", None, "change", None]
    assert dict(report.several_images) == {"det": 1} and report.several_first == f"{path}:1 (id untagged-det): 2 images"


def test_data_gen_chat_says_the_readers_notes_of_kept_records(tmp_path, capsys):
    """data_gen chat chained two [cls] records of one pair into a [cls] conversation of two images and said nothing:
    it printed the read summary only where a line was skipped. Now the summary's notes are said (the records are
    chained as before); repeated ids alone are said once, by chat's own note."""
    src, out = tmp_path / "train.jsonl", tmp_path / "chat.jsonl"
    _write(src, [_rec("c1", "cls", "[cls] What scene?", "harbour"), _rec("c2", "cls", "[cls] Which port?", "Dover")])
    assert data_gen_main(["chat", "--src", str(src), "--out", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"note: {src}: 2 records read, 0 skipped; 2 records kept with several images" in err and "([cls] 2;" in err
    chats = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(c["task"], len(c["images"]), c["meta"]["turn_ids"]) for c in chats] in (
        [("cls", 2, ["c1", "c2"])], [("cls", 2, ["c2", "c1"])])

    one = [{"path": "b.png", "modality": "optical"}]
    _write(src, [_rec("b", "cls", "[cls] What scene?", "harbour", one), _rec("b", "vqa", "[vqa] A ship?", "yes", one)])
    assert data_gen_main(["chat", "--src", str(src), "--out", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "reuses record ids (1, the first repeat: 'b'" in err and "records read" not in err
