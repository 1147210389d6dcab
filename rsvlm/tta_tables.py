"""The word tables of ``rsvlm.tta_words`` and how their words are matched: per step of a view (``t``
transpose, ``h`` left-right flip, ``v`` top-bottom flip) the words it mirrors (``SWAPS``) and the compass
points in capitals it moves (``COMPASS``), the sense of a rotation a mirror turns (``ROTATION``), the words a
step has no one-word image for (``UNMAPPED``), those a corner crop changes the meaning of (``FRAMED``), the
"-hand" compounds (``HANDED``) and the phrases whose direction word is none (``KEPT``); a pattern of whole
words in any case (``whole_words``), a lone compass letter read as a direction or a name (``is_direction``: "to the
N", "E of the river", not "Building E"), and a word written back in the case of another (``cased``).
"""

from __future__ import annotations

import re


def _ward(*pairs: tuple[str, str]) -> dict[str, str]:
    """The "-ward" and "-wards" words of ``pairs`` (``("left", "right")``: leftward → rightward, …)."""
    return {f"{a}{end}": f"{b}{end}" for a, b in pairs for end in ("ward", "wards")}


HEADINGS = ("", "ern", "ernmost", "erly", "ward", "wards")  # the forms of a compass word: north, northern, northernmost, …


def _diagonal(*pairs: tuple[str, str]) -> dict[str, str]:
    """``pairs`` of intercardinal words in every form of ``HEADINGS`` (northwest → northeast,
    northwesterly → northeasterly, …)."""
    return {f"{a}{end}": f"{b}{end}" for a, b in pairs for end in HEADINGS}


SWAPS = {  # per step of a view, in the order t, h, v: the words it mirrors (both ways)
    "t": {"left": "top", "right": "bottom", "leftmost": "topmost", "rightmost": "bottommost", "west": "north",
          "east": "south", "western": "northern", "eastern": "southern", "westernmost": "northernmost",
          "easternmost": "southernmost", "horizontal": "vertical", "horizontally": "vertically",
          **_diagonal(("northeast", "southwest")),  # northwest, southeast: their own image
          "topright": "bottomleft",  # one-word corners: topleft, bottomright their own image
          **_ward(("left", "up"), ("right", "down"), ("west", "north"), ("east", "south")),
          "westerly": "northerly", "easterly": "southerly"},
    "h": {"left": "right", "leftmost": "rightmost", "lefthand": "righthand", "west": "east", "western": "eastern",
          "westernmost": "easternmost", **_diagonal(("northwest", "northeast"), ("southwest", "southeast")),
          "topleft": "topright", "bottomleft": "bottomright",
          **_ward(("left", "right"), ("west", "east")), "westerly": "easterly"},
    "v": {"top": "bottom", "topmost": "bottommost", "upper": "lower", "uppermost": "lowermost",
          "above": "below", "north": "south", "northern": "southern", "northernmost": "southernmost",
          **_diagonal(("northwest", "southwest"), ("northeast", "southeast")),
          "topleft": "bottomleft", "topright": "bottomright",
          **_ward(("up", "down"), ("north", "south")), "northerly": "southerly"},
}
POINTS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")  # 22.5°
TURNS = {"t": 12, "h": 0, "v": 8}  # a step takes point i of POINTS to TURNS[step] - i: N ↔ W under t, N ↔ S under v
COMPASS = {  # per step, the compass points in capitals it moves, matched in capitals only ("ne" may be another word)
    step: {p: POINTS[(turn - i) % 16] for i, p in enumerate(POINTS) if POINTS[(turn - i) % 16] != p}
    for step, turn in TURNS.items()}  # t: NW, SE their own image; h: N, S; v: E, W
# every step is a mirror: a view of an odd number of them turns the sense of a rotation, once (``swap_words``:
# step by step, an even view's "anticlockwise" came back "counterclockwise", no vote for the plain view's word);
# one way for the other spellings ("anticlockwise" → "clockwise"), "counter clockwise" two words too
ROTATION = {"clockwise": "counterclockwise", "counterclockwise": "clockwise",
            **{f"{a}{j}clockwise": "clockwise" for a in ("counter", "anti") for j in ("", " ", "-", "–")}}
UNMAPPED = {"t": ("above", "below", "upper", "lower", "uppermost", "lowermost")}  # no one-word image
FRAMED = ("centre", "center", "middle", "corner", "edge", "border", "side", "half", "quadrant", "largest",
          "smallest", "biggest", "nearest", "closest", "farthest", "furthest")  # besides SWAPS: words a crop changes the meaning of

HANDED = {f"{side}{sep}hand": side for side in ("left", "right")  # before a transpose: no "top-hand"
          for sep in ("-", " ", "_", "")}  # "lefthand" too
