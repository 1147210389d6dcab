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


@pytest.mark.parametrize("field,value,says", [("loc_init", "zeros", "llm.loc_init must be 'random' or 'sincos'"),
                                              ("pad_vocab_multiple", 0, "llm.pad_vocab_multiple must be >= 1")])
def test_build_llm_refuses_a_bad_value_before_it_loads_anything(tmp_path, field, value, says):
    """Both were checked once the LLM had been loaded or built (minutes for a 7B model): a folder that is
    not there shows that the check now comes first."""
    cfg = replace(load_config(VLMConfig, TINY).llm, name_or_path=str(tmp_path / "no_model"), config=None,
                  **{field: value})
    with pytest.raises(ValueError, match=says):
        llm.build_llm(cfg)
    with pytest.raises(FileNotFoundError, match="no_model not found"):  # the same config, the value put right
        llm.build_llm(replace(cfg, loc_init="random", pad_vocab_multiple=1))


class _Stop(Exception):
    pass


def test_train_runs_preflight_unless_told_it_has_run(monkeypatch):
    """``rsvlm train`` runs preflight itself (its exit status 2) and then ``train``, which ran it again;
    ``checked=True`` says it has run. Stopped where the run would start its processes."""
    from rsvlm.train import loop
    from rsvlm.train.config import TrainConfig

    calls = []
    monkeypatch.setattr(loop, "preflight", calls.append)

    def stop(*_a, **_k):
        raise _Stop

    monkeypatch.setattr(loop, "setup_distributed", stop)
    cfg = TrainConfig()
    with pytest.raises(_Stop):
        loop.train(cfg, checked=True)
    assert calls == []
    with pytest.raises(_Stop):
        loop.train(cfg)
    assert calls == [cfg]
