"""Review of helper M's tour 64 (model area): transformers' load bar under TQDM_DISABLE and with stderr closed, a
model folder (local or cached) holding a stray adapter_config.json, a name that is no repo id, and Sentinel-2's
B1 … B13 given to the stem without the reader."""

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


def test_b1_to_b13_given_to_the_stem_are_read_as_the_reader_reads_them():
    """The reader reads 13 bands numbered B1 … B13 as Sentinel-2's 13 in order, B8A the 9th (rsvlm.io.products); an
    array given with those names (ImageInput(arr, "msi", bands=[...]), docs/models.md's Python use) went to
    match_bands alone, where B9 was B09 and B13 no band: the bundled model's SWIR1/SWIR2 (B11, B12) took the 11th and
    12th bands, Sentinel-2's B10 (cirrus) and B11, without a word. The reader's names are left as they are."""
    from rsvlm.io.products import S2_ORDER
    from rsvlm.model.stem import StemConfig, match_bands

    stem = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08", "B11", "B12"])
    m = match_bands(stem, [f"B{i}" for i in range(1, 14)], 13, "s2.tif")
    assert m.index == [1, 2, 3, 7, 11, 12], m.index
    assert any(n.startswith("13 bands numbered B1 … B13 read as Sentinel-2's 13 in their order, B8A the 9th")
               for n in m.notes), m.notes
    assert match_bands(stem, list(S2_ORDER), 13).index == [1, 2, 3, 7, 11, 12]  # as the reader gives them
    with pytest.raises(ValueError, match="expects 6 band"):  # a reader's unnamed b1 … b13: not guessed
        match_bands(stem, [f"b{i}" for i in range(1, 14)], 13)


@pytest.mark.parametrize("offline", ["1", "0"])
def test_a_name_that_is_no_repo_id_is_named_with_its_key(monkeypatch, offline):
    """check_llm_files looks a hub name up in the cache online too since 6a58541 (cached_folder); a name that is no
    repo id ('my model') raised huggingface_hub's 'Repo id must use alphanumeric chars …', naming no key."""
    from huggingface_hub import constants

    from rsvlm.model.checks import check_llm_files
    from rsvlm.model.llm import LLMConfig

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline == "1")
    with pytest.raises(ValueError, match=r"^model\.llm\.name_or_path: my model is no local folder and no hub name "
                                         r"\(Repo id must use"):
        check_llm_files(LLMConfig(name_or_path="my model"), "model.llm")


def test_a_slow_load_with_stderr_closed_goes_on(monkeypatch):
    """python run with its stderr closed (2>&-, sys.stderr None): transformers' load bar, once the load had taken its
    delay, raised AttributeError ('NoneType' object has no attribute 'write') and stopped the load; it draws nothing."""
    import sys

    from transformers.utils import logging as hf_logging

    from rsvlm.model.quiet import bars_after

    monkeypatch.setattr(sys, "stderr", None)
    with bars_after(0.05):
        assert list(hf_logging.tqdm(_slow(3), total=3, desc="Loading weights")) == [0, 1, 2]


def test_a_cached_hub_model_with_an_adapter_config_is_named_by_its_hub_name(tmp_path, base_dir, monkeypatch):
    """The same for a hub name whose cached files hold a model and an adapter_config.json: named by the hub name
    (the user's words) and its cached folder, and not told to move a file inside the Hugging Face cache."""
    from conftest import hub_cache, peft_adapter

    from rsvlm.model.llm import LLMConfig, build_llm

    folder = shutil.copytree(base_dir, tmp_path / "model")
    shutil.copy(peft_adapter(base_dir, tmp_path / "adapter") / "adapter_config.json", folder)
    snap = hub_cache(tmp_path, monkeypatch, "acme/merged", folder)
    with pytest.raises(ValueError) as e:
        build_llm(LLMConfig(name_or_path="acme/merged"))
    msg = str(e.value)
    assert msg.startswith(f"llm.name_or_path: acme/merged (the Hugging Face cache's {snap}) holds a model"), msg
    assert "copy its files but adapter_config.json into a folder and give that" in msg and "move" not in msg
