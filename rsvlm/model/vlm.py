"""RSVLM: stems → encoders → projectors → visual embeddings spliced into a causal LM.

    model, processor = create_model(cfg)                     # rsvlm.model.factory
    batch = processor(prompt, [ImageInput(arr, "sar")])
    out = model(**batch, labels=labels)                      # out.loss, out.logits (B,T,V)
    gen = model.generate(**batch, max_new_tokens=32)         # gen.text, gen.tokens

Images of one encoder are encoded in one batched call whatever their modality (each modality's
stem runs first), then each image's tokens get its modality embedding and go through that
encoder's projector. The k-th run of ``<image>`` ids in the text receives the k-th image's tokens.

Limits: on_token streaming is for batch size 1; no beam search.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from rsvlm.data.conversation import PromptConfig
from rsvlm.model.generation import GenerationConfig, check_prompt_ids, decode
from rsvlm.model.grammar import GeometryGrammar, GrammarConstraint, shape_scores
from rsvlm.model.image_args import as_image_input, is_one_image, python_advice
from rsvlm.model.llm import TRAINABILITY, LLMConfig, context_length
from rsvlm.model.pointer import LocPointer, LocPointerConfig, PointerDecoder, pointer_ids
from rsvlm.model.processor import ImageInput, Pixels, Processor, modality_meant
from rsvlm.model.projector import Projector, ProjectorConfig
from rsvlm.model.stem import Stem, StemConfig, prepare
from rsvlm.model.vision import POS_KEYS, VisionConfig, build_encoder
from rsvlm.progress import counted

WHOLE = ("frozen", "full")  # modes of a part without LoRA
TRAINABLE = {"encoder": TRAINABILITY, "stem": WHOLE, "projector": WHOLE, "llm": TRAINABILITY}  # field → its modes


@dataclass
class TrainableConfig:
    """What each part trains; ``TRAINABLE`` lists each field's modes."""

    encoder: str = "frozen"  # frozen | lora | full (all encoders)
    stem: str = "full"  # frozen | full
    projector: str = "full"  # frozen | full
    llm: str = "lora"  # frozen | lora | full


