"""Geometry <-> text: ``encode`` objects to ``<ref>/<box>/<obb>/<point>/<poly>/<mask>`` tokens,
``decode`` model text back to objects, never raising on any string.

Encoding (one spelling per shape, computed on bins after quantisation):

* ``<box>`` x1 y1 x2 y2 with x1<=x2, y1<=y2; ``<point>`` x y;
* ``<obb>`` 4 corners, clockwise on screen from the top-most (then left-most) corner;
* ``<poly>`` one ring, deduped, clockwise from the top-most then left-most vertex (a ring that
  collapses to 1-2 bins repeats its last vertex up to 3, the grammar's minimum). A polygon
  with holes is its exterior ``<poly>`` followed by one counter-clockwise ``<poly>`` per hole;
* ``<mask>`` the grid run-length form of ``rsvlm.geometry.grid``;
* consecutive objects with the same label share one ``<ref>label</ref>``; an unlabelled object
  after labelled ones is preceded by an empty ``<ref></ref>``.

Decoding: a ``<ref>`` labels every shape after it until the next ``<ref>`` (text in between
does not end it); a counter-clockwise ``<poly>`` right after another ``<poly>`` of the same
``<ref>`` (nothing but whitespace between) is a hole of it. Problems are reported, never raised: out-of-range, zero-padded or stray
tokens (a misspelt tag before them named: ``<bx>``), plain numbers for them (``<bbox>12, 13, 40, 50</bbox>``: the
tokens the tag meant takes said), unterminated tags, wrong token counts (the shape is dropped), ``<box>`` with x1>x2 or
y1>y2 (swapped, kept), an ``<obb>`` whose edges cross (its two corners out of order swapped, kept), a ``<ref>`` the next one replaces with no shape or word between,
a ``<ref>`` label that reads as a caption (``wording.caption_label``: the label dropped, its shapes kept unlabelled). Cannot:
tell a hole from a separate counter-clockwise instance by geometry.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from rsvlm.geometry import grid
from rsvlm.geometry.shapes import (
    NUM_BINS,
    canonical_quad,
    canonical_ring,
    check_size,
    dedupe_ring,
    dequantize,
    ordered_box,
    poly_rings,
    quantize,
    signed_area,
    untangle_quad,
)
from rsvlm.geometry.wording import (  # noqa: F401 (imported from here)
    CAPTION_DROPPED,
    MAX_LABEL_CHARS,
    caption_label,
    no_tag,
    numbers_only,
    plain_numbers,
)
from rsvlm.tokens import IMAGE_TOKEN, task_tag_tokens

KINDS = ("box", "obb", "point", "poly", "mask")
# ends decode's problem for a shape it kept repaired (a reversed <box> or <grid> box, a crossing <obb>): the one spelling
# that tta (fuses such shapes), records (refuses them) and eval (refuses a reference's) look for
REPAIRED = "; swapped"
_TOKEN = re.compile(r"<loc_([0-9]+)>|<(/?)(ref|box|obb|point|poly|mask|grid)>|<(row|run)>")  # ASCII digits: "<loc_١٢>" is no token
_PROMPT_TOKENS = (IMAGE_TOKEN, *task_tag_tokens())  # the tokenizer reads these as rsvlm tokens inside any text
_SHAPE_TAGS = {f"<{k}>" for k in KINDS}
_TAG_NAMES = [f"<{c}{t}>" for t in ("ref", *KINDS, "grid") for c in ("", "/")] + ["<row>", "<run>", "<loc_"]
# a tag or location in any case: lower case, a ``_TOKEN``; other (<REF>, <Box>, <LOC_5>), text that ``_lex`` reports
# (</row>, </run> are no tags in any case)
_CASED = re.compile(r"<(?:/?(?:ref|box|obb|point|poly|mask|grid)|row|run)>|<loc_[0-9]+>", re.IGNORECASE)


def _head(label: str) -> str:
    """``label``'s first 40 characters, quoted, with an ellipsis where it goes on."""
    return f"{label[:40]!r}" + "…" * (len(label) > 40)


@dataclass
class Decoded:
    """What ``decode`` recovered: objects, the problems met, and the answer text without geometry."""

    objects: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    text: str = ""


# ---------------------------------------------------------------- encode


