"""Training metrics: losses stay tensors until a log line, and each line's means are exact."""

from __future__ import annotations

import json

import pytest
import torch

from rsvlm.train.logging import Metrics


def test_log_line_holds_the_means_of_the_batches_since_the_last_line(tmp_path):
    m = Metrics(tmp_path, rank=0, world_size=1, total_steps=4, progress=False)
    m.add_batch(torch.tensor(2.0), torch.tensor([1.0, 3.0]), ["cls", "ground"], ["optical", "sar"], 10, 16)
    m.add_batch(torch.tensor(4.0), torch.tensor([5.0]), ["ground"], ["optical"], 6, 8)
    rec = m.log(step=1, lr=1e-3)
    assert rec["loss"] == pytest.approx(3.0)
    assert rec["loss/task/cls"] == pytest.approx(1.0)
    assert rec["loss/task/ground"] == pytest.approx(4.0)  # (3 + 5) / 2
    assert rec["loss/modality/optical"] == pytest.approx(3.0)  # (1 + 5) / 2
    assert rec["loss/modality/sar"] == pytest.approx(3.0)
    assert rec["tokens"] == 16 and rec["non_pad_fraction"] == pytest.approx(16 / 24)
    # the next line starts afresh
    m.add_batch(torch.tensor(1.0), torch.tensor([1.0]), ["vqa"], ["ir"], 4, 4)
    rec2 = m.log(step=2, lr=1e-3)
    assert rec2["loss"] == pytest.approx(1.0) and "loss/task/cls" not in rec2
    m.close()
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [1, 2]
    assert lines[0]["loss/task/ground"] == pytest.approx(4.0)


def test_a_line_with_no_batches_and_mismatched_inputs():
    m = Metrics(".", rank=1, world_size=1, total_steps=1, progress=False)  # rank 1 writes nothing
    rec = m.log(step=1, lr=0.0)
    assert rec["loss"] is None and rec["tokens"] == 0  # nothing measured: not a perfect 0.0
    with pytest.raises(ValueError, match="2 per-sample losses for 1 tasks"):
        m.add_batch(torch.tensor(1.0), torch.tensor([1.0, 2.0]), ["cls"], ["optical"], 1, 1)


def test_the_bar_moves_at_every_step_not_only_at_log_lines(tmp_path):
    m = Metrics(tmp_path, rank=0, world_size=1, total_steps=100, start_step=10, progress=True)
    for _ in range(3):  # log.every=50: the bar stood at 10 for 50 steps, then jumped
        m.step()
    assert m.bar.n == 13
    m.log(step=13, lr=1e-3)
    assert m.bar.n == 13 and "lr=1.00e-03" in str(m.bar)
    m.close()
