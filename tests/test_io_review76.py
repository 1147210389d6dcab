"""Review of reading tour 76: a held whole read counted 12 bytes a value for its scaling, which a float or sar
scene (13-14) or a thermal one turned into kelvin (15; 25 through Planck's law) passes, so a read that did not fit
was let through; a renamed Landsat thermal band (B10.tif) read as ir was told of a Sentinel-2 fill."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import SceneReader, read_image  # noqa: E402
from rsvlm.io.scaling import ReadConfig  # noqa: E402
from tests.test_io_tour74b_shared_read import scene_bands, write_geotiff  # noqa: E402
from tests.test_io_tour76 import memory_left_of  # noqa: E402

KELVIN = ReadConfig(ir_kelvin=[0.01, 0.0])
PLANCK = ReadConfig(ir_kelvin=[3.342e-4, 0.1, 774.89, 1321.08])


def test_a_held_thermal_scene_counts_its_kelvin_scaling(tmp_path, monkeypatch):
    """12 bytes a value were free beside the held raw values: D's check let the read through, which takes 15."""
    n = 300 * 400
    path = write_geotiff(tmp_path / "t.tif", scene_bands(c=1, h=300, w=400, dtype="float32"))
    memory_left_of(monkeypatch, n * (4 + 13))  # 13 bytes a value left once the shared read holds its 4
    with pytest.raises(SceneTooLarge, match=re.escape(f"{path}: not enough memory to read the whole scene")):
        read_image(path, "ir", scaling=KELVIN)
    memory_left_of(monkeypatch, n * (4 + 16))
    assert np.isfinite(read_image(path, "ir", scaling=KELVIN).data).all()


CASES = [("uint16", "optical", 3, None), ("float32", "optical", 3, None), ("float64", "ir", 1, None),
         ("float32", "sar", 1, None), ("complex64", "sar", 1, None), ("uint16", "sar", 2, None),
         ("uint16", "ir", 1, KELVIN), ("float64", "ir", 1, KELVIN), ("uint16", "ir", 1, PLANCK)]


@pytest.mark.parametrize("dtype,modality,c,cfg", CASES)
def test_the_scaling_a_read_counts_covers_what_it_takes(tmp_path, monkeypatch, dtype, modality, c, cfg):
    """The peak ``_scaled`` allocates beside a held whole read (tracemalloc) is no more than the check counts."""
    data = scene_bands(c=c, h=200, w=300, dtype="uint16").astype(np.float64) + 1
    data[:, :, :5] = 0
    path = write_geotiff(tmp_path / "s.tif", (data + 1j * data if dtype.startswith("complex") else data).astype(dtype))
    peak, plain = [], SceneReader._scaled

    def measured(self, raw, valid):
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            out = plain(self, raw, valid)
            peak.append((tracemalloc.get_traced_memory()[1] - base) / raw.size)
        finally:
            tracemalloc.stop()
        return out

    monkeypatch.setattr(SceneReader, "_scaled", measured)
    with SceneReader(path, modality, scaling=cfg, whole=True) as scene:
        assert scene._held_whole()  # the case the count without the raw values is for
        counted = scene._scaling_bytes()
        scene.read()
    assert peak[0] <= counted + 0.1, (peak[0], counted)


def test_a_renamed_landsat_thermal_band_read_as_ir_is_not_told_a_sentinel2_fill(tmp_path):
    """B10 / B11 are spelt alike in both missions: a Landsat thermal band file renamed B10.tif, read as ir, had been
    told "Sentinel-2 fill" (its DN 0 is nodata in either: masked all the same)."""
    data = scene_bands(c=1, h=60, w=80)
    data[:, :, :10] = 0
    img = read_image(write_geotiff(tmp_path / "B10.tif", data), "ir")
    assert any(n.startswith("Sentinel-2 or Landsat fill: DN 0 read as nodata") for n in img.notes), img.notes
    assert not img.valid[:, :10].any() and img.valid[:, 10:].all()
    b04 = read_image(write_geotiff(tmp_path / "B04.tif", data), "ir")  # Sentinel-2's alone
    assert any(n.startswith("Sentinel-2 fill: DN 0") for n in b04.notes), b04.notes
