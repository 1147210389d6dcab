"""Review of helper M's tour 64 (model area): transformers' load bar under TQDM_DISABLE, a model folder holding a
stray adapter_config.json, and Sentinel-2's B1 … B13 given to the stem without the reader."""

from __future__ import annotations

import time

from conftest import Terminal


def _slow(n):
    for i in range(n):
        time.sleep(0.12)  # past the bar's delay and tqdm's 0.1 s between redraws
        yield i


def test_tqdm_disable_still_turns_off_the_load_bar_on_a_terminal(monkeypatch):
    """bars_after (2baa8b6) passes tqdm disable=None; a value given to tqdm comes before its TQDM_DISABLE environment
    variable, so the 'Loading weights' bar that TQDM_DISABLE=1 kept off before was drawn on a terminal."""
    import sys

    from transformers.utils import logging as hf_logging

    from rsvlm.model.quiet import bars_after

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    with bars_after(0.05):
        list(hf_logging.tqdm(_slow(3), total=3, desc="Loading weights", file=term))
    assert "Loading weights" not in term.getvalue()
    monkeypatch.delenv("TQDM_DISABLE")
    with bars_after(0.05):  # without it, a terminal still gets the bar
        list(hf_logging.tqdm(_slow(3), total=3, desc="Loading weights", file=term))
    assert "Loading weights" in term.getvalue()
