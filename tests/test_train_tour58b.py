"""Training follow-ups of tour 58: ``init_from`` into a stage whose encoder has LoRA, the export's advice on a
``checkpoints/`` folder, and the launcher refusing a missing or empty records file before it starts anything."""

from __future__ import annotations

import pytest
from test_train_utils import REPO


def test_init_from_starts_a_lora_wrapped_encoder_from_the_source_weights(ckpt):
    """``trainable.encoder: lora`` (the multisensor SFT recipe) wraps each MLP layer, so its weight is
    ``c_fc.base_layer.weight`` where the source has ``c_fc.weight``: preflight and ``init_vision`` refused every
    such stage with missing and unexpected keys. The source's weights are the base layers' now, the LoRA starts as
    LoRA starts, and the LLM (from ``model.llm.name_or_path``) takes its weights under its own LoRA."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model.checkpoint import base_llm_state_dict
    from rsvlm.model.vision import read_state_dict
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.init_from import check_init_from
    from rsvlm.train.loop import build_model

    lora = ["model.trainable.encoder=lora", f"model.llm.name_or_path={ckpt / 'llm'}", "model.llm.config=null",
            f"model.llm.tokenizer={ckpt / 'tokenizer'}"]
    cfg = load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml", [f"init_from={ckpt}", *lora])
    check_init_from(cfg)  # ValueError: missing [...c_fc.base_layer.bias ...], unexpected [...c_fc.bias ...]
    model, _ = build_model(cfg, torch.device("cpu"))
    fresh, _ = build_model(load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml", lora), torch.device("cpu"))
    source, own, init = read_state_dict(ckpt / "vision.safetensors"), model.state_dict(), fresh.state_dict()
    wrapped = [k for k in own if ".base_layer." in k and not k.startswith("llm.")]
    assert wrapped, "no encoder layer is LoRA-wrapped: the test tests nothing"
    for k in wrapped:
        assert torch.equal(own[k], source[k.replace(".base_layer.", ".")]), k
    plain = [k for k in source if k in own]
    assert plain and all(torch.equal(own[k], source[k]) for k in plain)
    adapters = [k for k in own if "lora_" in k and not k.startswith("llm.")]
    assert adapters and all(torch.equal(own[k], init[k]) for k in adapters)
    assert not any(own[k].any() for k in adapters if "lora_B" in k)  # the wrapped layers compute the source's
    llm = {k: v for k, v in base_llm_state_dict(model.llm).items()}
    saved_llm = base_llm_state_dict(type(model.llm.get_base_model()).from_pretrained(ckpt / "llm"))
    assert saved_llm.keys() == llm.keys() and all(torch.equal(llm[k], saved_llm[k]) for k in llm)


def test_export_of_a_checkpoints_folder_names_its_latest_step_without_resume_advice(tmp_path, capsys, monkeypatch):
    """``scripts/export_step.py OUT/checkpoints`` said "give one (the latest is …), or ckpt.resume=auto": resume
    advice means nothing to an export; resume's own message keeps it."""
    from script_loader import load_script

    from rsvlm.train import checkpoint as ckpt

    root = tmp_path / "run" / "checkpoints"
    (root / "step_000004").mkdir(parents=True)
    export = load_script("export_step", monkeypatch)
    assert export.main([str(root), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert f"it holds step folders: give one (the latest is {root / 'step_000004'})\n" in err, err
    assert "ckpt.resume" not in err and not (tmp_path / "m").exists()
    with pytest.raises(FileNotFoundError, match=r"give one \(the latest is .*step_000004\), or ckpt\.resume=auto\)$"):
        ckpt.check_step_folder(root, 0, deepspeed=False)


@pytest.mark.parametrize("records, says", [("gone.jsonl", r"data\.train: .*gone\.jsonl"),
                                           ("empty.jsonl", r"data\.train: .*empty\.jsonl is empty \(no record line\)")])
def test_the_launcher_refuses_a_missing_or_empty_records_file_before_starting_anything(
        tmp_path, monkeypatch, capsys, records, says):
    """Each rank refused it once started, then the launcher said "no step folder was saved", which sent the user
    looking for a checkpoint problem; preflight's own check (``run.check_data_paths``) is asked first now."""
    import re

    from script_loader import load_script
    from test_train_utils import recipe

    launch = load_script("launch", monkeypatch)
    (tmp_path / "empty.jsonl").write_text("\n")
    cfg = tmp_path / "r.yaml"
    cfg.write_text("# global_batch: 4\n" + recipe(tmp_path, out_dir=str(tmp_path / "run")).read_text())
    monkeypatch.setattr(launch, "launcher_path", lambda name: pytest.fail("the launcher was started"))
    given = f"data.train={tmp_path / records}"
    assert launch.main([str(cfg), "--launcher", "torchrun", "--gpus-per-node", "1", given]) == 2
    err = capsys.readouterr().err
    assert re.match(rf"launch: {says}", err) and err.count("\n") == 1 and "step folder" not in err, err
    assert launch.main([str(cfg), "--launcher", "torchrun", "--gpus-per-node", "1", "--dry-run", given]) == 0


def test_init_from_a_stage_with_encoder_lora_into_one_without_says_to_merge_it(tmp_path):
    """The multisensor SFT's ``final/`` holds its encoder's LoRA (``c_fc.base_layer.weight``, ``c_fc.lora_A…``):
    chained into a stage with a frozen or full encoder it was refused with 16 missing and unexpected key names
    and no word of what to do. It names ``rsvlm merge-lora``, whose output is taken."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, merge_lora
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.init_from import check_init_from

    torch.manual_seed(0)
    src = tmp_path / "sft"
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", ["trainable.encoder=lora"]))
    model.save_pretrained(src)

    def cfg(folder, encoder):
        return load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml",
                           [f"init_from={folder}", f"model.trainable.encoder={encoder}"])

    check_init_from(cfg(src, "lora"))  # the same LoRA: carried on
    for encoder in ("frozen", "full"):
        with pytest.raises(ValueError, match=rf"its encoder holds LoRA layers \(\d+ tensors, e\.g\. .*lora_A.*\) "
                                             rf"and this stage's has none; fold them in with rsvlm merge-lora "
                                             rf"--model {src} --out"):
            check_init_from(cfg(src, encoder))
    merge_lora(src, tmp_path / "merged")
    check_init_from(cfg(tmp_path / "merged", "frozen"))


@pytest.mark.parametrize("given, says", [
    ("run/checkpoints", "not a step folder; it holds step folders: give one (the latest is {run}/checkpoints/"
                        "step_000002), or ckpt.resume=auto"),
    ("run", "not a step folder; this is a run's out_dir: its step folders are in {run}/checkpoints"),
    ("other/checkpoints", "not a step folder; it holds step folders: give one (the latest is {tmp}/other/"
                          "checkpoints/step_000004)"),
])
def test_a_resume_from_a_folder_of_step_folders_says_which_step_not_to_choose_another_out_dir(
        tmp_path, capsys, sft_record, given, says):
    """``ckpt.resume=OUT/checkpoints`` (a step folder meant) into that same ``out_dir`` was refused as continuing
    another run: "choose another out_dir, or replace that run with overwrite=true", which would lose the run."""
    from test_train_utils import recipe

    from rsvlm.train import main as train_main

    run = tmp_path / "run"
    (run / "checkpoints" / "step_000002").mkdir(parents=True)
    (run / "metrics.jsonl").write_text("{}\n")
    (tmp_path / "other" / "checkpoints" / "step_000004").mkdir(parents=True)
    args = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={run}", "log.progress=false",
            f"ckpt.resume={tmp_path / given}"]
    assert train_main(args) == 2
    err = capsys.readouterr().err
    assert err == f"rsvlm train: ckpt.resume={tmp_path / given}: {says.format(run=run, tmp=tmp_path)}\n", err
