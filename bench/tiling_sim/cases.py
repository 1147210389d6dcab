"""Simulated seam cases for ``bench/tiling.py --only seams``, ``--only slivers``, ``--only junctions`` and ``--only strips``:
objects cut by a 100-px tiling (the strips' 96x1 px; no model), each tile's view of them merged by
``rsvlm.io.merge_tile_objects``; each function returns (case, wrong, of) rows."""

from __future__ import annotations

__all__ = ["SEAM_SCENES", "junction_rows", "seam_errors", "seam_windows", "shifted_starts", "sliver_rows",
           "strip_rows"]

SEAM_SCENES = (210, 230, 250, 270, 290)  # --only seams' square scenes (px), none a multiple of its 100-px tile
SEAM_OVERLAPS = (0, 20, 50)  # --only seams' box cases' --overlap


def _boxes_case(rng, scene, overlap, noise, pair):
    """(boxes, their tiles' views) for one simulated box, with a neighbour 1-2 px away where ``pair``."""
    import numpy as np

    from rsvlm.io import iter_windows

    w, h = rng.uniform(8, 70), rng.uniform(4, 20)
    w, h = (h, w) if rng.random() < 0.5 else (w, h)
    x, y = rng.uniform(0, scene - w), rng.uniform(0, scene - h)
    boxes = [[x, y, x + w, y + h]]
    if pair:  # beside it along x or y, 1-2 px away
        g, size, ax = rng.uniform(1, 2), rng.uniform(8, 40), int(rng.integers(0, 2))
        b = list(boxes[0])
        b[ax], b[ax + 2] = b[ax + 2] + g, b[ax + 2] + g + size
        if b[ax + 2] > scene:
            return boxes[:1], None
        boxes.append(b)
    views = []
    for x0, y0, tw, th in iter_windows(scene, scene, 100, overlap):
        objs = []
        for b in boxes:
            c = np.array([max(b[0], x0) - x0, max(b[1], y0) - y0, min(b[2], x0 + tw) - x0, min(b[3], y0 + th) - y0])
            if min(c[2] - c[0], c[3] - c[1]) >= 1:
                c = np.clip(c + rng.uniform(-noise, noise, 4), 0, [tw, th, tw, th])
                objs.append({"kind": "box", "label": "car", "coords": [float(v) for v in c]})
        views.append(((x0, y0, tw, th), objs))
    return boxes, views


def _views(masks, scene=(200, 100), overlap=0, short=0.0, rng=None) -> list:
    """Each window of a 100-px tiling of ``masks`` (each (h, w) over the scene) with its crops of them, as
    ``merge_tile_objects`` takes them; ``short``: the chance that a tile's view stops a pixel before each inner
    tile edge."""
    from rsvlm.io import iter_windows

    per = []
    for x0, y0, w, h in iter_windows(*scene, 100, overlap):
        objs = []
        for m in masks:
            crop = m[y0 : y0 + h, x0 : x0 + w].copy()
            if short and rng.random() < short:
                crop[:, 0] &= x0 == 0
                crop[:, -1] &= x0 + w == scene[0]
            if crop.any():
                objs.append({"kind": "mask", "label": "road", "mask": crop})
        per.append(((x0, y0, w, h), objs))
    return per


def _masks_merged(masks, scene=(200, 100), overlap=0, short=0.0, rng=None) -> int:
    """How many objects a 100-px tiling of ``masks`` merges into (``_views``)."""
    from rsvlm.io import merge_tile_objects

    return len(merge_tile_objects(_views(masks, scene, overlap, short, rng), scene_size=scene))


def _road(rng, width, scene=(200, 100), centre=(97, 103)):
    """A straight road ``width`` px wide (1: one pixel per step) across x = 100, or None where it misses it."""
    import numpy as np

    ang, length = np.radians(rng.uniform(-80, 80)), rng.uniform(20, 90)
    cx, cy = rng.uniform(*centre), rng.uniform(30, 70)
    dx, dy = np.cos(ang) * length / 2, np.sin(ang) * length / 2
    m = np.zeros(scene[::-1], bool)
    if width == 1:  # one pixel per step along the longer axis (a DDA line)
        t = np.arange(-int(max(abs(dx), abs(dy))), int(max(abs(dx), abs(dy))) + 1) / max(abs(dx), abs(dy))
        xs, ys = np.rint(cx + t * dx).astype(int), np.rint(cy + t * dy).astype(int)
        ok = (xs >= 0) & (xs < scene[0]) & (ys >= 0) & (ys < scene[1])
        m[ys[ok], xs[ok]] = True
    else:
        yy, xx = np.mgrid[: scene[1], : scene[0]] + 0.5
        u, v = (xx - cx + dx) * np.cos(ang) + (yy - cy + dy) * np.sin(ang), -(xx - cx) * np.sin(ang) + (yy - cy) * np.cos(ang)
        m = (np.abs(v) <= width / 2) & (u >= 0) & (u <= length)
    return m if m[:, :99].any() and m[:, 101:].any() else None


