"""Rough-edge tour 57 of image I/O: constant bands on display, display bands by name for every
modality, integer SAR stored as dB × 100, grid masks decoded once per overlay."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import ReadConfig, RSImage, draw_overlay, read_image, to_display_rgb

rasterio = pytest.importorskip("rasterio")
from test_io_read import write_tif  # noqa: E402


def _img(data, modality, bands, valid=None):
    return RSImage(data=np.asarray(data, np.float32), modality=modality, bands=bands, path="synthetic", valid=valid)


def test_an_overlay_rasterises_each_grid_mask_once(tmp_path, monkeypatch):
    """Each grid mask was rasterised 3 times (placing it, filling it, labelling it): 200 masks of a
    2048 px overlay took 600 grid_to_mask calls."""
    import rsvlm.geometry.grid as grid

    masks = []
    for k in range(3):
        m = np.zeros((64, 64), bool)
        m[10 + 15 * k : 20 + 15 * k, 5:40] = True
        masks.append({"kind": "mask", "label": "field", "coords": grid.grid_from_mask(m, budget=200)})
    calls, real = [], grid.grid_to_mask
    monkeypatch.setattr(grid, "grid_to_mask", lambda *a, **k: calls.append(1) or real(*a, **k))
    out = draw_overlay(_img(np.zeros((3, 64, 64)), "optical", ["R", "G", "B"]), masks, tmp_path / "o.png", min_side=64)
    assert len(calls) == 3
    from PIL import Image

    drawn = np.asarray(Image.open(out))  # (64, 64, 3): each mask filled where it lies
    assert all(drawn[15 + 15 * k, 20].any() for k in range(3)) and not drawn[60, 60].any()


@pytest.mark.parametrize("modality, arr", [
    ("optical", np.full((3, 16, 16), 1000, np.uint16)),  # a blank uint16 tile
    ("sar", np.full((1, 16, 16), 0.3, np.float32)),  # amplitude, one dB value
    ("ir", np.full((1, 16, 16), 300, np.uint16)),
])
def test_a_band_of_one_value_reads_and_draws_mid_grey_not_black(tmp_path, modality, arr):
    """Its 2-98 % stretch had no width and took [v, v + 1], which put v at 0: black, unsaid."""
    img = read_image(write_tif(tmp_path / "flat.tif", arr), modality)
    assert np.allclose(img.data, 0.5)
    assert any("of one value throughout" in n and "mid-grey" in n for n in img.notes)
    if modality != "ir":  # (ir goes through its colour map)
        assert (to_display_rgb(img) == 128).all()


def test_a_float_band_of_one_value_in_display_range_reads_as_it_is(tmp_path):
    img = read_image(write_tif(tmp_path / "f.tif", np.full((3, 8, 8), 0.25, np.float32)), "optical")
    assert np.allclose(img.data, 0.25) and any("as it is (in [0, 1])" in n for n in img.notes)
    fixed = read_image(tmp_path / "f.tif", "optical", scaling=ReadConfig(stretch=[[0, 0.5]] * 3))
    assert np.allclose(fixed.data, 0.5) and not any("one value" in n for n in fixed.notes)  # a given stretch holds


def test_an_msi_composite_of_one_value_is_drawn_as_its_reflectance():
    img = _img(np.full((4, 8, 8), 0.2), "msi", ["B02", "B03", "B04", "B08"])
    assert (to_display_rgb(img) == 51).all()  # 0.2 × 255; the joint 2-98 % stretch drew it black
    img = _img(np.full((4, 8, 8), 3.0), "msi", ["B02", "B03", "B04", "B08"])  # past [0, 1]: mid-grey
    assert (to_display_rgb(img) == 128).all()


def test_an_optical_geotiff_stored_bgr_is_named_and_drawn_by_its_colours(tmp_path):
    """Its blue band was named R: fed to the model's red channel and drawn red."""
    from rasterio.enums import ColorInterp

    arr = np.zeros((3, 8, 8), np.uint8)
    arr[0] = 200  # the file's first band is blue, as its colour interpretation says
    p = write_tif(tmp_path / "bgr.tif", arr)
    with rasterio.open(p, "r+") as ds:
        ds.colorinterp = [ColorInterp.blue, ColorInterp.green, ColorInterp.red]
    img = read_image(p)
    assert img.bands == ["B", "G", "R"] and any("bands stored B, G, R" in n for n in img.notes)
    assert tuple(to_display_rgb(img)[0, 0]) == (0, 0, 200)
    assert tuple(to_display_rgb(img, rgb_bands=["b", "g", "r"])[0, 0]) == (200, 0, 0)  # as asked, any case


