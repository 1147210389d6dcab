"""Review of stop 70's second reading round: a lower-case Landsat QA file's refusal names the band files in its own
case; a list's file flagged alpha and named as no band (not ``alpha``) is no band name against the msi guess."""

from __future__ import annotations

import numpy as np
import pytest
from read_helpers import utm_tif

from rsvlm.io import read_image
from rsvlm.io.checks import ImageReadError

L2 = "LC08_L2SP_044034_20210508_20210518_02_T1"


def test_a_lower_case_qa_files_refusal_names_the_band_files_in_lower_case(tmp_path):
    """…_qa_pixel.tif was told to give '…_SR_B2.tif,…_SR_B3.tif' (its SR_ in capitals), names no such product has."""
    qa = np.random.default_rng(0).choice([1, 21824, 21952], (1, 16, 16)).astype("uint16")  # (1, H, W)
    with pytest.raises(ImageReadError) as e:
        read_image(utm_tif(tmp_path / f"{L2.lower()}_qa_pixel.tif", qa))
    assert "(…_sr_b2.tif,…_sr_b3.tif,…) without it" in str(e.value), e.value
    with pytest.raises(ImageReadError, match=r"\(…_SR_B2\.TIF,…_SR_B3\.TIF,…\) without it"):  # guard: upper case kept
        read_image(utm_tif(tmp_path / f"{L2}_QA_PIXEL.TIF", qa))


def test_a_list_file_flagged_alpha_and_named_as_no_band_is_no_band_name_against_msi(tmp_path):
    """The flag alone (not the name alpha) leaves it out of the band-name evidence: B04, B03 beside a flagged
    mask.tif had been inferred from the count (2 bands with alpha: sar). tests/test_read_lead70.py's alpha.tif is
    left out by its name as well, so it passes with the flag's rule taken out."""
    rng = np.random.default_rng(1)
    files = [utm_tif(tmp_path / f"{b}.tif", rng.integers(1, 250, (1, 32, 32)).astype("uint8")) for b in ("B04", "B03")]
    a = np.where(rng.random((1, 32, 32)) < 0.25, 0, 255).astype("uint8")  # (1, H, W)
    img = read_image([*files, utm_tif(tmp_path / "mask.tif", a, alpha=True)])
    assert img.modality == "msi" and img.bands == ["B04", "B03"]
    assert np.array_equal(img.valid, a[0] > 0)
    assert "modality inferred as msi from bands B04, B03 in 2 files, beside the alpha file mask.tif" in img.notes