def sliver_rows(rng, n: int) -> list[tuple[str, int, int]]:
    """A 1-px road along x = 100 (in the left tile) and a car touching it from the right tile (joined: wrong),
    one object's 1-px overhang into the left tile running 1-7 px past it at both ends (split: wrong), and the
    road with a wide road leaving it into the right tile, one mask (split: wrong; pixel for pixel a car there); then,
    drawn after those (their rows as before), a car parked across the seam at a 40-90 px road's middle (joined: wrong),
    and two ships 6-12 px wide moored side by side across the seam, the first crossing it by a pixel whose tip in
    the left tile is drawn 1-3 px into the second's rows (joined: wrong; the tip alone is a road turning into it)."""
    import numpy as np

    joined = split = forked = 0
    for _ in range(n):
        road, car = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
        length = int(rng.integers(20, 90))
        r0 = int(rng.integers(5, 95 - length)) if length < 90 else 5
        road[r0 : r0 + length, 99] = True
        h, w = int(rng.integers(10, 17)), int(rng.integers(5, 9))
        y = int(rng.integers(r0 - h + 1, r0 + length))
        car[max(y, 0) : y + h, 100 : 100 + w] = True
        joined += _masks_merged([road, car]) < 2
        h, w = int(rng.integers(10, 60)), int(rng.integers(5, 40))
        y, m = int(rng.integers(9, 90 - h)), np.zeros((100, 200), bool)
        m[y : y + h, 100 : 100 + w] = True
        m[y - int(rng.integers(1, 8)) : y + h + int(rng.integers(1, 8)), 99] = True
        split += _masks_merged([m]) > 1
        road[:, 100:] = False  # the same road, and a road 3-20 px wide leaving it into the right tile: one network
        wd = int(rng.integers(3, 21))
        y = int(rng.integers(r0 - wd + 1, r0 + length))
        road[max(y, 0) : y + wd, 100:] = True
        forked += _masks_merged([road]) > 1
    across = 0  # a car parked across the seam (10-16 px along it, 1.5-2.5 times that across) at the road's middle
    for _ in range(n):
        road, car = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
        length, h = int(rng.integers(40, 90)), int(rng.integers(10, 17))
        r0 = int(rng.integers(5, 96 - length))
        road[r0 : r0 + length, 99] = True
        y = r0 + int(rng.integers(h, length - 2 * h + 1)) if length >= 3 * h else r0 + (length - h) // 2
        car[y : y + h, 100 : 100 + int(h * rng.uniform(1.5, 2.5))] = True
        across += _masks_merged([road, car]) < 2
    packed = 0  # two ships side by side across the seam, A crossing it by a pixel, that tip drawn 1-3 px long
    for a, b in ((np.zeros((100, 200), bool), np.zeros((100, 200), bool)) for _ in range(n)):
        h, y = int(rng.integers(6, 13)), int(rng.integers(10, 60))
        a[y : y + h, 100 : 100 + int(rng.integers(25, 90))] = True
        a[y : y + h + int(rng.integers(1, 4)), 99] = True  # into the rows of B, moored beside it
        b[y + h : y + 2 * h, 100 : 100 + int(rng.integers(25, 90))] = True
        packed += _masks_merged([a, b]) < 2
    return [("masks: a 1-px road along the seam and a car touching it: joined", joined, n),
            ("car masks parked across the seam (1.5-2.5 times their section) at that road's middle: joined", across, n),
            ("masks: an object's 1-px overhang running 1-7 px past it at both ends: split", split, n),
            ("masks: a 1-px road along the seam and a road leaving it (one mask): split", forked, n),
            ("masks: ships side by side across the seam, one's 1-px tip drawn 1-3 px into the other's rows: joined",
             packed, n)]


