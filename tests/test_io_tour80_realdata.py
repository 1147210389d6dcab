"""Tests that read the real sample files find them through conftest's ``REALDATA`` (or the ``realdata`` fixture), so
``RSVLM_REALDATA`` points the whole suite at another copy: 20 test files had built ``../shared/realdata`` from their
own path, and ran or skipped by that folder whatever the variable said."""

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REAL = re.compile(r"(^|[/\\])shared[/\\]+realdata([/\\]|$)")


def _parts(node) -> list:
    """A ``/`` chain's operands (a string constant as itself, anything else None)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _parts(node.left) + _parts(node.right)
    return [node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None]


def own_real_paths(text: str) -> list[int]:
    """Lines of ``text`` building .../shared/realdata: string pieces of a ``/`` chain or of a call's arguments
    (``Path(...)``, ``os.path.join``); a message or docstring naming the folder (holding a space) is not one."""
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts = _parts(node)
        elif isinstance(node, ast.Call):
            parts = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
        else:
            continue
        path = "/".join("\0" if p is None or any(c.isspace() for c in p) else p for p in parts)
        if REAL.search(path):
            found.add(node.lineno)
    return sorted(found)


def test_no_test_file_builds_the_real_data_path_itself():
    found = [f"{p.name}:{n}" for p in sorted(TESTS.glob("*.py")) if p.name != "conftest.py"
             for n in own_real_paths(p.read_text(encoding="utf-8"))]
    assert not found, f"use `from conftest import REALDATA` or the realdata fixture: {found}"


@pytest.mark.parametrize("line", [
    'R = Path(__file__).resolve().parents[2] / "shared" / "realdata"',
    'R = Path(__file__).parents[2] / "shared" / "realdata" / "msi_s2" / "B02.jp2"',
    'R = ROOT.parent / "shared/realdata"',
    'R = os.path.join(ROOT, "..", "shared", "realdata")',
    'R = Path("/work/shared/realdata/msi_s2/B02.jp2")',
    'R = Path(os.environ.get("RSVLM_REALDATA", "../shared/realdata"))',
])
def test_the_check_finds_each_way_of_building_the_path(line):
    assert own_real_paths(line) == [1], line


@pytest.mark.parametrize("line", [
    '"""Converters on the real fixtures in ../shared/realdata."""',
    'pytest.skip("needs ../shared/realdata (a fresh clone)")',
    'pytest.skip("no ../shared/realdata")',
    'pytest.skip(f"no file at {REALDATA} (not ../shared/realdata)")',
    '# R = ROOT / "shared" / "realdata"',
    'R = REALDATA / "shared_realdata"',
])
def test_the_check_spares_words_naming_the_folder(line):
    assert own_real_paths(line) == [], line


def test_bench_shrunk_read_reads_the_real_folder_rsvlm_realdata_names(monkeypatch, tmp_path):
    """bench/shrunk_read.py --only real read ../shared/realdata whatever RSVLM_REALDATA said."""
    import argparse

    from test_bench_tour51 import bench_module

    shrunk = bench_module("shrunk_read", monkeypatch)
    monkeypatch.setenv("RSVLM_REALDATA", str(tmp_path / "elsewhere"))
    with pytest.raises(SystemExit, match=r"elsewhere is absent: --only real reads its files \(set RSVLM_REALDATA"):
        shrunk.real(argparse.Namespace(real_ratio=4), tmp_path)
