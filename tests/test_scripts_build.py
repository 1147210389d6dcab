"""scripts/build_default_model.py as a user meets it: --ship never deletes the bundled model when
there is nothing to ship."""

from __future__ import annotations

import pytest
from script_loader import load_script


def test_ship_without_a_built_model_keeps_the_bundled_one(tmp_path, monkeypatch):
    build = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(build, "ROOT", tmp_path)
    bundled = tmp_path / "rsvlm" / "assets" / "default_model"
    bundled.mkdir(parents=True)
    (bundled / "config.yaml").write_text("bundled\n")
    with pytest.raises(FileNotFoundError, match="no built model to ship"):
        build.ship(tmp_path / "out")
    assert (bundled / "config.yaml").read_text() == "bundled\n"  # was: deleted, then copytree's FileNotFoundError
