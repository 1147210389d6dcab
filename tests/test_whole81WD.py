"""Whole-change review 81 (WD) of the dataset converters: a JPEG with no 8x8 block of one level passed the two-levels
rule (``lookup._two_levels``) for want of a block to find textured, so a dark SAR sea's speckle with a bright ship,
JPEG'd and named as a mask beside its image, was left out as a mask."""

import numpy as np
import pytest
from PIL import Image

from data_gen.convert.lookup import not_a_mask


@pytest.mark.parametrize("seed", [0, 1, 4])
@pytest.mark.parametrize("quality", [85, 90, 95])
def test_a_speckled_sar_sea_with_a_ship_named_as_a_mask_is_an_image(tmp_path, seed, quality):
    rng = np.random.default_rng(seed)
    a = np.clip(rng.rayleigh(16, (256, 256)), 0, 255)
    a[120:126, 100:140] = 250  # the ship
    for name in ("p.jpg", "p_mask.jpg"):
        Image.fromarray(a.astype(np.uint8)).save(tmp_path / name, quality=quality)
    b = np.asarray(Image.open(tmp_path / "p_mask.jpg"))
    blocks = b.reshape(32, 8, 32, 8).transpose(0, 2, 1, 3).reshape(32, 32, -1)
    # what let it through: under 15% mid-grey, some over 223, and no block wholly dark or bright to be found textured
    assert float(((b > 31) & (b < 224)).mean()) < 0.15 and (b > 223).any()
    assert not ((blocks < 32).all(-1) | (blocks > 223).all(-1)).any()
    assert "flat 2x2 blocks" in not_a_mask(tmp_path / "p_mask.jpg", tmp_path / "p.jpg")


@pytest.mark.parametrize("quality", [50, 75, 95])
def test_a_dense_jpeg_mask_with_no_block_of_one_level_is_still_a_mask(tmp_path, quality):
    # 1 px lines every 4 px and dense 1 px dots leave no 8x8 block of one level either: their blocks hold bright pixels
    yy, xx = np.mgrid[:256, :256]
    dots = np.zeros((256, 256), np.uint8)
    rng = np.random.default_rng(5)
    dots[rng.integers(0, 256, 5000), rng.integers(0, 256, 5000)] = 255
    Image.fromarray(np.zeros((256, 256), np.uint8)).save(tmp_path / "a.png")
    for m in (((xx % 4 == 0) | (yy % 4 == 0)).astype(np.uint8) * 255, dots):
        for mode in ("L", "RGB"):
            Image.fromarray(m).convert(mode).save(tmp_path / "a_mask.jpg", quality=quality)
            assert not_a_mask(tmp_path / "a_mask.jpg", tmp_path / "a.png") == "", mode
