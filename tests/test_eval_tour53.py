"""rsvlm eval and the scorers, toured (53): temp files of killed runs, reading notes, ...
The model is a stand-in (``test_eval_ranks51.StandIn``) where the test is not about answering."""
import json
import os

import pytest
from test_eval_ranks51 import RECORD, StandIn, records_file

from rsvlm import evaluate, predictions

DEAD = 4194305  # past Linux's largest pid (2**22): no process has it


def _file(path, age_s=60.0):
    """``path`` written, last modified ``age_s`` seconds ago."""
    path.write_text("half a merge")
    t = path.stat().st_mtime - age_s
    os.utime(path, (t, t))
    return path


def test_temp_files_of_a_killed_run_are_removed_and_said_the_live_and_foreign_ones_kept(tmp_path, monkeypatch,
                                                                                       capsys):
    StandIn(monkeypatch)
    data, out = records_file(tmp_path, 2), tmp_path / "p.jsonl"
    stale = [_file(tmp_path / n) for n in (
        f"p.jsonl.merge{DEAD}.0a1b2c3d", f"p.jsonl.rank1.tmp{DEAD}",  # older rsvlm evals' names
        f"p.jsonl.tmp{DEAD}.00ff00ff", f"p.jsonl.run.json.tmp{DEAD}.12345678")]
    stale.append(_file(tmp_path / "p.jsonl.tmp1.deadbeef", predictions.STALE_AFTER_S + 60))  # pid 1 lives: for hours?
    kept = [_file(tmp_path / n) for n in (
        f"p.jsonl.tmp{os.getpid()}.abcdef01",  # a process here writing it now
        f"q.jsonl.merge{DEAD}.0a1b2c3d",  # another OUT's
        "p.jsonl.mine", f"p.jsonl.merge{DEAD}.notes")]  # no name rsvlm eval makes
    kept.append(_file(tmp_path / f"p.jsonl.tmp{DEAD}.0badf00d", 0))  # just written: maybe on another machine
    evaluate.run(None, None, data, out, batch_size=1, progress=False)
    # were left for good: the next run neither removed nor mentioned them
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)
    err = capsys.readouterr().err
    assert f"removed {len(stale)} temp files a killed run left beside {out}" in err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["r0", "r1"]
    kept[-1].unlink()
    evaluate.run(None, None, data, out, batch_size=1, progress=False)
    assert "temp file" not in capsys.readouterr().err  # nothing left to say


def test_a_failed_rewrite_leaves_no_temp_file(tmp_path):
    target = tmp_path / "p.jsonl"
    target.mkdir()  # os.replace onto a folder fails after the temp file is written
    with pytest.raises(OSError):
        predictions.replace_text(target, "row\n")
    assert [p.name for p in tmp_path.iterdir()] == ["p.jsonl"]


def test_a_scorer_removes_its_killed_runs_temp_file_and_writes_its_scores_whole(tmp_path, capsys):
    from eval import classification

    gt, pred, out = tmp_path / "gt.jsonl", tmp_path / "p.jsonl", tmp_path / "scores.json"
    gt.write_text(json.dumps(RECORD) + "\n")
    pred.write_text(json.dumps({"id": "r0", "task": "cls", "answer": "lake"}) + "\n")
    _file(tmp_path / f"scores.json.tmp{DEAD}.01234567")
    assert classification.main(["--gt", str(gt), "--pred", str(pred), "--out", str(out)])["accuracy"] == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt.jsonl", "p.jsonl", "scores.json"]
    assert "removed 1 temp file a killed run left beside" in capsys.readouterr().out
    assert json.loads(out.read_text())["n_records"] == 1


class Processor:
    """The processor ``answer_batch`` asks before generating: band notes by image file name."""

    missing_bands = "copy"
    image_sizes: dict[str, int] = {}  # the model's input side by modality

    def __init__(self, band_notes: dict[str, list[str]]):
        from rsvlm.data.conversation import PromptConfig

        self.prompt, self.notes = PromptConfig(), band_notes

    def band_notes(self, image):
        return self.notes.get(image.name.rsplit("/", 1)[-1], [])

    def chat_prompt(self, messages, add_generation_prompt=True):
        return "prompt"

    def encode(self, text, images):
        return [0]


def answering(monkeypatch, answer="lake"):
    """The model's answers, for ``answer_batch``: ``answer`` to every prompt."""
    from rsvlm import inference

    monkeypatch.setattr(inference, "answerer", lambda *a, **kw: lambda msgs, imgs: [inference.Answer(answer, [])
                                                                                     for _ in msgs])


