"""Stop 76, model loading/saving and weight comparison (A): compare_weights' NaN/inf places, ..."""

from __future__ import annotations

import json
import math
import re
import shutil
import warnings

import pytest
import torch
import yaml
from safetensors.torch import save_file

NAN, INF = float("nan"), float("inf")


def _compare(tmp_path, a: dict, b: dict) -> dict:
    from rsvlm.model.weights import compare_weights

    save_file(a, str(tmp_path / "a.safetensors"))
    save_file(b, str(tmp_path / "b.safetensors"))
    return {r["name"]: r for r in compare_weights(tmp_path / "a.safetensors", tmp_path / "b.safetensors")}


def test_nan_and_inf_at_the_same_places_on_both_sides_are_equal_and_said(tmp_path):
    """A NaN of another payload (``-nan``), or an inf in a bf16 copy, at the same place: the row said |Δ| nan."""
    nan_other_bits = torch.tensor([NAN]).view(torch.int32) ^ (1 << 31)  # the sign bit flipped: other bytes, still NaN
    rows = _compare(tmp_path, {"eq": torch.tensor([INF, 1.0, NAN]), "dt": torch.tensor([INF, 1.5]),
                               "moved": torch.tensor([-INF, 4.0])},
                    {"eq": torch.cat([torch.tensor([INF, 1.0]), nan_other_bits.view(torch.float32)]),
                     "dt": torch.tensor([INF, 1.5]).bfloat16(), "moved": torch.tensor([-INF, 5.0])})
    assert rows["eq"] == {"file": "a.safetensors", "name": "eq", "status": "same", "max_abs": 0.0,
                          "note": "non-finite values at 2 places on both sides"}
    assert rows["dt"]["status"] == "dtype" and rows["dt"]["max_abs"] == 0.0  # the same values in another dtype
    assert rows["moved"]["status"] == "differs" and rows["moved"]["max_abs"] == 1.0  # the finite values' gap
    assert rows["moved"]["note"] == "non-finite values at 1 place on both sides"


def test_nan_or_inf_at_other_places_is_a_real_difference(tmp_path):
    rows = _compare(tmp_path, {"one": torch.ones(3), "sign": torch.tensor([INF, 0.0]), "i": torch.tensor([1, 2])},
                    {"one": torch.tensor([1.0, NAN, 1.0]), "sign": torch.tensor([-INF, 0.0]), "i": torch.tensor([1, 3])})
    assert rows["one"]["status"] == "differs" and rows["one"]["max_abs"] == math.inf  # was nan
    assert rows["one"]["note"] == "non-finite values at 0 places in A and 1 in B, 1 not matched on the other side"
    assert rows["sign"]["status"] == "differs" and rows["sign"]["max_abs"] == math.inf  # inf against -inf
    assert rows["i"] == {"file": "a.safetensors", "name": "i", "status": "differs", "max_abs": 0.0}  # integers: no |Δ|


def test_identical_bits_holding_nan_are_the_same_with_the_places_counted(tmp_path):
    w = torch.tensor([NAN, 2.0, INF])
    assert _compare(tmp_path, {"w": w}, {"w": w.clone()})["w"] == {
        "file": "a.safetensors", "name": "w", "status": "same", "max_abs": 0.0,
        "note": "non-finite values at 2 places on both sides"}
    assert "note" not in _compare(tmp_path, {"w": torch.ones(2)}, {"w": torch.ones(2)})["w"]


@pytest.fixture(scope="module")
def spare(tmp_path_factory):
    """A spare-row base (``test_model_tour75.spare_base``), with a full save and an adapter-only save of one LoRA
    model on it (``llm.base_vocab`` recorded)."""
    from test_model_tour75 import lora_model, spare_base

    root = tmp_path_factory.mktemp("spare76")
    n = spare_base(root / "base")
    model = lora_model(root / "base")
    with torch.no_grad():  # trained LoRA factors and token rows: the adapter changes the logits
        for name, p in model.llm.named_parameters():
            if "lora_B" in name or "trainable_tokens_delta" in name:
                p.copy_(torch.randn_like(p) * 0.05)
    model.save_pretrained(root / "full")
    model.save_pretrained(root / "adapter_only", adapter_only=True)
    return root, n


