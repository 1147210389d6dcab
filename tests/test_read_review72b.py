"""Review of area R2 (reading images, round 2), stop 72: the 16-bit CMYK conversion rounds down as GDAL's 8-bit
one does, a SAR zero strip's width survives a stray pixel and is "about" on a sampled read, and rsvlm.io no
longer imports the CLI's output_options at load (the NOT_NORTH_UP import's cycle)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import rasterio
from read_helpers import utm_tif

from rsvlm.io import read_image


def _inks(a: np.ndarray, top: int) -> np.ndarray:
    """R, G, B (3, H, W) of C, M, Y, K ``a`` (H, W, 4) as libtiff converts 8-bit ones: rounded down."""
    c = a.astype(np.int64).transpose(2, 0, 1)  # (4, H, W)
    return (top - c[:3]) * (top - c[3]) // top


def test_a_16_bit_cmyk_tiff_rounds_down_as_gdal_does_8_bit_ones(tmp_path):
    """The 16-bit conversion said "as GDAL converts 8-bit ones" but rounded to nearest: 1 DN off in half the pixels."""
    import tifffile

    rng = np.random.default_rng(7)
    eight = rng.integers(0, 256, (16, 16, 4)).astype(np.uint8)  # (H, W, C)
    tifffile.imwrite(tmp_path / "sheet8.tif", eight, photometric="separated")
    with rasterio.open(tmp_path / "sheet8.tif") as ds:  # GDAL's own conversion (R, G, B + an opaque alpha)
        np.testing.assert_array_equal(ds.read()[:3], _inks(eight, 255))  # the formula is GDAL's
    sixteen = rng.integers(0, 65536, (16, 16, 4)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "sheet16.tif", sixteen, photometric="separated")
    img = read_image(tmp_path / "sheet16.tif", scaling={"stretch": [[0, 65535]] * 3})  # as stored, / 65535
    np.testing.assert_array_equal(np.rint(img.data.astype(np.float64) * 65535), _inks(sixteen, 65535))
    assert any("/ max rounded down, max 65535" in n for n in img.notes), img.notes


def _grd(h: int, w: int, strip: int) -> np.ndarray:
    """(1, h, w) uint16 amplitude DN with a zero strip ``strip`` px wide along its right edge."""
    a = np.random.default_rng(3).integers(50, 900, (1, h, w)).astype(np.uint16)
    a[:, :, w - strip:] = 0
    return a


def test_a_stray_pixel_in_a_sar_zero_strip_keeps_its_width(tmp_path):
    """One non-zero pixel (border noise) in a 20 px strip had made it "2 px wide"."""
    a = _grd(60, 100, 20)
    a[0, 5, 97] = 7
    said = [n for n in read_image(utm_tif(tmp_path / "s1.tif", a), modality="sar").notes if "amplitude 0" in n]
    assert len(said) == 1 and "(a fill along its right edge, 20 px wide)" in said[0], said


def test_a_sampled_sar_zero_strips_width_is_about(tmp_path):
    """Read from a sample (a scene past stats_max_side), the strip's width is a sample's: 25 px was said "24 px"
    as if exact. Two edges are listed with ", and "."""
    a = _grd(100, 250, 25)
    a[:, :10, :] = 0  # and a top strip
    img = read_image(utm_tif(tmp_path / "big.tif", a), modality="sar", scaling={"stats_max_side": 100})
    said = [n for n in img.notes if "amplitude 0" in n]
    assert len(said) == 1 and "right edge, about 2" in said[0] and ", and top edge, about " in said[0], said
    exact = [n for n in read_image(utm_tif(tmp_path / "big.tif", a), modality="sar").notes if "amplitude 0" in n]
    assert "(a fill along its right edge, 25 px wide, and top edge, 10 px wide)" in exact[0], exact


def test_rsvlm_io_imports_without_the_clis_output_options():
    """rsvlm.io.tiles imported output_options at load, so output_options could import georef's NOT_NORTH_UP only
    below the name tiles took (a ``# noqa: E402`` import mid-file); both now import alone, at their tops."""
    code = ("import sys, rsvlm.io.tiles; assert 'rsvlm.output_options' not in sys.modules; "
            "import rsvlm.output_options as o, rsvlm.io.georef as g; assert o.NOT_NORTH_UP is g.NOT_NORTH_UP")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
