import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("RSVLM_REALDATA", REPO.parent / "shared" / "realdata"))


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real remote-sensing fixtures folder; tests using it skip where it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real-data fixtures not found at {REALDATA} (set RSVLM_REALDATA to their folder)")
    return REALDATA


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test may reach a model or dataset hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def load_script(name: str):
    """Import ``scripts/NAME.py`` as a module (scripts are not a package), once per session."""
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