def _label(obj: dict, where: str) -> str | None:
    lab = obj.get("label")
    if lab is None:
        return None
    if not isinstance(lab, str) or not lab.strip():
        raise ValueError(f"{where}: label must be None or a non-empty string, got {lab!r}")
    if _CASED.search(lab) or any(t in lab for t in _PROMPT_TOKENS):  # <box>, and <BOX>: decode reports it
        raise ValueError(f"{where}: label {lab!r} contains an rsvlm tag")
    lab = lab.strip()
    if caption_label(lab):  # decode would drop it
        raise ValueError(f"{where}: label {_head(lab)} ({len(lab)} characters) holds two sentences: a class name or "
                         "referring phrase, not a text; shorten it")
    if len(lab) > MAX_LABEL_CHARS:  # decode would cut it
        raise ValueError(f"{where}: label {lab[:40]!r}… is {len(lab)} characters, over {MAX_LABEL_CHARS}: "
                         "a class name or referring phrase, not a text; shorten it")
    return lab


def _pairs(coords, n: int | None, where: str) -> list[list[float]]:
    try:
        if isinstance(coords, (str, bytes)) or any(isinstance(p, (str, bytes)) for p in coords):
            raise TypeError("a string is no [x, y] pair")  # "12" read as [1, 2]
        pts = [[float(p[0]), float(p[1])] for p in coords]
        bad = any(len(p) != 2 for p in coords)
    except (TypeError, IndexError, ValueError) as e:
        try:  # DOTA's x1 y1 … x4 y4, a COCO segmentation: flat numbers
            flat = not isinstance(coords, (str, bytes)) and np.asarray(coords, dtype=float).ndim == 1
        except (TypeError, ValueError):
            flat = False
        hint = " (flat numbers: give them as pairs, [[x1, y1], [x2, y2], …])" if flat else ""
        if flat and n == 4 and len(coords) == 5:  # "pair them" misled: 5 numbers are a rotated box, not corners
            hint = (" (cx, cy, w, h, angle? an oriented box is its 4 corners: rbox_to_quad(cx, cy, w, h, angle_deg) "
                    "gives them, the angle in degrees, clockwise on screen; mmrotate's is in radians: math.degrees it)")
        raise ValueError(f"{where}: expected a list of [x, y] pairs, got {coords!r:.80}{hint}") from e
    if bad or (n is not None and len(pts) != n) or not all(math.isfinite(v) for p in pts for v in p):
        want = f"{n} finite [x, y] pairs" if n else "finite [x, y] pairs"
        raise ValueError(f"{where}: expected {want}, got {coords!r:.80}")
    return pts


def _numbers(coords, n: int, where: str) -> list[float]:
    try:
        if isinstance(coords, (str, bytes)):
            raise TypeError("a string is no list of numbers")  # "1234" read as [1, 2, 3, 4]
        vals = [float(v) for v in coords]
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: expected {n} numbers, got {coords!r:.80}") from e
    if len(vals) != n or not all(math.isfinite(v) for v in vals):
        raise ValueError(f"{where}: expected {n} finite numbers, got {coords!r:.80}")
    return vals


def _qring(ring: list[list[float]], w: int, h: int) -> list[list[int]]:
    return [[quantize(x, w), quantize(y, h)] for x, y in ring]


def _locs(values) -> str:
    return "".join(f"<loc_{int(v)}>" for v in values)


