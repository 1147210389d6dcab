"""Review of stop 68's float32 LM head (``rsvlm.model.half``): a half model cast again (``.half()``,
``.float()``) still answers and saves in the dtype it now has, and decoding asks the head for the last
position's logits alone (a prompt's (B,T,V), float32 now, took T times the memory); ``inference.read_scale``."""

import pytest
import torch
from test_model_tour68 import tiny_bf16_llama, tiny_lora_ckpt

from rsvlm import inference as inf
from rsvlm.model.half import float32_head


@pytest.mark.parametrize("tie", [False, True])
def test_a_half_model_cast_to_float16_after_the_load_answers_in_float16(tie):
    """The head's pre-hook cast its input to float32 whatever the head then was: after ``.half()`` a
    float32 input met float16 weights ('expected m1 and m2 to have the same dtype')."""
    llm = tiny_bf16_llama(tie)
    assert float32_head(llm) is True
    llm.half()
    with torch.no_grad():
        logits = llm(input_ids=torch.tensor([[1, 7, 9]])).logits  # (1,3,64)
    assert logits.dtype == torch.float16 and torch.isfinite(logits).all()
    assert {v.dtype for v in llm.state_dict().values() if v.is_floating_point()} == {torch.float16}


@pytest.mark.parametrize("tie", [False, True])
def test_a_half_model_cast_to_float32_after_the_load_saves_its_head_in_float32(tie):
    """The state dict gave the head back in the dtype it was loaded in even after ``.float()``: a float32
    copy saved its head rounded to bf16 beside float32 weights."""
    llm = tiny_bf16_llama(tie)
    float32_head(llm)
    head = llm.get_output_embeddings().weight.detach().clone()  # float32
    llm.float()
    state = llm.state_dict()
    assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.float32}
    assert torch.equal(state["lm_head.weight"], head)
    with torch.no_grad():
        out = llm(input_ids=torch.tensor([[1, 7, 9]]), output_hidden_states=True)
    assert out.hidden_states[0].dtype == torch.float32 and out.logits.dtype == torch.float32


def test_decoding_asks_the_head_for_the_last_positions_logits_only(ckpt):
    """The prompt's first pass ran the head over every position (B,T,V) to read the last one."""
    from rsvlm.model.generation import GenerationConfig, decode

    model, _ = inf.load_model(str(ckpt), "cpu", dtype="bfloat16")
    seen = []
    model.llm.get_output_embeddings().register_forward_pre_hook(lambda m, args: seen.append(tuple(args[0].shape)))
    ids = torch.tensor([[5, 9, 17, 33, 2], [0, 5, 9, 17, 33]])  # (2,5), the second left-padded
    mask = torch.tensor([[1, 1, 1, 1, 1], [0, 1, 1, 1, 1]])
    for cache in (True, False):
        seen.clear()
        cfg = GenerationConfig(max_new_tokens=3, use_cache=cache, vocab=len(model.tokenizer))
        res = decode(model.llm, model.embed_tokens, model.embed_tokens(ids), mask, cfg, set())
        assert [len(t) for t in res.tokens] == [3, 3]
        assert seen and all(s[1] == 1 for s in seen), seen  # (B,1,D) at every step, the prompt's too
    with torch.no_grad():  # the same next token as the whole prompt's logits give
        full = model.llm(inputs_embeds=model.embed_tokens(ids[:1])).logits[:, -1]  # (1,V)
    cfg = GenerationConfig(max_new_tokens=1, vocab=len(model.tokenizer))
    one = decode(model.llm, model.embed_tokens, model.embed_tokens(ids[:1]), mask[:1], cfg, set())
    assert one.tokens == [[int(full[0, :len(model.tokenizer)].argmax())]]


@pytest.mark.parametrize("tie", [False, True])
def test_a_lora_checkpoint_loaded_in_bf16_and_merged_with_peft_answers_and_saves_in_bf16(tmp_path, tie):
    """peft's ``merge_and_unload`` puts the wrapper's inner Linear (and a tied embedding's) in its place: the
    hooks were on the wrapper alone, so the float32 head met bf16 ('expected m1 and m2 to have the same dtype')."""
    model, _ = inf.load_model(str(tiny_lora_ckpt(tmp_path / "ckpt", tie)), "cpu", dtype="bfloat16")
    assert type(model.llm.get_output_embeddings()).__name__ == "TrainableTokensWrapper"  # the token rows' wrapper
    llm = model.llm.merge_and_unload()
    assert isinstance(llm.get_output_embeddings(), torch.nn.Linear)
    with torch.no_grad():
        logits = llm(input_ids=torch.tensor([[5, 9, 17]])).logits  # (1,3,V)
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
    state = llm.state_dict()
    assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.bfloat16}
    if tie:
        assert state["lm_head.weight"] is state["model.embed_tokens.weight"]  # saved once


def test_read_scale_gives_each_axis_the_ratio_of_the_read_to_the_scene():
    """predict's nodata count, predict --vis and chat's /vis each worked out (width / w, height / h) of ``scene_wh``."""
    from types import SimpleNamespace

    strip = SimpleNamespace(width=2048, height=2, window=None, scene_size=(4100, 5))  # read shrunk whole
    assert inf.read_scale(strip) == (2048 / 4100, 2 / 5)
    window = SimpleNamespace(width=300, height=200, window=(0, 0, 300, 200), scene_size=(4100, 5))
    assert inf.read_scale(window) == (1.0, 1.0)  # a window's answers are in its own pixels
