"""Training's launch checks and the launcher's RANK (stop 59)."""

import pytest

from rsvlm.train.config import TrainConfig
from rsvlm.train.run import check_launch


@pytest.mark.parametrize("env, says", [({"RANK": "3", "WORLD_SIZE": "2"}, "RANK=3 is outside 0…1"),
                                       ({"RANK": "1"}, "RANK=1 is set but WORLD_SIZE is not")])
def test_a_rank_outside_the_world_is_refused_before_training(monkeypatch, env, says):
    """check_launch read WORLD_SIZE and LOCAL_RANK only: RANK=3 of WORLD_SIZE=2, or RANK=1 alone, reached
    training (rsvlm eval already refused both through processes.process_rank)."""
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29500")
    with pytest.raises(ValueError, match=says):
        check_launch(TrainConfig(device="cpu"), ddp=True)
