"""Front door review, stop 72: fixes found reviewing tour 72's commits."""

import numpy as np
import pytest


def _ir(data, path: str, notes=()):
    from rsvlm.io.image import RSImage

    return RSImage(data=np.asarray(data, np.float32), modality="ir", bands=["ir"], path=path, notes=list(notes))


def test_a_pair_of_which_one_side_is_dim_draws_both_sides_alike(tmp_path, monkeypatch):
    """Each side of a pair chose its own ir display range: a dim before (98th percentile under 0.5) was stretched,
    a brighter after drawn as read, so the same value showed as two colours side by side. Both are drawn over one
    range: as read where either is not dim, over both's percentiles where both are."""
    import rsvlm.io.vis as vis

    ramp = np.linspace(0.1, 0.4, 32 * 32).reshape(1, 32, 32)  # (C, H, W)
    dim, bright = _ir(ramp, "dim.png"), _ir(ramp * 2, "bright.png")  # 0.2 to 0.8
    ranges = []  # the [lo, hi] each side's ir band is drawn over
    real = vis._to_uint8
    monkeypatch.setattr(vis, "_to_uint8", lambda band, lo=0.0, hi=1.0: ranges.append((lo, hi)) or real(band, lo, hi))
    vis.draw_pair_overlay(dim, bright, [], tmp_path / "p.png")
    assert ranges == [(0.0, 1.0), (0.0, 1.0)], ranges  # the dim one was drawn over its own 2-98 %
    ranges.clear()
    vis.draw_pair_overlay(dim, _ir(ramp * 0.5, "dimmer.png"), [], tmp_path / "q.png")  # 0.05 to 0.2
    (lo, hi), other = ranges
    assert other == (lo, hi) and lo < 0.06 and 0.39 < hi < 0.4, ranges  # one range over both


@pytest.mark.parametrize("data", [np.full((1, 8, 8), 0.2), np.full((1, 1, 1), 0.1),
                                  np.where(np.eye(8)[None] > 0, np.nan, 0.2)])
def test_an_ir_image_of_one_value_one_pixel_or_nans_is_drawn_without_a_stretch(data):
    """No range to stretch over (p2 == p98, one pixel), or NaNs in it: drawn as read, no divide by zero."""
    from rsvlm.io.vis import to_display_rgb

    with np.errstate(divide="raise"):
        grey = to_display_rgb(_ir(data, "flat.png"), ir_cmap="grey")[..., 0]
    assert grey.shape == data.shape[1:] and grey[~np.isnan(data[0])].max() == round(data[0, 0, -1] * 255)


def test_an_option_without_a_value_before_the_path_is_named_not_told_no_path(tmp_path, monkeypatch):
    """``/image --free-decoding a.tif`` was "no path in ['--free-decoding', 'a.tif']": the word after any option
    was taken as its value, where only --modality's and --bands' are."""
    from rsvlm.chat_commands import option_words

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.tif").write_bytes(b"")
    (tmp_path / "sar").write_bytes(b"")
    said = option_words(["--free-decoding", "a.tif"])
    assert said.startswith("/image takes PATH [modality] [bands], no options (--free-decoding)"), said
    assert option_words(["--modality", "sar", "a.tif"]).endswith(": /image a.tif sar")  # the file sar not the path
    assert "no path in" in option_words(["--modality", "sar"])


def test_the_memory_check_after_the_model_loads_says_so_in_its_memory_words(tmp_path, monkeypatch):
    """It ended "… give a smaller --tile (96: …) or --batch-size (memory free once the model was loaded)", the
    last words read as of --batch-size."""
    import rasterio

    import rsvlm.io.budget as budget
    from rsvlm.io.read import SceneReader
    from rsvlm.predict_tiles import window_problem

    path = tmp_path / "s.tif"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=3, dtype="uint8") as ds:
        ds.write(np.ones((3, 64, 64), np.uint8))
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: 1000)
    with SceneReader(str(path), "optical") as scene:
        before, after = (window_problem(scene, 32, 0, 4, "s.tif", loaded=w) for w in (False, True))
    assert "windows of s.tif at once" in before and " do not fit in memory (the read needs about " in before, before
    assert after == before.replace("fit in memory (", "fit in the memory free once the model was loaded ("), after
    assert after.endswith("or --batch-size"), after


def test_a_turned_images_overlay_line_has_no_parenthesis_nested_or_not():
    """GCPs with no CRS read as longitude and latitude name that inside the note's parenthesis; the inner one was
    taken out and the outer left on the overlay's line ("… its right west (an affine fitted to its 9 GCPs: 1, …)")."""
    from rsvlm.io.georef import orientation_note
    from rsvlm.output_options import turned_line

    note = orientation_note((-0.1, 0, 5, 0, -0.1, 40), "an affine fitted to its 9 GCPs (with no CRS, taken as "
                            "longitude and latitude):")  # mirrored: x runs west
    assert turned_line([note]) == "drawn as read, not north-up: mirrored, its top facing north and its right west"
