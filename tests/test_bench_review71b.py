"""Stop 71, bench review: bench/tile_memory.py's ``--baseline`` (``child``'s ``hold``) holds a view's batch copies as
``tta.fused_answers`` did before 4e2808f6, and releases them when it returns; the end-to-end test does not run it."""
import json
import tracemalloc
from unittest import mock

import numpy as np
from script_loader import load_bench


def test_the_baseline_holds_the_last_views_copies_until_the_next_views_are_made(monkeypatch, tmp_path):
    """The child's ``hold`` patches, run over predict's --tta step alone (``rsvlm.cli.main`` stood in for): one float32
    copy of the batch at a time without them, two with them (the code before 4e2808f6), none left once it returns."""
    from rsvlm import cli, tta
    from rsvlm.model import ImageInput

    bench = load_bench("tile_memory", monkeypatch)
    batch, side = 8, 200
    copies = batch * 3 * side * side * 4  # bytes of one float32 copy of the batch
    images = [[ImageInput(np.random.default_rng(k).random((3, side, side), dtype=np.float32))] for k in range(batch)]
    msgs = [[{"role": "user", "content": "<image>\n[det] ships"}] for _ in range(batch)]
    box = ("<box><loc_100><loc_100><loc_300><loc_300></box>", [0.9])
    seen: dict[bool, tuple[int, int]] = {}

    def predict(argv, hold):  # what child's cli call reaches: fused_answers, looked up on tta as predict_tiles does
        tracemalloc.start()
        try:
            fused = tta.fused_answers(lambda m, i: [box] * len(m), msgs, images, [box] * batch,
                                      tta.FuseConfig(views="flip"))
            now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert all(f is not None and f.answers == 4 for f in fused)
        seen[hold] = peak, now
        return 0

    try:
        for hold in (False, True):
            monkeypatch.setattr(cli, "main", lambda argv, hold=hold: predict(argv, hold))
            bench.child("scene.tif", ["--tta", "flip"], str(tmp_path / f"{hold}.json"), hold)
            assert json.loads((tmp_path / f"{hold}.json").read_text())["rc"] == 0
            mock.patch.stopall()  # the child's patches: its process ends there, this one goes on
    finally:
        mock.patch.stopall()
    assert copies * 0.9 <= seen[False][0] < copies * 1.5, (seen, copies)  # one view's copies: the code now
    assert copies * 1.9 <= seen[True][0] < copies * 2.5, (seen, copies)  # two: the baseline, as before the fix
    assert seen[True][1] < copies * 0.5, (seen, copies)  # released when fused_answers returns
