"""Reading tour 81 (C): I/Q bands read shrunk where GDAL does not read them (tifffile's ``ArraySource`` under
``iq.ComplexPairs``; rasterio missing, or GDAL refusing the TIFF) give the very samples rasterio's nearest
``out_shape=`` read of the complex band gives, as the GDAL path does (pinned in test_io_tour80_iq_shrink.py):
a single look, not a multilook, at the size GDAL's read has."""

from __future__ import annotations

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
pytest.importorskip("tifffile")

from rasterio.enums import Resampling  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io import sources  # noqa: E402
from rsvlm.io.iq import ComplexPairs  # noqa: E402
from rsvlm.io.read import SceneReader  # noqa: E402

H, W = 301, 250  # not a multiple of the step: the centres' rounding is what is pinned


def _write(path, bands: np.ndarray, dtype: str):
    with rasterio.open(path, "w", driver="GTiff", width=W, height=H, count=len(bands), dtype=dtype,
                       crs="EPSG:32631", transform=from_origin(600000, 5700000, 1, 1)) as ds:
        ds.write(bands)


@pytest.fixture()
def files(tmp_path):
    rng = np.random.default_rng(3)
    z = ((rng.normal(size=(H, W)) + 1j * rng.normal(size=(H, W))) / np.sqrt(2)).astype(np.complex64)
    _write(tmp_path / "slc.tif", z[None], "complex64")
    _write(tmp_path / "iq.tif", np.stack([z.real, z.imag]), "float32")
    return tmp_path, z


def _no_rasterio(*a, **k):
    raise ImportError("rasterio")


@pytest.mark.parametrize("side", [100, 97, 301])
def test_tifffiles_iq_shrink_is_rasterios_nearest_read_of_the_complex_band(files, monkeypatch, side):
    d, z = files
    with rasterio.open(d / "slc.tif") as ds:
        h, w = max(1, round(H / max(1.0, H / side))), max(1, round(W / max(1.0, H / side)))
        gdal = ds.read(1, out_shape=(h, w), resampling=Resampling.nearest)
    monkeypatch.setattr(sources, "RasterioSource", _no_rasterio)
    with SceneReader(d / "iq.tif", "sar", scaling={"sar_iq": True}) as scene:
        assert isinstance(scene.src, ComplexPairs) and isinstance(scene.src.src, sources.ArraySource)
        raw, _ = scene.src.read_decimated(side, [0], None)
    assert raw.dtype.kind == "c" and raw.shape == (1, h, w)
    np.testing.assert_array_equal(raw[0], gdal)
    if side < H:  # a single look: one sample's amplitude spread, not a block mean's
        assert np.abs(raw[0]).std() > 0.8 * np.abs(z).std()
