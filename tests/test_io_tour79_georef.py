"""Reading tour 79, georeferencing: GeoJSON positions are easting (longitude) first (RFC 7946 3.1.1), so a projected
CRS whose EPSG axes run northing first (Gauss-Krüger, ETRS89-LAEA) is named by its WKT with easting first, not by
the EPSG URN strict readers swap by; a 3D geographic CRS (EPSG:4979) by its 2D CRS, longitude first."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from affine import Affine  # noqa: E402
from rasterio.crs import CRS, epsg_treats_as_latlong, epsg_treats_as_northingeasting  # noqa: E402

from rsvlm.io.georef import objects_to_geojson  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402


def _tif(path: Path, epsg: int, t: Affine) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=3, dtype="uint8",
                       crs=CRS.from_epsg(epsg), transform=t) as ds:
        ds.write(np.random.default_rng(1).integers(0, 255, (3, 30, 40), dtype="uint8"))
    return path


def _first_axis(name: str) -> str:
    """The direction of the CRS's first axis as its WKT 2 gives it (what a reader honouring the CRS takes first)."""
    wkt2 = CRS.from_user_input(name).to_wkt(version="WKT2_2019")
    return wkt2.split("AXIS[", 1)[1].split(",", 2)[1].strip()


@pytest.mark.parametrize("epsg", [31468, 3035, 3006])
def test_geojson_names_a_northing_first_projected_crs_easting_first(tmp_path, epsg):
    """A Gauss-Krüger zone 4 scene (easting 4.5e6, northing 5.4e6): the URN said northing first, so a strict reader put
    a building 900 km off; its WKT now says easting first, with the same projection, and no EPSG code."""
    t = Affine(0.5, 0.0, 4_500_000.0, 0.0, -0.5, 5_400_000.0)
    img = read_image(_tif(tmp_path / "gk.tif", epsg, t))
    fc = json.loads(json.dumps(objects_to_geojson([{"kind": "point", "coords": [10.0, 4.0]}], img)))
    said = fc["crs"]["properties"]["name"]
    assert fc["features"][0]["geometry"]["coordinates"] == [4_500_005.0, 5_399_998.0]  # easting first
    assert not said.startswith("urn:") and f'"{epsg}"]]' not in said
    assert epsg_treats_as_northingeasting(CRS.from_epsg(epsg)) and not epsg_treats_as_northingeasting(said)
    assert _first_axis(said) == "east"
    swapped = CRS.from_epsg(epsg).to_wkt().replace('AXIS["Northing",NORTH],AXIS["Easting",EAST]',
                                                    'AXIS["Easting",EAST],AXIS["Northing",NORTH]')
    assert said == swapped.replace(f',AUTHORITY["EPSG","{epsg}"]]', "]")  # the same CRS otherwise, its base's code kept


@pytest.mark.parametrize("epsg, name", [(4979, "urn:ogc:def:crs:OGC:1.3:CRS84"), (4937, None)])
def test_geojson_names_a_3d_geographic_crs_by_its_2d_crs_longitude_first(epsg, name):
    """EPSG:4979's WKT 2 was written with latitude first and its code; the points have no heights, so it is named as
    its 2D CRS: WGS 84 by CRS84, ETRS89 (4937) by its WKT with longitude first, as EPSG:4258 is."""
    img = SimpleNamespace(transform=Affine(0.001, 0.0, 10.0, 0.0, -0.001, 50.0), gcps=None, crs=f"EPSG:{epsg}",
                          path="3d.tif")
    fc = json.loads(json.dumps(objects_to_geojson([{"kind": "point", "coords": [10.0, 5.0]}], img)))
    said = fc["crs"]["properties"]["name"]
    x, y = fc["features"][0]["geometry"]["coordinates"]
    assert (round(x, 6), round(y, 6)) == (10.01, 49.995)
    if name:
        assert said == name
    else:
        back = CRS.from_user_input(said)
        assert back.is_geographic and not epsg_treats_as_latlong(back) and _first_axis(said) == "east"
        assert 'AXIS["Longitude",EAST],AXIS["Latitude",NORTH]' in said and back.to_epsg() is None
        assert "ETRS89" in said and "ellipsoidal height" not in said.lower()


@pytest.mark.parametrize("epsg", [32618, 2053, 5041])
def test_an_easting_first_or_south_oriented_projected_crs_keeps_its_urn(epsg):
    """UTM, a south-oriented zone (westing, southing, as GDAL writes them) and UPS (E,N) read as written."""
    img = SimpleNamespace(transform=Affine(1.0, 0.0, 0.0, 0.0, -1.0, 0.0), gcps=None, crs=f"EPSG:{epsg}", path="a.tif")
    fc = objects_to_geojson([{"kind": "point", "coords": [1.0, 1.0]}], img)
    assert fc["crs"]["properties"]["name"] == f"urn:ogc:def:crs:EPSG::{epsg}"


def _brute_near(p: np.ndarray) -> set:
    """Every pair i < j within GCP_NEAR of the extent, by all n² distances (what georef did before the k-d tree)."""
    from rsvlm.io.georef import GCP_NEAR

    d = np.abs(p[:, None, :] - p[None, :, :]).max(axis=-1)
    tol = GCP_NEAR * max(float(np.ptp(p, axis=0).max()), 1e-300)
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(d <= tol, k=1)))}


@pytest.mark.parametrize("seed", range(6))
def test_near_pairs_by_a_kd_tree_equal_all_pairs(seed):
    """The k-d tree finds the pairs the (n, n) distances found: 10,000 GCPs took 68-74 s and ~4 GB that way, 0.02-0.08 s
    now (at 961, the most the spline meets, 0.47 s → 0.002 s). Duplicates, pairs just inside and just outside the
    tolerance (1e-6 of the extent), on a grid whose columns share x and at random."""
    from rsvlm.io.georef import _clash, _near_pairs

    rng = np.random.default_rng(seed)
    n = 600
    p = (np.stack(np.meshgrid(np.arange(30), np.arange(20)), -1).reshape(-1, 2) * 40.0 if seed % 2
         else rng.uniform(0, 1000, (n, 2)))
    ext = float(np.ptp(p, axis=0).max())
    for k, off in enumerate([0.0, 0.3e-6, 0.9e-6, 1.2e-6, 5e-6, -0.5e-6] * 5):  # in shares of the extent
        i, j = rng.choice(n, 2, replace=False)
        p[j] = p[i] + np.array([off, off * (k % 3 - 1)]) * ext
    pairs = _brute_near(p)
    assert _near_pairs(p) == pairs and len(pairs) >= 15
    q = p * 1e-4 + [10.0, 50.0]  # the same GCPs on the map: twice-written pairs dropped, no clash
    twice = {j for _, j in pairs}
    assert _clash(p, q) == [i for i in range(n) if i not in twice]
    i, j = sorted(pairs)[0]
    q[j] = q[i] + 5.0  # one pixel, two places
    assert _clash(p, q) is None
    assert _near_pairs(np.empty((0, 2))) == set() and _near_pairs(p[:1]) == set()
