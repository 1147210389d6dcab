"""Reading tour 80: complex SAR read shrunk (``read_shrunk``; ``iq.ComplexPairs.read_decimated`` for I/Q bands) against
rasterio's decimated read of the same crafted complex GeoTIFF. The shrink is a nearest read: each output pixel is one
input sample's amplitude, the very samples rasterio's nearest ``out_shape=`` read gives (pinned equal). It is not a
multilook: rasterio's average resampling of the magnitude gives each output pixel the mean amplitude of its block,
with less speckle (pinned different, by how much), and GDAL's average of the complex band itself averages the phases
away (coherent, darker)."""

from __future__ import annotations

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rasterio.enums import Resampling  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io.read import SceneReader  # noqa: E402

N, SIDE = 300, 100  # 3 x 3 input samples an output pixel


def _speckle(seed: int = 5) -> np.ndarray:
    """(N, N) complex64 single-look speckle over a left-dark/right-bright scene (amplitude ~ Rayleigh)."""
    rng = np.random.default_rng(seed)
    scene = np.where(np.arange(N)[None, :] < N // 2, 1.0, 4.0) * np.ones((N, 1))
    z = (rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))) * scene / np.sqrt(2)
    return z.astype(np.complex64)


def _write(path, bands: np.ndarray, dtype: str, names=None):
    with rasterio.open(path, "w", driver="GTiff", width=N, height=N, count=len(bands), dtype=dtype,
                       crs="EPSG:32631", transform=from_origin(600000, 5700000, 1, 1)) as ds:
        ds.write(bands)
        for k, name in enumerate(names or []):
            ds.set_band_description(k + 1, name)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("iq")
    z = _speckle()
    _write(d / "slc.tif", z[None], "complex64")
    _write(d / "iq.tif", np.stack([z.real, z.imag]), "float32", ["i_VV", "q_VV"])
    _write(d / "amp.tif", np.abs(z)[None], "float32")
    return d, z


def _raw_shrunk(path, modality="sar") -> np.ndarray:
    with SceneReader(path, modality) as scene:
        raw, _ = scene.src.read_decimated(SIDE, [0], None)
    return raw[0]


def test_the_complex_shrink_is_rasterios_nearest_read_sample_for_sample(files):
    d, _ = files
    with rasterio.open(d / "slc.tif") as ds:
        gdal = ds.read(1, out_shape=(SIDE, SIDE), resampling=Resampling.nearest)
    ours_c = _raw_shrunk(d / "slc.tif")
    ours_iq = _raw_shrunk(d / "iq.tif")  # I and Q bands put together (ComplexPairs)
    assert ours_c.dtype.kind == "c" and ours_iq.dtype.kind == "c"
    np.testing.assert_array_equal(ours_c, gdal)
    np.testing.assert_array_equal(ours_iq, gdal)


def test_the_shrink_is_not_a_multilook_of_the_magnitude(files):
    """rasterio's average of the magnitude (3 x 3 looks) against ours: same mean level, a third of the spread."""
    d, z = files
    with rasterio.open(d / "amp.tif") as ds:
        looks = ds.read(1, out_shape=(SIDE, SIDE), resampling=Resampling.average)
    np.testing.assert_allclose(looks, np.abs(z).reshape(SIDE, 3, SIDE, 3).mean(axis=(1, 3)), rtol=1e-5)
    ours = np.abs(_raw_shrunk(d / "slc.tif"))
    left = np.s_[:, : SIDE // 2 - 1]  # the dark half, away from the edge
    assert abs(ours[left].mean() / looks[left].mean() - 1) < 0.05  # the same level
    ratio = ours[left].std() / looks[left].std()
    assert 2.5 < ratio < 3.5, ratio  # speckle kept: one look's spread, not nine looks' (sqrt(9) = 3)
    assert not np.allclose(ours, looks, rtol=0.1)


def test_gdals_average_of_the_complex_band_is_coherent_not_a_multilook(files):
    """Why the magnitude, not the complex band, is what an average would take: phases cancel (mean |sum/9| of
    random phases is about a third of the mean amplitude)."""
    d, _ = files
    with rasterio.open(d / "slc.tif") as ds:
        coherent = np.abs(ds.read(1, out_shape=(SIDE, SIDE), resampling=Resampling.average))
    with rasterio.open(d / "amp.tif") as ds:
        looks = ds.read(1, out_shape=(SIDE, SIDE), resampling=Resampling.average)
    assert coherent.mean() < 0.5 * looks.mean()