def test_reading_notes_are_counted_by_kind_and_said_once_at_the_end(tmp_path, monkeypatch, capsys):
    import numpy as np
    import tifffile
    from PIL import Image

    rgb = (np.arange(3 * 16 * 16) % 251).astype(np.uint8).reshape(3, 16, 16)
    for _ in range(2):  # two pages: the first is read
        tifffile.imwrite(tmp_path / "pages.tif", rgb, photometric="rgb", planarconfig="separate", append=True)
    Image.fromarray(rgb[0]).save(tmp_path / "grey.png")
    Image.fromarray(rgb.transpose(1, 2, 0)).save(tmp_path / "rgb.png")
    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    data.write_text("".join(json.dumps({**RECORD, "id": rid, "images": [{"path": f, "modality": "optical"}]}) + "\n"
                            for rid, f in [("a", "rgb.png"), ("b", "pages.tif"), ("c", "grey.png"),
                                           ("d", "pages.tif"), ("e", "rgb.png")]))
    answering(monkeypatch)
    proc = Processor({"rgb.png": ["band red read as R", "NIR missing: filled with R (expect weaker answers)"]})
    evaluate.run(None, proc, data, out, batch_size=2, progress=False)
    err = capsys.readouterr().err
    # were dropped: the pages left unread, a grey image answered as colour, a band filled, said nowhere
    assert "reading the images of the 5 records of this run noted" in err
    lines = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    assert lines == ["2 records: NIR missing: filled with R (expect weaker answers) (first: a)",
                     "2 records: the file holds 2 images (TIFF pages or subdatasets); the first is read, another by "
                     f"its name, e.g. GTIFF_DIR:2:{tmp_path / 'pages.tif'} (first: b)",
                     "1 record: grey band replicated to RGB (first: c)"]
    assert "red read as R" not in err  # a band's other name: routine, as the stretch is
    assert [json.loads(line)["answer"] for line in out.read_text().splitlines()] == ["lake"] * 5


def test_note_kinds_group_notes_by_their_words_not_their_numbers():
    kind = evaluate.ReadNotes.kind
    assert kind("modality inferred as sar from 2 bands float32 (dual polarisation)") == \
        "modality inferred as sar from N bands floatN"
    assert kind("Sentinel-2 fill: DN 0 read as nodata") == "Sentinel-N fill"  # a key to group by, never shown
    assert kind("4000x3000 px shrunk whole to the model's 224 px input") == kind("512x640 px shrunk whole to the "
                                                                                 "model's 64 px input")
    assert kind("no valid pixel: every pixel is nodata") == "no valid pixel"
    notes = evaluate.ReadNotes()
    for i in range(12):
        notes.add(f"r{i}", [f"note {'abcdefghijkl'[i]}: said", "stretch (2-98 percentiles): R [0, 1]"] + ["no valid pixel: x"] * (i < 3))
    said = notes.summary(12, most=3).splitlines()
    assert said[1:] == ["  3 records: no valid pixel: x (first: r0)", "  1 record: note a: said (first: r0)",
                        "  1 record: note b: said (first: r1)", "  and 10 more kinds of note"]
    assert evaluate.ReadNotes().summary(3) is None


def test_answers_whose_geometry_breaks_the_grammar_are_counted_at_the_end(tmp_path, monkeypatch, capsys):
    from rsvlm import inference

    data, out = records_file(tmp_path, 4), tmp_path / "p.jsonl"
    answers = iter(["<ref>ship</ref><box><loc_5><loc_9></box>", "lake", "<ref>ship", "<ref>a</ref><point><loc_1>"
                    "<loc_2></point>"])
    monkeypatch.setattr(inference, "answerer", lambda *a, **kw: lambda msgs, imgs: [inference.Answer(next(answers), [])
                                                                                    for _ in msgs])
    evaluate.run(None, Processor({}), data, out, batch_size=3, progress=False, constrain=False)
    err = capsys.readouterr().err
    # were said nowhere before scoring: a --free-decoding run of broken answers looked like any other
    assert ("2 of the 4 answers of this run hold geometry that does not follow the grammar (decoded freely: "
            "--free-decoding) (first: r0: <box> needs 4 location tokens, got 2; dropped)") in err
    answering(monkeypatch)
    evaluate.run(None, Processor({}), data, tmp_path / "q.jsonl", batch_size=3, progress=False)
    assert "grammar" not in capsys.readouterr().err


