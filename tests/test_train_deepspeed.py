"""DeepSpeed ZeRO-2 / ZeRO-3 with two CPU processes (gloo), launched by torchrun as users would.

The first DeepSpeed run on a machine compiles its shared-memory comm op (about a minute) into
TORCH_EXTENSIONS_DIR; later runs reuse it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from test_train_utils import make_records, recipe, torchrun

from rsvlm.config import load_config
from rsvlm.data.records import ReadReport
from rsvlm.train import data as D
from rsvlm.train.config import TrainConfig
from rsvlm.train.losses import lm_losses

pytest.importorskip("deepspeed")


@torch.no_grad()
def mean_loss(model, processor, data: Path, cfg: TrainConfig) -> float:
    index = D.build_index(data, processor.tokenizer, dict(processor.n_tokens), ReadReport(str(data)))
    ds = D.SFTDataset(index, data.parent, processor, cfg.model.prompt, cfg.data.max_length)
    batch = D.collate([ds[i] for i in range(len(ds))], processor.tokenizer.pad_token_id)
    assert not batch["bad"]
    model.eval()
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], images=batch["images"])
    return float(lm_losses(out.logits, batch["labels"])[0])


@pytest.mark.parametrize("stage", ["zero2", "zero3"])
def test_two_process_zero_run_learns_and_reloads(tmp_path, stage, monkeypatch):
    from script_loader import load_script

    from rsvlm.model import RSVLM, create_model, load_pretrained
    from rsvlm.train import checkpoint as ckpt

    data = make_records(tmp_path / "d", n=16)
    out = tmp_path / "run"
    cfg_path = recipe(tmp_path, out_dir=str(out), data={"train": str(data)})
    common = ["batch_size=2", "optim.lr=5e-3", "optim.warmup_steps=0", f"dist.deepspeed=configs/deepspeed/{stage}.json",
              "ckpt.every=2", "model.encoders.default.patch_skip=true"]  # a gated skip: no 0-d parameter
    first = torchrun(cfg_path, "max_steps=4", *common)
    assert first.returncode == 0, first.stderr[-4000:]
    # resume from DeepSpeed's sharded files (read with weights_only=True; ZeRO-2's hold fragment addresses)
    second = torchrun(cfg_path, "max_steps=6", "ckpt.resume=auto", *common)
    assert second.returncode == 0, second.stderr[-4000:]
    assert "resumed from" in second.stderr and "step_000004" in second.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 6 and summary["bad_samples"] == 0
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step_000004", "step_000006"]
    assert {"rng_rank0.json", "rng_rank1.json", "deepspeed"} <= {p.name for p in (out / "checkpoints" / "step_000004").iterdir()}

    cfg = load_config(TrainConfig, cfg_path)
    torch.manual_seed(cfg.seed)
    fresh, processor = create_model(cfg.model)
    trained, processor2 = load_pretrained(out / "final")
    before, after = mean_loss(fresh, processor, data, cfg), mean_loss(trained, processor2, data, cfg)
    assert after < before - 0.05, (before, after)

    # a step folder exports as final/ was written, on any process count (rsvlm saved DeepSpeed's files in torch's
    # legacy format, which zero_to_fp32 cannot read, and export_step refused them)
    step = out / "checkpoints" / "step_000006"
    assert load_script("export_step", monkeypatch).main([str(step), "--out", str(tmp_path / "exported")]) == 0
    final, exported = trained.state_dict(), RSVLM.from_pretrained(tmp_path / "exported").state_dict()
    assert final.keys() == exported.keys()
    for k in final:  # the trained weights gathered from both ranks' shards, the frozen ones rebuilt from the seed
        assert torch.equal(final[k], exported[k]), k
    with pytest.raises(ValueError, match=r"saved by 2 processes and this run has 1; resume with 2 .*"
                                         r"docs/distributed.md, \"Resuming on another number of processes\""):
        ckpt.check_step_folder(step, 0, True, world=1)
