"""Review of stop 70's bench work: missing_bands's '–' note (it had no test) stands a line apart from its table, and
the note says where the PRED it asks for comes from."""

from __future__ import annotations

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
    assert lines[last + 2] == "–: no score; the scorer's reason:", lines[last:]
    assert lines[last + 3].startswith("- count: eval.counting refused the records: "), lines[last:]
    assert lines[last + 6].startswith("(a file named there is the records scored"), lines[last:]
    assert lines[last + 7].startswith("left out: 1 sar record: 1 unreadable image"), lines[last:]


def test_no_score_note_gives_each_reason_once_with_the_rows_it_holds_for(monkeypatch):
    """Was: the note named the command to run (python -m eval.detection --gt … --pred PRED) to learn the reason."""
    common = bench_module("common", monkeypatch)
    note = common.no_score_note([("none", "obb", "no obb"), ("both", "obb", "no obb"), ("both", "COCO", "refused"),
                                 ("both", "AR100", "refused")], {"none", "both"})
    assert note.splitlines()[1:3] == ["- obb: no obb", "- COCO, AR100 (both): refused"], note
