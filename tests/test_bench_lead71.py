"""Stop 71, bench: the --tile memory pre-check measured against the peak it guards (bench/tile_memory.py), and
--tta's view copies, one view's at a time (tta.fused_answers)."""
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from script_loader import load_bench

REPO = Path(__file__).resolve().parents[1]


def test_fused_answers_holds_one_views_copies_of_the_batch_at_a_time():
    """``fused_answers`` built a view's copies of every window of the batch while the last view's (``asked``, and
    ``v``/``_`` of its last record) were still held: two views' copies at once besides the batch (RA, stop 71: 8
    windows of 2000x2000x3 with --tta flip peaked at 1183 MiB, the batch alone at 499)."""
    from rsvlm import tta
    from rsvlm.model import ImageInput

    batch, side = 8, 200
    copies = batch * 3 * side * side * 4  # bytes of one float32 copy of the batch
    images = [[ImageInput(np.random.default_rng(k).random((3, side, side), dtype=np.float32))] for k in range(batch)]
    msgs = [[{"role": "user", "content": "<image>\n[det] ships"}] for _ in range(batch)]
    box = ("<box><loc_100><loc_100><loc_300><loc_300></box>", [0.9])
    tracemalloc.start()
    try:
        fused = tta.fused_answers(lambda m, i: [box] * len(m), msgs, images, [box] * batch, tta.FuseConfig(views="flip"))
        made = tracemalloc.get_traced_memory()[1]  # the views' copies at their peak
    finally:
        tracemalloc.stop()
    assert all(f is not None and f.answers == 4 for f in fused)  # every view was asked of every record
    assert copies * 0.9 <= made < copies * 1.5, (made, copies)  # was 2 copies: 7.7 MB against 3.8


def test_a_measured_peak_above_the_estimate_is_flagged(monkeypatch):
    bench = load_bench("tile_memory", monkeypatch)
    run = {"args": ["1000", "1000", "3", "uint8", "8"], "estimate": 300 * 2**20, "base": 2**30, "seconds": 40.0}
    ok = bench.row("uint8", {**run, "peak": 2**30 + 250 * 2**20})
    low = bench.row("uint8", {**run, "peak": 2**30 + 350 * 2**20})
    assert ok == ["uint8", "8 of 1000x1000x3 uint8", "300", "250", "1.20", "ok", "40"]
    assert low[2:6] == ["300", "350", "0.86", "LOW: estimate below measured"]


@pytest.mark.parametrize("args, says", [
    (["--cases", "tiff"], "--cases 'tiff': 'tiff' is none of uint8, uint16, png, geopng"),
    (["--tta", "none,rot"], "--tta 'none,rot': 'rot' is none of none, flip, dihedral"),
    (["--tile", "8"], "--tile 8: give 16 px or more"),
    (["--batch", "0"], "--batch 0: give 1 or more"),
    (["extra"], "unrecognized arguments: extra"),
])
def test_tile_memory_refuses_a_bad_argument_before_writing_a_scene(monkeypatch, capsys, args, says):
    bench = load_bench("tile_memory", monkeypatch)
    monkeypatch.setattr(bench, "write_scene", lambda *a: pytest.fail("a scene written despite a bad option"))
    with pytest.raises(SystemExit) as e:
        bench.main(args)
    assert e.value.code == 2 and says in capsys.readouterr().err


def test_tile_memory_measures_the_real_predict_on_its_smallest_case():
    """The bench's smallest case end to end: the bundled model's ``rsvlm predict --tile 96 --tta flip`` in a child
    process, the pre-check's own estimate beside the measured peak."""
    r = subprocess.run([sys.executable, str(REPO / "bench" / "tile_memory.py"), "--cases", "uint8", "--tta", "flip",
                        "--tile", "96", "--batch", "2", "--max-new-tokens", "4"], capture_output=True, text=True,
                       cwd=REPO, timeout=600)
    line = next(x for x in r.stdout.splitlines() if x.startswith("| uint8, --tta flip |"))
    case, windows, est, meas, ratio, check, _ = (c.strip() for c in line.strip("|").split("|"))
    assert windows == "2 of 96x96x3 uint8", line
    assert float(est) > 64 and float(meas) > 0, line  # GDAL's block cache alone is counted 64 MiB
    assert float(ratio) == pytest.approx(float(est) / float(meas), rel=0.05), line  # of the unrounded MiB
    assert (r.returncode, check) in ((0, "ok"), (1, "LOW: estimate below measured")), (r.returncode, r.stderr[-2000:])
