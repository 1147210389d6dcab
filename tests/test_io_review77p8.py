"""Review 77 of P8's georeferencing (622df418): GDAL's thin-plate spline, fitted to GCPs two of which share a pixel
(or a place) with different places (pixels), or that lie on a slanted line, solves nothing and gave NaN for every
point, written into tables and GeoJSON unsaid; 1 or 2 GCPs gave numbers (GDAL's polynomial, used before, refused
both). Such GCPs now take the polynomial (a clash) or a ValueError naming the image (too few, on a line)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rasterio.control import GroundControlPoint as GCP  # noqa: E402

from rsvlm.io.georef import map_to_pixel, objects_to_geojson, objects_with_map_coords, pixel_to_map  # noqa: E402
from tests.test_io_tour78_georef import swath as _grid  # noqa: E402  (10 x 10, bent as a swath is; public)

AT = [[25.0, 75.0], [350.0, 175.0]]


def _image(gcps) -> SimpleNamespace:
    return SimpleNamespace(transform=None, gcps=gcps, crs="EPSG:4326", path="grd.tiff")


def _polynomial(gcps, at) -> np.ndarray:
    return np.stack(rasterio.transform.xy(gcps, [p[1] for p in at], [p[0] for p in at], offset="ul"), -1)


@pytest.mark.parametrize("clash", ["one pixel, two places", "one place, two pixels"])
def test_gcps_that_clash_are_fitted_by_the_polynomial_not_a_nan_spline(clash):
    g = _grid()
    extra = (GCP(row=g[7].row, col=g[7].col, x=g[7].x + 0.01, y=g[7].y) if clash.startswith("one pixel")
             else GCP(row=g[7].row + 10, col=g[7].col, x=g[7].x, y=g[7].y))
    gcps = [*g, extra]
    got = pixel_to_map(_image(gcps), AT)
    assert np.isfinite(got).all(), got  # the spline: NaN at every point
    assert np.abs(got - _polynomial(gcps, AT)).max() < 1e-12
    assert np.isfinite(map_to_pixel(_image(gcps), got)).all()
    fc = objects_to_geojson([{"kind": "box", "coords": [10.0, 10.0, 40.0, 30.0]}], _image(gcps))
    assert np.isfinite(np.array(fc["features"][0]["geometry"]["coordinates"][0])).all()


def test_a_gcp_given_twice_keeps_the_spline():
    g = _grid()
    assert np.abs(pixel_to_map([*g, g[7], g[7]], AT) - pixel_to_map(g, AT)).max() < 1e-9
    assert np.abs(pixel_to_map(g, AT) - _polynomial(g, AT)).max() > 1e-6  # (the spline, not the polynomial)


@pytest.mark.parametrize("gcps", [
    [GCP(row=c, col=c, x=float(c), y=float(-c)) for c in (0, 10, 20, 30)],  # a slanted line: the spline's NaN
    [GCP(row=0, col=0, x=10.0, y=50.0), GCP(row=0, col=50, x=10.05, y=50.0)],  # 2: the spline's numbers
    [GCP(row=0, col=0, x=10.0, y=50.0)] * 4,  # one GCP 4 times
    [GCP(row=r * 9.0, col=c * 9.0, x=float(r + c), y=float(r + c)) for r in range(3) for c in range(3)],  # map: a line
], ids=["slanted line", "two", "one, four times", "a line on the map"])
def test_gcps_too_few_or_on_a_line_give_a_valueerror_naming_the_image(gcps):
    for f in (lambda: pixel_to_map(_image(gcps), AT), lambda: map_to_pixel(_image(gcps), [[10.0, 50.0]]),
              lambda: objects_with_map_coords([{"kind": "point", "coords": [3.0, 4.0]}], _image(gcps))):
        with pytest.raises(ValueError, match=f"^grd.tiff: its {len(gcps)} ground control points give no map "
                                             "coordinates: fewer than 3 apart, or all on a line"):
            f()