def _edit_llm(ckpt, **values):
    config = ckpt / "config.yaml"
    raw = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**raw, "llm": {**raw["llm"], **values}}))


@pytest.mark.parametrize("how", ["config.yaml", "override"])
def test_a_bad_base_vocab_names_the_file_or_override_that_set_it(spare, tmp_path, how):
    """Was 'llm.base_vocab 99999: the base's own vocabulary, …', naming neither file nor override."""
    from rsvlm.model import load_pretrained

    root, _ = spare
    shutil.copytree(root / "adapter_only", tmp_path / "ck")
    if how == "config.yaml":
        _edit_llm(tmp_path / "ck", base_vocab=99999)
        with pytest.raises(ValueError, match=rf"^{re.escape(str(tmp_path / 'ck/config.yaml'))}: llm.base_vocab 99999: "):
            load_pretrained(tmp_path / "ck")
    else:
        with pytest.raises(ValueError, match=r"^override 'llm.base_vocab=99999': llm.base_vocab 99999: "):
            load_pretrained(tmp_path / "ck", overrides=["llm.base_vocab=99999"])


def _logits(model):
    ids = torch.tensor([[5, 17, 200, 3]])
    with torch.no_grad():
        return model.llm(input_ids=ids).logits


def test_a_lora_full_save_named_back_at_its_base_loads_as_it_was_saved(spare, tmp_path):
    """Its llm/ is the base with rsvlm's rows added (another fingerprint), and the base builds exactly those rows:
    refused before, though it loads identically (the logits compared)."""
    from rsvlm.model import load_pretrained

    root, _ = spare
    shutil.copytree(root / "full", tmp_path / "ck")
    saved, _ = load_pretrained(tmp_path / "ck")
    _edit_llm(tmp_path / "ck", name_or_path=str(root / "base"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no own-LLM warning either
        on_base, _ = load_pretrained(tmp_path / "ck")
    assert torch.equal(_logits(on_base), _logits(saved))
    with on_base.llm.disable_adapter():  # the adapter is in those logits: they are not the bare base's
        assert not torch.allclose(_logits(on_base), _logits(saved), atol=1e-4)


@pytest.mark.parametrize("how", ["config.yaml", "override"])
def test_a_lora_full_save_on_a_base_that_builds_other_rows_is_refused_saying_which_set_it(spare, tmp_path, how):
    from rsvlm.model import load_pretrained

    root, n = spare
    shutil.copytree(root / "full", tmp_path / "ck")
    shutil.copytree(root / "base", tmp_path / "edited")
    from safetensors.torch import load_file, save_file

    state = load_file(tmp_path / "edited/model.safetensors")
    state["model.norm.weight"] = state["model.norm.weight"] + 1  # same shapes and config, other weights
    save_file(state, str(tmp_path / "edited/model.safetensors"), metadata={"format": "pt"})
    said = "its config.yaml" if how == "config.yaml" else f"the override 'llm.name_or_path={tmp_path / 'edited'}'"
    fix = (f"set llm.name_or_path: llm in {tmp_path / 'ck/config.yaml'}" if how == "config.yaml"
           else f"drop the override 'llm.name_or_path={tmp_path / 'edited'}'")
    overrides = [f"llm.name_or_path={tmp_path / 'edited'}"] if how == "override" else []
    if how == "config.yaml":
        _edit_llm(tmp_path / "ck", name_or_path=str(tmp_path / "edited"))
    with pytest.raises(ValueError) as e:
        load_pretrained(tmp_path / "ck", overrides=overrides)
    assert f"but {said} names the LLM {tmp_path / 'edited'} (fingerprint " in str(e.value)
    assert "builds other values: model.norm.weight holds other values" in str(e.value)
    assert f"; {fix}, or, to use" in str(e.value)
    with pytest.warns(UserWarning, match=re.escape(f"but {said} names the LLM")) as w:
        load_pretrained(tmp_path / "ck", overrides=overrides, any_base=True)
    assert len([x for x in w if "holds its own LLM" in str(x.message)]) == 1  # once, not again by ckpt_files


def test_a_full_checkpoint_named_at_another_llm_by_an_override_says_the_override(spare, tmp_path):
    """A full fine-tune (no adapter) is refused before any build; it said 'its config.yaml names …' for an override."""
    from rsvlm.model import load_pretrained

    root, _ = spare
    with pytest.raises(ValueError, match=re.escape(f"but the override 'llm.name_or_path={root / 'base'}' names the LLM "
                                                   f"{root / 'base'}")):
        load_pretrained(_no_adapter(root, tmp_path), overrides=[f"llm.name_or_path={root / 'base'}"])


def _no_adapter(root, tmp_path):
    shutil.copytree(root / "full", tmp_path / "ck")
    shutil.rmtree(tmp_path / "ck/adapter")
    return tmp_path / "ck"


@pytest.mark.parametrize("mode, token_rows, warned", [("frozen", True, True), ("lora", False, True),
                                                      ("lora", True, False), ("full", True, False)])
def test_a_step_folder_without_the_row_fill_record_is_warned_of_where_those_rows_do_not_train(
        spare, tmp_path, mode, token_rows, warned):
    """A step folder saved before the record, on a spare-row base with rows that do not train: resumed with the new
    mean-filled rows where it trained against the base's own, and nothing told them apart."""
    from test_model_tour75 import SPARE

    from rsvlm.model.llm import LLMConfig
    from rsvlm.model.row_fill import MEAN, ROW_FILL, record_fill, unrecorded_fill_note

    root, n = spare
    cfg = LLMConfig(name_or_path=str(root / "base"), base_vocab=n, lora_token_rows=token_rows)
    step = tmp_path / "step_000040"
    step.mkdir()
    note = unrecorded_fill_note(step, cfg, mode)
    if not warned:  # those rows train: the step folder holds them
        assert note is None
        return
    assert note.startswith(f"{step} has no {ROW_FILL} (saved before stop 76)")
    assert f"the {SPARE} of rsvlm's token rows on {root / 'base'}'s spare embedding rows (ids {n}-{n + SPARE - 1})" in note
    record_fill(step, cfg)
    assert json.loads((step / ROW_FILL).read_text()) == {"added_rows": MEAN, "base_vocab": n, "seed": 0}
    assert unrecorded_fill_note(step, cfg, mode) is None
    (step / ROW_FILL).write_text('{"added_rows": "as the base held them"}')
    assert unrecorded_fill_note(step, cfg, mode).startswith(f"{step / ROW_FILL} records 'as the base held them': ")
    no_spare = LLMConfig(name_or_path=str(root / "base"), base_vocab=n + SPARE, lora_token_rows=token_rows)
    assert unrecorded_fill_note(tmp_path, no_spare, mode) is None  # a base without spare rows: nothing changed


def test_a_cut_adapter_file_is_named_not_only_its_folder(spare, tmp_path):
    """Was 'adapter …/adapter: cannot be read (SafetensorError: … invalid header length)'."""
    from rsvlm.model import load_pretrained

    shutil.copytree(spare[0] / "adapter_only", tmp_path / "ck")
    cut = tmp_path / "ck/adapter/adapter_model.safetensors"
    cut.write_bytes(cut.read_bytes()[:100])
    with pytest.raises(ValueError, match=rf"^{re.escape(str(cut))}: not a readable safetensors file \("):
        load_pretrained(tmp_path / "ck")
