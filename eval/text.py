"""Answer normalisation shared by classification, VQA and counting.

``normalize_answer`` applies, in order:

1. lowercase and trim;
2. drop a trailing ``</s>``-style end token and the opening task tag (``[vqa]``) if echoed;
3. punctuation → space, except a decimal point between digits (``2.5`` stays);
4. number words → digits (``zero``…``twenty``, ``thirty``…``ninety``, ``hundred``; compounds
   such as ``twenty one`` are not combined);
5. drop the articles ``a``, ``an``, ``the``;
6. collapse whitespace;
7. yes/no canonical: an answer whose first word is ``yes``/``yeah``/``yep``/``true``/``correct``
   becomes ``yes``; one whose first word is ``no``/``nope``/``false`` becomes ``no``
   (``"No, there is none."`` → ``no``).

It cannot see meaning: synonyms (``automobile`` / ``car``) or plural forms stay different.
"""

from __future__ import annotations

import re

NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
                     "eighty": "80", "ninety": "90", "hundred": "100"})
ARTICLES = {"a", "an", "the"}
YES = {"yes", "yeah", "yep", "true", "correct"}
NO = {"no", "nope", "false"}
_PUNCT = re.compile(r"(?<!\d)\.|\.(?!\d)|[^\w\s.]|_")
_TAG = re.compile(r"^\s*\[\w+\]\s*|</s>\s*$")
_SHAPE = re.compile(r"<(ref|box|obb|point|poly|mask)>.*?</\1>|<[^<>\s]+>")  # geometry elements, stray tags


def normalize_answer(text: str) -> str:
    """The comparable form of a short answer (see the module docstring)."""
    s = _TAG.sub("", text.strip().lower()).strip()
    s = _PUNCT.sub(" ", s)
    words = [NUMBER_WORDS.get(w, w) for w in s.split()]
    words = [w for w in words if w not in ARTICLES]
    if words and words[0] in YES:
        return "yes"
    if words and words[0] in NO:
        return "no"
    return " ".join(words)


def parse_count(text: str) -> int | None:
    """The count an answer states: its first number outside geometry, rounded (``"about 1,204"`` →
    1204, ``"seven"`` → 7, ``"<point><loc_104><loc_208></point> 1"`` → 1); ``"none"``/``"nothing"``/
    ``"no …"`` without any number → 0; ``<point>`` elements and no number → how many points; else None.
    A first number of over 15 digits (a degenerate ``"1111…"``, past what a float holds exactly) is
    no count either: None."""
    text = text.strip().lower()
    points = text.count("<point>")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", _SHAPE.sub(" ", _TAG.sub("", text)))
    words = [NUMBER_WORDS.get(w, w) for w in _PUNCT.sub(" ", s).split()]
    for w in words:
        if m := re.fullmatch(r"(\d+)(?:\.\d+)?", w):
            return int(round(float(w))) if len(m[1].lstrip("0")) <= 15 else None
    if set(words) & {"none", "no", "nothing"}:
        return 0
    return points or None
