"""Reading review 67, round 2: band files where some declare a -9999 nodata and others declare none."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from test_read2_tour67 import band_file  # noqa: E402  (a one-band GeoTIFF, declaring the nodata given)

from rsvlm.io.read import read_image  # noqa: E402


@pytest.mark.parametrize("pixel", [10.0, 20.0])  # the third file at the others' resolution, or coarser
def test_a_file_declaring_no_nodata_beside_files_declaring_minus_9999_has_its_own_collar_masked(tmp_path, pixel):
    """Two files declaring -9999 (collar: 12 columns) beside one declaring none whose -9999 collar is 16 columns:
    the 4 columns where only that file held -9999 were valid, its reflectance -9999 fed to the model (a file that
    declares none masked nothing, though -9999 is no band's data)."""
    rng = np.random.default_rng(2)
    fine = [rng.uniform(0.01, 0.4, (40, 40)).astype("float32") for _ in range(2)]  # (H, W) each
    for a in fine:
        a[:, :12] = -9999
    k = int(pixel // 10)
    third = rng.uniform(0.01, 0.4, (40 // k, 40 // k)).astype("float32")
    third[:, : 16 // k] = -9999
    paths = [band_file(tmp_path / f"d{i}.tif", a, 10.0, -9999) for i, a in enumerate(fine)]
    img = read_image([*paths, band_file(tmp_path / "third.tif", third, pixel)], modality="msi")
    assert not img.valid[:, :16].any() and img.valid[:, 17:].all(), img.notes
    assert img.data[:, img.valid].min() >= 0, img.notes
    note = [n for n in img.notes if n.startswith("band files declare different nodata")]
    assert note and note[0].endswith("masks nothing but the -9999 the others declare (a fill no band holds as data)")


def test_a_file_declaring_no_nodata_beside_one_declaring_0_still_masks_nothing(tmp_path):
    """DN 0 is data in some bands: a file that declares none keeps its 0 where another file declares 0."""
    a = np.full((8, 8), 900, np.uint16)
    a[:, :2] = 0
    b = np.full((8, 8), 700, np.uint16)
    b[:, :3] = 0  # its 0 in column 2 is kept
    img = read_image([band_file(tmp_path / "a.tif", a, 10.0, 0), band_file(tmp_path / "b.tif", b, 10.0)], modality="msi")
    assert not img.valid[:, :2].any() and img.valid[:, 2:].all()
    assert any(n.endswith("a file that declares none masks nothing") for n in img.notes), img.notes
