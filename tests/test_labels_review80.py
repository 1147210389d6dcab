"""Review of the caption-as-label rule (9d16c5d8) outside chat: what it must not refuse, and what it refuses counted.

Every answer synth writes (each task, ``configs/data/eval.yaml``'s ``all_tasks``) decodes with no problem; a record
holding a ``<ref>`` of two sentences is skipped by the records reader, counted under its field and named; a short
caption's problem and ``encode``'s refusal carry no ellipsis where nothing was cut.
"""
from __future__ import annotations

import json

from rsvlm import geometry
from rsvlm.data.records import ReadReport, read_records
from rsvlm.geometry.codec import caption_label


def test_every_synthetic_answer_of_every_task_decodes_with_no_problem(tmp_path):
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "6", "--seed", "3", "--pairs-fraction", "0.5", "--config",
                 "configs/data/eval.yaml", "--no-progress"]) == 0
    tasks, problems = set(), []
    for f in ("train", "val", "test"):
        for line in (out / f"{f}.jsonl").read_text().splitlines():
            rec = json.loads(line)
            tasks.add(rec["task"])
            problems += [(rec["id"], p) for t in rec["conversations"] for p in geometry.decode(t["value"], 1000,
                                                                                                 1000).problems]
    assert {"det", "ground", "seg", "regcap", "change"} <= tasks and problems == []


def test_a_record_whose_ref_holds_two_sentences_is_skipped_counted_and_named(tmp_path):
    box = "<box><loc_100><loc_100><loc_300><loc_300></box>"
    recs = [{"id": f"r{i}", "task": "ground", "images": [{"path": "x.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": "<image>\n[ground] The gray car."},
                               {"from": "gpt", "value": f"<ref>{ref}</ref>{box}"}]}
            for i, ref in enumerate(["the gray car", "The gray car. It is parked by the tree."])]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["r0"]
    assert dict(report.skipped) == {"bad field conversations[].value": 1}
    (said,) = report.examples
    assert "id r1" in said and "<ref>The gray car. It is parked by the tree. (39 characters) reads as a caption" in said


def test_a_short_caption_is_named_without_an_ellipsis():
    (problem,) = geometry.decode("<ref>The ship. It is white</ref><point><loc_1><loc_1></point>", 10, 10).problems
    assert problem.startswith("<ref>The ship. It is white (21 characters) reads as a caption")
    try:
        geometry.encode([{"kind": "point", "label": "ships. Two", "coords": [1, 1]}], 10, 10)
    except ValueError as e:
        assert "label 'ships. Two' (10 characters) holds two sentences" in str(e)
    else:
        raise AssertionError("encode kept a label of two sentences")
    assert caption_label("le port. Les bateaux") and not caption_label("the pier at ca. Noon")
