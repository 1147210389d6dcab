"""Review of the front door's stop 71: --tile's memory pre-check against what --tta really holds, and chat's
/image with its options before a name too long."""

import inspect


def test_the_tile_memory_check_counts_every_tta_copy_held_at_once():
    """``tta.fused_answers`` made one view's copies of every window of the batch while the last view's were
    still held (measured: 8 windows of 2000x2000x3 uint16 with --tta flip held 1183 MiB; the count said 732);
    since 4e2808f6 it holds one view's at a time, which the count covers with room to spare (bench/tile_memory.py).
    numpy's allocations are what tracemalloc sees here."""
    import tracemalloc

    import numpy as np

    from rsvlm import tta
    from rsvlm.io import budget
    from rsvlm.model import ImageInput

    batch, side = 8, 200
    window = 3 * side * side  # values of one window
    images = [[ImageInput(np.random.default_rng(k).random((3, side, side), dtype=np.float32))] for k in range(batch)]
    msgs = [[{"role": "user", "content": "<image>\n[det] ships"}] for _ in range(batch)]
    box = ("<box><loc_100><loc_100><loc_300><loc_300></box>", [0.9])
    tracemalloc.start()
    try:
        tta.fused_answers(lambda m, i: [box] * len(m), msgs, images, [box] * batch, tta.FuseConfig(views="flip"))
        made = tracemalloc.get_traced_memory()[1]  # the views' copies at their peak
    finally:
        tracemalloc.stop()
    assert made >= batch * window * 4 * 0.9, made  # one view's copies of the batch (two views' before stop 71's tta fix)
    held = batch * window * 4  # the batch, read and scaled
    assert held + made <= budget.batch_bytes(side, side, 3, "uint8", batch, views=True) - budget.BLOCK_CACHE


def test_the_block_cache_counted_is_the_one_the_reader_sets():
    from rsvlm.io import budget
    from rsvlm.io.sources import RasterioSource

    mb = inspect.signature(RasterioSource).parameters["gdal_cache_mb"].default
    assert budget.BLOCK_CACHE == mb * 2**20


def test_chat_image_with_an_option_before_a_name_too_long_is_told_the_command_not_an_oserror(ckpt):
    """``/image --modality sar <300 characters>.tif``: ``Path.exists`` raised "File name too long" and ended
    the chat with a traceback (9fa254c5's search for the path among the words)."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    long = "a" * 300 + ".tif"
    assert repl.handle(f"/image --modality sar {long}")
    assert out.getvalue() == f"error: /image takes the modality and bands without option names: /image {long} sar\n", \
        out.getvalue()
