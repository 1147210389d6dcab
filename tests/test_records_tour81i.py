"""Tour 81 (area I): odd lines of a records file, read as training reads them, are each counted and named."""

import json

from rsvlm.data.records import load_records


def _line(rid, task, images, answer="harbour", question=None):
    ph = "<image>\n" * len(images)
    turns = [{"from": "human", "value": f"{ph}[{task}] {question or 'What is it?'}"}]
    if answer is not None:
        turns.append({"from": "gpt", "value": answer})
    return json.dumps({"id": rid, "images": [{"path": p, "modality": m} for p, m in images],
                       "conversations": turns, "task": task, "meta": {"width": 128, "height": 128}})


ONE = [("images/a.png", "optical")]
TWO = [("images/a.png", "optical"), ("images/b.png", "optical")]
BOX = "<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>"


def test_a_det_record_of_two_images_is_kept_counted_and_named(tmp_path):
    """A [det] record of two images (its boxes of which image?) was kept without a word: read_records counted
    [change] records of other than two images, but no other task's of several. Kept (nothing lost), counted by
    task, the first named at its line; a [change] pair and untagged chat of two are not counted."""
    chat = json.dumps({"id": "chat-2", "images": [{"path": p, "modality": m} for p, m in TWO],
                       "conversations": [{"from": "human", "value": "<image>\n<image>\nWhich is greener?"},
                                         {"from": "gpt", "value": "The first."}]})
    lines = [_line("pair", "change", TWO, "Nothing changed."), chat, _line("det-2", "det", TWO, BOX),
             _line("cls-1", "cls", ONE), _line("ground-2", "ground", TWO, "<box><loc_1><loc_2><loc_3><loc_4></box>")]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["pair", "chat-2", "det-2", "cls-1", "ground-2"]
    assert dict(report.several_images) == {"det": 1, "ground": 1} and report.notable
    assert report.several_first == f"{path}:3 (id det-2): 2 images"
    said = report.summary()
    assert "2 records kept with several images" in said and "[det] 1, [ground] 1" in said and f"{path}:3" in said


def test_one_image_records_say_nothing_of_several(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(_line("a", "cls", ONE) + "\n" + _line("p", "change", TWO, "Nothing changed.") + "\n")
    recs, report = load_records(path, strict=False)
    assert len(recs) == 2 and not report.several_images and not report.notable
    assert "several images" not in report.summary()


def test_bom_crlf_and_each_bad_line_counted_at_its_line(tmp_path):
    """A UTF-8 BOM (Notepad's) before the first line and CRLF ends read as plain; a blind record, a location
    token past the 1000 bins, a modality DESIGN.md does not list, each skipped and named at its line; an id
    read twice kept and its repeat named; a missing image file is the trainer's to find, the record kept."""
    lines = [_line("ok", "cls", ONE), _line("gone", "cls", [("images/nope.png", "optical")]),
             _line("ok", "cls", ONE, question="Again?"), _line("blind", "cls", ONE, answer=None),
             _line("past", "ground", ONE, "<box><loc_100><loc_100><loc_1200><loc_1500></box>"),
             _line("mod", "cls", [("images/a.png", "hyperspectral")])]
    path = tmp_path / "r.jsonl"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["ok", "gone", "ok"] and report.n_lines == 6
    assert report.n_skipped == 3 and report.duplicates == 1 and report.first_duplicate == f"'ok' at {path}:3"
    said = "\n".join(report.examples)
    assert f"{path}:4 (id blind)" in said and "no gpt (assistant) turn" in said
    assert f"{path}:5 (id past)" in said and "<loc_1200> is out of range 0..999" in said
    assert f"{path}:6 (id mod)" in said and "'hyperspectral' is not one of optical, msi, sar, ir" in said
