"""Whole-scene tiling: peak memory against scene size, and batched against one-tile-at-a-time.

    .venv/bin/python bench/tiling.py                       # 2000..20000 px scenes, prints two tables
    .venv/bin/python bench/tiling.py --sizes 2000,5000     # quicker
    .venv/bin/python bench/tiling.py --only png            # a PNG that GDAL reads: row strips vs windows
    .venv/bin/python bench/tiling.py --only crops          # data_gen: a PNG's tiles written, one decode vs many
    .venv/bin/python bench/tiling.py --only seams          # merging: objects split or joined wrongly, simulated
    .venv/bin/python bench/tiling.py --only slivers        # merging: 1-px lines along a seam (seams.masks_meet)

For each size a 3-band uint8 GeoTIFF (tiled 512, deflate) is written window by window into a
temporary folder; then ``rsvlm.io.run_tiled`` runs over it in a fresh subprocess with a cheap
stand-in model (a small random-weight conv net for the compute, plus a threshold detector for
objects), and the subprocess reports its peak RSS (``ru_maxrss``). The baseline row is that same
process right after imports, before any tile is read. Bounded means: the peak does not grow
with the scene. The second table times batch_size 1 against batch_size N on one scene.

``--only png`` writes a 16-bit RGB PNG (which GDAL reads: PIL would cut its 16 bits), whose rows
GDAL decodes from the top at every read that starts above its last, and times ``run_tiled`` over it
cutting each row of windows from one strip read (``rsvlm.io.rows.RowReader``, as it does) against reading
window by window (as it did), with GDAL's block cache at ``--png-cache-mb`` (ReadConfig.gdal_cache_mb;
the default 64 MiB thrashes the same way on a scene 8 times as wide).

``--only seams`` counts merging errors on simulated tiles (no model): plain boxes on scenes a 100-px tile
does not divide (the last window shifted), each tile's view the box clipped to it, ±1 px noise
(``--seam-noise``) or none, split in two or joined to a neighbour 1-2 px away; masks at an ``--overlap 0``
seam: 1-px roads at a slant split, cars 1-2 px apart joined, and roads a model drew a pixel short of the
tile's edge split. ``--seam-noise 1.5`` shows what ``TileMerger.box_reach`` costs: cut boxes split at
--overlap 0 (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser


def write_scene(path: Path, size: int, seed: int = 0) -> None:
    """size x size x 3 uint8 GeoTIFF with bright rectangles, written block-row by block-row."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    rows = 512
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3, dtype="uint8",
                       crs="EPSG:32633", transform=from_origin(300000, 5000000, 0.5, 0.5), tiled=True,
                       blockxsize=512, blockysize=512, compress="deflate", zlevel=1, BIGTIFF="IF_SAFER") as ds:
        for y0 in range(0, size, rows):
            h = min(rows, size - y0)
            block = rng.integers(20, 28, (3, h, size), dtype=np.uint8)  # (3, h, W) textured ground
            for _ in range(max(1, size // 200)):
                x, y = int(rng.integers(0, size - 40)), int(rng.integers(0, max(1, h - 20)))
                block[0, y : y + 16, x : x + 32] = 230  # "vehicles" in the red band
            ds.write(block, window=Window(0, y0, size, h))


def stand_in():
    """A cheap stand-in model: a small random-weight conv net for the compute, and a threshold
    detector (connected components of the bright red band) for the objects."""
    import numpy as np
    import torch
    from scipy import ndimage

    torch.manual_seed(0)
    net = torch.nn.Sequential(  # (B, 3, T, T) → (B, 1, T/16, T/16)
        torch.nn.Conv2d(3, 16, 4, stride=4), torch.nn.GELU(), torch.nn.Conv2d(16, 32, 4, stride=4), torch.nn.GELU(),
        torch.nn.Conv2d(32, 1, 1)).eval()

    def predict(images):
        x = torch.from_numpy(np.stack([im.data for im in images]))  # (B, 3, T, T)
        with torch.inference_mode():
            net(x)
        out = []
        for im in images:
            lab, _ = ndimage.label(im.data[0] > 0.8)
            out.append([{"kind": "box", "label": "vehicle", "coords": [s[1].start, s[0].start, s[1].stop, s[0].stop]}
                        for s in ndimage.find_objects(lab)])
        return out

    return predict


def child(path: str, tile: int, overlap: int, batch: int, prefetch: bool) -> None:
    """Run inside a fresh process: print peak RSS before and after the tiled run, and its time."""
    import rasterio  # noqa: F401  (libraries loaded before the baseline is taken)
    import shapely  # noqa: F401
    import tqdm  # noqa: F401

    from rsvlm.io import TileMerger, run_tiled

    predict = stand_in()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    merger = TileMerger()
    t0 = time.perf_counter()
    objs = run_tiled(path, predict, tile=tile, overlap=overlap, batch_size=batch, progress=False, merger=merger,
                     prefetch=prefetch)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"base_mb": base, "peak_mb": peak, "seconds": dt, "tiles": merger.n_tiles,
                      "objects_in": merger.n_objects_in, "objects": len(objs)}))


