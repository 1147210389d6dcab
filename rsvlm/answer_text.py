"""How eval reads a short answer (``normalize_answer``, ``parse_count``, ``is_yes_no``, ``whole_number``), in
rsvlm so that ``fusion.vote`` reads a ``--tta`` vote as eval scores it (``vote_keys``); ``eval.text`` imports
its reading from here.

``normalize_answer`` applies, in order:

1. Unicode NFKC (``é`` typed as ``e`` and a combining accent, as macOS writes it, is one ``é``; full-width
   ``Ｙｅｓ`` and ``３`` are ``Yes`` and ``3``), lowercase and trim;
2. drop trailing end tokens (``</s>``, ``<|im_end|>``, ``<|eot_id|>``, ``<|endoftext|>``, ``<eos>``,
   ``<end_of_turn>``: other tools' answers may keep them) and the opening task tag (``[vqa]``) if echoed;
3. punctuation → space, except a decimal point between digits (``2.5`` stays) and a thousands comma, which is
   dropped (``1,000`` → ``1000``, as the VQA evaluation's own normalisation drops it; it was ``1 000``);
4. number words → digits (``zero``…``twenty``, ``thirty``…``ninety``, ``hundred``, ``thousand``),
   compounds as one number (``twenty-one`` → ``21``, ``two hundred and five`` → ``205``,
   ``a hundred`` → ``100``; ``one two`` stays ``1 2``);
5. drop the articles ``a``, ``an``, ``the``;
6. collapse whitespace;
7. yes/no canonical: an answer whose first word is ``yes``/``yeah``/``yep``/``true``/``correct``
   becomes ``yes``; one whose first word is ``no``/``nope``/``false`` becomes ``no``
   (``"No, there is none."`` → ``no``). VQA applies it only where the reference answers yes or no
   (``is_yes_no``), classification never: ``no damage`` is no ``no``.

It cannot see meaning: synonyms (``automobile`` / ``car``) or plural forms stay different.

``whole_number`` tells a reference that is a whole number (``5``, ``five``, ``5.0``, ``1,204``, ``a dozen``,
``half a dozen``, ``0.5 dozen`` (a decimal's dozen where it is whole: ``0.3 dozen`` is not), and ``none`` or
``nothing`` alone, 0); VQA reads the answer to such a reference as counting
does (``parse_count``), so ``5.0``, ``five`` and ``5 ships`` match ``5``, ``12`` matches ``a dozen``.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
                     "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000"})
_SCALES = {"hundred": 100, "thousand": 1000}
ARTICLES = {"a", "an", "the"}
YES = {"yes", "yeah", "yep", "true", "correct"}
NO = {"no", "nope", "false"}
_PUNCT = re.compile(r"(?<!\d)\.|\.(?!\d)|[^\w\s.]|_")
# trailing end tokens other tools' answers keep (</s>, <|im_end|>, <|eot_id|>, <eos>, <end_of_turn>)
_END = r"(?:\s*(?:</s>|<\|[A-Za-z_]+\|>|<eos>|<end_of_turn>))+\s*$"
_TAG = re.compile(r"^\s*\[[^\W\d]\w*\]\s*|" + _END)  # those, and an echoed task tag (a word; "[5]": a number)
_SHAPE = re.compile(r"<(ref|box|obb|point|poly|mask)>.*?</\1>|<[^<>\s]+>")  # geometry elements, stray tags
# ".5" with no 0 before its point: was read as 5 (the point a punctuation mark), ".5 dozen" as 60; read as 0.5
_BARE_POINT = re.compile(r"(?<![\w.])\.(?=\d)")
# "1,204", "12,345,678": one number, each group after the first three digits, the first 1-3 ("1234,567" is two)
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?!\d|,\d)")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}(?!\d)")  # "1,5": a decimal, or two numbers; no one count (parse_count)
# "1 000", "12 345 678" (a space, NFKC's of a no-break or thin one too, between groups of 3): one count (was 1)
_SPACED = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?!\d|,\d)")


_OPEN, _CLOSE = re.compile(r"[(\[]\s*$"), re.compile(r"\s*[)\]]")  # a pair's brackets, "( 120,340 )" too


def _thousands(s: str) -> str:
    """``s`` with the commas of each number written with thousands commas dropped (``1,000`` → ``1000``), but a
    bracketed pair's, ``(120,340)`` and ``[120,340]``, kept: a pair (a point's coordinates), as ``(120, 340)`` is;
    ``100,200`` alone is one number, as VQA's normalisation and ``parse_count`` read it, and so is ``(1,000)``: no
    coordinate is written with a leading 0."""
    def joined(m: re.Match) -> str:
        pair = (m[0].count(",") == 1 and m[0][-3] != "0" and _OPEN.search(s, 0, m.start())
                and _CLOSE.match(s, m.end()))
        return m[0] if pair else m[0].replace(",", "")

    return _THOUSANDS.sub(joined, s)


def _below(words: list[str], i: int, limit: int) -> tuple[int, int] | None:
    """``(value, next index)`` of the number words from ``words[i]`` that make one number below
    ``limit`` (``twenty one``, ``three hundred and five``), or None where none starts there."""
    if i < len(words) and words[i] in _SCALES and _SCALES[words[i]] < limit:  # "hundred": one hundred
        head = 1
    elif i < len(words) and words[i] in NUMBER_WORDS and words[i] not in _SCALES:
        head, i = int(NUMBER_WORDS[words[i]]), i + 1
        if 20 <= head <= 90 and i < len(words) and words[i] in NUMBER_WORDS and 1 <= int(NUMBER_WORDS[words[i]]) <= 9:
            head, i = head + int(NUMBER_WORDS[words[i]]), i + 1  # twenty one
    else:
        return None
    for word, scale in sorted(_SCALES.items(), key=lambda kv: kv[1]):
        if scale < limit and i < len(words) and words[i] == word and head < scale:
            head, i = head * scale, i + 1
            j = i + (i < len(words) and words[i] == "and")
            if rest := _below(words, j, scale):
                head, i = head + rest[0], rest[1]
    return (head, i) if head < limit else None


def number_words(words: list[str]) -> list[str]:
    """``words`` with each run of number words that makes one number as its digits, other number
    words as theirs (``["twenty", "one", "ships"]`` → ``["21", "ships"]``)."""
    out, i = [], 0
    while i < len(words):
        if (got := _below(words, i, 10**6)) is not None:
            out.append(str(got[0]))
            i = got[1]
        else:
            out.append(words[i])
            i += 1
    return out


def strip_end_tokens(text: str) -> str:
    """``text`` without the end tokens it ends on (``"A port.<|im_end|>"`` → ``"A port."``)."""
    return re.sub(_END, "", text)


# a grounded caption's phrases, and its shapes (rsvlm's, GeoChat's {<x1>…}, Falcon's) and other tags
_PHRASE = re.compile(r"<(ref|p)>(.*?)</\1>", re.S)
_GEOMETRY = re.compile(r"<(box|obb|point|poly|mask|quad)>.*?</\1>|\{\s*<[^{}]*\}|<[^<>\s]+>", re.S)


def caption_text(text: str) -> str:
    """A caption's words: a grounded caption's ``<ref>``/``<p>`` phrases kept, its geometry and other
    tags left out (``"A <ref>ship</ref><box>…</box> in port."`` → ``"A ship in port."``)."""
    return " ".join(_GEOMETRY.sub(" ", _PHRASE.sub(r" \2 ", text)).split())


def normalize_answer(text: str, yes_no: bool = True) -> str:
    """The comparable form of a short answer (see the module docstring); ``yes_no=False`` leaves out
    step 7, for class names (``no damage`` is a class of its own, not ``no``)."""
    # NFKC: a decomposed "é" (e + U+0301) lost its accent to the punctuation step and matched no composed one
    s = _TAG.sub("", unicodedata.normalize("NFKC", text).strip().lower()).strip()
    s = _PUNCT.sub(" ", _thousands(s))
    words = number_words(s.split())
    words = [w for w in words if w not in ARTICLES]
    if not yes_no:
        return " ".join(words)
    if words and words[0] in YES:
        return "yes"
    if words and words[0] in NO:
        return "no"
    return " ".join(words)


def is_yes_no(reference: str) -> bool:
    """Whether a reference answer answers yes or no: its first word is ``yes``/``yeah``/``yep``/``correct``/
    ``nope``, or ``no``/``true``/``false`` alone or before a ``,`` ``.`` ``;`` ``:`` ``!`` or ``?``
    (``"No, there is none."``), not a phrase that begins with one (``no damage``, ``true colour``), whose
    answers are compared without step 7."""
    head = re.match(r"(\w+)\s*([,.;:!?]|$)?", _TAG.sub("", unicodedata.normalize("NFKC", reference).strip().lower()).strip())
    return bool(head) and head[1] in YES | NO and (head[1] not in {"no", "true", "false"} or head[2] is not None)


def whole_number(reference: str) -> int | None:
    """The whole number a reference answer is and says alone (``"5"``, ``"Five."``, ``"5.0"``, ``"1,204"``; a dozen's,
    ``"a dozen"``, ``"two dozen"``, ``"half a dozen"``, and a decimal's where it makes a whole number, ``"0.5 dozen"``
    6, ``"1.5 dozen"`` 18; ``"None."`` or ``"nothing"`` alone, 0), read as ``parse_count`` reads it; None for anything
    else (``"5 ships"``, ``"2.5"``, ``".5"``, ``"0.3 dozen"``: 3.6, ``"0m2"``, ``"-3"``, ``"dozens"``, ``"a dozen ships"``,
    ``"no"``: a yes/no reply)."""
    # thousands commas and a bare point (".5"), as parse_count reads them
    s = _BARE_POINT.sub("0.", _thousands(unicodedata.normalize("NFKC", reference)))
    # a dozen and none were read as text ("dozen", "none"), while eval read the answer "a dozen" to "12" as 12
    if not (m := re.fullmatch(r"\d+(?:\.0+)?|(?:(\d+(?:\.\d+)?) |half )?dozen|none|nothing",
                              normalize_answer(s, yes_no=False))):
        return None
    # "0.5 dozen" was text while "half a dozen" was 6 (and parse_count read both as 6); "0.3 dozen" (3.6) no count
    if m[1] and (Fraction(m[1]) * 12).denominator != 1:
        return None
    return parse_count(reference)


def parse_count(text: str) -> int | None:
    """The count an answer states: its first number outside geometry, rounded half up (``"about 1,204"`` →
    1204, ``"1 000"`` → 1000, ``"seven"`` → 7, ``"<point><loc_104><loc_208></point> 1"`` → 1; ``"1,5"``, ``"3 or 4"``
    and ``"(12,34)"`` (a point's coordinates) say no one count: None); ``"none"``/``"nothing"``/
    ``"no …"`` without any number → 0; ``<point>`` elements and no number → how many points; else None.
    ``dozen`` is 12 times the number before it (``"two dozen"``, ``"2 dozen"`` → 24), or 12 alone (``"a dozen"``;
    ``"half a dozen"`` → 6); ``"dozens"`` is no number; ``".5"`` is 0.5 (was 5), ``"...5"`` 5 (an ellipsis, as NFKC
    writes ``"…"``: punctuation before the number, as ``normalize_answer`` reads it). A first number of over 15 digits (a degenerate
    ``"1111…"``, past what a float holds exactly), or a negative one, is no count either: None. NFKC first, as
    ``normalize_answer`` (full-width ``Ｔｈｒｅｅ``, ``３．５``)."""
    return _read_count(text)[0]


# why _read_count reads no count, where it is neither none stated nor a negative number (no_count_why's words)
_TWO, _COMMA = "offers two counts (N or M), not one", "holds a decimal comma or two numbers (1,5), not one count"
# "(12,34)": a point's coordinates written as text, its first number: a bracketed pair is no count where its comma is
# one a decimal comma could be (test_eval_lead72 pins "(120,340)" as 120, a pair's first number, as "(12, 34)" reads)
_PAIR, _PAIRED = re.compile(r"[(\[]\s*(\d[\d.]*\s*,\s*\d[\d.]*)\s*[)\]]"), "holds a coordinate-like pair ((x,y)), not a count"


def _read_count(text: str) -> tuple[int | None, str | None]:
    """``parse_count``'s count, and where it is None for a decimal comma or two counts offered, which (``_COMMA``,
    ``_TWO``): one reading, so that ``no_count_why`` says what ``parse_count`` read (it had read the answer again its
    own way: '<ref>3 or 4</ref>' and '2.5 or 3' were said as two counts and no count, the other way round)."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    points = text.count("<point>")
    s = _BARE_POINT.sub("0.", _thousands(_SPACED.sub(lambda m: m[0].replace(" ", ""), _SHAPE.sub(" ", _TAG.sub("", text)))))
    if re.match(r"[^\d]*?(?<![\w.])[-\u2212]\d", s):  # "-3": no count (was read as 3); "3-4" is a range's 3
        return None, None
    if _DECIMAL_COMMA.match(s, first := re.match(r"[^\d]*", s).end()):  # "1,5" (a decimal comma, or two numbers)
        # "(12,34)": a point's coordinates, no count, said so (was "a decimal comma"); "(120,340)" reads as 120
        return None, _PAIRED if (pair := _PAIR.search(s)) and pair.start(1) == first else _COMMA  # (was 1)
    words = number_words(_PUNCT.sub(" ", s).split())
    for i, w in enumerate(words):
        if m := re.fullmatch(r"(\d+)(?:\.\d+)?", w):  # "two dozen", "2 dozen": times 12 (were read as 2)
            if words[i + 1:i + 2] == ["or"] and re.fullmatch(r"\d+(?:\.\d+)?", "".join(words[i + 2:i + 3])):
                return None, _TWO  # "3 or 4": two counts, neither said to be it (was 3)
            times = 12 if words[i + 1:i + 2] == ["dozen"] else 1
            return (int(float(w) * times + 0.5) if len(m[1].lstrip("0")) <= 15 else None), None  # half up: 2.5 → 3
        if w == "dozen":  # "a dozen" (was no count), "half a dozen"; "dozens" says no number
            return (6 if "half" in words[max(0, i - 2):i] else 12), None
    if set(words) & {"none", "no", "nothing"}:
        return 0, None
    return points or None, None


def no_count_why(text: str) -> str:
    """Why ``parse_count`` reads no count in ``text``, for a note: two counts offered ("3 or 4"), a decimal comma ("1,5"),
    a bracketed pair read so ("(12,34)": a point's coordinates), else none stated (eval said "'3 or 4' states no
    count"); as ``parse_count`` read it (``_read_count``)."""
    return _read_count(text)[1] or "states no count"


def vote_keys(answers: list[str], task: str | None) -> list[str] | None:
    """Each of ``answers`` (one question's, over views) as eval scores it under ``task``, for ``fusion.vote``: two
    answers of one key score alike. ``count``: the count ``parse_count`` reads ("3", "three", "3 ships": 3; "None.",
    "0": 0), else the words; ``vqa``: ``normalize_answer``, read as a count where more answers are a whole number
    alone (``whole_number``: "3", "a dozen"; "None." alone is no side) than a yes/no reply (eval reads a
    whole-number reference so: "3" is "3 ships"), else yes/no folded where any is a yes/no reply (``is_yes_no``, as
    eval folds where the reference is one: "Yes." is "Yes, it is."; no reply read so, "No damage" stays a class);
    ``cls``: ``normalize_answer`` unfolded ("A church." is "church"). None for another task: the caller reads the
    answers its own way."""
    if task not in ("count", "vqa", "cls"):
        return None
    if task == "cls":
        return [normalize_answer(a, yes_no=False) for a in answers]
    replies = sum(is_yes_no(a) for a in answers)
    # "None." alone may be a count of 0 or a class's none ("no damage"): it is read as the others are, choosing none
    said = sum(whole_number(a) is not None and normalize_answer(a, yes_no=False) not in ("none", "nothing")
               for a in answers)
    numbers = task == "count" or said > replies
    fold = not numbers and replies > 0
    return [f"#{n}" if numbers and (n := parse_count(a)) is not None else normalize_answer(a, yes_no=fold)
            for a in answers]
