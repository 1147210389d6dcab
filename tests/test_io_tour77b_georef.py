"""Georeferencing tour 77b: the library's pixel → map conversion checked against rasterio's transform on every real
GeoTIFF (whole, a window, shrunk), on rotated, sheared and south-up transforms, on GCPs alone and on an image with
none; GCP-referenced scenes map through GDAL's thin-plate spline, exact at each GCP (its polynomial was 190 m off on
the real Sentinel-1 GRD)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from affine import Affine  # noqa: E402
from rasterio.control import GroundControlPoint  # noqa: E402
from rasterio.transform import GCPTransformer  # noqa: E402

from rsvlm.io.georef import map_to_pixel, objects_to_geojson, pixel_to_map  # noqa: E402
from rsvlm.io.read import SceneReader, read_image  # noqa: E402
from tests.test_io_tour78_georef import swath  # noqa: E402  (10 x 10 GCPs bent as a swath is)

REAL = REALDATA
AFFINE = ["bldg_spacenet4/sample_geotiff.tif", "ir_landsat8/LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF",
          "msi_landsat7/RGB.byte.tif", "msi_rgbn/rgbn_suba.tif", "msi_s2/B02.jp2", "sar_spacenet6/sar_hh.tif",
          "seg_detectree/1091-322_00_img.tif"]
S1 = REAL / "sar_s1grd" / "iw-vv.tiff"
CM = 0.01  # metres: every affine real file is in a projected CRS


def _points(w: int, h: int, n: int = 40) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.stack([rng.uniform(0, w, n), rng.uniform(0, h, n)], -1)  # (n, 2) continuous pixel x, y


def _rasterio_xy(t: Affine, pts: np.ndarray) -> np.ndarray:
    return np.array([t @ (x, y) for x, y in pts])


def _check_reads(path, t: Affine, tol: float) -> None:
    """Whole, a window, shrunk and overview reads of ``path`` map pixels as ``t`` does, corners and centres."""
    with SceneReader(path) as scene:
        W, H = scene.width, scene.height
        pts, whole = _points(W, H), scene.read()
        assert np.abs(pixel_to_map(whole, pts) - _rasterio_xy(t, pts)).max() < tol
        cols, rows = np.arange(0, W, 7), np.arange(0, H, 7)[:len(np.arange(0, W, 7))]
        cols = cols[:len(rows)]
        for offset, half in (("ul", 0.0), ("center", 0.5)):  # pixel corner: its (col, row); centre: + 0.5
            want = np.stack(rasterio.transform.xy(t, rows, cols, offset=offset), -1)
            assert np.abs(pixel_to_map(whole, np.stack([cols + half, rows + half], -1)) - want).max() < tol
        x0, y0 = W // 4, H // 3
        tile = scene.read((x0, y0, W // 2, H // 2))
        assert np.abs(pixel_to_map(tile, pts - [x0, y0]) - _rasterio_xy(t, pts)).max() < tol
        shrunk = scene.read_shrunk(max(W, H) // 3)  # answers stay in scene pixels: the scene's transform
        assert shrunk.width < W and np.abs(pixel_to_map(shrunk, pts) - _rasterio_xy(t, pts)).max() < tol
        ov = scene.read_overview(max(W, H) // 3)  # its own grid: pixels scaled by its size
        on_ov = pts * [ov.width / W, ov.height / H]
        assert np.abs(pixel_to_map(ov, on_ov) - _rasterio_xy(t, pts)).max() < tol


@pytest.mark.parametrize("name", AFFINE)
def test_each_real_geotiff_maps_pixels_as_its_rasterio_transform_to_the_centimetre(name):
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real data not found: {path}")
    with rasterio.open(path) as ds:
        t = ds.transform
        assert ds.crs.is_projected and t.e < 0  # north-up, negative y resolution
    _check_reads(path, t, CM)
    img = read_image(path)
    fc = objects_to_geojson([{"kind": "box", "coords": [1.0, 2.0, 11.0, 12.0], "label": "a"}], img)
    epsg = rasterio.crs.CRS.from_user_input(img.crs).to_epsg()
    assert fc["crs"]["properties"]["name"] == f"urn:ogc:def:crs:EPSG::{epsg}"  # the image's own CRS, projected
    ring = np.array(fc["features"][0]["geometry"]["coordinates"][0])
    corners = _rasterio_xy(t, np.array([[1, 2], [11, 2], [11, 12], [1, 12]]))
    assert all(np.abs(ring - c).max(axis=1).min() < CM for c in corners)


@pytest.mark.parametrize("t, turned", [
    (Affine(0.5, 0.0, 1000.0, 0.0, -0.5, 2000.0), False),  # north-up
    (Affine(0.5, 0.0, 1000.0, 0.0, 0.5, 2000.0), True),  # south-up: positive y resolution
    (Affine.translation(1000, 2000) @ Affine.rotation(30) @ Affine.scale(0.5, -0.5), True),
    (Affine.translation(1000, 2000) @ Affine.shear(10, 5) @ Affine.scale(0.5, -0.5), True),
])
def test_rotated_sheared_and_south_up_transforms_map_as_rasterio(tmp_path, t, turned):
    path = tmp_path / "t.tif"
    data = np.random.default_rng(1).integers(0, 255, (3, 60, 80), dtype="uint8")
    with rasterio.open(path, "w", driver="GTiff", width=80, height=60, count=3, dtype="uint8", crs="EPSG:32633",
                       transform=t) as ds:
        ds.write(data)
    _check_reads(path, t, 1e-6)
    img = read_image(path)
    assert any("not north-up" in n for n in img.notes) is turned, img.notes
    assert np.abs(map_to_pixel(img, pixel_to_map(img, _points(80, 60))) - _points(80, 60)).max() < 1e-6


def test_the_real_sentinel1_grd_maps_each_gcp_to_its_own_place():
    """GDAL's polynomial (rasterio.transform.xy's) put the GRD's 210 GCPs 107 m off (median; 190 at most); the thin
    plate spline puts each where it says, and a window of the scene maps as the scene."""
    if not S1.exists():
        pytest.skip(f"real data not found: {S1}")
    with rasterio.open(S1) as ds:
        gcps, crs = ds.gcps
    img = read_image(S1)
    assert img.transform is None and img.gcps and img.crs == crs == "EPSG:4326"
    at = np.array([[g.col, g.row] for g in gcps])
    said = np.array([[g.x, g.y] for g in gcps])
    assert np.abs(pixel_to_map(img, at) - said).max() < 1e-9  # degrees: well under a millimetre
    poly = np.stack(rasterio.transform.xy(gcps, at[:, 1], at[:, 0], offset="ul"), -1)
    assert np.abs(poly - said).max() > 1e-3  # the polynomial: 0.0017° (190 m) at worst
    pts = _points(img.width, img.height)
    with GCPTransformer(gcps, tps=True) as tr:
        want = np.stack(tr.xy(pts[:, 1], pts[:, 0], offset="ul"), -1)
    assert np.abs(pixel_to_map(img, pts) - want).max() < 1e-9
    assert np.abs(map_to_pixel(img, want) - pts).max() < 1e-3
    with SceneReader(S1) as scene:
        tile = scene.read((100, 50, 400, 300))
        ov = scene.read_overview(400)  # its GCPs on its own grid (had none, and no CRS)
    assert np.abs(pixel_to_map(tile, pts - [100, 50]) - want).max() < 1e-9
    assert ov.georeferenced and ov.crs == img.crs
    on_ov = np.abs(pixel_to_map(ov, pts * [ov.width / img.width, ov.height / img.height]) - want).max()
    assert on_ov < 1e-6, on_ov
    fc = objects_to_geojson([{"kind": "point", "coords": [10.0, 20.0], "label": "ship"}], img)
    assert fc["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"  # longitude, latitude: RFC 7946's
    lon, lat = fc["features"][0]["geometry"]["coordinates"]
    assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_gcps_on_a_line_say_they_give_no_map_coordinates():
    """Was a CPLE_AppDefinedError traceback ("Transform is not solvable"), past every caller's ValueError."""
    on_a_line = [GroundControlPoint(row=0, col=c, x=float(c), y=0.0) for c in (0, 10, 20)]
    with pytest.raises(ValueError, match="GCPs: its 3 ground control points give no map coordinates"):
        pixel_to_map(on_a_line, [5.0, 5.0])
    with pytest.raises(ValueError, match="GCPs: its 3 ground control points give no map coordinates"):
        map_to_pixel(on_a_line, [5.0, 5.0])


