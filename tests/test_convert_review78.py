"""Review 78 of the converters (D): a thin JPEG collar whose chroma rounds one band 1 off (0, 1, 0) was missed once
the level had to match the quantisation table's exactly; a label of another case took an image its own-case label
already had (a -dup2 record of a wrong mask); a perfect DOTA obb AP50 was 1.0000000000000002."""

import json

import numpy as np
import pytest
from PIL import Image

from data_gen.__main__ import main


def colour_scene(seed: int, h: int = 200, w: int = 240) -> np.ndarray:
    """(h, w, 3) uint8 smooth coloured ground, 30-230 per band, each band apart: chroma beside a collar."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.normal(0, 1, (h, w, 3)), (5, 5, 0))
    base = (base - base.min((0, 1))) / (np.ptp(base, (0, 1)) + 1e-9)
    return (30 + 200 * base + rng.normal(0, 6, (h, w, 3))).clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("value, level, extreme, fill", [
    ((0, 0, 0), 0, 0, True), ((0, 1, 0), 0, 0, True), ((1, 0, 0), 0, 0, True), ((255, 254, 255), 255, 255, True),
    ((253, 253, 253), 253, 255, True), ((255, 255, 255), 253, 255, True), ((0, 0, 0), 2, 0, True),
    ((1, 1, 1), 0, 0, False), ((254, 254, 254), 255, 255, False), ((0, 2, 0), 0, 0, False), ((1,), 0, 0, False),
    ((2, 2, 2), 0, 0, False), ((254, 254, 254), 253, 255, False)])
def test_a_jpeg_fill_is_its_tables_level_a_band_off_or_the_extreme(value, level, extreme, fill):
    """A luma shift (a 0-3 shadow: 1, 1, 1) moves every band alike and is no fill; chroma rounding moves one."""
    from data_gen.convert.collar import is_fill

    assert is_fill(np.array(value), level, extreme) is fill


def test_a_thin_jpeg_collar_beside_coloured_ground_is_said(tmp_path):
    """Rotated 1.5 degrees and saved at quality 75 (4:2:0): the edge's commonest value is 0, 1, 0 or 255, 254, 255,
    so the exact level found none of these 12 (7 are said, as before the table was read)."""
    from data_gen import tiling

    found = []
    for seed in range(6):
        for fill in (0, 255):
            im = Image.fromarray(colour_scene(seed)).rotate(1.5, expand=True, fillcolor=(fill,) * 3,
                                                            resample=Image.BILINEAR)
            im.save(tmp_path / f"t{seed}_{fill}.jpg", quality=75)
            got = tiling.constant_border(tmp_path / f"t{seed}_{fill}.jpg")
            found += [got[0]] if got is not None else []
    assert len(found) >= 5 and any(len(set(v)) > 1 for v in found), found
    assert all(max(abs(c - (0 if v[0] < 128 else 255)) for c in v) <= 1 for v in found), found


def test_a_label_of_another_case_leaves_an_image_its_own_case_label_pairs_with(tmp_path):
    """``A_mask.png`` beside ``a_mask.png``, ``a.png`` alone: A's image is missing, not a.png a second time."""
    (tmp_path / "i").mkdir()
    (tmp_path / "l").mkdir()
    Image.fromarray(colour_scene(0, 64, 64)).save(tmp_path / "i" / "a.png")
    mask = np.zeros((64, 64), np.uint8)
    mask[10:30, 12:40] = 255
    Image.fromarray(mask).save(tmp_path / "l" / "a_mask.png")
    Image.fromarray(255 - mask).save(tmp_path / "l" / "A_mask.png")
    main(["convert", "masks", "--images", str(tmp_path / "i"), "--labels", str(tmp_path / "l"), "--binary",
          "building", "--out", str(tmp_path / "o"), "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["records"] == 1 and stats["skipped"] == {"missing_image": 1}, stats
    assert "A_mask.png" in stats["skipped_examples"]["missing_image"], stats
    assert "image_name_case_differs" not in stats["notes"] and "duplicate_ids_renamed" not in stats["notes"], stats


def test_the_converters_import_the_image_lookup_from_its_own_module():
    """common re-exports lookup's names for callers outside; the converters import them where they live."""
    import ast
    from pathlib import Path

    import data_gen.convert as pkg

    moved = {"index_images", "note_unlabelled", "find_image", "by_lower_case", "in_any_case"}
    through = [f"{p.name}: {a.name}" for p in sorted(Path(pkg.__file__).parent.glob("*.py"))
               for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.ImportFrom)
               and n.module == "data_gen.convert.common" for a in n.names if a.name in moved]
    assert through == [], through


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 30])
def test_a_perfect_11_point_ap_is_exactly_one(n):
    """Eleven adds of 1/11 gave 1.0000000000000002: a DOTA obb AP50 over 1."""
    from eval.dota_ap import voc_ap

    rec = np.arange(1, n + 1) / n
    assert voc_ap(rec, np.ones(n), True) == 1.0
    assert voc_ap(rec, np.ones(n), False) == 1.0


def test_eleven_point_ap_is_the_devkits_mean_of_its_eleven_precisions():
    from eval.dota_ap import voc_ap

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        rec, prec = np.sort(rng.random(n)), rng.random(n)
        points = [prec[rec >= t].max() if (rec >= t).any() else 0.0 for t in np.arange(0.0, 1.1, 0.1)]
        assert 0.0 <= voc_ap(rec, prec, True) <= 1.0
        assert voc_ap(rec, prec, True) == pytest.approx(sum(points) / 11, abs=1e-15)
