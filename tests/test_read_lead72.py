"""Stop 72's reader, round 2: a SAR amplitude's zero fill said, 16-bit CMYK, a UDM2 among band files, an ENVI
header in a zip."""

from __future__ import annotations

import numpy as np
import pytest
from read_helpers import utm_tif

from rsvlm.io import read_image


def _grd(h: int = 60, w: int = 100, strip: int = 20) -> np.ndarray:
    """(1, h, w) uint16 amplitude DN with a zero-filled strip ``strip`` px wide along its right edge, as a
    Sentinel-1 GRD's."""
    a = np.random.default_rng(3).integers(50, 900, (1, h, w)).astype(np.uint16)
    a[:, :, w - strip:] = 0
    return a


def test_a_sar_amplitudes_zero_strip_is_said_as_nodata_naming_its_edge(tmp_path):
    """A Sentinel-1 GRD's zero-filled strip was nodata (no dB value) without a word: no note said so."""
    img = read_image(utm_tif(tmp_path / "s1_vv.tif", _grd()), modality="sar")
    said = [n for n in img.notes if "amplitude 0" in n]
    assert len(said) == 1, img.notes
    assert said[0].startswith("20.0% of the pixels have amplitude 0 (a fill along its right edge, 20 px wide)")
    assert "read as nodata" in said[0]
    assert not img.valid[:, 80:].any() and img.valid[:, :80].all()


def test_a_sar_zero_fill_declared_as_nodata_or_db_data_gets_no_amplitude_note(tmp_path):
    """Declared, the fill is the file's nodata (no note); in dB, 0 is a value (``db_zero_note``'s business)."""
    declared = read_image(utm_tif(tmp_path / "nd.tif", _grd(), nodata=0), modality="sar")
    assert not [n for n in declared.notes if "amplitude 0" in n]
    db = np.random.default_rng(4).uniform(-25, -5, (1, 60, 100)).astype(np.float32)
    db[:, :, 80:] = 0
    in_db = read_image(utm_tif(tmp_path / "db.tif", db), modality="sar")
    assert not [n for n in in_db.notes if "amplitude 0" in n]
    assert any("exactly 0 (0 dB" in n for n in in_db.notes)


def test_scattered_zero_amplitudes_are_said_without_an_edge(tmp_path):
    a = _grd(strip=0)
    a[0, ::4, ::5] = 0  # 5 % of the pixels, along no edge
    said = [n for n in read_image(utm_tif(tmp_path / "z.tif", a), modality="sar").notes if "amplitude 0" in n]
    assert said and said[0].startswith("5.0% of the pixels have amplitude 0: no dB value")


def test_the_real_sentinel1_grds_right_strip_is_said(realdata):
    img = read_image(realdata / "sar_s1grd" / "iw-vv.tiff")
    said = [n for n in img.notes if "amplitude 0" in n]
    assert len(said) == 1 and "(a fill along its right edge, about 25 px wide)" in said[0], img.notes
    assert not img.valid[:, -25:].any()


def test_a_16_bit_cmyk_tiff_is_read_as_rgb_converted_as_gdal_converts_8_bit_ones(tmp_path):
    """GDAL converts only an 8-bit CMYK TIFF to RGB: a 16-bit one was read as 4-band msi b1 … b4, with a
    PlanetScope --bands hint."""
    import tifffile

    path = tmp_path / "sheet16.tif"
    cmyk = np.random.default_rng(5).integers(0, 65535, (24, 32, 4)).astype(np.uint16)  # (H, W, C)
    tifffile.imwrite(path, cmyk, photometric="separated")
    img = read_image(path, scaling={"stretch": [[0, 65535]] * 3})  # as stored, / 65535
    assert img.modality == "optical" and img.bands == ["R", "G", "B"] and img.data.shape == (3, 24, 32)
    assert any(n.startswith("a CMYK TIFF: its cyan, magenta, yellow and black inks read as R, G, B") and "65535" in n
               for n in img.notes), img.notes
    c = cmyk.astype(np.float64).transpose(2, 0, 1)  # (4, H, W)
    rgb = (65535 - c[:3]) * (65535 - c[3]) / 65535 / 65535  # (3, H, W)
    np.testing.assert_allclose(img.data, rgb, atol=1e-4)
    window = read_image(path, window=(8, 4, 16, 12), scaling={"stretch": [[0, 65535]] * 3})
    np.testing.assert_allclose(window.data, rgb[:, 4:16, 8:24], atol=1e-4)


