"""Stop 73, evaluation: real DOTA and LEVIR-CD converted and scored against hand computations, a run stopped by
SIGTERM (a scheduler's time limit) and the cut line it leaves, and a change scorer's note on a file whose map
answer was cut away."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from test_eval_review73 import answering_sea  # rsvlm eval answering "sea", the ids asked

from data_gen.convert import convert as run_convert
from eval import change, detection
from tests.conftest import REPO, write_jsonl

# ---------------------------------------------------------------- real data, hand-computed


def _converted(tmp_path, fmt, src):
    out = tmp_path / fmt
    run_convert([fmt, "--out", str(out), "--src", str(src), "--no-progress"])
    return out / "records.jsonl", [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]


def _voc07(tp: list[int], n_pos: int) -> float:
    """VOC07 11-point AP of detections ranked as given (1 = true positive), written out by hand."""
    tp_c = np.cumsum(tp)
    rec, prec = tp_c / n_pos, tp_c / np.arange(1, len(tp) + 1)
    return sum((prec[rec >= t].max() if (rec >= t).any() else 0.0) for t in np.arange(0, 1.1, 0.1)) / 11


def test_dota_p1888_obb_ap50_is_the_hand_computed_one(realdata, tmp_path):
    gt_path, recs = _converted(tmp_path, "dota", realdata / "obb_dota")
    obb = next(r for r in recs if "<obb>" in r["conversations"][-1]["value"])
    ref = obb["conversations"][-1]["value"]
    large = [b for label, run in re.findall(r"<ref>(.*?)</ref>((?:<obb>.*?</obb>)+)", ref) if label == "large vehicle"
             for b in re.findall(r"<obb>.*?</obb>", run)]
    assert obb["meta"]["difficult"] == [] and len(large) == 50
    far = "<obb><loc_10><loc_10><loc_30><loc_10><loc_30><loc_30><loc_10><loc_30></obb>"  # on no vehicle
    hits = [1, 0, 1, 1, 0, 0, 1, 1, 0, 1]  # ranked: a reference obb, or the far one
    w, h = obb["meta"]["width"], obb["meta"]["height"]
    objects, k = [], 0
    for rank, hit in enumerate(hits):
        v = [int(n) for n in re.findall(r"<loc_(\d+)>", large[k] if hit else far)]
        k += hit
        objects.append({"kind": "obb", "label": "large vehicle", "score": 1 - rank / 20,
                        "coords": [[(v[i] + 0.5) / 1000 * w, (v[i + 1] + 0.5) / 1000 * h] for i in range(0, 8, 2)]})
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": obb["id"], "task": "det", "answer": "", "objects": objects}] + [
        {"id": r["id"], "task": "det", "answer": "None."} for r in recs if r is not obb])
    scores = detection.main(["--gt", str(gt_path), "--pred", pred])
    hand = _voc07(hits, 50)  # 6 of 50 found: 0.1477
    assert scores["per_class_obb"]["large vehicle"]["AP50_voc07"] == pytest.approx(hand, abs=1e-9)
    assert scores["mAP50_obb"] == pytest.approx(hand / 2, abs=1e-9)  # small vehicle: nothing found


def test_levir_change_iou_is_the_hand_computed_one(realdata, tmp_path):
    """Half the image answered as changed: IoU of the change class counted pixel by pixel, a pixel in a shape where
    its centre is (shapely), bins read at their centres (within 1 %: the scorer's edge pixels may differ)."""
    import shapely

    gt_path, recs = _converted(tmp_path, "levir-cd", realdata / "cd_levir")
    rec = next(r for r in recs if "<poly>" in r["conversations"][-1]["value"])
    side = rec["meta"]["width"]
    answer = "<ref>building</ref><box><loc_0><loc_0><loc_499><loc_999></box>"
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": rec["id"], "task": "change", "answer": answer}])
    scores = change.main(["--gt", str(gt_path), "--pred", pred])
    ys, xs = np.mgrid[0:side, 0:side] + 0.5  # (2, side, side) pixel centres
    ref = np.zeros((side, side), bool)
    for body in re.findall(r"<poly>(.*?)</poly>", rec["conversations"][-1]["value"]):
        v = [(int(n) + 0.5) / 1000 * side for n in re.findall(r"<loc_(\d+)>", body)]
        ref |= shapely.contains_xy(shapely.Polygon(list(zip(v[::2], v[1::2]))), xs, ys)
    ours = xs < 499.5 / 1000 * side  # the box's columns: 0..127
    hand = (ref & ours).sum() / (ref | ours).sum()
    assert scores["n_records"] == 1 and ours.sum() == side * side / 2
    assert scores["pixels"]["TP"] + scores["pixels"]["FN"] == pytest.approx(ref.sum(), rel=0.01)
    assert scores["IoU_change"] == pytest.approx(hand, rel=0.01)


# ---------------------------------------------------------------- a change file whose map answer was cut away


def test_a_file_answering_only_records_not_scored_is_not_called_another_test_sets(tmp_path):
    """A run killed while writing the map record's answer left only the worded record's: "the answers to another
    test set?", though every id is a record of this one."""
    rec = lambda i, q, a: {"id": i, "task": "change", "conversations": [  # noqa: E731
        {"from": "human", "value": f"<image>\n<image>\n[change] {q}"}, {"from": "gpt", "value": a}],
        "images": [{"path": "a.png", "modality": "optical"}, {"path": "b.png", "modality": "optical"}],
        "meta": {"width": 64, "height": 64}}
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec("d", "What changed?", "Nothing changed."), rec(
        "m", "Where did buildings change?", "<ref>building</ref><box><loc_0><loc_0><loc_499><loc_499></box>")])
    pred = tmp_path / "p.jsonl"
    pred.write_text(json.dumps({"id": "d", "task": "change", "answer": "Nothing."}) + '\n{"id": "m", "task": "ch')
    notes = change.main(["--gt", gt, "--pred", str(pred)])["notes"]
    said = next(n for n in notes if n.startswith("none of the 1 predictions names a change record"))
    assert "another test set" not in said and f"each names a record of {gt} that this script does not score" in said
    assert any("cut short, a run killed while writing it?" in n for n in notes)


