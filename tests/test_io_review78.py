"""Review 78 of the reading area: predict's whole read (``SceneReader(shrunk=...).read_shrunk``) of a grey band
guessed optical is checked as ``read`` is since da807436, counting the hold it copies from as free."""

from __future__ import annotations

import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import SceneReader  # noqa: E402
from tests.test_io_tour77 import memory_left_of  # noqa: E402

PAN = REALDATA / "bldg_spacenet4" / "sample_geotiff.tif"


@pytest.mark.skipif(not PAN.exists(), reason=f"real data not found: {PAN}")
def test_predicts_shrunk_read_of_the_real_pan_at_42_43_bytes_a_pixel_is_read_from_its_hold(monkeypatch):
    """The real 900x900 uint16 WorldView pan, no modality given, as predict reads it (shrunk to 2048: whole): its
    read needs 3 x (2 + 12) = 42 bytes a pixel once the hold (2) is dropped. Was: refused at 42-43, read_shrunk's
    own check counting the hold spent beside the read (``read_image`` read it there); now read, from the hold."""
    reads = []
    plain = rasterio.io.DatasetReader.read
    monkeypatch.setattr(rasterio.io.DatasetReader, "read", lambda self, *a, **k: reads.append(1) or plain(self, *a, **k))
    for per in (41, 42, 43, 44):
        reads.clear()
        decoded = memory_left_of(monkeypatch, 900 * 900 * per)
        try:
            with SceneReader(PAN, shrunk=2048) as scene:
                img = scene.read_shrunk(2048)
        except SceneTooLarge as e:
            assert per == 41 and str(e).startswith(f"{PAN}: not enough memory to read the whole scene"), (per, e)
            continue
        assert per > 41 and img.modality == "optical" and img.data.shape == (3, 900, 900), per
        assert (len(reads), sum(s.decodes for s in {id(s): s for s in decoded}.values())) == (1, 1), per


REAL = PAN.parents[1]


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real data not found: {REAL}")
@pytest.mark.parametrize("name, modality, bands, said", [
    ("msi_landsat7/RGB.byte.tif", "sar", None, "3 bands cannot be read as sar"),
    ("cls_aid/church_183.png", "ir", None, "3 bands cannot be read as ir"),
    ("msi_rgbn/rgbn_suba.tif", "optical", None, "4 bands cannot be read as optical"),
    ("sar_s1grd/iw-vv.tiff", "msi", None, "1 band cannot be read as msi"),
    ("msi_landsat7/RGB.byte.tif", None, ["R", "G", "B", "N"], "4 band names ['R', 'G', 'B', 'N'] given; the image has 3"),
])
def test_a_real_raster_asked_as_the_wrong_modality_or_band_count_is_refused_naming_it(name, modality, bands, said):
    """3371dbe1 said the tour's wrong modalities and band counts were kept as a test; only the damaged copies were."""
    from rsvlm.io.read import read_image

    path = REAL / name
    with pytest.raises(ValueError) as e:
        read_image(path, modality, bands)
    assert str(e.value).startswith(f"{path}: {said}"), str(e.value)


def _bent(at):
    """Places in degrees of pixels ``at`` (n, 2), a swath bent in both axes (about 2.5° x 1.6° at 25000 x 16000 px)."""
    import numpy as np

    return np.c_[10 + at[:, 0] * 1e-4 + 1e-9 * at[:, 1] ** 2, 50 - at[:, 1] * 1e-4 + 1e-10 * at[:, 0] ** 2]


def test_dense_gcp_grids_are_no_clash_to_gcp_near():
    """GCP_NEAR (1e-6 of the extent) flags no GCP of a legitimate grid of TPS_MAX_GCPS: a 40 x 25 grid over a
    25000 x 16000 px swath (640 px apart), 1000 GCPs at random pixels, and the real S1 GRD's 210 (2.6e-2 of its
    extent apart at the least, in pixels and on the map), so each keeps the spline."""
    import numpy as np

    from rsvlm.io import georef

    r, c = np.meshgrid(np.linspace(0, 16000, 40), np.linspace(0, 25000, 25), indexing="ij")
    grid = np.c_[c.ravel(), r.ravel()]
    scattered = np.random.default_rng(0).uniform(0, 20000, (georef.TPS_MAX_GCPS, 2))
    for at in (grid, scattered):
        assert len(at) == georef.TPS_MAX_GCPS and georef._clash(at, _bent(at)) == list(range(len(at)))
    s1 = REAL / "sar_s1grd" / "iw-vv.tiff"
    if s1.exists():
        with rasterio.open(s1) as ds:
            gcps = ds.gcps[0]
        at, to = (np.array([[getattr(g, k) for k in ks] for g in gcps]) for ks in (("col", "row"), ("x", "y")))
        assert len(gcps) == 210 and georef._clash(at, to) == list(range(210))
