"""Reading tour 78, georeferencing: GCPs that nearly clash (1e-9 px apart, two places) take the polynomial as
GCPs that clash exactly do; ``map_to_pixel`` inverts ``pixel_to_map`` on the polynomial path (GDAL's inverse is a
fit of its own); GeoJSON of a geographic scene other than EPSG:4326 names its CRS longitude first."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from affine import Affine  # noqa: E402
from rasterio.control import GroundControlPoint as GCP  # noqa: E402
from rasterio.crs import CRS  # noqa: E402

from rsvlm.io import georef  # noqa: E402
from rsvlm.io.georef import map_to_pixel, objects_to_geojson, pixel_to_map  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402

S1 = REALDATA / "sar_s1grd" / "iw-vv.tiff"
AT = [[25.0, 75.0], [350.0, 175.0]]


def swath() -> list:
    """A 10 x 10 grid of GCPs in longitude and latitude, bent as a swath is (450 px a side; test_io_review77p8's too)."""
    return [GCP(row=r * 50.0, col=c * 50.0, x=10 + c * 0.05 + 0.002 * r * r / 10,
                y=50 - r * 0.04 + 0.001 * c * c * c / 100) for r in range(10) for c in range(10)]


def _image(gcps) -> SimpleNamespace:
    return SimpleNamespace(transform=None, gcps=gcps, crs="EPSG:4326", path="grd.tiff")


@pytest.mark.parametrize("apart", [0.0, 1e-12, 1e-9, 1e-6, 1e-4])
def test_gcps_nearly_at_one_pixel_with_two_places_clash_as_gcps_at_one_do(apart):
    """Was: 1e-9 px apart, 1.1 km (0.01°) apart on the map, the spline passed through both: a spike, GCP 7's own
    pixel mapped 0.0036° off at 1e-6 px; now the polynomial, as at 0 px (point for point)."""
    g = swath()
    near = [*g, GCP(row=g[7].row + apart, col=g[7].col, x=g[7].x + 0.01, y=g[7].y)]
    exact = [*g, GCP(row=g[7].row, col=g[7].col, x=g[7].x + 0.01, y=g[7].y)]
    at = [*AT, [g[7].col, g[7].row + 1e-6]]
    assert np.abs(pixel_to_map(_image(near), at) - pixel_to_map(_image(exact), at)).max() < 1e-7  # (spike: 3.6e-3)


def test_gcps_a_pixel_apart_are_no_clash_and_a_gcp_written_twice_nearly_keeps_the_spline():
    g = swath()
    apart = [*g, GCP(row=g[7].row + 10, col=g[7].col, x=g[7].x, y=g[7].y - 0.008)]  # 10 px, its own place
    spline = pixel_to_map(_image(apart), [[g[-1].col, g[-1].row]])
    assert np.abs(spline - [[g[-1].x, g[-1].y]]).max() < 1e-9  # exact at a GCP: the spline, not the polynomial
    twice = [*g, GCP(row=g[7].row + 1e-9, col=g[7].col, x=g[7].x + 1e-12, y=g[7].y)]
    assert np.abs(pixel_to_map(_image(twice), AT) - pixel_to_map(_image(g), AT)).max() < 1e-9


def test_the_clash_tolerance_is_a_share_of_the_gcps_extent():
    at = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0], [0.0, 0.0005]])  # the last 5e-7 of 1000 px from the first
    to = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.5]])
    assert georef._clash(at, to) is None  # one pixel (within GCP_NEAR), two places
    assert georef._clash(at, np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1e-7]])) == [0, 1, 2]  # twice
    assert georef._clash(at + [[0, 0], [0, 0], [0, 0], [0, 5]], to) == [0, 1, 2, 3]  # 5 px apart: its own


def test_map_to_pixel_inverts_the_polynomial(monkeypatch):
    """Past TPS_MAX_GCPS (or where GCPs clash) GDAL's polynomial maps them; its inverse is a fit of its own, 0.067 px
    off its forward on this swath before one Newton step, 5e-6 after."""
    g = swath()
    monkeypatch.setattr(georef, "TPS_MAX_GCPS", len(g) - 1)
    pts = np.random.default_rng(0).uniform(0, 450, (200, 2))
    back = map_to_pixel(_image(g), pixel_to_map(_image(g), pts))
    assert np.abs(back - pts).max() < 2e-5
    with rasterio.transform.GCPTransformer(g) as t:  # GDAL's inverse alone
        rows, cols = t.rowcol(*pixel_to_map(_image(g), pts).T, op=lambda v: v)
    assert np.abs(np.c_[cols, rows] - pts).max() > 0.01


def test_the_real_sentinel1_grd_round_trips_within_1e_8_px():
    if not S1.exists():
        pytest.skip(f"real data not found: {S1}")
    img = read_image(S1)
    pts = np.random.default_rng(0).uniform(0, 1, (500, 2)) * [img.width, img.height]
    assert np.abs(map_to_pixel(img, pixel_to_map(img, pts)) - pts).max() < 1e-8  # the spline: 1.1e-9 at 2000 points


def _degrees_tif(path: Path, epsg: int) -> Path:
    t = Affine(0.001, 0.0, -75.0, 0.0, -0.001, 40.0)  # x: longitude -75, y: latitude 40
    with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=3, dtype="uint8",
                       crs=CRS.from_epsg(epsg), transform=t) as ds:
        ds.write(np.random.default_rng(1).integers(0, 255, (3, 30, 40), dtype="uint8"))
    return path


@pytest.mark.parametrize("epsg, name", [(4326, "urn:ogc:def:crs:OGC:1.3:CRS84"), (4269, "urn:ogc:def:crs:OGC:1.3:CRS83"),
                                        (4267, "urn:ogc:def:crs:OGC:1.3:CRS27"), (4258, None), (32618, None)])
def test_geojson_names_a_geographic_crs_longitude_first(tmp_path, epsg, name):
    """Coordinates are written longitude, latitude; EPSG:4269's and 4258's URNs order latitude first, which strict
    readers swapped (a NAD83 scene at 40° N, 75° W placed at 75° N ... off the Earth). NAD83 and NAD27 get OGC's
    longitude-first URNs, ETRS89 its WKT with longitude first; a projected CRS keeps its EPSG URN."""
    img = read_image(_degrees_tif(tmp_path / "s.tif", 4326 if epsg == 32618 else epsg))
    if epsg == 32618:
        img.crs = "EPSG:32618"
    fc = json.loads(json.dumps(objects_to_geojson([{"kind": "point", "coords": [10.0, 5.0]}], img)))
    said = fc["crs"]["properties"]["name"]
    x, y = fc["features"][0]["geometry"]["coordinates"]
    if epsg != 32618:
        assert (round(x, 6), round(y, 6)) == (-74.99, 39.995)  # longitude first
    if name:
        assert said == name
    elif epsg == 32618:
        assert said == "urn:ogc:def:crs:EPSG::32618"
    else:
        back = CRS.from_user_input(said)
        assert back.is_geographic and 'AXIS["Longitude",EAST],AXIS["Latitude",NORTH]' in said
        assert f'"{epsg}"' not in said and back.to_epsg() is None  # no EPSG code, whose order is latitude first
        assert CRS.from_epsg(epsg).to_wkt().replace('AXIS["Latitude",NORTH],AXIS["Longitude",EAST]', "").startswith(
            said.replace('AXIS["Longitude",EAST],AXIS["Latitude",NORTH]', "")[:-1])  # the same datum and units
    assert CRS.from_user_input(said).is_geographic is (epsg != 32618)
