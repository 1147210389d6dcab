"""Review of stop 79's training round 2 (P4): the pickled-base check belongs to the LM loop's preflight (a
contrastive run builds no LLM), and a resumed run's final/ save names the files of the last final/ it removes."""

from __future__ import annotations

import pytest
from test_train_tour79b import bin_base  # noqa: F401 (the fixture: conftest's tiny base as pytorch_model.bin)
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def test_a_contrastive_run_on_a_pickled_lora_base_is_not_refused(bin_base, tmp_path, monkeypatch, capsys):  # noqa: F811
    """pretrain_encoder_tiny's trainable.llm is lora (the default) and it never builds or saves an LLM: rsvlm train
    refused it for a .bin-only model.llm.name_or_path (check_lora_base ran after preflight for every objective)."""
    import rsvlm.train.loop as loop

    ran = []
    monkeypatch.setattr(loop, "train", lambda cfg, **kw: ran.append(cfg.objective))  # preflight alone is checked
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}",
            f"out_dir={tmp_path / 'run'}", "device=cpu", f"model.llm.name_or_path={bin_base}",
            "model.llm.config=null", "model.trainable.llm=lora", "log.progress=false"]
    assert train_main(argv) == 0, capsys.readouterr().err
    assert ran == ["clip"]
    assert "pickled" not in capsys.readouterr().err


def test_a_resumed_final_save_names_the_users_files_it_replaced(tmp_path, capsys):
    """final/ is replaced whole since 938a236c: a notes file kept in it was deleted without a word (before, the
    save overwrote its own files and left the others)."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", "ckpt.every=1", "device=cpu"]
    assert train_main([*argv, "max_steps=1"]) == 0
    (out / "final" / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert (f"[rsvlm.train] warning: {out / 'final'}: the last run's final/ was replaced whole, with 1 file in it "
            "this save does not write: notes.txt") in err, err
    assert err.count("replaced whole") == 1
    assert not (out / "final" / "notes.txt").exists() and (out / "final" / "vision.safetensors").is_file()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("final")) == ["final"]



def test_a_killed_final_saves_folders_count_as_the_runs_outputs(tmp_path):
    """Killed between its two renames, a final/ save leaves final.old and final.tmp alone: a fresh run there was
    not refused, and overwrite=true removed the rest and left them (a half-written model beside the new run)."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_out_dir, start_out_dir

    out = tmp_path / "run"
    for name in ("final.old", "final.tmp"):
        (out / name).mkdir(parents=True)
        (out / name / "vision.safetensors").write_bytes(b"x")
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"out_dir={out}", f"data.train={tmp_path / 'a.jsonl'}"])
    with pytest.raises(FileExistsError, match=r"already holds a run \(final.tmp, final.old\)"):
        check_out_dir(cfg)
    cfg.overwrite = True
    start_out_dir(cfg, rank=0)
    assert not (out / "final.old").exists() and not (out / "final.tmp").exists()
