"""Tour 81 (H): rsvlm/train/config.py was at 499 of its 500 lines; its checks are rsvlm/train/config_checks.py."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_train_config_module_has_room_and_its_checks_a_module_of_their_own():
    lines = (REPO / "rsvlm" / "train" / "config.py").read_text().splitlines()
    assert len(lines) <= 400, len(lines)  # was 499 with the checks in it
    assert not any(line.startswith("def check_") for line in lines)


def test_the_checks_stay_importable_from_the_config_module():
    import rsvlm.train.config as config
    import rsvlm.train.config_checks as checks

    for name in ("check_config", "check_links", "check_numbers", "check_task_names", "LinkError",
                 "frozen_quantised_problem"):
        assert getattr(config, name) is getattr(checks, name), name


def test_check_config_still_refuses_by_key_once_moved():
    from rsvlm.train.config import TrainConfig, check_config

    cfg = TrainConfig()
    cfg.data.train = "train.jsonl"
    check_config(cfg)  # the defaults pass
    cfg.data.batching = "naiv"
    with pytest.raises(ValueError, match=r"data.batching must be one of .*did you mean naive"):
        check_config(cfg)
    cfg.data.batching, cfg.log.profile_steps, cfg.max_steps = "naive", 2, 5
    with pytest.raises(ValueError, match=r"log.profile_steps=2 profiles steps 7..8; max_steps=5 ends before"):
        check_config(cfg)
