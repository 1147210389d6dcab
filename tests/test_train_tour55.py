"""Rough-edge tour 55 of training: the leftovers of tour 54's multi-process tour (a timeout for the process
group, SIGTERM, ranks started by hand, verdicts said once, one resume hint, the cut-sample warning)."""

from __future__ import annotations

import torch


def test_stand_ins_take_the_last_readable_micro_batch_of_the_same_modalities():
    from rsvlm.train.batches import StandIns

    def batch(n: int, tag: str = "") -> dict:
        return {"input_ids": torch.zeros((n, 3)), "tag": tag}

    groups = ["optical", "ir", "optical", "ir"]
    one = StandIns([], groups, world=1, pad_id=0)
    assert one.update(batch(2, "opt"), [0, 2]) is None and one.update(batch(0), [1])["tag"] == "opt"  # any last one
    two = StandIns([], groups, world=2, pad_id=0)
    two.update(batch(1, "opt"), [0])
    two.update(batch(1, "ir"), [1])
    assert two.update(batch(0), [2])["tag"] == "opt" and two.last_good["tag"] == "ir"
