"""Which image band feeds which stem band: names, synonyms, stand-ins and filled bands."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.model.stem import StemConfig, match_bands, prepare

S2 = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08", "B11", "B12"],
                mean=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], std=[0.1] * 6, encoder="default")
SAR = StemConfig(modality="sar", bands=["VV", "VH"], mean=[0.5, 0.4], std=[0.2, 0.2], encoder="default")
IR = StemConfig(modality="ir", bands=["TIR"], mean=[0.5], std=[0.25], encoder="default")


def planes(*values, size=8):
    return np.stack([np.full((size, size), v, np.float32) for v in values])  # (C,size,size)


def test_plain_names_are_sentinel2_bands_and_the_rest_is_filled_with_its_mean():
    m = match_bands(S2, ["R", "G", "B", "nir"], 4, "rgbn.tif", fill="mean")
    assert m.index == [2, 1, 0, 3, None, None]
    assert "band nir read as B08" in m.notes and any(n.startswith("B11, B12 missing") for n in m.notes)
    x = prepare(S2, planes(0.9, 0.8, 0.7, 0.6), 8, ["R", "G", "B", "nir"], "rgbn.tif", fill="mean")
    np.testing.assert_allclose(x[:, 0, 0].numpy(), [(0.7 - 0.1) / 0.1, (0.8 - 0.2) / 0.1, (0.9 - 0.3) / 0.1,
                                                     (0.6 - 0.4) / 0.1, 0.0, 0.0], atol=1e-5)


def test_without_fill_a_missing_band_is_an_error_naming_file_and_band():
    with pytest.raises(ValueError, match=r"rgbn\.tif: modality 'msi' expects .*missing \['B11', 'B12'\]"):
        prepare(S2, planes(0.9, 0.8, 0.7, 0.6), 8, ["R", "G", "B", "NIR"], "rgbn.tif")
    # synonyms are the same band, so they need no fill
    x = prepare(S2, planes(1, 2, 3, 4, 5, 6), 8, ["blue", "green", "red", "NIR", "swir1", "SWIR2"])
    np.testing.assert_allclose(x[:, 0, 0].numpy(), (np.arange(1, 7) - np.array(S2.mean)) / 0.1, rtol=1e-5)


def test_single_polarisation_sar():
    assert match_bands(SAR, ["vv"], 1, fill="mean").index == [0, None]  # names match case-insensitively
    m = match_bands(SAR, ["b1"], 1, "grd.tif", fill="mean")  # unnamed: taken as the first band, said so
    assert m.index == [0, None] and "taken as VV" in m.notes[0]
    hh = match_bands(SAR, ["HH"], 1, fill="mean")  # the co-polarised band stands in, said so
    assert hh.index == [0, None] and "HH stands in for VV" in hh.notes[0]
    with pytest.raises(ValueError, match="missing"):
        match_bands(SAR, ["HH"], 1)  # a stand-in is only taken where filling is allowed
    with pytest.raises(ValueError, match=r"grd\.tif: modality 'sar' expects 2 bands"):
        match_bands(SAR, ["b1"], 1, "grd.tif")
    x = prepare(SAR, planes(0.7), 8, ["VV"], fill="mean")
    assert x.shape == (2, 8, 8) and x[1].abs().max() == 0 and np.isclose(float(x[0, 0, 0]), (0.7 - 0.5) / 0.2)


def test_copy_fill_is_the_nearest_present_band_rescaled_to_the_missing_bands_statistics():
    m = match_bands(SAR, ["VV"], 1, fill="copy")
    assert m.index == [0, None] and m.copy_from == {1: 0} and "VH missing: filled with VV, rescaled" in m.notes[0]
    vv = np.random.default_rng(0).uniform(0, 1, (1, 8, 8)).astype(np.float32)
    x = prepare(SAR, vv, 8, ["VV"], fill="copy")
    np.testing.assert_allclose(x[1].numpy(), x[0].numpy(), atol=1e-5)  # VH is VV after normalisation
    np.testing.assert_allclose(x[0].numpy(), (vv[0] - 0.5) / 0.2, atol=1e-5)
    # MSI: B11 and B12 copy B08, the nearest present band in the configured order
    assert match_bands(S2, ["R", "G", "B", "NIR"], 4, fill="copy").copy_from == {4: 3, 5: 3}
    assert match_bands(S2, ["R", "G", "B"], 3, fill="copy").copy_from == {3: 2, 4: 2, 5: 2}
    with pytest.raises(ValueError, match="fill must be one of"):
        match_bands(SAR, ["VV"], 1, fill="zero")


def test_what_cannot_be_matched_still_fails():
    with pytest.raises(ValueError, match=r"none of the bands \['B05', 'B06'\] is one of modality 'msi'"):
        match_bands(S2, ["B05", "B06"], 2, fill="mean")  # filling everything would be a blank image
    with pytest.raises(ValueError, match="expects 6 band.*got 4; name them"):
        match_bands(S2, ["b1", "b2", "b3", "b4"], 4, fill="mean")  # which 4 of the 6? not guessed
    with pytest.raises(ValueError, match="2 band names"):
        match_bands(S2, ["R", "G"], 3)
    m = match_bands(IR, ["B10"], 1, fill="mean")  # one named band feeds a one-band stem
    assert m.index == [0] and m.notes == ["band B10 taken as TIR"]


def test_earth_engine_band_numbers_without_zeros_are_the_same_bands():
    gee = ["B2", "B3", "B4", "B8", "B11", "B12"]  # Google Earth Engine's Sentinel-2 names
    m = match_bands(S2, gee, 6, "gee.tif")  # no fill needed: every band is there
    assert m.index == [0, 1, 2, 3, 4, 5] and "band B4 read as B04" in m.notes
    assert match_bands(S2, ["b08", "B04"], 2, fill="mean").index == [None, None, 1, 0, None, None]
    with pytest.raises(ValueError, match=r"missing \['B08'"):  # B8A is the red edge, not B08
        match_bands(S2, ["B2", "B3", "B4", "B8A", "B11", "B12"], 6, "gee.tif")


def test_unnamed_bands_in_order_are_said_to_be_a_guess_except_rgb():
    m = match_bands(SAR, ["b1", "b2"], 2, "pair.tif")
    assert m.index == [0, 1] and m.notes == ["2 unnamed bands taken in the order VV, VH (if not, name them with --bands, or "
                                               '"bands" in a record\'s image)']
    assert match_bands(SAR, ["VV", "VH"], 2).notes == []  # named: nothing guessed
    rgb = StemConfig(modality="optical", bands=["R", "G", "B"])
    assert match_bands(rgb, None, 3).notes == []  # unnamed three bands are R, G, B by convention


def test_two_bands_naming_one_model_band_are_flagged():
    m = match_bands(S2, ["R", "G", "B", "b4"], 4, "rgbn.tif", fill="mean")  # b4 is Sentinel-2's red, as R is
    assert m.index[2] == 3 and "R also names B04; b4 is read as B04 and the other left out" in " ".join(m.notes)
    m = match_bands(S2, ["red", "G", "B", "NIR"], 4, "rgbn.tif", fill="mean")  # one name per band: no such note
    assert m.index[:4] == [2, 1, 0, 3] and not any("also name" in n for n in m.notes)


def test_a_band_the_model_has_no_place_for_is_said_to_be_left_out():
    m = match_bands(S2, ["R", "G", "B", "band4"], 4, "rgbn.tif", fill="copy")  # NIR with no colour name
    assert m.index == [2, 1, 0, None, None, None]
    assert "band4 is none of the model's bands (B02, B03, B04, B08, B11, B12): left out" in " ".join(m.notes)
    assert not any("none of the model's" in n for n in match_bands(S2, ["R", "G", "B", "NIR"], 4, fill="copy").notes)
