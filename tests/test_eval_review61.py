"""Review 61 of the scorers' changes: an object whose kind is a list crashed the scoring, and --out under
/dev/shm (a folder of ordinary files) was refused as a missing device."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def _record(rid, task, answer):
    return {"id": rid, "images": [{"path": f"{rid}.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] question?"},
                              {"from": "gpt", "value": answer}],
            "task": task, "meta": {"width": 100, "height": 100}}


def _files(tmp_path, recs, preds):
    gt, pr = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pr.write_text("".join(json.dumps(p) + "\n" for p in preds))
    return ["--gt", str(gt), "--pred", str(pr)]


def test_an_object_whose_kind_is_a_list_is_unparseable_not_a_traceback(tmp_path):
    """regions.object_problem looked the kind up in a dict: "kind": ["box"] raised TypeError (unhashable),
    where valid_object had said False and the prediction was counted unparseable."""
    from eval import detection, regions

    bad = {"kind": ["box"], "coords": [1, 2, 30, 40]}
    assert "none of box" in regions.object_problem(bad) and not regions.valid_object(bad)
    recs = [_record("d0", "det", "<ref>ship</ref><box><loc_1><loc_1><loc_50><loc_50></box>")]
    s = detection.main(_files(tmp_path, recs, [{"id": "d0", "task": "det", "answer": "", "objects": [bad]}]))
    assert s["n_records"] == 1 and s["n_unparseable"] == 1


@pytest.mark.skipif(not os.access("/dev/shm", os.W_OK), reason="no writable /dev/shm here")
def test_out_under_dev_shm_is_an_ordinary_file(tmp_path):
    """--out /dev/shm/x.json was taken for a name under /dev that is no device and refused before scoring
    ('nothing is created under /dev'), though /dev/shm holds ordinary files; /dev/nothing still is."""
    from eval import common, vqa

    out = Path("/dev/shm") / f"review61-{os.getpid()}-{tmp_path.name}.json"
    try:
        assert not common.in_place(out) and common.in_place("/dev/stdout") and common.in_place("/dev/no-such")
        recs = [_record("v0", "vqa", "yes")]
        s = vqa.main([*_files(tmp_path, recs, [{"id": "v0", "task": "vqa", "answer": "yes"}]), "--out", str(out)])
        assert out.is_file() and json.loads(out.read_text())["n_records"] == s["n_records"] == 1
    finally:
        out.unlink(missing_ok=True)


def test_report_refuses_an_out_that_holds_predictions(tmp_path, capsys):
    """``eval.report --out pred.jsonl`` (a slip of the tab key) replaced the predictions with the markdown, and
    ``--out pred.md`` replaced a pred.json beside it with the report's JSON, without a word (0268144 guarded
    score files only). A file no report wrote is refused; the report's own two files are replaced."""
    from eval import counting, report

    recs = [_record("n0", "count", "2")]
    counting.main([*_files(tmp_path, recs, [{"id": "n0", "task": "count", "answer": "2"}]),
                   "--out", str(tmp_path / "count.json")])
    pred = (tmp_path / "p.jsonl").read_text()
    other = tmp_path / "pred.json"
    other.write_text('{"answer": "2 ships", "objects": []}\n')  # rsvlm predict's --out
    for out in (tmp_path / "p.jsonl", tmp_path / "pred.md"):
        with pytest.raises(SystemExit) as stop:
            report.main(["--scores", str(tmp_path / "count.json"), "--out", str(out)])
        assert stop.value.code == 2 and "is a file no report wrote" in capsys.readouterr().err
    assert (tmp_path / "p.jsonl").read_text() == pred and "2 ships" in other.read_text()
    for _ in range(2):  # written, then its own files replaced
        report.main(["--scores", str(tmp_path / "count.json"), "--out", str(tmp_path / "report.md")])
    assert (tmp_path / "report.md").read_text().startswith("# Evaluation report")


def test_captioning_whole_set_cider_is_pycocoevalcap_s_own_figure(tmp_path, monkeypatch, capsys):
    """151eecb made the set's CIDEr the sum of its records' CIDEr over their count, where it was pycocoevalcap's
    compute_score figure (np.mean): the same score but for the last bit (a predictions file with a third of its
    rows missing moved 1.5699541801652384 to ...386). The whole set's is pycocoevalcap's own; a modality's is
    the mean of its records' whole-set CIDEr."""
    from pycocoevalcap.cider import cider

    from eval import captioning

    def compute_score(self, gts, res):  # a figure no sum / len of the per-record scores gives
        return 0.123456789, [1.0 + i for i in range(len(res))]

    monkeypatch.setattr(cider.Cider, "compute_score", compute_score)
    recs = [_record(f"c{i}", "cap", f"a harbour with {i} boats") for i in range(3)]
    recs[2]["images"][0]["modality"] = "sar"
    s = captioning.main([*_files(tmp_path, recs, [{"id": r["id"], "task": "cap", "answer": "a harbour"}
                                                  for r in recs]), "--no-java"])
    assert s["CIDEr"] == 0.123456789
    assert s["by_modality"]["optical"]["CIDEr"] == 1.5 and s["by_modality"]["sar"]["CIDEr"] == 3.0