def test_rgb_bands_are_honoured_for_optical_and_sar_and_refused_by_name_for_ir():
    """rgb_bands was read for msi alone: an optical or SAR image ignored it without a word."""
    ramp = np.linspace(0, 1, 8, dtype=np.float32)
    opt = _img(np.stack([np.full((8, 8), 0.2), np.full((8, 8), 0.6), np.tile(ramp, (8, 1))]), "optical", ["R", "G", "B"])
    assert tuple(to_display_rgb(opt, rgb_bands=["G", "R", "R"])[0, 0]) == (153, 51, 51)
    sar = _img(np.stack([np.full((8, 8), 1.0), np.zeros((8, 8))]), "sar", ["VV", "VH"])
    assert tuple(to_display_rgb(sar)[0, 0]) == (255, 255, 255)  # grey of VV
    assert tuple(to_display_rgb(sar, rgb_bands=["vv", "VH", "VV"])[0, 0]) == (255, 0, 255)
    with pytest.raises(ValueError, match=r"ir image has one band \(b1\).*ir_cmap"):
        to_display_rgb(_img(ramp[None, None].repeat(8, 1), "ir", ["b1"]), rgb_bands=["b1", "b1", "b1"])
    with pytest.raises(ValueError, match="'HH' names none"):
        to_display_rgb(sar, rgb_bands=["HH", "VH", "VV"])


def test_rgb_bands_match_as_the_stem_matches_band_names():
    """``B4`` / ``red`` for ``B04``: only the exact spelling was found ("must be 3 of the image's bands")."""
    data = np.zeros((4, 8, 8), np.float32)
    data[2] = 0.3  # B04, red
    img = _img(data, "msi", ["B02", "B03", "B04", "B08"])
    for names in (["B4", "B3", "B2"], ["red", "green", "blue"], ["R", "g", "b02"]):
        assert tuple(to_display_rgb(img, rgb_bands=names)[0, 0]) == (255, 0, 0), names


def _db100(tmp_path, name, scale=None, iq=False):
    """An int16 SAR GeoTIFF of dB × 100 (water -22 dB on the left, land -8 dB on the right), or an
    SLC's real part (I: centred on 0)."""
    rng = np.random.default_rng(0)
    db = np.where(np.arange(64)[None, :] < 32, -22.0, -8.0) + rng.normal(0, 1.5, (64, 64))
    arr = rng.normal(0, 300, (64, 64)) if iq else db * 100
    p = write_tif(tmp_path / name, np.round(arr).astype(np.int16))
    if scale:
        with rasterio.open(p, "r+") as ds:
            ds.scales = (scale,)
    return p


def test_int16_sar_of_db_times_100_reads_as_db_with_the_declared_scale(tmp_path):
    """Read as amplitude (20·log10 |DN|) its water came out bright and its land dark."""
    img = read_image(_db100(tmp_path, "s.tif", scale=0.01), "sar")
    assert img.data[0, :, :32].mean() < 0.3 < 0.7 < img.data[0, :, 32:].mean()  # water dark, land bright
    assert any("read as dB × 100 by the scale the file declares" in n for n in img.notes)
    assert not any("not applied" in n for n in img.notes)
    stretch = next(n for n in img.notes if n.startswith("stretch"))
    lo, hi = (float(x) for x in stretch.split("[")[1].rstrip("]").split(", "))
    assert -27 < lo < -20 and -8 < hi < -3  # in dB
    fixed = read_image(tmp_path / "s.tif", "sar", scaling=ReadConfig(sar_db_range=[-25, 0]))
    assert abs(fixed.data[0, :, :32].mean() - 3 / 25) < 0.05  # -22 dB of [-25, 0]


