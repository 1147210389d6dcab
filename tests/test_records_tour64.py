"""Tour 64 (helper G): records files as a demanding user gives them."""

import json

from rsvlm.data import records_shape
from rsvlm.data.records import ReadReport, read_records


def _rec(rid: str) -> str:
    return json.dumps({"id": rid, "images": [{"path": "a.png", "modality": "optical"}],
                       "conversations": [{"from": "human", "value": "<image>\n[cls] What?"},
                                         {"from": "gpt", "value": "forest"}]}) + "\n"


def test_a_line_over_the_cap_is_counted_by_its_line_and_not_held(tmp_path, monkeypatch):
    """A JSONL line of GB (no line ends, an image inlined) was read whole into memory, then parsed: now one
    over LINE_CAP is read past in pieces and counted as a bad line naming file:line; the lines after it read."""
    monkeypatch.setattr(records_shape, "LINE_CAP", 2000)
    path = tmp_path / "r.jsonl"
    huge = json.dumps({"id": "big", "blob": "x" * 9000}) + "\n"
    path.write_text(_rec("a") + huge + _rec("b") + huge.rstrip("\n"))  # the last one ends the file, no line end
    report = ReadReport(str(path))
    got = [r["id"] for r in read_records(path, strict=False, report=report)]
    assert got == ["a", "b"]
    assert report.n_lines == 4 and report.skipped == {"invalid JSON": 2}
    assert report.examples[0].startswith(f"{path}:2: a line of") and "over the" in report.examples[0]
    assert report.examples[1].startswith(f"{path}:4: ")


def test_a_first_line_over_the_cap_is_counted_and_a_json_array_still_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(records_shape, "LINE_CAP", 2000)
    monkeypatch.setattr(records_shape, "HEAD_CAP", 1000)
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"id": "big", "blob": "x" * 9000}) + "\n" + _rec("a"))
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["a"]
    assert report.examples[0].startswith(f"{path}:1: a line of")
    array = tmp_path / "r.json"  # one line of a LLaVA JSON array file, longer than a line may be: its items
    array.write_text(json.dumps([json.loads(_rec(f"r{i}")) for i in range(40)]))
    assert len(array.read_text()) > 2000
    assert len(list(read_records(array))) == 40


def test_a_record_left_out_after_reading_is_said_at_its_line(tmp_path):
    """A record training's index leaves out once read (its unsaid modality's image is missing, or the model has
    no stem for its modality) was said as "FILE: record ID: …", with no line to go to among 100k; now FILE:LINE."""
    from rsvlm.train.data import build_index

    class Tok:
        def __call__(self, texts, add_special_tokens=False):
            return {"input_ids": [t.split() for t in texts]}

    def rec(rid, image):
        return json.loads(_rec(rid)) | {"images": [image]}

    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (
        rec("good", {"path": "a.png", "modality": "optical"}), rec("gone", {"path": "gone.png"}),
        rec("ir", {"path": "a.png", "modality": "ir"}))))
    report = ReadReport(str(path))
    index = build_index(str(path), Tok(), {"optical": 4}, report, progress=False)
    assert list(index["id"]) == ["good"] and report.n_skipped == 2
    assert report.examples[0].startswith(f"{path}:2: record gone: images[0]")
    assert report.examples[1].startswith(f"{path}:3: record ir: no stem")


def test_a_system_turn_inside_a_conversation_is_read_the_chat_template_decides(tmp_path):
    """3b69c3c refused, when read, a record with a system turn after the first (rsvlm's templates take one); a
    tokenizer's own template may write it (Qwen2.5's), and reading does not know the template: it is read, and
    training leaves it out where its template cannot write it (tests/test_system_turn_tour64q.py)."""
    from rsvlm.data.conversation import record_messages
    from rsvlm.model.templates import render

    first = json.loads(_rec("first"))
    first["conversations"].insert(0, {"from": "system", "value": "Be brief."})
    inside = json.loads(_rec("inside"))
    inside["conversations"].insert(1, {"from": "system", "value": "Be brief."})
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(inside) + "\n")
    report = ReadReport(str(path))
    kept = list(read_records(path, strict=False, report=report))
    assert [r["id"] for r in kept] == ["first", "inside"] and report.n_skipped == 0
    assert [t["from"] for t in kept[1]["conversations"]] == ["human", "system", "gpt"]
    assert render(record_messages(kept[0]), "rsvlm")  # the opening one renders


def test_a_record_left_out_after_the_whole_file_was_read_is_not_said_at_another_line(tmp_path):
    """caption_pool reads the whole file, then leaves records out: each was said at the LAST record's line
    (564940b), a line that holds another record; now said without a line, as before."""
    from PIL import Image

    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.records import RecordError

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(json.loads(_rec(rid)) | {"images": [{"path": image}]}) + "\n"
                            for rid, image in (("gone", "gone.png"), ("ok", "a.png"), ("ok2", "a.png"))))
    report = ReadReport(str(path))
    with ModalityFinder() as finder:
        for rec in list(read_records(path, strict=False, report=report)):  # as rsvlm.train.clip_data reads them
            try:
                finder.fill(rec, tmp_path, report)
            except RecordError as e:
                report.drop(e.field, f"{path}: {e}")
    assert report.n_skipped == 1 and report.examples[0].startswith(f"{path}: record gone: images[0]")


def test_a_line_just_over_the_cap_says_its_length_and_the_cap_apart(tmp_path, monkeypatch):
    """A line one character over the cap said "a line of 64 M characters, over the 64 M a record may take"."""
    monkeypatch.setattr(records_shape, "LINE_CAP", 2000)
    path = tmp_path / "r.jsonl"
    line = json.dumps({"id": "big", "blob": "x" * 2000})[:2001]
    path.write_text(_rec("a") + line + "\r\n" + _rec("b"))
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["a", "b"]
    assert report.examples == [f"{path}:2: a line of 2,001 characters, over the 2,000 (0.00190735 M) a record may "
                               "take: no record (an image inlined as text? a file with no line ends?)"]