_PLANET = "20230601_093012_52_2447_3B_"


@pytest.mark.parametrize("first", [True, False])
def test_a_planet_udm2_among_band_files_is_refused_naming_it(tmp_path, first):
    """A UDM2 beside its scene was told to be cut to one band (gdal_translate -b 1 …udm2.tif), or the scene
    given first was; now the mask is named, with the scene to give alone."""
    from rsvlm.io.checks import ImageReadError

    rng = np.random.default_rng(6)
    scene = utm_tif(tmp_path / f"{_PLANET}AnalyticMS_SR.tif", rng.integers(100, 4000, (4, 16, 16)).astype(np.uint16))
    udm2 = utm_tif(tmp_path / f"{_PLANET}udm2.tif", rng.integers(0, 2, (8, 16, 16)).astype(np.uint8))
    with pytest.raises(ImageReadError) as e:
        read_image([scene, udm2] if first else [udm2, scene])
    said = str(e.value)
    assert said.startswith(f"{udm2}: a Planet usable data mask (UDM2)"), said
    assert f"give the scene's image ({_PLANET}AnalyticMS_SR.tif) alone, without it" in said
    assert "gdal_translate" not in said


def test_a_planet_udm_among_one_band_files_is_refused_naming_it(tmp_path):
    """The older one-band uint8 UDM among uint16 band files was told to be written in their dtype."""
    from rsvlm.io.checks import ImageReadError

    rng = np.random.default_rng(7)
    bands = [utm_tif(tmp_path / f"b{i}.tif", rng.integers(100, 4000, (1, 16, 16)).astype(np.uint16)) for i in (1, 2)]
    udm = utm_tif(tmp_path / f"{_PLANET}AnalyticMS_DN_udm.tif", rng.integers(0, 2, (1, 16, 16)).astype(np.uint8))
    with pytest.raises(ImageReadError, match=r"a Planet usable data mask \(UDM\).*"
                                             rf"give the scene's image \({_PLANET}AnalyticMS.tif\) alone"):
        read_image([*bands, udm])


