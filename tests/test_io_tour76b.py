"""Reading tour 76, round 2: a file named or described for a SAR polarisation read as optical, msi or ir is told so;
the shared read and the tile batch count the scaling of the scene's modality (``budget.scaling_bytes``), not a flat
12 bytes a value; the overlay's fonts live in ``rsvlm.io.vis_fonts``, vis's names unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from rsvlm.io import budget  # noqa: E402
from rsvlm.io.gdal_source import RasterioSource  # noqa: E402
from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402
from rsvlm.io.shared_read import SharedRead  # noqa: E402
from tests.test_io_tour74b_shared_read import scene_bands, write_geotiff  # noqa: E402

S1_VV = REALDATA / "sar_s1grd" / "iw-vv.tiff"
S1_NAME = "s1a-iw-grd-{}-20200101t054439-20200101t054504-030606-0381ab-001.tiff"


def _polarisation_notes(img) -> list[str]:
    return [n for n in img.notes if "SAR polarisation" in n]


@pytest.mark.parametrize("pol", ["vv", "vh", "hh", "hv"])
@pytest.mark.parametrize("modality", ["optical", "ir"])
def test_a_band_file_named_for_a_polarisation_read_otherwise_is_told_so(tmp_path, pol, modality):
    """Was: Sentinel-1's s1a-iw-grd-vv-….tiff given optical read its backscatter as grey RGB, unsaid."""
    path = write_geotiff(tmp_path / S1_NAME.format(pol), scene_bands(c=1, h=64, w=64))
    img = read_image(path, modality)
    assert img.modality == modality
    assert _polarisation_notes(img) == [
        f"its file name says {pol.upper()}, a SAR polarisation: read as {modality}, as asked"]


def test_no_polarisation_note_as_sar_inferred_or_where_the_letters_are_inside_a_word(tmp_path):
    """sar asked or guessed agrees with the name; 'hh' in fishhook, 'hv' in hvac, 'vv' in savvy name none."""
    data = scene_bands(c=1, h=64, w=64)
    vv = write_geotiff(tmp_path / S1_NAME.format("vv"), data)
    assert _polarisation_notes(read_image(vv, "sar")) == []
    guessed = read_image(vv)
    assert guessed.modality == "sar" and _polarisation_notes(guessed) == []
    for name in ("fishhook.tif", "hvac_roof.tif", "savvy.tif", "shhh.tif"):
        img = read_image(write_geotiff(tmp_path / name, data), "optical")
        assert _polarisation_notes(img) == [] and img.bands == ["R", "G", "B"], name


def test_band_files_and_band_descriptions_of_polarisations_read_as_msi_are_told_so(tmp_path):
    """VV.tif and VH.tif, or one file's bands described Sigma0_VV and Sigma0_VH, given msi: said once, by what
    named them; given sar, nothing."""
    vv = write_geotiff(tmp_path / "VV.tif", scene_bands(c=1, h=64, w=64))
    vh = write_geotiff(tmp_path / "VH.tif", scene_bands(c=1, h=64, w=64, seed=1))
    files = read_image([str(vv), str(vh)], "msi")
    assert _polarisation_notes(files) == ["its file names say VV, VH, SAR polarisations: read as msi, as asked"]
    described = write_geotiff(tmp_path / "scene.tif", scene_bands(c=2, h=64, w=64))
    with rasterio.open(described, "r+") as ds:
        ds.set_band_description(1, "Sigma0_VV")
        ds.set_band_description(2, "Sigma0_VH")
    assert _polarisation_notes(read_image(described, "msi")) == [
        "its bands are described VV, VH, SAR polarisations: read as msi, as asked"]
    assert _polarisation_notes(read_image(described, "sar")) == []


@pytest.mark.skipif(not S1_VV.exists(), reason=f"real Sentinel-1 GRD file absent ({S1_VV})")
def test_the_real_sentinel1_vv_file_read_as_optical_or_ir_is_told_its_name_says_vv():
    for modality in ("optical", "ir"):
        img = read_image(S1_VV, modality)
        assert _polarisation_notes(img) == [
            f"its file name says VV, a SAR polarisation: read as {modality}, as asked"]
    assert _polarisation_notes(read_image(S1_VV, "sar")) == []


