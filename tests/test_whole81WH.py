"""Whole-stop review 81 (WH): renames.unfinished_save offered the step before where the other save of the same step
lay beside (a save killed between commit's two renames leaves step_N.old and step_N.tmp, no step_N), and
test_train_utils.sigterm_to_launch hung for ever, not failing, where its stand-in torchrun never said 'up'."""

from __future__ import annotations

import time

import pytest
from test_train_review81RH import plain_step

from rsvlm.train.renames import unfinished_save


def test_a_set_aside_save_beside_a_whole_later_one_names_that_one(tmp_path):
    ckpts = tmp_path / "run" / "checkpoints"
    plain_step(ckpts / "step_000002")
    old, tmp = plain_step(ckpts / "step_000004.old"), plain_step(ckpts / "step_000004.tmp")
    said = unfinished_save(old, "export")
    assert f"; {tmp} beside it is that step's later save, its files whole: export it instead" in said, said
    assert "step_000002" not in said  # was: 'export the step before it: … step_000002'
    said = unfinished_save(old, "resume")
    assert said.endswith(f"resume from it instead, ckpt.resume={tmp}"), said


def test_a_cut_unfinished_save_beside_its_whole_earlier_one_names_that_one(tmp_path):
    ckpts = tmp_path / "run" / "checkpoints"
    plain_step(ckpts / "step_000002")
    old = plain_step(ckpts / "step_000004.old")
    tmp = plain_step(ckpts / "step_000004.tmp", drop="trainer_state_rank0.json")
    said = unfinished_save(tmp, "resume")
    assert "some of its files are missing or cut" in said, said
    assert said.endswith(f"; {old} beside it is that step's earlier save, whole (the run's next save deletes it): "
                         f"resume from it instead, ckpt.resume={old}"), said  # was: the step before, step_000002
    said = unfinished_save(old, "export")  # itself then the one whole save of that step: exported as it
    assert said.endswith("an export reading it too; its files are there and parse, so it is exported as that step")


def test_a_set_aside_save_half_deleted_still_names_the_step_before(tmp_path):
    ckpts = tmp_path / "run" / "checkpoints"
    before = plain_step(ckpts / "step_000002")
    old = plain_step(ckpts / "step_000004.old", drop="trainable.safetensors")  # pruned, killed mid-delete
    said = unfinished_save(old, "resume")
    assert said.endswith(f"; resume from the step before it, ckpt.resume={before}"), said
    assert unfinished_save(before, "resume") is None


def test_sigterm_to_launch_fails_when_its_stand_in_never_comes_up(tmp_path):
    from test_train_utils import sigterm_to_launch

    start = time.monotonic()
    with pytest.raises(AssertionError, match=r"no .*up in 3 s, or launch.py ended first \(status -9\)"):
        sigterm_to_launch(tmp_path, "#!/bin/sh\nwhile :; do sleep 0.1; done\n", tmp_path / "run", wait_s=3)
    assert time.monotonic() - start < 60  # was: stderr read while launch.py waited on the stand-in, for ever
