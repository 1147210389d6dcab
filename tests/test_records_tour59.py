"""Tour 59: records files in UTF-16 (with its BOM) and with bare-CR line ends are read (``rsvlm.data.records``)."""

import gzip
import json

import pytest

from rsvlm.data.records import RecordError, blank_records_file, load_records

REC = {"id": "a", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
       "conversations": [{"from": "human", "value": "<image>\n[cls] What scene?"}, {"from": "gpt", "value": "lake"}]}
TWO = [REC, {**REC, "id": "b"}]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_a_records_file_with_a_bom_is_read_in_its_encoding(tmp_path, codec):
    p = tmp_path / "gt.jsonl"
    text = "".join(json.dumps(r) + "\r\n" for r in TWO)  # PowerShell's `>`: UTF-16 LE, CR LF
    p.write_bytes(("\ufeff" + text).encode(codec) if codec == "utf-16-be" else text.encode(codec))
    recs, report = load_records(p)  # UTF-16 was "not UTF-8 text" on every line
    assert [r["id"] for r in recs] == ["a", "b"] and report.n_lines == 2
    gz = tmp_path / "gt.jsonl.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    assert [r["id"] for r in load_records(gz)[0]] == ["a", "b"]
    arr = tmp_path / "llava.json"  # a JSON array too
    arr.write_bytes(json.dumps(TWO).encode("utf-16"))
    assert [r["id"] for r in load_records(arr)[0]] == ["a", "b"]


def test_bare_cr_line_ends_are_line_ends(tmp_path):
    p = tmp_path / "mac.jsonl"
    p.write_bytes("\r".join(json.dumps(r) for r in TWO).encode() + b"\r")
    recs, report = load_records(p)  # was "not valid JSON (Extra data at column 230)"
    assert [r["id"] for r in recs] == ["a", "b"] and report.n_lines == 2
    p.write_bytes(json.dumps(REC).encode() + b"\r{not json\r" + json.dumps({**REC, "id": "c"}).encode())
    with pytest.raises(RecordError, match=r"mac.jsonl:2: not valid JSON"):  # lines counted at bare CRs
        load_records(p)


def test_undecodable_text_is_named(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(json.dumps(REC).encode() + b'\n{"id": "caf\xe9"}\n')
    recs, report = load_records(p, strict=False)
    assert [r["id"] for r in recs] == ["a"] and report.skipped["invalid JSON"] == 1
    assert "bad.jsonl:2: not UTF-8 text (invalid continuation byte at byte 11)" in report.examples[0]
    p.write_bytes(json.dumps(REC).encode("utf-16") + b"\x00")  # an odd byte count: cut
    with pytest.raises(RecordError, match=r"bad.jsonl: not UTF-16 text"):
        load_records(p, strict=False)


def test_a_utf16_file_of_blanks_is_blank(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_bytes(" \r\n\r\n".encode("utf-16"))  # was not blank: its NUL bytes
    assert blank_records_file(p)
    p.write_bytes(json.dumps(REC).encode("utf-16"))
    assert not blank_records_file(p)


def test_a_band_hint_naming_flag_and_field_is_said_once_as_the_records_field():
    """stem.NAME_BANDS names both --bands and the record's "bands"; as_record_fields turned its --bands into
    the field again: '"bands" in the record, or "bands" in a record's image'."""
    from rsvlm.data.records import as_record_fields
    from rsvlm.model.stem import NAME_BANDS

    said = as_record_fields(f"4 unnamed bands read by their order (if not, name them with {NAME_BANDS})")
    assert said.count('"bands"') == 1 and "--bands" not in said
    assert said.endswith('(if not, name them with "bands" in the record\'s image)')
