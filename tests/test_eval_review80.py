"""Review of stop 80's evaluation work: rsvlm eval's closing note kept from the read before the run (6f4ea05f) said
no repeat its own run wrote (a --data with an id twice) nor one another process appended meanwhile; a lost image
that is there from the working folder; NaN in rsvlm eval's own rows; eval.change --all-maps on worded records."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import eval_record, write_jsonl

REPEAT = "1 more line repeats an id"


def _answering(tmp_path, monkeypatch, recs, rows=None, during=None):
    """rsvlm eval's argv and --out over ``recs`` with a stand-in model answering "lake" (``during(out)`` first)."""
    from rsvlm import evaluate

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    data, out = write_jsonl(tmp_path / "test.jsonl", recs), tmp_path / "p.jsonl"
    if rows is not None:
        write_jsonl(out, rows)
    monkeypatch.setattr(evaluate.inf, "load_model", lambda *a, **k: (object(), SimpleNamespace()))
    monkeypatch.setattr(evaluate, "context_cap", lambda model, n, what: (n, None))

    def answer(model, processor, records, *a, **k):
        if during:
            during(out)
        return [{"id": r["id"], "task": "cls", "answer": "lake"} for r in records]

    monkeypatch.setattr(evaluate, "answer_batch", answer)
    return ["eval", "--data", data, "--out", str(out), "--model", str(model)], out


def _cls(i):
    return eval_record(i, "cls", "[cls] What scene?", "lake")


def test_a_fresh_run_answering_an_id_twice_says_the_repeat(tmp_path, monkeypatch, capsys):
    """--data with id a twice: the run writes two lines of a; the note (read after the run before 6f4ea05f) said so,
    then said only 'wrote OUT' (a fresh --out was no run in place, and the run's own rows were not counted)."""
    from rsvlm.cli import main

    argv, out = _answering(tmp_path, monkeypatch, [_cls("a"), _cls("a"), _cls("b")])
    assert main(argv) == 0
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "a", "b"]
    said = capsys.readouterr().out
    assert said.startswith(f"wrote {out}; {REPEAT}: ") and "n_pred_duplicate_ids" in said


def test_a_run_in_place_answering_an_id_twice_says_the_repeat(tmp_path, monkeypatch, capsys):
    from rsvlm import evaluate
    from rsvlm.cli import main
    from rsvlm.predictions import asked_digest

    b = {"id": "b", "task": "cls", "answer": "lake", "asked_digest": asked_digest(evaluate.tagged_record(_cls("b"))[0])}
    argv, out = _answering(tmp_path, monkeypatch, [_cls("a"), _cls("a"), _cls("b")], [b])
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}; {REPEAT}: ")


def test_another_process_appending_to_out_during_the_run_is_read_again(tmp_path, monkeypatch, capsys):
    """The note is of --out as read and written by this run; where its size says another process appended to it
    meanwhile, it is read again (the rows of this run alone said no repeat)."""
    from rsvlm import eval_out, evaluate
    from rsvlm.cli import main
    from rsvlm.predictions import asked_digest

    b = {"id": "b", "task": "cls", "answer": "lake", "asked_digest": asked_digest(evaluate.tagged_record(_cls("b"))[0])}

    def other(out):
        with open(out, "a") as f:
            f.write(json.dumps({**b, "answer": "sea"}) + "\n")

    argv, out = _answering(tmp_path, monkeypatch, [_cls(i) for i in "abc"], [b], during=other)
    reads, lines = [], eval_out.answer_lines
    monkeypatch.setattr(eval_out, "answer_lines", lambda path: reads.append(path) or lines(path))
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}; {REPEAT}, 1 with another answer than the first")
    assert reads.count(out) == 2  # the read before the run, and the note's


def test_a_run_alone_does_not_read_out_again_for_its_note(tmp_path, monkeypatch, capsys):
    from rsvlm import eval_out
    from rsvlm.cli import main

    argv, out = _answering(tmp_path, monkeypatch, [_cls(i) for i in "abc"])
    reads, lines = [], eval_out.answer_lines
    monkeypatch.setattr(eval_out, "answer_lines", lambda path: reads.append(path) or lines(path))
    assert main(argv) == 0
    assert capsys.readouterr().out == f"wrote {out}\n" and reads.count(out) <= 1


def test_images_lost_beside_the_data_but_there_from_the_working_folder_say_image_root_dot(tmp_path, monkeypatch):
    from rsvlm.predictions_notes import missing_images_hint

    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_bytes(b"x")
    (sets := tmp_path / "sets").mkdir()
    recs = [{"id": i, "images": [{"path": "imgs/a.png"}]} for i in "ab"]
    monkeypatch.chdir(tmp_path)
    hint = missing_images_hint(recs, sets)
    assert hint.startswith(f"2 records name image files by relative paths that do not exist; they are read against {sets}")
    assert hint.endswith(f"; they are there relative to the working folder {Path.cwd()}: give --image-root .")
    assert missing_images_hint(recs[:1], sets).endswith(f"; it is there relative to the working folder {Path.cwd()}: "
                                                        "give --image-root .")
    assert "working folder" not in missing_images_hint(recs, sets, given=True)  # --image-root given: not that hint
    monkeypatch.chdir(sets)
    assert "working folder" not in missing_images_hint(recs, sets)


