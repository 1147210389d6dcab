"""``rsvlm predict --tile``'s memory pre-check against the peak it guards: estimate vs measured.

    .venv/bin/python bench/tile_memory.py                            # uint8, uint16 GeoTIFF, PNGs; no --tta, flip
    .venv/bin/python bench/tile_memory.py --cases uint8 --tta none   # one case
    .venv/bin/python bench/tile_memory.py --baseline                 # also --tta with each view's copies held over

For each case a scene of ``--batch`` windows of ``--tile`` px (3 bands, 4 windows a row; a GeoTIFF of uint8 or uint16
noise, tiled 256; an 8-bit RGB PNG, which PIL reads whole; ``geopng``, one with a world file, which GDAL reads a
row of windows at a time) is written into a temporary folder, and the real
``rsvlm predict --tile TILE --overlap 0 --batch-size BATCH --task det`` (bundled model, ``--max-new-tokens``) runs
on it in a fresh process. There the pre-check's own call of ``rsvlm.io.budget.batch_bytes`` is recorded (the
estimate: its arguments are what predict passes) and ``rsvlm.io.run_tiled`` is wrapped to reset the kernel's peak
RSS at its start (``/proc/self/clear_refs``; Linux only) and read it at its end (``VmHWM``): measured is that peak
less the RSS the process held when the tiled run began (the model loaded, the scene open). The estimate must never
be below the measured peak: a row where it is is flagged ``LOW`` and the script exits 1.

``--baseline`` adds, for each ``--tta`` case, a run with each view's batch copies held until the next view's are
made (``tta.fused_answers`` before stop 71, three copies of the batch at once, not two): the baseline of that fix,
measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, markdown_table, run_script

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser
from rsvlm.progress import counted

KINDS = ("uint8", "uint16", "png", "geopng")  # GeoTIFFs of these dtypes, a PNG (PIL-read), one with a world file (GDAL)
MIB = 2**20


def write_scene(path: Path, kind: str, width: int, height: int, seed: int = 0) -> None:
    """width x height x 3 random noise: a GeoTIFF of ``kind`` (uint8, uint16 0-4000), tiled 256, or an RGB PNG
    (``geopng``: with a world file, so GDAL reads it, a row of windows at a time: ``rows.RowReader``'s strip)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if kind in ("png", "geopng"):
        from PIL import Image

        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path, compress_level=1)
        if kind == "geopng":
            path.with_suffix(".pgw").write_text("1\n0\n0\n-1\n500000\n4000000\n")
        return
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    top = 255 if kind == "uint8" else 4000
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=3, dtype=kind, tiled=True,
                       blockxsize=256, blockysize=256, crs="EPSG:32633", transform=from_origin(500000, 4000000, 1, 1)) as ds:
        for y in range(0, height, 512):
            h = min(512, height - y)
            ds.write(rng.integers(0, top, (3, h, width), dtype=kind), window=Window(0, y, width, h))  # (3, h, W)


def status_bytes(field: str) -> int:
    """``field`` of /proc/self/status (``VmRSS:``, ``VmHWM:``) in bytes."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field))


def child(scene: str, argv: list[str], out: str, hold: bool) -> None:
    """Run ``rsvlm predict`` on ``argv`` in this process, writing to ``out`` (JSON) the pre-check's estimate and its
    arguments, the RSS at the tiled run's start and its peak. ``hold``: each --tta view's batch copies held until the
    next view's are made (the code before stop 71), released when ``fused_answers`` returns."""
    import gc
    from unittest import mock

    import rsvlm.io as rio
    from rsvlm import tta
    from rsvlm.cli import main as cli
    from rsvlm.io import budget

    got: dict = {}
    real_bytes, real_run, real_ask, real_fused = budget.batch_bytes, rio.run_tiled, tta._ask_view, tta.fused_answers
    held: list = []

    def estimate(*a, **k):  # the pre-check's call, as predict makes it
        got.update(estimate=real_bytes(*a, **k), args=[str(x) for x in a])
        return got["estimate"]

    def measured(*a, **k):
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")  # the peak RSS reset to the RSS now
        got["base"] = status_bytes("VmRSS:")
        try:
            return real_run(*a, **k)
        finally:
            got["peak"] = status_bytes("VmHWM:")

    def ask_holding(generate, asked, *a):
        held[:] = [asked]  # the last view's copies, held while the next view's are made
        return real_ask(generate, asked, *a)

    def fused_releasing(*a, **k):
        try:
            return real_fused(*a, **k)
        finally:
            held.clear()

    patches = [mock.patch.object(budget, "batch_bytes", estimate), mock.patch.object(rio, "run_tiled", measured)]
    if hold:
        patches += [mock.patch.object(tta, "_ask_view", ask_holding), mock.patch.object(tta, "fused_answers",
                                                                                        fused_releasing)]
    for p in patches:
        p.start()
    rc = cli(["predict", "--image", scene, *argv])
    Path(out).write_text(json.dumps({**got, "rc": rc}))