def test_an_image_with_no_georeferencing_says_so_and_writes_no_coordinates(tmp_path):
    path = tmp_path / "plain.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(path, "w", driver="GTiff", width=20, height=10, count=3, dtype="uint8") as ds:
            ds.write(np.zeros((3, 10, 20), "uint8"))
    img = read_image(path)
    assert img.transform is None and not img.gcps and not img.georeferenced  # not rasterio's identity
    for f in (lambda: pixel_to_map(img, [1.0, 2.0]),
              lambda: objects_to_geojson([{"kind": "box", "coords": [1.0, 2.0, 3.0, 4.0]}], img)):
        with pytest.raises(ValueError, match=f"{path}: not georeferenced"):
            f()


def test_a_gcp_scenes_objects_are_mapped_with_one_fit(monkeypatch):
    """A fit a call: map_coords and the GeoJSON fitted the GCPs once an object (the spline's solve: 0.1 s at 576
    GCPs, 3 s at 1444)."""
    from types import SimpleNamespace

    import rasterio.transform as rt

    from rsvlm.io import georef

    gcps, fits, plain = swath(), [], rt.GCPTransformer
    monkeypatch.setattr(rt, "GCPTransformer", lambda *a, **k: fits.append(k) or plain(*a, **k))
    img = SimpleNamespace(transform=None, gcps=gcps, crs="EPSG:4326", path="grd.tiff")
    objs = [{"kind": "box", "coords": [i, i, i + 20.0, i + 10.0], "label": "ship"} for i in range(50)]
    objs += [{"kind": "point", "coords": [3.0, 4.0]}, {"kind": "poly", "coords": [[1, 1], [30, 2], [9, 40]]}]
    with_map = georef.objects_with_map_coords(objs, img)
    assert fits == [{"tps": True}]
    for o in (with_map[0], with_map[50], with_map[51]):
        assert o["map_coords"] == georef.map_coords(o, img)  # as one object at a time maps it
    fc = georef.objects_to_geojson(objs, img)
    assert len(fits) == 2 + 3 and len(fc["features"]) == 52  # (the 3 map_coords calls above fit one each)
    assert fc["features"][50]["geometry"]["coordinates"] == tuple(with_map[50]["map_coords"])


