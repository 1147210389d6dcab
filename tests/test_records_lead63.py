"""Stop 63 fixes in the records reader found by the eval helper."""
from rsvlm.data.records import load_records


def test_jsons_own_at_is_not_said_twice(tmp_path):
    """json's messages "Unterminated string starting at" and "Invalid control character at" got " at column N"
    added: "starting at at column 18"."""
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a", "x": "open\n{"id": "b", "x": "open', encoding="utf-8")
    recs, report = load_records(path, strict=False)
    assert recs == []
    # line 1 was "Invalid control character at column 23" (its newline read into the string: stop 69 says both so)
    assert [e.split("; ")[0] for e in report.examples[:2]] == [
        f"{path}:{n}: not valid JSON (Unterminated string starting at column 18)" for n in (1, 2)]
    assert not any(" at at " in e for e in report.examples)
