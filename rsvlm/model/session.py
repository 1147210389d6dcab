"""ChatSession: multi-turn chat that keeps the KV cache, so turn k costs only turn k's tokens.

Each turn renders the whole conversation with the chat template and tokenises it whole, exactly as
training and a fresh ``generate`` do; the cache is kept for the longest prefix those ids share with
the cached ones, and only the rest is prefilled (the new question, the previous answer's end-of-turn
text, and any tail of that answer that re-tokenises differently from how it was generated). Images
given with a turn are encoded once, in that turn.

    chat = ChatSession(model, processor)
    chat.ask("What is in this image?", images=[ImageInput(arr, "optical")], on_token=print)
    chat.ask("[det] Detect every ship.")
    # images: whatever the processor takes (rsvlm.model.image_args: a path, PIL image, (C,H,W) array, RSImage, …);
    # the question's tag is read as chat's (rsvlm.tokens.tagged: [DET] is [det], [detection] refused), and what
    # chat refuses is a ValueError: "", a tag alone, [regcap] without a box (rsvlm.inference.question_problem),
    # a first question without an image (tagged or not: chat's "load an image first")
    chat.stats   # per turn: prefill_tokens, reused (cached tokens kept), images_encoded, new_tokens,
                 # dropped_turns (earlier exchanges left out: history, or the LLM's context),
                 # cut (True where max_new_tokens ended the answer, not the model),
                 # at_context (cut, by the end of the LLM's context rather than max_new_tokens)
    chat.last_scores  # the last answer's confidence per shape (rsvlm.model.grammar.shape_scores)

Under the grammar (``constrain``) a ``[ground]`` question's answer closes a box before it ends
(DESIGN.md: one or more boxes), and a ``[det]`` one writes at least ``min_objects`` objects.

A turn shows the model at most ``history`` earlier exchanges (the model's ``prompt.max_history``;
the turn that brought the images is one of them and stays), leaving the oldest out, and fewer when
the conversation nears the LLM's context, so a long chat goes on; with ``history=0`` every
question is asked as the first turn about the images (their visual tokens stay cached). A turn
that leaves no room for an answer even alone is a ContextError (a ValueError); an answer that runs
past the context is a warning, or with ``stop_at_context`` stops there (``stats``' ``at_context``):
past it a RoPE LLM writes garbage.

Limits: batch size 1; a template that rewrites earlier turns still works, but re-prefills from the
first token it changes (from the start, images re-encoded, when that is before an image).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch

from rsvlm.data.conversation import image_turn, system_messages
from rsvlm.inference import question_problem
from rsvlm.model.generation import GenerationConfig, decode
from rsvlm.model.grammar import SMALLEST_SHAPE, shape_need, shape_scores
from rsvlm.model.image_args import as_image_input, is_one_image, python_advice
from rsvlm.model.llm import context_length
from rsvlm.model.vlm import RSVLM, TextStreamer
from rsvlm.tokens import IMAGE_TOKEN, opening_task, tagged


def _whole(x) -> bool:
    """Whether ``x`` is an integral number (an int, a NumPy integer), not a bool."""
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


class ContextError(ValueError):
    """A question that leaves no room for an answer in the LLM's context; ``resettable`` where it
    would fit as the first question of a new conversation."""

    def __init__(self, message: str, resettable: bool):
        super().__init__(message)
        self.resettable = resettable


class ChatSession:
    def __init__(self, model: RSVLM, processor, system: str | None = None, max_new_tokens: int = 256,
                 do_sample: bool = False, temperature: float = 1.0, top_p: float = 1.0, constrain: bool = True,
                 min_objects: int = 0, history: int | str | None = None, stop_at_context: bool = False):
        self.model, self.processor, self.constrain = model, processor, constrain
        self.stop_at_context = stop_at_context  # an answer ends where the context does (else: runs on, warned)
        # earlier exchanges shown (None: what the context holds); history=None takes the model's, "all" none
        self.history = processor.prompt.max_history if history is None else None if history == "all" else history
        if self.history is not None and (not _whole(self.history) or self.history < 0):
            raise ValueError(f"history (prompt.max_history) must be 'all' or >= 0, got {self.history!r}")
        if not _whole(min_objects) or min_objects < 0:  # np.int64(3) too (was refused: int only)
            raise ValueError(f"min_objects must be a whole number >= 0, got {min_objects!r}")
        self.history = None if self.history is None else int(self.history)
        min_objects = int(min_objects)
        if min_objects and not constrain:  # was refused at the first [det] question, naming decode_hooks' min_shapes
            raise ValueError(f"min_objects={min_objects} needs the geometry grammar, which constrain=False turns off "
                             "(free decoding cannot keep an answer writing objects): give min_objects=0, or "
                             "constrain=True")
        self.min_objects = min_objects  # a [det] question's answer keeps writing objects up to this (GrammarConstraint.push)
        self.gen = dict(max_new_tokens=max_new_tokens, do_sample=do_sample, temperature=temperature, top_p=top_p)
        GenerationConfig(**self.gen)  # bad settings are refused now, not at the first question
        self.system = system if system is not None else processor.prompt.system  # the model's, by default
        self.reset()

    def reset(self) -> None:
        self.messages: list[dict] = system_messages(self.system)
        self.cache = None
        self.cache_len = 0
        self.pixels: list = []  # the conversation's images, prepared (Pixels)
        self.modalities: list[str] = []  # theirs
        self.token_ids: list[int] = []  # the whole conversation as ids: the cache's tokens, then the last answer's rest
        self.stats: list[dict] = []
        self.last_scores: list[float] = []
        self.pointer_vis: list | None = None  # a loc pointer's visual states (rsvlm.model.pointer)

    @property
    def asked(self) -> int:
        """Questions asked in this conversation (a system message alone is none)."""
        return sum(m["role"] == "user" for m in self.messages)

    def rollback(self) -> None:
        """Undo an interrupted ``ask`` (Ctrl-C mid-answer): the cache goes back to the ids the
        interrupted turn started from (the earlier turns, or the prefix of them it kept)."""
        extra = self.cache.get_seq_length() - self.cache_len if self.cache is not None else 0
        if extra > 0:
            self.cache.crop(-extra)

    @torch.no_grad()
    def ask(self, text: str, images: list | None = None, on_token: Callable[[str], None] | None = None,
            generator: torch.Generator | None = None, **gen_overrides) -> str:
        if not isinstance(text, str):  # None failed as "argument of type 'NoneType' is not iterable"
            raise TypeError(f"the question must be a str, got {type(text).__name__}")
        if unknown := sorted(set(gen_overrides) - set(self.gen)):  # image= failed inside GenerationConfig
            raise TypeError(f"ask() got no argument {', '.join(unknown)}: it takes text, images (one image or a "
                            f"list), on_token, generator, and a turn's {', '.join(self.gen)}")
        images = [images] if is_one_image(images) else list(images if images is not None else [])  # one, or a list
        if IMAGE_TOKEN not in text:  # (a text with placeholders of its own is taken as written: image_turn)
            text = tagged(text)  # [DET] as [det]; [detection] refused, [det] suggested (as chat's)
            if why := question_problem(text, python=True):  # "", a tag alone, [regcap] without a box, <box>10,10,50,50</box>
                raise ValueError(why)
        with python_advice():  # a band error names ImageInput's bands=, not the CLI's --bands (chat checked its own)
            images = [as_image_input(im, f"images[{j}]") for j, im in enumerate(images)]  # arrays, paths, PIL …
            pixels = [self.processor.prepare_image(im) for im in images]
        question = text
        if not self.pixels and not images:  # was answered about nothing ([det] with made-up boxes), as chat refuses it
            raise ValueError("no image to ask about: a conversation's first question brings its image, as "
                             "ask(text, images=image) (a path, a (C,H,W) array, an ImageInput; a list for a "
                             "[change] pair), and later ones ask about it")
        if opening_task(text) == "change" and (n := len(self.pixels) + len(images)) != 2:  # was answered about one
            raise ValueError(f"[change] compares two images, and this conversation has {n}: ask it with "
                             "images=[before, after]" + (" after reset()" if self.pixels else ""))
        text = image_turn(text, [im.modality for im in images], self.processor.prompt)
        messages = self.messages + [{"role": "user", "content": text}]
        dropped = 0
        if self.history == 0 and not images and self.pixels:  # asked afresh: the images move to this turn
            dropped = sum(m["role"] == "assistant" for m in self.messages)
            messages = self._first_turn(text, self.modalities)
        full = self.processor.chat_prompt(messages, add_generation_prompt=True)
        every = self.pixels + pixels
        prompt = self.processor.encode(full, every, add_special_tokens=True)
        while (i := self._overflow(messages, prompt, gen_overrides)) is not None:  # oldest text-only exchange
            messages = messages[:i] + messages[i + 2:]
            dropped += 1
            full = self.processor.chat_prompt(messages, add_generation_prompt=True)
            prompt = self.processor.encode(full, every, add_special_tokens=True)
        self._check_room(prompt, question, every, self.modalities + [im.modality for im in images])
        keep = min(_common_prefix(self.token_ids[: self.cache_len], prompt), len(prompt) - 1)
        slots = prompt[keep:].count(self.model.special.image)
        if slots != sum(self.processor.n_visual_tokens(p) for p in pixels):
            keep, pixels = 0, every  # the prefill cuts into an earlier image: start over, images and all
        if keep == 0:
            self.cache = None
        elif keep < self.cache.get_seq_length():
            self.cache.crop(keep - self.cache.get_seq_length())  # transformers 5 crops by a negative count
        self.cache_len = keep
        new_ids = prompt[keep:]
        model = self.model
        device = model.llm.get_input_embeddings().weight.device
        ids = torch.tensor([new_ids], dtype=torch.long, device=device)  # (1,n)
        embeds = model.embed_inputs(ids, [pixels])  # (1,n,D)
        mask = torch.ones(1, self.cache_len + len(new_ids), dtype=torch.long, device=device)
        gcfg = GenerationConfig(use_cache=True, stop_strings=self.processor.stop_strings, vocab=len(model.tokenizer),
                                **{**self.gen, **gen_overrides})
        ctx = context_length(model.llm)
        at_context = self.stop_at_context and ctx is not None and ctx - len(prompt) < gcfg.max_new_tokens
        if at_context:  # past the context a RoPE LLM writes garbage: the answer stops there, shapes closed
            gcfg.max_new_tokens = ctx - len(prompt)
        eos = model.eos_ids()
        streamer = TextStreamer(model.tokenizer, eos, gcfg.stop_strings, on_token)
        task = opening_task(text)  # a tag further on is text: "[vqa] what does [ground] mean?" owes no shape
        mins, need = self.min_objects if task == "det" else 0, shape_need(task)  # a box owed, or no shape
        constraint, adjust = model.decode_hooks(ids, gcfg.max_new_tokens, self.constrain, self.pointer_vis, mins,
                                                need_shape=need, stop_strings=gcfg.stop_strings)
        res = decode(model.llm, model.embed_tokens, embeds, mask, gcfg, eos, cache=self.cache,
                     past_len=self.cache_len, generator=generator, on_step=streamer.step,
                     constraint=constraint, adjust=adjust, push=constraint.push if constraint and mins else None)
        generated = res.tokens[0]
        streamer.flush(generated)
        model.warn_past_context(len(prompt) + len(generated), " (a lower max_new_tokens, or reset the session)")
        answer_ids = streamer.strip(generated)
        in_cache = min(len(answer_ids), len(generated) - 1)  # the last sampled token was never fed
        self.cache = res.cache
        self.token_ids = prompt + answer_ids
        self.cache_len = len(prompt) + in_cache
        extra = self.cache.get_seq_length() - self.cache_len
        if extra > 0:
            self.cache.crop(-extra)  # drop tokens of a stop string / EOS from the cache
        self.pixels = every
        self.modalities += [im.modality for im in images]
        if adjust is not None and adjust.started:
            self.pointer_vis = adjust.vis
        self.last_scores = shape_scores(model.tokenizer.convert_ids_to_tokens(answer_ids),
                                        res.logprobs[0][:len(answer_ids)], res.held[0][:len(answer_ids)])
        answer = streamer.answer(generated).strip()
        # a [ground] answer the grammar owed no box, as the limit left no room for one: cut by it, though it took EOS
        cut = not res.finished[0] or (constraint is not None and need is True and not self.last_scores
                                      and gcfg.max_new_tokens < SMALLEST_SHAPE)
        self.messages = messages + [{"role": "assistant", "content": answer}]
        self.stats.append({"prefill_tokens": len(new_ids), "reused": keep, "images_encoded": len(pixels),
                           "new_tokens": len(generated), "cache_len": self.cache_len, "dropped_turns": dropped,
                           "cut": cut, "at_context": at_context and cut})
        return answer

    def _first_turn(self, question: str, modalities: list[str]) -> list[dict]:
        """The messages of ``question`` asked as a conversation's first turn, about images of ``modalities``."""
        return system_messages(self.system) + [
            {"role": "user", "content": image_turn(question, modalities, self.processor.prompt)}]

    def _check_room(self, prompt: list[int], question: str, pixels: list, modalities: list[str]) -> None:
        """ContextError unless ``prompt`` leaves the LLM's context room for an answer token, saying
        what would help: a new conversation (``question`` asked first about the images, ``pixels``
        of ``modalities``), a shorter question, or neither."""
        ctx = context_length(self.model.llm)
        if ctx is None or len(prompt) < ctx:
            return
        first = self._first_turn(question, modalities)
        alone = len(self.processor.encode(self.processor.chat_prompt(first, add_generation_prompt=True), pixels,
                                          add_special_tokens=True))
        words = len(self.model.tokenizer(question, add_special_tokens=False).input_ids)
        resettable = alone < min(ctx, len(prompt))
        fix = ("reset the session to start a new one" if resettable else
               f"shorten the question ({words} tokens)" if alone - words < ctx else
               "the images and the system prompt alone fill it, so resetting would not help either: use fewer "
               "images or an LLM with a longer context")
        raise ContextError(f"the conversation is {len(prompt)} tokens ({prompt.count(self.model.special.image)} of "
                           f"them for images) but the LLM's context is {ctx} tokens (max_position_embeddings), "
                           f"leaving no room for an answer; {fix}", resettable)

    def _overflow(self, messages: list[dict], prompt: list[int], gen_overrides: dict) -> int | None:
        """Index of the oldest user + assistant exchange without images, to drop when the exchanges
        shown outnumber ``history`` (the turn with the images counts as one) or ``prompt`` leaves
        less room than an answer needs (its ``max_new_tokens``, at most a quarter of the context);
        None when neither holds or no such exchange is left (the turns with images stay)."""
        text_only = [i for i in range(len(messages) - 2) if messages[i]["role"] == "user"
                     and messages[i + 1]["role"] == "assistant" and IMAGE_TOKEN not in messages[i]["content"]]
        if not text_only:
            return None
        if self.history is not None and len(text_only) > max(0, self.history - 1):  # the image turn is one
            return text_only[0]
        ctx = context_length(self.model.llm)
        room = min(gen_overrides.get("max_new_tokens", self.gen["max_new_tokens"]), (ctx or 0) // 4)
        return text_only[0] if ctx is not None and len(prompt) + room > ctx else None


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
