"""Whole-scene tiling: windows, merging across tile borders, and the batched runner.

The scene is a synthetic GeoTIFF with coloured objects placed across tile borders; the stand-in
model is a real (if simple) detector: it thresholds each tile it is given and reports connected
components, so objects cut by a tile edge come back cut, as a learned detector's would.
"""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import iter_windows, merge_tile_objects, run_tiled

rasterio = pytest.importorskip("rasterio")
shapely = pytest.importorskip("shapely")
from rasterio.features import rasterize, shapes  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402
from scipy import ndimage  # noqa: E402
from shapely.geometry import Polygon, box, shape  # noqa: E402

W, H, TILE, OVERLAP = 1100, 800, 256, 64
# tile edges along x: starts 0,192,384,576,768,844 / ends 256,448,640,832,1024,1100; along y: 0,192,384,544 / 256,448,640,800
BOXES = [
    [230, 100, 290, 140],  # crosses x=256, whole in the next tile
    [240, 300, 420, 340],  # wider than the overlap: cut in two tiles, whole in one
    [150, 560, 300, 600],  # no tile holds it whole: must come back as the union of its cuts
    [430, 430, 470, 470],  # crosses a tile corner
    [440, 660, 452, 700], [455, 660, 470, 700],  # two neighbours 3 px apart across x=448: stay two
    [1070, 770, 1100, 800],  # in the scene corner (scene edges do not cut)
    [600, 20, 630, 60],  # inside one tile
]
OBBS = [shapely.affinity.rotate(box(600, 200, 690, 230), 30, origin="centroid"),  # crosses x=640
        shapely.affinity.rotate(box(800, 420, 870, 450), -40, origin="centroid"),  # crosses (832, 448)
        shapely.affinity.rotate(box(100, 700, 160, 720), 60, origin="centroid")]
PONDS = [shapely.Point(640, 500).buffer(45), shapely.Point(200, 250).buffer(30),
         shapely.affinity.scale(shapely.Point(1000, 150).buffer(40), 2.0, 0.8)]


def _scene() -> np.ndarray:
    img = np.full((3, H, W), 30, np.uint8)  # (C, H, W)
    for x1, y1, x2, y2 in BOXES:
        img[0, y1:y2, x1:x2] = 220
    for band, geoms in ((1, OBBS), (2, PONDS)):
        m = rasterize([(g, 1) for g in geoms], out_shape=(H, W)).astype(bool)
        img[band][m] = 220
    return img


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiles") / "scene.tif"
    with rasterio.open(path, "w", driver="GTiff", width=W, height=H, count=3, dtype="uint8", crs="EPSG:32633",
                       transform=from_origin(300000, 5000000, 1, 1), tiled=True, blockxsize=128,
                       blockysize=128, compress="deflate") as ds:
        ds.write(_scene())
    return path


def _components(band: np.ndarray):
    lab, n = ndimage.label(band > 0.5)
    return lab, ndimage.find_objects(lab)


def detector(kind_of_pond: str = "mask", calls: list | None = None):
    """Stand-in model: boxes of red blobs, oriented boxes of green ones, masks/polys of blue ones."""
    def predict(images):
        if calls is not None:
            calls.append([im.window for im in images])
        out = []
        for im in images:
            assert im.width <= TILE and im.height <= TILE  # windows, never the scene
            objs = []
            lab, sls = _components(im.data[0])
            for sl in sls:
                objs.append({"kind": "box", "label": "vehicle",
                             "coords": [sl[1].start, sl[0].start, sl[1].stop, sl[0].stop]})
            lab, sls = _components(im.data[1])
            for k in range(1, len(sls) + 1):
                ys, xs = np.nonzero(lab == k)
                corners = np.concatenate([np.stack([xs + dx, ys + dy], 1) for dx in (0, 1) for dy in (0, 1)])
                quad = shapely.MultiPoint(corners).minimum_rotated_rectangle.exterior.coords[:4]
                objs.append({"kind": "obb", "label": "ship", "coords": [list(p) for p in quad]})
            lab, sls = _components(im.data[2])
            for k in range(1, len(sls) + 1):
                m = lab == k
                if kind_of_pond == "mask":
                    objs.append({"kind": "mask", "label": "pond", "mask": m})
                else:
                    for g, _ in shapes(m.astype(np.uint8), mask=m):
                        objs.append({"kind": "poly", "label": "pond", "coords": g["coordinates"][0][:-1]})
            out.append(objs)
        return out
    return predict


