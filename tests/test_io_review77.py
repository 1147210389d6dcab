"""Review of reading tour 77: the shared read's hold counts kelvin only where something may make a band kelvin; a
band count's refusal does not suggest sar for bands named as colours; the converters say one hint, not two."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from convert_helpers import convert  # noqa: E402

from rsvlm.io import budget  # noqa: E402
from rsvlm.io.read import SceneReader, read_image  # noqa: E402
from rsvlm.io.shared_read import SharedRead  # noqa: E402
from tests.test_io_tour74b_shared_read import scene_bands, write_geotiff  # noqa: E402
from tests.test_io_tour77 import memory_left_of  # noqa: E402

REAL_RGBN = REALDATA / "msi_rgbn" / "rgbn_suba.tif"
H, W = 300, 400


def test_an_unsigned_band_nothing_makes_kelvin_is_held_at_sars_count(tmp_path, monkeypatch):
    """A uint16 pan or SAR band was counted ir in kelvin's 15 before the guess (17 bytes a pixel): at 16 free it was
    not held and was read from the file again for each sample (a 6000² pan read shrunk: 7 decodes, 0.8 s to 3 s).
    Only a declared scale or unit, float or signed values, or a Landsat name can make a band kelvin."""
    assert budget.most_scaling_bytes("uint16", kelvin=False) == 14 < budget.most_scaling_bytes("uint16") == 15
    h, w, side = 1200, 1600, 1100  # shrunk past the stretch's 1024 px sample, which the hold then serves
    fits = []
    plain_fits = SharedRead._fits
    monkeypatch.setattr(SharedRead, "_fits", lambda self: fits.append(r := plain_fits(self)) or r)
    held = side * round(h * side / w)
    for name, scale, want in (("pan.tif", None, True), ("t.tif", 0.01, False)):  # DN × 0.01 may be kelvin: 15
        path = write_geotiff(tmp_path / name, scene_bands(c=1, h=h, w=w))
        if scale:
            with rasterio.open(path, "r+") as ds:
                ds.scales, ds.offsets = (scale,), (0.0,)
        decoded = memory_left_of(monkeypatch, held * (2 + 14))
        fits.clear()
        with SceneReader(path, shrunk=side) as scene:
            assert fits and fits[0] is want and bool(decoded) is want, (name, fits)
            assert scene.read_shrunk(side).data.shape[1:] == (round(h * side / w), side)


def test_a_band_count_refused_does_not_suggest_sar_for_colour_bands(tmp_path):
    """'it can be read as msi, sar' was said of a 4-band red, green, blue, nir file, which --modality sar refuses
    ('these are colours or multispectral bands')."""
    path = write_geotiff(tmp_path / "rgbn.tif", scene_bands(c=4, h=32, w=32))
    with rasterio.open(path, "r+") as ds:
        for i, d in enumerate(("red", "green", "blue", "nir")):
            ds.set_band_description(i + 1, d)
    with pytest.raises(ValueError, match=re.escape("; it can be read as msi: give the one it is (--modality)")):
        read_image(path, "optical")
    with pytest.raises(ValueError, match="these are colours or multispectral bands"):
        read_image(path, "sar")
    assert read_image(path, "msi").modality == "msi"
    plain = write_geotiff(tmp_path / "four.tif", scene_bands(c=4, h=32, w=32))  # nothing says colours
    with pytest.raises(ValueError, match=re.escape("; it can be read as msi, sar: give the one")):
        read_image(plain, "optical")
    if REAL_RGBN.exists():
        with pytest.raises(ValueError, match=re.escape(f"{REAL_RGBN}: 4 bands cannot be read as ir; expected 1 band "
                                                       "(or 3 identical bands); it can be read as msi: give")):
            read_image(REAL_RGBN, "ir")


def test_the_converters_say_what_a_file_reads_as_once(tmp_path):
    """The converters added '; it reads as msi (--modality msi)' after the reader's own '; it can be read as msi,
    sar: give the one it is (--modality), …': two hints. One now: the converter's, which names the guess."""
    from data_gen.convert.bandfiles import scene_modality
    from data_gen.convert.images import WrongBands, check_bands

    for folder in ("src/forest", "src/river", "bands"):
        (tmp_path / folder).mkdir(parents=True)
    rgbn = write_geotiff(tmp_path / "src" / "forest" / "rgbn.tif", scene_bands(c=4, h=30, w=40))
    sar = write_geotiff(tmp_path / "c.tif", (scene_bands(c=1, h=30, w=40) + 1j).astype(np.complex64))
    for path, asked, said in ((rgbn, "optical", "4 bands cannot be read as optical; expected 3 bands (RGB), 4 with "
                               "alpha, or 1 grey band; it reads as msi (--modality msi)"),
                              (sar, "ir", "complex complex64 data can only be read as sar, not ir; it reads as sar "
                               "(--modality sar)")):
        with pytest.raises(WrongBands) as e:
            check_bands(path, asked)
        assert str(e.value) == f"{path}: {said}"
    files = [write_geotiff(tmp_path / "bands" / f"a_{b}.tif", scene_bands(c=1, h=30, w=40, seed=k))
             for k, b in enumerate(("B02", "B03", "B04", "B08"))]
    with pytest.raises(WrongBands) as e:
        scene_modality(files, "optical")
    assert str(e.value).endswith("1 grey band; they read as msi (--modality msi)") and "can be read as" not in str(
        e.value)
    write_geotiff(tmp_path / "src" / "river" / "rgb.tif", scene_bands(c=3, h=30, w=40))
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"), "--modality", "optical")
    said = stats["skipped_examples"]["wrong_band_count"]
    assert stats["skipped"] == {"wrong_band_count": 1} and len(recs) == 1, stats
    assert said.endswith("1 grey band; it reads as msi (--modality msi))") and "can be read as" not in said, said
