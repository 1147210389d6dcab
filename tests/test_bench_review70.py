"""Review of stop 70's bench work: missing_bands's '–' note (it had no test) stands a line apart from its table, and
the note says where the PRED it asks for comes from."""

from __future__ import annotations

from pathlib import Path

from test_bench_args import bench_main
from test_bench_tour51 import bench_module, sar_records


def test_missing_bands_explains_a_dash_a_line_apart_from_its_table(tmp_path, monkeypatch, capsys, ckpt):
    """SAR scene-class records only: the count, vqa and ground columns are '–'. The note (and the 'left out' lines)
    came right under the last row, which Markdown reads as one more row of the table."""
    data = sar_records(tmp_path, [["VV", "VH"], None, ["VV", "VH"]])
    bench_main("missing_bands", monkeypatch, ["--data", str(data), "--model", str(ckpt), "--max-new-tokens", "2"])
    lines = capsys.readouterr().out.splitlines()
    last = max(i for i, line in enumerate(lines) if line.startswith("| sar"))
    assert lines[last].endswith("| – | – | – |"), lines[last]
    assert lines[last + 1] == "", lines[last:]
    note = lines[last + 2]
    assert note.startswith("–: no score: the records scored hold no reference of that task, or"), note
    assert "(eval.classification, eval.counting, eval.grounding, eval.vqa) refused them: python -m SCORER" in note
    assert f"--gt {data} --pred PRED says why (PRED: a run's predictions, which --keep DIR keeps)" in note
    assert lines[last + 3].startswith("left out: 1 sar record(s): 1 unreadable image"), lines[last:]


def test_no_score_note_names_the_one_scorer_to_run(monkeypatch):
    common = bench_module("common", monkeypatch)
    from eval import detection

    note = common.no_score_note(Path("t.jsonl"), {"hbb": (detection, "mAP50"), "obb": (detection, "mAP50_obb")})
    assert "the scorer (eval.detection) refused them: python -m eval.detection --gt t.jsonl --pred PRED" in note
    assert note.endswith("(PRED: a run's predictions, which --keep DIR keeps)")
