"""The vocabulary tables the geometry grammar needs, made once per tokenizer: the pieces that can
spell a tag in text (``AnglePieces``) and those that can finish a chat template's stop string
(``StopPieces``). Cached per tokenizer object (weakly), so a long-lived model pays each scan once."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import torch

from rsvlm.geometry.codec import spells_tag

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
    Read from each token's text alone; a caller checks the second kind in context."""

    stops: tuple[str, ...]
    within: list[int]
    begin: dict[str, list[int]]  # s[k:] (0 < k < len(s)) → the ids whose text starts with it

    @classmethod
    def of(cls, pieces: dict[int, str], stops: list[str]) -> StopPieces:
        """From ``pieces`` (id → its text) and the stop strings."""
        stops = tuple(s for s in stops if s)
        begin: dict[str, list[int]] = {}
        for rest in {s[k:] for s in stops for k in range(1, len(s))}:
            begin[rest] = [i for i, p in pieces.items() if p.startswith(rest)]
        return cls(stops, [i for i, p in pieces.items() if any(s in p for s in stops)], begin)

    def finishing(self, text: str) -> tuple[list[int], list[int]]:
        """(the ids that finish a stop string after any text, those that may finish one begun at the end of ``text``)."""
        return self.within, sorted({i for s in self.stops for k in range(1, len(s)) if text.endswith(s[:k])
                                    for i in self.begin[s[k:]]})


def stop_pieces(tokenizer, text: torch.Tensor, stops: tuple[str, ...]) -> StopPieces:
    """``StopPieces`` of the text tokens (``text``: (V,) bool): every one is decoded (2 s at 150k pieces),
    so made once per tokenizer and stop strings, and only when a constraint first needs them."""
    per = _PIECES.setdefault(tokenizer, {})
    key = (len(text), len(tokenizer), stops)
    if key not in per:
        ids = text.nonzero().flatten().tolist()
        per[key] = StopPieces.of(dict(zip(ids, tokenizer.batch_decode([[i] for i in ids]))), list(stops))
    return per[key]
