"""Review of stop 78's eval work: the repeat check's tolerance hid a count of 3 against 4 and an object's confidence
of 0.2 against 0.9; the lines note called an unsized record of the script's own task "another script's", and was
printed under every table of an ordinary set of every task's answers; sound sets of every task are not refused."""

from __future__ import annotations

import importlib
import json

import pytest
from conftest import eval_record, write_jsonl
from test_eval_tour78 import BOX, REFS, SCRIPTS, task_record


def test_a_repeat_that_is_no_string_or_another_score_still_differs():
    """Numbers were compared within a pixel everywhere: {"answer": 3} and {"answer": 4} (two counts), or an object
    scored 0.2 and 0.9 (two runs' confidences, which rank it apart in the AP), were one answer."""
    from eval.pred_file import same_answer

    assert not same_answer({"answer": 3}, {"answer": 4}) and same_answer({"answer": 3}, {"answer": 3})
    box = {"kind": "box", "coords": [10, 10, 50, 50], "label": "ship", "score": 0.2}
    assert not same_answer({"objects": [box]}, {"objects": [{**box, "score": 0.9}]})
    assert same_answer({"objects": [box]}, {"objects": [{**box, "score": 0.2004, "coords": [10.5, 10, 50, 50]}]})


def _sound_set(tmp_path, unsized: bool = False) -> tuple[str, str]:
    """Three sound records of every task and a prediction of each (``unsized``: one det record without its size or
    image)."""
    recs = [task_record(f"{t}{i}", t) for t in REFS for i in range(3)]
    if unsized:
        del recs[12]["meta"]  # det0
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    return gt, write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "task": r["task"], "answer": r["conversations"][-1]["value"]}
                                                  for r in recs])


@pytest.mark.parametrize("task", list(SCRIPTS))
def test_a_sound_set_of_every_task_is_scored_without_a_lines_note(tmp_path, capsys, task):
    """The per-task half-skipped refusal refuses no sound set, and the lines note is not said where every line is
    scored or another script's (it was printed by every script, on every such run)."""
    gt, pred = _sound_set(tmp_path)
    argv = ["--gt", gt, "--pred", pred] + (["--no-java"] if task == "cap" else [])
    s = importlib.import_module(f"eval.{SCRIPTS[task]}").main(argv)
    assert (s["n_missing"], s["n_gt_bad_records"], s["n_pred_lines"]) == (0, 0, 24)
    assert s["n_records"] + s["n_pred_other_records"] == 24
    assert "lines of the predictions file" not in capsys.readouterr().out


def test_an_unsized_records_prediction_is_not_called_another_scripts(tmp_path, capsys):
    """A det record left out for want of a size: its prediction was "for records another script scores"."""
    from eval import detection

    gt, pred = _sound_set(tmp_path, unsized=True)
    with open(pred, "a") as f:
        f.write(json.dumps({"id": "zz", "task": "det", "answer": BOX}) + "\n")
    s = detection.main(["--gt", gt, "--pred", pred])
    assert (s["n_records"], s["n_gt_unsized"], s["n_pred_other_records"], s["n_pred_not_in_gt"]) == (2, 1, 22, 1)
    out = capsys.readouterr().out
    assert "note: the 25 lines of the predictions file: 2 scored, 22 for records not scored here" in out
    assert "another script" not in out.split("lines of the predictions file")[1].splitlines()[0]


@pytest.mark.parametrize("n_ok,n_bad,said", [
    (0, 1, "its one regcap record is skipped"), (1, 1, "1 of its 2 regcap records is skipped"),
    (1, 2, "2 of its 3 regcap records are skipped")])
def test_the_per_task_refusal_agrees_with_its_counts(tmp_path, n_ok, n_bad, said):
    """'every one of its 1 regcap records is', '1 of its 2 … are', 'the other 1 would pass them off'."""
    from eval import captioning
    from eval.inputs import MalformedGT

    recs = [eval_record(f"c{i}", "cap", "[cap] Describe the image.", "a harbour with ships") for i in range(10)]
    recs += [eval_record(f"r{i}", "regcap", "[regcap] Describe the region.", "a ship") for i in range(n_ok)]
    recs += [{"id": f"b{i}", "task": "regcap", "images": [f"b{i}.png"]} for i in range(n_bad)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    with pytest.raises(MalformedGT) as e:
        captioning.main(["--gt", gt, "--pred", write_jsonl(tmp_path / "p.jsonl", [{"id": "c0", "answer": "ships"}]),
                         "--no-java"])
    assert said in str(e.value)
    assert ("pass it off" in str(e.value)) == (n_ok == 1)


def test_a_set_whose_only_skips_are_blind_is_not_read_again(tmp_path, monkeypatch):
    """The reader keeps a blind record's id: there is nothing to find by reading the file again (it was read twice)."""
    from eval import gt_skips, vqa

    recs = [eval_record(f"v{i}", "vqa", "[vqa] Is there a ship?", "yes") for i in range(4)]
    blind = eval_record("b", "vqa", "[vqa] Is there a ship?", "yes")
    blind["conversations"] = blind["conversations"][:1]
    gt = write_jsonl(tmp_path / "gt.jsonl", [*recs, blind])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "task": "vqa", "answer": "yes"} for r in [*recs, blind]])
    monkeypatch.setattr(gt_skips, "reader_skips", lambda *a: pytest.fail("read again"))
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert (s["n_gt_bad_blind"], s["n_gt_bad_records"], s["n_pred_skipped_records"]) == (1, 1, 1)
