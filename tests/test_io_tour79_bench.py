"""Reading tour 79, benches: bench/geometry_codec.py and bench/shrunk_read.py --only real printed rasterio's
NotGeoreferencedWarning (two lines on stderr, naming no file) for the detectree mask and a PNG's GeoTIFF copy, which
have no georeferencing and need none; they open files as the reader does (``open_raster``), and say nothing."""

from __future__ import annotations

import argparse
import warnings

import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from rasterio.errors import NotGeoreferencedWarning  # noqa: E402
from test_bench_tour51 import bench_module  # noqa: E402


def _need_realdata():
    if not REALDATA.is_dir():
        pytest.skip(f"real data not found: {REALDATA}")


def test_geometry_codec_reads_the_real_masks_without_the_warning(monkeypatch):
    _need_realdata()
    codec = bench_module("geometry_codec", monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotGeoreferencedWarning)
        masks = codec.load_masks(REALDATA)
    assert masks["trees (detectree)"].shape == (120, 175) and masks["trees (detectree)"].any()


def test_shrunk_read_real_copies_a_png_without_the_warning(monkeypatch, tmp_path, capsys):
    _need_realdata()
    shrunk = bench_module("shrunk_read", monkeypatch)
    monkeypatch.setattr(shrunk, "REAL_FILES", ["cls_aid"])  # church_183.png: its GeoTIFF copy has no georeferencing
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotGeoreferencedWarning)
        shrunk.real(argparse.Namespace(real_ratio=4), tmp_path)
    out = capsys.readouterr()
    assert "| cls_aid/church_183.png | 600x600 | 150 |" in out.out and "Warning" not in out.err