def write_png(path: Path, width: int, height: int, seed: int = 0) -> None:
    """width x height 16-bit RGB PNG: textured ground and bright "vehicles" over 3 % of it (above the
    2 % the stretch's 98th percentile leaves bright, so the stand-in finds them)."""
    import numpy as np
    import rasterio

    rng = np.random.default_rng(seed)
    data = rng.integers(5000, 6000, (3, height, width), dtype=np.uint16)  # (3, H, W)
    for _ in range(max(1, width * height // 16000)):
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 20))
        data[0, y : y + 16, x : x + 32] = 60000
    with rasterio.open(path, "w", driver="PNG", width=width, height=height, count=3, dtype="uint16") as ds:
        ds.write(data)


def png_timing(path: Path, tile: int, overlap: int, batch: int, cache_mb: int) -> list[tuple]:
    """(how, seconds, tiles, objects) for row strips (run_tiled's way) and window by window, after one
    untimed row-strip pass (the first timed one, the baseline, carried the first calls' one-off costs)."""
    from unittest import mock

    from rsvlm.io import ReadConfig, SceneReader, TileMerger, run_tiled
    from rsvlm.io import tiles as tiles_mod

    predict = stand_in()
    with SceneReader(path, scaling=ReadConfig(gdal_cache_mb=cache_mb)) as scene:  # warm-up, untimed
        run_tiled(scene, predict, tile=tile, overlap=overlap, batch_size=batch, progress=False)
    out = []
    for how, strips in (("row strips", True), ("window by window", False)):
        print(f"tiling: {path.name} read by {how}", file=sys.stderr, flush=True)
        with SceneReader(path, scaling=ReadConfig(gdal_cache_mb=cache_mb)) as scene, \
                mock.patch.object(tiles_mod, "decodes_from_start", lambda _s, strips=strips: strips):
            merger = TileMerger()
            t0 = time.perf_counter()
            objs = run_tiled(scene, predict, tile=tile, overlap=overlap, batch_size=batch, progress=False,
                             merger=merger)
            out.append((how, time.perf_counter() - t0, merger.n_tiles, len(objs)))
    return out