def _ask(data, rid, question=None, answer=None):
    """Rewrite record ``rid`` of ``data``: its question and/or its reference answer."""
    recs = [json.loads(line) for line in data.read_text().splitlines()]
    for r in recs:
        if r["id"] == rid:
            human, gpt = r["conversations"]
            r["conversations"] = [{**human, "value": question or human["value"]}, {**gpt, "value": answer or gpt["value"]}]
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))


def test_a_record_asked_otherwise_since_its_answer_is_answered_again(tmp_path, monkeypatch, capsys):
    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 4), tmp_path / "p.jsonl"
    evaluate.run(None, None, data, out, batch_size=2, progress=False)
    _ask(data, "r1", question="<image>\n[cls] Which scene is it? Answer in one word.")
    _ask(data, "r2", answer="water")  # a fixed reference: the question is the same, its answer stands
    model.tag = "run 2"
    evaluate.run(None, None, data, out, batch_size=2, progress=False)
    # was kept: the answer to the old question, scored against the new one's reference
    assert "1 record asks otherwise than when answered (its question or images changed since; " \
           "first: r1): answered again" in capsys.readouterr().err
    rows = {r["id"]: r["answer"] for r in map(json.loads, out.read_text().splitlines())}
    assert rows == {"r0": "run 1", "r1": "run 2", "r2": "run 1", "r3": "run 1"} and model.asked[4:] == ["r1"]
    assert len(out.read_text().splitlines()) == 4

    _ask(data, "r3", question="<image>\n[cls] And now?")  # on two processes: the merge takes the new answer
    model.tag = "run 3"
    for rank in (1, 0):
        evaluate.run(None, None, data, out, batch_size=2, rank=rank, world=2, progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["answer"]) for r in rows] == [("r0", "run 1"), ("r1", "run 2"), ("r2", "run 1"),
                                                      ("r3", "run 3")] and model.asked[5:] == ["r3"]
    capsys.readouterr()


def test_answers_without_an_asked_digest_are_answered_again(tmp_path, monkeypatch):
    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 2), tmp_path / "p.jsonl"
    out.write_text("".join(json.dumps({"id": f"r{i}", "task": "cls", "answer": "old"}) + "\n" for i in range(2)))
    _ask(data, "r0", question="<image>\n[cls] Another question")
    # an older rsvlm eval's: nothing to compare with, so nothing to keep (tour 59; were resumed as they were)
    evaluate.run(None, None, data, out, batch_size=2, progress=False)
    assert model.asked == ["r0", "r1"] and [json.loads(line)["answer"] for line in out.read_text().splitlines()] == [
        "run 1"] * 2


def test_ctrl_c_during_a_run_says_the_answers_so_far_are_kept(tmp_path, monkeypatch, capsys):
    import types

    from rsvlm import inference
    from rsvlm.cli import main

    data, out = records_file(tmp_path, 3), tmp_path / "p.jsonl"
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.yaml").write_text("{}\n")
    monkeypatch.setattr(inference, "load_model", lambda *a, **kw: (None, types.SimpleNamespace()))
    model = StandIn(monkeypatch)

    def answer(*a, **kw):
        if model.asked:
            raise KeyboardInterrupt
        model.asked.append("r0")
        return [{"id": "r0", "task": "cls", "answer": "lake"}]

    monkeypatch.setattr(evaluate, "answer_batch", answer)
    # was a traceback from deep in generation, with no word that the answers so far survive
    assert main(["eval", "--model", str(tmp_path / "m"), "--data", str(data), "--out", str(out),
                 "--batch-size", "1"]) == 130
    assert f"interrupted; the answers written so far are kept in {out} and a rerun with the same --out resumes" \
        in capsys.readouterr().err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["r0"]


def ground_records(tmp_path, width: int, height: int, n: int):
    """``tmp_path/gt.jsonl``: ``n`` grounding records g0… of one ship, on a ``width`` × ``height`` image."""
    rec = {**RECORD, "task": "ground", "meta": {"width": width, "height": height}, "conversations": [
        {"from": "human", "value": "<image>\n[ground] Where is the ship?"},
        {"from": "gpt", "value": "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>"}]}
    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps({**rec, "id": f"g{i}"}) + "\n" for i in range(n)))
    return gt


