"""GeoJSON of the model's invalid polygons (tour 81 P3): a tiled ``[seg]`` of the real SpaceNet-4 scene wrote 11 of
its 18 features as invalid geometry (self-crossing outlines, rings of too few points), 4 of them clockwise, since
no winding of a self-crossing ring is counter-clockwise. Such a polygon is now written repaired (shapely's
make_valid, its polygonal parts), one left with no area is left out, and both are counted in the collection's
notes, the first named; a valid shape is written as before."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REALDATA, realdata_missing

rasterio = pytest.importorskip("rasterio")
shapely = pytest.importorskip("shapely")
from rasterio.transform import from_origin  # noqa: E402
from shapely.geometry import shape  # noqa: E402

from rsvlm.io import objects_to_geojson, pixel_to_map, read_image  # noqa: E402

SPACENET4 = REALDATA / "bldg_spacenet4" / "sample_geotiff.tif"
BOW_TIE = [[0, 0], [10, 10], [10, 0], [0, 10]]  # its edges cross at pixel (5, 5)
ROOF = {"kind": "poly", "label": "roof", "coords": [[10, 10], [30, 10], [30, 20], [10, 20]]}


@pytest.fixture
def img(tmp_path):
    """200x100 px, 2 m pixels, top-left corner at (600000, 5000000) in EPSG:32632."""
    path = tmp_path / "scene.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=100, count=3, dtype="uint8",
                       crs="EPSG:32632", transform=from_origin(600000, 5000000, 2, 2)) as ds:
        ds.write(np.full((3, 100, 200), 80, np.uint8))
    return read_image(path)


def _exteriors(geometry: dict) -> list:
    g = shape(geometry)
    return [p.exterior for p in (g.geoms if g.geom_type == "MultiPolygon" else [g])]


def test_a_bow_tie_is_written_as_two_counter_clockwise_triangles_and_said(img):
    fc = json.loads(json.dumps(objects_to_geojson([ROOF, {"kind": "poly", "label": "bow", "coords": BOW_TIE}], img)))
    geom = shape(fc["features"][1]["geometry"])
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2 and geom.is_valid
    assert all(ring.is_ccw for ring in _exteriors(fc["features"][1]["geometry"]))  # RFC 7946
    assert geom.area == pytest.approx(2 * 0.5 * 10 * 5 * 4)  # two triangles of 10 x 5 px, 4 m² a pixel
    assert fc["features"][1]["properties"] == {"label": "bow", "kind": "poly"}
    [note] = fc["notes"]
    assert note.startswith("GeoJSON: 1 of 2 shapes repaired") and "#2 'bow' (Self-intersection[600010 4999990])" in note


def test_a_polygon_of_two_points_or_on_a_line_is_counted_as_left_out(img):
    objs = [{"kind": "poly", "label": "two", "coords": [[0, 0], [10, 10]]}, ROOF,
            {"kind": "poly", "label": "line", "coords": [[0, 0], [5, 5], [10, 10]]},
            {"kind": "poly", "coords": [[40, 40], [45, 44], [45, 44], [45, 44]]}]  # 4 vertices, 2 of them apart
    fc = objects_to_geojson(objs, img)
    assert [f["properties"]["label"] for f in fc["features"]] == ["roof"]
    [note] = fc["notes"]
    assert note.startswith("GeoJSON: 3 of 4 shapes left out, enclosing no area")
    assert note.endswith("the first #1 'two' (under 3 vertices)")
    line = objects_to_geojson(objs[2:], img)["notes"][0]  # the first of them named by shapely's reason
    assert line.startswith("GeoJSON: 2 of 2 shapes left out") and line.endswith("#1 'line' (Self-intersection[600010 4999990])")
    assert "the first #1 (Too few points" in objects_to_geojson(objs[3:], img)["notes"][0]


def test_valid_shapes_are_written_as_before_with_no_notes(img):
    fc = objects_to_geojson([ROOF, {"kind": "point", "coords": [4, 6]}], img)
    assert "notes" not in fc
    # the ring mapped (pixel y runs south) and turned counter-clockwise, as it was written before
    assert json.dumps(fc["features"][0]["geometry"]) == (
        '{"type": "Polygon", "coordinates": [[[600020.0, 4999980.0], [600020.0, 4999960.0], [600060.0, 4999960.0], '
        '[600060.0, 4999980.0], [600020.0, 4999980.0]]]}')
    beside = objects_to_geojson([ROOF, {"kind": "poly", "coords": BOW_TIE}], img)  # repairs leave the others be
    assert json.dumps(beside["features"][0]) == json.dumps(fc["features"][0])


def test_a_hole_outside_its_shell_is_kept_as_area_not_lost(img):
    obj = {"kind": "poly", "label": "lake", "coords": [[0, 0], [10, 0], [10, 10], [0, 10]],
           "rings": [[[0, 0], [10, 0], [10, 10], [0, 10]], [[20, 20], [20, 30], [30, 30], [30, 20]]]}
    fc = objects_to_geojson([obj], img)
    geom = shape(fc["features"][0]["geometry"])
    assert geom.is_valid and geom.area == pytest.approx(2 * 100 * 4)  # both squares kept, 4 m² a pixel
    assert all(ring.is_ccw for ring in _exteriors(fc["features"][0]["geometry"]))
    assert "#1 'lake' (Hole lies outside shell" in fc["notes"][0]


@pytest.mark.skipif(not SPACENET4.exists(), reason=realdata_missing(SPACENET4))
def test_self_crossing_outlines_on_the_real_spacenet4_scene_come_out_valid_and_counter_clockwise():
    img = read_image(SPACENET4)
    loop = [[100, 100], [160, 100], [160, 140], [130, 90], [100, 140]]  # a roof outline whose edges cross twice
    objs = [{"kind": "poly", "label": "building", "coords": BOW_TIE},
            {"kind": "poly", "label": "building", "coords": loop}, ROOF]
    fc = objects_to_geojson(objs, img)
    assert len(fc["features"]) == 3 and all(shape(f["geometry"]).is_valid for f in fc["features"])
    assert all(r.is_ccw for f in fc["features"] for r in _exteriors(f["geometry"]))
    crossing = pixel_to_map(img, [5.0, 5.0])  # where the bow tie's two triangles meet, on the map
    parts = shape(fc["features"][0]["geometry"]).geoms
    assert all(min(np.hypot(*(np.array(p.exterior.coords) - crossing).T)) < 1e-6 for p in parts)
    assert fc["notes"][0].startswith("GeoJSON: 2 of 3 shapes repaired") and "the first #1 'building'" in fc["notes"][0]
