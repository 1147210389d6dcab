"""Tour 54 of training's preflight: bad configs refused before a run builds or writes anything (exit 2,
the key named), not found mid-run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.model import llm, stem
from rsvlm.model.vlm import VLMConfig

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs/model/tiny.yaml"


def test_a_stem_with_an_unknown_interpolation_is_refused_when_built():
    """It was built, then every image was refused at its first resize (a bad sample each)."""
    with pytest.raises(ValueError, match=r"stem 'optical': interpolation must be one of \('bilinear', 'bicubic'\), "
                                         r"got 'nearest'"):
        stem.Stem(stem.StemConfig(interpolation="nearest"), width=8)
    assert stem.Stem(stem.StemConfig(interpolation="bilinear"), width=8).modality == "optical"
