"""Review 82 (RD) of the dataset converters: ``--classes ferries`` took no ``ferry`` (a consonant's y plural, -ies,
was never read), and dbe6aa61's singular rule lost ``plateaus``, ``bayous`` and ``tvs``; a 16-bit 0/1 label widened
to 16 bits (256, 257) wholly the class was noted as a flat photo; an --out inside one folder that is both --images and
--labels had its images counted twice."""

import numpy as np
import pytest
from convert_helpers import convert, png
from PIL import Image

from data_gen.convert.filters import ClassFilter, plural_of

PAIRS = [("ferry", "ferries"), ("facility", "facilities"), ("quarry", "quarries"), ("jetty", "jetties"),
         ("refinery", "refineries"), ("paddy field", "paddy fields"), ("plateau", "plateaus"), ("bayou", "bayous"),
         ("tv", "tvs"), ("pv", "pvs"), ("bay", "bays"), ("buoy", "buoys"), ("bus", "buses"), ("gas", "gases")]


@pytest.mark.parametrize(("single", "plural"), PAIRS)
def test_a_plural_and_its_singular_take_each_other(single, plural):
    assert plural_of(plural, single)
    assert ClassFilter(plural)(single) and ClassFilter(single)(plural)
    assert not ClassFilter(single, chosen=False)(plural)  # a default list's singular takes no data's plural


@pytest.mark.parametrize(("single", "other"), [("ferry", "ferrys"), ("bay", "baies"), ("bus", "bu"), ("gas", "ga"),
                                               ("campus", "campu"), ("status", "statu")])
def test_a_word_is_no_plural_of_a_form_english_does_not_make(single, other):
    assert not ClassFilter(single)(other) and not ClassFilter(other)(single)
    assert not plural_of(single, other) and not plural_of(other, single)


def test_dota_classes_ferries_takes_the_data_s_ferry(tmp_path):
    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("10 10 30 10 30 20 10 20 ferry 0\n"
                                                       "50 10 70 10 70 20 50 20 ship 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--classes", "ferries")
    assert stats["filtered"] == {"--classes: ship": 1}
    assert stats["notes"]["--classes ferries: read as ferry"] == 1 and "ferry" in recs[0]["conversations"][-1]["value"]


def _one_value_label(root, value):
    for d in ("img", "lab"):
        (root / d).mkdir(parents=True)
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(root / "img" / "a.png")
    Image.fromarray(np.full((48, 48), value, np.uint16)).save(root / "lab" / "a.png")
    stats, recs = convert(root / "o", "masks", "--images", str(root / "img"), "--labels", str(root / "lab"),
                          "--binary", "building")
    assert len(recs) == 1 and "<ref>building</ref>" in recs[0]["conversations"][-1]["value"]
    return stats["notes"].get("labels_of_one_grey_value_taken_whole", 0)


@pytest.mark.parametrize("value", [256, 257, 512, 514])
def test_a_16_bit_widened_0_1_label_wholly_the_class_is_not_noted(tmp_path, value):
    # 1 (or 2) x 256 or x 257: an 8-bit 0/1 label widened to 16 bits, as an 8-bit one of all 1 is not noted
    assert _one_value_label(tmp_path, value) == 0


@pytest.mark.parametrize("value", [128 * 257, 128 * 256, 1000, 4000])
def test_a_16_bit_mid_grey_label_widened_or_not_is_still_noted(tmp_path, value):
    assert _one_value_label(tmp_path, value) == 1


def test_an_out_inside_the_one_folder_of_images_and_labels_counts_each_image_once(tmp_path):
    d = tmp_path / "d"
    png(d / "a.png", 64, 64)
    m = np.zeros((64, 64), np.uint8)
    m[10:50, 10:50] = 255
    Image.fromarray(m).save(d / "a_mask.png")
    runs = [convert(d / "o", "masks", "--images", str(d), "--labels", str(d), "--binary", "building", "--tile", "32")
            for _ in range(2)]
    assert [len(recs) for _, recs in runs] == [4, 4] and runs[1][0]["skipped"] == {}
    assert runs[1][0]["notes"]["images_in_out_folder_ignored"] == 4  # not 8: --images and --labels both held them
