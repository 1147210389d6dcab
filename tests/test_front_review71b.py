"""Stop 71, review of the front door's round 2: a tiled word answer's overlay keeps its tiles' answers under the
question, a pair's shapes land alike on both halves whatever the two images' sizes, draw_pair_overlay is exported
beside draw_overlay, and unnamed msi bands are drawn by their count (4: blue, green, red, NIR)."""

from __future__ import annotations

import numpy as np
from PIL import Image

import rsvlm.io
from rsvlm.cli import main
from rsvlm.io import RSImage, draw_pair_overlay, to_display_rgb
from rsvlm.io.vis import _display_bands


def _titles(monkeypatch) -> list[str]:
    seen = []
    monkeypatch.setattr(rsvlm.io, "draw_overlay", lambda *a, **k: seen.append(k["title"]))
    return seen


def test_a_tiled_word_answers_overlay_writes_its_tiles_answers_under_the_question(ckpt, geotiff, tmp_path,
                                                                                  monkeypatch, capsys):
    """11a39a63 left every tiled answer out of the title, the tiles' words (answers of 6 tiles: …) too; only the
    count line of a tiled shapes answer is predict's, not the model's."""
    seen = _titles(monkeypatch)
    args = ["predict", "--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "4", "--device", "cpu",
            "--tile", "32", "--overlap", "0", "--vis", str(tmp_path / "o.png")]
    assert main([*args, "--task", "cls"]) == 0, capsys.readouterr().err
    assert main([*args, "--task", "det"]) == 0, capsys.readouterr().err
    assert "\nanswers of 6 tiles: " in seen[0] and "answer: answers" not in seen[0], seen[0]
    assert "answer:" not in seen[1], seen[1]  # the count line is not the answer


def _black(w: int, h: int) -> RSImage:
    return RSImage(data=np.zeros((3, h, w), np.float32), modality="optical", bands=["R", "G", "B"], path=f"{w}x{h}")


def _box_in_panels(png) -> list[tuple[float, ...]]:
    """Per half of a pair overlay, the red outline's box as a share of its panel (the black image), (x0, y0, x1, y1)."""
    a = np.asarray(Image.open(png).convert("RGB")).astype(int)  # (H, W, 3)
    red, black = np.abs(a - (255, 56, 56)).sum(-1) < 30, a.sum(-1) == 0
    out, half = [], a.shape[1] // 2
    for part in (slice(0, half), slice(half, None)):
        r, b = red[:, part], black[:, part]
        bx, by = np.flatnonzero(b.any(0)), np.flatnonzero(b.any(1))
        rx, ry = np.flatnonzero(r.any(0)), np.flatnonzero(r.any(1))
        pw, ph = bx[-1] - bx[0] + 1, by[-1] - by[0] + 1
        out.append(((rx[0] - bx[0]) / pw, (ry[0] - by[0]) / ph, (rx[-1] - bx[0]) / pw, (ry[-1] - by[0]) / ph))
    return out


def test_a_pairs_shapes_land_alike_on_both_halves_whatever_their_sizes_and_a_shrunk_read(tmp_path):
    """The before image square, or wider than the after, and the after read shrunk (shapes in the scene's pixels):
    the box lies on the same share of each panel (x 1/4 … 3/4 of the scene's width)."""
    obj = [{"kind": "box", "label": "x", "coords": [100, 50, 300, 150]}]  # a 400 x 200 scene's middle half
    for w, h in ((60, 60), (400, 50), (200, 100)):
        png = draw_pair_overlay(_black(w, h), _black(200, 100), obj, tmp_path / f"{w}.png", object_scale=0.5)
        left, right = _box_in_panels(png)
        assert np.allclose(left, right, atol=0.01), (w, h, left, right)
        assert abs(left[0] - 0.25) < 0.01 and abs(left[2] - 0.75) < 0.01 and abs(left[3] - 0.75) < 0.01, left


def test_draw_pair_overlay_is_exported_beside_draw_overlay():
    from rsvlm.io import vis

    assert rsvlm.io.draw_pair_overlay is vis.draw_pair_overlay and "draw_pair_overlay" in rsvlm.io.__all__


def _msi(names: list[str], data: np.ndarray) -> RSImage:
    return RSImage(data=data.astype(np.float32), modality="msi", bands=names, path="x.tif")


def test_unnamed_msi_bands_are_drawn_by_their_count():
    """An unnamed 4-band file (PlanetScope's B,G,R,NIR; Sentinel-2's B02,B03,B04,B08 in order) was drawn b4, b3, b2:
    its NIR as red. 4 bands: b3, b2, b1; 8: PlanetScope's b6, b4, b2; 13 (Sentinel-2) and a subset read of its
    numbers still by Sentinel-2's numbers; named bands by their names."""
    def bands(names):
        return _display_bands(_msi(names, np.zeros((len(names), 2, 2))), None)

    assert bands([f"b{i}" for i in range(1, 5)]) == [2, 1, 0]
    assert bands([f"b{i}" for i in range(1, 9)]) == [5, 3, 1]
    assert bands([f"b{i}" for i in range(1, 14)]) == [3, 2, 1]
    assert bands(["b2", "b3", "b4", "b8"]) == [2, 1, 0]  # the b4, b3, b2 of a 13-band file
    assert bands(["B", "G", "R", "NIR"]) == [2, 1, 0]
    data = np.full((4, 8, 8), 0.1)
    data[2, :, :4] = 0.5  # red bright on the left, NIR on the right
    data[3, :, 4:] = 0.5
    rgb = to_display_rgb(_msi([f"b{i}" for i in range(1, 5)], data))  # (H, W, 3)
    assert rgb[:, :4, 0].min() > rgb[:, 4:, 0].max(), rgb[..., 0]


def test_chat_vis_of_a_pair_of_one_file_name_captions_each_by_its_path(ckpt, tmp_path, monkeypatch):
    """2019/scene.png and 2020/scene.png were both captioned 'scene.png' by chat (predict told them apart)."""
    from test_predict_edges import chat_repl

    seen = []
    monkeypatch.setattr(rsvlm.io, "draw_pair_overlay", lambda *a, **k: seen.append(k["captions"]))
    repl, out = chat_repl(ckpt)
    for year in ("2019", "2020"):
        (tmp_path / year).mkdir()
        Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / year / "scene.png")
        assert repl.load_image([str(tmp_path / year / "scene.png")])
    repl.handle("[change] What changed?")
    repl.handle(f"/vis {tmp_path / 'o.png'}")
    assert seen and "2019" in seen[0][0] and "2020" in seen[0][1], (seen, out.getvalue())