def crop_timing(tmp: Path, size: int, tile: int, overlap: int) -> list[tuple]:
    """(how, seconds, tiles) writing the tiles of a size x size RGB PNG with data_gen.tiling: one
    decode (``cropper``) against ``crop_to_file`` per tile. The scene is smooth blobs and noise,
    about as compressible as aerial photos (PNG saving is a large part of the time). One tile is written
    untimed first."""
    import numpy as np
    from PIL import Image
    from scipy import ndimage

    from data_gen.tiling import crop_to_file, cropper, tile_windows

    rng = np.random.default_rng(0)
    blobs = ndimage.zoom(rng.integers(0, 255, (3, size // 16, size // 16)).astype(np.uint8), (1, 16, 16), order=1)
    rgb = (blobs[:, :size, :size] // 2 + rng.integers(0, 24, (3, size, size), dtype=np.uint8))  # (3, S, S)
    src = tmp / "scene.png"
    Image.fromarray(np.moveaxis(rgb, 0, -1)).save(src)
    windows = tile_windows(size, size, tile, overlap)
    with cropper(src) as crop:  # warm-up, untimed: the first timed way carried the first calls' one-off costs
        crop(windows[0], tmp / "warm.png")
    print(f"tiling: {len(windows)} tiles with one decode, then decoding per tile", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    with cropper(src) as crop:
        for k, win in enumerate(windows):
            crop(win, tmp / f"a_{k}.png")
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    for k, win in enumerate(windows):
        crop_to_file(src, win, tmp / f"b_{k}.png")
    return [("cropper: one decode", one, len(windows)), ("crop_to_file per tile", time.perf_counter() - t0,
                                                          len(windows))]


def timing(path: Path, tile: int, overlap: int, batch: int, repeat: int, threads: int) -> list[tuple]:
    """Settings interleaved round by round in this process (so load from other processes hits all
    alike); returns (batch, prefetch, median s, min s, tiles, objects) per setting."""
    import statistics

    import torch

    from rsvlm.io import TileMerger, run_tiled

    torch.set_num_threads(threads)
    predict = stand_in()
    settings = [(1, False), (1, True), (batch, False), (batch, True)]
    run_tiled(path, predict, tile=tile, overlap=overlap, batch_size=batch, progress=False)  # warm-up
    times: dict = {s: [] for s in settings}
    info: dict = {}
    for _ in range(repeat):
        for b, pf in settings:
            merger = TileMerger()
            t0 = time.perf_counter()
            objs = run_tiled(path, predict, tile=tile, overlap=overlap, batch_size=b, progress=False, prefetch=pf,
                             merger=merger)
            times[(b, pf)].append(time.perf_counter() - t0)
            info[(b, pf)] = (merger.n_tiles, len(objs))
    return [(b, pf, statistics.median(times[(b, pf)]), min(times[(b, pf)])) + info[(b, pf)] for b, pf in settings]


def run_child(path: Path, tile: int, overlap: int, batch: int, threads: int, prefetch: bool = True) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, __file__, "--child", str(path), "--tile", str(tile), "--overlap",
                          str(overlap), "--batch", str(batch)] + ([] if prefetch else ["--no-prefetch"]),
                         capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[1], check=False)
    if out.returncode != 0:
        raise RuntimeError(f"child failed on {path}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


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


def _masks_merged(masks, scene=(200, 100), overlap=0, short=0.0, rng=None) -> int:
    """How many objects a 100-px tiling of ``masks`` (each (h, w) over the scene) merges into; ``short``: the
    chance that a tile's view stops a pixel before each inner tile edge."""
    from rsvlm.io import iter_windows, merge_tile_objects

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
    return len(merge_tile_objects(per, scene_size=scene))


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


def _sliver_rows(rng, n: int) -> list[tuple[str, int, int]]:
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
    for overlap, z, pair in [(o, z, p) for p in (False, True) for o in (0, 20, 50) for z in (0.0, noise)]:
        rng, wrong, of = np.random.default_rng(seed), 0, 0
        for k in range(n):
            scene = (210, 230, 250, 270, 290)[k % 5]
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


def main() -> None:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,5000,10000,20000")
    ap.add_argument("--tile", type=int, default=512)
    ap.add_argument("--overlap", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--timing-size", type=int, default=5000, help="scene side for the batching comparison")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5, help="timing rounds (the median is reported)")
    ap.add_argument("--only", choices=["memory", "timing", "both", "png", "crops", "seams", "slivers"], default="both")
    ap.add_argument("--seam-cases", type=int, default=300, help="simulated objects per case for --only seams, slivers")
    ap.add_argument("--seam-noise", type=float, default=1.0,
                    help="± px of the noisy box rows of --only seams (1.5: where box_reach splits cut boxes)")
    ap.add_argument("--crop-size", type=int, default=4000, help="PNG side for --only crops (tile 1024, overlap 200)")
    ap.add_argument("--png-size", default="8000x1100", help="WxH of the PNG for --only png")
    ap.add_argument("--png-cache-mb", type=int, default=8, help="GDAL block cache for --only png")
    ap.add_argument("--workdir", default=None, help="where scenes are written (default: a temp dir, removed)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--no-prefetch", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.tile, args.overlap, args.batch, not args.no_prefetch)

    try:
        sizes = [int(s) for s in args.sizes.split(",")] if args.only in ("memory", "both") else []
    except ValueError:
        sizes = [0]
    if min(sizes, default=41) < 41:  # write_scene's "vehicles" are 32 px wide, 40 px from the right edge
        ap.error(f"--sizes {args.sizes!r}: give whole pixel sides of 41 or more separated by commas, e.g. 2000,5000")
    require_at_least_one(ap, args, ("tile", "batch", "threads", "repeat", "timing_size"))  # else tracebacks, some after the scenes
    if args.only in ("timing", "both") and args.timing_size < 41:
        ap.error(f"--timing-size {args.timing_size}: give 41 px or more")
    if not 0 <= args.overlap < args.tile:
        ap.error(f"--overlap {args.overlap}: give 0 or more and less than --tile {args.tile}")
    if args.workdir and not Path(args.workdir).is_dir():
        ap.error(f"--workdir {args.workdir}: no such folder (scenes up to {max(sizes, default=args.timing_size)} px "
                 "are written there; make it first)")
    if args.only == "crops" and args.crop_size < 64:
        ap.error(f"--crop-size {args.crop_size}: give 64 px or more")
    if args.only == "png":
        try:
            png_w, png_h = (int(v) for v in args.png_size.lower().split("x"))
        except ValueError:
            png_w = png_h = 0
        if min(png_w, png_h) < 41 or args.png_cache_mb < 1:
            ap.error(f"--png-size {args.png_size!r} / --png-cache-mb {args.png_cache_mb}: give WxH of at least "
                     "41x41 px (e.g. 8000x1100) and a cache of 1 MiB or more")
    if args.only in ("seams", "slivers"):
        require_at_least_one(ap, args, ("seam_cases",))
        if not 0 <= args.seam_noise <= 10:  # NaN too
            ap.error(f"--seam-noise {args.seam_noise}: give 0 to 10 px")
        print("\n| case | wrong | of |\n|---|---|---|")
        import numpy as np

        rows = (seam_errors(args.seam_cases, noise=args.seam_noise) if args.only == "seams"
                else _sliver_rows(np.random.default_rng(0), args.seam_cases))
        for case, wrong, of in rows:
            print(f"| {case} | {wrong} | {of} |")
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        if args.only == "crops":
            res = crop_timing(Path(tmp), args.crop_size, 1024, 200)
            print(f"\nTiles of a {args.crop_size}x{args.crop_size} RGB PNG written by data_gen.tiling (tile 1024, overlap 200)\n")
            print("| how | s | tiles | slower than one decode |")
            print("|---|---|---|---|")
            for how, dt, n in res:  # the first row (cropper) is the baseline
                print(f"| {how} | {dt:.1f} | {n} | {dt / max(res[0][1], 1e-9):.2f}x |")
            return
        if args.only == "png":
            path = Path(tmp) / "scene.png"
            write_png(path, png_w, png_h)
            res = png_timing(path, args.tile, args.overlap, args.batch, args.png_cache_mb)
            print(f"\nrun_tiled over a {png_w}x{png_h} 16-bit RGB PNG read by GDAL (tile {args.tile}, overlap "
                  f"{args.overlap}, batch {args.batch}, GDAL cache {args.png_cache_mb} MiB)\n")
            print("| reads | s | tiles | objects | slower than row strips |")
            print("|---|---|---|---|---|")
            for how, dt, n, objs in res:
                print(f"| {how} | {dt:.1f} | {n} | {objs} | {dt / max(res[0][1], 1e-9):.2f}x |")
            return
        rows = []
        for size in sizes:
            path = Path(tmp) / f"scene_{size}.tif"
            t0 = time.perf_counter()
            write_scene(path, size)
            wt = time.perf_counter() - t0
            r = run_child(path, args.tile, args.overlap, args.batch, args.threads)
            rows.append((size, path.stat().st_size / 2**20, size * size * 3 / 2**20, wt, r))
            print(f"  {size}px: wrote in {wt:.0f}s, ran in {r['seconds']:.0f}s", file=sys.stderr)
        if rows:
            print(f"\nPeak memory of run_tiled (tile {args.tile}, overlap {args.overlap}, batch {args.batch}; "
                  f"3-band uint8 GeoTIFF, deflate; peak RSS of a fresh process)\n")
            print("| scene (px) | file MiB | raw pixels MiB | tiles | baseline RSS MiB | peak RSS MiB | "
                  "run growth MiB | peak / smallest | run s |")
            print("|---|---|---|---|---|---|---|---|---|")
            first = min(rows, key=lambda r: r[0])[4]["peak_mb"]  # the smallest scene's, whatever the order of --sizes
            for size, fmb, rawmb, _, r in rows:
                print(f"| {size}x{size} | {fmb:.0f} | {rawmb:.0f} | {r['tiles']} | {r['base_mb']:.0f} | "
                      f"{r['peak_mb']:.0f} | {r['peak_mb'] - r['base_mb']:.0f} | {r['peak_mb'] / first:.2f} | "
                      f"{r['seconds']:.1f} |")
        if args.only == "memory":
            return

        size = args.timing_size
        path = Path(tmp) / f"scene_{size}.tif"
        if not path.exists():
            write_scene(path, size)
        res = timing(path, args.tile, args.overlap, args.batch, args.repeat, args.threads)
        base = res[0][2]
        print(f"\nBatched vs one tile at a time ({size}x{size}, {res[0][4]} tiles, {args.threads} thread(s); "
              f"settings interleaved, median of {args.repeat} rounds; baseline: batch 1, no prefetch)\n")
        print("| batch_size | prefetch | median s | min s | tiles/s | speed-up vs baseline | objects |")
        print("|---|---|---|---|---|---|---|")
        for b, pf, med, best, tiles, n in res:
            print(f"| {b} | {'yes' if pf else 'no'} | {med:.2f} | {best:.2f} | {tiles / med:.1f} | {base / med:.2f}x | {n} |")

if __name__ == "__main__":
    main()