def _shape_text(obj: dict, w: int, h: int, where: str) -> str:
    kind = obj.get("kind")
    c = obj.get("coords")
    if kind == "box":
        x1, y1, x2, y2 = _numbers(c, 4, where)
        b = [quantize(x1, w), quantize(y1, h), quantize(x2, w), quantize(y2, h)]
        b = [min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])]
        return f"<box>{_locs(b)}</box>"
    if kind == "obb":
        q = canonical_quad(_qring(_pairs(c, 4, where), w, h))
        return f"<obb>{_locs(v for p in q for v in p)}</obb>"
    if kind == "point":
        x, y = _numbers(c, 2, where)
        return f"<point>{_locs([quantize(x, w), quantize(y, h)])}</point>"
    if kind == "poly":
        try:
            rings = poly_rings(obj)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        px = []
        for k, ring in enumerate(rings):
            pts = _pairs(ring, None, f"{where} ring {k}")
            if len(pts) < 3:
                raise ValueError(f"{where} ring {k}: a ring needs at least 3 vertices, got {len(pts)}")
            if k == 0 and obj.get("rings") is not None and c is not None \
                    and dedupe_ring(_pairs(c, None, where)) != dedupe_ring(pts):  # rings = [hole]: the hole was written as the polygon
                raise ValueError(f"{where}: coords is not rings[0]; rings holds the exterior first (coords), then the holes")
            px.append(pts)
        if obj.get("budget") is not None:  # a footprint of 5000 vertices wrote 5000 location tokens
            from rsvlm.geometry.masks import rings_to_budget

            try:
                px = rings_to_budget(px, obj["budget"])
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
        qr = [_qring(pts, w, h) for pts in px]
        ext = canonical_ring(qr[0])
        ext += [ext[-1]] * (3 - len(ext))  # collapsed to 1-2 bins: still 3 vertices, as the grammar asks
        holes = [canonical_ring(r, hole=True) for r in qr[1:]]
        holes = sorted((r for r in holes if len(r) >= 3 and signed_area(r) != 0), key=lambda r: [(p[1], p[0]) for p in r])
        return "".join(f"<poly>{_locs(v for p in r for v in p)}</poly>" for r in [ext, *holes])
    if kind == "mask":
        if not isinstance(c, dict):
            raise ValueError(f"{where}: a mask needs grid coords {{'box','size','rows'}} or a 'mask' array")
        try:
            items = grid.grid_tokens(c, w, h)
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{where}: bad grid coords: {e}") from e
        return "<mask>" + "".join(f"<loc_{t}>" if isinstance(t, int) else t for t in items) + "</mask>"
    raise ValueError(f"{where}: unknown kind {kind!r} (expected one of {KINDS})")


def _off_image(obj: dict, w: int, h: int) -> tuple[int, int]:
    """(vertices, of how many) of an obb or polygon (every ring) lying more than a location bin off the ``w`` × ``h``
    image: clamped to its edge one by one, so the shape written is another (an oriented box no rectangle); (0, 0) for
    other kinds, whose clamp cuts them to the image as they are (a box, a grid) or moves a point onto its edge."""
    rings = [obj["coords"]] if obj["kind"] == "obb" else poly_rings(obj) if obj["kind"] == "poly" else []
    if not rings:
        return 0, 0
    pts = np.concatenate([np.asarray(r, dtype=float).reshape(-1, 2) for r in rings])  # (V, 2)
    lo, hi = -np.array([w, h]) / NUM_BINS, np.array([w, h]) * (1 + 1 / NUM_BINS)  # (2,) a bin's slack either side
    return int(((pts < lo) | (pts > hi)).any(axis=1).sum()), len(pts)


def encode(objects: list[dict], width: int, height: int, clamped: list[str] | None = None) -> str:
    """Objects with pixel coords -> answer text (no spaces between tokens).

    Raises ValueError naming the object on bad input (unknown kind, wrong coordinate count,
    non-finite values, an rsvlm token inside a label: a tag, ``<image>``, a task tag; a label over
    ``MAX_LABEL_CHARS`` or of two sentences, ``caption_label``).
    Coordinates outside the image are clamped to its edge: a box or a point as it is, but an oriented box
    or a polygon with a vertex more than a bin off the image changes shape (each vertex moves alone), and
    ``clamped``, where given, gets one line per such object, naming it, for the caller to count or say.
    A ``{"kind": "mask", "mask": array}`` object (an ndarray or nested lists, (height, width)) is first
    split by ``mask_to_objects`` with its ``"form"`` and ``"budget"`` (defaults ``DEFAULT_MASK_FORM`` /
    ``DEFAULT_MASK_BUDGET``); an empty mask writes nothing, not even its label.
    A ``poly`` object's optional ``"budget"`` (location tokens) simplifies rings over it (``masks.rings_to_budget``).
    """
    from rsvlm.geometry.masks import DEFAULT_MASK_BUDGET, DEFAULT_MASK_FORM, mask_to_objects, refuse_rle

    width, height = check_size(width, height)
    if isinstance(objects, (dict, str, bytes)) or not hasattr(objects, "__iter__"):  # a dict iterated its keys
        hint = " (wrap one object in a list: [obj])" if isinstance(objects, dict) else ""
        raise ValueError(f"objects must be a list of dicts, got a {type(objects).__name__}{hint}")
    parts: list[str] = []
    current: str | None = None
    for i, obj in enumerate(objects):
        where = f"object {i}"
        if not isinstance(obj, dict):
            raise ValueError(f"{where}: expected a dict, got {type(obj).__name__}")
        label = _label(obj, where)
        expanded = [obj]
        if obj.get("kind") == "mask" and obj.get("mask") is not None:
            try:
                refuse_rle(obj["mask"])
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
            try:  # nested lists (a mask read from JSON) too: they were "mask shape None"
                m = np.asarray(obj["mask"])
            except ValueError as e:  # ragged rows
                raise ValueError(f"{where}: mask is no (height, width) array: {e}") from None
            if m.shape != (height, width):
                raise ValueError(f"{where}: mask shape {m.shape} is not (height, width) = {(height, width)}")
            try:
                expanded = mask_to_objects(m, label, obj.get("form", DEFAULT_MASK_FORM),
                                           obj.get("budget", DEFAULT_MASK_BUDGET))
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
        for o in expanded:
            if label != current:
                parts.append("<ref></ref>" if label is None else f"<ref>{label}</ref>")
                current = label
            parts.append(_shape_text(o, width, height, where))
            if clamped is not None and (off := _off_image(o, width, height))[0]:
                clamped.append(f"{where} ({o['kind']}{f' {label!r}' if label else ''}): {off[0]} of its {off[1]} "
                               f"vertices off the {width}x{height} image, each clamped to its edge: its shape changed "
                               "(clip it to the image first: shapely's intersection)")
    return "".join(parts)