KEPT = ("right angle", "right angles", "right-angle", "right-angled", "top-down", "bottom-up",  # no direction in them
        "right of way", "right-of-way",  # a corridor (a pipeline's, a railway's)
        "top view", "top views", "top-view")  # seen from above (it was a transpose's "left view")


# a lone compass letter, not one joined to a word ("S-shaped", "N/A", "U.S.", "B&W", "E.g."; "N-S" is two letters)
_LONE = r"(?<![.&'])(?<!\w\w[-/–])(?<![^\WNSEW][-/–])(?:{})(?![-/–](?:\w\w|[^\WNSEW])|['&]|\.\w)"


# a lone compass letter is a direction after these words ("to the N", "5 km E", "facing W") or before them
# ("N of the dock", "the W side"), joined to another ("N-S", "E/W"), listed with others ("N or S", "N, S, E or
# W": _LISTED), or alone ("N.", a short answer); else a name ("Building E")
_BEFORE = frozenset(("the", "a", "an", "to", "toward", "towards", "from", "in", "into", "at", "on", "its", "their",
                     "due", "far", "further", "farther", "furthest", "farthest", "facing", "faces", "face", "heading",
                     "heads", "head", "headed", "pointing", "points", "run", "runs", "running", "flow", "flows",
                     "flowing", "lie", "lies", "lying",
                     "km", "m", "mi", "nm", "miles", "metres", "meters", "kilometres", "kilometers"))
_AFTER = frozenset(("of", "side", "sides", "end", "ends", "edge", "part", "half", "corner", "bank", "shore",
                    "coast", "quadrant", "wing", "facing", "bound", "ward", "wards", "to"))
_DIRECTION = (re.compile(r"(?:^|[^\w-])([A-Za-z]+)\s+$"), re.compile(r"^\s+([A-Za-z]+)\b"),
              re.compile(r"\b[NSEW] ?[-/–] ?$"), re.compile(r"^ ?[-/–] ?[NSEW]\b"), re.compile(r"\w"))
_POINT = "(?:N|S|E|W|NE|NW|SE|SW|NNE|ENE|ESE|SSE|SSW|WSW|WNW|NNW)"
_LISTED = re.compile(rf"\b{_POINT}(?:\s*,\s*{_POINT})*,?\s+(?:or|and)\s+{_POINT}\b")  # "N or S", "N, S, E or W"


def is_direction(text: str, start: int, end: int) -> bool:
    """Whether a lone compass letter at ``text[start:end]`` reads as a direction (``_BEFORE``, ``_AFTER``,
    joined to another letter, listed with other points, or no word beside it): "the ship in the N", "E of
    the river", "a N-S road", "facing N or S", "N."; not "Building E"."""
    head, tail = text[:start], text[end:]
    before, after = _DIRECTION[0].search(head), _DIRECTION[1].match(tail)
    return bool(before and before.group(1).lower() in _BEFORE or after and after.group(1).lower() in _AFTER
                or _DIRECTION[2].search(head) or _DIRECTION[3].match(tail)
                or not (_DIRECTION[4].search(head) or _DIRECTION[4].search(tail))
                or any(m.start() <= start and end <= m.end() for m in _LISTED.finditer(text)))


def point_matches(pattern: re.Pattern, text: str):
    """``pattern``'s matches in ``text``, but a lone compass letter that is no direction (``is_direction``)."""
    return (m for m in pattern.finditer(text) if len(m.group(0)) > 1 or m.group(0) not in "NSEW"
            or is_direction(text, m.start(), m.end()))



EDGE = (r"(?<![^\W_])", r"(?![^\W_])")  # a word's edges, an underscore one too ("top_left" is "top" "left")


def whole_words(words, capitals=()) -> re.Pattern:
    """A pattern of ``words`` whole in any case, longest first, and of ``capitals`` whole as written
    (a lone letter not joined to another word, ``_LONE``)."""
    lone = [c for c in capitals if len(c) == 1]
    alts = [f"(?i:{'|'.join(sorted(words, key=len, reverse=True))})",
            *sorted(set(capitals) - set(lone), key=len, reverse=True)]
    alts += [_LONE.format("|".join(sorted(lone)))] if lone else []
    return re.compile(rf"{EDGE[0]}({'|'.join(alts)}){EDGE[1]}")


def side_words() -> set[str]:
    """Every word of ``SWAPS``, either side of a pair, of any step."""
    return {w for table in SWAPS.values() for pair in table.items() for w in pair}



def cased(new: str, like: str) -> str:
    """``new`` in the case ``like`` is written in: all capitals ("NORTHERN", as "NE" stays), a leading
    capital, or as it is."""
    if like.isupper() and len(like) > 1:
        return new.upper()
    return new.capitalize() if like[:1].isupper() else new
