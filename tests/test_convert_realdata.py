"""Converters on the real fixtures in ../shared/realdata: the records decode back to the source
geometry within one quantisation bin (skipped where the folder is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from data_gen.convert import convert as run_convert
from rsvlm import geometry
from rsvlm.data.records import load_records

pytestmark = pytest.mark.realdata


def convert(tmp_path: Path, *argv: str) -> tuple[dict, list[dict]]:
    out = tmp_path / "out"
    stats = run_convert([argv[0], "--out", str(out), *argv[1:]])
    records, report = load_records(out / "records.jsonl", strict=True)  # the project's own validator
    assert report.n_ok == stats["records"] == len(records)
    assert json.loads((out / "stats.json").read_text()) == stats
    for r in records:
        for im in r["images"]:
            assert (out / im["path"]).is_file()
    return stats, records


def answer(rec: dict) -> str:
    return rec["conversations"][-1]["value"]


def decoded(rec: dict) -> list[dict]:
    d = geometry.decode(answer(rec), rec["meta"]["width"], rec["meta"]["height"])
    assert d.problems == []
    return d.objects


def quad_error(a, b) -> tuple[float, float]:
    """Largest x and y corner distance between two quads, best over the corner rotations."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    errs = [np.abs(np.roll(a, k, axis=0) - b).max(axis=0) for k in range(4)]
    return tuple(min(errs, key=lambda e: e.max()))


def ring_errors(dec, src) -> tuple[float, float]:
    """Largest distance (x, y) from each decoded vertex to the nearest source vertex and back."""
    dec, src = np.asarray(dec, float), np.asarray(src, float)
    d = np.abs(dec[:, None, :] - src[None, :, :])  # (n_dec, n_src, 2)
    cheb = d.max(axis=2)
    i = cheb.argmin(axis=1)
    j = cheb.argmin(axis=0)
    fwd = d[np.arange(len(dec)), i].max(axis=0)
    back = d[j, np.arange(len(src))].max(axis=0)
    return tuple(np.maximum(fwd, back))


def test_dota_p1888_obb_and_boxes_within_one_bin(realdata, tmp_path):
    stats, recs = convert(tmp_path, "dota", "--src", str(realdata / "obb_dota"))
    assert stats["skipped_total"] == 0 and stats["tasks"] == {"det": 2}
    src = []
    for line in (realdata / "obb_dota" / "P1888.txt").read_text().splitlines()[2:]:
        p = line.split()
        src.append((p[8].replace("-", " "), [[float(p[i]), float(p[i + 1])] for i in range(0, 8, 2)]))
    src.sort(key=lambda s: s[0])  # records group objects by class, stable within a class
    w, h = 712, 557
    by_id = {r["id"]: r for r in recs}
    obbs = decoded(by_id["dota-P1888-det-obb"])
    boxes = decoded(by_id["dota-P1888-det-box"])
    assert len(obbs) == len(boxes) == len(src) == 64
    assert sum(o["label"] == "large vehicle" for o in obbs) == 50
    for (label, quad), o, b in zip(src, obbs, boxes):
        assert o["kind"] == "obb" and o["label"] == label == b["label"]
        ex, ey = quad_error(o["coords"], quad)
        assert ex <= w / 1000 and ey <= h / 1000, (label, quad, o["coords"])
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        assert np.allclose(b["coords"], [min(xs), min(ys), max(xs), max(ys)], atol=w / 1000)


def test_dota_p1888_tiled_keeps_geometry_in_tile_coordinates(realdata, tmp_path):
    stats, recs = convert(tmp_path, "dota", "--src", str(realdata / "obb_dota"), "--tile", "400", "--overlap", "100")
    assert stats["notes"]["tiles"] >= 2
    from PIL import Image

    for r in recs:
        x0, y0, x1, y1 = r["meta"]["tile"]
        with Image.open(tmp_path / "out" / r["images"][0]["path"]) as im:
            assert im.size == (x1 - x0, y1 - y0) == (r["meta"]["width"], r["meta"]["height"])
        for o in decoded(r):
            pts = np.asarray(o["coords"] if o["kind"] == "obb" else [o["coords"][:2], o["coords"][2:]])
            assert pts.min() >= 0 and (pts[:, 0] <= x1 - x0).all() and (pts[:, 1] <= y1 - y0).all()


