"""Stop 69, training: one wording for a stem's broken link (check_links is vlm.check_stem_links plus the near
name), …"""

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