# ---------------------------------------------------------------- decode


def _lex(text: str) -> tuple[list[tuple[str, object]], list[str]]:
    """Text -> items ("text", str) | ("loc", int) | ("tag", "<box>" …) and lexing problems."""
    items: list[tuple[str, object]] = []
    probs: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() > pos:
            items.append(("text", text[pos:m.start()]))
            _cased(text[pos:m.start()], probs)
        pos = m.end()
        if m.group(1) is not None:
            digits = m.group(1)  # int() refuses over 4300 digits: a free-decoded run of them is out of range too
            v = int(digits) if len(digits) <= 9 else NUM_BINS
            if len(digits) > 1 and digits[0] == "0":  # no such token: hand-written or converted text
                probs.append(f"{m.group(0):.20} is not a location token (zero-padded; they are <loc_0>…<loc_{NUM_BINS - 1}>)")
                items.append(("bad", m.group(0)))
            elif v >= NUM_BINS:
                shown = m.group(0) if len(digits) <= 9 else f"<loc_{digits[:6]}…> ({len(digits)} digits)"
                probs.append(f"{shown} is out of range 0..{NUM_BINS - 1}")
                items.append(("bad", m.group(0)))
            else:
                items.append(("loc", v))
        else:
            items.append(("tag", m.group(0)))
    if pos < len(text):
        items.append(("text", text[pos:]))
        _cased(text[pos:], probs)
        tail = text[text.rfind("<"):] if "<" in text[pos:] else ""
        if is_cut_tag(tail):
            probs.append(f"text ends inside a tag: {tail!r}")
    return items, probs


def _cased(text: str, probs: list[str]) -> None:
    """Report each tag or location in ``text`` written in other case (``<REF>``, ``</Box>``, ``<LOC_5>``): text to
    ``decode``, as to the tokenizer; a ``<REF>ship</REF>`` before a box left it unlabelled and said nothing."""
    probs += [f"{m.group(0):.20} is no tag: tags are lower case ({m.group(0).lower():.20}); read as text"
              for m in _CASED.finditer(text)]


def is_cut_tag(tail: str) -> bool:
    """Whether ``tail`` (the text from the last "<" on) is the start of an rsvlm tag: ``<re``, ``</bo``,
    ``<loc_12``; ``decode`` reports an answer ending on one. A lone "<" (``a < b``, ``smaller than <``),
    ``<3`` or ``<b>`` are text."""
    return len(tail) >= 2 and (bool(re.fullmatch(r"<loc_(0|[1-9][0-9]{0,2})", tail))
                               or any(t.startswith(tail) for t in _TAG_NAMES))


def spells_tag(text: str) -> bool:
    """Whether ``decode`` reads a tag or a location (well formed or not: ``<loc_01>``) in ``text``."""
    return _TOKEN.search(text) is not None


def may_start_tag(tail: str) -> bool:
    """Whether more text could make ``tail`` (the text from the last "<" on) one that ``spells_tag``."""
    return tail.startswith("<") and (bool(re.fullmatch(r"<loc_[0-9]*", tail))
                                     or any(t.startswith(tail) for t in _TAG_NAMES))