def test_int16_sar_of_db_without_a_declared_scale_is_told_by_its_values(tmp_path):
    p = _db100(tmp_path, "u.tif")
    img = read_image(p, "sar")
    assert img.data[0, :, :32].mean() < 0.3 < 0.7 < img.data[0, :, 32:].mean()
    assert any("factor the file does not declare" in n and "sar_db_scale=0.01" in n for n in img.notes)
    with pytest.raises(ValueError, match=r"u\.tif: sar_db_range .* give ReadConfig\.sar_db_scale"):
        read_image(p, "sar", scaling=ReadConfig(sar_db_range=[-25, 0]))  # all would clip to black
    given = read_image(p, "sar", scaling=ReadConfig(sar_db_scale=0.01, sar_db_range=[-25, 0]))
    assert abs(given.data[0, :, :32].mean() - 3 / 25) < 0.05
    with pytest.raises(ValueError, match="sar_db_scale"):
        read_image(p, "sar", scaling=ReadConfig(sar_db_scale=0.01, sar_input="amplitude"))


def test_an_int16_slc_part_centred_on_zero_is_not_taken_for_db(tmp_path):
    img = read_image(_db100(tmp_path, "i.tif", iq=True), "sar")
    assert not any("read as dB" in n for n in img.notes)


def test_rgb_bands_may_be_written_comma_separated_as_band_lists_are():
    """A string was taken letter by letter: "must be 3 of the image's bands" for ['B', '0', '8', ',', …]."""
    data = np.zeros((4, 8, 8), np.float32)
    data[3] = 0.4  # B08
    img = _img(data, "msi", ["B02", "B03", "B04", "B08"])
    assert tuple(to_display_rgb(img, rgb_bands="B08, B04,B03")[0, 0]) == (255, 0, 0)


def test_scaling_may_be_a_dict_of_read_config_fields_and_a_wrong_key_is_named(tmp_path):
    """A dict (a YAML or JSON config's) met "replace() should be called on dataclass instances"."""
    p = _db100(tmp_path, "d.tif")
    img = read_image(p, "sar", scaling={"sar_db_scale": 0.01, "sar_db_range": [-25, 0]})
    assert abs(img.data[0, :, :32].mean() - 3 / 25) < 0.05
    with pytest.raises(ValueError, match=r"unknown key scaling\.sar_db_rang for ReadConfig; valid keys.*sar_db_range"):
        read_image(p, "sar", scaling={"sar_db_rang": [-25, 0]})
    with pytest.raises(TypeError, match="ReadConfig or a dict"):
        read_image(p, "sar", scaling=[-25, 0])


def test_empty_masks_of_tile_answers_are_counted_and_said_not_dropped_unsaid(tmp_path, capsys):
    from rsvlm.io import TileMerger, run_tiled

    p = write_tif(tmp_path / "t.tif", np.random.default_rng(0).integers(0, 255, (3, 64, 64), dtype=np.uint8))
    empty = {"kind": "mask", "label": "pond", "mask": np.zeros((32, 32), bool)}
    full = {"kind": "mask", "label": "pond", "mask": np.ones((32, 32), bool)}
    merger = TileMerger()
    objects = run_tiled(p, lambda ims: [[empty, full]] * len(ims), tile=32, overlap=0, merger=merger)
    assert merger.n_empty_masks == 4 and len(objects) == 1  # the 4 full tiles' masks meet at seams: one
    assert merger.notes == ["4 masks in the tile answers hold no pixel: no object, not kept"]
    assert "4 masks in the tile answers hold no pixel" in capsys.readouterr().err


def test_float_sar_of_db_times_100_is_said_as_such_not_kept_as_db(tmp_path):
    """Float dB × 100 was "already in dB: kept as they are", then scaled by the declared 0.01 unsaid, or
    (undeclared) clipped to black by a sar_db_range in dB."""
    with rasterio.open(_db100(tmp_path, "i.tif")) as ds:
        dn = ds.read().astype(np.float32)  # (1, 64, 64) dB × 100
    declared = write_tif(tmp_path / "f.tif", dn)
    with rasterio.open(declared, "r+") as ds:
        ds.scales = (0.01,)
    img = read_image(declared, "sar", scaling={"sar_db_range": [-25, 0]})
    assert abs(img.data[0, :, :32].mean() - 3 / 25) < 0.05
    assert any(n.startswith("float values") and "dB × 100 by the scale the file declares" in n for n in img.notes)
    with pytest.raises(ValueError, match="float values .* give ReadConfig.sar_db_scale"):
        read_image(write_tif(tmp_path / "u.tif", dn), "sar", scaling={"sar_db_range": [-25, 0]})
    plain = read_image(write_tif(tmp_path / "db.tif", dn / 100), "sar")  # dB as it is: said as before
    assert any("already in dB (no amplitude is negative): kept as they are" in n for n in plain.notes)
