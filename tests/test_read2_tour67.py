"""Reading tour 67, round 2: an undeclared fill in band files of mixed resolutions found as in one resolution."""

import re

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.fills import undeclared_fill  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402


def band_file(path, a, pixel: float, nodata=None) -> str:
    """A one-band GeoTIFF of ``a`` (H, W) at ``pixel`` m in UTM 33N from (500000, 5000000), declaring ``nodata``."""
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=a.shape[1], height=a.shape[0], count=1, dtype=a.dtype,
                       nodata=nodata, crs="EPSG:32633", transform=from_origin(500000, 5000000, pixel, pixel)) as ds:
        ds.write(a[None])  # (1, H, W)
    return str(path)


def _stacks(folder, fill, dtype, lo, hi):
    """(one resolution, mixed) band-file stacks: two 40x40 10 m bands and a 20x20 20 m one (in the first stack the
    same values repeated 2x2 at 10 m), each of random values in [lo, hi) with ``fill`` in its left 30 %."""
    rng = np.random.default_rng(0)
    fine = [rng.uniform(lo, hi, (40, 40)).astype(dtype) for _ in range(2)]
    coarse = rng.uniform(lo, hi, (20, 20)).astype(dtype)
    for a in fine:
        a[:, :12] = fill
    coarse[:, :6] = fill
    paths = [band_file(folder / f"{n}.tif", a, 10.0) for n, a in zip(("one", "two"), fine)]
    same = band_file(folder / "three_10m.tif", np.repeat(np.repeat(coarse, 2, 0), 2, 1), 10.0)
    return [*paths, same], [*paths, band_file(folder / "three_20m.tif", coarse, 20.0)]


def _found(notes):
    """The fill notes, without the band files they name (three_10m.tif in one stack, three_20m.tif in the other)."""
    return [re.sub(r"the band files .* declare no nodata", "the band files declare no nodata", n)
            for n in notes if "far outside the others'" in n]


@pytest.mark.parametrize("fill, dtype, lo, hi, masked", [
    (-9999, "float32", 0.01, 0.4, True),  # float reflectance with a -9999 collar: nodata
    (65535, "uint16", 500, 3000, False),  # uint16 DN with a 65535 collar: said (a saturated 65535 may be cloud)
    (0, "uint16", 5000, 8000, False),  # DN 0 far below DN 5000 …: said
])
def test_an_undeclared_fill_of_mixed_resolution_band_files_is_found_as_in_one_resolution(tmp_path, fill, dtype, lo,
                                                                                         hi, masked):
    """The 20 m band read bilinear onto the 10 m grid had values between its fill and its data along the fill's
    edge, so the fill was never found: the -9999 was read as reflectance, with no note, where the same files at
    one resolution had it masked (or a 65535 / 0 named)."""
    one, mixed = _stacks(tmp_path, fill, dtype, lo, hi)
    want = read_image(one, modality="msi")
    got = read_image(mixed, modality="msi")
    assert _found(got.notes) == _found(want.notes) and _found(want.notes), got.notes
    if masked:
        assert np.array_equal(got.valid, want.valid)
        assert f"nodata {fill:g} left out of the bilinear resampling of three_20m.tif" in got.notes
        coarse = got.data[2][got.valid]  # the 20 m band's valid pixels: none blended with the fill
        assert coarse.min() >= lo - 1e-6, coarse.min()


def test_an_undeclared_fill_found_is_left_out_of_the_resampling_in_sar_too(tmp_path):
    """sar dB with a -9999 collar: the stretch of the 20 m band had run from -9999 (the fill, unfound) to 0.3 dB."""
    one, mixed = _stacks(tmp_path, -9999, "float32", -25, 5)
    img = read_image(mixed[::2], modality="sar")  # a 10 m VV beside a 20 m VH
    stretch = [n for n in img.notes if n.startswith("stretch")]
    assert stretch and "-9999" not in stretch[0], img.notes
    assert np.array_equal(img.valid, read_image(one[::2], modality="sar").valid)


def test_nan_of_a_coarser_float_band_does_not_void_the_data_beside_it(tmp_path):
    """NaN, read bilinear onto the 10 m grid, voided the first column of data beside it (40 pixels lost)."""
    one, mixed = _stacks(tmp_path, np.nan, "float32", 0.01, 0.4)
    assert read_image(mixed, modality="msi").valid.sum() == read_image(one, modality="msi").valid.sum() == 1120


def test_a_fill_whose_edge_differs_between_bands_is_found():
    """Sentinel-2's detectors end a pixel or so apart from band to band: the pixels where some bands hold -9999 and
    others data were counted among 'the others', whose minimum was then the fill itself: never found."""
    raw = np.full((3, 10, 10), 0.2, np.float32)
    raw[:, :, :4] = -9999
    raw[1, :, 4] = -9999  # one band's collar a column wider
    fill = undeclared_fill(raw, None)
    assert fill is not None and fill[0] == -9999, fill