@dataclass
class VLMConfig:
    encoders: dict[str, VisionConfig] = field(default_factory=lambda: {"default": VisionConfig()})
    stems: dict[str, StemConfig] = field(default_factory=lambda: {"optical": StemConfig()})
    projector: ProjectorConfig = field(default_factory=ProjectorConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    trainable: TrainableConfig = field(default_factory=TrainableConfig)
    prompt: PromptConfig = field(default_factory=PromptConfig)  # how training and chat write prompts
    loc_pointer: LocPointerConfig = field(default_factory=LocPointerConfig)  # coordinates from a pointed cell


@dataclass
class GenerateOutput:
    tokens: list[list[int]]  # new ids per sequence (EOS excluded)
    text: list[str]
    logprobs: list[list[float]] = field(default_factory=list)  # log p of each id in tokens
    scores: list[list[float]] = field(default_factory=list)  # per shape closed in text (grammar.shape_scores)
    finished: list[bool] = field(default_factory=list)  # False where max_new_tokens cut the answer short
    past_context: list[bool] = field(default_factory=list)  # True where prompt and answer ran past the LLM's context


class StemLinkError(ValueError):
    """A stem whose modality is not its key or whose encoder is not in ``cfg.encoders``: ``stem`` names the
    entry, ``field`` the broken link (``"modality"`` or ``"encoder"``)."""

    def __init__(self, message: str, stem: str, field: str):
        super().__init__(message)
        self.stem, self.field = stem, field


def check_stem_links(cfg: VLMConfig, prefix: str = "") -> None:
    """StemLinkError naming the first stem whose modality is not its key or whose encoder is not in
    ``cfg.encoders``; ``prefix``: where the model section sits (``"model."`` in a training config)."""
    for name, stem in cfg.stems.items():
        key = f"{prefix}stems.{name}"
        if stem.modality != name:
            raise StemLinkError(f"{key}.modality is {stem.modality!r}; it must equal its key {name!r}", name,
                                "modality")
        if stem.encoder not in cfg.encoders:
            raise StemLinkError(f"{key}.encoder {stem.encoder!r} is not among {prefix}encoders {sorted(cfg.encoders)}",
                                name, "encoder")


class RSVLM(nn.Module):
    def __init__(self, cfg: VLMConfig, llm: nn.Module, tokenizer, special):
        super().__init__()
        check_stem_links(cfg)
        self.cfg = cfg
        self.encoders = nn.ModuleDict({n: build_encoder(c) for n, c in cfg.encoders.items()})
        self.stems = nn.ModuleDict({m: Stem(c, self.encoders[c.encoder].width) for m, c in cfg.stems.items()})
        d_llm = llm.get_input_embeddings().weight.shape[1]
        self.projectors = nn.ModuleDict({n: Projector(cfg.projector, e.width, d_llm) for n, e in self.encoders.items()})
        self.llm = llm
        self.tokenizer = tokenizer
        self.special = special
        self.loc_pointer = LocPointer(cfg.loc_pointer, d_llm) if cfg.loc_pointer.enabled else None
        sides = {math.isqrt(self.n_visual_tokens(m)) for m in cfg.stems}
        if self.loc_pointer is not None and len(sides) == 1:  # one grid for every modality
            self.loc_pointer.grid = sides.pop()
        self._pointer_ids = None

    # -- vision -------------------------------------------------------------------------------
    def image_size(self, modality: str) -> int:
        return self.encoders[self.cfg.stems[modality].encoder].image_size

    def n_visual_tokens(self, modality: str) -> int:
        enc = self.encoders[self.cfg.stems[modality].encoder]
        g = enc.image_size // enc.patch_size
        return self.projectors[self.cfg.stems[modality].encoder].n_tokens((g, g))

    def make_processor(self) -> Processor:
        mods = list(self.cfg.stems)
        return Processor(dict(self.cfg.stems), {m: self.image_size(m) for m in mods},
                         {m: self.n_visual_tokens(m) for m in mods}, self.tokenizer, self.special.image,
                         self.cfg.llm.chat_template, self.cfg.prompt)

    def _pixels(self, image, name: str = "image") -> Pixels:
        """Pixels of any image ``image_args`` takes; one given as other than an ImageInput or Pixels (an array, path,
        PIL image: the Python API's) has its units checked as the processor checks them."""
        if isinstance(image, Pixels):  # the processor's (training's, the CLI's): checked there, in their wording
            return image
        raw = not isinstance(image, ImageInput)
        # the Python API's (generate(images=[[ImageInput]])): bands=, not the CLI's --bands; no processor's fill
        with python_advice(fill="Pixels of processor.prepare_image(image, fill='{}')"):
            image = as_image_input(image, name)
            cfg = self.cfg.stems.get(image.modality)
            if cfg is None:
                raise ValueError(f"{image.name}: no stem for modality {image.modality!r}"
                                 f"{modality_meant(image.modality, self.cfg.stems)}; have {sorted(self.cfg.stems)}")
            return Pixels(prepare(cfg, image.array, self.image_size(image.modality), image.bands, image.name,
                                  units=raw), image.modality)

    def encode_images(self, images: list) -> list[torch.Tensor]:
        """Flat list of images (``_pixels``) → list of (N_i, D_llm) visual embeddings, same order."""
        pix = [self._pixels(im, f"images[{k}]") for k, im in enumerate(images)]
        out: list[torch.Tensor | None] = [None] * len(pix)
        for enc_name, encoder in self.encoders.items():
            idx = [i for i, p in enumerate(pix) if self.cfg.stems[p.modality].encoder == enc_name]
            if not idx:
                continue
            dev, dt = encoder_device_dtype(encoder)
            x = torch.stack([self.stems[pix[i].modality](pix[i].tensor[None].to(dev, dt))[0] for i in idx])  # (n,3,S,S)
            tokens = encoder(x)  # (n,N,Dv)
            tokens = torch.stack([self.stems[pix[i].modality].embed_tokens(tokens[j]) for j, i in enumerate(idx)])
            g = x.shape[-1] // encoder.patch_size
            proj = self.projectors[enc_name](tokens, (x.shape[-2] // encoder.patch_size, g))  # (n,N',Dl)
            for j, i in enumerate(idx):
                out[i] = proj[j]
        return out  # type: ignore[return-value]

    # -- splicing -----------------------------------------------------------------------------
    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        return self.llm.get_input_embeddings()(ids)

    def embed_inputs(self, input_ids: torch.Tensor, images=None) -> torch.Tensor:
        """(B,T) ids + per-sample image lists → (B,T,D) embeddings with visual tokens spliced in."""
        embeds = self.embed_tokens(input_ids)  # (B,T,D)
        slots = input_ids == self.special.image  # (B,T)
        if is_one_image(images) or (isinstance(images, (list, tuple)) and images and is_one_image(images[0])):
            if input_ids.shape[0] != 1:  # a flat list: the images of one sequence
                raise ValueError(f"{input_ids.shape[0]} sequences take one list of images each, e.g. [[a], [b]]")
            images = [[images]] if is_one_image(images) else [images]
        images = [list(x) for x in (images or [[] for _ in range(input_ids.shape[0])])]
        if len(images) != input_ids.shape[0]:
            n, k = input_ids.shape[0], len(images)
            raise ValueError(f"input_ids hold {n} sequence{'s' * (n != 1)} but images {k} list{'s' * (k != 1)}: give "
                             "one list of images per sequence, in order (images=[[a], [b]] for two)")
        flat = [self._pixels(im, f"images[{b}][{j}]") for b, ims in enumerate(images) for j, im in enumerate(ims)]
        if not flat:
            if slots.any():
                raise ValueError(f"input_ids hold {counted(int(slots.sum()), 'image token')} but no images were given")
            return embeds
        visual = self.encode_images(flat)
        k = 0
        rows = []
        for b, ims in enumerate(images):
            vis = visual[k:k + len(ims)]
            k += len(ims)
            n_vis = sum(v.shape[0] for v in vis)
            n_slot = int(slots[b].sum())
            if n_vis != n_slot:
                raise ValueError(f"sample {b}: {counted(n_slot, 'image token position')} in input_ids but its "
                                 f"{counted(len(ims), 'image')} give{'s' * (len(ims) == 1)} {counted(n_vis, 'visual token')}")
            row = embeds[b]
            if n_vis:
                row = row.masked_scatter(slots[b][:, None], torch.cat(vis).to(row.dtype))
            rows.append(row)
        return torch.stack(rows)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, images=None,
                labels: torch.Tensor | None = None, **llm_kwargs):
        """→ the LLM's output (``.loss`` when labels are given, ``.logits`` (B,T,V))."""
        device = self.llm.get_input_embeddings().weight.device  # the processor gives CPU tensors
        input_ids = input_ids.to(device)  # (B,T)
        attention_mask = None if attention_mask is None else attention_mask.to(device)
        labels = None if labels is None else labels.to(device)  # the pointer's loss below meets logits
        embeds = self.embed_inputs(input_ids, images)
        llm_kwargs.setdefault("use_cache", False)  # a whole-sequence pass; decoding keeps its own cache
        if self.loc_pointer is None:
            return self.llm(inputs_embeds=embeds, attention_mask=attention_mask, labels=labels, **llm_kwargs)
        out = self.llm(inputs_embeds=embeds, attention_mask=attention_mask,
                       **{**llm_kwargs, "output_hidden_states": True})
        out.logits = self.loc_pointer.adjust_logits(out.logits, out.hidden_states[-1], input_ids, self.pointer_ids())
        if labels is not None:  # the LLM's own loss would miss the pointer's term
            n = out.logits.shape[1]
            out.loss = torch.nn.functional.cross_entropy(out.logits[:, :-1].flatten(0, 1).float(),  # (B*(n-1),V)
                                                         labels[:, labels.shape[1] - n + 1:].flatten(),
                                                         ignore_index=-100)
        return out

    def pointer_ids(self):
        if self._pointer_ids is None:
            self._pointer_ids = pointer_ids(self.tokenizer, self.special.image)
        return self._pointer_ids

    # -- generation ---------------------------------------------------------------------------
    def check_context(self, ids: list[int], what: str = "the prompt", fix: str = "") -> None:
        """ValueError when ``ids`` (one sequence, images expanded) do not fit the LLM's context:
        past ``max_position_embeddings`` a RoPE model answers garbage without a word."""
        ctx = context_length(self.llm)
        if ctx is not None and len(ids) > ctx:
            is_img = [i == self.special.image for i in ids]
            n_vis, runs = sum(is_img), sum(b and not a for a, b in zip([False, *is_img], is_img))
            # several images: runs of image tokens, or one run longer than any one image's ('<image><image>')
            several = runs > 1 or n_vis > max(map(self.n_visual_tokens, self.cfg.stems), default=n_vis)
            fix = fix or ("; use fewer images or a shorter text" if several else "; use a shorter text")
            raise ValueError(f"{what} is {len(ids)} tokens ({n_vis} of them for images) but the LLM's context is "
                             f"{ctx} tokens (max_position_embeddings){fix}")

    def past_context(self, n_tokens: int) -> bool:
        """Whether a prompt and its answer (``n_tokens`` in all) ran past the LLM's context."""
        ctx = context_length(self.llm)
        return ctx is not None and n_tokens > ctx

    def warn_past_context(self, n_tokens: int, fix: str = "", stacklevel: int = 4) -> None:
        """A warning when a prompt and its answer (``n_tokens`` in all) ran past the LLM's context:
        the answer's end is unreliable. ``stacklevel`` 4 names the line that called generate or
        ``ChatSession.ask`` (each under ``torch.no_grad``'s wrapper, a frame of torch's own)."""
        if self.past_context(n_tokens):
            ctx = context_length(self.llm)
            warnings.warn(f"an answer ran {counted(n_tokens - ctx, 'token')} past the LLM's context of {ctx} "
                          f"(max_position_embeddings); its end is unreliable{fix}", stacklevel=stacklevel)

    def eos_ids(self) -> set[int]:
        ids = getattr(self.llm, "generation_config", None)
        eos = getattr(ids, "eos_token_id", None) if ids is not None else None
        out = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            out.add(self.tokenizer.eos_token_id)
        return out

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, images=None,
                 max_new_tokens: int = 64, do_sample: bool = False, temperature: float = 1.0, top_p: float = 1.0,
                 use_cache: bool = True, stop_strings: str | list[str] | None = None,
                 on_token: Callable[[str], None] | None = None, generator: torch.Generator | None = None,
                 constrain: bool = True, min_shapes: int | list[int] = 0,
                 need_shape: bool | str | list[bool | str] = False, warn_context: bool = True) -> GenerateOutput:
        """Greedy or sampled continuation of left-padded prompts; ``on_token(piece)`` streams text (B=1).
        ``past_context`` in the output flags each answer that ran past the LLM's context; ``warn_context``
        also warns (once, of the longest), for a caller that does not read the flags.

        ``constrain`` holds geometry to its grammar (``rsvlm.model.grammar``); False decodes freely.
        ``min_shapes`` (per sequence or for all; needs the grammar) keeps an answer writing objects
        until it has that many (``GrammarConstraint.push``), each scored by the model's own belief;
        ``need_shape`` (per sequence or for all; needs the grammar) holds an answer to boxes (``<box>``,
        ``<obb>``) and keeps it from ending before it has closed one (a ``[ground]`` answer), or, as
        ``grammar.NO_SHAPE`` (``grammar.shape_need``: ``[cls]``, ``[vqa]``, ``[regcap]``), lets it open no shape tag,
        or, as ``grammar.REGION`` (``[seg]``), opens only ``<poly>`` and ``<mask>``.
        ``stop_strings`` (one string, or a list) end an answer where its text holds one; the grammar also keeps
        text from finishing one where EOS may not come (inside ``<ref>``, before an owed shape). Without the
        grammar (``constrain=False``) ``need_shape`` is a task's default the free answer is not held to, and a
        ``min_shapes`` above 0 is refused (``decode_hooks``)."""
        check_prompt_ids(input_ids, attention_mask)  # text, None, a list: named (was an AttributeError in .to)
        device = self.llm.get_input_embeddings().weight.device  # the processor gives CPU tensors
        input_ids = input_ids.to(device)  # (B,T)
        attention_mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask.to(device)
        if on_token is not None and input_ids.shape[0] != 1:
            raise ValueError("on_token streaming needs batch size 1")
        masks = attention_mask.tolist()  # (B,T) on the host once: the checks and the lengths past the answers
        for k, (row, m) in enumerate(zip(input_ids.tolist(), masks)):
            if not any(m):  # the LLM failed on it with a reshape error
                raise ValueError(f"sequence {k}: empty prompt (no tokens); ask something")
            self.check_context([i for i, keep in zip(row, m) if keep])
        stops = [stop_strings] if isinstance(stop_strings, str) else list(stop_strings or [])  # "ship": one, not 4
        gcfg = GenerationConfig(max_new_tokens, do_sample, temperature, top_p, use_cache, stops, len(self.tokenizer))
        embeds = self.embed_inputs(input_ids, images)
        streamer = TextStreamer(self.tokenizer, self.eos_ids(), gcfg.stop_strings, on_token)
        constraint, adjust = self.decode_hooks(input_ids, max_new_tokens, constrain, min_shapes=min_shapes,
                                               need_shape=need_shape, stop_strings=gcfg.stop_strings)
        push = constraint.push if constraint is not None and any(constraint.min_shapes) else None
        res = decode(self.llm, self.embed_tokens, embeds, attention_mask, gcfg, self.eos_ids(),
                     generator=generator, on_step=streamer.step, constraint=constraint, adjust=adjust, push=push)
        streamer.flush(res.tokens[0])
        lengths = [sum(m) + len(t) for m, t in zip(masks, res.tokens)]  # each row's prompt and answer
        past = [self.past_context(n) for n in lengths]
        if warn_context and any(past):
            self.warn_past_context(max(lengths))
        tokens = [streamer.strip(t) for t in res.tokens]
        logprobs = [lp[:len(t)] for lp, t in zip(res.logprobs, tokens)]
        scores = [shape_scores(self.tokenizer.convert_ids_to_tokens(t), lp, h[:len(t)])
                  for t, lp, h in zip(tokens, logprobs, res.held)]
        return GenerateOutput(tokens, [streamer.answer(t) for t in res.tokens], logprobs, scores, res.finished, past)

    def decode_hooks(self, input_ids: torch.Tensor, max_new_tokens: int, constrain: bool,
                     vis: list | None = None, min_shapes: int | list[int] = 0,
                     need_shape: bool | str | list[bool | str] = False,
                     stop_strings: list[str] = ()) -> tuple[GrammarConstraint | None, PointerDecoder | None]:
        """``decode``'s constraint (None when ``constrain`` is False: ``need_shape`` and the grammar's hold on
        ``stop_strings`` then do nothing, and a ``min_shapes`` above 0, which only the grammar can keep, is a
        ValueError) and, for a model with a loc pointer, its ``adjust`` (which needs the grammar to know where
        coordinates are); ``vis`` carries a chat's earlier visual states."""
        if not constrain and any(min_shapes if isinstance(min_shapes, (list, tuple)) else [min_shapes]):
            raise ValueError(f"min_shapes={min_shapes!r} needs the geometry grammar, which constrain=False turns "
                             "off (free decoding cannot keep an answer writing objects): give min_shapes=0, or "
                             "decode under the grammar (constrain=True)")
        constraint = self.grammar_constraint(input_ids.shape[0], max_new_tokens, min_shapes, need_shape,
                                             stop_strings) if constrain else None
        if self.loc_pointer is None or constraint is None:
            return constraint, None
        return constraint, PointerDecoder(self.loc_pointer, self.pointer_ids(), input_ids, constraint, vis)

    def grammar_constraint(self, batch: int, max_new_tokens: int, min_shapes: int | list[int] = 0,
                           need_shape: bool | str | list[bool | str] = False,
                           stop_strings: list[str] = ()) -> GrammarConstraint | None:
        """A fresh geometry-grammar constraint for ``batch`` sequences of at most ``max_new_tokens``
        (the options: ``GrammarConstraint``); None where the tokenizer lacks rsvlm's tokens."""
        if not GeometryGrammar.supports(self.tokenizer):
            return None
        return GrammarConstraint(self.tokenizer, self.eos_ids(), batch, max_new_tokens, min_shapes, need_shape,
                                 stop_strings)

    def enable_gradient_checkpointing(self) -> None:
        """Trade compute for memory in training: encoder blocks and LLM layers are recomputed in
        the backward pass (non-reentrant checkpointing, so frozen inputs need no grad hooks)."""
        from rsvlm.model.vision import enable_gradient_checkpointing, enable_hf_checkpointing

        for encoder in self.encoders.values():
            enable_gradient_checkpointing(encoder)
        enable_hf_checkpointing(self.llm)

    # -- checkpoints (see rsvlm.model.checkpoint) ----------------------------------------------
    def save_pretrained(self, out_dir, adapter_only: bool = False):
        from rsvlm.model.checkpoint import save_pretrained

        return save_pretrained(self, out_dir, adapter_only=adapter_only)

    @classmethod
    def from_pretrained(cls, ckpt_dir, **kwargs) -> RSVLM:
        from rsvlm.model.checkpoint import load_pretrained

        return load_pretrained(ckpt_dir, **kwargs)[0]


def encoder_device_dtype(module: nn.Module) -> tuple[torch.device, torch.dtype]:
    p = next(module.parameters())
    return p.device, p.dtype


def cut_stops(text: str, stops: list[str], shortest: int) -> str:
    """``text`` up to its first stop string, less a trailing start of one at least ``shortest``
    characters long (1 while streaming, where a held-back "<" is printed with the next piece; 2 for
    a finished answer, which may end in a lone "<" of its own)."""
    for s in stops:
        cut = text.find(s)
        text = text[:cut] if cut >= 0 else text
    for s in stops:
        for k in range(len(s) - 1, shortest - 1, -1):
            if text.endswith(s[:k]):
                return text[:-k]
    return text


class TextStreamer:
    """Decodes growing token lists: streams new text pieces, finds stop strings, strips the end."""

    def __init__(self, tokenizer, eos_ids: set[int], stop_strings: list[str], on_token=None):
        self.tok, self.eos, self.stops, self.on_token = tokenizer, eos_ids, stop_strings, on_token
        self.sent = ""

    def text(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=False)

    def step(self, tokens: list[list[int]]) -> list[bool]:
        """Per sequence, whether its text holds a stop string (``decode``'s ``on_step``); streams the first."""
        if self.on_token is None and not self.stops:
            return [False] * len(tokens)
        texts = [self.text([i for i in t if i not in self.eos]) if t else "" for t in tokens]  # [] = finished row
        if self.on_token is not None:
            visible = cut_stops(texts[0], self.stops, shortest=1)  # hold back what may start a stop string
            if not visible.endswith("\ufffd") and len(visible) > len(self.sent) and visible.startswith(self.sent):
                self.on_token(visible[len(self.sent):])
                self.sent = visible
        return [any(s in t for s in self.stops) for t in texts]

    def flush(self, ids: list[int]) -> None:
        """Stream what is left of the answer once generation ends (held back while it ended in
        half a character or might have been the start of a stop string)."""
        if self.on_token is None:
            return
        text = self.answer(ids)
        if len(text) > len(self.sent) and text.startswith(self.sent):
            self.on_token(text[len(self.sent):])
            self.sent = text

    def answer(self, ids: list[int]) -> str:
        """Text of generated ``ids`` up to the first EOS id, cut at the first stop string, and without a
        trailing start of one ("<|end" when the token limit or an EOS came first). Cut in the text,
        not only in the tokens: a BPE piece can join an answer's last character to the stop string
        ("None" ".<|" "end" "|>"). A character cut short at the end (the limit inside "。", written in
        byte pieces) is no text: its bytes read U+FFFD each and are dropped (a U+FFFD the model wrote
        last goes with them)."""
        end = next((k for k, i in enumerate(ids) if i in self.eos), len(ids))
        text = cut_stops(self.text(ids[:end]), self.stops, shortest=2)
        return cut_stops(text.rstrip("\ufffd"), self.stops, shortest=2) if text.endswith("\ufffd") else text

    def strip(self, ids: list[int]) -> list[int]:
        """The tokens of ``answer``'s text: up to the first EOS, less every token that holds part of a
        stop string, a cut start of one or a cut character, at the end. Dropping tokens only while the
        text held a whole stop string kept its first pieces ("None" ".<|" "end" of "None.<|end|>"; all of
        "<|end" where the limit cut it) in ``GenerateOutput.tokens`` and a chat's history; a piece that
        joins the answer's last character to the stop string (".<|") goes with it."""
        ids = ids[:next((k for k, i in enumerate(ids) if i in self.eos), len(ids))]
        keep = len(self.answer(ids))
        while ids and len(self.text(ids)) > keep:
            ids = ids[:-1]
        return ids


def place_vision_side(model: RSVLM, device: str | torch.device | None, dtype: torch.dtype | None) -> None:
    """Move the vision side (encoders, stems, projectors) to ``device`` and ``dtype``, and the loc pointer to
    ``device`` alone: its maths runs in float32 (``LocPointer.log_prior``). The LLM is placed as it loads."""
    for part in (model.encoders, model.stems, model.projectors):
        part.to(device=device, dtype=dtype)
    if model.loc_pointer is not None:  # was left on the CPU: a CUDA model with a pointer failed at its first answer
        model.loc_pointer.to(device=device)


def params_on_meta():
    """A context in which parameters are made on the meta device (no memory, no random init) and buffers as usual:
    non-persistent ones (CLIP's ``position_ids``) are in no checkpoint. For a vision side whose every weight a
    checkpoint replaces next (``load_pretrained``; was: built at random first, for a CLIP-L tower 3.3× the CPU time
    and 1158 MiB more peak RSS: docs/benchmarks/load_time.md)."""
    from accelerate import init_empty_weights

    return init_empty_weights(include_buffers=False)


def left_on_meta(model: nn.Module) -> list[str]:
    """The names of ``model``'s parameters and buffers still on the meta device (no values: not loaded)."""
    tensors = [*model.named_parameters(remove_duplicate=False), *model.named_buffers(remove_duplicate=False)]
    return [n for n, t in tensors if t.is_meta]


def set_trainable(model: RSVLM) -> None:
    """Apply ``cfg.trainable`` to the vision side (the LLM is handled in ``apply_llm_trainability``)."""
    t = model.cfg.trainable
    for part, mode in (("stem", t.stem), ("projector", t.projector)):
        if mode not in TRAINABLE[part]:
            raise ValueError(f"trainable.{part} must be {' or '.join(TRAINABLE[part])}, got {mode!r} "
                             "(LoRA is for encoder and llm)")
    if t.encoder not in TRAINABLE["encoder"]:
        raise ValueError(f"trainable.encoder must be one of {TRAINABLE['encoder']}, got {t.encoder!r}")
    model.stems.requires_grad_(t.stem == "full")
    model.projectors.requires_grad_(t.projector == "full")
    if model.loc_pointer is not None:  # trained with the projector it reads through
        model.loc_pointer.requires_grad_(t.projector == "full")
    model.encoders.requires_grad_(t.encoder == "full")
    for name, enc in model.encoders.items():
        if t.encoder == "lora":
            from rsvlm.model.llm import check_lora_targets
            from rsvlm.model.quiet import bitsandbytes_quietly

            with bitsandbytes_quietly():
                from peft import LoraConfig, inject_adapter_in_model

            vc = model.cfg.encoders[name]
            if vc.lora_r < 1:
                raise ValueError(f"encoders.{name}.lora_r must be >= 1, got {vc.lora_r}")
            check_lora_targets(enc, list(vc.lora_target_modules), f"encoders.{name}.lora_target_modules")
            inject_adapter_in_model(LoraConfig(r=vc.lora_r, lora_alpha=vc.lora_alpha,
                                               target_modules=list(vc.lora_target_modules)), enc)
        if getattr(enc, "gate", None) is not None:  # the patch-skip gate is new, not pretrained
            enc.gate.requires_grad_(t.encoder == "full" or t.stem == "full")
        if getattr(enc, "fixed_positions", False):  # the encoder's flag, whatever its type (was: open_clip's cfg only)
            for key, p in enc.named_parameters():
                if key in POS_KEYS:  # fixed sin-cos positions stay fixed, even under encoder: full
                    p.requires_grad_(False)
