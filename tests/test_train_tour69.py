"""Stop 69, training: one wording for a stem's broken link (check_links is vlm.check_stem_links plus the near
name), a key asking for evaluation while it trains told that training never evaluates, a stage that leaves out
some of its init_from source's stems or encoders (restating model.stems or model.encoders) starting from the rest,
a run none of whose images was found told where relative image paths are read from, and model.stems.sar=null told
how to leave an entry out."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig, check_links

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


@pytest.mark.parametrize("override", ["model.stems.ir.encoder=thermal", "model.stems.ir.modality=tir"])
def test_a_broken_stem_link_reads_as_the_models_own_check_says_it(override):
    """check_links said "is not among model.encoders (default, sar)", check_stem_links "['default', 'sar']"."""
    from rsvlm.model.vlm import check_stem_links

    cfg = load_config(TrainConfig, SFT, [override])
    with pytest.raises(ValueError) as own:
        check_stem_links(cfg.model, "model.")
    with pytest.raises(ValueError) as train:
        check_links(cfg.model)
    assert str(train.value).startswith(str(own.value)), (str(train.value), str(own.value))


EVAL = "rsvlm train does not evaluate while it trains: save step folders with ckpt.every=N"


@pytest.mark.parametrize("override", ["eval.steps=500", "eval_steps=500", "--eval_steps=5", "do_eval=true",
                                      "evaluation_strategy=steps", "data.val=x.jsonl"])
def test_an_evaluation_key_says_training_does_not_evaluate_and_what_to_do(override, tmp_path, capsys):
    """eval.steps=500 was offered max_steps=500 (a key of another meaning); eval_steps and do_eval were offered
    nothing, and nothing said that rsvlm train never evaluates, so that a run set to evaluate never did."""
    from rsvlm.train import main

    out = tmp_path / "run"
    assert main(["--config", str(SFT), f"data.train={tmp_path / 't.jsonl'}", f"out_dir={out}", override]) == 2
    err = capsys.readouterr().err
    assert EVAL in err and "export_step.py" in err and "rsvlm eval --model" in err, err
    assert "max_steps=" not in err and not out.exists()


def test_a_recipes_eval_section_is_told_so_beside_a_misspelt_key(tmp_path):
    from rsvlm.config import ConfigError

    path = tmp_path / "r.yaml"
    path.write_text(f"base: {SFT}\neval: {{steps: 500}}\nmax_step: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    assert "(did you mean max_steps?)" in str(e.value) and EVAL in str(e.value), str(e.value)


def test_a_config_that_is_no_training_one_is_not_told_of_training():
    """The words are for a training config; a model config's unknown 'val' key gets the usual refusal."""
    from rsvlm.config import ConfigError
    from rsvlm.model.vlm import VLMConfig

    with pytest.raises(ConfigError) as e:
        load_config(VLMConfig, REPO / "configs" / "model" / "tiny.yaml", ["val=1"])
    assert "unknown key 'val'" in str(e.value) and "rsvlm train" not in str(e.value)


OPTICAL = ("model.stems={optical: {modality: optical, bands: [R, G, B], mean: [0.5, 0.5, 0.5], "
           "std: [0.25, 0.25, 0.25], encoder: default}}")
ONE_ENCODER = ("model.encoders={default: {type: open_clip, width: 64, layers: 2, heads: 4, patch_size: 8, "
               "image_size: 32, feature_layer: -2, pos_embed: learned}}")