def tag_ends(tail: str) -> tuple[list[str], bool]:
    """How text can go on after ``tail`` (the text from the last "<" on) to finish a tag ``spells_tag``
    reads there: the rest of each named tag ``tail`` starts, up to its ">" (``<bo`` → ``["x>"]``), and
    whether it may still become a location (``<lo``, ``<loc_12``: digits and ">" to come)."""
    named = [t[len(tail):] for t in _TAG_NAMES if t != "<loc_" and t.startswith(tail) and len(t) > len(tail)]
    return named, "<loc_".startswith(tail) or bool(re.fullmatch(r"<loc_[0-9]*", tail))


def _build(tag: str, body: list[tuple[str, object]], w: int, h: int, probs: list[str]) -> dict | None:
    kind = tag[1:-1]
    if kind == "mask":
        coords, p = grid.parse_grid([v for _, v in body], w, h)
        probs += p
        return None if coords is None else {"kind": "mask", "coords": coords}
    locs = [v for k, v in body if k == "loc"]
    want = {"box": 4, "obb": 8, "point": 2}.get(kind)
    if want is not None and len(locs) != want:
        probs.append(f"{tag} needs {want} location tokens, got {len(locs)}; dropped")
        return None
    if kind == "poly" and (len(locs) < 2 or len(locs) % 2):
        probs.append(f"<poly> needs an even number (>= 2) of location tokens, got {len(locs)}; dropped")
        return None
    if kind == "box":
        x1, y1, x2, y2 = locs
        if x1 > x2 or y1 > y2:
            probs.append(f"<box> {locs} has x1>x2 or y1>y2{REPAIRED}")
            x1, y1, x2, y2 = ordered_box(locs)
        return {"kind": "box", "coords": [dequantize(x1, w), dequantize(y1, h), dequantize(x2, w), dequantize(y2, h)]}
    if kind == "obb" and (q := [v for p in untangle_quad([locs[i:i + 2] for i in range(0, 8, 2)]) for v in p]) != locs:
        probs.append(f"<obb> {locs} has crossing edges (two corners out of order around the box){REPAIRED}")
        locs = q  # on the bins, as encode's canonical_quad: as written it is two triangles (objects_to_mask, polygon_iou)
    pts = [[dequantize(locs[i], w), dequantize(locs[i + 1], h)] for i in range(0, len(locs), 2)]
    if kind == "poly" and len(pts) < 3:  # encode never writes one; kept, as the shape the model gave
        said = "1 vertex" if len(pts) == 1 else f"{len(pts)} vertices"
        probs.append(f"<poly> has {said}, fewer than the grammar's 3; kept as a zero-area ring")
    if kind == "poly":  # orientation on the bins, exact as encode's: pixel floats turn a zero area into ±1e-17
        return {"kind": kind, "coords": pts, "area": signed_area([locs[i:i + 2] for i in range(0, len(locs), 2)])}
    return {"kind": kind, "coords": pts[0] if kind == "point" else pts}


def _join(parts: list[str]) -> str:
    """``parts`` joined, with a space where two would spell a tag across their seam: the text around a
    token ``decode`` took out (``<bo<loc_5>x>``) read ``<box>`` in ``Decoded.text``."""
    s = ""
    for p in parts:
        tail = s[i:] if (i := s.rfind("<")) >= 0 else ""
        if tail and p and spells_tag(tail + p[:p.find(">") + 1 if ">" in p else len(p)]):
            s += " "
        s += p
    return s


def _clean_text(parts: list[str]) -> str:
    s = _join(parts)
    s = re.sub(r"[ \t]+", " ", s)
    s = re.sub(r" ([.,;:!?])", r"\1", s)
    return "\n".join(line.strip() for line in s.strip().split("\n"))


