"""Converter rough edges of tour 59: absurd tile sizes, --classes filtering, PNGs whose pixel data is
broken behind valid chunks."""

from __future__ import annotations

import pytest
from convert_helpers import convert, png

from data_gen.convert import convert as run_convert


@pytest.mark.parametrize("fmt", ["dota", "masks", "levir-cd"])
@pytest.mark.parametrize("tile", ["1", "31", "abc"])
def test_a_tile_smaller_than_32_px_is_a_usage_error_naming_the_option(tmp_path, capsys, fmt, tile):
    """``--tile 1`` was taken: it cut a 712 x 557 DOTA scene into 396,584 one-pixel windows."""
    src = {"dota": ["--src", str(tmp_path)], "levir-cd": ["--src", str(tmp_path)],
           "masks": ["--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "x"]}[fmt]
    with pytest.raises(SystemExit) as e:
        run_convert([fmt, "--out", str(tmp_path / "o"), *src, "--tile", tile])
    assert e.value.code == 2 and not (tmp_path / "o").exists()
    err = capsys.readouterr().err
    assert "argument --tile:" in err and "at least 32" in err and tile in err


def test_a_tile_of_32_px_is_taken(tmp_path):
    png(tmp_path / "a.png", 64, 64)
    (tmp_path / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(tmp_path), "--tile", "32", "--overlap", "0")
    assert stats["notes"]["tiles"] == 1 and records


def _dota_two_classes(tmp_path):
    png(tmp_path / "a.png", 64, 64)
    (tmp_path / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n"
                                    "34 34 60 34 60 60 34 60 small-vehicle 0\n"
                                    "34 4 60 4 60 28 34 28 Small_Vehicle 1\n")
    return tmp_path


def test_annotations_left_out_by_classes_are_filtered_not_skipped(tmp_path):
    """Lines of a class ``--classes`` left out were counted as skipped ``unknown_class``, beside the
    truncated images and broken lines, and ``--strict`` raised on the first of them."""
    src = _dota_two_classes(tmp_path / "dota")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src), "--classes", "plane", "--strict")
    assert stats["skipped"] == {} and stats["skipped_total"] == 0
    assert stats["filtered"] == {"--classes: small vehicle": 2} and stats["filtered_total"] == 2
    assert records

    xml = ("<annotation><filename>a.png</filename>" + "".join(
        f"<object><name>{n}</name><bndbox><xmin>{x}</xmin><ymin>5</ymin><xmax>{x + 20}</xmax><ymax>30</ymax>"
        "</bndbox></object>" for n, x in (("ship", 5), ("harbor", 35))) + "</annotation>")
    (src / "a.xml").write_text(xml)
    stats, _ = convert(tmp_path / "v", "voc", "--src", str(src), "--images", str(src), "--classes", "Ship", "--strict")
    assert stats["skipped"] == {} and stats["filtered"] == {"--classes: harbor": 1}


def test_a_class_outside_dotas_is_still_a_bad_annotation_without_classes(tmp_path):
    src = _dota_two_classes(tmp_path / "dota")
    with (src / "a.txt").open("a") as f:
        f.write("4 34 28 34 28 60 4 60 flying-saucer 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["skipped"] == {"unknown_class": 1} and stats["filtered"] == {}


def test_a_run_whose_every_annotation_is_filtered_says_so(tmp_path, capsys):
    from data_gen.convert import main

    src = _dota_two_classes(tmp_path / "dota")
    assert main(["dota", "--src", str(src), "--out", str(tmp_path / "o"), "--classes", "ship"]) == 2
    err = capsys.readouterr().err
    assert "no records written (1 left out by --classes: plane, 2 left out by --classes: small vehicle)" in err
