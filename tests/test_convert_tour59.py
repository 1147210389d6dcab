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
