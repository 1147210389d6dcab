"""Stop 80 (lead): a record whose <ref> holds two sentences is refused whole, and its message says so rather than
decode's "the label dropped"."""
from __future__ import annotations

import json

from rsvlm.data.records import ReadReport, read_records


def test_a_caption_refs_record_is_said_refused_with_the_way_out(tmp_path):
    box = "<box><loc_100><loc_100><loc_300><loc_300></box>"
    rec = {"id": "r0", "task": "ground", "images": [{"path": "x.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[ground] The gray car."},
                             {"from": "gpt", "value": f"<ref>The gray car. It is parked by the tree.</ref>{box}"}]}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    report = ReadReport(str(path))
    assert list(read_records(path, strict=False, report=report)) == []
    (said,) = report.examples
    assert "not a class name; write the phrase as one sentence" in said, said
    assert "the label dropped" not in said
