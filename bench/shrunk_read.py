"""A large scene read whole and shrunk, as ``rsvlm predict`` reads it: decoded 3 times (old) or once (new).

    .venv/bin/python bench/shrunk_read.py                        # 8000² uint16 3-band deflate, tiled 512 and striped
    .venv/bin/python bench/shrunk_read.py --size 4000 --dir /tmp/big   # smaller; keep the files in /tmp/big
    .venv/bin/python bench/shrunk_read.py --only real            # stretch old vs new on ../shared/realdata (or $RSVLM_REALDATA)
    .venv/bin/python bench/shrunk_read.py --size 1500            # a scene no larger than 2048: held at full size
    .venv/bin/python bench/shrunk_read.py --size 3000 --kind angle   # VV, VH, angle: the angle neither read nor held

The old path is ``SceneReader(path)`` then ``read_shrunk(2048)``: ``modality.plan``'s 256 px check, the stretch's
1024 px sample and the shrunk read each decode the whole file (no overviews). The new path is
``SceneReader(path, shrunk=2048)``: one read at 2048, strided for the two samples (``rsvlm.io.shared_read``). Each
path runs in a fresh subprocess (after one untimed read of the file, so both find it in the OS cache); every
``rasterio`` ``DatasetReader.read`` is counted with the source pixels it covers (window area x bands); decodes =
source pixels / (width x height x distinct bands read). Peak is ``tracemalloc``'s (numpy's arrays; GDAL's block cache, bounded by
``ReadConfig.gdal_cache_mb``, is not in it).
The table also says whether ``read_shrunk``'s raw pixels are identical (they must be) and how far the stretch
moved: the largest change of a band's low or high end as a share of its old range, and the mean change of the
scaled image (0-1).

``--only real``: the real files are smaller than 2048 px (or have overviews, or are PNGs), which the new path
leaves as it was; so each is copied to a GeoTIFF without overviews and read shrunk to its side over
``--real-ratio`` (default 4, as 8000 over 2048) with a stats sample half that (``ReadConfig.stats_max_side``), the
same 2:1 as 2048:1024, old against new: the stretch's change, the scaled image's, and whether the notes agree.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import common
import numpy as np

from rsvlm.argparsing import Parser

ROOT = common.ROOT
REAL_FILES = ["sar_s1grd", "sar_spacenet6", "ir_landsat8", "ir_sirst", "msi_landsat7", "msi_rgbn", "bldg_spacenet4", "seg_detectree",
              "obb_dota", "sar_hrsid", "cls_aid", "cd_levir"]  # a folder's first GeoTIFF / PNG each


def make_scene(path: Path, size: int, tiled: bool, kind: str = "rgb") -> None:
    """A ``size``² uint16 3-band deflate GeoTIFF without overviews (tiled 512, or striped), smooth fields plus noise;
    ``kind`` "angle": float32 bands described VV, VH, angle (Earth Engine's S1_GRD export), whose angle the reader
    leaves out."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    dtype = "float32" if kind == "angle" else "uint16"
    prof = dict(driver="GTiff", width=size, height=size, count=3, dtype=dtype, compress="deflate",
                crs="EPSG:32631", transform=from_origin(500000, 6000000, 10, 10))
    if tiled:
        prof.update(tiled=True, blockxsize=512, blockysize=512)
    rng = np.random.default_rng(0)
    with rasterio.open(path, "w", **prof) as ds:
        for y in range(0, size, 512):
            h = min(512, size - y)
            yy, xx = np.mgrid[y:y + h, 0:size]
            for b in range(3):
                v = 800 + 600 * np.sin(xx / 700 + b) * np.cos(yy / 900) + 300 * np.sin((xx + yy) / 97)
                v += rng.normal(0, 120, v.shape)
                if kind == "angle":  # amplitude 0.01-0.6, then the incidence angle across the swath
                    v = np.clip(v, 1, 2500) / 4000 if b < 2 else 30 + 15 * xx / size
                ds.write(np.clip(v, 0, 65535).astype(dtype), b + 1, window=Window(0, y, size, h))
        if kind == "angle":
            for b, d in enumerate(["VV", "VH", "angle"]):
                ds.set_band_description(b + 1, d)


def child(path: str, side: int, new: bool, out: str, stats: int | None) -> None:
    """One path over ``path`` in this process: prints its counts as JSON, saves the raw and scaled read in ``out``."""
    import rasterio.io

    from rsvlm.io.gdal_source import open_raster
    from rsvlm.io.read import SceneReader
    from rsvlm.io.scaling import ReadConfig

    with open_raster(path) as ds:  # untimed: the file into the OS cache (no NotGeoreferencedWarning for a PNG's copy)
        ds.read(1, out_shape=(64, 64))
    tracemalloc.start()
    calls, pixels = [], [0]
    plain = rasterio.io.DatasetReader.read

    def counted(self, indexes=None, *a, window=None, **k):
        n = 1 if isinstance(indexes, int) else len(indexes) if indexes is not None else self.count
        area = self.width * self.height if window is None else int(window.width * window.height)
        calls.append(1)
        pixels[0] += n * area
        return plain(self, indexes, *a, window=window, **k)

    rasterio.io.DatasetReader.read = counted
    cfg = ReadConfig(stats_max_side=stats) if stats else None
    t = time.perf_counter()
    with SceneReader(path, scaling=cfg, shrunk=side if new else None) as scene:
        img = scene.read_shrunk(side)
        bands = len(set(scene.indexes))  # a grey band replicated to RGB is one band decoded
    wall = time.perf_counter() - t
    rasterio.io.DatasetReader.read = plain
    np.savez(out, data=img.data, stretch=np.array(img.stretch or [], float))
    w, h = img.scene_size
    print(json.dumps({"reads": len(calls), "pixels": pixels[0], "decodes": pixels[0] / (w * h * bands),
                      "wall": wall, "peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
                      "notes": img.notes}))


def run_child(path: Path, side: int, new: bool, out: Path, stats: int | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", str(path), "--side", str(side), "--out", str(out)]
    cmd += ["--new"] * new + (["--stats", str(stats)] if stats else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{path}: the {'new' if new else 'old'} path failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(old_npz: Path, new_npz: Path) -> tuple[float, float]:
    """(largest stretch change as a share of the old range, mean change of the scaled image)."""
    a, b = np.load(old_npz), np.load(new_npz)
    sa, sb = a["stretch"], b["stretch"]
    moved = float(np.max(np.abs(sa - sb) / np.maximum(sa[:, 1:] - sa[:, :1], 1e-12))) if sa.size else 0.0
    return moved, float(np.abs(a["data"] - b["data"]).mean())


def raw_identical(path: Path, side: int) -> bool:
    """Whether ``read_shrunk`` gives the same pixels and mask by both paths under one stretch (the old path's)."""
    from rsvlm.io.read import SceneReader

    with SceneReader(path) as old:
        want, scaling = old.read_shrunk(side), old.scaling
    with SceneReader(path, scaling=scaling, shrunk=side) as new:
        got = new.read_shrunk(side)
    return np.array_equal(want.data, got.data) and (
        (want.valid is None and got.valid is None) or np.array_equal(want.valid, got.valid))


def scenes(args, tmp: Path) -> None:
    rows, said = [], []
    for layout in args.layouts.split(","):
        kind = "" if args.kind == "rgb" else f"_{args.kind}"
        path = (args.dir or tmp) / f"scene_{args.size}_{layout}{kind}.tif"
        if not path.exists():  # made beside it, then renamed: Ctrl-C in it left half a scene that --dir's next run measured
            part = path.with_name(f".{path.name}.part")
            try:
                make_scene(part, args.size, layout == "tiled", args.kind)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
            part.replace(path)
        old, new = (run_child(path, args.side, n, tmp / f"{layout}_{n}.npz") for n in (False, True))
        for name, r in (("old", old), ("new", new)):
            rows.append([path.name, name, str(r["reads"]), f"{r['pixels'] / 1e6:.0f}", f"{r['decodes']:.2f}",
                         f"{r['wall']:.2f}", f"{r['peak_mb']:.0f}"])
        rows.append([path.name, "old / new", *(f"{old[k] / max(new[k], 1e-9):.1f}"
                                               for k in ("reads", "pixels", "decodes", "wall", "peak_mb"))])
        moved, mean = compare(tmp / f"{layout}_False.npz", tmp / f"{layout}_True.npz")
        said.append(f"- {path.name}: read_shrunk's pixels and mask identical under one stretch: "
                    f"{raw_identical(path, args.side)}; the stretch moved at most {moved:.2%} of a band's range; "
                    f"the scaled image {mean:.4f} on average")
    print(common.markdown_table(["file", "path", "reads", "band Mpx", "decodes", "wall s", "peak MB"], rows, "llrrrrr"))
    print("\n" + "\n".join(said))


def real(args, tmp: Path) -> None:
    realdata = common.realdata_dir()
    if not realdata.is_dir():
        raise SystemExit(f"{realdata} is absent: --only real reads its files (set RSVLM_REALDATA to their folder)")
    import rasterio.shutil

    from rsvlm.io.gdal_source import open_raster

    rows = []
    for folder in REAL_FILES:
        found = sorted(p for p in (realdata / folder).iterdir() if p.suffix.lower() in (".tif", ".tiff", ".png", ".jpg")
                       and "mask" not in p.stem and "label" not in p.stem and "response" not in p.stem)
        if not found:
            continue
        path = tmp / f"{found[0].stem}.tif"  # a GeoTIFF without overviews (PIL's PNG, and overviews: never shared)
        rasterio.shutil.copy(found[0], path, driver="GTiff")
        with open_raster(path) as ds:  # a PNG's copy has no georeferencing: rasterio's warning said so on stderr
            wh = (ds.width, ds.height)
        side = max(max(wh) // args.real_ratio, 64)  # as 2048 of 8000: a few source pixels a read one
        old = run_child(path, side, False, tmp / "old.npz", side // 2)
        new = run_child(path, side, True, tmp / "new.npz", side // 2)
        moved, mean = compare(tmp / "old.npz", tmp / "new.npz")
        alike = [n for n in old["notes"] if not n.startswith("stretch")] == [
            n for n in new["notes"] if not n.startswith("stretch")]
        rows.append([f"{folder}/{found[0].name}", "x".join(map(str, wh)), str(side), f"{moved:.2%}", f"{mean:.4f}",
                     f"{old['decodes']:.1f} / {new['decodes']:.1f}", "yes" if alike else "no"])
    print(common.markdown_table(["file", "px", "side", "stretch moved", "image change", "decodes old / new",
                                 "other notes alike"], rows, "lrrrrrl"))


def main(argv=None) -> None:
    ap = Parser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=8000, help="the scene's side in pixels (default 8000)")
    ap.add_argument("--layouts", default="tiled,striped", help="tiled and/or striped (default both)")
    ap.add_argument("--kind", choices=["rgb", "angle"], default="rgb", help="the scene's bands: 3 uint16 (default), "
                    "or float32 VV, VH and an incidence angle the reader leaves out")
    ap.add_argument("--side", type=int, default=2048, help="read_shrunk's size (default 2048, as predict)")
    ap.add_argument("--dir", type=Path, help="keep the scenes here (made once); default a temporary folder")
    ap.add_argument("--only", choices=["scenes", "real"], help="one table: the large scenes or the real files")
    ap.add_argument("--real-ratio", type=int, default=4, help="--only real: a file's side over the shrunk size "
                    "(default 4, as 8000 over 2048)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--new", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--stats", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child, args.side, args.new, args.out, args.stats)
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "scenes"):
            scenes(args, Path(tmp))
        if args.only in (None, "real"):
            real(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(common.run_script(main))