def test_past_tps_max_gcps_the_polynomial_maps_them(monkeypatch):
    from rsvlm.io import georef

    gcps, at = swath(), np.array([[25.0, 75.0], [300.0, 410.0]])
    spline = pixel_to_map(gcps, at)
    monkeypatch.setattr(georef, "TPS_MAX_GCPS", len(gcps) - 1)
    poly = np.stack(rasterio.transform.xy(gcps, at[:, 1], at[:, 0], offset="ul"), -1)
    assert np.abs(pixel_to_map(gcps, at) - poly).max() < 1e-12 and np.abs(spline - poly).max() > 1e-5


def test_a_mask_pixels_outline_lies_on_its_pixel_corners_on_the_map():
    """One mask pixel at column 5, row 7 (in a crop placed at offset 3, 2, as merged tiles write them) is the square
    between rasterio's corners of that pixel, not its centres."""
    path = REAL / AFFINE[0]
    if not path.exists():
        pytest.skip(f"real data not found: {path}")
    img = read_image(path)
    m = np.zeros((10, 10), bool)
    m[5, 2] = True  # column 3 + 2, row 2 + 5
    fc = objects_to_geojson([{"kind": "mask", "mask": m, "offset": [3, 2], "label": "roof"}], img)
    ring = np.array(fc["features"][0]["geometry"]["coordinates"][0])
    with rasterio.open(path) as ds:
        want = np.stack(rasterio.transform.xy(ds.transform, [7, 7, 8, 8], [5, 6, 6, 5], offset="ul"), -1)
    assert len(ring) == 5 and all(np.abs(ring - w).max(axis=1).min() < CM for w in want)
    assert {tuple(p) for p in ring.round(3)} == {tuple(p) for p in want.round(3)}
