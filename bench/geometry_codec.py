"""Mask fidelity of the geometry codec on real masks: location tokens per instance vs IoU.

    .venv/bin/python bench/geometry_codec.py [--realdata DIR] [--budgets 16,32,64,128,256] [--out results.json]

Reads four real masks from the shared real-data folder (skips, exit 0, where the default folder is
absent; a --realdata given that is not there, or lacks a file, is a usage error):
SpaceNet-4 building footprints rasterised onto their GeoTIFF, the detectree tree mask, the HRSID
ship mask and the LEVIR-CD change mask. Each mask goes mask -> objects -> text -> decode ->
raster for both forms at each budget, plus a baseline in the same run: each instance's
horizontal box (4 location tokens). ``vs box`` is the form's mean IoU over the baseline's. The
milliseconds are timed after one untimed round trip of each kind.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from common import check_out, markdown_table, realdata_dir, run_script, write_json

from rsvlm.argparsing import Parser

FORMS = [("poly", True), ("grid", True), ("grid", False)]  # (form, per_instance)


NEEDED = ("bldg_spacenet4/sample_geotiff.tif", "bldg_spacenet4/geotiff_labels.geojson",
          "seg_detectree/1091-322_00_response.tif", "sar_hrsid/P0008_0_800_9000_9800_mask.png",
          "cd_levir/test_7_0256_0512_label.png")  # the real-data files load_masks reads


def load_masks(root: Path) -> dict[str, np.ndarray]:
    """name -> (H, W) bool mask, from the ``NEEDED`` files under ``root``."""
    import rasterio.features
    from PIL import Image

    from rsvlm.io.gdal_source import open_raster  # rasterio.open without its NotGeoreferencedWarning

    out = {}
    tif, gj = root / "bldg_spacenet4/sample_geotiff.tif", root / "bldg_spacenet4/geotiff_labels.geojson"
    with open_raster(tif) as src:
        feats = json.loads(gj.read_text())["features"]
        out["buildings (SpaceNet-4)"] = rasterio.features.rasterize(
            [(f["geometry"], 1) for f in feats], out_shape=(src.height, src.width), transform=src.transform, dtype="uint8"
        ).astype(bool)
    with open_raster(root / "seg_detectree/1091-322_00_response.tif") as src:  # a mask with no georeferencing
        out["trees (detectree)"] = src.read(1) > 0
    ships = np.asarray(Image.open(root / "sar_hrsid/P0008_0_800_9000_9800_mask.png").convert("RGB"))
    out["ships (HRSID)"] = ships[..., 1] > 127
    out["change (LEVIR-CD)"] = np.asarray(Image.open(root / "cd_levir/test_7_0256_0512_label.png").convert("L")) > 127
    return out


def box_baseline(mask: np.ndarray) -> dict:
    """Each instance written as its horizontal bounding box, round-tripped through the codec."""
    from scipy import ndimage

    from rsvlm import geometry
    from rsvlm.geometry import masks

    h, w = mask.shape
    lab, _ = masks.instances(mask)
    objs = [{"kind": "box", "label": None, "coords": [s[1].start, s[0].start, s[1].stop, s[0].stop]}
            for s in ndimage.find_objects(lab)]
    text = geometry.encode(objs, w, h)
    pred = geometry.objects_to_mask(geometry.decode(text, w, h).objects, w, h)
    ious = masks.instance_ious(mask, pred)
    return {"instances": len(ious), "loc_tokens": text.count("<loc_"), "tokens": text.count("<"),
            "mean_iou": float(np.mean(ious)), "mask_iou": geometry.mask_iou(mask, pred), "problems": []}


def main(argv=None) -> int:
    from rsvlm.geometry import masks
    from rsvlm.progress import bar

    default = realdata_dir()
    ap = Parser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=None, help=f"the real-data folder (default {default})")
    ap.add_argument("--budgets", default="16,32,64,128,256",
                    help="location-token budgets of the polygon and grid forms, comma-separated (default "
                         "16,32,64,128,256)")
    ap.add_argument("--out", help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    if args.realdata is None and not default.is_dir():  # the default's absence is a skip, a folder given is not
        print(f"skipped: real-data folder {default} not found (pass --realdata or set RSVLM_REALDATA)")
        return 0
    try:
        budgets = [int(b) for b in args.budgets.split(",")]
    except ValueError:
        budgets = []
    if not budgets or min(budgets) < 8:  # else a traceback from int() or from round_trip, after loading
        ap.error(f"--budgets {args.budgets!r}: give location-token budgets of 8 or more separated by commas")
    args.realdata = args.realdata or default
    if not args.realdata.is_dir():
        ap.error(f"--realdata {args.realdata}: no such folder")
    check_out(ap, args.out, {"realdata": [args.realdata / f for f in NEEDED]})  # before the work; not a file it reads
    if missing := [f for f in NEEDED if not (args.realdata / f).is_file()]:  # else a RasterioIOError traceback
        ap.error(f"--realdata {args.realdata}: missing {', '.join(missing)}")
    data = load_masks(args.realdata)
    rows = []
    jobs = [(name, f, b) for name in data for f in FORMS for b in budgets]
    first = next(iter(data.values()))  # untimed: the first calls' imports and one-off costs are no row's
    box_baseline(first)
    masks.round_trip(first, FORMS[0][0], budgets[0], per_instance=FORMS[0][1])
    for name in data:
        t = time.perf_counter()
        r = box_baseline(data[name])
        rows.append({"mask": name, "form": "box (baseline)", "budget": 4, **r, "seconds": time.perf_counter() - t})
    base = {r["mask"]: r["mean_iou"] for r in rows}
    for name, (form, per_inst), budget in bar(jobs, desc="round trips"):
        t = time.perf_counter()
        r = masks.round_trip(data[name], form, budget, per_instance=per_inst)
        label = form if form == "poly" else f"grid/{'instance' if per_inst else 'whole mask'}"
        rows.append({"mask": name, "form": label, "budget": budget, **r, "seconds": time.perf_counter() - t})
        if r["problems"]:
            print(f"{name} {label} {budget}: decode problems {r['problems'][:3]}", file=sys.stderr)
    rows.sort(key=lambda r: (list(data).index(r["mask"]), r["form"] != "box (baseline)", r["form"], r["budget"]))

    table = []
    for r in rows:
        n = max(r["instances"], 1)
        table.append([r["mask"], r["form"], str(r["budget"]), str(r["instances"]), f"{r['loc_tokens'] / n:.1f}",
                      f"{r['tokens'] / n:.1f}", f"{r['mean_iou']:.3f}", f"{r['mask_iou']:.3f}",
                      f"{r['mean_iou'] / base[r['mask']]:.2f}", f"{1000 * r['seconds']:.0f}"])
    print(markdown_table(["mask", "form", "budget", "instances", "loc tokens / inst", "all tokens / inst", "mean IoU",
                          "mask IoU", "vs box", "ms (round trip + IoU)"], table))
    if args.out:
        write_json(args.out, rows)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
