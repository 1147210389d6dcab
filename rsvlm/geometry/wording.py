"""The words among geometry tokens that ``codec.decode`` judges (moved out of codec.py, at its size cap): a ``<ref>``
label that reads as a caption (``caption_label``), and a word in angle brackets right before location tokens, a
misspelt tag (``no_tag``: ``<bx>`` for ``<box>``). ``rsvlm.geometry.codec`` imports them back; other modules import
them from there."""

from __future__ import annotations

import re
from difflib import get_close_matches

# a <ref> label: a class name or referring phrase (57,784 synthetic and converted ones: 24 characters at most), not a
# text; the constrained decoder stops one at rsvlm.model.grammar.MAX_LABEL_TOKENS
MAX_LABEL_CHARS = 256
# two sentences in a label: a word of two lower-case letters or more (capitalised or not) ends one, a capital starts the
# next ("harbour. There are", "the Harbor. Two ships"); "U.S. Navy ship", "St. Louis", "Boeing737", "ground track field"
# hold none, nor an abbreviation before a name ("av. Paulista", "ship vs. Boat", "approx. North", "Mrs. Smith", "Mass.
# Ave", "Memorial Hosp. Helipad", "Harbor Fwy. North": a place's name abbreviates its parts)
_ABBREVIATIONS = ("av|ave|avda|bd|blvd|rd|str|mt|ft|vs|approx|ca|cf|dept|bldg|apt|no|nr|jr|sr|inc|ltd|corp|co|mrs|gen|"
                  "gov|sen|rep|rev|hon|prof|capt|col|cmdr|sgt|hwy|rte|ste|sta|intl|natl|univ|bros|assn|mfg|"
                  "mass|hosp|med|mem|jct|ctr|pkwy|expy|tpke|mtn|mts|hts|govt|inst|maj|adm|brig|sts|cres|terr|twp|"
                  "fwy|frwy|hbr|arpt|stn|twr|cem|sch|bch|acad|elem|pres|riv|isl|cyn|crk|dist|prov|cir|spgs|vly|cnty")
# a list, not a rule: "a capitalised word of 3-4 letters before '.' is an abbreviation" read 20 of 20 sentence ends on a
# place ("near the Dam. Two", "Bay", "Oslo", "Pier") as none (tour 82); synthetic and RSIVQA text read alike either way
_SENTENCE_BREAK = re.compile(rf"\b(?!(?i:{_ABBREVIATIONS})\.)[A-Z]?[a-z]{{2,}}[.!?]+[\"')\]]*\s+[\"'(\[]?[A-Z]")
# the end of decode's problem for such a label (rsvlm.tta names it a caption, not a geometry that does not parse)
CAPTION_DROPPED = "reads as a caption (two sentences), not a class name: the label dropped"


def caption_label(label: str) -> bool:
    """Whether ``label`` reads as a caption the model ran into (two sentences or more: ``_SENTENCE_BREAK``), not a
    class name or referring phrase. Cannot: tell a caption of one sentence from a long referring phrase, nor read a
    break written in lower case ("harbour. there are"), in a script without capitals, after a word in capitals ("the
    USA. There") or after a word ``_ABBREVIATIONS`` lists ("no. There", "Gen. Two"); a name ending on a capitalised
    word it does not list reads as two ("Lake Michigan. North shore", "Yahoo! Campus")."""
    return bool(_SENTENCE_BREAK.search(label))


# every tag's name, in any case: a word of them before locations is no misspelling (<BOX>: _lex says its case)
_NAMES = ("ref", "box", "obb", "point", "poly", "mask", "grid", "row", "run")
_NAMED = re.compile(r"<([A-Za-z]+)>\s*$")  # a tag-like word last in a text: <bx> before the locations of a box
# other spellings of a shape's tag (other tools' and datasets', or their plurals: <bboxes>, <quads>), taken before a
# tag's name it starts with (<polygon>, <boxes>) and a close spelling (<bx>): <rbox> is a rotated box (<obb>), not <box>;
# <pt> too short to be close to <point>
_ALIASES = {"box": ("bbox", "hbb", "hbox", "rect", "rectangle", "bb"),
            "obb": ("rbox", "rbb", "rbbox", "obox", "rotated", "oriented", "quad"),
            "point": ("pt", "pts", "pnt", "keypoint"), "poly": ("polyline", "ring", "contour")}


def no_tag(text: str) -> str | None:
    """decode's problem for the word in angle brackets that ends ``text``, the text right before location tokens
    (``<ref>ship</ref><bx>``): a misspelt tag, named with the tag it may mean (an ``_ALIASES`` spelling or its plural, a
    tag's name it starts with, a close one) or the shape tags, a word over 20 characters cut (…); None where ``text``
    ends on no such word or on a tag's name in other case (``<BOX>``, said by ``_lex``)."""
    if not (m := _NAMED.search(text)) or (name := m[1].lower()) in _NAMES:
        return None
    said = f"<{near}>?" if (near := _meant(name)) else "tags: <box>, <obb>, <point>, <poly>, <mask>"
    word = m[0].strip()
    return f"{word if len(word) <= 20 else word[:19] + '…'} is no tag ({said}): the location tokens after it are in no shape"


def _meant(name: str) -> str | None:
    """The tag a word in angle brackets (lower case, no tag's name) may mean: an ``_ALIASES`` spelling or its plural,
    a tag's name it starts with, a close one; None where none."""
    ones = {name, name.removesuffix("s"), name.removesuffix("es")}  # an alias's plural: <bboxes>, <quads>
    near = ([t for t, other in _ALIASES.items() if ones & set(other)] or [t for t in _NAMES[:6] if name.startswith(t)]
            or get_close_matches(name, _NAMES[:7], 1, 0.7))
    return near[0] if near else None


# numbers alone (a sign, point, comma, bracket between) between a spelling of a shape's tag (_meant) and its closing tag
_NUMBERED = re.compile(r"<([A-Za-z]+)>([-+0-9.,;\s()\[\]]+)</\1>")  # a digit in it: looked for after (no backtracking)
_WANT = {"box": 4, "obb": 8, "point": 2, "poly": "pairs of"}


def plain_numbers(text: str) -> list[str]:
    """decode's problem for each shape in ``text`` written with plain numbers in a tag no tokenizer has
    (``<bbox>12, 13, 40, 50</bbox>``, ``<rbox>``, ``<polygon>``: another tool's coordinates), naming the tag it may
    mean and the location tokens that tag takes; none for a tag's name in other case (``<BOX>``: ``_lex`` says it)
    or a word that may mean no shape (``<b>12</b>``, ``<td>3</td>``)."""
    said = []
    for m in _NUMBERED.finditer(text):
        if (name := m[1].lower()) in _NAMES or not re.search("[0-9]", m[2]) or (kind := _meant(name)) not in _WANT:
            continue
        shown = m[0] if len(m[0]) <= 60 else m[0][:59] + "…"
        said.append(f"{shown} holds plain numbers, not location tokens: no shape read from it (<{kind}> takes "
                    f"{_WANT[kind]} <loc_N>, N = floor(x * 1000 / width) for an x, by height for a y)")
    return said


def numbers_only(text: str) -> bool:
    """Whether ``text`` (what a shape's tags hold: ``<box>12, 13, 40, 50</box>``) is plain numbers alone."""
    return re.fullmatch(r"[-+0-9.,;\s()\[\]]+", text) is not None and re.search("[0-9]", text) is not None