def seam_errors(n: int, seed: int = 0, noise: float = 1.0) -> list[tuple[str, int, int]]:
    """(case, wrong, of) over ``n`` simulated objects a case (see the module's ``--only seams``); ``noise``:
    the noisy box rows' ± px."""
    import numpy as np

    from rsvlm.io import merge_tile_objects

    rows = []
    for overlap, z, pair in [(o, z, p) for p in (False, True) for o in SEAM_OVERLAPS for z in (0.0, noise)]:
        rng, wrong, of = np.random.default_rng(seed), 0, 0
        for k in range(n):
            scene = SEAM_SCENES[k % len(SEAM_SCENES)]
            boxes, views = _boxes_case(rng, scene, overlap, z, pair)
            if views is not None:
                got = len(merge_tile_objects(views, scene_size=(scene, scene)))
                wrong, of = wrong + (got < len(boxes) if pair else got > 1), of + 1
        rows.append((f"boxes{' 1-2 px apart' if pair else ''}, overlap {overlap}, noise {z:g} px: "
                     f"{'joined' if pair else 'split'}", wrong, of))
    rng = np.random.default_rng(seed)
    roads = [m for m in (_road(rng, 1) for _ in range(n)) if m is not None]
    rows.append(("masks: 1-px roads at a slant across the seam: split", sum(_masks_merged([m]) > 1 for m in roads),
                 len(roads)))
    cars, wrong = 0, 0
    for _ in range(n):  # a car each side of x = 100, g px apart across it, offset along it
        g, w, h, y = int(rng.integers(1, 3)), int(rng.integers(5, 9)), int(rng.integers(10, 17)), int(rng.integers(20, 60))
        a, b = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
        xa = 100 - int(rng.integers(0, g + 1))
        a[y : y + h, xa - w : xa] = True
        dy = int(rng.integers(-h, h + 1))
        b[y + dy : y + dy + h, xa + g : xa + g + w] = True
        cars, wrong = cars + 1, wrong + (_masks_merged([a, b]) < 2)
    rows.append(("masks: cars 1-2 px apart across the seam: joined", wrong, cars))
    wide = [m for m in (_road(rng, rng.uniform(3, 20), centre=(90, 110)) for _ in range(n)) if m is not None]
    for overlap, scene in ((0, (200, 100)), (16, (184, 100))):
        drop = np.random.default_rng(seed + 1)
        split = sum(_masks_merged([m[:, : scene[0]]], scene, overlap, 0.5, drop) > 1 for m in wide)
        rows.append((f"masks: roads drawn a pixel short of the tile's edge (half the views), overlap {overlap}: split",
                     split, len(wide)))
    return rows


def shifted_starts(n: int, tile: int, step: int) -> list[int]:
    """``rsvlm.io.windows.window_starts`` as it was before 52311df5, for ``--windows shifted``: ``step`` apart from 0
    and the last alone shifted back flush with the end (520 px at tile 256: 0, 256, 264)."""
    return [0] if n <= tile else list(range(0, n - tile, step)) + [n - tile]


def seam_windows() -> list[str]:
    """Where the box cases' 100-px windows start (``rsvlm.io.window_starts``: spread evenly where an overlap is asked,
    since 52311df5), one line an overlap: at ``--overlap 0`` seams abut but the last (spread, neighbours shared slivers
    of 5-45 px on these scenes, which split 6 of 300 boxes)."""
    from rsvlm.io.windows import window_starts

    return [f"overlap {o}: " + "; ".join(f"{n} px at {'/'.join(map(str, window_starts(n, 100, 100 - o)))}"
                                         for n in SEAM_SCENES) for o in SEAM_OVERLAPS]


def _merged(masks, scene=(200, 100)) -> list:
    """The objects (scene masks, (h, w) each) a 100-px tiling (--overlap 0) of ``masks`` merges into."""
    import numpy as np

    from rsvlm.io import merge_tile_objects

    out = []
    for o in merge_tile_objects(_views(masks, scene), scene_size=scene):
        m, (x0, y0) = np.zeros(scene[::-1], bool), o["offset"]
        m[y0 : y0 + o["mask"].shape[0], x0 : x0 + o["mask"].shape[1]] = o["mask"]
        out.append(m)
    return out


