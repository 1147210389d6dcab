"""Training review 67: tour 67's key hints weighed key by key, and a section's own key kept before an exact
name elsewhere where it is that name with a word left out or added."""

import pytest
from test_train_tour67 import TINY, refusal, resume_renamed_under_5e2de20f_prints, written

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def test_an_override_keeps_its_sections_key_with_a_word_more():
    """Tour 67 put an exact name elsewhere before any near one in the section written: lora_target_modules
    under model.llm was offered the encoders' key, though model.llm.target_modules is it less "lora_" (patch_size=16
    still gets the encoders' key: tour 67's test)."""
    text = refusal(TINY, ["model.llm.lora_target_modules=[q]"])
    assert text.endswith("(did you mean model.llm.target_modules=[q]?)"), text


@pytest.mark.parametrize("text, hint", [
    ("model:\n  llm:\n    lora_target_modules: [q]\n", "model.llm.target_modules"),
    ("model:\n  encoders:\n    default:\n      target_modules: [q]\n", "model.encoders.default.lora_target_modules"),
])
def test_a_recipe_keeps_its_sections_key_with_a_word_less_or_more(tmp_path, text, hint):
    """The same in a recipe: an encoder's target_modules was offered model.llm.target_modules."""
    said = refusal(written(tmp_path, text))
    assert said.endswith(f"(did you mean {hint}?)"), said


@pytest.mark.parametrize("text, hint", [
    ("patch_size: 16\nbatch_sze: 2\n", "batch_size for batch_sze, model.encoders.NAME.patch_size for patch_size"),
    ("lora_r: 8\nbatch_sze: 2\n", "batch_size for batch_sze, model.llm.lora_r for lora_r"),
])
def test_each_of_several_unknown_keys_gets_its_own_hint(tmp_path, text, hint):
    """With a second unknown key, patch_size was offered batch_size again (the exact name elsewhere counted only
    where every key had one), and lora_r nothing where another key was near one here."""
    said = refusal(written(tmp_path, text))
    assert said.endswith(f"(did you mean {hint}?)"), said


def test_a_renamed_records_file_over_2_mib_under_5e2de20f_prints_says_what_was_compared(tmp_path, capsys):
    """Tour 67 said of every file matched by 5e2de20f's prints that a record edited in its middle goes unseen: so it
    does past 2 MiB (a file up to 2 MiB is all in its first and last MiB, and is said to be the same bytes)."""
    text = b"".join(b'{"id": "%07d"}\n' % i for i in range(200_000))  # 3.2 MB
    resume_renamed_under_5e2de20f_prints(tmp_path, text)
    err = capsys.readouterr().err
    assert "; data.train: the same size and first and last MiB as the checkpoint's files" in err, err
    assert "a record edited in the middle goes unseen" in err and "data position" not in err, err


@pytest.mark.parametrize("name", ["sft_tiny", "align_tiny", "qlora_tiny", "pretrain_encoder_tiny"])
def test_a_tiny_recipe_states_its_global_batch_for_the_launcher(name):
    """The tiny recipes had no '# global_batch: N' header, so scripts/launch.py refused them (docs/distributed.md
    names it for CPU ranks): N is the recipe's batch_size × grad_accum on one process, kept on two."""
    from conftest import load_script

    launch = load_script("launch")
    path = f"configs/train/{name}.yaml"
    cfg = load_config(TrainConfig, path)
    n = launch.recipe_global_batch(path)
    assert n == cfg.batch_size * cfg.grad_accum
    assert launch.build(path, "torchrun", 1, 1).grad_accum == cfg.grad_accum
    deepspeed = [] if cfg.objective == "clip" else ["dist.deepspeed=configs/deepspeed/zero2.json"]
    two = launch.build(path, "torchrun", 1, 2, overrides=[f"batch_size={cfg.batch_size // 2}", *deepspeed])
    assert (two.world_size, two.micro_batch * two.grad_accum * 2) == (2, n)
