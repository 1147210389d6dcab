"""Corners and clock positions said of a mirror view (``rsvlm.tta_words``): a transpose's corner put back in the
usual order ("left top" → "top left", ``corners_in_order``), a corner's "upper"/"lower" asked of a transpose as
"top"/"bottom" and said back (``respell``, ``AS_TOP``), and a clock position turned by each step ("at 2 o'clock" is a
left-right flip's "10 o'clock", ``turn_clock``; not a time of day)."""

from __future__ import annotations

import re

from rsvlm.tta_tables import EDGE, cased

# a clock position ("the ship at 2 o'clock from the tank", "facing ten o'clock"): a step takes hour n to
# ``_CLOCK_TURNS[step] - n`` (12 for 0): 3 ↔ 9 in a left-right flip, 12 ↔ 6 in a top-bottom one, 12 ↔ 9 and 3 ↔ 6 in a
# transpose; not a time of day ("taken at 10 o'clock", "at 9 o'clock in the morning", ``_TIME``)
_HOURS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_CLOCK = re.compile(rf"(?<![^\W_])(1[0-2]|[1-9]|{'|'.join(_HOURS)})(\s*o['’]?\s*clock)(?![^\W_])", re.I)
_CLOCK_TURNS = {"h": 12, "v": 6, "t": 9}
_TIME = (re.compile(r"(?<![^\W_])(?:taken|acquired|captured|imaged|recorded|photographed|shot|observed|collected|until"
                    r"|till|since|before|after|by)\s+(?:at\s+)?(?:around\s+|about\s+)?$", re.I),  # not "a ship around 2 o'clock"
         re.compile(r"\s*(?:in\s+the\s+(?:morning|afternoon|evening)|at\s+night|(?:local|solar)\s+time|a\.?m\b|p\.?m\b|utc"
                    r"|gmt|sharp)", re.I))


def turn_clock(text: str, step: str) -> str:
    """``text`` with each clock position (``_CLOCK``, no time of day: ``_TIME``) as ``step`` turns it, in its form
    ("2 o'clock" → "10 o'clock", "Two o'clock" → "Ten o'clock" in a left-right flip)."""
    def turn(m: re.Match) -> str:
        if _TIME[0].search(m.string, 0, m.start()) or _TIME[1].match(m.string, m.end()):
            return m.group(0)
        said = m.group(1)
        n = (_CLOCK_TURNS[step] - (int(said) if said.isdigit() else _HOURS.index(said.lower()) + 1)) % 12 or 12
        return (str(n) if said.isdigit() else cased(_HOURS[n - 1], said)) + m.group(2)

    return _CLOCK.sub(turn, text)


_GAP = r"[^\S\n]+|[^\S\n]*[-–_][^\S\n]*"  # a corner's joiner, with any spaces or tabs: "top  left", "north - west"
_CORNER = re.compile(rf"{EDGE[0]}(?i:(left|right)({_GAP})(top|bottom)|(west|east)({_GAP})(north|south)"
                     rf"(ernmost|erly|ern|wards|ward)?){EDGE[1]}")
# a corner's first word ("upper-left", "Top right"), said "top" of a transpose ("upper" has none) and back
CORNER_HEAD = re.compile(rf"{EDGE[0]}(?i:(upper|lower|top|bottom)(?=(?:{_GAP})(?:left|right){EDGE[1]}))")
AS_TOP = {"upper": "top", "lower": "bottom"}


def respell(text: str, table: dict[str, str]) -> str:
    """``text`` with each corner's first word in ``table`` (``AS_TOP``, or it inverted) as its image, in its case."""
    return CORNER_HEAD.sub(lambda m: cased(table[w], m.group(1)) if (w := m.group(1).lower()) in table
                            else m.group(1), text)


def _corner(m: re.Match) -> str:
    """A transpose's corner ("left top", "west-north", "east-northerly") in the usual order, each word in the case of the word in its place and
    the joiner as written ("left  top" → "top  left", "west-Southerly" → "south-Westerly"); a heading after a
    space is left alone ("west northerly": two words)."""
    a, gap, b = m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)
    end = m.group(7) or ""
    if end and not gap.strip():
        return m.group(0)
    return f"{cased(b.lower(), a)}{gap}{cased(a.lower(), b)}{end}"


def corners_in_order(text: str) -> str:
    """``text`` with each corner a transpose left in an unusual order ("left top", ``_CORNER``) in the usual one."""
    return _CORNER.sub(_corner, text)
