import json
from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig
from rsvlm.train.deepspeed_config import fill_auto

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs" / "deepspeed").glob("*.json"))


def test_the_documented_configs_exist():
    assert {p.name for p in CONFIGS} >= {"zero2.json", "zero3.json", "zero3_offload.json", "zero2_offload.json"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_auto_field_is_filled_from_the_training_config(path):
    cfg = load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml", ["batch_size=2", "grad_accum=3"])
    out = fill_auto(json.loads(path.read_text()), cfg, world_size=8)
    assert "auto" not in json.dumps(out)
    assert out["train_batch_size"] == 2 * 3 * 8
    stage = out["zero_optimization"]["stage"]
    assert stage == int(path.stem[4]), path.name  # zeroN...
    assert ("offload_optimizer" in out["zero_optimization"]) == ("offload" in path.stem)


def test_a_zero_stage_that_does_not_exist_is_refused():
    cfg = load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml")
    ds = json.loads((REPO / "configs" / "deepspeed" / "zero2.json").read_text())
    for stage in (4, "2", None):
        with pytest.raises(ValueError, match="zero_optimization.stage"):
            fill_auto({**ds, "zero_optimization": {"stage": stage}}, cfg, world_size=2)


def test_zero2_optimizer_states_load_with_weights_only(tmp_path):
    """ZeRO-1/2 optimizer files hold each shard's fragment_address: resuming a zero2 run failed
    with 'Unsupported global' before it was allow-listed."""
    import torch
    from deepspeed.runtime.zero.config import ZeroStageEnum
    from deepspeed.utils.tensor_fragment import fragment_address

    from rsvlm.train.deepspeed_config import weights_only_checkpoint_engine

    path = tmp_path / "zero_pp_rank_0_mp_rank_00_optim_states.pt"
    torch.save({"zero_stage": ZeroStageEnum.gradients, "param_slice_mappings": [{"w": fragment_address(4, 0)}],
                "state": torch.ones(3)}, path)
    out = weights_only_checkpoint_engine().load(str(path), map_location="cpu")
    assert out["param_slice_mappings"][0]["w"] == fragment_address(4, 0) and torch.equal(out["state"], torch.ones(3))
