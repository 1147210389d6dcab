from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from data_gen.convert.binmask import NotAMask, binary_mask
from data_gen.convert.common import Output


def test_binary_mask_refuses_a_dark_photo_of_few_levels_as_codes(realdata, tmp_path):
    """The SIRST infrared image darkened (gamma 3: 15 values, 0…16, all under half the range) was taken whole as
    class codes, 78% of it the class; its levels change mostly in small steps (86%), as codes do not."""
    sky = np.asarray(Image.open(realdata / "ir_sirst" / "Misc_100.png").convert("L"))
    dark = (255 * (sky / 255.0) ** 3).astype(np.uint8)  # (H, W)
    assert len(np.unique(dark)) <= 32 and dark.max() < 128
    with pytest.raises(NotAMask, match=r"mid-grey"):
        binary_mask(dark, Output(tmp_path / "o", "t"))


@pytest.mark.parametrize("first", [0, 1])
def test_binary_mask_keeps_land_cover_codes_whole(first, tmp_path):
    """Codes of 7 classes over regions (0…6, or 1…7 tiling the image) are still every non-zero value taken."""
    rng = np.random.default_rng(0)
    pts, codes = rng.integers(0, 128, (60, 2)), rng.integers(0, 7, 60) + first
    yy, xx = np.mgrid[:128, :128]
    nearest = np.argmin((yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2, -1)  # (H, W)
    lab = codes[nearest].astype(np.uint8)  # (H, W)
    out = Output(tmp_path / "o", "t")
    assert (binary_mask(lab, out) == (lab > 0)).all() and out.notes["labels_not_binary_every_nonzero_taken"] == 1
