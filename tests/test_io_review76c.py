"""Review of reading tour 76, round 2: a file named for a SAR polarisation given optical or ir is told of its zero
fill (read as data there, nodata as sar); predict --tile's window check counts the scene's scaling, not 12."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from rsvlm.io import budget  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402
from tests.test_io_tour74b_shared_read import scene_bands, write_geotiff  # noqa: E402

S1_VV = REALDATA / "sar_s1grd" / "iw-vv.tiff"
S1_NAME = "s1a-iw-grd-vv-20200101t054439-20200101t054504-030606-0381ab-001.tiff"


def _zero_notes(img) -> list[str]:
    return [n for n in img.notes if "of the pixels are 0" in n]


@pytest.mark.skipif(not S1_VV.exists(), reason=f"real Sentinel-1 GRD file absent ({S1_VV})")
@pytest.mark.parametrize("modality", ["optical", "ir"])
def test_the_real_sentinel1_file_read_as_optical_or_ir_is_told_of_its_zero_strip(modality):
    """Was: iw-vv.tiff given optical stretched its 2 % zero strip in (R [0, 383]) with no word, where as sar it is
    masked and said, and band files read as msi are told of their DN 0."""
    img = read_image(S1_VV, modality)
    assert _zero_notes(img) == [
        "2.0% of the pixels are 0 (a fill along its right edge, about 25 px wide), a SAR scene's fill, and the file "
        f"declares no nodata: read as data as {modality} (as sar they are nodata); if that is fill, give it as nodata "
        "(gdal_edit.py -a_nodata 0, or ReadConfig.nodata=0)"]
    assert _zero_notes(read_image(S1_VV, modality, scaling={"nodata": 0})) == []  # as the note says: masked
    assert _zero_notes(read_image(S1_VV, "sar")) == []  # its own amplitude-0 note


def test_the_zero_note_needs_a_polarisation_name_a_zero_fill_and_no_nodata(tmp_path):
    data = scene_bands(c=1, h=64, w=64)
    (tmp_path / "vv").mkdir()
    (tmp_path / "nd").mkdir()
    (tmp_path / "u8").mkdir()
    strip = data.copy()
    strip[:, :, -8:] = 0
    named = write_geotiff(tmp_path / S1_NAME, strip)
    assert [n.split(",")[0] for n in _zero_notes(read_image(named, "optical"))] == [
        "12.5% of the pixels are 0 (a fill along its right edge"]
    assert _zero_notes(read_image(write_geotiff(tmp_path / "vv" / S1_NAME, data), "optical")) == []  # no zeros
    assert _zero_notes(read_image(write_geotiff(tmp_path / "plain.tif", strip), "optical")) == []  # named for none
    chip = write_geotiff(tmp_path / "u8" / S1_NAME, np.clip(strip // 8, strip > 0, 255).astype("uint8"))  # 0: dark water
    assert _zero_notes(read_image(chip, "optical")) == []
    declared = write_geotiff(tmp_path / "nd" / S1_NAME, strip, nodata=0)
    assert _zero_notes(read_image(declared, "optical")) == []


def _scene(dtype: str, modality: str, ir_kelvin=None):
    return SimpleNamespace(width=2000, height=2000, indexes=[0], modality=modality,
                           src=SimpleNamespace(dtype=dtype, datasets=[SimpleNamespace(driver="GTiff")]),
                           cfg=SimpleNamespace(ir_kelvin=ir_kelvin))


@pytest.mark.parametrize(("dtype", "modality", "ir_kelvin", "scaled"), [
    ("float32", "sar", None, 14), ("uint16", "ir", [1.0, 2.0, 3.0, 4.0], 25), ("uint8", "optical", None, 12)])
def test_the_tile_window_check_counts_the_scenes_scaling(monkeypatch, dtype, modality, ir_kelvin, scaled):
    """270e15f9: window_problem counted 12 bytes a value whatever the modality; a float32 sar batch needing 14, a
    thermal one through Planck's law 25, was let through at 12's figure."""
    from rsvlm.predict_tiles import window_problem

    need = budget.batch_bytes(512, 512, 1, dtype, 4, scaled_bytes=scaled)
    assert scaled == budget.scaling_bytes(dtype, modality, ir_kelvin)
    for free, fits in ((need, True), (need - 1, False)):
        monkeypatch.setattr(budget, "available_bytes", lambda *a, free=free, **k: free)
        err = window_problem(_scene(dtype, modality, ir_kelvin), 512, 0, 4, "s.tif")
        assert (err is None) is fits, err
