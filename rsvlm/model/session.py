"""ChatSession: multi-turn chat that keeps the KV cache, so turn k costs only turn k's tokens.

Each turn renders the whole conversation with the chat template, checks that the new rendering
extends the previous one, and prefills only the extension (plus the last answer token, which was
sampled but never fed back). Images given with a turn are encoded once, in that turn.

    chat = ChatSession(model, processor)
    chat.ask("What is in this image?", images=[ImageInput(arr, "optical")], on_token=print)
    chat.ask("[det] Detect every ship.")
    chat.stats   # per turn: prefill_tokens, images_encoded, new_tokens
    chat.last_scores  # the last answer's confidence per shape (rsvlm.model.grammar.shape_scores)

Limits: batch size 1; a chat template that rewrites earlier turns (not append-only) is refused;
the answer's tokens stay as generated, so they may differ from what re-tokenising its text gives.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from rsvlm.data.conversation import write_images
from rsvlm.model.generation import GenerationConfig, decode
from rsvlm.model.grammar import shape_scores
from rsvlm.model.vlm import RSVLM, TextStreamer
from rsvlm.tokens import IMAGE_TOKEN


class ChatSession:
    def __init__(self, model: RSVLM, processor, system: str | None = None, max_new_tokens: int = 256,
                 do_sample: bool = False, temperature: float = 1.0, top_p: float = 1.0, constrain: bool = True):
        self.model, self.processor, self.constrain = model, processor, constrain
        self.gen = dict(max_new_tokens=max_new_tokens, do_sample=do_sample, temperature=temperature, top_p=top_p)
        self.system = system if system is not None else processor.prompt.system  # the model's, by default
        self.reset()

    def reset(self) -> None:
        self.messages: list[dict] = [{"role": "system", "content": self.system}] if self.system else []
        self.rendered = ""  # the conversation so far as text (ends after the last answer)
        self.cache = None
        self.cache_len = 0
        self.pending: list[int] = []  # answer tokens generated but not yet in the cache
        self.token_ids: list[int] = []  # the whole conversation as ids: the cache's tokens + pending
        self.stats: list[dict] = []
        self.last_scores: list[float] = []
        self.pointer_vis: list | None = None  # a loc pointer's visual states (rsvlm.model.pointer)

    def rollback(self) -> None:
        """Undo an interrupted ``ask`` (Ctrl-C mid-answer): the cache goes back to the last
        finished turn, which the interrupted one had extended in place."""
        extra = self.cache.get_seq_length() - self.cache_len if self.cache is not None else 0
        if extra > 0:
            self.cache.crop(-extra)

    @torch.no_grad()
    def ask(self, text: str, images: list | None = None, on_token: Callable[[str], None] | None = None,
            generator: torch.Generator | None = None, **gen_overrides) -> str:
        images = list(images or [])
        if images and IMAGE_TOKEN not in text:  # placeholders written as the model's prompt format says
            text = write_images((IMAGE_TOKEN + "\n") * len(images) + text, [im.modality for im in images],
                                self.processor.prompt)
        messages = self.messages + [{"role": "user", "content": text}]
        full = self.processor.chat_prompt(messages, add_generation_prompt=True)
        if not full.startswith(self.rendered):
            raise ValueError("the chat template re-renders earlier turns differently; a KV-cached session "
                             "needs an append-only template (set llm.chat_template to one of templates.TEMPLATES)")
        first = self.cache_len == 0
        new_ids = self.pending + self.processor.encode(full[len(self.rendered):], images, add_special_tokens=first)
        pixels = [self.processor.prepare_image(im) for im in images]
        model = self.model
        device = model.llm.get_input_embeddings().weight.device
        ids = torch.tensor([new_ids], dtype=torch.long, device=device)  # (1,n)
        embeds = model.embed_inputs(ids, [pixels])  # (1,n,D)
        mask = torch.ones(1, self.cache_len + len(new_ids), dtype=torch.long, device=device)
        gcfg = GenerationConfig(use_cache=True, stop_strings=self.processor.stop_strings, vocab=len(model.tokenizer),
                                **{**self.gen, **gen_overrides})
        eos = model.eos_ids()
        streamer = TextStreamer(model.tokenizer, eos, gcfg.stop_strings, on_token)
        constraint, adjust = model.decode_hooks(ids, gcfg.max_new_tokens, self.constrain, self.pointer_vis)
        res = decode(model.llm, model.embed_tokens, embeds, mask, gcfg, eos, cache=self.cache,
                     past_len=self.cache_len, generator=generator, on_step=streamer.step,
                     constraint=constraint, adjust=adjust)
        generated = res.tokens[0]
        streamer.flush(generated)
        answer_ids = streamer.strip(generated)
        in_cache = min(len(answer_ids), len(generated) - 1)  # the last sampled token was never fed
        self.cache = res.cache
        self.token_ids = self.token_ids[: self.cache_len] + new_ids + answer_ids
        self.cache_len += len(new_ids) + in_cache
        extra = self.cache.get_seq_length() - self.cache_len
        if extra > 0:
            self.cache.crop(-extra)  # drop tokens of a stop string / EOS from the cache
        self.pending = answer_ids[in_cache:]
        if adjust is not None and adjust.started:
            self.pointer_vis = adjust.vis
        self.last_scores = shape_scores(model.tokenizer.convert_ids_to_tokens(answer_ids),
                                        res.logprobs[0][:len(answer_ids)])
        answer = streamer.answer(generated).strip()
        self.messages = messages + [{"role": "assistant", "content": answer}]
        self.rendered = self.processor.chat_prompt(self.messages, add_generation_prompt=False)
        self.stats.append({"prefill_tokens": len(new_ids), "images_encoded": len(images),
                           "new_tokens": len(generated), "cache_len": self.cache_len})
        return answer
