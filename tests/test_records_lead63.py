"""Stop 63 fixes in the records reader found by the eval helper."""
from rsvlm.data.records import load_records


def test_jsons_own_at_is_not_said_twice(tmp_path):
    """json's messages "Unterminated string starting at" and "Invalid control character at" got " at column N"
    added: "starting at at column 18"."""
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a", "x": "open\n{"id": "b", "x": "open', encoding="utf-8")
    recs, report = load_records(path, strict=False)
    assert recs == []
    assert report.examples[:2] == [f"{path}:1: not valid JSON (Invalid control character at column 23)",
                                   f"{path}:2: not valid JSON (Unterminated string starting at column 18)"]