def test_iter_windows_cover_the_scene_with_overlap():
    wins = iter_windows(W, H, TILE, OVERLAP)
    assert len(wins) == 6 * 4 and all(w == TILE and h == TILE for _, _, w, h in wins)
    cover = np.zeros((H, W), int)
    for x, y, w, h in wins:
        cover[y : y + h, x : x + w] += 1
    assert cover.min() >= 1
    xs = sorted({x for x, *_ in wins})
    assert all(a + TILE - b >= OVERLAP for a, b in zip(xs, xs[1:])) and xs[-1] + TILE == W
    assert iter_windows(100, 50, 512, 64) == [(0, 0, 100, 50)]
    with pytest.raises(ValueError, match="overlap"):
        iter_windows(100, 100, 64, 64)


def test_each_object_is_found_once_after_merging(scene):
    calls = []
    objs = run_tiled(scene, detector("mask", calls), tile=TILE, overlap=OVERLAP, batch_size=5, progress=False)
    assert [len(c) for c in calls] == [5, 5, 5, 5, 4]  # batches of windows

    boxes = [o for o in objs if o["kind"] == "box"]
    assert len(boxes) == len(BOXES)
    for gt in BOXES:  # one detection per object, equal to the whole object
        ious = [box(*gt).intersection(box(*b["coords"])).area / box(*gt).union(box(*b["coords"])).area
                for b in boxes]
        assert max(ious) > 0.99 and sum(i > 0.1 for i in ious) == 1

    obbs = [Polygon(o["coords"]) for o in objs if o["kind"] == "obb"]
    assert len(obbs) == len(OBBS)
    for gt in OBBS:
        assert max(gt.intersection(p).area / gt.union(p).area for p in obbs) > 0.85

    masks = [o for o in objs if o["kind"] == "mask"]
    assert len(masks) == len(PONDS)
    truth = rasterize([(g, i + 1) for i, g in enumerate(PONDS)], out_shape=(H, W))
    for m in masks:
        x0, y0 = m["offset"]
        full = np.zeros((H, W), bool)
        full[y0 : y0 + m["mask"].shape[0], x0 : x0 + m["mask"].shape[1]] = m["mask"]
        k = np.bincount(truth[full]).argmax()
        np.testing.assert_array_equal(full, truth == k)  # pixel-exact union of the tile masks


def test_duplicates_existed_before_merging(scene):
    per_tile = []
    predict = detector("mask")
    from rsvlm.io import read_window

    for win in iter_windows(W, H, TILE, OVERLAP):
        per_tile.append((win, predict([read_window(scene, win)])[0]))
    n_raw = sum(1 for _, objs in per_tile for o in objs if o["kind"] == "box")
    merged = merge_tile_objects(per_tile, scene_size=(W, H))
    assert n_raw > len(BOXES) + 5  # many cut or repeated views ...
    assert sum(o["kind"] == "box" for o in merged) == len(BOXES)  # ... merged to one each


def test_polygons_of_one_object_are_unioned(scene):
    objs = run_tiled(scene, detector("poly"), tile=TILE, overlap=OVERLAP, batch_size=8, progress=False,
                     prefetch=False)
    polys = [shape({"type": "Polygon", "coordinates": o.get("rings") or [o["coords"]]})
             for o in objs if o["kind"] == "poly"]
    assert len(polys) == len(PONDS)
    truth = rasterize([(g, 1) for g in PONDS], out_shape=(H, W)).astype(bool)
    for gt in PONDS:
        p = max(polys, key=lambda q: q.intersection(gt).area)
        lab, _ = ndimage.label(truth)
        k = lab[int(gt.centroid.y), int(gt.centroid.x)]
        assert p.area == (lab == k).sum()  # pixel outlines of the whole pond


