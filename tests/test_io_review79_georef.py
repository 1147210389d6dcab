"""Review 79, GeoJSON's CRS member: a northing-first CRS whose WKT 1 does not end in a north and an east axis (a
compound CRS with heights, one WKT 1 cannot write: 117 EPSG codes) raised "cannot put easting first"
and lost the GeoJSON; UPS (N,E)'s swapped WKT was read by GDAL 114° off. A GCP holding NaN said only numpy's "SVD did
not converge"."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from affine import Affine  # noqa: E402
from rasterio.control import GroundControlPoint  # noqa: E402
from rasterio.crs import CRS  # noqa: E402
from rasterio.errors import CRSError  # noqa: E402
from rasterio.warp import transform  # noqa: E402

from rsvlm.io import georef  # noqa: E402
from rsvlm.io.georef import objects_to_geojson, pixel_to_map  # noqa: E402


def _named(crs, lon: float, lat: float) -> tuple[str, list, tuple]:
    """(the crs member's name, the point written, where GDAL puts it back in degrees) for an image whose top-left
    pixel lies at (lon, lat), in ``crs`` (GDAL's x first: easting)."""
    (x,), (y,) = transform("EPSG:4326", CRS.from_user_input(crs), [lon], [lat])
    img = SimpleNamespace(transform=Affine(1.0, 0.0, x, 0.0, -1.0, y), gcps=None, crs=crs, path="n.tif")
    fc = objects_to_geojson([{"kind": "point", "coords": [0.0, 0.0]}], img)
    name, at = fc["crs"]["properties"]["name"], fc["features"][0]["geometry"]["coordinates"]
    (blon,), (blat,) = transform(CRS.from_user_input(name), "EPSG:4326", [at[0]], [at[1]])
    return name, list(at), (round(blon, 6), round(blat, 6))


def _first_axis(name: str) -> str:
    return CRS.from_user_input(name).to_wkt(version="WKT2_2019").split("AXIS[", 1)[1].split(",", 2)[1].strip()


@pytest.mark.parametrize("crs, lon, lat, starts", [
    ("EPSG:31468+5783", 12.5, 50.5, "COMPD_CS["),  # Gauss-Krüger zone 4 + DHHN92 height
    ("EPSG:5845", 15.5, 60.5, "COMPD_CS["),  # SWEREF99 TM + RH2000 height, one EPSG code
    ("EPSG:6244", -70.5, 6.5, "PROJCRS["),  # MAGNA-SIRGAS / Arauca: GDAL writes it in WKT 2 only
])
def test_a_northing_first_crs_whose_wkt_does_not_end_in_its_axes_is_written_easting_first(crs, lon, lat, starts):
    name, _, back = _named(crs, lon, lat)
    assert name.startswith(starts) and _first_axis(name) == "east"
    assert back == (lon, lat)  # GDAL reads the point where it was written (x: easting, as GDAL gives it)


@pytest.mark.parametrize("epsg, twin, lat", [(32661, 5041, 80.0), (32761, 5042, -80.0)])
def test_ups_north_east_is_named_by_its_east_north_twin(epsg, twin, lat):
    """Its two axes run south (north) along meridians WKT 1 cannot hold: the swapped WKT put a point at 12°E 80°N at
    102°W."""
    name, _, back = _named(f"EPSG:{epsg}", 12.0, lat)
    assert name == f"urn:ogc:def:crs:EPSG::{twin}" and back == (12.0, lat)


def test_a_northing_first_crs_that_cannot_be_swapped_keeps_its_urn(monkeypatch):
    """RSPS2000's axes both run north: no swap means it; and where PROJJSON will not give the swapped CRS back, the
    URN is written as before stop 79, not an error."""
    assert _named("EPSG:5482", 170.0, -80.0)[0] == "urn:ogc:def:crs:EPSG::5482"

    class Odd(CRS):
        @staticmethod
        def from_dict(*args, **kwargs):
            raise CRSError("odd")

    monkeypatch.setattr(rasterio.crs, "CRS", Odd)
    img = SimpleNamespace(transform=Affine(1.0, 0.0, 5e5, 0.0, -1.0, 1e6), gcps=None, crs="EPSG:6244", path="n.tif")
    assert objects_to_geojson([], img)["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::6244"


def test_a_gcp_holding_nan_is_refused_naming_the_image():
    gcps = [GroundControlPoint(row=r, col=c, x=10 + c * 0.01, y=50 - r * 0.01) for r in (0, 50, 99) for c in (0, 50, 99)]
    gcps.append(GroundControlPoint(row=5, col=5, x=float("nan"), y=50.0))
    img = SimpleNamespace(transform=None, gcps=gcps, crs=CRS.from_epsg(4326), path="s1.tif")
    with pytest.raises(ValueError, match=r"^s1\.tif: its 10 ground control points give no map coordinates: 1 of them "
                                         r"not finite \(NaN or infinite\)$"):
        pixel_to_map(img, np.array([[3.0, 3.0]]))
    assert georef._near_pairs(np.array([[1.0, 2.0]])) == set()  # one GCP: no pair (0 is tested beside the k-d tree)
