"""Rough edges of evaluation met on a tour: error rows rsvlm eval resumes, predictions files without
a run.json, empty segmentation references, repeated ids with other answers, another set's ids."""
import json

import numpy as np
from PIL import Image

from rsvlm import geometry
from rsvlm.cli import main as cli

CLS = {"id": "a", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
       "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}
SQUARE = {"kind": "poly", "label": "ship", "coords": [[10.05, 10.05], [30.05, 10.05], [30.05, 30.05], [10.05, 30.05]]}
HALF = {**SQUARE, "coords": [[10.05, 10.05], [20.05, 10.05], [20.05, 30.05], [10.05, 30.05]]}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _seg(rid, answer, question, modality="optical"):
    return {"id": rid, "task": "seg", "images": [{"path": f"{rid}.png", "modality": modality}],
            "conversations": [{"from": "human", "value": f"<image>\n[seg] {question}"},
                              {"from": "gpt", "value": answer}], "meta": {"width": 100, "height": 100}}


def _image(path):
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(path)


# ----------------------------------------------------------------------------- rsvlm eval, resuming errors


def test_error_rows_are_answered_again_only_when_their_inputs_changed(tmp_path):
    from rsvlm.data.records import load_records
    from rsvlm.predictions import asked_digest, inputs_digest, sort_error_rows

    _image(tmp_path / "a.png")
    data = _write(tmp_path / "test.jsonl", [CLS, {**CLS, "id": "b", "images": [{"path": "b.png"}]},
                                            {**CLS, "id": "c"}])
    records = {r["id"]: r for r in load_records(data, strict=False)[0]}
    out = tmp_path / "p.jsonl"
    rows = [{"id": "a", "task": "cls", "answer": "lake", "asked_digest": asked_digest(records["a"])},
            {"id": "b", "task": "cls", "answer": "", "error": "b.png: not found",
             "inputs_digest": inputs_digest(records["b"], tmp_path)},
            {"id": "c", "task": "cls", "answer": "", "error": "old"}]  # an older rsvlm eval's: no digest
    _write(out, rows)
    got = sort_error_rows(out, records, tmp_path)
    assert [r["id"] for r in got.kept] == ["b"] and got.n_undigested == 1 and got.n_changed == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b"]  # c answered again
    _image(tmp_path / "b.png")  # the user fixes the image: b fails no more
    got = sort_error_rows(out, records, tmp_path)
    assert not got.kept and got.n_changed == 1
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a"]


def test_resuming_keeps_the_errors_that_would_recur_and_counts_them(ckpt, tmp_path, capsys):
    _image(tmp_path / "a.png")
    data = _write(tmp_path / "test.jsonl", [CLS, {**CLS, "id": "b", "images": [{"path": "b.png"}]}])
    out = tmp_path / "p.jsonl"
    argv = ["eval", "--model", str(ckpt), "--data", data, "--out", str(out), "--max-new-tokens", "2",
            "--device", "cpu"]
    assert cli(argv) == 0
    first = out.read_text()
    assert "1 of 2 records with unreadable images" in capsys.readouterr().err
    assert cli(argv) == 0  # b.png still missing: it was read again, and the count said 0 errors
    err = capsys.readouterr().err
    assert "1 record answered empty with an error last time is not answered again" in err
    assert "answered again (" not in err and "give --retry-errors" in err
    assert "1 of 2 records with unreadable images" in err and "1 of them from the last run; first: b:" in err
    assert out.read_text() == first
    assert cli(argv + ["--retry-errors"]) == 0  # the user asks anyway: b is read (and fails) once more
    err = capsys.readouterr().err
    assert "1 record answered empty with an error last time is answered again (1 unchanged, as " \
           "--retry-errors asks)" in err and "not answered again" not in err
    assert "1 of 2 records with unreadable images" in err and "from the last run" not in err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b"]


# ----------------------------------------------------------------------------- predictions without run.json


def test_answers_without_a_run_json_are_resumed_with_a_warning_and_the_scorers_say_so(ckpt, tmp_path, capsys):
    from eval import classification

    _image(tmp_path / "a.png")
    data = _write(tmp_path / "test.jsonl", [CLS, {**CLS, "id": "b"}])
    out = tmp_path / "p.jsonl"
    from rsvlm.evaluate import tagged_record
    from rsvlm.predictions import asked_digest

    # from an older rsvlm eval, or a stamp deleted (one without asked_digest is answered again: tour 59)
    _write(out, [{"id": "a", "task": "cls", "answer": "lake", "asked_digest": asked_digest(tagged_record(CLS)[0])}])
    scores = classification.main(["--gt", data, "--pred", str(out)])
    assert scores["run"] is None
    assert "no p.jsonl.run.json beside the predictions" in capsys.readouterr().out

    argv = ["eval", "--model", str(ckpt), "--data", data, "--out", str(out), "--max-new-tokens", "2",
            "--device", "cpu"]
    assert cli(argv) == 0  # was resumed without a word, and the stamp then vouched for a's answer too
    assert "holds 1 answer but its p.jsonl.run.json is missing" in capsys.readouterr().err
    stamp = json.loads((tmp_path / "p.jsonl.run.json").read_text())
    assert stamp["unchecked_answers"] == 1
    assert cli(argv) == 0  # stamped now: no warning, and the count is kept
    assert "warning" not in capsys.readouterr().err
    assert json.loads((tmp_path / "p.jsonl.run.json").read_text())["unchecked_answers"] == 1
    scores = classification.main(["--gt", data, "--pred", str(out)])
    assert scores["run"]["model"] == str(ckpt.resolve()) and scores["run"]["options"]["max_new_tokens"] == 2
    assert "1 answer in p.jsonl was there before p.jsonl.run.json was written" in capsys.readouterr().out


def test_an_unreadable_run_json_is_noted_not_trusted(tmp_path, capsys):
    from eval import classification

    gt = _write(tmp_path / "gt.jsonl", [CLS])
    pred = _write(tmp_path / "p.jsonl", [{"id": "a", "task": "cls", "answer": "lake"}])
    (tmp_path / "p.jsonl.run.json").write_text("{cut")
    assert classification.main(["--gt", gt, "--pred", pred])["run"] is None
    assert "p.jsonl.run.json cannot be read" in capsys.readouterr().out


# ----------------------------------------------------------------------------- segmentation, empty references


def test_an_empty_reference_is_a_unit_of_the_class_it_asks_for(tmp_path, capsys):
    from eval import segmentation

    gt = _write(tmp_path / "gt.jsonl", [
        _seg("s", geometry.encode([SQUARE], 100, 100), "Segment the ships."),
        _seg("e", "None.", "Segment the ships.", "sar"),  # its shapes are the ship class's false positives
        _seg("r", "<ref>harbour</ref> None.", "Outline it."),  # the <ref> names the class
        _seg("u", "None.", "Segment the clouds.")])  # no class of the set: reported apart
    pred = _write(tmp_path / "pred.jsonl", [{"id": "s", "objects": [HALF]}, {"id": "e", "objects": [SQUARE]},
                                            {"id": "r", "answer": "None."}, {"id": "u", "objects": [SQUARE]}])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    # was {"": 0.0, "ship": 0.5}: every empty reference pooled in one class named ""
    assert s["per_class_IoU"] == {"harbour": None, "ship": 0.25}  # ship: 200 px of 400 + 400 drawn on e
    assert s["mIoU"] == 0.25 and s["gIoU"] == (0.5 + 0 + 1 + 0) / 4
    assert (s["n_empty_references"], s["n_empty_references_answered_empty"], s["n_empty_references_unassigned"]) \
        == (3, 1, 1)
    assert s["by_modality"]["sar"]["per_class_IoU"] == {"ship": 0.0}  # classes of the whole set, not the modality's
    out = capsys.readouterr().out
    assert "1 record with an empty reference asks for no one class" in out and "1 of them answered with shapes" in out


def test_the_asked_class_is_read_from_plurals_and_the_longest_of_nested_names():
    from eval import common, segmentation

    def item(rid, answer, question):
        return common.Item(_seg(rid, answer, question), None, 0)

    def box(label):
        return geometry.encode([{"kind": "box", "label": label, "coords": [10.05, 10.05, 30.05, 30.05]}], 100, 100)

    items = [item("v", box("vehicle"), "Segment vehicles."), item("sv", box("small vehicle"), "Segment it."),
             item("f", box("ferry"), "Segment it."), item("bus", box("bus"), "Segment it."),
             item("q1", "None.", "Segment every small-vehicle."), item("q2", "None.", "Outline all ferries."),
             item("q3", "None.", "Segment the buses."), item("q4", "None.", "Segment ferries and buses."),
             item("q5", "None.", "Segment the business district.")]
    segmentation.asked_classes(items)
    got = {it.id: it.extra["asked_class"] for it in items}
    assert got == {"v": None, "sv": None, "f": None, "bus": None, "q1": "small vehicle", "q2": "ferry", "q3": "bus",
                   "q4": segmentation.UNASSIGNED, "q5": segmentation.UNASSIGNED}


# ----------------------------------------------------------------------------- odd predictions files


def test_a_repeated_id_with_another_answer_is_named(tmp_path, capsys):
    from eval import classification

    gt = _write(tmp_path / "gt.jsonl", [CLS, {**CLS, "id": "b"}])
    pred = _write(tmp_path / "p.jsonl", [{"id": "a", "answer": "lake"}, {"id": "b", "answer": "lake"},
                                         {"id": "a", "answer": "lake"},  # the same again: harmless
                                         {"id": "b", "answer": "forest"}])  # another run's answer
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_pred_duplicate_ids"] == 2 and s["n_pred_duplicate_ids_differing"] == 1
    assert "1 id repeated with another answer than its first line's, which is the one scored (first: b)" \
        in capsys.readouterr().out


def test_predictions_of_the_right_task_but_another_sets_ids_are_told_apart(tmp_path, capsys):
    from eval import classification

    gt = _write(tmp_path / "gt.jsonl", [CLS])
    pred = _write(tmp_path / "p.jsonl", [{"id": "x1", "task": "cls", "answer": "lake"}])
    classification.main(["--gt", gt, "--pred", pred])
    out = capsys.readouterr().out  # was: "a predictions file of another task?" of cls predictions
    assert "though 1 of them are cls predictions: the answers to another test set?" in out
    assert "'x1' in the predictions, 'a' in the ground truth" in out and "of another task" not in out


def test_the_report_says_what_answered_each_predictions_file_and_counts_errors(tmp_path, capsys):
    from eval import classification, report

    gt = _write(tmp_path / "gt.jsonl", [CLS, {**CLS, "id": "b"}])
    rows = [{"id": "a", "task": "cls", "answer": "lake"},
            {"id": "b", "task": "cls", "answer": "", "error": "b.png: not found"}]
    stamped, bare = _write(tmp_path / "tta.jsonl", rows), _write(tmp_path / "old.jsonl", rows)
    (tmp_path / "tta.jsonl.run.json").write_text(json.dumps(
        {"model": "/ckpt/m", "weights": {}, "options": {"max_new_tokens": 64, "tta": "flip", "free_decoding": False}}))
    for pred, name in ((stamped, "a.json"), (bare, "b.json")):
        classification.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / name)])
    rep = report.main(["--scores", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    # two runs, one with --tta flip: the report showed their scores side by side without saying which was which
    assert [(r["model"], r["options"]) for r in rep["runs"]] == [("/ckpt/m", "max_new_tokens=64 tta=flip"),
                                                                 ("not recorded", "-")]
    errors = [r for r in rep["counts"] if r["count"] == "n_pred_errors"]
    assert [r["all"] for r in errors] == [1, 1]
    assert "## What answered (rsvlm eval's run.json)" in capsys.readouterr().out
