"""Review of helper M's tour 64 (model area): transformers' load bar under TQDM_DISABLE, a model folder holding a
stray adapter_config.json, and Sentinel-2's B1 … B13 given to the stem without the reader."""

from __future__ import annotations

import shutil
import time

import pytest
from conftest import Terminal


def _slow(n):
    for i in range(n):
        time.sleep(0.12)  # past the bar's delay and tqdm's 0.1 s between redraws
        yield i


def test_tqdm_disable_still_turns_off_the_load_bar_on_a_terminal(monkeypatch):
    """bars_after (2baa8b6) passes tqdm disable=None; a value given to tqdm comes before its TQDM_DISABLE environment
    variable, so the 'Loading weights' bar that TQDM_DISABLE=1 kept off before was drawn on a terminal."""
    import sys

    from transformers.utils import logging as hf_logging

    from rsvlm.model.quiet import bars_after

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    with bars_after(0.05):
        list(hf_logging.tqdm(_slow(3), total=3, desc="Loading weights", file=term))
    assert "Loading weights" not in term.getvalue()
    monkeypatch.delenv("TQDM_DISABLE")
    with bars_after(0.05):  # without it, a terminal still gets the bar
        list(hf_logging.tqdm(_slow(3), total=3, desc="Loading weights", file=term))
    assert "Loading weights" in term.getvalue()


@pytest.mark.parametrize("adapter_weights", [False, True])
def test_a_model_folder_with_a_stray_adapter_config_is_told_so_not_to_merge_it_into_its_base(tmp_path, base_dir,
                                                                                             adapter_weights):
    """A merged model's folder (config.json, model.safetensors) that also holds an adapter_config.json (left there,
    or with the adapter's weights beside it) is refused (6a58541): transformers reads adapter_config.json first and
    wants the adapter's weights (FileNotFoundError without them) or puts the adapter on the model. It was told it
    'is a peft adapter ... not a model: merge it into its base first', though it is a model: it is told what it
    holds and to move adapter_config.json out where the folder is the model."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from rsvlm.model.llm import LLMConfig, build_llm

    lora = get_peft_model(AutoModelForCausalLM.from_pretrained(base_dir), LoraConfig(r=2, target_modules=["q_proj"]))
    lora.save_pretrained(tmp_path / "adapter")
    folder = shutil.copytree(base_dir, tmp_path / "merged")
    for f in ("adapter_config.json", *(("adapter_model.safetensors",) if adapter_weights else ())):
        shutil.copy(tmp_path / "adapter" / f, folder)
    with pytest.raises(ValueError) as e:
        build_llm(LLMConfig(name_or_path=str(folder)))
    msg = str(e.value)
    assert msg.startswith(f"llm.name_or_path: {folder} holds a model (config.json, model.safetensors) and a peft "
                          "adapter's adapter_config.json"), msg
    assert f"move {folder / 'adapter_config.json'} out of it" in msg and "merge it into its base" not in msg
    assert ("and adapter_model.safetensors: transformers would put that adapter on the model" in msg) is adapter_weights
    assert ("without the adapter's weights (left there by a merge?)" in msg) is not adapter_weights