def test_score_wins_over_order_and_points_dedupe():
    a = {"kind": "box", "label": "car", "coords": [10, 10, 50, 50], "score": 0.3}
    b = {"kind": "box", "label": "car", "coords": [11, 10, 51, 50], "score": 0.9}
    c = {"kind": "box", "label": "truck", "coords": [10, 10, 50, 50]}  # other label: kept
    p1 = {"kind": "point", "label": "tree", "coords": [30, 30]}
    p2 = {"kind": "point", "label": "tree", "coords": [32, 31]}
    p3 = {"kind": "point", "label": "tree", "coords": [60, 60]}
    out = merge_tile_objects([((0, 0, 100, 100), [a, c, p1]), ((0, 0, 100, 100), [b, p2, p3])],
                             scene_size=(100, 100))
    cars = [o for o in out if o["label"] == "car"]
    assert len(cars) == 1 and cars[0]["score"] == 0.9
    assert sum(o["label"] == "truck" for o in out) == 1
    assert sorted(tuple(o["coords"]) for o in out if o["kind"] == "point") == [(30, 30), (60, 60)]
    # unscored: the earlier object wins
    out = merge_tile_objects([((0, 0, 100, 100), [dict(a, score=None)]), ((0, 0, 100, 100), [dict(b, score=None)])])
    assert [o["coords"] for o in out] == [a["coords"]]


def test_run_tiled_rejects_a_predict_fn_returning_the_wrong_count(scene):
    with pytest.raises(ValueError, match="returned 0 results for a batch of 4"):
        run_tiled(scene, lambda imgs: [], tile=TILE, overlap=OVERLAP, batch_size=4, progress=False)


def test_a_polygon_without_area_is_kept_not_crashed_on():
    """A model's polygon can be collinear (no area; buffer(0) empties it): the merger kept
    crashing on its NaN bounds (seen on SpaceNet-4 tiles); now it passes through unmerged."""
    flat = {"kind": "poly", "label": "building", "coords": [[10, 10], [20, 20], [30, 30]]}
    sq = {"kind": "poly", "label": "building", "coords": [[40, 40], [60, 40], [60, 60], [40, 60]]}
    sq2 = {"kind": "poly", "label": "building", "coords": [[0, 40], [20, 40], [20, 60], [0, 60]]}
    objs = merge_tile_objects([((0, 0, 64, 64), [flat, sq]), ((40, 0, 64, 64), [sq2])], scene_size=(104, 64))
    assert sum(o["coords"] == flat["coords"] for o in objs) == 1
    merged = [o for o in objs if o["coords"] != flat["coords"]]
    assert len(merged) == 1  # the two squares overlap across tiles and are unioned
    xs = [x for x, _ in merged[0]["coords"]]
    assert (min(xs), max(xs)) == (40, 60)


def test_an_oriented_box_whose_corners_cross_is_merged_not_crashed_on():
    """A model can write an obb's corners out of order, a bow tie; shapely's intersection then
    raised a TopologyException and took the whole tiled prediction down. It is repaired instead."""
    bowtie = {"kind": "obb", "label": "ship", "coords": [[10, 10], [40, 40], [40, 10], [10, 40]], "score": 0.8}
    same = {"kind": "obb", "label": "ship", "coords": [[10, 10], [40, 10], [40, 40], [10, 40]], "score": 0.5}
    other = {"kind": "obb", "label": "ship", "coords": [[11, 11], [39, 11], [39, 39], [11, 39]], "score": 0.4}
    far = {"kind": "obb", "label": "ship", "coords": [[70, 70], [90, 70], [90, 90], [70, 90]], "score": 0.3}
    objs = merge_tile_objects([((0, 0, 100, 100), [bowtie, far]), ((0, 0, 100, 100), [same, other])],
                              scene_size=(100, 100))
    # the bow tie covers half the square (IoU 0.5 with it): the square goes, the smaller copy of it stays
    assert sorted(o["score"] for o in objs) == [0.3, 0.4, 0.8]


def test_tiles_that_are_all_nodata_are_counted_not_asked(tmp_path):
    from rsvlm.io import TileMerger

    path = tmp_path / "collar.tif"
    data = np.zeros((3, 100, 200), np.uint8)  # (C, H, W): the left half is the scene's nodata collar
    data[:, :, 100:] = 120
    with rasterio.open(path, "w", driver="GTiff", width=200, height=100, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32633", transform=from_origin(300000, 5000000, 1, 1)) as ds:
        ds.write(data)
    asked, merger = [], TileMerger()

    def predict(imgs):
        asked.extend(im.window for im in imgs)
        return [[{"kind": "point", "label": "x", "coords": [5.0, 5.0]}] for _ in imgs]

    objs = run_tiled(path, predict, tile=50, overlap=0, batch_size=3, progress=False, merger=merger)
    assert merger.n_nodata == 4 and merger.n_tiles == len(asked) == 4  # the model saw only the valid half
    assert all(x >= 100 for x, *_ in asked) and len(objs) == 4
