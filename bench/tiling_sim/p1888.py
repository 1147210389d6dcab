"""``bench/tiling.py --only p1888``: the seam merger on the real DOTA scene P1888 (712x557 px, 64 cars).

Each car is the axis-aligned box of its DOTA quad; each window of a tiling (``rsvlm.io.iter_windows``) sees the
boxes clipped to it (a clipped piece under 1 px thick is not seen), with ±``noise`` px drawn on each edge of each
view, and ``rsvlm.io.merge_tile_objects`` merges the views. Scored against the 64 cars per tiling, summed: how far
the count is off, boxes matching no car at IoU 0.5 (stray pieces), cars no box matches at IoU 0.5 and at 0.7.
Baselines on the same draws: the whole scene as one window (no tiling: no seam to merge across, only the noise)
and every view's box kept (tiled, nothing merged). A noisy draw ``d`` of ``(tile, overlap)`` is seeded
``1000 d + 10 tile + overlap``, the tiling review's seeds, so its figures (docs/benchmarks/tiling.md) come back with
``bench/tiling.py --windows shifted`` (its windows: the last shifted back, before 52311df5 spread them evenly).
"""

from __future__ import annotations

from pathlib import Path

from common import markdown_table

from rsvlm.progress import counted

__all__ = ["int_list", "load_cars", "p1888_rows", "print_table", "tilings"]

METRICS = ("off", "stray", "miss05", "miss07")


def load_cars(folder: Path):
    """(cars (N, 4) x1 y1 x2 y2 boxes of the DOTA quads, (W, H)) of ``folder``/obb_dota/P1888.{txt,png}, read
    by ``rsvlm convert dota``'s parser (a bad line raises naming file and line); FileNotFoundError naming the
    path where a file is missing."""
    import tempfile

    import numpy as np
    from PIL import Image

    from data_gen.convert.common import Output
    from data_gen.convert.dota import parse_label_file

    label, image = folder / "obb_dota" / "P1888.txt", folder / "obb_dota" / "P1888.png"
    for path in (label, image):
        if not path.is_file():
            raise FileNotFoundError(path)
    with tempfile.TemporaryDirectory() as tmp:  # nothing is written: strict raises on the first bad line
        objs, _ = parse_label_file(label, Output(tmp, "dota", strict=True), None, False)
    with Image.open(image) as im:
        size = im.size
    if not objs:
        raise ValueError(f"{label}: no object to tile (a DOTA labelTxt holds a line per object)")
    quads = np.array([o["coords"] for o in objs], float).reshape(-1, 4, 2)  # (N, 4 corners, xy)
    return np.concatenate([quads.min(1), quads.max(1)], axis=1), size  # (N, 4)


def tilings(tiles: list[int], overlaps: list[int]) -> tuple[list[tuple[int, int]], int]:
    """((tile, overlap) pairs, how many pairs were left out: an overlap not below its tile)."""
    pairs = [(t, o) for t in tiles for o in overlaps]
    kept = [(t, o) for t, o in pairs if o < t]
    return kept, len(pairs) - len(kept)


def _views(cars, size, windows, noise, rng) -> list:
    """Each window with its view of ``cars``: boxes clipped to it, ±``noise`` px on each edge (clipped to it)."""
    import numpy as np

    per = []
    for x0, y0, w, h in windows:
        objs = []
        for b in cars:
            c = np.array([max(b[0], x0) - x0, max(b[1], y0) - y0, min(b[2], x0 + w) - x0, min(b[3], y0 + h) - y0])
            if min(c[2] - c[0], c[3] - c[1]) >= 1:
                if noise:
                    c = np.clip(c + rng.uniform(-noise, noise, 4), 0, [w, h, w, h])
                objs.append({"kind": "box", "label": "car", "coords": [float(v) for v in c]})
        per.append(((x0, y0, w, h), objs))
    return per


def _iou(a, b):
    """(N, M) IoU of boxes ``a`` (N, 4) and ``b`` (M, 4), x1 y1 x2 y2; 0 where a box has no area."""
    import numpy as np

    a, b = np.asarray(a, float).reshape(-1, 4)[:, None], np.asarray(b, float).reshape(-1, 4)[None]
    ix = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    iy = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = ix * iy  # (N, M)

    def area(z):
        return (z[..., 2] - z[..., 0]) * (z[..., 3] - z[..., 1])

    union = area(a) + area(b) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _score(cars, boxes) -> dict:
    """How ``boxes`` (M, 4) in scene coordinates miss ``cars`` (N, 4): the METRICS."""
    m = _iou(cars, boxes)  # (N, M)
    best_car = m.max(0) if m.shape[1] else m.sum(0)
    best_box = m.max(1) if m.shape[1] else m.sum(1)
    return {"off": abs(len(boxes) - len(cars)), "stray": int((best_car < 0.5).sum()),
            "miss05": int((best_box < 0.5).sum()), "miss07": int((best_box < 0.7).sum())}