def test_a_nan_score_is_written_null_and_said(tmp_path, monkeypatch, capsys):
    """json.dumps wrote a score of NaN as NaN: the scorers (5f6d5e41) and a rerun read the line as unreadable."""
    from rsvlm import evaluate
    from rsvlm.cli import main
    from rsvlm.eval_out import row_line

    row = {"id": "a", "objects": [{"kind": "box", "score": float("nan")}, {"score": 0.5}], "m": [float("inf")]}
    line = row_line(row)
    assert json.loads(line, parse_constant=lambda c: 1 / 0) == {
        "id": "a", "objects": [{"kind": "box", "score": None}, {"score": 0.5}], "m": [None],
        "not_finite": ["objects[0].score", "m[0]"]}
    assert row_line({"id": "b", "answer": "NaN Infinity"}) == '{"id": "b", "answer": "NaN Infinity"}\n'

    argv, out = _answering(tmp_path, monkeypatch, [_cls(i) for i in "ab"])
    monkeypatch.setattr(evaluate, "answer_batch", lambda m, p, records, *a, **k: [
        {"id": r["id"], "task": "cls", "answer": "lake", "objects": [{"score": float("nan")}]} for r in records])
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "note: 2 of the 2 records of this run held NaN or Infinity, which JSON has not" in err
    assert f"written as null (first: a: objects[0].score; 'not_finite' in {out})" in err
    assert "NaN" not in out.read_text()


def test_a_nan_row_is_no_answer_to_a_rerun_as_to_the_scorers_but_a_nan_text_is(tmp_path, monkeypatch, capsys):
    """rsvlm eval's resume read a row holding NaN as an answer (kept, never asked again), which the scorers count as
    an unreadable line; an answer whose text says NaN or Infinity is an answer to both."""
    from eval import classification
    from rsvlm import eval_out, evaluate
    from rsvlm.cli import main
    from rsvlm.predictions import answered_ids, asked_digest

    digest = {i: asked_digest(evaluate.tagged_record(_cls(i))[0]) for i in "ab"}
    out = tmp_path / "p.jsonl"
    out.write_text(f'{{"id": "a", "task": "cls", "answer": "lake", "score": NaN, "asked_digest": "{digest["a"]}"}}\n'
                   + json.dumps({"id": "b", "task": "cls", "answer": "NaN Infinity", "asked_digest": digest["b"]}) + "\n")
    assert answered_ids(out) == {"b"}
    assert eval_out.read_answers(out).ids == {"b"}
    s = classification.main(["--gt", write_jsonl(tmp_path / "gt.jsonl", [_cls(i) for i in "ab"]), "--pred", str(out)])
    assert (s["n_pred_bad_lines"], s["n_missing"], s["n_records"]) == (1, 1, 2)

    text = out.read_text()
    argv, out = _answering(tmp_path, monkeypatch, [_cls(i) for i in "ab"])
    out.write_text(text)
    assert main(argv) == 0
    said = capsys.readouterr()
    assert "1 line of the earlier answers could not be read (first: " in said.err and "NaN is not JSON" in said.err
    assert [json.loads(x, parse_constant=str)["id"] for x in out.read_text().splitlines()] == ["a", "b", "a"]


def test_all_maps_skips_a_change_caption_naming_it_and_scores_no_change_as_an_empty_map(tmp_path):
    """--all-maps read a change reference in words as an empty map: a caption answered in words scored F1 1 (a sar
    row of the tour). "No change." stays an empty map; a caption is skipped, counted and named."""
    from eval import change

    poly = "<ref>building</ref><poly><loc_100><loc_100><loc_500><loc_100><loc_500><loc_500><loc_100><loc_500></poly>"
    ask = "[change] What changed?"
    recs = [eval_record("m", "change", ask, poly), eval_record("quiet", "change", ask, "No change."),
            eval_record("cap", "change", ask, "Two buildings were built."), eval_record("m2", "change", ask, poly)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "m", "answer": poly}, {"id": "quiet", "answer": "No change."},
                                              {"id": "cap", "answer": "Two buildings were built."},
                                              {"id": "m2", "answer": poly}])
    s = change.main(["--gt", gt, "--pred", pred, "--all-maps"])
    assert (s["n_records"], s["n_gt_bad_references"], s["n_pred_skipped_records"]) == (3, 1, 1)
    notes = "\n".join(s["notes"])
    assert "gt.jsonl:3: record 'cap': the change reference is words, no map and no 'No change.'" in notes
    assert s["F1"] == pytest.approx(1.0) and s["pixels"]["FP"] == s["pixels"]["FN"] == 0

    only = write_jsonl(tmp_path / "gt1.jsonl", [recs[2], recs[1], recs[0]])  # a caption of three: not refused
    s = change.main(["--gt", only, "--pred", pred, "--all-maps"])
    assert (s["n_records"], s["n_gt_bad_references"]) == (2, 1)


@pytest.mark.parametrize("text", ['{"id": "a", "answer": "NaN"}\n{"id": "b", "answer": "-Infinity"}\n',
                                  '[{"id": "a", "answer": "NaN"}, {"id": "b", "answer": "-Infinity"}]'])
def test_an_answer_whose_text_says_nan_is_read_by_the_scorers(tmp_path, text):
    """5f6d5e41 refuses NaN as JSON's missing number, not the word in a string (a first line, an array's item)."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] What?", "NaN"),
                                             eval_record("b", "vqa", "[vqa] What?", "-Infinity")])
    (tmp_path / "p.jsonl").write_text(text)
    s = vqa.main(["--gt", gt, "--pred", str(tmp_path / "p.jsonl")])
    assert (s["accuracy"], s["n_pred_bad_lines"], s["n_missing"]) == (1.0, 0, 0)


def test_images_partly_there_from_the_working_folder_are_not_said_to_be_there(tmp_path, monkeypatch):
    from rsvlm.predictions_notes import missing_images_hint

    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_bytes(b"x")
    (sets := tmp_path / "sets").mkdir()
    monkeypatch.chdir(tmp_path)
    recs = [{"id": "a", "images": [{"path": "imgs/a.png"}]}, {"id": "b", "images": [{"path": "imgs/b.png"}]}]
    assert "working folder" not in missing_images_hint(recs, sets)
