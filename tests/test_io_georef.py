"""Pixel ↔ map and GeoJSON: exact on a synthetic GeoTIFF, inside the raster on real ones."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rsvlm.io import map_to_pixel, objects_to_geojson, objects_with_map_coords, pixel_to_map, read_image

rasterio = pytest.importorskip("rasterio")
shapely = pytest.importorskip("shapely")
from rasterio.control import GroundControlPoint  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402
from shapely.geometry import box as sbox  # noqa: E402
from shapely.geometry import shape  # noqa: E402


@pytest.fixture
def geotiff(tmp_path):
    """200x100 px, 2 m pixels, top-left corner at (600000, 5000000) in EPSG:32632."""
    path = tmp_path / "scene.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=100, count=3, dtype="uint8",
                       crs="EPSG:32632", transform=from_origin(600000, 5000000, 2, 2)) as ds:
        ds.write(np.full((3, 100, 200), 80, np.uint8))
    return path


def test_pixel_to_map_is_exact_for_an_affine_geotiff(geotiff):
    img = read_image(geotiff)
    np.testing.assert_array_equal(pixel_to_map(img, [0, 0]), [600000, 5000000])
    np.testing.assert_array_equal(pixel_to_map(img, [[10.5, 20.25], [200, 100]]),
                                  [[600021, 4999959.5], [600400, 4999800]])
    np.testing.assert_allclose(map_to_pixel(img, [[600021, 4999959.5]]), [[10.5, 20.25]])
    assert pixel_to_map(img.transform, [1, 1]).tolist() == [600002, 4999998]


def test_geojson_features_have_exact_map_coordinates(geotiff):
    img = read_image(geotiff)
    mask = np.zeros((100, 200), bool)
    mask[10:20, 50:60] = True  # 10x10 px block at x 50..60, y 10..20
    objs = [
        {"kind": "box", "label": "ship", "coords": [10, 20, 30, 40], "score": 0.8},
        {"kind": "obb", "label": "car", "coords": [[100, 10], [110, 15], [105, 25], [95, 20]]},
        {"kind": "point", "label": "well", "coords": [4, 6]},
        {"kind": "poly", "label": "lake", "coords": [[0, 50], [40, 50], [40, 90], [0, 90]],
         "rings": [[[0, 50], [40, 50], [40, 90], [0, 90]], [[10, 60], [10, 70], [20, 70], [20, 60]]]},
        {"kind": "mask", "label": "field", "mask": mask},
    ]
    fc = json.loads(json.dumps(objects_to_geojson(objs, img)))  # serialisable as it is
    assert fc["type"] == "FeatureCollection" and fc["crs"]["properties"]["name"].endswith("EPSG::32632")
    f_box, f_obb, f_pt, f_poly, f_mask = fc["features"]
    assert f_box["properties"] == {"label": "ship", "kind": "box", "score": 0.8}
    assert shape(f_box["geometry"]).equals(sbox(600020, 4999920, 600060, 4999960))
    ring = f_box["geometry"]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw  # RFC 7946 orientation
    assert f_pt["geometry"] == {"type": "Point", "coordinates": [600008.0, 4999988.0]}
    assert {tuple(p) for p in f_obb["geometry"]["coordinates"][0]} == {
        (600200.0, 4999980.0), (600220.0, 4999970.0), (600210.0, 4999950.0), (600190.0, 4999960.0)}
    lake = shape(f_poly["geometry"])
    assert len(lake.interiors) == 1 and lake.area == 80 * 80 - 20 * 20
    assert shape(f_mask["geometry"]).equals(sbox(600100, 4999960, 600120, 4999980))


def test_objects_get_map_coordinates_for_tables(geotiff):
    img = read_image(geotiff)
    mask = np.zeros((100, 200), bool)
    mask[10:20, 50:60] = True
    out = objects_with_map_coords([{"kind": "point", "label": "a", "coords": [4, 6]},
                                   {"kind": "box", "label": "b", "coords": [10, 20, 30, 40]},
                                   {"kind": "mask", "label": "c", "mask": mask}], img)
    assert out[0]["map_coords"] == [600008.0, 4999988.0] and out[0]["coords"] == [4, 6]
    assert out[1]["map_coords"] == [[600020, 4999960], [600060, 4999960], [600060, 4999920], [600020, 4999920]]
    assert out[2]["map_coords"][0] == [600100, 4999980] and out[2]["map_coords"][2] == [600120, 4999960]


def test_decoded_grid_mask_objects_export(geotiff):
    from rsvlm import geometry

    img = read_image(geotiff)
    mask = np.zeros((100, 200), bool)
    mask[40:60, 100:140] = True
    text = geometry.encode([{"kind": "mask", "label": "roof", "mask": mask}], width=200, height=100)
    decoded = geometry.decode(text, width=200, height=100).objects
    feat = objects_to_geojson(decoded, img)["features"][0]
    assert feat["properties"]["label"] == "roof"
    assert shape(feat["geometry"]).symmetric_difference(sbox(600200, 4999880, 600280, 4999920)).area <= 2 * 2 * 40


def test_not_georeferenced_images_are_refused(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "plain.png")
    img = read_image(tmp_path / "plain.png")
    with pytest.raises(ValueError, match=r"plain\.png.*not georeferenced"):
        objects_to_geojson([{"kind": "point", "coords": [1, 1]}], img)
    with pytest.raises(ValueError, match="not georeferenced"):
        pixel_to_map(img, [1, 1])


def test_gcp_referenced_image_maps_through_its_gcps(tmp_path):
    # GCPs of an affine grid (lon = 10 + 0.01 x, lat = 50 - 0.01 y): the GCP fit must reproduce it
    gcps = [GroundControlPoint(row=r, col=c, x=10 + 0.01 * c, y=50 - 0.01 * r, z=0.0)
            for r in (0, 50, 100) for c in (0, 60, 120)]
    path = tmp_path / "grd.tif"
    with rasterio.open(path, "w", driver="GTiff", width=120, height=100, count=1, dtype="uint16") as ds:
        ds.write(np.full((1, 100, 120), 300, np.uint16))
        ds.gcps = (gcps, rasterio.crs.CRS.from_epsg(4326))
    img = read_image(path)
    assert img.modality == "sar" and img.transform is None and img.crs == "EPSG:4326"
    np.testing.assert_allclose(pixel_to_map(img, [[30, 40], [0, 0]]), [[10.3, 49.6], [10.0, 50.0]], atol=1e-9)
    np.testing.assert_allclose(map_to_pixel(img, [[10.3, 49.6]]), [[30, 40]], atol=1e-6)
    feat = objects_to_geojson([{"kind": "box", "label": "ship", "coords": [30, 40, 50, 60]}], img)["features"][0]
    assert shape(feat["geometry"]).normalize().equals_exact(sbox(10.3, 49.4, 10.5, 49.6).normalize(), 1e-9)
    from rsvlm.io import read_window

    win = read_window(path, (30, 40, 40, 40))  # windows keep their GCPs, shifted to window pixels
    np.testing.assert_allclose(pixel_to_map(win, [0, 0]), [10.3, 49.6], atol=1e-9)


# ------------------------------------------------------------------ real fixtures


def _bounds_polygon(path):
    with rasterio.open(path) as ds:
        return sbox(*ds.bounds), ds.crs.to_epsg()


@pytest.mark.realdata
def test_real_spacenet_building_footprints_round_trip_inside_the_raster(realdata):
    tif = realdata / "bldg_spacenet4" / "sample_geotiff.tif"
    labels = json.loads((realdata / "bldg_spacenet4" / "geotiff_labels.geojson").read_text())
    img = read_image(tif, modality="optical")
    objs = []
    for f in labels["features"]:
        g = shape(f["geometry"])
        g = g if g.geom_type == "Polygon" else max(g.geoms, key=lambda p: p.area)
        px = map_to_pixel(img, np.asarray(g.exterior.coords)[:-1, :2])
        objs.append({"kind": "poly", "label": "building", "coords": px.tolist()})
        x1, y1 = px.min(axis=0)
        x2, y2 = px.max(axis=0)
        objs.append({"kind": "box", "label": "building", "coords": [x1, y1, x2, y2]})
    inside = [o for o in objs if o["kind"] == "box" and 0 <= o["coords"][0] and o["coords"][2] <= img.width
              and 0 <= o["coords"][1] and o["coords"][3] <= img.height]
    assert len(inside) >= 30  # the labels do lie on this image
    fc = objects_to_geojson(objs, img)
    bounds, epsg = _bounds_polygon(tif)
    assert fc["crs"]["properties"]["name"].endswith(f"EPSG::{epsg}") and epsg == 32616
    polys = [shape(f["geometry"]) for f in fc["features"] if f["properties"]["kind"] == "poly"]
    for f, g in zip(labels["features"], polys):  # pixel → map reproduces the source footprints
        src = shape(f["geometry"])
        src = src if src.geom_type == "Polygon" else max(src.geoms, key=lambda p: p.area)
        assert g.symmetric_difference(src).area < 1e-6 * max(src.area, 1)
    boxes = [shape(f["geometry"]) for f in fc["features"] if f["properties"]["kind"] == "box"]
    n_in = sum(bounds.buffer(1e-6).contains(b) for b in boxes)
    assert n_in == len(inside)


@pytest.mark.realdata
def test_real_detectree_tree_mask_lands_inside_the_raster(realdata):
    tif = realdata / "seg_detectree" / "1091-322_00_img.tif"
    with rasterio.open(realdata / "seg_detectree" / "1091-322_00_response.tif") as ds:
        trees = ds.read(1) > 0
    img = read_image(tif)
    objs = [{"kind": "mask", "label": "tree", "mask": trees},
            {"kind": "box", "label": "patch", "coords": [0, 0, img.width, img.height]},
            {"kind": "point", "label": "centre", "coords": [img.width / 2, img.height / 2]}]
    fc = objects_to_geojson(objs, img)
    bounds, epsg = _bounds_polygon(tif)
    assert epsg == 2056
    geoms = [shape(f["geometry"]) for f in fc["features"]]
    assert all(bounds.buffer(1e-6).contains(g) for g in geoms)
    assert geoms[1].normalize().equals_exact(bounds.normalize(), 1e-6)
    assert np.isclose(geoms[0].area, trees.sum() * 0.5 * 0.5)  # 0.5 m pixels


@pytest.mark.realdata
def test_real_sentinel1_grd_features_fall_inside_its_gcp_footprint(realdata):
    img = read_image(realdata / "sar_s1grd" / "iw-vv.tiff")
    fc = objects_to_geojson([{"kind": "box", "label": "ship", "coords": [100, 100, 140, 130]},
                             {"kind": "point", "label": "p", "coords": [1000, 700]}], img)
    footprint = shapely.MultiPoint([(g.x, g.y) for g in img.gcps]).convex_hull
    assert all(footprint.contains(shape(f["geometry"])) for f in fc["features"])
