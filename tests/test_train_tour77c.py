"""Stop 77 (round 3), training: a broken stem/encoder link (check_links) names the override or recipe file that
set the entry, and the training loop's build reuses preflight's transformers-source scans."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_train_utils import make_records

from rsvlm.train import main as train_main

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


@pytest.mark.parametrize("override, says", [
    ("model.encoders.defualt.width=8", "rsvlm train: override 'model.encoders.defualt.width=8' (command line): "
                                       "model.encoders.defualt: no stem reads it"),
    ("model.stems.optical.encoder=defualt", "rsvlm train: override 'model.stems.optical.encoder=defualt' "
                                            "(command line): model.stems.optical.encoder 'defualt' is not among"),
    ("model.stems.optcal.mean=[0,0,0]", "rsvlm train: override 'model.stems.optcal.mean=[0,0,0]' (command line): "
                                        "model.stems.optcal.modality is 'optical'"),
    ("model.encoders={defualt: {width: 8}}", "rsvlm train: override 'model.encoders={defualt: {width: 8}}' "
                                             "(command line): model.stems.optical.encoder 'default' is not among"),
])
def test_a_broken_link_names_the_override_that_set_it(override, says, tmp_path, capsys):
    """It named the entry alone ("model.encoders.defualt: no stem reads it …"), as if the recipe had it."""
    out = tmp_path / "run"
    argv = ["--config", str(SFT), f"data.train={tmp_path / 'train.jsonl'}", f"out_dir={out}", override]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "did you mean" in err and "Traceback" not in err, err
    assert not out.exists()


def test_a_broken_link_names_the_recipe_file_not_its_base(tmp_path, capsys):
    """A recipe's own encoders mapping (replacing its base's) left the base's stems reading an encoder gone: the
    recipe is named, not the base whose stem key is older."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"base: {SFT}\nmodel:\n  encoders:\n    defualt:\n      width: 8\n")
    argv = ["--config", str(recipe), f"data.train={tmp_path / 'train.jsonl'}", f"out_dir={tmp_path / 'run'}"]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rsvlm train: {recipe}: model.stems.optical.encoder 'default' is not among"), err


def test_config_by_picks_what_set_the_entry(tmp_path):
    from rsvlm.model.llm_files import HFConfigError
    from rsvlm.train.config import LinkError
    from rsvlm.train.flags import config_by

    base = tmp_path / "b.yaml"
    base.write_text("model:\n  stems:\n    optcal:\n      mean: [0, 0, 0]\n")
    recipe = tmp_path / "a.yaml"
    recipe.write_text(f"base: {base}\nseed: 1\n")
    stem = LinkError("model.stems.optcal.modality is 'optical' …", "model.stems.optcal")
    assert config_by(stem, str(recipe), []) == f"{base} (a base of {recipe}): "
    both = ["model.stems.optcal.mean=[1,1,1]", "seed=2", "model.stems.optcal.std=[1,1,1]"]
    assert config_by(stem, str(recipe), both) == \
        "overrides 'model.stems.optcal.mean=[1,1,1]', 'model.stems.optcal.std=[1,1,1]' (command line): "
    assert config_by(stem, str(recipe), ["model.stems={optcal: {}}"]) == \
        "override 'model.stems={optcal: {}}' (command line): "
    assert config_by(ValueError("model.stems.optcal …"), str(recipe), []) == ""  # the words alone do not count
    # llm.config refusals keep their naming
    assert config_by(HFConfigError("… hidden_sise", "model.llm.config.hidden_sise"), str(recipe), []) == f"{recipe}: "


def test_the_training_build_reuses_the_lookups_its_checks_made(monkeypatch, tmp_path):
    """A llm.config key near a defined one (moe_intermediate_size beside intermediate_size) was looked up in
    transformers' sources by the checks, then again by the loop's create_model (a dict of its own): the build
    takes the checks' dict now (``train(..., scans=)`` → ``build_model`` → ``create_model``)."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import llm_files
    from rsvlm.model.checks import check_model_config
    from rsvlm.train import loop
    from rsvlm.train.config import TrainConfig

    real, asked = llm_files.other_models_field, []
    monkeypatch.setattr(llm_files, "other_models_field", lambda key: asked.append(key) or real(key))
    cfg = load_config(TrainConfig, SFT, ["model.llm.config.moe_intermediate_size=8", "model.trainable.llm=lora"])
    scans: dict = {}
    with pytest.warns(UserWarning, match="moe_intermediate_size is not a LlamaConfig field"):
        check_model_config(cfg.model, scans=scans)  # as preflight's
        model, _ = loop.build_model(cfg, torch.device("cpu"), scans=scans)
    assert asked == ["moe_intermediate_size"] and "qwen2_moe" in scans["moe_intermediate_size"]
    assert model is not None
    seen = {}  # train hands its scans to the build

    class Built(Exception):
        pass

    def build(cfg, device, shapes=None, rank=0, scans=None):
        seen["scans"] = scans
        raise Built

    monkeypatch.setattr(loop, "build_model", build)
    run = load_config(TrainConfig, SFT, [f"data.train={make_records(tmp_path / 'd', n=8)}",
                                         f"out_dir={tmp_path / 'out'}", "batch_size=2", "max_steps=1"])
    with pytest.raises(Built):
        loop.train(run, checked=True, scans=scans)
    assert seen["scans"] is scans
