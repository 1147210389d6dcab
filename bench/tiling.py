"""Whole-scene tiling: peak memory against scene size, and batched against one-tile-at-a-time.

    .venv/bin/python bench/tiling.py                       # 2000..20000 px scenes, prints two tables
    .venv/bin/python bench/tiling.py --sizes 2000,5000     # quicker
    .venv/bin/python bench/tiling.py --only png            # a PNG that GDAL reads: row strips vs windows
    .venv/bin/python bench/tiling.py --only crops          # data_gen: a PNG's tiles written, one decode vs many
    .venv/bin/python bench/tiling.py --only seams          # merging: objects split or joined wrongly, simulated
    .venv/bin/python bench/tiling.py --only slivers        # merging: 1-px lines along a seam (seams.masks_meet)
    .venv/bin/python bench/tiling.py --only junctions      # merging: such a line meeting a fork and a car, a truck
    .venv/bin/python bench/tiling.py --only strips         # merging: flat boxes of cars on a 712x1 px strip
    .venv/bin/python bench/tiling.py --only p1888          # merging: DOTA P1888's 64 cars, 100 tilings (real data)

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
does not divide (the windows spread evenly, so even --overlap 0 overlaps neighbours by a few px; the starts are
printed under the table), each tile's view the box clipped to it, ±1 px noise
(``--seam-noise``) or none, split in two or joined to a neighbour 1-2 px away; masks at an ``--overlap 0``
seam: 1-px roads at a slant split, cars 1-2 px apart joined, and roads a model drew a pixel short of the
tile's edge split. ``--seam-noise 1.5`` shows what ``TileMerger.box_reach`` costs: cut boxes split at
--overlap 0 (docs/benchmarks/tiling.md). The simulated cases of ``--only seams``, ``--only slivers``,
``--only junctions`` and ``--only strips`` are in ``bench/tiling_sim/cases.py``.

``--only p1888`` merges the views of the real DOTA scene P1888's 64 cars (boxes of its quads clipped to each window;
$RSVLM_REALDATA or shared/realdata beside the checkout, skipped with a note where absent) over the tilings of
``--p1888-tiles`` x ``--p1888-overlaps`` (default 100), noise-free and with ``--p1888-draws`` seeded draws of
±``--seam-noise`` px, against the whole scene as one window and every view's box kept (``bench/tiling_sim/p1888.py``).

``--windows shifted`` runs those merging modes on the windows ``rsvlm.io.iter_windows`` cut before 52311df5 (``step``
apart, the last alone shifted back flush with the edge), patched in this process only, to set the figures of either
placement side by side; the other modes read scenes with rsvlm's or data_gen's own windows and refuse it.
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

from common import markdown_table, realdata_dir, run_script
from tiling_sim.cases import junction_rows, seam_errors, seam_windows, shifted_starts, sliver_rows, strip_rows
from tiling_sim.p1888 import int_list, load_cars, p1888_rows, print_table, tilings

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser
from rsvlm.progress import counted

# the --only cases simulated without a model (tiling_sim/cases.py); all but seams' are rows(rng, n)
SIM_ROWS = {"slivers": sliver_rows, "junctions": junction_rows, "strips": strip_rows}
SIMULATED = ("seams", *SIM_ROWS)


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


def p1888(ap, args) -> None:
    """``--only p1888``: the table of ``tiling_sim.p1888``, or a note where the real data is absent (skipped)."""
    try:
        tiles, overlaps = int_list(args.p1888_tiles), int_list(args.p1888_overlaps)
    except ValueError:
        tiles = overlaps = []
    pairs, left_out = tilings(tiles, overlaps)
    if min(tiles, default=0) < 8 or min(overlaps, default=-1) < 0:
        ap.error(f"--p1888-tiles {args.p1888_tiles!r} / --p1888-overlaps {args.p1888_overlaps!r}: give tile sides of "
                 "8 px or more and overlaps of 0 or more, as N,N or FIRST-LAST/STEP (e.g. 60-252/8 and 0,16,32,48)")
    if not pairs:
        ap.error(f"--p1888-overlaps {args.p1888_overlaps!r}: no overlap is below a tile of --p1888-tiles "
                 f"{args.p1888_tiles!r} (the largest {max(tiles)} px)")
    if args.p1888_draws < 0 or not 0 <= args.seam_noise <= 10:  # NaN too
        ap.error(f"--p1888-draws {args.p1888_draws} / --seam-noise {args.seam_noise}: give 0 draws or more and "
                 "0 to 10 px")
    folder = realdata_dir()
    try:
        cars, size = load_cars(folder)
    except FileNotFoundError as e:
        print(f"tiling: --only p1888 skipped: {e} not found (the DOTA fixture of the real-data folder {folder}; "
              "set RSVLM_REALDATA to that folder)", file=sys.stderr)
        return
    except (OSError, ValueError) as e:  # a bad label line (ConversionError, naming file and line), an unreadable PNG
        sys.exit(f"tiling: --only p1888: {e}")
    if left_out:
        print(f"tiling: {counted(left_out, '(tile, overlap) pair')} left out: the overlap not below the tile",
              file=sys.stderr)
    print_table(p1888_rows(cars, size, pairs, args.seam_noise, args.p1888_draws), len(cars), size, pairs)


def merging(ap, args) -> None:
    """``--only`` seams, slivers, junctions, strips or p1888: merged tile views, no model; on predict's windows, or
    (``rsvlm.io.windows.window_starts`` patched for this call) spread at every overlap where ``--windows spread``, or
    as before 52311df5 where ``--windows shifted``."""
    from contextlib import nullcontext
    from unittest import mock

    import rsvlm.io.windows

    if args.only in SIMULATED:
        require_at_least_one(ap, args, ("seam_cases",))
        if not 0 <= args.seam_noise <= 10:  # NaN too
            ap.error(f"--seam-noise {args.seam_noise}: give 0 to 10 px")
    patch = {"shifted": shifted_starts, "spread": rsvlm.io.windows.even_starts}.get(args.windows)
    with mock.patch.object(rsvlm.io.windows, "window_starts", patch) if patch else nullcontext():
        if args.only == "p1888":
            return p1888(ap, args)
        import numpy as np

        rows = (seam_errors(args.seam_cases, noise=args.seam_noise) if args.only == "seams"
                else SIM_ROWS[args.only](np.random.default_rng(0), args.seam_cases))
        print("\n" + markdown_table(["case", "wrong", "of"], [[case, str(wrong), str(of)] for case, wrong, of in rows]))
        if args.only == "seams":  # what "overlap 0" means on these scenes: where the windows start
            print(f"\nThe box cases' 100-px windows ({args.windows}) start at (x and y alike):\n"
                  + "\n".join(seam_windows()))


# tiling's options of one value each: (flag, type, default, help without its default), in --help's order
OPTIONS = (
    ("--sizes", str, "2000,5000,10000,20000", "scene sides (px) of the memory table, by commas, each 41 or more"),
    ("--tile", int, 512, "run_tiled's tile side (px) in the memory, timing and png runs"),
    ("--overlap", int, 64, "run_tiled's overlap (px) in those runs, 0 or more and below --tile"),
    ("--batch", int, 8, "tiles a batch in the memory and png runs, and the timing table's batched rows"),
    ("--timing-size", int, 5000, "scene side (px) of the timing table, 41 or more"),
    ("--threads", int, 1, "torch and OpenMP threads of the memory and timing runs"),
    ("--repeat", int, 5, "timing rounds, the median reported"),
    ("--seam-cases", int, 300, f"simulated objects per case for --only {', '.join(SIMULATED)}"),
    ("--seam-noise", float, 1.0, "± px of the noisy box rows of --only seams (1.5: where box_reach splits cut boxes) "
                                 "and of --only p1888's noisy draws"),
    ("--p1888-tiles", str, "60-252/8", "--only p1888's tile sides: N,N or FIRST-LAST/STEP"),
    ("--p1888-overlaps", str, "0,16,32,48", "--only p1888's overlaps, each below a tile"),
    ("--crop-size", int, 4000, "PNG side (px) for --only crops, tiles 1024 with overlap 200"),
    ("--png-size", str, "8000x1100", "WxH of the PNG for --only png"),
    ("--png-cache-mb", int, 8, "GDAL block cache (MiB) for --only png"),
)


def main() -> None:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, kind, default, what in OPTIONS:  # each said with its default, as argparse does not
        ap.add_argument(flag, type=kind, default=default, help=f"{what} (default {default})")
    ap.add_argument("--only", choices=["memory", "timing", "both", "png", "crops", *SIMULATED, "p1888"], default="both",
                    help="which tables to make, each mode described above (default both: memory, then timing)")
    ap.add_argument("--windows", choices=["rsvlm", "spread", "shifted"], default="rsvlm",
                    help=f"where the windows of --only {', '.join(SIMULATED)} and p1888 start: rsvlm's (predict's: "
                         "spread evenly where an overlap is asked, edge to edge at overlap 0), spread (evenly at "
                         "every overlap, as stop 75's figures first were) or shifted (step apart, the last alone "
                         "flush with the edge, as before 52311df5); default rsvlm")
    ap.add_argument("--p1888-draws", type=int, default=3,
                    help="--only p1888's noisy draws (0: noise-free only; default 3)")
    ap.add_argument("--workdir", default=None,
                    help="the folder where the scenes' temporary folder is made, removed at the end (default: the "
                         "system's temporary folder)")
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
    if args.windows == "shifted" and args.only not in (*SIMULATED, "p1888"):
        ap.error(f"--windows shifted: only --only {', '.join(SIMULATED)} or p1888 can be run on the old windows "
                 f"(--only {args.only} reads its scenes with rsvlm's or data_gen's own)")
    if args.only in (*SIMULATED, "p1888"):
        return merging(ap, args)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        if args.only == "crops":
            res = crop_timing(Path(tmp), args.crop_size, 1024, 200)
            print(f"\nTiles of a {args.crop_size}x{args.crop_size} RGB PNG written by data_gen.tiling (tile 1024, overlap 200)\n")
            print(markdown_table(["how", "s", "tiles", "slower than one decode"],  # the first row (cropper): baseline
                                 [[how, f"{dt:.1f}", str(n), f"{dt / max(res[0][1], 1e-9):.2f}x"] for how, dt, n in res]))
            return
        if args.only == "png":
            path = Path(tmp) / "scene.png"
            write_png(path, png_w, png_h)
            res = png_timing(path, args.tile, args.overlap, args.batch, args.png_cache_mb)
            print(f"\nrun_tiled over a {png_w}x{png_h} 16-bit RGB PNG read by GDAL (tile {args.tile}, overlap "
                  f"{args.overlap}, batch {args.batch}, GDAL cache {args.png_cache_mb} MiB)\n")
            print(markdown_table(["reads", "s", "tiles", "objects", "slower than row strips"],
                                 [[how, f"{dt:.1f}", str(n), str(objs), f"{dt / max(res[0][1], 1e-9):.2f}x"]
                                  for how, dt, n, objs in res]))
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
            first = min(rows, key=lambda r: r[0])[4]["peak_mb"]  # the smallest scene's, whatever the order of --sizes
            print(markdown_table(["scene (px)", "file MiB", "raw pixels MiB", "tiles", "baseline RSS MiB", "peak RSS MiB",
                                  "run growth MiB", "peak / smallest", "run s"],
                                 [[f"{size}x{size}", f"{fmb:.0f}", f"{rawmb:.0f}", str(r["tiles"]), f"{r['base_mb']:.0f}",
                                   f"{r['peak_mb']:.0f}", f"{r['peak_mb'] - r['base_mb']:.0f}",
                                   f"{r['peak_mb'] / first:.2f}", f"{r['seconds']:.1f}"]
                                  for size, fmb, rawmb, _, r in rows]))
        if args.only == "memory":
            return

        size = args.timing_size
        path = Path(tmp) / f"scene_{size}.tif"
        if not path.exists():
            write_scene(path, size)
        res = timing(path, args.tile, args.overlap, args.batch, args.repeat, args.threads)
        base = res[0][2]
        print(f"\nBatched vs one tile at a time ({size}x{size}, {res[0][4]} tiles, {counted(args.threads, 'thread')}; "
              f"settings interleaved, median of {args.repeat} rounds; baseline: batch 1, no prefetch)\n")
        print(markdown_table(["batch_size", "prefetch", "median s", "min s", "tiles/s", "speed-up vs baseline", "objects"],
                             [[str(b), "yes" if pf else "no", f"{med:.2f}", f"{best:.2f}", f"{tiles / med:.1f}",
                               f"{base / med:.2f}x", str(n)] for b, pf, med, best, tiles, n in res]))

if __name__ == "__main__":
    sys.exit(run_script(main))
