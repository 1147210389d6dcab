"""Tour 78, round 2 of model loading: llm.config overrides a checkpoint's load cannot use, an adapter-only save
whose base has nothing to fingerprint."""

import shutil
import warnings

import pytest
from conftest import REPO


def test_an_llm_config_override_on_a_checkpoint_with_its_own_llm_is_said_unused(ckpt):
    """``llm.config.hidden_sise=8`` (a typo) and ``llm.config.hidden_size=8`` were ignored without a word, the LLM
    coming from llm/: a note names each override and why."""
    from rsvlm.model import load_pretrained

    with pytest.warns(UserWarning, match=r"overrides 'llm.config.hidden_sise=8', 'llm.config.hidden_size=8' not "
                                         r"used: the LLM is loaded from .*llm, whose config.json sets its model"):
        model, _ = load_pretrained(ckpt, overrides=["llm.config.hidden_sise=8", "llm.config.hidden_size=8"])
    assert model.llm.config.hidden_size != 8
    with warnings.catch_warnings():  # no override of llm.config: no note
        warnings.simplefilter("error")
        load_pretrained(ckpt, overrides=["llm.chat_template=rsvlm"])


def _cfg(base, *over: str):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                       [f"llm.name_or_path={base}", "llm.config=null", f"llm.tokenizer={base}", *over])


def test_an_adapter_only_save_on_an_adapter_base_override_is_said_unused_too(base_dir, tmp_path):
    """An adapter-only checkpoint's LLM is its base folder's: llm.config and llm.loc_init are not read there either."""
    from rsvlm.model import create_model, load_pretrained, save_pretrained

    model, _ = create_model(_cfg(base_dir, "trainable.llm=lora"))
    save_pretrained(model, tmp_path / "ckpt", adapter_only=True)
    with pytest.warns(UserWarning, match=f"overrides 'llm.config.num_hidden_layers=9', 'llm.loc_init=sincos' not used: "
                                         f"the LLM is loaded from {base_dir}"):
        load_pretrained(tmp_path / "ckpt", overrides=["llm.config.num_hidden_layers=9", "llm.loc_init=sincos"])


def test_an_adapter_only_save_on_a_base_of_bin_files_says_no_fingerprint_was_written(base_dir, tmp_path):
    """A base of pytorch_model.bin alone has no safetensors to fingerprint: the save wrote no rsvlm_base.json and
    said nothing, so a merge onto another base of its shapes would not be caught; now it says so."""
    import torch
    from safetensors.torch import load_file

    from rsvlm.model import create_model, save_pretrained
    from rsvlm.model.base_print import FINGERPRINT

    base = shutil.copytree(base_dir, tmp_path / "binbase")
    torch.save(load_file(base / "model.safetensors"), base / "pytorch_model.bin")
    (base / "model.safetensors").unlink()
    model, _ = create_model(_cfg(base, "trainable.llm=lora"))
    with pytest.warns(UserWarning, match=f"no {FINGERPRINT} written: the base {base} has no safetensors weights"):
        save_pretrained(model, tmp_path / "ckpt", adapter_only=True)
    assert not (tmp_path / "ckpt" / "adapter" / FINGERPRINT).exists()
    model, _ = create_model(_cfg(base_dir, "trainable.llm=lora"))  # a safetensors base: recorded, no note
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_pretrained(model, tmp_path / "ckpt2", adapter_only=True)
    assert (tmp_path / "ckpt2" / "adapter" / FINGERPRINT).is_file()


def test_llm_config_null_is_not_said_unused_and_a_refused_loc_init_is_only_refused(ckpt):
    """Review 78 (P4): ``llm.config=null``, written beside a base as the configs do, was told 'not used … drop it';
    ``llm.loc_init=bogus`` was said unused and then refused."""
    from rsvlm.model import load_pretrained

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_pretrained(ckpt, overrides=["llm.config=null"])
    with warnings.catch_warnings(record=True) as said, pytest.raises(ValueError, match="llm.loc_init must be one of"):
        warnings.simplefilter("always")
        load_pretrained(ckpt, overrides=["llm.loc_init=bogus"])
    assert not [w for w in said if "not used" in str(w.message)], [str(w.message) for w in said]


def test_a_base_found_nowhere_is_not_said_to_lack_safetensors(tmp_path):
    """record_base's note for a base with no folder (a hub name not cached) said it 'has no safetensors weights'."""
    from rsvlm.model.base_print import FINGERPRINT, record_base

    note = record_base(tmp_path, "org/not-cached", None)
    assert "the base org/not-cached is no folder here nor in the hub cache" in note and "safetensors weights" not in note
    assert not (tmp_path / FINGERPRINT).exists()
