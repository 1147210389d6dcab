"""Tour 59: an untiled image far smaller than the model's input, or a long strip, is noted (size_note)."""

import types

import numpy as np


def _img(w, h):
    from rsvlm.io.read import RSImage

    return RSImage(np.zeros((3, h, w), np.float32), "optical", ["R", "G", "B"], f"{w}x{h}.png")


def test_a_tiny_or_elongated_image_gets_a_note_as_a_far_larger_one_does():
    """A 3x3 px image (enlarged 32x to a 96 px input) and a 5x300 px strip (squashed to a square) were
    answered without a word; only an image 4x larger than the input was noted."""
    from rsvlm import inference as inf

    assert inf.size_note(_img(3, 3), 96) == ("3x3 px enlarged 32x to the model's 96 px input, a scale it was not "
                                             "trained on")
    strip = inf.size_note(_img(5, 300), 96)
    assert strip == "5x300 px is 60x longer one way than the other, squashed to the model's square 96 px input: " \
                    "shapes in it are distorted"
    assert "fills a strip 60x thinner" in inf.size_note(_img(300, 5), 96, resize="pad")
    assert "centre square" in inf.size_note(_img(300, 5), 96, resize="crop")
    both = inf.size_note(_img(2, 10), 96)  # small and elongated: both said
    assert both.startswith("2x10 px enlarged 10x") and "5x longer one way" in both
    assert inf.size_note(_img(96, 64), 96) is None and inf.size_note(_img(30, 90), 96) is None  # 3x: no note
    assert "shrunk whole" in inf.size_note(_img(500, 400), 96)


def test_resize_of_reads_the_stem_config_and_falls_back_to_stretch():
    from rsvlm import inference as inf

    proc = types.SimpleNamespace(stems={"sar": types.SimpleNamespace(resize="pad")})
    assert inf.resize_of(proc, "sar") == "pad" and inf.resize_of(proc, "optical") == "stretch"
    assert inf.resize_of(object(), "sar") == "stretch"
