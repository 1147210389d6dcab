"""Stop 71, area vis: the benches' '–' notes (multi-line reasons, NaN scores) and the --vis overlays."""

from __future__ import annotations

import pytest
from script_loader import load_bench

from eval.common import Headline


def test_no_score_note_keeps_a_reason_of_several_lines_inside_its_list_item(monkeypatch):
    """Was: a scorer's reason of several lines broke out of its '- column:' item, its later lines read as text of
    their own (a line starting '| ' as one more table row)."""
    common = load_bench("common", monkeypatch)
    note = common.no_score_note([("plain", "COCO", "x.jsonl: 2 problems:\n\n| line 3: no meta.width\nline 9: bad")],
                                {"plain"})
    lines = note.splitlines()
    assert lines[1:4] == ["- COCO: x.jsonl: 2 problems:", "  | line 3: no meta.width", "  line 9: bad"], note
    assert lines[4].startswith("(a file named there"), note


def test_a_nan_score_is_dashed_with_its_reason_in_the_note(monkeypatch):
    """Was: fmt showed a NaN headline as '–', but the note listed only None scores, so that '–' had no reason."""
    common = load_bench("common", monkeypatch)
    assert common.no_score(Headline(0.5)) is None
    assert common.no_score(Headline(None, "no seg record")) == "no seg record"
    why = common.no_score(Headline(float("nan")))
    assert "NaN" in why
    note = common.no_score_note([("plain", "mIoU", why)], {"plain"})
    assert note.splitlines()[1] == f"- mIoU: {why}"


def test_count_assay_says_why_a_count_column_has_no_figure(monkeypatch):
    """Was: '–' for a count no test record has (by_count's NaN), as for a row that measures nothing there."""
    import torch

    common = load_bench("common", monkeypatch)
    count = load_bench("count_assay", monkeypatch)
    got = count.by_count(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 2]))
    assert common.fmt(got["3+"], "n/a (no test record)") == "n/a (no test record)"
    assert common.fmt(None, "n/a (no test record)") == "–" and common.fmt(got["1"]) == "1.000"


def test_tokenizer_check_times_the_bundled_tokenizer(monkeypatch, capsys):
    """Was: the bundled tokenizer's figure in docs/benchmarks/load_time.md came from a script that was not kept."""
    import pytest

    from rsvlm.loading import bundled_model_dir

    DEFAULT_MODEL = bundled_model_dir()

    bench = load_bench("tokenizer_check", monkeypatch)
    assert bench.main(["--size", "20", "--repeats", "1", "--tokenizer", str(DEFAULT_MODEL / "tokenizer")]) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    assert len(rows) == 2 and rows[1].startswith(f"| {DEFAULT_MODEL / 'tokenizer'}, 2,026 entries | 1000 |"), rows
    with pytest.raises(SystemExit) as e:  # a checkpoint folder, not its tokenizer: a usage error naming where it is
        bench.main(["--size", "20", "--tokenizer", str(DEFAULT_MODEL)])
    assert e.value.code == 2 and "--tokenizer" in capsys.readouterr().err


def _grey(h: int = 64, w: int = 64):
    import numpy as np

    from rsvlm.io import RSImage

    return RSImage(data=np.full((3, h, w), 0.5, np.float32), modality="optical", bands=["R", "G", "B"], path="grey")


def test_labels_in_chinese_are_told_apart(tmp_path):
    """Was: Pillow's default font drew every character it lacks (é, 建, 船) as one box, so the labels '建筑' and
    '船舶' (and a legend of them) were drawn alike. Now a system font that has them, else their code points."""
    import numpy as np
    from PIL import Image

    from rsvlm.io import draw_overlay

    drawn = []
    for label in ("建筑", "船舶", "建筑"):
        obj = {"kind": "box", "coords": [20, 30, 40, 50], "label": label}
        drawn.append(np.asarray(Image.open(draw_overlay(_grey(), [obj], tmp_path / "o.png", title=label))))
    assert drawn[0].shape == drawn[1].shape and not np.array_equal(drawn[0], drawn[1])
    assert np.array_equal(drawn[0], drawn[2])


