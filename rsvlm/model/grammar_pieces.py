"""The vocabulary tables the geometry grammar needs, made once per tokenizer: the pieces that can
spell a tag in text (``AnglePieces``) and those that can finish a chat template's stop string
(``StopPieces``). Cached per tokenizer object (weakly), so a long-lived model pays each scan once.
``may_end`` says whether an answer may end on a text (where a stop string would end it), and
``hold_stops`` keeps text from finishing a stop string where it may not."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field

import torch

from rsvlm.geometry.codec import is_cut_tag, spells_tag

WORD = re.compile(r"\w")
# tokenizer -> {(V, its length): AnglePieces, (V, its length, stop strings): StopPieces}
_PIECES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class AnglePieces:
    """The text tokens that matter to tags spelled in text (``geometry.decode`` reads ``<`` ``bo`` ``x>``
    as ``<box>``): such a tag starts at a piece holding "<" and ends at one holding ">"."""

    openers: set[int]  # pieces holding "<"
    ends: dict[str, list[int]]  # a piece's text up to its first ">" (holding no "<") → the pieces so begun
    loc_ends: list[str]  # the keys of ``ends`` that may finish a location ("12>", "_3>", ">")
    whole: list[int]  # pieces holding a whole tag: never text


def angle_pieces(tokenizer, text: torch.Tensor) -> AnglePieces:
    """``AnglePieces`` of the text tokens (``text``: (V,) bool). A scan of the whole vocabulary (0.1 s
    at 150k pieces, seconds for a padded one), so made once per tokenizer, not once per ``generate``.
    Raw vocabulary strings hold every "<" and ">" their text does (byte-level and byte-fallback
    pieces included), and few others."""
    per = _PIECES.setdefault(tokenizer, {})
    key = (len(text), len(tokenizer))
    if key not in per:
        is_text = text.tolist()
        odd = sorted(i for piece, i in tokenizer.get_vocab().items()
                     if ("<" in piece or ">" in piece) and i < len(text) and is_text[i])
        pieces = dict(zip(odd, tokenizer.batch_decode([[i] for i in odd])))
        ends: dict[str, list[int]] = {}
        for i, p in pieces.items():
            head = p[:p.find(">") + 1]
            if head and "<" not in head:  # a "<" before the ">" starts a tag of its own: whole, or none
                ends.setdefault(head, []).append(i)
        per[key] = AnglePieces({i for i, p in pieces.items() if "<" in p}, ends,
                               [h for h in ends if re.fullmatch(r"[loc_0-9]*>", h)],
                               [i for i, p in pieces.items() if ">" in p and spells_tag(p)])
    return per[key]


@dataclass(frozen=True)
class StopPieces:
    """The tokens that would finish a stop string: those whose text holds a whole one, and per proper
    suffix of one, those whose text begins with it (they finish it after text ending on the rest).
    Read from each token's text after a tag (``stop_pieces``); a caller checks the second kind in
    context. The answer ends where the stop string starts, so a piece holding one is sorted by its
    text before it (its head)."""

    stops: tuple[str, ...]
    within: list[int]
    begin: dict[str, list[int]]  # s[k:] (0 < k < len(s)) → the ids whose text starts with it
    cut: list[int]  # ids of ``within`` whose head ends on the start of a tag by itself ("<bo<|end|>")
    wordless: list[int]  # ids of ``within`` whose head holds no word character
    short: dict[str, list[int]]  # heads that may go on a tag begun before them ("", "x", "/bo") → ids
    texts: dict[int, str]  # each text token's text after a tag (a SentencePiece "▁x" is " x")
    # where a stop string holds a non-ASCII character: the ids whose text alone holds part of one ("\ufffd",
    # a byte-level piece of "。"), which may finish it after text ending on its other bytes; else none
    partial: tuple[int, ...] = ()
    # the ids whose text ends on a stop string's proper start ("<" or ".<|" of "<|end|>"; not one of white space
    # alone, too common to refuse): where no text may end the answer, none may begin a stop string, which it
    # could then only go on to mangle ("<|endend|>"). Read alone: a start spread over pieces (" " "##" of " ###",
    # whose white space alone is none) is found in context (``going_on``)
    opening: tuple[int, ...] = ()
    # the ids of ``opening`` with no word before the stop string's start ("<", ".<|"): nor may one begin one
    # right after ``</ref>``, where the answer may end only after a word (``<ref>ship</ref><|endend|>``)
    opening_wordless: tuple[int, ...] = ()
    # s[j:k] (0 < j < k < len(s)) → the ids whose text is exactly it: those that go on with a start begun before
    # them, spread over pieces (" " "##" of " ###": the white space alone is no opening), read in context
    middle: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, pieces: dict[int, str], stops: list[str]) -> StopPieces:
        """From ``pieces`` (id → its text) and the stop strings."""
        stops = tuple(s for s in stops if s)
        begin: dict[str, list[int]] = {}
        for rest in {s[k:] for s in stops for k in range(1, len(s))}:
            begin[rest] = [i for i, p in pieces.items() if p.startswith(rest)]
        within = [i for i, p in pieces.items() if any(s in p for s in stops)]
        heads = {i: pieces[i][:StopPieces.start(stops, pieces[i], 0)] for i in within}
        short: dict[str, list[int]] = {}
        for i, h in heads.items():
            if re.fullmatch(r"[a-z0-9_/]{0,8}", h):
                short.setdefault(h, []).append(i)
        wide = any(not c.isascii() for s in stops for c in s)
        # a start of white space alone is no opening; the longest start is one exactly where any is
        begun = {i: k for i, p in pieces.items() if (k := _begun_by(stops, p)) and p[-k:].strip()}
        inner = {s[j:k] for s in stops for j in range(1, len(s)) for k in range(j + 1, len(s))}
        middle: dict[str, list[int]] = {}
        for i, p in pieces.items():
            if p in inner:
                middle.setdefault(p, []).append(i)
        return cls(stops, within, begin, [i for i, h in heads.items() if not may_end(h, False)],
                   [i for i, h in heads.items() if not WORD.search(h)], short, pieces,
                   tuple(i for i, p in pieces.items() if "\ufffd" in p) if wide else (),
                   tuple(begun), tuple(i for i, k in begun.items() if not WORD.search(pieces[i][:-k])), middle)

    @staticmethod
    def start(stops: tuple[str, ...], text: str, done: int) -> int | None:
        """Where the first stop string in ``text`` that ends past its first ``done`` characters starts."""
        return min((j for s in stops if (j := text.find(s, max(0, done - len(s) + 1))) >= 0), default=None)

    def end_of(self, ids: list[int]) -> str:
        """The end of the text of text tokens ``ids``, as long as the longest stop string at least, from
        their texts after a tag (no decode: the end is the same but for a space that may lead it, for a test
        that must be quick, not exact: it may see a start of a stop string the text has not, never miss one)."""
        return "".join(self.texts.get(i, "") for i in ids[-max(map(len, self.stops)):])

    def begun(self, text: str) -> bool:
        """Whether ``text`` ends on the start of a stop string."""
        return _begun_by(self.stops, text) > 0

    def finishing(self, text: str) -> list[int]:
        """The ids that may finish a stop string begun at the end of ``text`` (``within`` finish one anywhere),
        and where ``text`` ends on part of a character ("\ufffd"), those that may finish it (``partial``)."""
        ids = {i for s in self.stops for k in range(1, len(s)) if text.endswith(s[:k]) for i in self.begin[s[k:]]}
        return sorted(ids.union(self.partial) if text.endswith("\ufffd") else ids)

    def going_on(self, text: str) -> list[int]:
        """The ids that may go on with a stop string's start begun at the end of ``text`` without finishing it
        (``middle``), and where ``text`` ends on part of a character, those that may end it (``partial``):
        to be read in context, as a start spread over pieces is not seen in one piece alone."""
        ids = {i for s in self.stops for j in range(1, len(s)) if text.endswith(s[:j])
               for k in range(j + 1, len(s)) for i in self.middle.get(s[j:k], ())}
        return sorted(ids.union(self.partial) if text.endswith("\ufffd") else ids)

    def opened(self, text: str) -> bool:
        """Whether ``text`` ends on a stop string's start that is not white space alone (an opening)."""
        k = _begun_by(self.stops, text)
        return k > 0 and bool(text[-k:].strip())

    def in_bytes(self, text: str) -> bool:
        """Whether ``text`` ends on part of a character and a stop string has one that part may begin."""
        return bool(self.partial) and text.endswith("\ufffd")

    def ending_badly(self, labelled: bool, rest: str) -> list[int]:
        """The ids of ``within`` that would end an answer, in text where it may end at some point, where it
        may not: on the start of a tag (their own, or one ``rest`` began: the text from its last "<"
        while that may start a tag), or with no word after a ``</ref>`` (``labelled``)."""
        bad = self.cut + (self.wordless if labelled else [])
        return bad + [i for h, ids in self.short.items() if rest and is_cut_tag(rest + h) for i in ids]