# ---------------------------------------------------------------- SIGTERM, and the line it cuts

STOP_AT_SECOND_BATCH = """
import os, signal, sys
from rsvlm import evaluate
from rsvlm.cli import main
real, calls = evaluate.answer_batch, []
def answer(*a, **kw):
    calls.append(1)
    if len(calls) == 2:  # as a scheduler's time limit would, between two batches
        os.kill(os.getpid(), signal.SIGTERM)
    return real(*a, **kw)
evaluate.answer_batch = answer
sys.exit(main(sys.argv[1:]))
"""


def _records(tmp_path, n):
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    return write_jsonl(tmp_path / "test.jsonl", [{
        "id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
        "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}
        for i in range(n)])


def test_sigterm_says_the_answers_are_kept_and_a_rerun_resumes_them(ckpt, tmp_path, capsys):
    """SIGTERM (SLURM's time limit, timeout(1)) ended rsvlm eval with status 143 and not a word: which answers were
    kept, and that a rerun resumes, went unsaid as Ctrl-C's were said."""
    from rsvlm.cli import main

    data, out = _records(tmp_path, 4), tmp_path / "p.jsonl"
    argv = ["eval", "--data", data, "--out", str(out), "--model", str(ckpt), "--max-new-tokens", "2",
            "--batch-size", "2", "--device", "cpu"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", STOP_AT_SECOND_BATCH, *argv], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=600)
    assert done.returncode == 143, done.stderr[-2000:]
    assert (f"rsvlm eval: stopped by SIGTERM; the answers written so far are kept in {out} and a rerun with the same "
            "--out resumes from them") in done.stderr
    kept = out.read_text().splitlines()
    assert [json.loads(line)["id"] for line in kept] == ["r0", "r1"]
    with out.open("a") as f:  # and the half line a kill inside a write leaves
        f.write('{"id": "r2", "task": "cls", "ans')
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert (f"rsvlm eval: {out}'s last line was cut short (a killed run's: " "'{\"id\": \"r2\", \"task\": \"cls\", "
            "\"ans'): dropped, its record is answered again") in err
    assert "resuming" in err and "2 of the 4 records were answered by an earlier run and are kept; 2 to answer" in err
    lines = out.read_text().splitlines()
    assert lines[:2] == kept and [json.loads(line)["id"] for line in lines] == ["r0", "r1", "r2", "r3"]


def test_sigterm_outside_a_run_is_as_it_was(tmp_path):
    """The handler is the run's alone: after it, SIGTERM's is the one before (here Python's default)."""
    import signal

    from rsvlm.eval_answers import term_as_interrupt
    from rsvlm.processes import Terminated

    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the default it takes over: a runner's own is left alone
    try:
        with term_as_interrupt(), pytest.raises(Terminated, match="stopped by SIGTERM"):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between two bytecodes of the main thread
                pass
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)


# ---------------------------------------------------------------- advice rsvlm eval can follow


def test_a_scene_shrunk_whole_is_told_the_converters_tile_not_predicts_alone():
    """rsvlm eval said "rsvlm predict --tile 96 looks at it window by window": an option rsvlm eval has not, and
    predict writes no predictions file to score. The test set is cut into windows when it is converted."""
    from rsvlm.eval_reading import ReadNotes

    notes = ReadNotes()
    notes.add("dota-P1888-det-obb", ["712x557 px shrunk whole to the model's 96 px input, so small objects vanish; "
                                     "rsvlm predict --tile 96 looks at it window by window"])
    said = notes.summary(1)
    assert ("python -m data_gen convert FORMAT --tile 96 makes a test set of its windows (docs/data-convert.md), as "
            "rsvlm predict --tile 96 looks at one image (first: dota-P1888-det-obb)") in said, said


# ---------------------------------------------------------------- a predictions file saved with a BOM


def test_an_out_saved_with_a_bom_is_resumed_as_the_scorers_read_it(tmp_path, monkeypatch):
    """A predictions file saved by a Windows editor (a UTF-8 BOM before its first line) is scored as it is, but
    rsvlm eval refused to resume it: "holds no predictions … (Unexpected UTF-8 BOM)"."""
    from rsvlm import evaluate
    from rsvlm.predictions import asked_digest, check_out

    data = _records(tmp_path, 2)
    first = json.loads((tmp_path / "test.jsonl").read_text().splitlines()[0])
    out = tmp_path / "p.jsonl"
    out.write_text("\ufeff" + json.dumps({"id": "r0", "task": "cls", "answer": "lake",
                                          "asked_digest": asked_digest(evaluate.tagged_record(first)[0])}) + "\n",
                   encoding="utf-8")
    assert check_out(tmp_path / "test.jsonl", out) is None
    asked = answering_sea(monkeypatch)
    evaluate.run(None, None, tmp_path / "test.jsonl", out, batch_size=2, progress=False)
    assert asked == ["r1"] and data == str(tmp_path / "test.jsonl")
    assert [json.loads(line.removeprefix("\ufeff"))["id"] for line in out.read_text(encoding="utf-8").splitlines()] \
        == ["r0", "r1"]
