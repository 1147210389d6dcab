"""Every scoring script on ground truth built from ../shared/realdata, predicting itself: all
perfect. Then the report gathers the score files. Detection, grounding, segmentation and change
have their own real-data cases in their test files; this one covers the text tasks, a
detection run through the real command line, and the report."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval import captioning, classification, counting, report, vqa
from rsvlm import geometry

REPO = Path(__file__).resolve().parents[1]


def _record(rid, task, question, answer, modality="optical", meta=None, image="x.png"):
    return {"id": rid, "images": [{"path": image, "modality": modality}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] {question}"},
                              {"from": "gpt", "value": answer}],
            "task": task, "meta": meta or {}}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _self(recs):
    return [{"id": r["id"], "task": r["task"], "answer": r["conversations"][-1]["value"]} for r in recs]


def _rsivqa(realdata, every=25):
    f = realdata / "vqa_rsivqa" / "rsicd_vqa.txt"
    if not f.is_file():
        pytest.skip(f"{f} absent")
    rows = []
    for k, line in enumerate(f.read_text().splitlines()):
        image, _, qa = line.partition(":")
        q, _, a = qa.partition("?")
        if a and k % every == 0:
            rows.append((image, q + "?", a))
    return rows


def test_realdata_text_tasks_and_report(tmp_path, realdata):
    from PIL import Image

    out = tmp_path / "scores"
    out.mkdir()
    # classification: AID church_183, class from the file name
    church = realdata / "cls_aid" / "church_183.png"
    if not church.is_file():
        pytest.skip(f"{church} absent")
    w, h = Image.open(church).size
    cls = [_record("church_183", "cls", "Classify the scene.", "church", meta={"width": w, "height": h})]
    # VQA and more classification: RSIVQA question/answer lines (real answers)
    qa = _rsivqa(realdata)
    vq = [_record(f"rsivqa-{i}", "vqa", q, a, meta={"qtype": "theme"}, image=img) for i, (img, q, a) in enumerate(qa)]
    cls += [_record(f"cls-{i}", "cls", "Classify the scene.", a, image=img) for i, (img, _, a) in enumerate(qa)]
    # counting: vehicles in DOTA P1888's label file
    label = realdata / "obb_dota" / "P1888.txt"
    names = [ln.split()[8] for ln in label.read_text().splitlines() if len(ln.split()) >= 9]
    cnt = [_record(f"P1888-{c}", "count", f"How many {c.replace('-', ' ')}s are there?", str(names.count(c)))
           for c in sorted(set(names))]
    assert sorted(r["conversations"][1]["value"] for r in cnt) == ["14", "50"]
    # captioning: the RSIVQA lines as sentences (no real captions among the fixtures)
    cap = [_record(f"cap-{i}", "cap", "Describe the image.", f"{q} {a}", image=img)
           for i, (img, q, a) in enumerate(qa[:60])]

    gt = _write(tmp_path / "gt.jsonl", cls + vq + cnt + cap)  # one file holding every task
    pred = _write(tmp_path / "pred.jsonl", _self(cls + vq + cnt + cap))
    common_args = ["--gt", str(gt), "--pred", str(pred)]
    s = classification.main([*common_args, "--out", str(out / "cls.json")])
    assert s["accuracy"] == 1.0 and s["n_records"] == len(cls) > 100 and s["mean_class_accuracy"] == 1.0
    assert len(s["per_class_accuracy"]) >= 20 and "church" in s["per_class_accuracy"]
    s = vqa.main([*common_args, "--out", str(out / "vqa.json")])
    assert s["accuracy"] == 1.0 and s["n_records"] == len(vq)
    s = counting.main([*common_args, "--out", str(out / "count.json")])
    assert s["accuracy"] == 1.0 and s["MAE"] == 0.0
    s = captioning.main([*common_args, "--no-java", "--out", str(out / "cap.json")])
    assert s["BLEU-4"] == pytest.approx(1.0, abs=1e-6) and s["ROUGE-L"] == pytest.approx(1.0)

    # detection through the real command line, on P1888's oriented boxes
    w, h = Image.open(realdata / "obb_dota" / "P1888.png").size
    quads = []
    for ln in label.read_text().splitlines():
        p = ln.split()
        if len(p) >= 9:
            v = [float(x) for x in p[:8]]
            quads.append({"kind": "obb", "label": p[8], "coords": [v[i:i + 2] for i in range(0, 8, 2)]})
    det = [_record("P1888", "det", "Detect every vehicle. Use oriented boxes.", geometry.encode(quads, w, h),
                   meta={"width": w, "height": h})]
    det_gt, det_pred = _write(tmp_path / "det.jsonl", det), _write(tmp_path / "det_pred.jsonl", _self(det))
    run = subprocess.run([sys.executable, "-m", "eval.detection", "--gt", str(det_gt), "--pred", str(det_pred),
                          "--out", str(out / "det.json")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "mAP50_obb" in run.stdout
    assert json.loads((out / "det.json").read_text())["mAP50_obb"] == pytest.approx(1.0)

    # a missing file is one clear line and exit status 2
    bad = subprocess.run([sys.executable, "-m", "eval.vqa", "--gt", str(gt), "--pred", str(tmp_path / "nope.jsonl")],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "nope.jsonl" in bad.stderr and "Traceback" not in bad.stderr

    rep = report.main(["--dir", str(out), "--out", str(tmp_path / "report.md")])
    tasks = {r["task"] for r in rep["metrics"]}
    assert tasks == {"classification", "vqa", "counting", "captioning", "detection"}
    row = next(r for r in rep["metrics"] if r["task"] == "detection" and r["metric"] == "mAP50_obb")
    assert row["all"] == pytest.approx(1.0) and row["optical"] == pytest.approx(1.0)
    md = (tmp_path / "report.md").read_text()
    assert "| classification" in md and "mAP50_obb" in md
    assert json.loads((tmp_path / "report.json").read_text())["metrics"] == rep["metrics"]
    # run again with report.json now inside the folder: it is left out with a note, not an error
    (out / "report.json").write_text((tmp_path / "report.json").read_text())
    assert report.main(["--dir", str(out)])["metrics"] == rep["metrics"]