def _begun_by(stops: tuple[str, ...], text: str) -> int:
    """How many characters at the end of ``text`` are a stop string's proper start (the longest; 0: none)."""
    return max((k for s in stops for k in range(1, len(s)) if text.endswith(s[:k])), default=0)


def may_end(text: str, word: bool) -> bool:
    """Whether an answer may end on ``text``, the text since its last tag (``word``: one is owed in it,
    after a ``</ref>``): not on the start of a tag (``geometry.decode``: "text ends inside a tag")."""
    lt = text.rfind("<")
    return (not word or bool(WORD.search(text))) and (lt < 0 or not is_cut_tag(text[lt:]))


def stop_pieces(tokenizer, text: torch.Tensor, stops: tuple[str, ...], anchor: int) -> StopPieces:
    """``StopPieces`` of the text tokens (``text``: (V,) bool), each decoded after token ``anchor`` (a
    tag), as it reads inside an answer: a SentencePiece "▁###" alone decodes to "###", after text to
    " ###". Every one is decoded (2-3 s at 150k pieces), so made once per tokenizer and stop strings,
    and only when a constraint first needs them."""
    per = _PIECES.setdefault(tokenizer, {})
    key = (len(text), len(tokenizer), stops, anchor)
    if key not in per:
        ids = text.nonzero().flatten().tolist()
        per[key] = StopPieces.of(dict(zip(ids, after(tokenizer, anchor, [[i] for i in ids]))), list(stops))
    return per[key]