def _memory_left_of(monkeypatch, limit: int) -> list:
    """The free memory a process under ``limit`` bytes sees: less each shared read it holds (once), as MemAvailable
    is; returns the shared reads decoded."""
    held, plain = [], SharedRead._read
    monkeypatch.setattr(SharedRead, "_read", lambda self: held.append(self) or plain(self))
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: limit - sum(
        s.raw.nbytes for s in {id(s): s for s in held}.values() if s.raw is not None))
    return held


def test_a_float_scene_the_whole_read_refuses_is_not_decoded_for_the_guess_first(tmp_path, monkeypatch):
    """The guess's sample held the whole float32 scene if raw values and 12 bytes a value fitted; its read then
    counted 14 (sar) and refused it: decoded for nothing (2048² float32: 0.13 s before the refusal, now 0.04).
    The shared read now counts as the read may (tour 77: the most the guess may make it, ir in kelvin's 15): held
    only where any guess's read fits."""
    n = 300 * 400
    path = write_geotiff(tmp_path / "f.tif", scene_bands(c=1, h=300, w=400, dtype="float32"))
    assert budget.scaling_bytes("float32", "sar") == 14
    decoded = _memory_left_of(monkeypatch, n * (4 + 14) - 1)
    with pytest.raises(SceneTooLarge, match=re.escape(f"{path}: not enough memory to read the whole scene")):
        read_image(path)  # guessed sar, from a sample
    assert decoded == []
    decoded = _memory_left_of(monkeypatch, n * (4 + budget.most_scaling_bytes("float32")))
    img = read_image(path)
    assert img.modality == "sar" and decoded and np.isfinite(img.data[:, img.valid]).all()


def test_the_shared_read_counts_the_scaling_it_is_given(tmp_path, monkeypatch):
    """``SharedRead._fits``: raw values plus ``scaled()`` bytes a value, 12 where none is given."""
    path = write_geotiff(tmp_path / "f.tif", scene_bands(c=1, h=30, w=40, dtype="float32"))
    n = 30 * 40
    for scaled, need in ((None, n * 16), (lambda: 25, n * 29)):
        src = RasterioSource([str(path)])
        try:
            for free, fits in ((need, True), (need - 1, False)):
                monkeypatch.setattr(budget, "available_bytes", lambda *a, free=free, **k: free)
                shared = SharedRead.of(src, 40, whole=True, scaled=scaled)
                assert shared._fits() is fits and (shared.side == 40) is fits
        finally:
            src.close()


def test_the_tile_batch_counts_the_scaling_of_its_modality():
    """batch_bytes counted the last window's scaling at 12 bytes a value whatever it was; a float32 sar window takes
    14, a thermal one through Planck's law 25 (``scaling_bytes``)."""
    window = 512 * 512 * 1
    plain = budget.batch_bytes(512, 512, 1, "float32", 1)
    assert plain == budget.batch_bytes(512, 512, 1, "float32", 1, scaled_bytes=budget.SCALED_BYTES)
    sar = budget.batch_bytes(512, 512, 1, "float32", 1, scaled_bytes=budget.scaling_bytes("float32", "sar"))
    planck = budget.batch_bytes(512, 512, 1, "uint16", 1,
                                scaled_bytes=budget.scaling_bytes("uint16", "ir", [1.0, 2.0, 3.0, 4.0]))
    assert sar - plain == 2 * window
    assert planck - budget.batch_bytes(512, 512, 1, "uint16", 1) == 13 * window


def test_the_overlay_fonts_moved_to_vis_fonts_and_vis_keeps_its_names():
    """vis.py sat at the 500-line cap; its font code is vis_fonts.py's, and what tests and docs import from vis
    still imports, the same objects."""
    from rsvlm.io import vis, vis_fonts
    from rsvlm.io.vis import UNNAMED_RGB, draw_overlay, draw_pair_overlay, place_labels, to_display_rgb  # noqa: F401

    assert vis._fit is vis_fonts.fit and vis._fonts is vis_fonts.label_fonts
    assert "DejaVuSans.ttf" in vis_fonts.FONT_FILES
    assert len(Path(vis.__file__).read_text().splitlines()) <= 500