def test_a_stage_leaving_out_its_sources_sar_encoder_and_stems_starts_from_the_rest(ckpt, capsys):
    """An optical-only stage from a four-stem source was refused ("unexpected ['encoders.sar.visual…']") whatever
    it restated: no stage could leave a part of its source out. The rest is loaded; what is left out is named."""
    import torch

    from rsvlm.model import create_model
    from rsvlm.model.weights import open_safetensors
    from rsvlm.train.init_from import check_init_from
    from rsvlm.train.loop import init_vision

    cfg = load_config(TrainConfig, SFT, [OPTICAL, ONE_ENCODER, f"init_from={ckpt}"])
    check_init_from(cfg)  # preflight's check: was a ValueError
    model, _ = create_model(cfg.model)
    init_vision(model, ckpt)
    err = capsys.readouterr().err
    assert "encoders.sar, projectors.sar, stems.ir, stems.msi, stems.sar of " in err and "left out" in err, err
    with open_safetensors(ckpt / "vision.safetensors") as h:
        for k in ("encoders.default.visual.conv1.weight", "stems.optical.mix", "projectors.default.net.0.weight"):
            own = model.state_dict()[k]
            assert torch.equal(own, h.get_tensor(k).to(own.dtype)), k


def test_a_stage_with_a_stem_its_source_lacks_is_told_which_and_what_to_write(ckpt, tmp_path):
    """The other way round (an optical-only source, a four-stem stage) named 72 keys as "missing [first 8]"."""
    from rsvlm.model import create_model
    from rsvlm.train.init_from import check_init_from

    source, _ = create_model(load_config(TrainConfig, SFT, [OPTICAL]).model)
    source.save_pretrained(tmp_path / "optical")
    cfg = load_config(TrainConfig, SFT, [f"init_from={tmp_path / 'optical'}"])
    with pytest.raises(ValueError) as e:
        check_init_from(cfg)
    said = str(e.value)
    assert "model section has model.stems.ir, model.stems.msi, model.stems.sar, which the source lacks" in said, said
    assert "model.stems={…}" in said and "missing [" not in said


def test_a_run_none_of_whose_images_is_found_says_where_relative_paths_are_read_from(tmp_path):
    """Records copied away from their images failed with 52 'image not found' samples and no word of data.root."""
    from rsvlm.train.run import TooManyBadSamples, check_bad

    cfg = load_config(TrainConfig, SFT, [f"data.train={tmp_path / 'copy' / 'train.jsonl'}"])
    state = {"samples": 52, "bad": 52, "bad_ids": ["a"], "first_bad": "a: FileNotFoundError: image not found: x.png"}
    with pytest.raises(TooManyBadSamples) as e:
        check_bad(state, cfg, final=False)
    said = str(e.value)
    assert f"read from the records file's folder ({tmp_path / 'copy'}), data.root being unset" in said, said
    assert "set data.root to the folder they are relative to" in said
    cfg.data.root = str(tmp_path / "images")
    with pytest.raises(TooManyBadSamples, match=f"read from data.root={tmp_path / 'images'} "):
        check_bad(state, cfg, final=False)
    state.update(bad=40)  # some found: the records point at their images; no word of where they are read from
    with pytest.raises(TooManyBadSamples) as e:
        check_bad(state, cfg, final=False)
    assert "data.root" not in str(e.value)


def test_null_for_a_stem_says_how_to_leave_it_out(tmp_path):
    """model.stems.sar=null said "None is not allowed (expected StemConfig)": not how a stage leaves sar out."""
    from rsvlm.config import ConfigError

    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, SFT, ["model.stems.sar=null"])
    assert ("model.stems.sar: null does not remove an entry of model.stems; give model.stems whole, with the entries "
            "to keep and without sar, model.stems={optical: {…}, msi: {…}, ir: {…}}") in str(e.value), str(e.value)
    path = tmp_path / "r.yaml"
    path.write_text(f"base: {SFT}\nmodel:\n  encoders:\n    sar: null\n")
    with pytest.raises(ConfigError, match=r"model\.encoders\.sar: null does not remove an entry of model\.encoders"):
        load_config(TrainConfig, path)
    with pytest.raises(ConfigError, match=r"model\.llm: None is not allowed \(expected LLMConfig\)"):
        load_config(TrainConfig, SFT, ["model.llm=null"])  # a section, no entry: as before
