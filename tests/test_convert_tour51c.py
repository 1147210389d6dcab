"""Rough edges of the converters, third pass (tour 51c): --overlap without --tile, an --out inside
the folder-per-class --src, Sentinel-2 band files read one at a time, odd but published forms of
the VQA / LLaVA / COCO datasets."""

from __future__ import annotations

import pytest

from data_gen.convert import convert as run_convert
from data_gen.convert.common import ConversionError
from convert_helpers import png


@pytest.mark.parametrize("fmt", ["dota", "masks", "levir-cd"])
def test_overlap_without_tile_is_a_usage_error(tmp_path, fmt):
    """--overlap without --tile was ignored without a word (nothing is tiled) in every converter."""
    png(tmp_path / "a.png", 16, 16)
    png(tmp_path / "a_mask.png", 16, 16, mode="L")
    src = {"dota": ["--src", str(tmp_path)], "levir-cd": ["--src", str(tmp_path)],
           "masks": ["--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "x"]}[fmt]
    with pytest.raises(ConversionError, match="--overlap 4 is given without --tile"):
        run_convert([fmt, *src, "--out", str(tmp_path / "o"), "--overlap", "4"])
    assert not (tmp_path / "o").exists()
