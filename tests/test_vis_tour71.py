"""Stop 71, area vis: the benches' '–' notes (multi-line reasons, NaN scores) and the --vis overlays."""

from __future__ import annotations

from script_loader import load_bench

from eval.common import Headline


def test_no_score_note_keeps_a_reason_of_several_lines_inside_its_list_item(monkeypatch):
    """Was: a scorer's reason of several lines broke out of its '- column:' item, its later lines read as text of
    their own (a line starting '| ' as one more table row)."""
    common = load_bench("common", monkeypatch)
    note = common.no_score_note([("plain", "COCO", "x.jsonl: 2 problems:\n\n| line 3: no meta.width\nline 9: bad")],
                                {"plain"})
    lines = note.splitlines()
    assert lines[1:4] == ["- COCO: x.jsonl: 2 problems:", "  | line 3: no meta.width", "  line 9: bad"], note
    assert lines[4].startswith("(a file named there"), note


def test_a_nan_score_is_dashed_with_its_reason_in_the_note(monkeypatch):
    """Was: fmt showed a NaN headline as '–', but the note listed only None scores, so that '–' had no reason."""
    common = load_bench("common", monkeypatch)
    assert common.no_score(Headline(0.5)) is None
    assert common.no_score(Headline(None, "no seg record")) == "no seg record"
    why = common.no_score(Headline(float("nan")))
    assert "NaN" in why
    note = common.no_score_note([("plain", "mIoU", why)], {"plain"})
    assert note.splitlines()[1] == f"- mIoU: {why}"


def test_count_assay_says_why_a_count_column_has_no_figure(monkeypatch):
    """Was: '–' for a count no test record has (by_count's NaN), as for a row that measures nothing there."""
    import torch

    common = load_bench("common", monkeypatch)
    count = load_bench("count_assay", monkeypatch)
    got = count.by_count(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 2]))
    assert common.fmt(got["3+"], "n/a (no test record)") == "n/a (no test record)"
    assert common.fmt(None, "n/a (no test record)") == "–" and common.fmt(got["1"]) == "1.000"


def test_tokenizer_check_times_the_bundled_tokenizer(monkeypatch, capsys):
    """Was: the bundled tokenizer's figure in docs/benchmarks/load_time.md came from a script that was not kept."""
    import pytest

    from rsvlm.loading import bundled_model_dir

    DEFAULT_MODEL = bundled_model_dir()

    bench = load_bench("tokenizer_check", monkeypatch)
    assert bench.main(["--size", "20", "--repeats", "1", "--tokenizer", str(DEFAULT_MODEL / "tokenizer")]) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    assert len(rows) == 2 and rows[1].startswith(f"| {DEFAULT_MODEL / 'tokenizer'}, 2,026 entries | 1000 |"), rows
    with pytest.raises(SystemExit) as e:  # a checkpoint folder, not its tokenizer: a usage error naming where it is
        bench.main(["--size", "20", "--tokenizer", str(DEFAULT_MODEL)])
    assert e.value.code == 2 and "--tokenizer" in capsys.readouterr().err
