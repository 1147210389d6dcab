"""Tests that read the real sample files find them through conftest's ``REALDATA`` (or the ``realdata`` fixture), so
``RSVLM_REALDATA`` points the whole suite at another copy: 20 test files had built ``../shared/realdata`` from their
own path, and ran or skipped by that folder whatever the variable said."""

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
OWN_PATH = re.compile(r"""["']shared["']\s*/\s*["']realdata["']|["'][^"'\n]*shared/realdata/?["']\s*\)""")


def test_no_test_file_builds_the_real_data_path_itself():
    found = []
    for p in sorted(TESTS.glob("*.py")):
        text = p.read_text(encoding="utf-8")
        if p.name != "conftest.py":
            found += [f"{p.name}:{text[: m.start()].count(chr(10)) + 1}" for m in OWN_PATH.finditer(text)]
    assert not found, f"use `from conftest import REALDATA` or the realdata fixture: {found}"


def test_bench_shrunk_read_reads_the_real_folder_rsvlm_realdata_names(monkeypatch, tmp_path):
    """bench/shrunk_read.py --only real read ../shared/realdata whatever RSVLM_REALDATA said."""
    import argparse

    import pytest
    from test_bench_tour51 import bench_module

    shrunk = bench_module("shrunk_read", monkeypatch)
    monkeypatch.setenv("RSVLM_REALDATA", str(tmp_path / "elsewhere"))
    with pytest.raises(SystemExit, match=r"elsewhere is absent: --only real reads its files \(set RSVLM_REALDATA"):
        shrunk.real(argparse.Namespace(real_ratio=4), tmp_path)
