"""Grammar-constrained decoding: the model can only write geometry that ``geometry.decode`` reads
without a problem.

At every step each sequence's state in the geometry grammar (DESIGN.md, ``rsvlm.geometry.grid``)
gives the tokens allowed next; the rest get ``-inf`` logits before greedy or sampled choice.

* Outside a shape: any text, EOS and the opening tags ``<ref> <box> <obb> <point> <poly> <mask>``;
  never a ``<loc_N>``, a closing tag, ``<grid> </grid> <row> <run>``, ``<image>`` or a task tag.
  Nor may text spell one the codec would read (``<`` ``bo`` ``x>`` is ``<box>`` to it; in a label
  too), and text ending on the start of a tag (``<bo``, ``</``; not a lone ``<``) cannot take EOS.
* ``<ref>``: text, then ``</ref>`` (no EOS, no other rsvlm token). After ``</ref>`` a shape or a
  word must come before EOS or another ``<ref>`` (``geometry.decode`` reports a label with neither).
  The chat template's stop strings end an answer where they start (``generate`` cuts it there), so
  text finishes one only where EOS could follow the text before it (not ``<ref>sh<|end|>``,
  ``<bo<|end|>``, nor ``<ref>ship</ref><|end|>``, whose "end" is no word), and EOS follows a stop
  string's start (which ``generate`` drops too) only where it could follow the text before that.
  Where no text may end the answer (a label; right after ``</ref>``, text with no word before it), no text
  starts a stop string either: a model that wanted to stop there wrote its start and then, held from
  its end, a mangled one (``<|endend|>``).
* An answer that needs a shape (``need_shape``: a ``[ground]`` question, DESIGN.md's "one or more
  boxes") writes ``<box>`` and ``<obb>`` only, and takes no EOS before one, nor text outside a ``<ref>``
  label (``0% of.<obb>…`` was a [ground] answer; training's are boxes alone); its owed box's score holds
  the wish to stop: the share of the model's mass the hold kept from ending, counted once in full
  (``GrammarConstraint.also_scored``, ``DecodeResult.held``, ``shape_scores``).
* An answer that may hold no shape (``need_shape`` ``NO_SHAPE``: a ``[cls]``, ``[vqa]`` or ``[regcap]``
  question, ``TEXT_TASKS``, whose answer DESIGN.md gives as a class name, a word or phrase, text) opens
  none: ``<box>`` and the other shapes' tags never, nor EOS or a stop string before a word (where the model
  wanted a box first, it answered nothing: an empty answer no caller marked); a ``<ref>`` label only with
  room for a word after it (``<ref>harbour</ref> harbour`` reads as text: ``geometry.decode`` reports no problem).
* A ``[seg]`` answer (``need_shape`` ``REGION``) opens ``<poly>`` and ``<mask>`` only (DESIGN.md: ``<ref>…</ref><poly>…``
  or ``<mask>…``; training's are those alone), or ends in text ("None."): a box named no region's outline.
* ``<box>``: four locations with x1<=x2, y1<=y2, then ``</box>``; ``<obb>`` eight, its 4th corner none that
  makes two edges cross (``grammar_shapes.obb_corner_bins``: ``decode`` swapped such corners, reporting it); ``<point>`` two.
* ``<poly>``: locations; ``</poly>`` only after an even count of at least six (three vertices).
* ``<mask>``: ``<grid>``, X1 Y1 X2>=X1 Y2>=Y1 C>=1 R>=1, ``</grid>``, then rows whose runs never
  exceed C columns and ``<run>`` repeats that never pass R rows; ``</mask>`` exactly after R rows, one
  cell on among them (a run after a row's first, off one): where none came before, the last row holds it
  (its off run leaves a column, a ``<run>`` repeat leaves it a row).

Given ``max_new_tokens``, a token is allowed only if the shortest way to close the open shape
after it still fits: a shape is never cut by the token limit, and one that would not fit is never
opened (a ``<poly>`` running long is closed, a ``<mask>`` ends its rows with ``<run>``); a ``<ref>``
opens only with room for a label token and a shape after its ``</ref>``, and its label goes on only
while that shape still fits, and for ``MAX_LABEL_TOKENS`` tokens at most (then ``</ref>``, the answer ``cut``
where the model wanted more, as by the budget). An answer in which the budget hid, at any step, the token the model
ranked first (a shape it wanted, its label's next piece, a polygon's next vertex) is ``cut``
(``GrammarConstraint.cut_by_budget``): the grammar cannot know a label's length in advance, so a
label can still be closed mid-word (``<ref>b</ref>`` of "building"), but never silently, and where the answer
could not end there the mass the budget hid counts in that shape's score (``also_scored``): near 0, not a
confident-looking ``<point>`` in a corner.

Cannot: check meaning (the right class, the canonical corner order, a simple ring), stop a
model from spending its budget on one long shape, or keep the token limit from cutting text on
the start of a tag such as "</" or "<bo" (the codec reports that as a cut tag), or text from spelling a
prompt token in pieces (``[`` ``det`` ``]``, ``<`` ``image`` ``>``; their tokens it forbids): ``decode``
reports one in a label, and ``--tta`` leaves such an answer out. A
tokenizer without rsvlm's tokens gets no constraint (``RSVLM.grammar_constraint`` returns None).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import replace

import torch

from rsvlm.geometry.codec import is_cut_tag, may_start_tag, spells_tag, tag_ends
from rsvlm.model.grammar_pieces import WORD, after, angle_pieces, hold_stops, stop_pieces

# what a shape costs and allows inside it (SHAPE_COST, SMALLEST_SHAPE here too: answering, session import them)
from rsvlm.model.grammar_shapes import BOX_KINDS, CHEAPEST, SHAPE_COST, SMALLEST_SHAPE, inside_shape

# the walk, here too for those who import it from here (training's coordinate_axes)
from rsvlm.model.grammar_walk import SHAPE_KINDS, SHAPE_LOCS, GrammarIds, State, coordinate_axes, next_axis  # noqa: F401
from rsvlm.tokens import IMAGE_TOKEN, NUM_BINS, loc_token, mask_tokens, task_tag_tokens

LABEL_ROOM = 2 + CHEAPEST  # inside a label: one more token, </ref>, then a <point> shape
# … and <ref> with a label token and the smallest shape after it: a label the budget would leave
# empty or without a shape is never opened
OPEN_COST = {"ref": 1 + LABEL_ROOM, **SHAPE_COST}
BOX_OPEN_COST = {"ref": 3 + SMALLEST_SHAPE, **{k: SHAPE_COST[k] for k in BOX_KINDS}}  # the same in a [ground] answer
SEG_KINDS = ("poly", "mask")  # the shapes of a [seg] answer: DESIGN.md, "<ref>…</ref><poly>… or <mask>…"
SEG_OPEN_COST = {"ref": 3 + SHAPE_COST["poly"], **{k: SHAPE_COST[k] for k in SEG_KINDS}}  # the same in a [seg] answer
REGION = "region"  # ``need_shape`` of an answer whose shapes are regions (``SEG_KINDS``): a [seg] answer
TEXT_OPEN_COST = {"ref": 4}  # the same where no shape may come: <ref>, a label token, </ref>, a word
NO_SHAPE = "none"  # ``need_shape`` of an answer that holds no shape (``TEXT_TASKS``)
TEXT_TASKS = ("cls", "vqa", "regcap")  # DESIGN.md: a class name, a word or short phrase, text ([cap] and [count]
# answers may hold shapes: a GeoChat grounded caption, points on what was counted)
# a <ref> label's tokens at most: a class name or referring phrase (the synthetic and converted data's longest is 24
# characters), not a runaway text that spends the answer's budget (at 1 token a byte, 256 characters)
MAX_LABEL_TOKENS = 256
BUDGET_REACH = max(OPEN_COST.values())  # with this many tokens left or more, the budget hides nothing
RUN_KEEP = 64  # text tokens kept to find a stop string begun in them: 16 characters at 4 bytes a token


def shape_need(task: str | None) -> bool | str:
    """What an answer to a ``task`` question owes of shapes, as ``GrammarConstraint``'s ``need_shape``
    takes it: True for ``[ground]`` (one box at least), ``NO_SHAPE`` for ``TEXT_TASKS`` (none), ``REGION``
    for ``[seg]`` (polygons and grid masks only, or text: "None."), else False."""
    return True if task == "ground" else NO_SHAPE if task in TEXT_TASKS else REGION if task == "seg" else False


def shape_scores(pieces: list[str], logprobs: list[float], held: list[float] | None = None) -> list[float]:
    """A confidence in (0, 1] for each shape an answer closes, in answer order: the geometric-mean
    probability of its tokens from just after the previous shape's closing tag through its own
    (the choice to write another object at all, its ``<ref>`` label, its locations), times the share
    an owed box kept from the answer's end at each of those steps (``held``, ``DecodeResult.held``:
    the model's wish to stop counts once, in full, not diluted by the mean over the box's tokens).
    ``pieces`` are the generated tokens as strings, ``logprobs`` their log-probabilities
    (``DecodeResult.logprobs``, the held share included; without ``held`` it is averaged in as one
    token's). A shape left open at the end gets none.

    Cannot: tell a right box from a confidently wrong one; it is the model's own belief, which
    detection AP uses to rank, not a calibrated probability (a model trained with Gaussian
    location targets, ``loss.loc_sigma``, spreads each location over neighbouring bins, so its
    scores run low). A ``<poly>`` that ``geometry.decode`` makes the previous one's
    hole has a score of its own, so scores and decoded objects then differ in number."""
    closes = {f"</{k}>" for k in SHAPE_KINDS}
    held = [0.0] * len(logprobs) if held is None else held
    out, start = [], 0
    for i, piece in enumerate(pieces):
        if piece in closes:
            span, share = logprobs[start:i + 1], sum(held[start:i + 1])
            out.append(math.exp((sum(span) - share) / len(span) + share))
            start = i + 1
    return out



class GeometryGrammar:
    """Token ids of the grammar for one tokenizer, and the allowed set of each state."""

    def __init__(self, tokenizer, vocab_size: int, eos_ids: set[int]):
        self.ids = GrammarIds.of(tokenizer)
        self.tokenizer, self.decode, self.batch_decode = tokenizer, tokenizer.decode, tokenizer.batch_decode
        self.vocab = vocab_size
        self.eos = {i for i in eos_ids if i < vocab_size}
        tid = tokenizer.convert_tokens_to_ids
        ours = [tid(t) for t in [IMAGE_TOKEN, *mask_tokens(), *task_tag_tokens()]]
        ours += list(self.ids.open.values()) + list(self.ids.close.values())
        # text: every id the tokenizer knows (logit rows past it are padding) but rsvlm's own
        text = torch.zeros(vocab_size, dtype=torch.bool)
        text[: min(len(tokenizer), vocab_size)] = True
        text[self.ids.loc0: self.ids.loc0 + NUM_BINS] = False
        text[ours] = False
        self.plain = text.clone()  # (V,) the text tokens
        self.angle = angle_pieces(tokenizer, text)
        text[self.angle.whole] = False
        self.ref_ok = text.clone()
        self.ref_ok[self.ids.close["ref"]] = True
        self.ref_ok[list(self.eos)] = False
        self.text_ok = text
        self.text_ok[list(self.ids.open.values())] = True
        self.text_ok[list(self.eos)] = True

    def advance(self, s: State, t: int) -> None:
        """``GrammarIds.advance``, and text holding a word since ``</ref>`` ends a label's wait for a
        shape (``<ref>harbour</ref> None.`` says of the label in words; ``geometry.decode`` agrees)."""
        waiting = s.mode == "text" and s.labelled
        texty = s.mode in ("text", "ref")
        self.ids.advance(s, t)
        text = texty and bool(self.plain[t])  # a text token in text or a label (it moves no state)
        s.run, s.whole = ([*s.run, t], s.whole) if text else ([], False)
        s.since_ref = t == self.ids.close["ref"] or (s.since_ref and text)
        s.word_at = s.word_at if s.since_ref else 0
        if s.tail or t in self.angle.openers:  # else it stays empty: the common case, checked in a set
            s.tail = self._tail(s.tail, t) if text else []
        if waiting and s.labelled:  # the run is the text since </ref>, decoded together: a byte-level piece
            s.labelled = not WORD.search(self.decode(s.run))  # of "无" alone reads "\ufffd"
            s.word_at = 0 if s.labelled else len(s.run)
        drop = len(s.run) - RUN_KEEP
        if drop > 0 and s.since_ref and 0 < s.word_at <= drop:
            s.since_ref, s.word_at = False, 0  # the first word since </ref> is before any stop string in the run
        if drop > 0 and not s.since_ref:
            s.run, s.whole = s.run[drop:], False

    def run_texts(self, s: State, more: list[list[int]]) -> list[str]:
        """The texts of ``s.run`` followed by each of ``more`` as they read in the answer (a SentencePiece
        space leading the run counts, but at the answer's start, where its decode drops it too)."""
        return after(self.tokenizer, None if s.whole else self.ids.close["ref"], [s.run + m for m in more])

    def _tail(self, tail: list[int], t: int) -> list[int]:
        """The text tokens from the last piece holding "<" after text token ``t``, while their text from
        that "<" on may still become a tag; else []."""
        tail = [t] if t in self.angle.openers else tail + [t] if tail else []
        return tail if tail and may_start_tag(self.from_lt(tail)) else []

    def from_lt(self, ids: list[int]) -> str:
        """The text of ``ids`` from its last "<" on (all of it where there is none): what may become a tag."""
        text = self.decode(ids)
        return text[text.rfind("<"):]

    def _unspelled(self, s: State, ok: torch.Tensor) -> torch.Tensor:
        """``ok`` without the text pieces that would finish a tag begun in ``s.tail`` (``geometry.decode``
        would read a shape the grammar never checked, or a stray location) and, in text, without EOS
        where the text ends on the start of a tag (``decode``: "text ends inside a tag")."""
        ok, rest = ok.clone(), self.from_lt(s.tail)
        # a piece finishes the tag when its text up to its ">" is the tag's rest: looked up, not scanned
        named, loc = tag_ends(rest)
        heads = [h for h in named if h in self.angle.ends]
        heads += [h for h in self.angle.loc_ends if spells_tag(rest + h)] if loc else []
        ids = [i for h in heads for i in self.angle.ends[h]]
        ids = [i for i, keep in zip(ids, ok[ids].tolist()) if keep]
        if ids:  # then the exact test, in context (a SentencePiece "▁x>" is " x>" there)
            ok[[i for i, t in zip(ids, self.batch_decode([s.tail + [i] for i in ids])) if spells_tag(t)]] = False
        if s.mode == "text" and is_cut_tag(rest):
            ok[list(self.eos)] = False
        return ok

    @staticmethod
    def supports(tokenizer) -> bool:
        unk = getattr(tokenizer, "unk_token_id", None)
        i = tokenizer.convert_tokens_to_ids(loc_token(0))
        return i is not None and i != unk

    # -- allowed sets ------------------------------------------------------------------------
    def allowed(self, s: State, left: int = 1 << 30) -> torch.Tensor:
        """(V,) bool: the tokens that may follow in state ``s`` when ``left`` tokens remain (this one
        included). A token is allowed only if the shortest way to close the open shape after it
        still fits, so a shape opened within the budget always closes."""
        if s.mode in ("text", "ref") and s.tail:
            return self._unspelled(s, self._allowed(s, left))
        return self._allowed(s, left)

    @staticmethod
    def owes(s: State, left: int) -> bool:
        """Whether ``s`` may not end yet for want of a box (``need_shape``, none closed, one still fits)."""
        return s.need_shape and not s.closed and left >= SMALLEST_SHAPE

    def _allowed(self, s: State, left: int) -> torch.Tensor:
        cost, small = ((BOX_OPEN_COST, SMALLEST_SHAPE) if s.need_shape else (TEXT_OPEN_COST, 1) if s.no_shape
                       else (SEG_OPEN_COST, SHAPE_COST["poly"]) if s.region else (OPEN_COST, CHEAPEST))
        if s.mode == "text":
            owed = self.owes(s, left)
            if s.labelled or owed:  # a shape is due: text only while the smallest still fits after it,
                # and none before an owed box (a [ground] answer is boxes, a <ref> at most); a word where none may come
                fits = left > small or s.no_shape
                ok = self.text_ok.clone() if fits and not owed else torch.zeros(self.vocab, dtype=torch.bool)
                ok[list(self.eos)] = False
                ok[list(self.ids.open.values())] = False
                ok[[self.ids.open[k] for k, c in cost.items() if c <= left and (k != "ref" or not s.since_ref)]] = True
                return ok
            if left >= BUDGET_REACH and not (s.need_shape or s.no_shape or s.region):
                return self.text_ok
            ok = self.text_ok.clone()
            ok[[i for k, i in self.ids.open.items() if cost.get(k, left + 1) > left]] = False
            return ok
        if s.mode == "ref":
            if left >= 2 + small and s.label_len < MAX_LABEL_TOKENS:
                return self.ref_ok
            ok = torch.zeros(self.vocab, dtype=torch.bool)
            ok[self.ids.close["ref"]] = True
            return ok
        return inside_shape(self.ids, s, left, self.vocab)

class GrammarConstraint:
    """Per-``generate`` state: ``constraint(tokens, vocab_size) -> (B, V) allowed`` for
    ``generation.decode``. The grammar is built on the first call, when the logits' width is known.

    ``min_shapes`` (one per sequence, or one for all) keeps an answer that has written an object
    writing more until it has that many (Pix2Seq's delayed end of sequence, for detection recall):
    ``push`` then leaves it, between shapes, only the opening tags of the kinds it already wrote,
    so the extra objects carry the last ``<ref>`` label. Cannot: add an object of another class
    (a pushed ``<ref>`` drew labels of nonsense), answer a question the model answered "None.", or
    stop the model from writing an object twice. A pushed object's score counts the model's wish to
    stop once, in full (``stopping``: ``decode``'s ``held``), as an owed box's does; it was averaged
    over the object's tokens (its sixth root, for a box), so a box the model wanted to stop before
    scored near those it chose.

    ``need_shape`` (one per sequence, or one for all) holds an answer to boxes (``<box>``, ``<obb>``)
    and from ending before it has closed one, as a ``[ground]`` answer must (DESIGN.md: one or more
    boxes); the end is not held where ``max_new_tokens`` leaves no room for a box (``SMALLEST_SHAPE``).
    A sequence's ``need_shape`` ``NO_SHAPE`` opens no shape (a ``TEXT_TASKS`` answer: ``shape_need``), and
    ``REGION`` only ``<poly>`` and ``<mask>`` (a ``[seg]`` answer: its question's object drew ``<box>``es).
    ``stop_strings`` (the chat template's, which ``generate`` cuts the answer at) end an answer where
    they start, so text may not finish one where EOS could not follow the text before it: in a
    ``<ref>`` label, right after ``</ref>`` with no word before it, before a needed box, on the start
    of a tag. Tokens are read as they read after a tag (a SentencePiece "▁###" is " ###", the stop
    string " ###"; at an answer's start, whose decode drops that space, it is "###"). A stop string's
    character written in byte pieces (a byte-level "。" in three) is held too: where the text ends on part
    of a character, the pieces holding part of one are read in context."""

    def __init__(self, tokenizer, eos_ids: set[int], batch: int, max_new_tokens: int = 1 << 30,
                 min_shapes: int | list[int] = 0, need_shape: bool | str | list[bool | str] = False,
                 stop_strings: list[str] = ()):
        self.tokenizer, self.eos_ids, self.max_new = tokenizer, eos_ids, max_new_tokens
        self.g: GeometryGrammar | None = None
        self.ends: torch.Tensor | None = None  # (V,) _ending's, once per grammar
        self.stops, self.stop_pieces = tuple(s for s in stop_strings if s), None
        need = [need_shape] * batch if isinstance(need_shape, (bool, str)) else list(need_shape)
        if len(need) != batch:
            raise ValueError(f"need_shape has {len(need)} entries for a batch of {batch}")
        if bad := [n for n in need if n not in (True, False, NO_SHAPE, REGION)]:
            raise ValueError(f"need_shape {bad[0]!r}: True, False, {NO_SHAPE!r} or {REGION!r} (grammar.shape_need)")
        # a text answer waits for a word as a label's does (``State.labelled``): no EOS, no stop string, before
        # one (a [cls] answer whose first choice was <box> ended at once, empty and unmarked)
        self.states = [State(need_shape=bool(n) and not isinstance(n, str), no_shape=n == NO_SHAPE, region=n == REGION,
                             labelled=n == NO_SHAPE) for n in need]
        self.seen = [0] * batch
        self.allowed_now: list[torch.Tensor | None] = [None] * batch  # (V,) per sequence, after the last call
        self.hidden: list[torch.Tensor | None] = [None] * batch  # (V,) what only the budget hides now, or None
        self.owed: list[torch.Tensor | None] = [None] * batch  # (V,) what only an owed box hides now, or None
        # numpy's integers too (np.int64(2) was refused as "not a whole number", or not iterable)
        self.min_shapes = [min_shapes] * batch if isinstance(min_shapes, numbers.Integral) else list(min_shapes)
        if len(self.min_shapes) != batch:
            raise ValueError(f"min_shapes has {len(self.min_shapes)} entries for a batch of {batch}")
        if bad := [n for n in self.min_shapes if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0]:
            raise ValueError(f"min_shapes {bad[0]!r}: a whole number of shapes >= 0")  # -1 ran as 0
        self.min_shapes = [int(n) for n in self.min_shapes]

    def __call__(self, tokens: list[list[int]], vocab_size: int) -> torch.Tensor:
        if self.g is None or self.g.vocab != vocab_size:
            self.g, self.ends = GeometryGrammar(self.tokenizer, vocab_size, self.eos_ids), None
        for i, toks in enumerate(tokens):
            for t in toks[self.seen[i]:]:
                self.g.advance(self.states[i], t)
            self.seen[i] = len(toks)
            left, s = self.max_new - len(toks), self.states[i]
            self.allowed_now[i] = ok = self._held(s, left)
            long = s.mode == "ref" and s.label_len >= MAX_LABEL_TOKENS  # a label at its bound: cut as by the budget
            hid = self._held(replace(s, label_len=0)) & ~ok if left < BUDGET_REACH or long else None
            self.hidden[i] = hid if hid is not None and bool(hid.any()) else None
            self.owed[i] = self._held(replace(s, closed=["box"]), left) & ~ok & self._ending() \
                if s.mode == "text" and self.g.owes(s, left) else None
        return torch.stack(self.allowed_now)  # (B,V)

    def also_scored(self, logits: torch.Tensor | None = None) -> torch.Tensor | None:
        """(B, V) bool: the tokens, beyond those the last call allowed, that ``decode``'s log-probabilities
        count (those only an owed box hides: EOS, and text that would end the answer; not text that goes on,
        nor the other shapes' tags, which no [ground] answer writes; and, given the unconstrained ``logits``
        (B, V), those only the token budget hid where it hid the one ranked first, ``cut_by_budget``), or None
        where there are none. So the owed box's score holds the model's wish to stop, and a shape the budget
        bent (a label closed mid-word, a ``<point>`` where the model wanted a ``<box>`` that no longer fit) the
        model's wish for what it hid: ``decode`` gives the share of the mass left (``DecodeResult.held``),
        which ``shape_scores`` multiplies in once (such a corner point scored 0.29, above the whole answer's
        boxes). A step whose first choice the budget left, or where the answer may end (EOS allowed: going on
        is the model's own choice among what fits), is scored as before."""
        eos = list(self.g.eos) if self.g is not None else []
        bent = [h if logits is not None and h is not None and not (eos and bool(self.allowed_now[i][eos].any()))
                and self.cut_by_budget(i, logits[i]) else None for i, h in enumerate(self.hidden)]
        rows = [h if o is None else o if h is None else o | h.to(o.device) for o, h in zip(self.owed, bent)]
        if all(r is None for r in rows):
            return None
        return torch.stack([torch.zeros_like(a) if r is None else r for r, a in zip(rows, self.allowed_now)])

    def stopping(self) -> torch.Tensor:
        """(V,) bool: the tokens that end an answer where text may (EOS, text holding a whole stop string):
        what ``decode`` scores, beside what ``push`` keeps, in a sequence it holds (its wish to stop)."""
        out = torch.zeros(self.g.vocab, dtype=torch.bool)
        out[list(self.g.eos)] = True
        if self.stop_pieces is not None:
            out[list(self.stop_pieces.within)] = True
        return out

    def _ending(self) -> torch.Tensor:
        """(V,) the tokens that would end an answer owing a box, with no text before it: all but text, and the
        text pieces holding a whole stop string (the other text the hold hides goes on, and is no wish to stop).
        Built once per grammar, after ``_held`` has read the stop pieces."""
        if self.ends is None:
            self.ends = ~self.g.plain
            self.ends[list(self.g.eos)] = True
            if self.stop_pieces is not None:
                self.ends[list(self.stop_pieces.within)] = True
        return self.ends

    def _held(self, s: State, left: int = 1 << 30) -> torch.Tensor:
        """(V,) the grammar's allowed set, less the text that would finish a stop string where the answer
        may not end: ``generate`` cuts it where the stop string starts, so the text before that must be
        text EOS may follow (not in a label or before an owed box, not with no word after ``</ref>``,
        not on the start of a tag: ``<bo<|end|>``; the "end" of ``<ref>ship</ref><|end|>`` is no word).
        Nor EOS after the start of one, which ``generate`` drops too (``<ref>ship</ref><|end|``)."""
        ok = self.g.allowed(s, left)
        if not self.stops or s.mode not in ("text", "ref") or not self.g.eos:
            return ok
        if self.stop_pieces is None:
            self.stop_pieces = stop_pieces(self.tokenizer, self.g.plain, self.stops, self.g.ids.close["ref"])
        return hold_stops(self.g, self.stop_pieces, s, ok, s.mode == "ref" or self.g.owes(s, left))

    def cut_by_budget(self, i: int, logits: torch.Tensor) -> bool:
        """Whether, at the step the last call allowed, the token budget hid from sequence ``i`` the
        token its model ranked first (by its unconstrained ``logits`` (V,) among those the grammar
        allows): a shape's opening tag (the answer then ends, or writes a word or a smaller shape
        instead: ``<ref>building</ref>ip``), a label's next piece (``<ref>b</ref>`` of "building"),
        a polygon's next vertex. Such an answer was cut short by the limit, though under the
        grammar it reads as complete."""
        hid = self.hidden[i]
        if hid is None:
            return False
        ok = self.allowed_now[i].to(logits.device)
        return bool(logits.masked_fill(~hid.to(logits.device), -math.inf).max() > logits.masked_fill(~ok, -math.inf).max())

    def next_axes(self) -> list[int | None]:
        """Per sequence, ``next_axis`` of its state after the last call."""
        return [next_axis(s) for s in self.states]

    def push(self, tokens: list[list[int]], vocab_size: int) -> torch.Tensor | None:
        """(B, V) bool: the tokens each sequence must choose from (all True where it is free), or
        None when no sequence is held; called after ``__call__`` on the same tokens. A sequence
        with at least one but fewer than ``min_shapes`` closed shapes, standing between shapes, may
        only open another of a kind it wrote (right after ``</ref>``: any shape)."""
        g = self.g
        keep = torch.ones(len(tokens), vocab_size, dtype=torch.bool)
        held = False
        for i, (s, toks) in enumerate(zip(self.states, tokens)):
            if s.mode != "text" or len(s.closed) >= self.min_shapes[i]:
                continue
            after_ref = bool(toks) and toks[-1] == g.ids.close["ref"]
            if not (s.closed or after_ref):
                continue  # an answer with no object of its own ("None.") is left as it is
            held = True
            keep[i] = False
            keep[i, [g.ids.open[k] for k in (SHAPE_KINDS if after_ref else set(s.closed))]] = True
        return keep if held else None
