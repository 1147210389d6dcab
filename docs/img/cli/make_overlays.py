"""Regenerate the overlay PNGs of docs/cli.md from synthetic scenes (no real data: licences).

    .venv/bin/python docs/img/cli/make_overlays.py

Each scene is written as a GeoTIFF in a temp folder and read back with ``rsvlm.io.read_image``
(so the msi composite and the sar dB stretch are the reader's own); objects go through the
geometry codec (encode → decode) so they are quantised exactly as model answers are.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.features import rasterize
from rasterio.transform import from_origin
from scipy import ndimage
from shapely import affinity
from shapely.geometry import Point, Polygon, box

from rsvlm import geometry
from rsvlm.io import draw_overlay, read_image
from rsvlm.io.vis import draw_pair_overlay

OUT = Path(__file__).resolve().parent
RNG = np.random.default_rng(7)


def _write(path, arr, dtype):
    c, h, w = arr.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=dtype, crs="EPSG:32633",
                       transform=from_origin(400000, 5100000, 0.5, 0.5)) as ds:
        ds.write(arr.astype(dtype))
    return path


def _noise(h, w, sigma, scale=1.0):
    return ndimage.gaussian_filter(RNG.standard_normal((h, w)), sigma) * scale


def _decoded(objs, w, h):
    text = geometry.encode(objs, width=w, height=h)
    return geometry.decode(text, width=w, height=h).objects


def optical_boxes(tmp):
    h, w = 360, 480
    img = np.stack([90 + _noise(h, w, 6, 60)] * 3) + np.array([10, 25, 0])[:, None, None]  # grassy ground
    img[:, 150:180, :] = 120  # road
    objs = []
    for x, y, bw, bh in [(40, 40, 90, 70), (170, 30, 70, 90), (300, 50, 120, 60), (60, 220, 80, 100),
                         (330, 230, 100, 90)]:
        img[:, y + 6 : y + bh + 6, x + 6 : x + bw + 6] = 50  # shadow
        img[:, y : y + bh, x : x + bw] = np.array([200, 190, 180])[:, None, None]
        objs.append({"kind": "box", "label": "building", "coords": [x, y, x + bw, y + bh]})
    for x in (30, 120, 250, 400):
        img[:, 157:171, x : x + 26] = np.array([30, 60, 200])[:, None, None]
        objs.append({"kind": "box", "label": "small vehicle", "coords": [x, 157, x + 26, 171]})
    path = _write(tmp / "optical.tif", np.clip(img, 0, 255), "uint8")
    for o, s in zip(objs, np.linspace(0.97, 0.6, len(objs))):
        o["score"] = float(s)
    dec = _decoded(objs, w, h)
    for o, src in zip(dec, objs):
        o["score"] = src["score"]
    draw_overlay(read_image(path), dec, OUT / "overlay_boxes_optical.png", title="[det] optical: boxes with scores")


def optical_obbs(tmp):
    h, w = 360, 480
    water = np.stack([20 + _noise(h, w, 4, 8), 60 + _noise(h, w, 4, 10), 90 + _noise(h, w, 4, 10)])
    img = water.copy()
    img[:, :, :70] = np.array([170, 160, 140])[:, None, None]  # quay
    objs, shapes_ = [], []
    for cx, cy, L, B, ang in [(150, 80, 110, 26, 20), (300, 120, 150, 34, -35), (200, 250, 90, 22, 70),
                              (390, 280, 120, 30, 5)]:
        g = affinity.rotate(box(cx - L / 2, cy - B / 2, cx + L / 2, cy + B / 2), ang, origin="centroid")
        shapes_.append(g)
        objs.append({"kind": "obb", "label": "ship", "coords": [list(p) for p in g.exterior.coords[:4]]})
    m = rasterize([(g, 1) for g in shapes_], out_shape=(h, w)).astype(bool)
    img[:, m] = np.array([235, 235, 230])[:, None]
    path = _write(tmp / "harbour.tif", np.clip(img, 0, 255), "uint8")
    draw_overlay(read_image(path), _decoded(objs, w, h), OUT / "overlay_obbs_optical.png",
                 title="[det] optical: oriented boxes")


def msi_polygons(tmp):
    h, w = 360, 480
    refl = np.empty((4, h, w))  # B02, B03, B04, B08 reflectance
    base = {"bare": (0.10, 0.12, 0.15, 0.22), "crop": (0.04, 0.08, 0.05, 0.40), "water": (0.06, 0.05, 0.03, 0.01)}
    refl[:] = np.array(base["bare"])[:, None, None]
    fields = [Polygon([(30, 30), (220, 20), (230, 160), (40, 170)]), Polygon([(260, 30), (450, 50), (430, 170), (250, 150)]),
              Polygon([(60, 210), (200, 200), (210, 330), (50, 320)])]
    lake = affinity.scale(Point(340, 270).buffer(60, 64), 1.4, 0.9)
    for g, kind in [(f, "crop") for f in fields] + [(lake, "water")]:
        m = rasterize([(g, 1)], out_shape=(h, w)).astype(bool)
        refl[:, m] = np.array(base[kind])[:, None]
    refl += np.stack([_noise(h, w, 2, 0.01)] * 4)
    paths = []
    for k, b in enumerate(["B02", "B03", "B04", "B08"]):
        paths.append(_write(tmp / f"T33_{b}.tif", np.clip(refl[k : k + 1] * 10000, 1, 20000), "uint16"))
    objs = [{"kind": "poly", "label": "crop field", "coords": [list(p) for p in f.exterior.coords[:-1]]}
            for f in fields]
    objs.append({"kind": "poly", "label": "lake", "coords": [list(p) for p in lake.simplify(2).exterior.coords[:-1]]})
    draw_overlay(read_image(paths), _decoded(objs, w, h), OUT / "overlay_polys_msi.png",
                 title="[seg] msi (B04/B03/B02 true colour): polygons")


def sar_masks(tmp):
    h, w = 360, 480
    sigma = np.full((h, w), 0.08)  # land backscatter (intensity)
    sigma *= np.exp(_noise(h, w, 8, 1.5))
    water = rasterize([(affinity.scale(Point(160, 200).buffer(110, 64), 1.2, 0.8), 1)], out_shape=(h, w)).astype(bool)
    sigma[water] = 0.004
    ships = [(120, 180, 30, 8), (200, 230, 24, 7), (170, 150, 20, 6)]
    for x, y, L, B in ships:
        sigma[y : y + B, x : x + L] = 2.0
    urban = rasterize([(box(360, 40, 450, 150), 1)], out_shape=(h, w)).astype(bool)
    sigma[urban] *= 8
    speckle = RNG.gamma(4.0, 1 / 4.0, (h, w))  # 4-look intensity speckle
    amp = np.sqrt(sigma * speckle) * 1000  # uint16 amplitude DN, as in a GRD
    path = _write(tmp / "grd.tif", amp[None], "uint16")
    img = read_image(path, modality="sar")
    grid = {"form": "grid", "budget": 400}  # grid run-length masks (the codec's default form is polygons)
    objs = [{"kind": "mask", "label": "water", "mask": water & ~rasterize(
        [(box(x, y, x + L, y + B), 1) for x, y, L, B in ships], out_shape=(h, w)).astype(bool), **grid},
            {"kind": "mask", "label": "built-up", "mask": urban, **grid}]
    objs += [{"kind": "box", "label": "ship", "coords": [x - 2, y - 2, x + L + 2, y + B + 2]} for x, y, L, B in ships]
    draw_overlay(img, _decoded(objs, w, h), OUT / "overlay_masks_sar.png", title="[seg] sar (dB stretch): masks")


def ir_points(tmp):
    h, w = 300, 400
    t = 290 + _noise(h, w, 10, 60)  # brightness temperature (K)
    spots = [(80, 60), (230, 140), (330, 240), (150, 230)]
    yy, xx = np.mgrid[:h, :w]
    for x, y in spots:
        t += 25 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 30)
    path = _write(tmp / "thermal.tif", (t * 100)[None], "uint16")
    objs = [{"kind": "point", "label": "hot spot", "coords": [x, y]} for x, y in spots]
    draw_overlay(read_image(path, modality="ir"), _decoded(objs, w, h), OUT / "overlay_points_ir.png",
                 title="[det] ir (inferno): points")


def optical_pair(tmp):
    h, w = 240, 320
    ground = np.stack([95 + _noise(h, w, 6, 40)] * 3) + np.array([15, 25, 0])[:, None, None]  # grass
    ground[:, 100:120, :] = 125  # road
    before, after = ground.copy(), ground.copy()
    for img in (before, after):  # standing in both
        img[:, 30:80, 30:100] = np.array([190, 180, 170])[:, None, None]
    new = [(150, 30, 60, 50), (230, 35, 60, 45), (170, 150, 80, 60)]  # built between the two dates
    for x, y, bw, bh in new:
        after[:, y + 5 : y + bh + 5, x + 5 : x + bw + 5] = 55  # shadow
        after[:, y : y + bh, x : x + bw] = np.array([225, 225, 235])[:, None, None]  # new roofs
    before[:, 140:220, 160:260] = np.array([150, 130, 95])[:, None, None]  # a cleared plot
    paths = [_write(tmp / f"{n}.tif", np.clip(a, 0, 255), "uint8") for n, a in (("before", before), ("after", after))]
    changed = np.zeros((h, w), bool)
    for x, y, bw, bh in new:
        changed[y : y + bh, x : x + bw] = True
    objs = [{"kind": "mask", "label": "new building", "mask": changed, "form": "grid", "budget": 400}]
    draw_pair_overlay(*(read_image(p) for p in paths), _decoded(objs, w, h), OUT / "overlay_pair_optical.png",
                      title="[change] optical pair: before and after side by side", captions=("before", "after"),
                      min_side=384)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for fn in (optical_boxes, optical_obbs, msi_polygons, sar_masks, ir_points, optical_pair):
            fn(tmp)
    print("\n".join(sorted(str(p.relative_to(OUT.parents[2])) for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