def test_empty_answers_to_geometry_tasks_are_noted_not_only_scored_as_nothing(tmp_path, capsys):
    from eval import grounding

    gt, pred = ground_records(tmp_path, 100, 100, 4), tmp_path / "p.jsonl"
    pred.write_text("".join(json.dumps(p) + "\n" for p in [
        {"id": "g0", "task": "ground", "answer": " "}, {"id": "g1", "task": "ground", "answer": "No ship."},
        {"id": "g2", "task": "ground", "answer": "", "error": "g2.png: not found"},
        {"id": "g3", "task": "ground", "answer": "", "objects": []}]))
    notes = grounding.main(["--gt", str(gt), "--pred", str(pred)])["notes"]
    # were scored IoU 0 without a word: a tool's blank output read as a model that found nothing
    assert "1 prediction has an empty answer, scored as finding nothing (first: g0)" in " ".join(notes)
    capsys.readouterr()


def test_captioning_starts_java_once_for_the_whole_set_and_every_modality(tmp_path, monkeypatch, capsys):
    from pycocoevalcap.meteor import meteor
    from pycocoevalcap.tokenizer import ptbtokenizer

    from eval import captioning

    started = []

    class Tokenizer:  # PTBTokenizer's form: {key: [{"caption": str}]} -> {key: [str]}
        def __init__(self):
            started.append("ptb")

        def tokenize(self, sent):
            return {k: [captioning.python_tokenize(c["caption"]) for c in v] for k, v in sent.items()}

    class Meteor:
        def __init__(self):
            started.append("meteor")

        def compute_score(self, gts, res):
            return 0.5, [0.5] * len(gts)

    monkeypatch.setattr(ptbtokenizer, "PTBTokenizer", Tokenizer)
    monkeypatch.setattr(meteor, "Meteor", Meteor)
    monkeypatch.setattr(captioning, "java_available", lambda: True)
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    recs = [{**RECORD, "id": f"c{i}", "task": "cap", "images": [{"path": "a.png", "modality": m}], "conversations": [
        {"from": "human", "value": "<image>\n[cap] Describe it."}, {"from": "gpt", "value": "Two ships in a harbour."}]}
        for i, m in enumerate(["optical", "sar", "ir", "sar"])]
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pred.write_text("".join(json.dumps({"id": f"c{i}", "task": "cap", "answer": "Two ships."}) + "\n" for i in range(4)))
    scores = captioning.main(["--gt", str(gt), "--pred", str(pred)])
    # were 4 starts of each (the set, then each of 3 modalities): ~6 s apiece, silent
    assert started == ["ptb", "meteor"]
    assert scores["METEOR"] == 0.5 and set(scores["by_modality"]) == {"optical", "sar", "ir"}
    assert scores["by_modality"]["sar"]["ROUGE-L"] == pytest.approx(scores["ROUGE-L"])  # the same captions, tokens
    capsys.readouterr()


def test_ctrl_c_while_scoring_is_one_line(monkeypatch, capsys):
    from eval import common

    def scoring():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as stop:  # was a KeyboardInterrupt traceback from deep in pycocotools
        common.main_guard(scoring)
    assert stop.value.code == 130 and capsys.readouterr().err == "interrupted: nothing was written\n"


def test_scenes_far_larger_than_the_models_input_are_counted_with_the_reading_notes(tmp_path, monkeypatch, capsys):
    import numpy as np
    from PIL import Image

    data, out = records_file(tmp_path, 3), tmp_path / "p.jsonl"
    Image.fromarray(np.zeros((40, 48, 3), np.uint8)).save(tmp_path / "a.png")
    proc = Processor({})
    proc.image_sizes = {"optical": 8}
    answering(monkeypatch)
    evaluate.run(None, proc, data, out, batch_size=2, progress=False)
    # was said by rsvlm predict and chat, never by eval: a detection set of 10 000 px scenes scored at 224 px
    assert "  3 records: 48x40 px shrunk whole to the model's 8 px input, so small objects vanish; python -m " \
           "data_gen convert FORMAT --tile 8 makes a test set of its windows (docs/data-convert.md), as rsvlm predict " \
           "--tile 8 looks at one image (first: r0)" in capsys.readouterr().err


def test_predicted_objects_past_their_image_are_noted(tmp_path, capsys):
    from eval import grounding

    gt, pred = ground_records(tmp_path, 100, 80, 3), tmp_path / "p.jsonl"

    def score(*boxes):
        pred.write_text("".join(json.dumps({"id": f"g{i}", "task": "ground", "answer": "",
                                            "objects": [{"kind": "box", "coords": b}]}) + "\n"
                                for i, b in enumerate(boxes)))
        return " ".join(grounding.main(["--gt", str(gt), "--pred", str(pred)])["notes"])

    # a tile's record, the objects in its scene's pixels: were scored as misses without a word
    assert "2 predicted objects given as 'objects' lie wholly outside their image (meta.width × meta.height; " \
           "first in g1)" in score([10, 8, 30, 24], [1010, 8, 1030, 24], [10, 85, 30, 99])
    # a box only reaching past an edge (mirror views' fused obbs do) scores as it is: no note
    assert "wholly outside" not in score([10, 8, 30, 24], [-3, 0, 104, 80], [70, 60, 99, 95])
    capsys.readouterr()


