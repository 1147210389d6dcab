"""Review of stop 76's model loading and weight comparison: ``own_llm.differing_tensor`` over every tensor the LLM
builds (a tied head, one the folder lacks, another dtype, a quantised build), and ``weights._value_gap`` against a
plain reference on tensors with NaN, inf of both signs and signed zeros (its all-finite path takes one pass)."""

from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import save_file


def _tiny(tie: bool) -> torch.nn.Module:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    return Qwen2ForCausalLM(Qwen2Config(vocab_size=40, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                        num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=tie))


def _saved(llm, folder, drop=(), dtype=None):
    folder.mkdir()
    state = {k: (v.to(dtype) if dtype else v).detach().clone() for k, v in llm.state_dict().items() if k not in drop}
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    return folder


def test_a_tied_head_the_folder_leaves_out_is_no_difference(tmp_path):
    from rsvlm.model.own_llm import differing_tensor

    llm = _tiny(tie=True)
    assert differing_tensor(llm, _saved(llm, tmp_path / "llm", drop=("lm_head.weight",))) is None


def test_a_tensor_the_llm_builds_and_the_folder_lacks_differs(tmp_path):
    """Only the folder's tensors were compared: an untied head missing from llm/ passed as the same model."""
    from rsvlm.model.own_llm import differing_tensor

    llm = _tiny(tie=False)
    assert differing_tensor(llm, _saved(llm, tmp_path / "llm", drop=("lm_head.weight",))) == \
        f"lm_head.weight is not in {tmp_path / 'llm'}"


def test_a_float32_folder_against_a_bf16_build_compares_in_the_built_dtype(tmp_path):
    from rsvlm.model.own_llm import differing_tensor

    llm = _tiny(tie=False)
    own = _saved(llm, tmp_path / "llm")  # float32 values; loading it in bf16 rounds them as the build did
    assert differing_tensor(llm.to(torch.bfloat16), own) is None
    with torch.no_grad():
        llm.model.norm.weight[0] += 1
    assert differing_tensor(llm, own) == f"model.norm.weight holds other values than {own / 'model.safetensors'}"


def test_a_quantised_build_is_said_not_comparable(tmp_path):
    """A 4/8-bit build holds integers: 'holds other values' (or another shape) blamed the base's weights."""
    from rsvlm.model.own_llm import differing_tensor

    llm = _tiny(tie=False)
    own = _saved(llm, tmp_path / "llm")
    q = llm.model.layers[0].mlp.down_proj
    del q.weight
    q.register_buffer("weight", torch.zeros(8, 16, dtype=torch.int8))
    said = differing_tensor(llm, own)
    assert said.startswith("model.layers.0.mlp.down_proj.weight is built as torch.int8 (quantised), torch.float32 in ")
    assert said.endswith("not comparable")


def _reference(x: torch.Tensor, y: torch.Tensor) -> float:
    """max |x − y| where NaN/inf match on both sides (equal there), inf where they do not."""
    best = 0.0
    for a, b in zip(x.double().tolist(), y.double().tolist()):
        if math.isfinite(a) and math.isfinite(b):
            best = max(best, abs(a - b))
        elif not (a == b or (math.isnan(a) and math.isnan(b))):
            return math.inf
    return best


@pytest.mark.parametrize("seed", range(6))
def test_value_gap_matches_a_plain_reference(seed):
    from rsvlm.model.weights import _value_gap

    g = torch.Generator().manual_seed(seed)
    specials = torch.tensor([math.nan, math.inf, -math.inf, 0.0, -0.0])
    x = torch.randn(64, generator=g)
    y = x + (torch.rand(64, generator=g) < 0.3) * torch.randn(64, generator=g)
    for t in (x, y):  # the same special value at some places, a lone one at others (fewer with a higher seed)
        at = torch.rand(64, generator=g) < 0.2 / (seed + 1)
        t[at] = specials[torch.randint(0, 5, (int(at.sum()),), generator=g)]
    both = torch.rand(64, generator=g) < 0.1
    y[both] = x[both]
    for a, b in ((x, y), (x, y.bfloat16()), (x.double(), y)):
        gap, note = _value_gap(a, b)
        assert gap == _reference(a, b)
        assert (note is not None) == bool((~a.isfinite() | ~b.isfinite()).any())


def test_signed_zeros_are_the_same_and_float64_overflow_is_an_infinite_gap(tmp_path):
    from rsvlm.model.weights import _value_gap, compare_weights

    save_file({"z": torch.tensor([0.0, 1.0])}, str(tmp_path / "a.safetensors"))
    save_file({"z": torch.tensor([-0.0, 1.0])}, str(tmp_path / "b.safetensors"))
    assert compare_weights(tmp_path / "a.safetensors", tmp_path / "b.safetensors")[0]["status"] == "same"
    big = torch.tensor([1e308], dtype=torch.float64)
    assert _value_gap(big, -big) == (math.inf, None)  # finite on both sides, a gap no float64 holds


def test_spare_rows_of_a_base_named_by_its_cached_hub_name_are_counted(tmp_path, monkeypatch):
    """A base named 'org/name' (as Qwen2.5 is most often) counted 0 spare rows, so a step folder on it was never
    warned of (``row_fill.unrecorded_fill_note``)."""
    import json

    import huggingface_hub.constants  # noqa: F401  (hub_cache sets its cache folder there)
    from conftest import hub_cache

    from rsvlm.model.llm import LLMConfig
    from rsvlm.model.row_fill import spare_rows, unrecorded_fill_note

    (tmp_path / "base").mkdir()
    (tmp_path / "base/config.json").write_text(json.dumps({"vocab_size": 300}))
    hub_cache(tmp_path, monkeypatch, "org/spare-base", tmp_path / "base")
    cfg = LLMConfig(name_or_path="org/spare-base", base_vocab=290)
    assert spare_rows(cfg) == 10
    assert "(ids 290-299)" in unrecorded_fill_note(tmp_path, cfg, "frozen")
    assert spare_rows(LLMConfig(name_or_path="org/not-cached", base_vocab=290)) == 0