def _one_tiling(cars, size, tile, overlap, noise, rng) -> dict:
    """{baseline: scores} of one tiling: ``whole`` one window, ``kept`` every view's box, ``merged``."""
    from rsvlm.io import iter_windows, merge_tile_objects

    views = _views(cars, size, iter_windows(*size, tile, overlap), noise, rng)  # first: the review's draws
    whole = [o["coords"] for _, objs in _views(cars, size, [(0, 0, *size)], noise, rng) for o in objs]
    kept = [[c[0] + x0, c[1] + y0, c[2] + x0, c[3] + y0]
            for (x0, y0, _, _), objs in views for c in (o["coords"] for o in objs)]
    merged = [o["coords"] for o in merge_tile_objects(views, scene_size=size)]
    return {"whole": _score(cars, whole), "kept": _score(cars, kept), "merged": _score(cars, merged)}


def p1888_rows(cars, size, pairs, noise: float, draws: int, progress: bool = True) -> list[tuple]:
    """(setting, how, tilings, {metric: sum}) per noise setting (none, then ``draws`` of ±``noise`` px where
    ``noise`` > 0 and ``draws`` > 0) and baseline: ``whole`` (one window), ``kept``, ``merged``."""
    import numpy as np

    from rsvlm.progress import bar

    settings = [("no noise", 0.0, [0])] + ([(f"±{noise:g} px noise, {counted(draws, 'draw')}", noise, range(draws))]
                                          if noise > 0 and draws > 0 else [])
    rows = []
    for name, z, seeds in settings:
        sums = {how: dict.fromkeys(METRICS, 0) for how in ("whole", "kept", "merged")}
        runs = [(d, t, o) for d in seeds for t, o in pairs]
        for d, t, o in bar(runs, desc=f"P1888 {name}", unit="tiling", disable=not progress):
            got = _one_tiling(cars, size, t, o, z, np.random.default_rng(d * 1000 + t * 10 + o))
            for how, score in got.items():
                for k in METRICS:
                    sums[how][k] += score[k]
        rows += [(name, how, len(runs), sums[how]) for how in ("whole", "kept", "merged")]
    return rows


def int_list(text: str) -> list[int]:
    """``60-252/8,300`` → [60, 68, ..., 252, 300]: comma-separated whole numbers and ``first-last/step`` ranges
    (step 1 where not given); ValueError on anything else."""
    out = []
    for item in text.split(","):
        span, _, step = item.strip().partition("/")
        first, dash, last = span.partition("-")
        a, b, s = int(first), int(last) if dash else int(first), int(step) if step else 1
        if s < 1 or b < a:
            raise ValueError(item)
        out += range(a, b + 1, s)
    return out


HOW = {"whole": "one window (no tiling)", "kept": "tiled, every view's box kept", "merged": "tiled, merged"}


def print_table(rows: list[tuple], n_cars: int, size, pairs) -> None:
    """The rows of ``p1888_rows`` as a markdown table, each setting with its merged / every-box-kept ratios."""
    tiles, overlaps = sorted({t for t, _ in pairs}), sorted({o for _, o in pairs})
    sides = f"{tiles[0]}" if len(tiles) == 1 else f"{tiles[0]}-{tiles[-1]} ({len(tiles)} sides)"
    print(f"\nDOTA P1888 ({size[0]}x{size[1]} px, {n_cars} cars: boxes of its quads clipped to each window), "
          f"{counted(len(pairs), 'tiling')}: --tile {sides}, --overlap {'/'.join(map(str, overlaps))}; sums over the "
          "tilings (and draws); merged by rsvlm.io.merge_tile_objects; ratio -: both 0, more: only merged above 0\n")
    by = {(name, how): (n, sums) for name, how, n, sums in rows}
    table = []
    for name, how, n, sums in rows:
        table.append([f"{name}: {HOW[how]}", str(n), *(str(sums[k]) for k in METRICS)])
        if how == "merged":
            kept = by[(name, "kept")][1]
            table.append([f"{name}: merged / every box kept", str(n),
                          *(f"{sums[k] / kept[k]:.2f}x" if kept[k] else "-" if not sums[k] else "more" for k in METRICS)])
    print(markdown_table(["setting", "tilings x draws", "count off by", "boxes matching no car at IoU 0.5",
                          "cars with no box at IoU 0.5", "at IoU 0.7"], table))
