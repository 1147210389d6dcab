"""Answers of other remote-sensing assistants turned into rsvlm objects (pixel coordinates),
so that their predictions are scored on the same data and by the same code.

- ``geochat``: ``<p>phrase</p>{<x1><y1><x2><y2>|θ}{…}``; integers on a 0–100 scale of the image
  width/height, θ in degrees (``|θ`` or ``|<θ>``, optional). θ = 0 gives a ``box``; otherwise an
  ``obb`` whose corners are the box's corners rotated about its centre by θ the way GeoChat's
  demo draws them (``cv2.getRotationMatrix2D(centre, θ, 1)``: positive θ turns
  counter-clockwise as the image is displayed).
- ``falcon``: ``<box><x1><y1><x2><y2></box>`` (also ``<quad>`` with 4 corners and ``<poly>``
  with any number of points); plain integers on a 1000-bin scale, decoded to the bin centre
  ``(v + 0.5) / 1000 * size`` as rsvlm's own grammar is.

A ``<p>…</p>`` or ``<ref>…</ref>`` phrase labels the geometry that follows it. Like
``rsvlm.geometry.decode`` this never raises on model output: what cannot be read is returned
as a problem next to what could. It cannot read masks, points or any other format (a falcon
``<point>`` or other tag holding bins is a problem, not an answer of no object).
"""

from __future__ import annotations

import math
import re

from rsvlm.geometry import ordered_box
from rsvlm.geometry.codec import REPAIRED

_NUM = r"(-?\d+(?:\.\d+)?)"
_PHRASE = re.compile(r"<(p|ref)>(.*?)</\1>", re.S)
_GEOCHAT_BRACE = re.compile(r"\{([^{}]*)\}")
_GEOCHAT_BOX = re.compile(rf"^\s*<{_NUM}>\s*<{_NUM}>\s*<{_NUM}>\s*<{_NUM}>\s*(?:\|\s*<?{_NUM}>?\s*)?$")
_FALCON_TAG = re.compile(r"<(box|quad|poly)>(.*?)</\1>", re.S)
_FALCON_INT = re.compile(r"<(\d{1,6})>")  # longer runs are text: int() refuses over 4300 digits
_FALCON_OTHER = re.compile(r"<([A-Za-z_]\w*)>\s*(?:<\d+>\s*)+</\1>")  # any other tag holding bins: <point>


def decode(text: str, width: int, height: int, fmt: str) -> tuple[list[dict], list[str]]:
    """(objects, problems) of a foreign answer; ``fmt`` is ``geochat`` or ``falcon``."""
    if fmt == "geochat":
        return decode_geochat(text, width, height)
    if fmt == "falcon":
        return decode_falcon(text, width, height)
    raise ValueError(f"unknown foreign format {fmt!r} (known: geochat, falcon)")


def _labelled(text: str, pattern: re.Pattern) -> list[tuple[str | None, re.Match]]:
    """Each geometry match with the phrase that last preceded it."""
    phrases = [(m.start(), m.group(2).strip()) for m in _PHRASE.finditer(text)]
    out = []
    for m in pattern.finditer(text):
        before = [p for s, p in phrases if s < m.start()]
        out.append((before[-1] if before else None, m))
    return out


def _in_order(box: list[float], where: str, problems: list[str]) -> list[float]:
    """``box`` with its corners in order (``ordered_box``), and a problem where they came reversed, as
    ``rsvlm.geometry.decode`` says of such a box in rsvlm's grammar."""
    if box[0] > box[2] or box[1] > box[3]:
        problems.append(f"{where} has x1>x2 or y1>y2{REPAIRED}")
    return ordered_box(box)


def rotate_box(x1: float, y1: float, x2: float, y2: float, theta_deg: float) -> list[list[float]]:
    """Corners of a box turned about its centre as ``cv2.getRotationMatrix2D(c, θ, 1)`` does."""
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    a, b = math.cos(math.radians(theta_deg)), math.sin(math.radians(theta_deg))
    corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
    return [[a * (x - cx) + b * (y - cy) + cx, -b * (x - cx) + a * (y - cy) + cy] for x, y in corners]


def decode_geochat(text: str, width: int, height: int) -> tuple[list[dict], list[str]]:
    objects, problems = [], []
    for label, m in _labelled(text, _GEOCHAT_BRACE):
        box = _GEOCHAT_BOX.match(m.group(1))
        if not box:
            problems.append(f"geochat: cannot read box {m.group(0)!r}")
            continue
        vals = [float(v) for v in box.groups()[:4]]
        theta = float(box.group(5) or 0)
        if not math.isfinite(theta):  # a degenerate run of digits: cos() would raise
            problems.append(f"geochat: angle out of range in {m.group(0)!r:.80}")
            continue
        if not all(0 <= v <= 100 for v in vals):
            problems.append(f"geochat: coordinate outside 0–100 in {m.group(0)!r}")
            continue
        x1, y1, x2, y2 = _in_order([vals[0] / 100 * width, vals[1] / 100 * height, vals[2] / 100 * width,
                                    vals[3] / 100 * height], f"geochat: {m.group(0)!r:.80}", problems)
        if theta % 360 == 0:
            objects.append({"kind": "box", "label": label, "coords": [x1, y1, x2, y2]})
        else:
            objects.append({"kind": "obb", "label": label, "coords": rotate_box(x1, y1, x2, y2, theta)})
    if text.count("{") != len(_GEOCHAT_BRACE.findall(text)):
        problems.append("geochat: unclosed '{' (truncated answer?)")
    return objects, problems


def decode_falcon(text: str, width: int, height: int) -> tuple[list[dict], list[str]]:
    objects, problems = [], []
    for label, m in _labelled(text, _FALCON_TAG):
        tag, body = m.group(1), m.group(2)
        vals = [int(v) for v in _FALCON_INT.findall(body)]
        if _FALCON_INT.sub("", body).strip():
            problems.append(f"falcon: unexpected text inside {m.group(0)!r}")
            continue
        need_ok = {"box": len(vals) == 4, "quad": len(vals) == 8, "poly": len(vals) >= 6 and len(vals) % 2 == 0}
        if not need_ok[tag]:
            problems.append(f"falcon: wrong number of values ({len(vals)}) in <{tag}>")
            continue
        if not all(0 <= v <= 999 for v in vals):
            problems.append(f"falcon: bin outside 0–999 in {m.group(0)!r}")
            continue
        pts = [[(x + 0.5) / 1000 * width, (y + 0.5) / 1000 * height] for x, y in zip(vals[0::2], vals[1::2])]
        if tag == "box":
            objects.append({"kind": "box", "label": label,
                            "coords": _in_order([*pts[0], *pts[1]], f"falcon: {m.group(0)!r:.80}", problems)})
        else:
            objects.append({"kind": "obb" if tag == "quad" else "poly", "label": label, "coords": pts})
    opened = len(re.findall(r"<(?:box|quad|poly)>", text))
    if opened != len(_FALCON_TAG.findall(text)):
        problems.append("falcon: unclosed <box>/<quad>/<poly> (truncated answer?)")
    for m in _FALCON_OTHER.finditer(_FALCON_TAG.sub("", text)):  # was read as no object at all, without a word
        problems.append(f"falcon: cannot read <{m.group(1)}> (only <box>, <quad> and <poly>): {m.group(0)!r:.80}")
    return objects, problems


if __name__ == "__main__":  # python -m eval.foreign: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("foreign"))