def run_case(scene: Path, argv: list[str], hold: bool, tmp: Path) -> dict:
    """The child's record for one run (``argv``: predict's options), with its wall time; SystemExit naming the
    scene and the child's last lines where predict failed or the tiled run was not reached."""
    out = tmp / "child.json"
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--child", str(scene), "--child-out", str(out),
                        *(["--hold-views"] if hold else []), "--", *argv],
                       capture_output=True, text=True, cwd=ROOT, check=False)
    got = json.loads(out.read_text()) if out.exists() else {}
    if r.returncode or got.get("rc") or not {"estimate", "peak"} <= got.keys():
        sys.exit(f"tile_memory: rsvlm predict {' '.join(argv)} on {scene.name} failed (exit {r.returncode}) or "
                 f"did not reach the tiled run:\n{r.stderr[-2000:]}")
    return {**got, "seconds": time.perf_counter() - t0}


def row(case: str, r: dict) -> list[str]:
    """One table row: case, windows, estimate, measured, estimate / measured, flag (LOW: below the measurement)."""
    w, h, bands, dtype, batch = r["args"][:5]
    est, meas = r["estimate"] / MIB, (r["peak"] - r["base"]) / MIB
    return [case, f"{batch} of {w}x{h}x{bands} {dtype}", f"{est:.0f}", f"{meas:.0f}", f"{est / max(meas, 1e-9):.2f}",
            "LOW: estimate below measured" if est < meas else "ok", f"{r['seconds']:.0f}"]


def main(argv: list[str] | None = None) -> None:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=",".join(KINDS), help=f"scenes, by commas, of {', '.join(KINDS)} "
                                                             f"(default {','.join(KINDS)})")
    ap.add_argument("--tta", default="none,flip", help="--tta of each scene's runs, by commas: none, flip, dihedral "
                                                       "(default none,flip)")
    ap.add_argument("--tile", type=int, default=1000, help="--tile (px), also each window's side (default 1000)")
    ap.add_argument("--batch", type=int, default=8, help="--batch-size, also the scene's windows (default 8)")
    ap.add_argument("--max-new-tokens", type=int, default=8, help="predict's answer limit (default 8)")
    ap.add_argument("--model", default=None, help="checkpoint folder (default: the bundled model)")
    ap.add_argument("--baseline", action="store_true", help="also each --tta case with the views' copies held over "
                                                            "(the code before stop 71's fix)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--hold-views", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child, args.rest, args.child_out, args.hold_views)
    if args.rest:
        ap.error(f"unrecognized arguments: {' '.join(args.rest)}")
    kinds, ttas = args.cases.split(","), args.tta.split(",")
    if bad := [k for k in kinds if k not in KINDS]:
        ap.error(f"--cases {args.cases!r}: {bad[0]!r} is none of {', '.join(KINDS)}")
    if bad := [t for t in ttas if t not in ("none", "flip", "dihedral")]:
        ap.error(f"--tta {args.tta!r}: {bad[0]!r} is none of none, flip, dihedral")
    require_at_least_one(ap, args, ("batch", "max_new_tokens"))
    if args.tile < 16:
        ap.error(f"--tile {args.tile}: give 16 px or more")
    if not Path("/proc/self/clear_refs").exists():
        sys.exit("tile_memory: /proc/self/clear_refs is absent (not Linux): the peak RSS cannot be reset and read")
    cols = min(args.batch, 4)
    width, height = args.tile * cols, args.tile * math.ceil(args.batch / cols)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            scene = Path(tmp, f"scene_{kind}.{'tif' if kind.startswith('uint') else 'png'}")
            write_scene(scene, kind, width, height)
            for how in ttas:
                opts = ["--tile", str(args.tile), "--overlap", "0", "--batch-size", str(args.batch), "--task", "det",
                        "--max-new-tokens", str(args.max_new_tokens), *(["--model", args.model] if args.model else []),
                        *(["--tta", how] if how != "none" else [])]
                for hold in (False, True) if args.baseline and how != "none" else (False,):
                    case = f"{kind}{'' if how == 'none' else f', --tta {how}'}{', views held (before)' if hold else ''}"
                    print(f"tile_memory: {case}", file=sys.stderr, flush=True)
                    rows.append(row(case, run_case(scene, opts, hold, Path(tmp))))
    print(f"\nrsvlm predict --tile {args.tile} --overlap 0 --batch-size {args.batch}: the memory pre-check's estimate "
          "(budget.batch_bytes) against the peak RSS of the tiled run less the RSS at its start (MiB)\n")
    print(markdown_table(["case", "windows", "estimate", "measured", "estimate / measured", "check", "run s"], rows))
    if low := sum(r[5] != "ok" for r in rows):
        sys.exit(f"tile_memory: {counted(low, 'case')} where the estimate is below the measured peak (LOW above)")


if __name__ == "__main__":
    sys.exit(run_script(main))
