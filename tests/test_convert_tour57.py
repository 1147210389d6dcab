"""Rough-edge tour 57 of the dataset converters and tiling: objects cut at tile borders kept as
difficult (DOTA's devkit), progress while a GeoJSON is reprojected, LEVIR-CD pairs on different
grids, the "no records written" error naming its run, grid masks that lose instances, and the PNG
level of tiles."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from convert_helpers import convert, objs, png


def test_no_records_written_names_the_input_and_the_empty_records_file(tmp_path, capsys):
    """The error said why (the skip counts) but not of which run: a batch of conversions left the
    user to guess which input gave nothing and where its empty records.jsonl lies."""
    from data_gen.convert import main

    src = tmp_path / "labels"
    src.mkdir()
    (src / "a.txt").write_text("1 2 3\n")
    assert main(["dota", "--src", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"error: dota --src {src} → {tmp_path / 'o' / 'records.jsonl'}: no records written ("), err
    (tmp_path / "q.txt").write_text("")
    assert main(["rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path), "--out", str(tmp_path / "v")]) == 2
    assert (f"error: rsivqa --src {tmp_path / 'q.txt'} --images {tmp_path} → {tmp_path / 'v' / 'records.jsonl'}: "
            "no records written (nothing to convert)") in capsys.readouterr().err
