"""Review of tour 76's bars_after (18cfeddf): its hook decides "terminal" by rsvlm.progress's one rule
(``is_terminal``), from the stream the bar writes to; a notebook's widget bar (tqdm.auto under Jupyter, whose
stderr says no terminal) is drawn as before 18cfeddf, which had turned it off."""

from __future__ import annotations

import io
import sys
import types

import pytest

from tests.test_model_tour76b import Pipe, Terminal


@pytest.fixture
def made(monkeypatch):
    """transformers' tqdm factory replaced by one that records the keywords each bar is made with."""
    import tqdm.std
    from transformers.utils import logging as hf_logging

    kws: list[dict] = []

    class Recorded(tqdm.std.tqdm):
        def __init__(self, *a, **kw):
            kws.append(kw)
            super().__init__(*a, **kw)

    monkeypatch.setattr(hf_logging, "_tqdm_active", True)
    monkeypatch.setattr(hf_logging, "tqdm_lib", types.SimpleNamespace(tqdm=Recorded))
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    return Recorded, kws


def _bar(**kw):
    from transformers.utils import logging as hf_logging

    from rsvlm.model.quiet import bars_after

    with bars_after(0.01):
        hf_logging.tqdm(range(2), desc="Loading weights", **kw).close()


def test_a_notebooks_widget_bar_is_still_drawn(made, monkeypatch):
    """Jupyter's stderr says no terminal; tqdm's widget turns disable=None into False and draws. 18cfeddf passed
    disable=True there, so a notebook's 'Loading weights' bar was gone."""
    recorded, kws = made

    class Widget(recorded):
        pass

    monkeypatch.setitem(sys.modules, "tqdm.notebook", types.SimpleNamespace(tqdm_notebook=recorded))
    monkeypatch.setattr("transformers.utils.logging.tqdm_lib", types.SimpleNamespace(tqdm=Widget))
    monkeypatch.setattr(sys, "stderr", Pipe())
    _bar()
    assert kws[-1]["disable"] is None


@pytest.mark.parametrize("stderr, file, off", [
    (Terminal, Pipe, True),  # the caller's stream decides, not stderr
    (Pipe, Terminal, None),
    (Terminal, None, None),  # file=None: tqdm writes to stderr
    (Pipe, None, True),
])
def test_the_bars_own_stream_decides(made, monkeypatch, stderr, file, off):
    _, kws = made
    monkeypatch.setattr(sys, "stderr", stderr())
    _bar(file=None if file is None else file())
    assert kws[-1]["disable"] is off


def test_tqdm_disable_and_a_callers_disable_are_as_before(made, monkeypatch):
    _, kws = made
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setenv("TQDM_DISABLE", "1")
    _bar()
    assert kws[-1]["disable"] is True
    monkeypatch.delenv("TQDM_DISABLE")
    monkeypatch.setattr(sys, "stderr", Pipe())
    _bar(disable=False)  # the caller's word comes first
    assert kws[-1]["disable"] is False


@pytest.mark.parametrize("stream", [Terminal(), Pipe(), object(), None, "closed"],
                         ids=["terminal", "pipe", "no-isatty", "none", "closed"])
def test_one_rule_for_rsvlm_bars_and_transformers(made, monkeypatch, stream):
    from rsvlm.progress import is_terminal

    _, kws = made
    if stream == "closed":
        stream = io.StringIO()
        stream.close()
    monkeypatch.setattr(sys, "stderr", stream)
    _bar()
    assert (kws[-1]["disable"] is None) is is_terminal(stream)
    assert is_terminal(stream) is isinstance(stream, Terminal)
