"""Tour 77 (P4) of the converters: VOC numbers its objects from 1 and names them; an rsivqa run whose images
are mostly elsewhere says so once; the collar look counts the images it did not look at."""

from __future__ import annotations

import json

import pytest
from convert_helpers import convert, png

from data_gen.__main__ import main
from data_gen.convert.common import ConversionError

BOX = "<bndbox><xmin>{}</xmin><ymin>11</ymin><xmax>{}</xmax><ymax>30</ymax></bndbox>"


def test_voc_names_an_object_by_its_place_from_1_and_its_name(tmp_path):
    """``a.xml: object 1`` was the second <object>: DOTA and rsivqa count lines from 1, so a user counting objects
    in the XML looked at the wrong one. The first is 1 now, and its <name> is said beside it."""
    png(tmp_path / "a.png", 100, 80)
    objects = [("plane", BOX.format(11, 40)), ("ship", BOX.format(60, 50)), ("", BOX.format(11, 40))]
    (tmp_path / "a.xml").write_text("<annotation><filename>a.png</filename>" + "".join(
        f"<object><name>{n}</name>{b}</object>" for n, b in objects) + "</annotation>")
    stats, recs = convert(tmp_path / "o", "voc", "--src", str(tmp_path), "--images", str(tmp_path))
    assert stats["skipped"] == {"degenerate": 1, "unparsable_object": 1} and recs
    assert "a.xml: object 2 (ship): degenerate" in stats["skipped_examples"]["degenerate"]
    assert stats["skipped_examples"]["unparsable_object"].endswith("a.xml: object 3: unparsable_object (no <name>)")
    with pytest.raises(ConversionError, match=r"a\.xml: object 2 \(ship\): degenerate"):
        convert(tmp_path / "s", "voc", "--src", str(tmp_path), "--images", str(tmp_path), "--strict")


def rsivqa_argv(tmp_path, names: list[str]) -> list[str]:
    png(tmp_path / "imgs" / "a.png", 64, 48)
    (tmp_path / "q.txt").write_text("".join(f"{n}:what is this {k}?church\n" for k, n in enumerate(names)))
    return ["convert", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path / "imgs"),
            "--out", str(tmp_path / "o"), "--no-progress"]


def test_rsivqa_whose_images_are_mostly_elsewhere_says_so_once_naming_the_first(tmp_path, capsys):
    """The real sample beside one AID image said only ``missing_image: 10920`` and its first line: correct but
    loud, and no word of the likely cause. Over half missing: one warning (stderr and notes) naming the first
    three, asking whether --images is the whole dataset's folder; the count is kept."""
    argv = rsivqa_argv(tmp_path, ["b.jpg", "a.png", "c.jpg", "b.jpg", "d.jpg", "e.jpg"])
    assert main(argv) == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["records"] == 1 and stats["skipped"] == {"missing_image": 5}
    said = (f"5 of 6 lines name an image not under --images {tmp_path / 'imgs'} (b.jpg, c.jpg, d.jpg, …), skipped "
            "as missing_image: is --images the folder of the whole dataset (the images of every file --src names)?")
    assert stats["notes"][said] == 1
    err = capsys.readouterr().err
    assert err.count("warning: ") == 1 and f"warning: {said}\n" in err


def test_rsivqa_with_a_few_images_missing_gives_no_warning(tmp_path, capsys):
    assert main(rsivqa_argv(tmp_path, ["a.png", "b.jpg", "a.png"])) == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["records"] == 2 and stats["skipped"] == {"missing_image": 1} and stats["notes"] == {}
    assert "warning" not in capsys.readouterr().err


