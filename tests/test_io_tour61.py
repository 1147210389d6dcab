"""Reading tour 61 (helper F): a modality given in capitals, a 1-bit mask given as the image."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import ImageReadError, read_image, sources

rasterio = pytest.importorskip("rasterio")
tifffile = pytest.importorskip("tifffile")
from PIL import Image  # noqa: E402


def _grey_png(path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 24)).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("given", ["SAR", "Sar", " sar "])
def test_a_modality_in_capitals_reads_as_the_cli_and_records_take_it(tmp_path, given):
    """``read_image(p, modality="SAR")`` was 'unknown modality' though ``--modality SAR`` and a record's
    "SAR" are taken: a library caller had to know to lower it."""
    img = read_image(_grey_png(tmp_path / "g.png"), modality=given)
    assert img.modality == "sar" and not img.inferred_modality


def test_an_unknown_modality_is_refused_naming_the_file_and_the_modalities_before_reading(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.png: unknown modality 'radar'; expected one of optical, msi, sar, ir"):
        read_image(tmp_path / "missing.png", modality="radar")  # said before 'not found': the call is wrong either way


def _one_bit(tmp_path, how):
    mask = np.eye(16, 24, dtype=bool)  # (H, W)
    if how == "png":
        Image.fromarray(mask).save(p := tmp_path / "label.png")  # PIL mode "1"
    elif how == "tiff (GDAL)":
        with rasterio.open(p := tmp_path / "label.tif", "w", driver="GTiff", width=24, height=16, count=1,
                           dtype="uint8", nbits=1) as ds:
            ds.write(mask[None].astype(np.uint8))
    else:
        tifffile.imwrite(p := tmp_path / "label.tif", mask)
    return p


@pytest.mark.parametrize("how", ["png", "tiff (GDAL)", "tiff (tifffile)"])
def test_a_one_bit_image_is_refused_as_a_mask_unless_the_modality_is_given(tmp_path, monkeypatch, how):
    """A 1-bit label given as the image read as a grey ir band (PNG) or an identical-band optical RGB (a
    bilevel TIFF's palette) without a word: a segmentation label goes in the record's answer."""
    if how == "tiff (tifffile)":
        monkeypatch.setattr(sources, "RasterioSource", lambda *a, **k: (_ for _ in ()).throw(ImportError("rasterio")))
    p = _one_bit(tmp_path, how)
    with pytest.raises(ImageReadError, match=rf"{p.name}: it holds 1 bit a pixel \(two values only\), as a mask or label "
                                         r"does.*record's answer.*--modality, or read_image"):
        read_image(p)
    img = read_image(p, modality="optical")
    assert img.modality == "optical" and any("1 bit a pixel" in n and "as asked" in n for n in img.notes), img.notes


def test_an_eight_bit_mask_of_zeros_and_ones_is_no_one_bit_image(tmp_path):
    """Only the stored bit depth refuses: an 8-bit grey image of two values may be imagery."""
    Image.fromarray(np.eye(16, 24, dtype=np.uint8) * 255).save(p := tmp_path / "grey.png")
    assert read_image(p).modality == "ir"
