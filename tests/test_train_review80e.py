"""Review of stop 80's training work (E): renames.finish_rename never promotes a step_N.tmp one of whose ranks' files
was cut mid-write, and a rank reading .old/.tmp while another rank finishes the rename is not failed by it."""

from __future__ import annotations

import json

import torch
from safetensors.torch import save_file

from rsvlm.train import renames


def _step(folder, world=2):
    folder.mkdir(parents=True)
    for name in ("trainable", "optimizer"):
        save_file({"w": torch.zeros(2)}, str(folder / f"{name}.safetensors"))
    (folder / "optimizer.json").write_text("{}")
    (folder / "scheduler.json").write_text("{}")
    for r in range(world):
        (folder / f"rng_rank{r}.json").write_text("{}")
        save_file({"s": torch.zeros(2)}, str(folder / f"rng_rank{r}.safetensors"))
        (folder / f"trainer_state_rank{r}.json").write_text(json.dumps({"step": 2}))
    return folder


def test_a_step_tmp_with_a_rank_file_cut_mid_write_is_not_put_in_place(tmp_path):
    """Rank 1's trainer_state (or RNG tensors) cut short: was taken for whole by its being there, renamed in, and
    step_N.old removed; the resume then refused the step it had just made."""
    root = tmp_path / "checkpoints"
    _step(root / "step_000002.old")
    tmp = _step(root / "step_000002.tmp")
    assert renames.whole_step_tmp(tmp, root / "step_000002.old")
    (tmp / "trainer_state_rank1.json").write_text('{"step": ')
    assert not renames.whole_step_tmp(tmp, root / "step_000002.old")
    (tmp / "trainer_state_rank1.json").write_text(json.dumps({"step": 2}))
    data = (tmp / "rng_rank1.safetensors").read_bytes()
    (tmp / "rng_rank1.safetensors").write_bytes(data[:-4])
    assert not renames.whole_step_tmp(tmp, root / "step_000002.old")
    said = renames.finish_rename(root / "step_000002", renames.whole_step_tmp, "ckpt.resume")
    assert "step_000002.tmp is not whole; left as it is" in said, said
    assert (root / "step_000002.old").is_dir() and tmp.is_dir() and not (root / "step_000002").exists()


def test_a_rank_whose_read_of_old_fails_as_another_finishes_the_rename_lets_it_be(tmp_path):
    """Another rank renames .tmp in and removes .old while this one reads them (rglob raises FileNotFoundError
    on a folder removed under it): was a traceback on that rank; now None, the rename the other made kept."""
    root = tmp_path / "checkpoints"
    _step(root / "step_000002.old")
    _step(root / "step_000002.tmp")

    def racing(tmp, old):
        tmp.rename(root / "step_000002")
        raise FileNotFoundError(old / "deepspeed")

    assert renames.finish_rename(root / "step_000002", racing, "ckpt.resume") is None
    assert (root / "step_000002").is_dir()


def test_another_runs_step_folder_cut_between_its_renames_is_named_not_changed(tmp_path):
    """ckpt.resume=OTHER/checkpoints/step_N of another out_dir (an input, perhaps of a run still going, which would
    fail at its own rename): was renamed in by this run, its .old removed; now refused naming the state, unchanged."""
    import pytest

    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import resume_folder

    root = tmp_path / "other" / "checkpoints"
    _step(root / "step_000002.old")
    _step(root / "step_000002.tmp")
    cfg = TrainConfig()
    cfg.out_dir, cfg.ckpt.resume = str(tmp_path / "mine"), str(root / "step_000002")
    with pytest.raises(FileNotFoundError, match="step_000002.tmp beside it is a save cut between its two renames, "
                       "left as it is: another run's folder"):
        resume_folder(cfg)
    assert (root / "step_000002.old").is_dir() and (root / "step_000002.tmp").is_dir()
    assert not (root / "step_000002").exists()
    cfg.out_dir = str(tmp_path / "other")  # its own run's resume finishes it
    assert resume_folder(cfg) == root / "step_000002" and (root / "step_000002").is_dir()


def test_a_variable_whose_value_holds_a_dollar_is_expanded_once(tmp_path, monkeypatch, capsys):
    """rsvlm train expanded the config's paths twice (recipe_values, then preflight): out_dir=$V/run with V holding
    'a$b' was refused as naming $b, 'not set'; now expanded once, as a shell would."""
    from test_train_utils import make_records, recipe

    from rsvlm.train import main as train_main

    monkeypatch.delenv("b", raising=False)
    monkeypatch.setenv("RSVLM_REVIEW80", str(tmp_path / "a$b"))
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", "out_dir=$RSVLM_REVIEW80/run",
            "log.progress=false", "batch_size=4", "device=cpu", "max_steps=1"]
    assert train_main(argv) == 0, capsys.readouterr().err
    assert (tmp_path / "a$b" / "run" / "final").is_dir()


def test_images_there_relative_to_the_working_folder_are_said(tmp_path, capsys, monkeypatch):
    """No image found under data.root, yet the first is there relative to the working folder (a records file
    written with paths relative to where the user stands): the refusal says so and the setting that reads them."""
    from test_train_utils import make_records, recipe

    from rsvlm.train import main as train_main

    data = make_records(tmp_path / "d", n=6, ir_every=0)
    (tmp_path / "elsewhere").mkdir()
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"data.root={tmp_path / 'elsewhere'}",
            f"out_dir={tmp_path / 'run'}", "log.progress=false", "max_steps=2", "batch_size=2"]
    monkeypatch.chdir(tmp_path)
    assert train_main(argv) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith("set data.root to the folder they are relative to"), last  # not there: nothing more said
    monkeypatch.chdir(tmp_path / "d")
    assert train_main(argv) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith(f"set data.root to the folder they are relative to (the first is there relative to the "
                         f"working folder {tmp_path / 'd'}: set data.root=.)"), last