def test_a_character_no_font_has_is_written_as_its_code(monkeypatch):
    from PIL import ImageFont

    from rsvlm.io import vis

    fonts = [ImageFont.load_default(size=14)]  # Pillow's own: ASCII only
    assert vis._fit("édifice 建筑 2", fonts, {})[1] == "edifice U+5EFA U+7B51 2"
    assert vis._fit("ship 0.50", fonts, {}) == (fonts[0], "ship 0.50")


def test_a_mask_has_an_opaque_rim_around_its_fill(tmp_path):
    """Was: a mask was a 40 % fill alone, lost on ground of its colour (LEVIR-CD's red roofs under the first
    palette colour, red). Its rim is now drawn opaque, its inside still blended."""
    import numpy as np
    from PIL import Image

    from rsvlm.io import draw_overlay
    from rsvlm.io.vis import _PALETTE

    m = np.zeros((64, 64), bool)
    m[10:30, 10:30] = True  # the canvas is 8x the image: the mask covers 80..240
    out = np.asarray(Image.open(draw_overlay(_grey(), [{"kind": "mask", "mask": m, "label": "roof"}],
                                             tmp_path / "m.png")))
    assert out.shape == (512, 512, 3)
    assert tuple(out[160, 81]) == tuple(out[81, 160]) == tuple(out[238, 160]) == _PALETTE[0]  # the rim
    inside = 0.6 * 128 + 0.4 * np.array(_PALETTE[0])
    assert np.abs(out[160, 160] - inside).max() <= 2  # the fill, blended as before
    assert tuple(out[160, 250]) == (128, 128, 128)  # outside


def test_polygon_and_mask_fills_blend_their_own_colour(tmp_path):
    """Was: the colour was pasted through the fill's opacity onto a clear layer, blending it with black first, so a
    40 % fill drew 16 % of its colour: a red polygon read as dark brown. A mask left of the image is cut, not refused."""
    import numpy as np
    from PIL import Image

    from rsvlm.io import draw_overlay
    from rsvlm.io.vis import _PALETTE

    objs = [{"kind": "poly", "coords": [[10, 10], [40, 10], [40, 40], [10, 40]], "label": "field"},
            {"kind": "mask", "mask": np.ones((20, 20), bool), "offset": (-5, 44), "label": "pond"}]
    out = np.asarray(Image.open(draw_overlay(_grey(), objs, tmp_path / "p.png", alpha=0.5))).astype(float)
    for (y, x), col in (((200, 200), _PALETTE[0]), ((420, 40), _PALETTE[1])):  # inside each, away from the rims
        assert np.abs(out[y, x] - (0.5 * 128 + 0.5 * np.array(col))).max() <= 2, (y, x, out[y, x])


@pytest.mark.parametrize("wide", [True, False])
def test_a_strip_gets_room_for_its_labels(tmp_path, wide):
    """Was: a 30000 x 20 strip was drawn 4096 x 3 px and its labels cut to those 3 rows (or, standing, 3 columns);
    now a margin in the legend's colour below (right of) it holds them."""
    import numpy as np
    from PIL import Image

    from rsvlm.io import RSImage, draw_overlay
    from rsvlm.io.vis import _PALETTE

    shape, box = ((3, 20, 30000), [100, 2, 400, 18]) if wide else ((3, 30000, 20), [2, 100, 18, 400])
    img = RSImage(data=np.full(shape, 0.5, np.float32), modality="optical", bands=["R", "G", "B"], path="strip")
    out = np.asarray(Image.open(draw_overlay(img, [{"kind": "box", "coords": box, "label": "road"}],
                                             tmp_path / "s.png")))
    label = (out == _PALETTE[0]).all(-1)  # (H, W): the label's box and the outline
    assert label.any(axis=1).sum() > 40 and label.any(axis=0).sum() > 100, out.shape  # the whole label
    strip = out[:3, :4096] if wide else out[:4096, :3]
    assert (strip == 128).all(-1).any() and tuple(out[-1, -1]) == (24, 24, 24)  # the image, then the margin