def _mask_checks(rec: dict, mask: np.ndarray, label: str) -> float:
    """Decoded polygons = the codec's traces of ``mask`` within one bin; returns IoU with ``mask``."""
    h, w = mask.shape
    objs = decoded(rec)
    src = geometry.mask_to_objects(mask, label, form="poly")
    assert len(objs) == len(src) > 0
    assert all(o["label"] == label for o in objs)
    srcs = sorted(src, key=lambda o: (min(p[1] for p in o["coords"]), min(p[0] for p in o["coords"])))
    decs = sorted(objs, key=lambda o: (min(p[1] for p in o["coords"]), min(p[0] for p in o["coords"])))
    for d, s in zip(decs, srcs):
        ex, ey = ring_errors(d["coords"], s["coords"])
        assert ex <= w / 1000 + 1e-9 and ey <= h / 1000 + 1e-9
    return geometry.mask_iou(geometry.objects_to_mask(objs, w, h), mask)


def test_levir_cd_pair(realdata, tmp_path):
    from PIL import Image
    from scipy import ndimage

    stats, recs = convert(tmp_path, "levir-cd", "--src", str(realdata / "cd_levir"))
    assert stats["tasks"] == {"change": 2}
    mask = np.asarray(Image.open(realdata / "cd_levir" / "test_7_0256_0512_label.png")) > 0
    desc, seg = sorted(recs, key=lambda r: "poly" in r["id"])
    assert [im["path"].endswith(s) for im, s in zip(desc["images"], ("_A.png", "_B.png"))] == [True, True]
    assert desc["conversations"][0]["value"].startswith("<image>\n<image>\n[change]")
    n = ndimage.label(mask)[1]
    assert answer(desc).startswith(f"{n} building areas changed, covering {100 * mask.mean():.1f}%")
    iou = _mask_checks(seg, mask, "building")
    print(f"LEVIR-CD change polygons vs label mask IoU = {iou:.3f}")
    assert iou > 0.8


def test_detectree_tree_mask(realdata, tmp_path):
    import rasterio

    d = realdata / "seg_detectree"
    stats, recs = convert(tmp_path, "masks", "--images", str(d / "1091-322_00_img.tif"),
                          "--labels", str(d / "1091-322_00_response.tif"), "--binary", "tree")
    (rec,) = recs
    with rasterio.open(d / "1091-322_00_response.tif") as ds:
        mask = ds.read(1) > 0
    with rasterio.open(d / "1091-322_00_img.tif") as ds:
        assert rec["images"][0]["crs"] == ds.crs.to_string()
        assert rec["images"][0]["transform"] == list(ds.transform)[:6]
    iou = _mask_checks(rec, mask, "tree")
    print(f"detectree tree polygons vs mask IoU = {iou:.3f}")
    assert iou > 0.7
    folder_stats, folder_recs = convert(tmp_path / "folder", "masks", "--images", str(d), "--labels", str(d),
                                        "--binary", "tree")  # X_img.tif beside X_response.tif
    assert folder_stats["skipped_total"] == 0 and [r["conversations"] for r in folder_recs] == [r["conversations"] for r in recs]


def test_hrsid_ship_masks(realdata, tmp_path):
    from PIL import Image

    d = realdata / "sar_hrsid"
    stats, recs = convert(tmp_path, "masks", "--images", str(d), "--labels", str(d),  # one folder for both
                          "--preset", "hrsid", "--modality", "sar")
    (rec,) = recs
    assert stats["skipped_total"] == 0 and rec["images"][0]["modality"] == "sar"
    mask = np.all(np.asarray(Image.open(d / "P0008_0_800_9000_9800_mask.png").convert("RGB")) == [0, 255, 0], axis=-1)
    iou = _mask_checks(rec, mask, "ship")
    print(f"HRSID ship polygons vs mask IoU = {iou:.3f}")
    assert iou > 0.7


