"""Token-by-token decoding over ``inputs_embeds``: greedy or sampled, with or without a KV cache.

The loop is the model-agnostic core behind ``RSVLM.generate`` and ``ChatSession``: it takes the
prompt as embeddings (images already spliced in), left padding in ``attention_mask``, and an
optional cache holding ``past_len`` earlier tokens (a chat session's history). Without the cache it
re-runs the whole sequence each step: slow, kept as the reference the cached path is tested against.

Limits: no beam search; stop strings are matched on decoded text, so the tokens of a stop string
are generated before the loop sees it.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import torch


@dataclass
class GenerationConfig:
    max_new_tokens: int = 64
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    use_cache: bool = True
    stop_strings: list[str] = field(default_factory=list)
    vocab: int | None = None  # ids from here on (padded embedding rows, no token) are never chosen

    def __post_init__(self):  # a bad value answered '' (max_new_tokens <= 0) or failed in torch.multinomial
        if isinstance(self.max_new_tokens, bool) or not (isinstance(self.max_new_tokens, numbers.Integral)
                                                         and self.max_new_tokens >= 1):  # True ran as 1
            raise ValueError(f"max_new_tokens must be an integer >= 1, got {self.max_new_tokens!r}")
        for key in ("do_sample", "use_cache"):  # "no" was true: sampled, or cached
            if isinstance(getattr(self, key), str) or getattr(self, key) not in (True, False):  # (1, numpy's bool pass)
                raise ValueError(f"{key} must be True or False, got {getattr(self, key)!r}")
        for key in ("temperature", "top_p"):  # "1" was a TypeError from a comparison, naming neither
            if isinstance(getattr(self, key), bool) or not isinstance(getattr(self, key), numbers.Real):
                raise ValueError(f"{key} must be a number, got {getattr(self, key)!r}")
        if self.do_sample and not 0 < self.temperature < float("inf"):
            raise ValueError(f"temperature must be > 0 and finite for sampling, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        # "" stopped every answer before its first token (an empty answer, 'finished'); 3 was a TypeError
        if bad := [s for s in self.stop_strings if not isinstance(s, str) or not s]:
            raise ValueError(f"stop_strings must be non-empty strings, got {bad[0]!r}")


def check_prompt_ids(input_ids, attention_mask) -> None:
    """``RSVLM.generate``'s ``input_ids`` and ``attention_mask`` refused, named, unless (B,T) tensors of one shape, the
    ids integers (the processor's, not bool): text, None, a number or a list failed as "'str' object has no attribute 'to'".
    A mask of 0.0/1.0 (or bool) is taken, as it was (transformers' models take one)."""
    how = "make them with the processor: batch = processor(text, images); model.generate(**batch)"
    if isinstance(input_ids, str) or (isinstance(input_ids, (list, tuple)) and input_ids
                                      and all(isinstance(t, str) for t in input_ids)):  # a prompt, or a batch of them
        raise TypeError(f"generate takes token ids, not text: input_ids={input_ids!r:.60}; {how}, or ask in "
                        "words with ChatSession(model, processor).ask(text, images=...)")
    for name, x in (("input_ids", input_ids), ("attention_mask", attention_mask)):
        if x is None and name == "attention_mask":
            continue
        ids = name == "input_ids"  # a float mask ran as before; bool ids failed in the embedding
        bad = ids and (x.dtype.is_floating_point or x.dtype == torch.bool) if isinstance(x, torch.Tensor) else True
        if bad or x.dtype.is_complex or x.dim() != 2:
            got = (f"a tensor of dtype {str(x.dtype).removeprefix('torch.')} and shape {tuple(x.shape)}"
                   if isinstance(x, torch.Tensor) else repr(x)[:60])
            raise TypeError(f"generate's {name} must be a (B,T) {'integer tensor' if ids else 'tensor of 0s and 1s'}, "
                            f"got {got}; {how}")
    if attention_mask is not None and attention_mask.shape != input_ids.shape:
        raise ValueError(f"generate's attention_mask has shape {tuple(attention_mask.shape)} but input_ids "
                         f"{tuple(input_ids.shape)}: give the mask the processor made with the ids; {how}")


@dataclass
class DecodeResult:
    tokens: list[list[int]]  # generated ids per sequence, up to and including EOS if it came
    cache: object | None  # the KV cache: prompt + every generated token but the last
    finished: list[bool]  # EOS or a stop string ended it (False too where the budget hid the token the model ranked first)
    logprobs: list[list[float]] = field(default_factory=list)  # log p of each generated id (see decode)
    # per generated id, log of the share of the scored mass left to choose from (<= 0; 0 where it scored no more)
    held: list[list[float]] = field(default_factory=list)


def sample_next(logits: torch.Tensor, cfg: GenerationConfig, generator: torch.Generator | None) -> torch.Tensor:
    """Greedy or sampled next ids. ``generator`` may live on another device than ``logits`` (a CPU
    generator for a CUDA model): sampling then runs on the generator's device and the ids come back."""
    # logits: (B,V) → (B,)
    if not cfg.do_sample:
        return logits.argmax(-1)
    # shifted to a top of 0 and in float64, a tiny temperature cannot overflow (1e-40 made inf/inf = NaN in float32)
    shifted = (logits - logits.max(-1, keepdim=True).values).double()  # (B,V), <= 0
    probs = torch.softmax(shifted / cfg.temperature, dim=-1)  # (B,V)
    if cfg.top_p < 1.0:
        sorted_p, idx = probs.sort(dim=-1, descending=True)
        drop = sorted_p.cumsum(-1) - sorted_p > cfg.top_p  # keep the smallest set reaching top_p
        sorted_p = sorted_p.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, idx, sorted_p)
    if generator is not None and generator.device != probs.device:  # torch.multinomial refuses a mix
        return torch.multinomial(probs.to(generator.device), 1, generator=generator).squeeze(-1).to(logits.device)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def positions(mask: torch.Tensor, past_len: int = 0) -> torch.Tensor:
    # mask: (B,T) 1 = real token (left padding) → position ids (B,T) counting real tokens only
    return (mask.long().cumsum(-1) - 1).clamp(min=0) + past_len


@torch.no_grad()
def decode(llm, embed: Callable[[torch.Tensor], torch.Tensor], inputs_embeds: torch.Tensor,
           attention_mask: torch.Tensor, cfg: GenerationConfig, eos_ids: set[int],
           cache=None, past_len: int = 0, generator: torch.Generator | None = None,
           on_step: Callable[[list[list[int]]], list[bool]] | None = None,
           constraint: Callable[[list[list[int]], int], torch.Tensor] | None = None,
           adjust: Callable[[object, torch.Tensor], torch.Tensor] | None = None,
           push: Callable[[list[list[int]], int], torch.Tensor | None] | None = None) -> DecodeResult:
    """Generate after a prompt. ``attention_mask`` (B, past_len+T) covers cache + prompt.

    ``constraint(tokens_so_far, vocab_size)`` gives the (B, V) tokens allowed next (see
    ``rsvlm.model.grammar``); the others cannot be chosen.

    ``adjust(llm_output, logits)`` returns the (B, V) logits to choose from, after the constraint
    (``rsvlm.model.pointer.PointerDecoder``); the LLM then returns its hidden states.

    ``push(tokens_so_far, vocab_size)`` gives (B, V) tokens to choose from, or None for no change
    (``GrammarConstraint.push``); where it leaves a sequence nothing the constraint allows, it is
    ignored for that sequence.

    ``on_step(tokens_so_far)`` is called after each step; it returns, per sequence, whether it is
    finished (a stop string, found by the caller who can decode text): such a sequence takes no more
    tokens, so nothing after its stop string counts (it kept going while another sequence had not
    stopped, and a budget cut or EOS there decided whether it was ``finished``). A sequence finished at
    an earlier step comes as ``[]`` (nothing new to read: a batch's finished rows were decoded again at
    every step of its longest answer).

    ``logprobs`` holds, per generated id, its log-probability under the model at temperature 1
    among the tokens the constraint allowed (the confidence ``rsvlm.model.grammar.shape_scores``
    turns into a score per shape), and those ``constraint.also_scored(logits)`` names (B, V) where it has
    that method (``GrammarConstraint``: EOS where only an owed box hid it, so the box's score holds
    the model's wish to stop; what the token budget hid where it hid the model's first choice and the
    answer could not end, so a shape the budget bent scores near 0); where ``push`` held a sequence,
    among those it left and those ``constraint.stopping()`` (V,) names (EOS, a whole stop string: the
    wish to stop; not the text or other tags it hid, which go on). ``held`` holds, per generated id, the log of the share of that mass
    left to choose from: ``logprobs`` less ``held`` is the id's log-probability among those tokens, so an
    object owed (a box ``need_shape`` holds, one ``push`` holds) counts its wish to stop once, in full.
    """
    from transformers import DynamicCache

    b, t, _ = inputs_embeds.shape
    mask = attention_mask
    pos = positions(mask)[:, -t:] if past_len == 0 else positions(mask[:, -t:], past_len)  # (B,T)
    if cfg.use_cache and cache is None:
        cache = DynamicCache()
    tokens: list[list[int]] = [[] for _ in range(b)]
    logprobs: list[list[float]] = [[] for _ in range(b)]
    held: list[list[float]] = [[] for _ in range(b)]
    finished = torch.zeros(b, dtype=torch.bool, device=inputs_embeds.device)
    cut = [False] * b  # the budget hid the token the model ranked first at some step (GrammarConstraint)
    cut_check = getattr(constraint, "cut_by_budget", None)
    widen = getattr(constraint, "also_scored", None)
    stopping = getattr(constraint, "stopping", None)
    seq_embeds = inputs_embeds  # (B,T,D), grows in the no-cache path
    seq_pos = pos
    step_embeds, step_pos = inputs_embeds, pos
    # the last position's logits alone (B,1,V): a prompt's (B,T,V), float32 from a half model's head
    # (rsvlm.model.half), took T times the memory for nothing (Qwen2.5's 152k rows, T=700: 0.4 GB a row)
    kw = {"logits_to_keep": 1, **({"output_hidden_states": True} if adjust is not None else {})}
    for _ in range(cfg.max_new_tokens):
        if cfg.use_cache:
            out = llm(inputs_embeds=step_embeds, attention_mask=mask, position_ids=step_pos,
                      past_key_values=cache, use_cache=True, **kw)
            cache = out.past_key_values
        else:
            out = llm(inputs_embeds=seq_embeds, attention_mask=mask, position_ids=seq_pos, use_cache=False, **kw)
        logits = raw = out.logits[:, -1, :cfg.vocab].float()  # (B,V)
        extra = None
        if constraint is not None:
            allowed = constraint(tokens, logits.shape[-1]).to(logits.device)  # (B,V) bool
            logits = logits.masked_fill(~allowed, float("-inf"))
            extra = widen(raw) if widen is not None else None  # (B,V) bool or None
        if adjust is not None:
            logits = adjust(out, logits)
        scored = logits if extra is None else torch.where(extra.to(logits.device), raw, logits)  # (B,V)
        choose = logits
        keep = push(tokens, logits.shape[-1]) if push is not None else None
        if keep is not None:
            keep = keep.to(logits.device)
            pushed = logits.masked_fill(~keep, float("-inf"))  # (B,V)
            free = torch.isinf(pushed).all(-1, keepdim=True)  # (B,1) nothing allowed is left
            choose = torch.where(free, logits, pushed)
            if stopping is not None:  # a held row scores what it keeps and what would end it, not what goes on
                scored = scored.masked_fill(~(keep | free | stopping().to(logits.device)), float("-inf"))
        nxt = sample_next(choose, cfg, generator)  # (B,)
        lp = torch.log_softmax(scored, dim=-1).gather(1, nxt[:, None])[:, 0].tolist()  # (B,)
        # (B,) <= 0: the share of the scored mass left to choose from (a held object's wish to stop, counted once)
        share = [0.0] * b if extra is None and keep is None else (choose.logsumexp(-1) - scored.logsumexp(-1)).tolist()
        done = finished.tolist()  # (B,) before this step's token
        for i in range(b):
            if not done[i]:
                if cut_check is not None and not cut[i]:  # this step's, before nxt joins the state
                    cut[i] = cut_check(i, raw[i])
                tokens[i].append(int(nxt[i]))
                logprobs[i].append(lp[i])
                held[i].append(min(0.0, share[i]))
        finished |= torch.tensor([int(n) in eos_ids for n in nxt], device=finished.device)
        if on_step is not None:  # rows finished before this step come empty: their text was read, and is done
            live = [[] if f else t for t, f in zip(tokens, done)]
            finished |= torch.tensor(on_step(live), dtype=torch.bool, device=finished.device)
        if bool(finished.all()):
            break
        new_embed = embed(nxt[:, None])  # (B,1,D)
        step_pos = seq_pos[:, -1:] + 1  # (B,1)
        mask = torch.cat([mask, mask.new_ones(b, 1)], dim=1)
        seq_embeds = torch.cat([seq_embeds, new_embed], dim=1)
        seq_pos = torch.cat([seq_pos, step_pos], dim=1)
        step_embeds = new_embed
    return DecodeResult(tokens=tokens, cache=cache if cfg.use_cache else None,
                        finished=[bool(f) and not c for f, c in zip(finished, cut)], logprobs=logprobs,
                        held=held)
