"""What chat and predict print under an answer: the objects table (label, kind, score, pixel and map
coordinates) and the parse problems, each cut at ``TABLE_ROWS`` with a count of the rest."""

from __future__ import annotations

import unicodedata

from rsvlm.progress import counted


def _points(o: dict) -> list[list[float]]:
    c = o["coords"]
    if o["kind"] == "mask":  # its grid's box (decoded, or a merged tile mask's)
        c = c["box"]
    if o["kind"] in ("box", "mask"):
        return [[c[0], c[1]], [c[2], c[3]]]
    if o["kind"] == "point":
        return [list(c)]
    return [list(p) for p in c]


def score_text(score: float) -> str:
    """A score to two places as the table and an overlay show it; one above 0 that rounds to 0.00 as "<0.01" (a
    fused shape few --tta views found, 0.004, was shown as 0.00: a score of nothing). --out keeps the number."""
    text = f"{float(score):.2f}"
    return "<0.01" if text == "0.00" and score > 0 else text


TABLE_ROWS = 50  # objects (and problems) chat and predict print at most; --out, --geojson, /geojson write them all


def problem_lines(problems: list[str], rest: str | None = None) -> list[str]:
    """"problem: …" lines for the first ``TABLE_ROWS`` of ``problems`` and one counting the others
    (``rest``: where they are written)."""
    lines = [f"problem: {p}" for p in problems[:TABLE_ROWS]]
    if (n := len(problems) - TABLE_ROWS) > 0:
        lines.append(f"… and {counted(n, 'more problem')}, not shown" + (f" ({rest})" if rest else ""))
    return lines


def objects_table(objects: list[dict], most: int | None = None,
                  rest: str = "--out and --geojson write them all") -> str:
    """A plain-text table: label, kind, pixel coordinates, map coordinates when present; with
    ``most``, the first ``most`` objects and a line counting the others (``rest``: where they are)."""
    if not objects:
        return ""
    if most is not None and len(objects) > most:
        return objects_table(objects[:most]) + f"\n… and {counted(len(objects) - most, 'more object')}, not shown ({rest})"
    geo = any(o.get("map_coords") for o in objects)
    scored = any("score" in o for o in objects)
    rows = [("#", "label", "kind") + (("score",) if scored else ()) + ("pixel",) + (("map",) if geo else ())]
    for i, o in enumerate(objects, 1):
        pix = _fmt(_points(o)) if o["kind"] != "mask" else _mask_cell(o)
        mc = o.get("map_coords") or []
        mc = [mc] if o["kind"] == "point" and mc else mc
        score = ((score_text(o["score"]) if "score" in o else "-"),) if scored else ()
        rows.append((str(i), str(o.get("label") or "-"), o["kind"], *score, pix) + ((_fmt(mc, True),) if geo else ()))
    limits = [60] * (len(rows[0]) - geo) + [100] * geo  # the map column holds a box's 4 corners
    rows = [tuple(_clip(c, n) for c, n in zip(r, limits)) for r in rows]
    widths = [max(_width(r[k]) for r in rows) for k in range(len(rows[0]))]  # a label 船舶 is 4 columns wide, not 2
    return "\n".join("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip() for r in rows)


def _width(text: str) -> int:
    """The columns ``text`` takes on a terminal: 2 for a wide (CJK) character, 0 for a combining mark."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _mask_cell(o: dict) -> str:
    """A mask's pixel cell: "in" the corners of the box around its pixels, the box the map column maps (its grid's
    box had been shown: two rectangles in one row); "no pixels" for an empty one; "mask" where it cannot be read."""
    from rsvlm.io.georef import mask_bounds

    try:
        box = mask_bounds(o)
    except (KeyError, TypeError, ValueError):
        return "mask"
    return "no pixels" if box is None else f"in {_fmt([[box[0], box[1]], [box[2], box[3]]])}"


def _clip(cell: str, n: int) -> str:
    """``cell`` within ``n`` characters, cut after a whole coordinate pair with " …" (the full
    coordinates are in --out and --geojson); a cut number would read as another number."""
    if len(cell) <= n:
        return cell
    return cell[: n - 2].rsplit(" ", 1)[0] + " …"


def _fmt(points, on_map: bool = False) -> str:
    """Pixels to 0.1 px; map coordinates to the cm in metres, to 1e-6 (10 cm) in degrees, as
    lon/lat within ±180/±90 are taken to be (0.1° is 11 km: every corner of a box read alike)."""
    if on_map and all(abs(x) <= 180 and abs(y) <= 90 for x, y in points):
        return " ".join(f"({x:.6f},{y:.6f})" for x, y in points)
    return " ".join(f"({x:.1f},{y:.1f})" if abs(x) < 1e5 and not on_map else f"({x:.2f},{y:.2f})" for x, y in points)
