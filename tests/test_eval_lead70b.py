"""Stop 70, evaluation small items (area P1): the unparseable predictions past the quoted three are counted, NumPy
numbers in an ``objects`` list are numbers."""

from __future__ import annotations

from conftest import eval_record, write_jsonl


def test_unparseable_predictions_past_the_quoted_ones_are_counted(tmp_path):
    """Three were quoted and the other five went unsaid: a reader took three for all that failed."""
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(f"c{i}", "count", "[count] How many ships?", "4")
                                             for i in range(9)])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": f"c{i}", "task": "count", "answer": "a few" if i else "4"}
                                                 for i in range(9)])
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 8
    quoted = [n for n in s["notes"] if n.startswith("unparseable ")]
    assert [n.split("'")[1] for n in quoted] == ["c1", "c2", "c3"]
    assert "(and 5 more unparseable prediction(s), not quoted)" in s["notes"]


def test_no_count_of_more_where_every_unparseable_one_is_quoted(tmp_path):
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(f"c{i}", "count", "[count] How many?", "4") for i in range(3)])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": f"c{i}", "task": "count", "answer": "many"} for i in range(3)])
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 3 and not any("more unparseable" in n for n in s["notes"])