def after(tokenizer, anchor: int | None, ids: list[list[int]]) -> list[str]:
    """The texts of token lists ``ids`` as they read after token ``anchor`` (None: at an answer's start,
    where a SentencePiece decoder drops the first piece's space, as ``generate``'s decode of it does)."""
    if anchor is None:
        return tokenizer.batch_decode(ids)
    n = len(tokenizer.decode([anchor]))
    return [t[n:] for t in tokenizer.batch_decode([[anchor, *i] for i in ids])]


def hold_stops(g, sp: StopPieces, s, ok: torch.Tensor, nowhere: bool) -> torch.Tensor:
    """``ok`` (V,), the grammar's allowed set in state ``s`` of ``GeometryGrammar`` ``g`` (text or a label),
    less the text that would finish a stop string where the answer may not end (``nowhere``: no text
    here may end it, nor start one: ``StopPieces.opening``, or go on with one begun over pieces; else not
    after ``</ref>`` with no word before the stop string, nor start one there, nor on the start of a tag),
    and less EOS after the start of one where the text before that may not end the answer."""
    from rsvlm.model.vlm import cut_stops  # vlm builds on the grammar

    if not (nowhere or s.labelled or s.tail or sp.cut or sp.begun(end := sp.end_of(s.run)) or sp.in_bytes(end)):
        return ok  # text that may end, on no stop string's start: no piece or EOS could end it badly
    ok, (before,) = ok.clone(), g.run_texts(s, [[]])
    word = s.labelled or s.since_ref  # a word is owed in the run's text before a stop string
    bad = sp.within if nowhere else sp.ending_badly(s.labelled, g.from_lt(s.tail) if s.tail else "")
    ok[bad] = False
    if nowhere or s.labelled:  # wanting to stop, it goes on in text that starts no stop string
        ok[list(sp.opening if nowhere else sp.opening_wordless)] = False
        going = sp.going_on(before)
        going = [i for i, keep in zip(going, ok[going].tolist()) if keep]
        if going:  # nor one begun over pieces: " " "##" of " ###" (no word before it: the run has none, labelled)
            ok[[i for i, t in zip(going, g.run_texts(s, [[i] for i in going])) if sp.opened(t)]] = False
    if not nowhere and (kept := cut_stops(before, sp.stops, shortest=2)) != before and not may_end(kept, word):
        ok[list(g.eos)] = False
    maybe = sp.finishing(before)
    maybe = [i for i, keep in zip(maybe, ok[maybe].tolist()) if keep]
    if maybe:  # in context: a piece's text alone can differ (a byte-level piece of a character)
        done = len(before.rstrip("\ufffd"))  # the bytes of a character begun before are read again with the piece
        ends = [(i, sp.start(sp.stops, t, done), t) for i, t in zip(maybe, g.run_texts(s, [[i] for i in maybe]))]
        ok[[i for i, j, t in ends if j is not None and (nowhere or not may_end(t[:j], word))]] = False
    return ok
