"""Which kind of answer leads a record's fusion (``rsvlm.tta.fused_answers``): the plain answer's shapes, unless more
than half of all its answers are words (a ``[count]`` "3" from 7 of 8 views against its boxes), then theirs
(``majority_kind``), said in the note; and the note on views not asked (``skipped_note``, importable from
``rsvlm.tta``). Two shape kinds are weighed by ``fusion.lead`` (the kind the question asks leads where most gave it).
"""

from __future__ import annotations

import re

from rsvlm.fusion import kind_words, vote
from rsvlm.tta_text import CROPS_FOR
from rsvlm.tta_words import unsaid_phrase


def skipped_note(skipped: list[str], n: int, question: str | None = None, crops: str = CROPS_FOR) -> str | None:
    """The ``Fused.unasked`` for the other views (of ``n``) not asked of a record, and why (the word of ``question``,
    its last, that has no image there, ``unsaid_word``, where it holds one; ``crops``: why its crops were not, the
    question's kind or the image too small, ``crops_barred``); None where none."""
    if not skipped:
        return None
    flip = any(not v.startswith("c") and "t" not in v for v in skipped)  # a view but a transpose: an "up" or "down"
    why = [w for w, ok in (
        (f"the conversation cannot be said in a mirror view (a word with no one-word image there: {unsaid_phrase(question, flip)})",
         any(not v.startswith("c") for v in skipped)),
        (crops, any(v.startswith("c") for v in skipped))) if ok]
    return (f"test-time augmentation: {len(skipped)} other view{'s' * (len(skipped) != 1)} not asked, {n - len(skipped)} asked "
            f"({', '.join(map(repr, skipped))} not): {'; '.join(why)}")


SHAPE_TASKS = ("det", "ground", "seg")  # tasks whose answer is shapes: words from views are no answer to them
# a question that asks its answer's shapes by data_gen's suffixes: "[change] Segment the changed areas. Answer with
# polygons." is a shape question though a [change] caption is words
SHAPE_FORMS = re.compile(r"answer\s+with\s+(?:polygons|a\s+grid\s+mask)|use\s+oriented\s+boxes", re.I)


def majority_kind(plain: list[dict], words: list[tuple[str, str]], answers: int,
                  task: str | None = None, question: str | None = None) -> tuple[str, str] | None:
    """(answer, note) where more than half of a record's ``answers`` (the plain one among them) are ``words``, (view,
    words said back) each, against a ``plain`` answer of shapes (a ``[count]`` "3" from 7 of 8 views against its
    boxes: the boxes led, the words left out): the words voted as ``fusion.vote`` reads ``task``'s. None where the plain
    answer's kind leads: a ``SHAPE_TASKS`` question or one whose ``question`` asks a form of shape (``SHAPE_FORMS``:
    words are no answer to it), or half the answers or fewer. The
    plain answer and the other views' shapes are then those left out (``answers - len(words)``). Cannot let shapes
    outvote a plain answer of words ("Yes." to "Is the harbour busy?" is no box)."""
    if task in SHAPE_TASKS or SHAPE_FORMS.search(question or "") or 2 * len(words) <= answers:
        return None
    n, views = len(words), [w for _, w in words]
    return vote(views, task=task), (
        f"test-time augmentation: {n} of the {answers} answers were in words, against the plain answer's "
        f"{kind_words(plain) if plain else 'none'}: the words lead, voted ({', '.join(repr(v) for v, _ in words)}); "
        f"the plain answer{' and the other views' * (answers - n > 1)} left out")


# a [ground] question read as asking for several objects (DESIGN.md: a referring expression's answer is one or more
# boxes): a counting word, or a plural noun (a word ending in "s", not "ss", "us" nor "is": "the buses", not "the bus",
# "glass" nor "tennis"), the words below read past
_SEVERAL = re.compile(r"\b(?:all|every|each|both|several|many|multiple|these|those|are|two|three|four|five|six|seven"
                      r"|eight|nine|ten)\b|\b[a-z]+(?<!s|u|i)s\b", re.I)
_NOT_PLURAL = frozenset("as was has gas its yes does his plus whereas always perhaps towards afterwards".split())


def asks_several(question: str | None) -> bool:
    """Whether a ``[ground]`` ``question`` reads as asking for several objects ("the two ships", "all planes", "the
    buses on the left"; ``_SEVERAL``), so that ``fusion.lone`` leaves its views' several shapes their vote (they made
    25 boxes of a "The bus on the left." answered with one); the shape form it asks (``SHAPE_FORMS``: "Use oriented
    boxes.") read past. A plural it cannot tell ("the people") reads as one object."""
    text = SHAPE_FORMS.sub("", question or "")
    return any(m.group().lower() not in _NOT_PLURAL for m in _SEVERAL.finditer(text))
