"""Reading tour 78: one overlap rule for predict's windows and the nodata note's (``windows.default_overlap``);
every real raster, truncated or with a damaged TIFF header, is refused naming the file and why."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REALDATA


def test_default_overlap_is_one_rule_for_predict_and_the_nodata_note():
    """predict_tiles gives windows.default_overlap itself (fills.tiling_skips had a copy of the rule), and the
    note's window count is predict's: a 1000 px scene at tile 512 (overlap 64) is cut into 3 x 3 windows."""
    from rsvlm import predict_tiles
    from rsvlm.io import fills, windows

    assert predict_tiles.default_overlap is windows.default_overlap
    assert [windows.default_overlap(t) for t in (128, 256, 512, 1024, 3)] == [32, 64, 64, 64, 0]
    valid = np.ones((1000, 1000), bool)
    valid[:, :520] = False  # the left column of windows (x 0-511) wholly nodata
    tile, skipped, n = fills.tiling_skips(valid, (1000, 1000), tiles=(512,))
    assert (tile, n) == (512, windows.n_windows(1000, 1000, 512, windows.default_overlap(512))) == (512, 9)
    assert skipped == 3


def test_reading_the_nodata_note_loads_no_model_code():
    """fills (a reader path) imports windows, not predict_tiles, which loads inference and torch."""
    import subprocess
    import sys

    code = ("import sys, rsvlm.io.fills; bad = [m for m in ('rsvlm.predict_tiles', 'rsvlm.inference') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


REAL = REALDATA
RASTERS = sorted(p for p in REAL.rglob("*") if p.suffix.lower() in (".tif", ".tiff", ".png", ".jpg", ".jp2")) if (
    REAL.is_dir()) else []


@pytest.mark.skipif(not RASTERS, reason=f"real data not found: {REAL}")
@pytest.mark.parametrize("damage", ["cut 10%", "cut 50%", "cut 90%", "TIFF magic", "first IFD past the end"])
def test_every_real_raster_damaged_is_refused_naming_the_file_and_why(tmp_path, damage):
    """The tour's damaged copies of every real raster (21 files): each is refused as an ImageReadError that names
    the copy and says truncated or corrupt; none is read (a half PNG or GeoTIFF read as zeros would be unsaid)."""
    from rsvlm.io.read import read_image
    from rsvlm.io.read_errors import ImageReadError

    tried = 0
    for src in RASTERS:
        data = bytearray(src.read_bytes())
        if damage.startswith("cut"):
            data = data[: len(data) * int(damage[4:-1]) // 100]
        elif data[:2] not in (b"II", b"MM"):
            continue  # (a TIFF header's damage)
        elif damage == "TIFF magic":
            data[2:4] = b"\x00\x00"
        else:
            data[4:8] = b"\xff\xff\xff\x7f"
        path = tmp_path / f"{src.parent.name}-{src.name}"
        path.write_bytes(bytes(data))
        with pytest.raises(ImageReadError) as e:
            read_image(path)
        assert str(e.value).startswith(f"{path}: ") and "truncated or corrupt" in str(e.value), str(e.value)
        tried += 1
    assert tried >= (len(RASTERS) if damage.startswith("cut") else 8)