def test_spacenet_footprints_to_pixels(realdata, tmp_path):
    import rasterio
    from shapely.geometry import Polygon, box

    d = realdata / "bldg_spacenet4"
    stats, recs = convert(tmp_path, "geojson", "--images", str(d / "sample_geotiff.tif"),
                          "--labels", str(d / "geotiff_labels.geojson"))
    with rasterio.open(d / "sample_geotiff.tif") as ds:
        inv, w, h = ~ds.transform, ds.width, ds.height
    feats = json.loads((d / "geotiff_labels.geojson").read_text())["features"]
    image = box(0, 0, w, h)
    src = []
    for f in feats:  # independent projection: map → pixel through the inverse affine transform
        ring = [inv @ (x, y) for x, y, *_ in f["geometry"]["coordinates"][0]]
        p = Polygon(ring)
        if p.intersection(image).area >= 0.5 * p.area:
            src.append(p.intersection(image))
    assert len(src) + stats["skipped"].get("mostly_outside_image", 0) == len(feats) == 43
    by_task = {r["task"]: r for r in recs}
    assert by_task["det"]["images"][0]["crs"] == "EPSG:32616"
    polys = decoded(by_task["seg"])
    assert len(polys) == len(src)
    for s in src:
        best = max(polys, key=lambda o: geometry.polygon_iou(o["coords"], s))
        ex, ey = ring_errors(best["coords"], list(s.exterior.coords)[:-1])
        assert ex <= w / 1000 + 1e-6 and ey <= h / 1000 + 1e-6
    boxes = decoded(by_task["det"])
    for s in src:
        assert min(np.abs(np.subtract(b["coords"], s.bounds)).max() for b in boxes) <= w / 1000 + 1e-6


def test_rsivqa_answers_preserved(realdata, tmp_path):
    from PIL import Image

    txt = realdata / "vqa_rsivqa" / "rsicd_vqa.txt"
    lines = txt.read_text().splitlines()
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    names = sorted({ln.split(":", 1)[0] for ln in lines[:400]})
    for n in names:  # stand-in images: RSIVQA ships no pixels here, only the Q/A text
        Image.new("RGB", (8, 6)).save(imgs / n)
    stats, recs = convert(tmp_path, "rsivqa", "--src", str(txt), "--images", str(imgs))
    assert stats["records"] + stats["skipped"]["missing_image"] == len(lines)
    by_line = {int(r["meta"]["file"].rsplit(":", 1)[1]): r for r in recs}
    assert len(by_line) >= 400
    for n, r in by_line.items():
        name, rest = lines[n - 1].split(":", 1)
        q, a = rest.rsplit("?", 1)
        assert r["conversations"][0]["value"] == f"<image>\n[vqa] {q}?" and answer(r) == a
        assert r["images"][0]["path"] == f"images/{name}"


def test_rsivqa_church_against_real_image(realdata, tmp_path):
    stats, recs = convert(tmp_path, "rsivqa", "--src", str(realdata / "vqa_rsivqa" / "rsicd_vqa.txt"),
                          "--images", str(realdata / "cls_aid"))
    (rec,) = recs
    assert answer(rec) == "church" and rec["meta"]["file"].endswith(":2219")
    assert stats["notes"]["image_found_by_stem"] == 1  # church_183.jpg in the text, .png on disk


def test_llava_derived(realdata, tmp_path):
    src = json.loads((realdata / "vqa_llava_derived" / "sample_llava_derived.json").read_text())
    stats, recs = convert(tmp_path, "llava", "--src", str(realdata / "vqa_llava_derived" / "sample_llava_derived.json"),
                          "--images", str(realdata), "--task", "vqa")
    assert stats["tasks"] == {"vqa": 2}
    for s, r in zip(src, recs):
        assert r["id"] == s["id"]
        assert [t["value"] for t in r["conversations"]] == [t["value"] for t in s["conversations"]]
        assert Path(r["images"][0]["path"]).name == Path(s["image"]).name
    assert recs[1]["meta"]["width"] == 712 and recs[1]["meta"]["height"] == 557