def test_the_not_north_up_opening_is_georefs_and_output_options_imports_alone():
    """output_options's NOT_NORTH_UP is the reader's note opening, not a copy; it imports in a fresh interpreter
    (rsvlm.io.tiles imports output_options back)."""
    import subprocess
    import sys

    from rsvlm import output_options
    from rsvlm.io import georef

    assert output_options.NOT_NORTH_UP is georef.NOT_NORTH_UP
    assert georef.orientation_note((10, 0, 0, 0, 10, 0)).startswith(georef.NOT_NORTH_UP)  # south-up
    done = subprocess.run([sys.executable, "-c", "import rsvlm.output_options as o; print(o.NOT_NORTH_UP)"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout == "the image is not north-up: \n", done.stderr[-2000:]


def _envi_zip(tmp_path, with_data: bool = True):
    """pack.zip holding an ENVI scene: scene.hdr and (``with_data``) scene.img, 3 uint8 bands of 16 x 12."""
    import zipfile

    data = np.random.default_rng(8).integers(0, 255, (3, 12, 16)).astype(np.uint8)  # (C, H, W)
    hdr = ("ENVI\nsamples = 16\nlines = 12\nbands = 3\nheader offset = 0\nfile type = ENVI Standard\n"
           "data type = 1\ninterleave = bsq\nbyte order = 0\n")
    pack = tmp_path / "pack.zip"
    with zipfile.ZipFile(pack, "w") as z:
        z.writestr("scene.hdr", hdr)
        if with_data:
            z.writestr("scene.img", data.tobytes())
    return pack, data


def test_an_envi_header_in_a_zip_reads_its_data_file_in_the_zip(tmp_path):
    """Its data file was looked for on disk beside the zip's path: "no data file beside it"; image_size refused
    the header (on disk too) and named '/vsizip//vsizip/…/scene.hdr/<file>'."""
    from rsvlm.io import image_size

    pack, data = _envi_zip(tmp_path)
    header = f"/vsizip/{pack}/scene.hdr"  # /vsizip//tmp/…/pack.zip/scene.hdr
    img = read_image(header)
    assert img.data.shape == (3, 12, 16) and img.modality == "optical"
    np.testing.assert_allclose(img.data, data / 255, atol=1e-6)
    assert "scene.hdr is a raster header: read its data file scene.img" in img.notes
    assert image_size(header) == (16, 12)
    (tmp_path / "disk").mkdir()
    (tmp_path / "disk" / "scene.hdr").write_text("ENVI\nsamples = 16\nlines = 12\nbands = 3\nheader offset = 0\n"
                                                 "file type = ENVI Standard\ndata type = 1\ninterleave = bsq\n")
    data.tofile(tmp_path / "disk" / "scene.img")
    assert image_size(tmp_path / "disk" / "scene.hdr") == (16, 12)


def test_a_zip_holding_an_envi_scene_names_its_data_file_and_a_header_alone_says_so(tmp_path):
    from rsvlm.io.checks import ImageReadError

    pack, _ = _envi_zip(tmp_path)
    with pytest.raises(ImageReadError, match=rf"a zip archive, not an image; .* e\.g\. /vsizip/{pack}/scene\.img, or"):
        read_image(pack)  # was "it holds no .tif, .jp2 or image file"
    (tmp_path / "alone").mkdir()
    alone, _ = _envi_zip(tmp_path / "alone", with_data=False)
    with pytest.raises(ImageReadError, match=r"scene\.hdr: a raster header, not the image, and no data file beside"):
        read_image(f"/vsizip/{alone}/scene.hdr")
    with pytest.raises(ImageReadError) as e:
        read_image(f"/vsizip/{alone}/other.tif")
    assert f"give one it holds, as /vsizip/{alone}/<file> (it holds no" in str(e.value)  # not /vsizip//vsizip/…


def _collar(tmp_path, side: int = 32):
    """A GeoTIFF whose left three quarters are nodata (0)."""
    data = np.full((3, side, side), 120, np.uint8)  # (C, H, W)
    data[:, :, : side * 3 // 4] = 0
    return utm_tif(tmp_path / "collar.tif", data, nodata=0)


def test_a_one_tile_run_asks_the_reader_for_its_nodata_advice(tmp_path):
    """The reader words the nodata share note for a tiled run's one window (``tiled=True``): run_tiled had rebuilt
    the untiled note and rewritten its tail."""
    from rsvlm.io import SceneReader, TileMerger, run_tiled

    path = _collar(tmp_path)
    with SceneReader(path) as scene:
        plain, tiled = (next(n for n in scene.read(tiled=t).notes if "of the image is nodata" in n) for t in (False, True))
        assert scene.read((0, 0, 16, 16), tiled=True).notes == scene.notes  # a window's read: no share said
    untiled = ("a tiled run would not help (it skips only windows wholly nodata, and no window here at 128 px or more "
               "is)")  # tour 77: a 32 px scene; "read it tiled" had been said whatever tiling skipped
    assert plain.endswith(f"or {untiled}")
    assert tiled == plain.replace(untiled, "give a --tile smaller than the scene (its windows wholly nodata are skipped)")
    merger = TileMerger()
    run_tiled(path, lambda imgs: [[] for _ in imgs], tile=64, overlap=0, merger=merger, progress=False)
    assert merger.notes == [tiled]


def test_windows_cut_from_a_whole_strip_say_no_nodata_share(tmp_path):
    """A PNG GDAL reads (beside its world file) is tiled a row of windows at a time; a row as tall as the scene
    was read whole, and each window cut from it carried the scene's nodata share note ("read it tiled")."""
    from PIL import Image

    from rsvlm.io import TileMerger, run_tiled

    rgba = np.full((32, 64, 4), 200, np.uint8)  # (H, W, C)
    rgba[:, :48, 3] = 0  # three quarters transparent
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "scene.png")
    (tmp_path / "scene.pgw").write_text("1\n0\n0\n-1\n500000\n4000000\n")
    merger = TileMerger()
    run_tiled(str(tmp_path / "scene.png"), lambda imgs: [[] for _ in imgs], tile=32, overlap=0, merger=merger,
              progress=False)
    assert merger.n_nodata == 1 and not [n for n in merger.notes if "of the image is nodata" in n], merger.notes
