"""Review of stop 82's eval round (B): a clashing record's id read from the words of its place, eval.report silent of
the clashes a score file counts, and bench/eval_start.py, the one bench off bench/common's --out check and Ctrl-C."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import eval_record, write_jsonl

REPO = Path(__file__).resolve().parents[1]


def _clash_set(tmp_path, rid: str) -> tuple[str, str]:
    """Two vqa records, ``rid``'s asked [cls] (a clash), and an answer to each."""
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(rid, "vqa", "[cls] Is there a ship?", "yes"),
                                             eval_record("r", "vqa", "[vqa] Is there a road?", "no")])
    return gt, write_jsonl(tmp_path / "p.jsonl", [{"id": rid, "task": "vqa", "answer": "yes"},
                                                  {"id": "r", "task": "vqa", "answer": "no"}])


def test_a_clash_is_counted_whatever_its_records_id_holds(tmp_path):
    """The id was read back from "FILE:LINE (id X)": an id holding " (id " was read as its tail, no scored record's,
    and the clash went uncounted (0, no note)."""
    from eval import vqa

    gt, pred = _clash_set(tmp_path, "P1888 (id 2")
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert s["accuracy"] == 1.0 and s["n_gt_task_clashes"] == 1
    assert any("(id P1888 (id 2): task 'vqa', prompt [cls]" in n for n in s["notes"]), s["notes"]


def test_the_report_names_a_score_file_whose_records_clash(tmp_path, capsys):
    """eval.report tabled vqa accuracy 1.0 of answers rsvlm eval gave to [cls] questions without a word of it."""
    from eval import report, vqa

    gt, pred = _clash_set(tmp_path, "q")
    (tmp_path / "scores").mkdir()
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "scores" / "vqa.json")])
    gt2 = write_jsonl(tmp_path / "gt2.jsonl", [eval_record("c", "cls", "[cls] What scene?", "harbor")])
    pred2 = write_jsonl(tmp_path / "p2.jsonl", [{"id": "c", "task": "cls", "answer": "harbor"}])
    from eval import classification

    classification.main(["--gt", gt2, "--pred", pred2, "--out", str(tmp_path / "scores" / "classification.json")])
    capsys.readouterr()
    rep = report.main(["--dir", str(tmp_path / "scores")])
    said = [n for n in rep["notes"] if "n_gt_task_clashes" in n]
    assert len(said) == 1 and said[0].startswith("vqa.json: 1 scored record was asked with another task's tag"), said
    assert "vqa (n_gt_task_clashes)" in said[0] and f"- {said[0]}" in capsys.readouterr().out


def test_the_start_bench_stopped_by_ctrl_c_says_one_line_and_exits_130(tmp_path):
    """bench/eval_start.py ended sys.exit(0 if main() else 1): Ctrl-C was a KeyboardInterrupt traceback (seen: SIGINT
    to --n 20000, rc -2, 'Traceback' on stderr), where every other bench ends through common.run_script."""
    code = ("import runpy, sys, time\n"
            "def stop():\n    raise KeyboardInterrupt\n"
            "time.process_time = stop\n"  # the bench's timer: the first timed read is 'interrupted'
            f"sys.path[:0] = [{str(REPO / 'bench')!r}, {str(REPO)!r}]\n"
            f"sys.argv = ['bench/eval_start.py', '--n', '16', '--repeats', '1']\n"
            f"runpy.run_path({str(REPO / 'bench' / 'eval_start.py')!r}, run_name='__main__')\n")
    got = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert got.returncode == 130, (got.returncode, got.stderr[-600:])
    assert "eval_start.py: interrupted (Ctrl-C) before its table" in got.stderr and "Traceback" not in got.stderr

