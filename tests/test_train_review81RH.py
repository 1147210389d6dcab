"""Review 81 (RH): scripts/export_step.py exported a step_N.tmp (a save never finished) or a step_N.old (set aside to
be deleted) without a word; the checks moved to rsvlm/train/config_checks.py import first in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

import torch
from safetensors.torch import save_file
from script_loader import load_script


def plain_step(folder, drop: str | None = None):
    """A plain-engine step folder of rank 0 whose files parse (``drop``: one left out)."""
    folder.mkdir(parents=True)
    (folder / "train_config.yaml").write_text("seed: 0\n")
    for name in ("trainable.safetensors", "optimizer.safetensors", "rng_rank0.safetensors"):
        save_file({"w": torch.zeros(2)}, str(folder / name))
    for name in ("optimizer.json", "scheduler.json", "rng_rank0.json", "trainer_state_rank0.json"):
        (folder / name).write_text(json.dumps({"step": 4}))
    if drop:
        (folder / drop).unlink()
    return folder


def exported(tmp_path, monkeypatch, capsys, step):
    """scripts/export_step.py on ``step`` (rsvlm.train.loop.export_step a stand-in writing a model folder): its exit
    status and stderr."""
    export = load_script("export_step", monkeypatch)

    def written(folder, out):
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.yaml").write_text("exported from " + folder.name)
        return out

    monkeypatch.setattr("rsvlm.train.loop.export_step", written)
    out = tmp_path / f"out_{step.name}"
    rc = export.main([str(step), "--out", str(out)])
    return rc, capsys.readouterr().err, out


def test_a_whole_unfinished_save_is_exported_with_a_warning_naming_it(tmp_path, monkeypatch, capsys):
    ckpts = tmp_path / "run" / "checkpoints"
    plain_step(ckpts / "step_000002")
    tmp = plain_step(ckpts / "step_000004.tmp")
    rc, err, out = exported(tmp_path, monkeypatch, capsys, tmp)
    assert rc == 0 and (out / "config.yaml").read_text() == "exported from step_000004.tmp"
    warning = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warning) == 1, err  # was: no line at all
    assert f"{tmp}: an unfinished save of step_000004" in warning[0]
    assert "its files are there and parse" in warning[0]
    assert "step_000002" not in warning[0]  # whole: exported as that step, no other offered in its place


def test_an_unfinished_save_missing_a_file_names_the_step_to_export_instead(tmp_path, monkeypatch, capsys):
    ckpts = tmp_path / "run" / "checkpoints"
    before = plain_step(ckpts / "step_000002")
    tmp = plain_step(ckpts / "step_000004.tmp", drop="scheduler.json")
    rc, err, _ = exported(tmp_path, monkeypatch, capsys, tmp)
    assert rc == 0  # its weights are whole: exported, said
    assert "some of its files are missing or cut" in err
    assert f"export the step before it: python scripts/export_step.py {before} --out DIR" in err


def test_an_unfinished_save_beside_its_finished_one_points_at_that(tmp_path, monkeypatch, capsys):
    ckpts = tmp_path / "run" / "checkpoints"
    done = plain_step(ckpts / "step_000004")
    _, err, _ = exported(tmp_path, monkeypatch, capsys, plain_step(ckpts / "step_000004.tmp"))
    assert f"{done} is that step's finished save: export it instead" in err
    old = ckpts / "step_000004.old"
    (ckpts / "step_000004.tmp").rename(old)
    _, err, _ = exported(tmp_path, monkeypatch, capsys, old)
    assert f"{old}: a step folder set aside to be deleted" in err and "the run's next save deletes it" in err


def test_a_finished_step_folder_is_exported_without_a_warning(tmp_path, monkeypatch, capsys):
    rc, err, _ = exported(tmp_path, monkeypatch, capsys, plain_step(tmp_path / "run" / "checkpoints" / "step_000004"))
    assert rc == 0 and "warning" not in err and "unfinished" not in err


def test_the_config_checks_module_imports_first_in_a_fresh_process():
    code = ("import rsvlm.train.config_checks as c; from rsvlm.train.config import TrainConfig, check_config; "
            "t = TrainConfig(); t.data.train = 'x'; c.check_config(t); t.data.augment = 'flp'\n"
            "try:\n    check_config(t)\nexcept ValueError as e:\n    print(e)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr  # an import cycle at load time would be an ImportError here
    assert "data.augment must be none, flip or dihedral, got 'flp'; did you mean flip?" in run.stdout


def test_a_resume_from_an_unfinished_save_says_so_on_rank_0(tmp_path, capsys):
    from rsvlm.config import save_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_changes

    cfg = TrainConfig()
    cfg.data.train, cfg.out_dir = str(tmp_path / "train.jsonl"), str(tmp_path / "run")
    ckpts = tmp_path / "run" / "checkpoints"
    done = plain_step(ckpts / "step_000004")
    tmp = plain_step(ckpts / "step_000004.tmp", drop="optimizer.json")
    for folder in (done, tmp):
        save_config(cfg, folder / "train_config.yaml")
    check_changes(tmp, cfg, 0, [None])
    err = capsys.readouterr().err  # was: nothing; the run said only 'resumed from …step_000004.tmp at step 4'
    assert f"warning: ckpt.resume: {tmp}: an unfinished save of step_000004" in err
    assert "some of its files are missing or cut" in err
    assert f"{done} is that step's finished save: resume from it instead, ckpt.resume={done}" in err
    check_changes(tmp, cfg, 1, [None])  # the other ranks say nothing
    check_changes(done, cfg, 0, [None])  # nor a finished step
    assert capsys.readouterr().err == ""