def test_a_set_of_which_only_some_records_have_an_answer_is_said_before_the_run(tmp_path, monkeypatch, capsys):
    StandIn(monkeypatch)
    data, out = records_file(tmp_path, 3), tmp_path / "p.jsonl"
    recs = [json.loads(line) for line in data.read_text().splitlines()]
    recs[1]["conversations"] = recs[1]["conversations"][:1]  # its answer lost in a conversion
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    evaluate.run(None, None, data, out, batch_size=3, progress=False)
    # was found only by the scorer, after the run: "has no gpt (assistant) turn"
    assert "1 of 3 records has no answer (first: r1): it is answered as a blind test set's, but python -m " \
           "eval.TASK refuses a ground truth with such records" in capsys.readouterr().err
    data.write_text("".join(json.dumps({**r, "conversations": r["conversations"][:1]}) + "\n" for r in recs))
    evaluate.run(None, None, data, tmp_path / "q.jsonl", batch_size=3, progress=False)
    assert "have no answer" not in capsys.readouterr().err  # a blind test set: as meant


def test_a_negative_count_is_no_count_not_its_absolute_value(tmp_path, capsys):
    from eval import counting
    from eval.text import parse_count

    assert [parse_count(a) for a in ["-3", "There are -3 ships.", "\u22123", "3-4 ships", "Count - 3"]] == \
        [None, None, None, 3, 3]
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text(json.dumps({**RECORD, "task": "count", "conversations": [
        {"from": "human", "value": "<image>\n[count] How many ships?"}, {"from": "gpt", "value": "3"}]}) + "\n")
    pred.write_text(json.dumps({"id": "r0", "task": "count", "answer": "-3"}) + "\n")
    scores = counting.main(["--gt", str(gt), "--pred", str(pred)])
    assert scores["accuracy"] == 0 and scores["n_unparseable"] == 1  # was right: "-3" read as 3
    capsys.readouterr()


def test_loc_error_says_on_stderr_what_it_left_out(tmp_path, monkeypatch, capsys):
    from eval import loc_error
    from rsvlm import inference

    data = records_file(tmp_path, 1)
    monkeypatch.setattr(inference, "load_model", lambda *a, **kw: (None, None))
    monkeypatch.setattr(loc_error, "location_errors", lambda *a, **kw: {
        "all": {"n": 4, "mae_bins": 10.0}, "skipped": {"n": 2, "first": [["r1", "image not found: gone.png"]]},
        "malformed_records": "test.jsonl: 3 records read, 1 skipped (invalid JSON: 1)"})
    assert loc_error.main(["--data", str(data), "--out", str(tmp_path / "le.json")]) == 0
    err = capsys.readouterr().err
    # were in the JSON alone: a figure over fewer records than the file holds, said nowhere a reader looks
    assert "note: 2 records could not be read and are left out (first: r1: image not found: gone.png)" in err
    assert "note: test.jsonl: 3 records read, 1 skipped (invalid JSON: 1)" in err
    assert json.loads((tmp_path / "le.json").read_text())["skipped"]["n"] == 2


def test_a_null_object_score_is_no_score_and_a_half_count_rounds_up():
    """``"score": null`` (a tool's JSON of a None) made the whole prediction unparseable; "2.5" read as
    2 but "3.5" as 4 (Python's round half to even)."""
    from eval.common import OK, UNPARSEABLE, Item, pred_objects
    from eval.text import parse_count

    rec = {**RECORD, "meta": {"width": 100, "height": 100}}
    box = {"kind": "box", "label": "ship", "coords": [10, 10, 30, 30]}
    got = pred_objects(Item(rec, {"id": "r0", "objects": [{**box, "score": None}, {**box, "score": 0.4}]}, 0))
    assert got.status == OK and [o["score"] for o in got.objects] == [1.0, 0.4]
    assert pred_objects(Item(rec, {"id": "r0", "objects": [{**box, "score": "high"}]}, 0)).status == UNPARSEABLE
    assert [parse_count(a) for a in ("2.5", "3.5", "0.4", "about 7.5 ships")] == [3, 4, 0, 8]