def junction_rows(rng, n: int) -> list[tuple[str, int, int]]:
    """``--only junctions``: a 1-px road along x = 100 (left tile) meeting two things in the right tile at once,
    a road 3-20 px wide leaving it (one mask with it) and a car touching it 2 px or more away (the road split:
    wrong; the car joined to it: wrong, counted apart); and a truck or ship 4-8 px along the seam and 3.5-6 times
    that across it touching the middle of a 1-px line that is joined to nothing else (joined: wrong; pixel for
    pixel a narrow road leaving the line, which ``seams.masks_meet`` joins: one label, so a road and a truck are
    never joined; within one label, a 1-px line along the seam is a thin boat moored along it)."""
    import numpy as np

    split = car_joined = trucks = 0
    for _ in range(n):
        road, car = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
        wd, h = int(rng.integers(3, 21)), int(rng.integers(10, 17))
        length = int(rng.integers(wd + 6, 60))  # from the fork's width and 6 px: the car can end flush with it
        r0 = int(rng.integers(5, 96 - length))
        road[r0 : r0 + length, 99] = True
        y = int(rng.integers(r0, r0 + length - wd - 4))  # the road leaves at y, the car 2+ px after it
        road[y : y + wd, 100:] = True
        yc = int(rng.integers(y + wd + 2, r0 + length - 1))  # may run past the road's end
        car[yc : yc + h, 100 : 100 + int(rng.integers(5, 9))] = True
        objs = _merged([road, car])
        split += not any(o[r0, 99] and o[y, 150] for o in objs)
        car_joined += any(o[yc, 100] and o[r0, 99] for o in objs)
    for _ in range(n):
        line, truck = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
        length, w = int(rng.integers(30, 90)), int(rng.integers(4, 9))
        r0 = int(rng.integers(5, 96 - length))
        line[r0 : r0 + length, 99] = True
        y = r0 + int(rng.integers(2, length - w - 1))
        truck[y : y + w, 100 : 100 + int(w * rng.uniform(3.5, 6))] = True
        trucks += len(_merged([line, truck])) < 2
    return [("masks: a 1-px road along the seam, a road leaving it (one mask) and a car beside: road split", split, n),
            ("masks: that car joined to the road", car_joined, n),
            ("masks: a truck 3.5-6 times as long across the seam as along touching a lone 1-px line: joined",
             trucks, n)]


def strip_rows(rng, n: int) -> list[tuple[str, int, int]]:
    """``--only strips``: a car 8-40 px long on a 712x1 px strip tiled 96x1 (overlap 24, and 0), each window that
    holds it drawing its box clipped to the window, with ±1 px noise along the strip and y 0-0 or 1-1 (flat) or 0-1
    at random (a model's rows on a 1-px window); the car kept more than once is wrong, as are two cars 3 px apart
    joined."""
    from rsvlm.io import iter_windows, merge_tile_objects

    def views(cars, overlap):
        out = []
        for x0, y0, w, h in iter_windows(712, 1, 96, overlap):
            objs = []
            for a, b in cars:
                if min(b, x0 + w) - max(a, x0) >= 1:  # in this window: clipped to it, as the seams cases
                    ys = ((0, 0), (1, 1), (0, 1))[int(rng.integers(0, 3))]
                    xa, xb = (float(min(max(v - x0 + rng.uniform(-1, 1), 0), w)) for v in (max(a, x0), min(b, x0 + w)))
                    objs.append({"kind": "box", "label": "car", "coords": [xa, ys[0], xb, ys[1]]})
            out.append(((x0, y0, w, h), objs))
        return out

    rows = []
    for overlap in (24, 0):
        dup = joined = 0
        for _ in range(n):
            a = float(rng.uniform(0, 660))
            car = (a, a + float(rng.uniform(8, 40)))
            dup += len(merge_tile_objects(views([car], overlap), scene_size=(712, 1))) > 1
            b = car[1] + 3
            pair = [car, (b, b + float(rng.uniform(8, 40)))] if b + 48 < 712 else [car, (car[0] - 43, car[0] - 3)]
            joined += len(merge_tile_objects(views(pair, overlap), scene_size=(712, 1))) < 2
        rows += [(f"flat boxes on a 712x1 strip, overlap {overlap}: one car kept twice", dup, n),
                 (f"flat boxes on a 712x1 strip, overlap {overlap}: cars 3 px apart joined", joined, n)]
    return rows
