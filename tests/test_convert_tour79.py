"""Stop 79's converter tour: llava --task seg on box answers, CMYK JPEG collars, unlabelled images counted per file."""

from __future__ import annotations

from convert_helpers import llava_rows


def _row(rid: str, answer: str, **extra) -> dict:
    return {"id": rid, "image": "a.png", **extra, "conversations": [
        {"from": "human", "value": "<image>\nWhere is the ship?"}, {"from": "gpt", "value": answer}]}


def test_llava_task_seg_refuses_geochat_box_answers_naming_the_record(tmp_path):
    # a [seg] answer opens only <poly> or <mask> (grammar REGION): --task seg wrote GeoChat's boxes as [seg] records
    rows = [_row("box", "<p>ship</p>{<10><10><40><30>|<90>}"),
            _row("obb", "{<10><10><40><30>|<30>}"),
            _row("chat", "three"),
            _row("own", "{<10><10><40><30>}", task="seg")]
    stats, recs = llava_rows(tmp_path, rows, "--task", "seg", "--no-progress")
    assert stats["skipped"] == {"seg_answer_not_a_region": 3}
    first = stats["skipped_examples"]["seg_answer_not_a_region"]
    assert "record 0" in first and "<box>" in first and "--task ground" in first
    assert [r["id"] for r in recs] == ["chat"]  # no geometry: the older note, not this skip


def test_llava_own_seg_task_with_a_box_is_skipped_without_blaming_the_flag(tmp_path):
    stats, recs = llava_rows(tmp_path, [_row("own", "{<10><10><40><30>|<30>}", task="seg")], "--no-progress")
    assert recs == [] and "<obb>" in stats["skipped_examples"]["seg_answer_not_a_region"]
    assert "--task" not in stats["skipped_examples"]["seg_answer_not_a_region"]


def test_llava_task_ground_keeps_the_same_boxes(tmp_path):
    stats, recs = llava_rows(tmp_path, [_row("box", "{<10><10><40><30>|<90>}")], "--task", "ground", "--no-progress")
    assert not stats["skipped"] and [r["task"] for r in recs] == ["ground"]