def decode(text: str, width: int, height: int) -> Decoded:
    """Answer text -> ``Decoded(objects, problems, text)``; never raises on any ``str``.

    Objects carry pixel coordinates at bin centres (a mask's ``coords`` are its grid:
    ``{"box": pixel extent, "size": [C, R], "rows": runs}``; a poly with holes also has
    ``"rings"``, the exterior first). ``text`` keeps the words, ``<ref>`` phrases included.
    """
    width, height = check_size(width, height)
    out = Decoded()
    if not isinstance(text, str):
        out.problems.append(f"expected a str, got {type(text).__name__}")
        return out
    items, out.problems = _lex(text)
    words: list[str] = []
    label: str | None = None
    unshaped: str | None = None  # the closed <ref> neither a shape nor a word has followed yet, as written
    last_poly: dict | None = None  # a following counter-clockwise <poly> becomes its hole
    i, n = 0, len(items)
    while i < n:
        kind, val = items[i]
        if kind == "text":
            words.append(val)
            out.problems += plain_numbers(val)  # <bbox>12, 13, 40, 50</bbox>: no location token
            if unshaped is not None and re.search(r"\w", val):
                unshaped = None  # the answer says something of the label in words ("None.")
            if not val.isspace():
                last_poly = None  # rings follow each other (DESIGN.md): words between start another object
            i += 1
        elif kind in ("loc", "bad"):
            if i and items[i - 1][0] == "text" and (said := no_tag(items[i - 1][1])):  # <bx><loc_1>…: a misspelt tag
                out.problems.append(said)
            out.problems.append(f"{f'<loc_{val}>' if kind == 'loc' else val} outside any shape; ignored")
            i += 1
        elif val == "<ref>":
            j = i + 1
            while j < n and items[j][0] == "text":
                j += 1
            phrase = "".join(v for _, v in items[i + 1:j])
            _no_shape(unshaped, out.problems)
            if j < n and items[j][1] == "</ref>":
                j += 1
                unshaped = f"<ref>{phrase}</ref>"
            else:
                out.problems.append(f"<ref>{phrase[:40]} is not closed by </ref>")
                unshaped = None
            label = phrase.strip() or None
            if label and caption_label(label):  # a runaway caption: never a class (predict tabled one; encode refuses it)
                out.problems.append(f"<ref>{label[:40]}{'…' * (len(label) > 40)} ({len(label)} characters) "
                                    f"{CAPTION_DROPPED}")
                label = None
            if label and len(label) > MAX_LABEL_CHARS:  # a runaway label: encode refuses it back
                out.problems.append(f"<ref>{label[:40]}… is {len(label)} characters, over {MAX_LABEL_CHARS}; "
                                    f"the label cut to {MAX_LABEL_CHARS}")
                label = label[:MAX_LABEL_CHARS].rstrip()
            if label and (tok := next((t for t in _PROMPT_TOKENS if t in label), None)):  # encode refuses it back
                out.problems.append(f"<ref>{phrase:.40}</ref> holds the prompt token {tok}; kept as its label")
            last_poly = None
            words += [" ", phrase, " "]
            i = j
        elif val in _SHAPE_TAGS:
            unshaped = None
            close = "</" + val[1:]
            j = i + 1
            while j < n and items[j][1] != close and not (items[j][0] == "tag" and (items[j][1] in _SHAPE_TAGS or items[j][1] == "<ref>")):
                j += 1
            body = items[i + 1:j]
            closed = j < n and items[j][1] == close
            if not closed:
                out.problems.append(f"{val} is not closed by {close}")
            stray = [v for k, v in body if (k in ("text", "bad") and not v.isspace()) or (k == "tag" and val != "<mask>")]
            if stray:  # <box>12, 13, 40, 50</box>: plain numbers, said so
                plain = ": plain numbers, not location tokens" * numbers_only(stray[0])
                out.problems.append(f"{val} contains {stray[0]!r:.40}{plain}; ignored")
            obj = _build(val, [(k, v) for k, v in body if k in ("loc", "tag")], width, height, out.problems)
            if obj is not None:
                area = obj.pop("area", None)
                obj = {"kind": obj.pop("kind"), "label": label, **obj}
                ring = obj["coords"] if obj["kind"] == "poly" else None
                if ring is not None and last_poly is not None and area < 0:
                    last_poly.setdefault("rings", [last_poly["coords"]]).append(ring)
                else:
                    out.objects.append(obj)
                    last_poly = obj if ring is not None else None
            words.append(" ")
            i = j + 1 if closed else j
        else:
            out.problems.append(f"stray {val}; ignored")
            i += 1
    out.text = _clean_text(words)  # a label last of all is none: a question names its referring phrase so
    return out


def _no_shape(ref: str | None, probs: list[str]) -> None:
    """Report a closed ``<ref>`` (as written) that labels nothing: another ``<ref>`` came first, with
    no shape and no word between."""
    if ref is not None:
        probs.append(f"{ref:.60} labels no shape (another <ref> follows); kept as text only")
