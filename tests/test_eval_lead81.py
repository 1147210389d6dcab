"""Stop 81, lead: eval.counting's note says why an answer gives no count (two counts offered, a decimal comma),
where it said "states no count" of each; a thousands space reads as one count."""
from conftest import eval_record, write_jsonl


def test_counting_notes_say_why_no_count_was_read_and_a_thousands_space_scores(tmp_path, capsys):
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "count", "[count] How many cars?", "1000")
                                             for r in ("a", "b", "c", "d")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "3 or 4"}, {"id": "b", "answer": "1,5"},
                                              {"id": "c", "answer": "a lot"}, {"id": "d", "answer": "1 000"}])
    s = counting.main(["--gt", gt, "--pred", pred])
    said = capsys.readouterr().out
    assert s["n_unparseable"] == 3 and s["accuracy"] == 0.25, s  # d: 1 000 is 1000, read as 1 before
    assert "unparseable 'a': '3 or 4' offers two counts (N or M), not one" in said, said
    assert "unparseable 'b': '1,5' holds a decimal comma or two numbers (1,5), not one count" in said, said
    assert "unparseable 'c': 'a lot' states no count" in said, said
