"""Stop 67 tour of the dataset converters: LEVIR-CD change share of a partly void label, touching instance ids
under 33, a 16-bit mask resampled."""

from __future__ import annotations

import numpy as np
from convert_helpers import convert, objs, png
from PIL import Image


def _levir(tmp_path, lab: np.ndarray, *opts: str):
    for tag in ("A", "B"):
        png(tmp_path / "s" / tag / "p.png", lab.shape[1], lab.shape[0])
    (tmp_path / "s" / "label").mkdir()
    Image.fromarray(lab).save(tmp_path / "s" / "label" / "p.png")
    return convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "s"), *opts)


def test_levir_change_share_leaves_out_void_pixels(tmp_path):
    """A 0/1 label whose lower 40% is 255 (void, unlabelled): its change share was counted over the whole image,
    void as unchanged (12.5% said 7.5%). It is the share of the labelled pixels, said so."""
    lab = np.zeros((80, 64), np.uint8)
    lab[8:24, 8:24] = 1  # 256 px of 48 x 64 = 3072 labelled: 8.3%
    lab[48:, :] = 255
    stats, recs = _levir(tmp_path, lab)
    (desc,) = [r["conversations"][-1]["value"] for r in recs if r["id"].endswith("-describe")]
    assert desc == "1 building area changed, covering 8.3% of the labelled part of the image."
    assert stats["notes"]["label_pixels_ignored_255"] == 32 * 64


def test_masks_binary_traces_a_few_touching_instance_ids_apart(tmp_path):
    """Ten row houses of ids 1…10, each touching the next: under 33 values the label was read as codes, every
    non-zero value the class, and the row was one polygon. Each id one region and two touching: ids, traced apart."""
    lab = np.zeros((64, 128), np.uint8)
    for k in range(10):
        lab[10:30, 4 + k * 12:16 + k * 12] = k + 1
    png(tmp_path / "img" / "a.png", 128, 64)
    (tmp_path / "lab").mkdir()
    Image.fromarray(lab).save(tmp_path / "lab" / "a.png")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    assert len(objs(recs[0])) == 10 and stats["notes"]["instance_boundary_pixels_cleared"] == 9 * 20


def test_binary_mask_of_codes_in_many_regions_is_not_traced_apart(tmp_path):
    """Codes 1 and 2 each in several regions, touching: no instance ids, every non-zero pixel the class as before."""
    from data_gen.convert.binmask import binary_mask
    from data_gen.convert.common import Output

    lab = np.zeros((40, 40), np.uint8)
    lab[0:10, 0:10], lab[0:10, 10:20], lab[20:30, 0:10], lab[20:30, 10:20] = 1, 2, 1, 2
    out = Output(tmp_path / "o", "test")
    assert (binary_mask(lab, out) == (lab > 0)).all() and "instance_boundary_pixels_cleared" not in out.notes


def test_binary_mask_takes_a_16_bit_mask_enlarged_and_refuses_16_bit_photos(tmp_path, realdata):
    """The LEVIR-CD label as 0/65535, reduced 4x and enlarged with bilinear: thousands of values, refused as a
    photo ("not a binary mask"). It is thresholded now; the 16-bit photos of realdata are still refused."""
    import rasterio

    from data_gen.convert.binmask import NotAMask, binary_mask
    from data_gen.convert.common import Output

    truth = np.asarray(Image.open(realdata / "cd_levir" / "test_7_0256_0512_label.png").convert("L")) > 0
    small = Image.fromarray(truth.astype(np.float32) * 65535).resize((64, 64), Image.BILINEAR)
    lab = np.clip(np.rint(np.asarray(small.resize((256, 256), Image.BILINEAR))), 0, 65535).astype(np.uint16)
    assert len(np.unique(lab)) > 256
    out = Output(tmp_path / "o", "test")
    assert (binary_mask(lab, out) == truth).mean() > 0.97 and out.notes["labels_not_binary"] == 1
    for name in ("bldg_spacenet4/sample_geotiff.tif", "sar_s1grd/iw-vv.tiff", "msi_s2/B08.jp2",
                 "ir_landsat8/LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF"):
        with rasterio.open(realdata / name) as src:
            photo = src.read(1)
        try:
            binary_mask(photo, Output(tmp_path / "p", "test"))
        except NotAMask:
            continue
        raise AssertionError(f"{name} passed as a mask")