def test_real_sentinel2_bands_with_a_minus_9999_collar_at_two_resolutions(tmp_path, realdata):
    """The real B02, B03, B04 (900 m in this sample) and B08 taken every other pixel (1800 m), as float reflectance
    with their DN 0 collar as -9999, named as no product: the collar is found and masked, and no valid pixel of
    B08 holds the fill or a blend of it."""
    from rasterio.transform import Affine

    paths, s2 = [], realdata / "msi_s2"
    for b, step in (("B02", 1), ("B03", 1), ("B04", 1), ("B08", 2)):
        with rasterio.open(s2 / f"{b}.jp2") as d:
            dn = d.read(1)[::step, ::step]
            crs, transform = d.crs, d.transform @ Affine.scale(step)
        a = np.where(dn == 0, -9999, dn / 10000).astype("float32")  # (H, W)
        with rasterio.open(tmp_path / f"band_{b[1:]}.tif", "w", driver="GTiff", width=a.shape[1], height=a.shape[0],
                           count=1, dtype="float32", crs=crs, transform=transform) as o:
            o.write(a[None])
        paths.append(str(tmp_path / f"band_{b[1:]}.tif"))
    img = read_image(paths, modality="msi")
    assert any(n.startswith("37.5% of the pixels hold -9999") for n in img.notes), img.notes
    assert "nodata -9999 left out of the bilinear resampling of band_08.tif" in img.notes
    assert 0.35 < 1 - img.valid.mean() < 0.4


def test_band_files_that_cannot_be_one_image_say_what_to_do(tmp_path):
    """A 4-band file or a float file among uint16 band files was refused naming it, with no word of what to do."""
    from rasterio.transform import from_origin

    dn = band_file(tmp_path / "B02.tif", np.full((8, 8), 900, np.uint16), 10.0)
    flt = band_file(tmp_path / "B03.tif", np.full((8, 8), 0.09, np.float32), 10.0)
    with rasterio.open(tmp_path / "rgbn.tif", "w", driver="GTiff", width=8, height=8, count=4, dtype="uint16",
                       crs="EPSG:32633", transform=from_origin(500000, 5000000, 10, 10)) as ds:
        ds.write(np.ones((4, 8, 8), np.uint16))  # (4, H, W)
    with pytest.raises(ValueError, match=r"B03.tif: dtype float32 differs .* must share one dtype"):
        read_image([dn, flt])
    with pytest.raises(ValueError, match=r"rgbn.tif: has 4 bands; .*gdal_translate -b 1 .*rgbn.tif .*rgbn_b1.tif"):
        read_image([dn, str(tmp_path / "rgbn.tif")])


def test_a_fill_in_one_band_file_only_masks_the_pixel_as_a_declared_one_does(tmp_path):
    """A -9999 collar a column wider in one band file (Sentinel-2's detectors): found, but the pixels where only
    that band held it stayed valid, their reflectance -9999 fed to the model; a declared nodata masks them. (A DN 0
    in one band keeps the others' data: ``test_io_read``'s real Sentinel-2 B08 beside B02's 0.)"""
    rng = np.random.default_rng(1)
    bands = [rng.uniform(0.01, 0.4, (20, 20)).astype("float32") for _ in range(3)]  # (H, W) each
    for a in bands:
        a[:, :5] = -9999
    bands[2][:, 5] = -9999  # one column more in the third band
    img = read_image([band_file(tmp_path / f"band{i}.tif", a, 10.0) for i, a in enumerate(bands)], modality="msi")
    assert any("hold -9999" in n for n in img.notes), img.notes
    assert not img.valid[:, :6].any() and img.valid[:, 6:].all()
    assert img.data.min() >= 0


def test_i_and_q_files_with_a_nodata_mask_only_where_both_hold_it(tmp_path):
    """I and Q band files read as one complex band: a nodata of -9999 masks where I and Q both hold it (I = -9999
    beside Q = 3 is a valid SLC sample), not each file's own as other band files' -9999 does."""
    i = np.full((8, 8), 5, np.int16)
    q = np.full((8, 8), 3, np.int16)
    i[:, :2] = -9999
    q[:, :1] = -9999  # (-9999, -9999) in column 0; I = -9999 alone in column 1
    paths = [band_file(tmp_path / "scene_i_VV.tif", i, 10.0), band_file(tmp_path / "scene_q_VV.tif", q, 10.0)]
    img = read_image(paths, modality="sar", scaling={"nodata": -9999, "sar_iq": True})
    assert img.data.shape[0] == 1, img.notes
    assert not img.valid[:, 0].any() and img.valid[:, 1:].all()


def test_a_damaged_coarser_band_file_is_named_as_the_file(tmp_path):
    """A 20 m band file cut short, resampled on read, was named 'WarpedVRT(…/B8A.tif)' in the error."""
    paths = [band_file(tmp_path / "B02.tif", np.full((40, 40), 900, np.uint16), 10.0),
             band_file(tmp_path / "B8A.tif", np.arange(400, dtype=np.uint16).reshape(20, 20), 20.0)]
    whole = (tmp_path / "B8A.tif").read_bytes()
    (tmp_path / "B8A.tif").write_bytes(whole[: len(whole) - 600])  # its pixel data cut short (the header is first)
    with pytest.raises(ValueError, match=r"^\S*B8A.tif: read failed") as err:
        read_image(paths)
    assert "WarpedVRT" not in str(err.value)


def test_a_coarser_band_file_that_declares_no_nodata_beside_files_that_do_resamples_without_their_fill(tmp_path):
    """10 m files declaring -9999 beside a 20 m file with the same -9999 collar declaring none: its collar was blended
    into the data along its edge, valid pixels read as reflectance -2500 (at one resolution they are masked)."""
    one, mixed = _stacks(tmp_path, -9999, "float32", 0.01, 0.4)
    paths = []
    for i, p in enumerate(one[:2]):
        with rasterio.open(p) as ds:
            paths.append(band_file(tmp_path / f"d{i}.tif", ds.read(1), 10.0, -9999))
    paths.append(mixed[2])
    img = read_image(paths, modality="msi")
    assert "nodata -9999 (as the other band files declare) left out of the bilinear resampling of three_20m.tif" in img.notes
    assert img.data[2][img.valid].min() >= 0.01 - 1e-6
