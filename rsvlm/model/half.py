"""Answering in half precision: the LM head's logits in float32.

A model loaded in bfloat16 or float16 rounds each logit to that dtype's mantissa (bf16: 8 bits, so
logits near 10 step by 0.06). Coordinates are chosen among 1,000 ``<loc_N>`` bins whose logits lie
close together: rounded, many tie, and the argmax takes the lowest tied id. On the bundled model,
teacher-forced over 618 coordinates of detection and segmentation answers, the bf16 argmax matched
float32's at 20% of them; with the head alone computed in float32 at 77% (fp16: 75% → 96%), the rest
being the bf16 body's own noise. The head's weights rounded to bf16 changed nothing there: the output
rounding is the loss, so a checkpoint stored in bf16 gains as much (docs/benchmarks.md, stop 68).

``float32_head`` keeps the output head in float32 and upcasts its input (the final hidden state), as
Hugging Face's ``_keep_in_fp32_modules`` does for modules that need the range: the body runs in half
precision, the logits are float32. A tied input embedding (the same weight) stays float32 too, its
output cast back to the body's dtype. Memory: the head's weights take 4 bytes each instead of 2
(Vicuna-7B: +0.27 GB; Qwen2.5-7B: +1.1 GB), and a prompt's prefill logits (T,V) are float32. Its state
dict gives the head back in the dtype it was loaded in, so a model saved after is stored as it was.

Limits: under ``torch.autocast`` the head's matmul runs in autocast's dtype whatever its weights (rsvlm
answers without autocast); a quantised head (bitsandbytes) is left as it is (rsvlm never quantises it).
"""

from __future__ import annotations

import weakref

import torch
from torch import nn

HALF = (torch.float16, torch.bfloat16)


def float32_head(llm: nn.Module) -> bool:
    """Keep ``llm``'s output head in float32 where it was loaded in a half dtype (module docstring); True
    where it changed it. The head may be peft's wrapper (a LoRA's ``trainable_token_indices`` rows, a
    ``modules_to_save`` copy): all of it goes float32. Its state dict keeps the names and the half dtype
    of what was half (a save writes what was loaded)."""
    head = llm.get_output_embeddings()
    half = {n: p for n, p in head.named_parameters()} if head is not None else {}
    half = {n: p for n, p in half.items() if p.dtype in HALF}
    if not half:
        return False
    body = next(iter(half.values())).dtype
    emb = llm.get_input_embeddings()
    shared = {id(p) for p in half.values()}
    tied = {n for n, p in emb.named_parameters() if id(p) in shared} if emb is not None else set()
    head.float()  # in place: a tied embedding shares the converted parameter
    head.register_forward_pre_hook(_upcast)
    made: dict = {}  # id(parameter) -> (its _version, weakref to its half copy): a tied pair saves one tensor
    head.register_state_dict_post_hook(
        lambda m, state, prefix, _meta: _downcast(state, prefix, {n: p for n, p in m.named_parameters() if n in half},
                                                  body, made))
    if tied:
        emb.register_forward_hook(lambda _m, _a, out: out.to(body))  # (B,T,D) in the body's dtype
        emb.register_state_dict_post_hook(
            lambda m, state, prefix, _meta: _downcast(state, prefix, {n: p for n, p in m.named_parameters() if n in tied},
                                                      body, made))
    return True


def _upcast(_module: nn.Module, args: tuple) -> tuple:
    """The head's input (B,T,D) in float32 (a forward pre-hook)."""
    return tuple(a.float() if torch.is_tensor(a) and a.is_floating_point() else a for a in args)


def _downcast(state: dict, prefix: str, params: dict, dtype: torch.dtype, made: dict) -> None:
    """The tensors of ``params`` (names under ``prefix``) in ``state`` back in ``dtype`` (a state-dict post-hook);
    a tied weight's two names get one tensor, as transformers' save needs to store it once."""
    for name, p in params.items():
        key = prefix + name
        if not torch.is_tensor(state.get(key)):
            continue
        version, ref = made.get(id(p), (None, lambda: None))
        half = ref() if version == p._version else None
        if half is None:
            half = state[key].to(dtype)
            made[id(p)] = (p._version, weakref.ref(half))
        state[key] = half
