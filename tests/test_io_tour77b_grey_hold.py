"""Reading tour 77b: a grey (one-band) scene read as optical is copied into 3 bands by the read; the shared read's
hold counts that copy where the read will be optical, so the scene is no longer held, then refused."""

from __future__ import annotations

import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from rsvlm.io import budget  # noqa: E402
from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402
from rsvlm.io.shared_read import SharedRead  # noqa: E402
from tests.test_io_tour74b_shared_read import scene_bands, write_geotiff  # noqa: E402
from tests.test_io_tour77 import memory_left_of  # noqa: E402

PAN = REALDATA / "bldg_spacenet4" / "sample_geotiff.tif"


def _outcome(monkeypatch, path, modality, per_pixel: int, n: int) -> tuple[str, bool]:
    """("read" | "refused", whether it was held) of a whole read with ``per_pixel`` bytes a pixel free."""
    decoded = memory_left_of(monkeypatch, n * per_pixel)
    try:
        img = read_image(path, modality)
    except SceneTooLarge as e:
        assert str(e).startswith(f"{path}: not enough memory to read the whole scene"), e
        return "refused", bool(decoded)
    assert img.data.shape[0] == (1 if modality in ("sar", "ir") else 3)
    return "read", bool(decoded)


@pytest.mark.parametrize("h, w", [(300, 400)])
def test_a_grey_band_given_optical_is_not_held_then_refused(tmp_path, monkeypatch, h, w):
    """uint16, 1 band, optical: the read needs 3 x (2 + 12) = 42 bytes a pixel, the hold 2 more. Was: held at 42-43
    (counted 1 x 14), then refused. Now not held there, and read from the file; held from 44."""
    path = write_geotiff(tmp_path / "grey.tif", scene_bands(c=1, h=h, w=w))
    n = h * w
    assert _outcome(monkeypatch, path, "optical", 41, n) == ("refused", False)
    assert _outcome(monkeypatch, path, "optical", 42, n) == ("read", False)
    assert _outcome(monkeypatch, path, "optical", 43, n) == ("read", False)
    assert _outcome(monkeypatch, path, "optical", 44, n) == ("read", True)


@pytest.mark.skipif(not PAN.exists(), reason=f"real data not found: {PAN}")
@pytest.mark.parametrize("modality, refused_below, held_from", [
    ("optical", 42, 44),  # counted 3 bands: read from the file at 42-43, held from 44
    (None, 42, 16),  # guessed optical by its values after the hold (it may be ir: 1 band); read from it at 42-43
    ("sar", 16, 16), ("ir", 14, 14),  # one band read: held as before
])
def test_the_real_worldview_pan_is_never_held_then_refused_needlessly(monkeypatch, modality, refused_below,
                                                                      held_from):
    """The real 900x900 uint16 pan: no bytes-a-pixel free at which it is refused but would read without the hold;
    given optical, none at which it is held then refused."""
    n = 900 * 900
    for per in range(12, 48):
        got = _outcome(monkeypatch, PAN, modality, per, n)
        assert got[0] == ("read" if per >= refused_below else "refused"), (per, got)
        if modality == "optical" or got[0] == "read":
            assert got[1] is (per >= held_from), (per, got)


def test_a_hold_counts_what_the_read_makes_of_it(monkeypatch):
    """SharedRead._fits: 1 uint16 band held, 3 made: 2 held + 3 x (2 + 12) = 44 bytes a pixel (was 1 x 14)."""
    class Src:
        width, height, count, dtype, alpha_index, datasets = 100, 50, 1, "uint16", None, []
    for made, per in ((None, 14), (lambda k: 3 * k, 44)):
        for free, fits in ((100 * 50 * per, True), (100 * 50 * per - 1, False)):
            monkeypatch.setattr(budget, "available_bytes", lambda *a, free=free, **k: free)
            s = SharedRead(Src(), 100, [0], made=made)
            assert s._fits() is fits and (s.side == 100) is fits, (per, free)
