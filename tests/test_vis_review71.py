"""Stop 71, review of area vis: the overlay labels' font fallbacks (no system font, a bitmap font, codes past four
hex digits) and a NaN score in bench/missing_bands.py's table."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from PIL import Image, ImageFont
from script_loader import load_bench

from eval.common import Headline
from rsvlm.io import RSImage, draw_overlay, vis, vis_fonts


def _grey():
    return RSImage(data=np.full((3, 64, 64), 0.5, np.float32), modality="optical", bands=["R", "G", "B"], path="grey")


@pytest.fixture
def no_system_font(monkeypatch):
    """No font of ``vis_fonts.FONT_FILES`` on this system (a bare container): the cached lookup redone, then undone
    (the overlay's fonts are looked up in ``rsvlm.io.vis_fonts`` since stop 76, so they are swapped out there)."""
    monkeypatch.setattr(vis_fonts, "FONT_FILES", ("rsvlm-no-such-font.ttf",))
    vis_fonts.font_paths.cache_clear()
    yield
    vis_fonts.font_paths.cache_clear()


def _drawn(tmp_path, label: str) -> np.ndarray:
    obj = {"kind": "box", "coords": [20, 30, 40, 50], "label": label}
    return np.asarray(Image.open(draw_overlay(_grey(), [obj], tmp_path / "o.png", title=f"{label}?")))


def test_labels_are_drawn_in_pillows_font_where_the_system_has_none(tmp_path, no_system_font):
    """The fallback the commit gave no test: no system font found, Pillow's own (ASCII only) draws, no download and
    no error, and two Chinese labels still differ (written as their codes)."""
    assert vis_fonts.font_paths() == ()
    assert vis._fit("建筑", vis._fonts(14), {})[1] == "U+5EFA U+7B51"
    a, b = _drawn(tmp_path, "建筑"), _drawn(tmp_path, "船舶")
    assert a.shape == b.shape and not np.array_equal(a, b)


def test_a_bitmap_font_writes_codes_not_a_unicode_error(tmp_path, monkeypatch):
    """Was: with a bitmap font (Pillow without FreeType, or Pillow 10.0's default) a label outside Latin-1 raised
    UnicodeEncodeError in the missing-glyph probe; now every non-ASCII character is unaccented or its code."""
    bitmap = getattr(ImageFont, "load_default_imagefont", None)
    if bitmap is None:
        pytest.skip("this Pillow has no load_default_imagefont")
    monkeypatch.setattr(vis, "_fonts", lambda size: [bitmap()])
    assert vis._fit("édifice 建筑 Где", [bitmap()], {})[1] == "edifice U+5EFA U+7B51 U+0413 U+0434 U+0435"
    a, b = _drawn(tmp_path, "建筑"), _drawn(tmp_path, "船舶")
    assert not np.array_equal(a, b)


def test_codes_past_four_hex_digits_are_kept_apart():
    """Was: the space between two codes looked for 'U+' six characters back, so U+1F600 (seven) ran into the next."""
    font = [ImageFont.load_default(size=14)]  # Pillow's own: ASCII only
    assert vis._fit("😀😁 car", font, {})[1] == "U+1F600 U+1F601 car"
    assert vis._fit("e\u0301 ok", font, {})[1] == "e ok"  # a lone combining accent: dropped, not U+0301


def test_missing_bands_dashes_a_nan_score_and_says_why(tmp_path, monkeypatch, capsys, ckpt):
    """b17ff580: missing_bands printed a NaN score as 'nan (nan×)', in no note; now '–', its reason below."""
    from test_bench_tour51 import sar_records

    data = sar_records(tmp_path, [["VV", "VH"], ["VV", "VH"]])
    argv = ["--data", str(data), "--model", str(ckpt), "--max-new-tokens", "2"]
    monkeypatch.setattr(sys, "argv", ["missing_bands", *argv])
    mod = load_bench("missing_bands", monkeypatch)
    monkeypatch.setattr(mod, "scores", lambda gt, pred: {k: Headline(math.nan) for k in mod.SCORERS})
    mod.main()
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| sar |")]
    assert rows and all(line.endswith("| – |") for line in rows) and "nan" not in out, out
    assert "NaN" in out.split(rows[-1], 1)[1], out  # the note under the table
