"""Reading tour 78: a grey band guessed optical, held for its samples, is read from that hold where the read fits
once the hold is dropped (it copies the band into 3, then drops the hold, then scales), not decoded again."""

from __future__ import annotations

import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402
from tests.test_io_tour77 import memory_left_of  # noqa: E402

PAN = REALDATA / "bldg_spacenet4" / "sample_geotiff.tif"


@pytest.mark.skipif(not PAN.exists(), reason=f"real data not found: {PAN}")
def test_the_real_pan_guessed_optical_at_42_43_bytes_a_pixel_is_read_from_its_hold(monkeypatch):
    """The real 900x900 uint16 WorldView pan, no modality given (optical by its values): its read needs 3 x (2 + 12)
    = 42 bytes a pixel. Was: at 42-43 the hold (2 more) was dropped and the scene read from the file twice more (its
    stretch's sample, then the read: 3 reads of the file); now read from the hold, 1 read, as from 44.
    At 41 it is refused as before."""
    reads = []
    plain = rasterio.io.DatasetReader.read
    monkeypatch.setattr(rasterio.io.DatasetReader, "read", lambda self, *a, **k: reads.append(1) or plain(self, *a, **k))
    n = 900 * 900
    for per, want in ((41, "refused"), (42, 1), (43, 1), (44, 1)):
        reads.clear()
        decoded = memory_left_of(monkeypatch, n * per)
        try:
            img = read_image(PAN)
        except SceneTooLarge as e:
            assert want == "refused" and str(e).startswith(f"{PAN}: not enough memory to read the whole scene"), per
            continue
        assert img.modality == "optical" and img.data.shape == (3, 900, 900), per
        assert (len(reads), sum(s.decodes for s in {id(s): s for s in decoded}.values())) == (want, 1), per
