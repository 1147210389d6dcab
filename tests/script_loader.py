"""Import a file of scripts/ or bench/ as a module for a test (neither folder is a package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_script(name: str, monkeypatch):
    """scripts/NAME.py as module NAME, registered in sys.modules for the test's duration."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, mod)
    spec.loader.exec_module(mod)
    return mod


def load_bench(name: str, monkeypatch, module: str | None = None):
    """bench/NAME.py as module ``module`` (default ``bench_NAME``), not run: bench/ on sys.path, as when the
    script runs (its ``from common import …``), and the module in sys.modules, both for the test's duration."""
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    spec = importlib.util.spec_from_file_location(module or f"bench_{name}", REPO / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, mod)
    spec.loader.exec_module(mod)
    return mod
