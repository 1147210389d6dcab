"""Front door and overlays, lead 72 (round 3): the unscored note of --tta's fused masks, NaN in a binned overlay."""


import numpy as np
import pytest

from rsvlm.cli import main

POLY = "<ref>building</ref><poly><loc_100><loc_100><loc_600><loc_100><loc_600><loc_600><loc_100><loc_600></poly>"


def test_masks_fused_over_tta_views_are_said_unscored_by_design(ckpt, geotiff, monkeypatch, capsys):
    """Polygons fused over --tta views (``fuse_masks``: pixel votes) carry no score by design; the note blamed "the
    answer's shapes did not match the model's per-shape scores one to one"."""
    from rsvlm import inference as inf
    from rsvlm.answering import Answer

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer(POLY, [0.9]) for _ in msgs])
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "seg", "--device", "cpu",
                 "--tta", "flip", "--min-score", "0.5"]) == 0
    err = capsys.readouterr().err
    assert ("note: 1 of 1 object has no score: 1 polygon or mask fused over the --tta views is a pixel "
            "vote, which carries no score; --min-score keeps it") in err, err
    assert "did not match" not in err, err


def test_the_unscored_note_tells_fused_masks_from_mismatched_shapes():
    from rsvlm.output_options import unscored_note

    objects = [{"kind": "mask"}, {"kind": "poly"}, {"kind": "box"}, {"kind": "poly", "score": 0.3}]
    note = unscored_note(objects, fused=True)
    assert note.startswith("3 of 4 objects have no score: 2 polygons or masks fused over the --tta views are "
                           "pixel votes, which carry no score; 1 other: the answer's shapes did not match"), note
    assert "fused" not in unscored_note(objects)  # not fused: each is a mismatch, as before


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("modality,bands", [("optical", ["R", "G", "B"]), ("sar", ["VV"])])
def test_a_nan_pixel_of_a_shrunk_overlay_leaves_its_block_drawn(modality, bands, tmp_path):
    """A large overlay averages k x k blocks (``_binned``); a block holding one unmasked NaN became NaN and was drawn
    black whole: its finite pixels are averaged."""
    from PIL import Image

    from rsvlm.io.image import RSImage
    from rsvlm.io.vis import draw_overlay

    data = np.linspace(0.2, 0.8, len(bands) * 64 * 64, dtype=np.float32).reshape(len(bands), 64, 64)  # (C, H, W)
    holed = data.copy()
    holed[:, 9, 10] = np.nan  # in the 4 x 4 block (2, 2) of a 64 px image drawn 16 px wide
    drawn = []
    for name, d in (("plain", data), ("holed", holed)):
        out = draw_overlay(RSImage(data=d, modality=modality, bands=bands, path="a.tif"), [], tmp_path / f"{name}.png",
                           max_side=16, min_side=8)
        drawn.append(np.asarray(Image.open(out).convert("RGB"), np.int16)[:16, :16])  # (16, 16, 3) the image part
    assert drawn[1][2, 2].min() > 0, drawn[1][2, 2]  # was black
    assert np.abs(drawn[1] - drawn[0]).max() <= 2  # 15 of its 16 pixels averaged, the rest alike


def test_chat_says_masks_fused_over_tta_views_are_unscored_by_design(ckpt, geotiff, monkeypatch):
    """Chat's note blamed a shape-to-score mismatch for a polygon fused over --tta views, as predict's did."""
    from test_predict_edges import chat_repl

    from rsvlm import inference as inf
    from rsvlm.tta import MODES, FuseConfig

    repl, out = chat_repl(ckpt, tta=FuseConfig(views=MODES["flip"]))
    assert repl.load_image([str(geotiff)]), out.getvalue()
    monkeypatch.setattr(repl, "fused", lambda *a, **k: inf.Answer(POLY, None, fused=True))
    repl.ask("[seg] Segment the buildings.")
    said = out.getvalue()
    assert "pixel vote, which carries no score" in said and "did not match" not in said, said