def test_the_real_rsivqa_sample_beside_one_image_says_so_once(tmp_path, realdata, capsys):
    stats = convert(tmp_path / "o", "rsivqa", "--src", str(realdata / "vqa_rsivqa" / "rsicd_vqa.txt"),
                    "--images", str(realdata / "cls_aid"), "--no-progress")[0]
    assert stats["records"] == 1 and stats["skipped"] == {"missing_image": 10920}
    said = [k for k in stats["notes"] if k.startswith("10920 of 10921 lines name an image not under --images ")]
    assert len(said) == 1 and "(00433.jpg, 00434.jpg, 00435.jpg, …)" in said[0], stats["notes"]
    assert capsys.readouterr().err.count("warning: 10920 of 10921 lines") == 1


def _collar_png(path, h: int = 2000, w: int = 2100):
    """A scene of ``h`` x ``w`` px whose middle is ground (120) inside a black collar, as a rotated scene has."""
    import numpy as np
    from PIL import Image

    a = np.zeros((h, w, 3), np.uint8)
    a[h // 7:h - h // 7, w // 7:w - w // 7] = 120
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path, compress_level=1)
    (path.parent / f"{path.stem}.txt").write_text(f"{w // 2} {h // 2} {w // 2 + 40} {h // 2} {w // 2 + 40} {h // 2 + 20} "
                                                  f"{w // 2} {h // 2 + 20} ship 0\n")


def test_a_large_untiled_png_not_looked_at_for_a_collar_is_counted_and_said(tmp_path):
    """Over 2**22 px and untiled, the collar look was skipped with no word: its black collar was read as ground and
    the stats said nothing, as of an image that has none. It is counted now, the first said with why; tiled, the
    tiler's decode is looked at and the collar said."""
    _collar_png(tmp_path / "d" / "P1.png")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--no-progress")
    assert recs and stats["notes"]["images_not_looked_at_for_a_collar"] == 1
    assert "images_with_constant_border" not in stats["notes"]
    assert stats["notes_examples"]["images_not_looked_at_for_a_collar"] == (
        "P1.png: 2100x2000 px, over 2**22 px: not decoded for the look alone (--tile looks at the tiler's decode, "
        "where PIL decodes it whole)")
    stats, _ = convert(tmp_path / "t", "dota", "--src", str(tmp_path / "d"), "--tile", "1024", "--no-progress")
    assert stats["notes"]["images_with_constant_border"] == 1
    assert "images_not_looked_at_for_a_collar" not in stats["notes"]


def test_an_image_pil_will_not_open_is_counted_as_not_looked_at(tmp_path, monkeypatch):
    """PIL's refusal (here its pixel limit, a DOTA-v2 scene's) left the look unsaid too. Through a real dota run, so
    a converter that stopped looking (calling ``note_border``) fails here too."""
    from PIL import Image

    _collar_png(tmp_path / "d" / "s.png", 64, 80)
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--no-progress")
    assert recs and stats["notes"] == {"images_with_constant_border": 1}
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 5120 px: over twice it, refused
    stats, recs = convert(tmp_path / "p", "dota", "--src", str(tmp_path / "d"), "--no-progress")
    assert recs and stats["notes"] == {"images_not_looked_at_for_a_collar": 1}, stats["notes"]
    assert stats["notes_examples"]["images_not_looked_at_for_a_collar"].startswith(
        "s.png: PIL cannot read it whole (Image size")


def test_every_converter_option_is_in_the_converters_doc():
    """``--per-class``, ``--no-ground`` (the detection formats), ``folder``'s ``--max-choices`` and ``rsvqa``'s
    ``--prefix`` were in ``--help`` alone: docs/data-convert.md named none of them."""
    import re
    from pathlib import Path

    from data_gen.convert import build_parser

    doc = (Path(__file__).parents[1] / "docs" / "data-convert.md").read_text()
    unsaid = {name: [o for a in sub._actions for o in a.option_strings
                     if o.startswith("--") and not re.search(re.escape(o) + r"(?![\w-])", doc)]
              for name, sub in build_parser().commands.items()}
    assert {k: v for k, v in unsaid.items() if v} == {}
