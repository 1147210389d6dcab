"""Answering in half precision: the LM head's logits in float32.

A model loaded in bfloat16 or float16 rounds each logit to that dtype's mantissa (bf16: 8 bits, so
logits near 10 step by 0.06). Coordinates are chosen among 1,000 ``<loc_N>`` bins whose logits lie
close together: rounded, many tie, and the argmax takes the lowest tied id. On the bundled model,
teacher-forced over 618 coordinates of detection and segmentation answers, the bf16 argmax matched
float32's at 20% of them; with the head alone computed in float32 at 77% (fp16: 75% → 96%), the rest
being the bf16 body's own noise. The head's weights rounded to bf16 changed nothing there: the output
rounding is the loss, so a checkpoint stored in bf16 gains as much (docs/benchmarks/half_precision.md, stop 68).

``float32_head`` keeps the output head in float32 and upcasts its input (the final hidden state), as
Hugging Face's ``_keep_in_fp32_modules`` does for modules that need the range: the body runs in half
precision, the logits are float32. A tied input embedding (the same weight) stays float32 too, its
output cast back to the body's dtype. Memory: the head's weights take 4 bytes each instead of 2
(Vicuna-7B: +0.27 GB; Qwen2.5-7B: +1.1 GB), and logits are float32 (decoding asks for the last position's
alone, ``logits_to_keep=1``; a whole-sequence ``forward`` makes (B,T,V) of them). Its state dict gives the
head back in the body's dtype, so a model saved after is stored as it was loaded (or as it was cast since).

Limits: under ``torch.autocast`` the head's matmul runs in autocast's dtype whatever its weights, on CUDA as on
the CPU (``linear`` is on both autocast lists; the bundled model's logits came out bfloat16 under CPU autocast,
float32 without; CUDA untested): rsvlm answers without autocast (training's autocast runs a float32 model, whose
head this leaves alone). Without autocast a CUDA head computes in float32 (TF32 only where the user allows it).
A quantised head (bitsandbytes) is left as it is (rsvlm never quantises it).
"""

from __future__ import annotations

import weakref

import torch
from torch import nn

HALF = (torch.float16, torch.bfloat16)


def float32_head(llm: nn.Module) -> bool:
    """Keep ``llm``'s output head in float32 where it was loaded in a half dtype (module docstring); True
    where it changed it. The head may be peft's wrapper (a LoRA's ``trainable_token_indices`` rows, a
    ``modules_to_save`` copy): all of it goes float32, and the hooks go on the wrapper and on each module
    inside it that holds such a weight, which peft's ``merge_and_unload`` puts in the wrapper's place (it
    was left with no hook: a float32 head fed bf16). Its state dict keeps the names and gives what was
    half in the body's dtype (a save writes what was loaded). The hooks follow a later ``llm.to(dtype)``:
    the head takes its input in its own weights' dtype, a tied embedding gives the body's, and the state
    dict the body's (after ``.half()`` the head computes in float16 again, as asked)."""
    head = llm.get_output_embeddings()
    half = [p for p in head.parameters() if p.dtype in HALF] if head is not None else []
    if not half:
        return False
    body = half[0].dtype
    shared = {id(p) for p in half}
    # a body weight, whose dtype follows llm.to(...) (the same Parameter, new data): what the body computes in
    ref = next((p for p in llm.parameters() if p.dtype == body and id(p) not in shared), None)
    now = (lambda: ref.dtype) if ref is not None else (lambda: body)
    emb = llm.get_input_embeddings()
    tied = _holders(emb, shared) if emb is not None else []
    head.float()  # in place, the same Parameters: a tied embedding shares the converted one
    made: dict = {}  # id(parameter) -> (its version, weakref to its half copy): a tied pair saves one tensor
    for m in _holders(head, shared):
        m.register_forward_pre_hook(_in_head_dtype)
        m.register_state_dict_post_hook(_saver(shared, now, made))
    for m in tied:
        m.register_forward_hook(lambda _m, _a, out: out.to(now()))  # (B,T,D) in the body's dtype
        m.register_state_dict_post_hook(_saver(shared, now, made))
    return True


def _holders(module: nn.Module, ids: set[int]) -> list[nn.Module]:
    """``module`` and the modules inside it that hold one of the parameters ``ids`` themselves; [] where none
    does (an untied input embedding)."""
    inner = [m for m in module.modules() if any(id(p) in ids for p in m.parameters(recurse=False))]
    return [module, *(m for m in inner if m is not module)] if inner else []


def _saver(ids: set[int], now, made: dict):
    """A state-dict post-hook giving the parameters ``ids`` in the body's dtype ``now()`` (``_downcast``)."""
    return lambda m, state, prefix, _meta: _downcast(state, prefix, {n: p for n, p in m.named_parameters()
                                                                     if id(p) in ids}, now(), made)


def _in_head_dtype(module: nn.Module, args: tuple) -> tuple:
    """The head's input (B,T,D) in its weights' dtype (a forward pre-hook): float32, or what a later
    ``llm.to(dtype)`` made them."""
    dtype = next((p.dtype for p in module.parameters() if p.is_floating_point()), torch.float32)
    return tuple(a.to(dtype) if torch.is_tensor(a) and a.is_floating_point() else a for a in args)


def _downcast(state: dict, prefix: str, params: dict, dtype: torch.dtype, made: dict) -> None:
    """The tensors of ``params`` (names under ``prefix``) in ``state`` in ``dtype`` (a state-dict post-hook);
    a tied weight's two names get one tensor, as transformers' save needs to store it once."""
    for name, p in params.items():
        key = prefix + name
        if not torch.is_tensor(state.get(key)) or state[key].dtype == dtype:
            continue
        version = (p._version, p.data_ptr(), dtype)  # an in-place change or a .to() makes another copy
        seen, ref = made.get(id(p), (None, lambda: None))
        half = ref() if seen == version else None
        if half is None:
            half = state[key].to(dtype)
            made[id(p)] = (version, weakref.ref(half))
        state[key] = half
