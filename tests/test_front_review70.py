"""Review of tour 70's front door: the tiled count line's parts together, and the --tile memory check's batch."""

from __future__ import annotations

from types import SimpleNamespace

from rsvlm.predict_tiles import shapes_line, window_problem


def test_the_count_line_gives_both_reasons_and_the_skipped_tiles_in_one_line():
    """Each object found is written, below --min-score or on nodata: the three counts add up to those found."""
    result = {"tiles": [{}] * 5, "objects": [{}] * 9, "nodata_tiles": 1}
    assert shapes_line(result, 4, 3, 2) == ("4 objects from 5 tiles (9 found; 3 below --min-score, 2 wholly on "
                                           "nodata left out by --on-nodata drop) (1 tile all nodata, not asked)")
    assert shapes_line({**result, "tiles": [{}]}, 9, 0, 0) == "9 objects from 1 tile (1 tile all nodata, not asked)"


def _scene(width: int, height: int, bands: int = 3, dtype: str = "uint8"):
    return SimpleNamespace(width=width, height=height, indexes=list(range(bands)), src=SimpleNamespace(dtype=dtype),
                           modality="optical", cfg=SimpleNamespace(ir_kelvin=None))


def test_the_memory_check_counts_no_more_windows_than_the_scene_has_and_names_batch_size_only_for_a_batch(
        monkeypatch):
    import rsvlm.io.budget as budget

    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: budget.batch_bytes(100, 100, 3, "uint8", 2))
    assert window_problem(_scene(200, 100), 100, 0, 8, "s.tif") is None  # the scene's 2 windows, not a batch of 8
    err = window_problem(_scene(300, 100), 100, 0, 8, "s.tif")
    assert err.startswith("--tile 100: 3 windows of s.tif at once, each 100x100 px of 3 bands of uint8") and \
        err.endswith("give a smaller --tile (96: the bundled model's input) or --batch-size"), err
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: 1000)
    err = window_problem(_scene(300, 100), 100, 0, 1, "s.tif")
    assert err.startswith("--tile 100: 1 window of") and err.endswith("give a smaller --tile (96: the bundled "
                                                                       "model's input)"), err
