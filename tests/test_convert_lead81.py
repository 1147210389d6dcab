"""Stop 81, lead (routed by the records review): ``convert llava --task det`` tagged an untagged record of two
images det without a word, a one-image task whose answer does not say which image it is of; such a record stays
untagged (free chat of a pair), counted and named. A record of one image, or ``--task change``, is tagged as before."""
from convert_helpers import llava_rows


def test_task_leaves_an_untagged_pair_untagged_and_says_so(tmp_path):
    two = [{"from": "human", "value": "<image>\n<image>\nWhat differs?"}, {"from": "gpt", "value": "A new road."}]
    one = [{"from": "human", "value": "<image>\nWhat is this?"}, {"from": "gpt", "value": "A harbour."}]
    rows = [{"id": "p", "image": ["a.png", "a.png"], "conversations": two},
            {"id": "q", "image": "a.png", "conversations": one},
            {"id": "t", "image": ["a.png", "a.png"], "task": "cap", "conversations": two}]  # its own task: kept
    stats, recs = llava_rows(tmp_path / "det", rows, "--task", "cap")
    assert {r["id"]: r["task"] for r in recs} == {"p": None, "q": "cap", "t": "cap"}, recs
    assert stats["notes"]["several_images_left_untagged_by_--task_cap"] == 1
    assert stats["notes_examples"]["several_images_left_untagged_by_--task_cap"] == "p"
    stats, recs = llava_rows(tmp_path / "change", rows[:1], "--task", "change")
    assert recs[0]["task"] == "change" and not any("several" in k for k in stats["notes"])
