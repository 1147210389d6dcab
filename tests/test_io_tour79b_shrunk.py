"""Reading tour 79b: a PNG (PIL's, decoded whole) read shrunk is of the size and pixels GDAL's nearest read gives
the same image, as a TIFF's is (a whole step had read a 2100 px PNG at 1050 px for ``read_shrunk(2048)``,
half the detail ``rsvlm predict`` reads a TIFF at); real files' windows, band files and nodata read as rasterio
reads them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REALDATA, needs_realdata

rasterio = pytest.importorskip("rasterio")
PIL = pytest.importorskip("PIL.Image")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from rasterio.enums import Resampling  # noqa: E402
from rasterio.windows import Window as RWindow  # noqa: E402

from rsvlm.io.read import SceneReader, read_image  # noqa: E402

REAL = REALDATA
needs_real = needs_realdata()


def _as_gdal_shrinks(path, image) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read(out_shape=(ds.count, image.height, image.width), resampling=Resampling.nearest)


@pytest.mark.parametrize("max_side", [2048, 700, 333, 97])
def test_a_png_read_shrunk_is_as_large_as_a_tiff_of_it_and_holds_gdals_pixels(tmp_path, max_side):
    a = (np.random.default_rng(0).random((1500, 2100, 3)) * 255).astype(np.uint8)
    PIL.fromarray(a).save(tmp_path / "s.png")
    PIL.fromarray(a).save(tmp_path / "s.tif")
    shapes = {}
    for name in ("s.png", "s.tif"):
        with SceneReader(tmp_path / name, shrunk=max_side) as scene:
            image = scene.read_shrunk(max_side)
        shapes[name] = image.data.shape
        np.testing.assert_array_equal(np.rint(image.data * 255).astype(np.uint8), _as_gdal_shrinks(tmp_path / name, image))
    assert shapes["s.png"] == shapes["s.tif"] and max(shapes["s.png"][1:]) == min(max_side, 2100), shapes


def test_a_shrunk_png_keeps_its_alpha_as_nodata_on_gdals_pixels(tmp_path):
    a = np.zeros((90, 120, 4), np.uint8)
    a[..., :3], a[:, 60:, 3] = 200, 255  # left half transparent
    PIL.fromarray(a).save(tmp_path / "a.png")
    with SceneReader(tmp_path / "a.png") as scene:
        image = scene.read_overview(50)
    assert image.data.shape[1:] == (38, 50)
    assert not image.valid[:, :25].any() and image.valid[:, 25:].all()


@needs_real
@pytest.mark.parametrize("rel", ["obb_dota/P1888.png", "cls_aid/church_183.png", "cd_levir/test_7_0256_0512_A.png"])
@pytest.mark.parametrize("max_side", [100, 97, 255])
def test_a_real_png_read_shrunk_holds_gdals_pixels(rel, max_side):
    with SceneReader(REAL / rel, shrunk=max_side) as scene:
        image = scene.read_shrunk(max_side)
    assert max(image.width, image.height) == min(max_side, max(scene.width, scene.height))
    np.testing.assert_array_equal(np.rint(image.data * 255).astype(np.uint8), _as_gdal_shrinks(REAL / rel, image))


@needs_real
def test_real_sentinel2_band_files_window_reads_their_dn_over_10000():
    files = [str(REAL / "msi_s2" / f"{b}.jp2") for b in ("B02", "B03", "B04", "B08")]
    image = read_image(files, window=(60, 50, 40, 30))
    raw = []
    for f in files:
        with rasterio.open(f) as ds:
            raw.append(ds.read(1, window=RWindow(60, 50, 40, 30)))
    assert image.modality == "msi" and image.bands[:4] == ["B", "G", "R", "NIR"] or image.bands == ["B02", "B03",
                                                                                                      "B04", "B08"]
    np.testing.assert_allclose(image.data * 10000, np.stack(raw), atol=0.01)


@needs_real
def test_real_uint16_pan_window_with_a_fixed_stretch_is_rasterios_values_stretched():
    from rsvlm.io.scaling import ReadConfig

    path = REAL / "bldg_spacenet4" / "sample_geotiff.tif"
    with rasterio.open(path) as ds:
        raw = ds.read(window=RWindow(850, 870, 50, 30)).astype(np.float64)
    image = read_image(path, window=(850, 870, 50, 30), scaling=ReadConfig(stretch=[[100.0, 900.0]]))
    assert image.data.shape == (3, 30, 50)  # a grey band read as R = G = B: its one range (was "stretch has 1 bands,
    for band in image.data:  # image has 3", a range of its own refused)
        np.testing.assert_allclose(band, np.clip((raw[0] - 100) / 800, 0, 1), atol=1e-6)


@needs_real
def test_real_landsat7_collar_is_its_dataset_mask_declared_or_given():
    from rsvlm.io.scaling import ReadConfig

    path = REAL / "msi_landsat7" / "RGB.byte.tif"
    with rasterio.open(path) as ds:
        mask = ds.dataset_mask(window=RWindow(0, 300, 200, 100)) > 0
    for scaling in (None, ReadConfig(nodata=0)):
        image = read_image(path, window=(0, 300, 200, 100), scaling=scaling)
        assert 0 < mask.sum() < mask.size
        np.testing.assert_array_equal(image.valid, mask)
