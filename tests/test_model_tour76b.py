"""Tour 76 of the model area (helper P3): a save whose shard write outlasts bars_after's delay draws transformers'
"Writing model shards" bar on a terminal only, never on a log with no terminal (a pipe, or a writer without
isatty, which tqdm's own ``disable=None`` took for a terminal)."""

from __future__ import annotations

import io
import sys

import pytest


class Terminal(io.StringIO):
    """A stream that says it is a terminal (test_model_review76p3 imports it too)."""

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    """A stream that says it is no terminal."""

    def isatty(self) -> bool:
        return False


class _Writer:
    """A job runner's stream to its log: write and flush, no isatty."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        return self.text


@pytest.fixture
def slow_shard_write(monkeypatch):
    """transformers' shard write made to take 2.5 s of tqdm's clock (past save_pretrained's 2 s bar delay)
    without sleeping."""
    import tqdm.std
    import transformers.modeling_utils as mu

    now = [1000.0]
    write = mu.safe_save_file

    def slow(*args, **kwargs):
        now[0] += 2.5
        return write(*args, **kwargs)

    monkeypatch.setattr(tqdm.std, "time", lambda: now[0])
    monkeypatch.setattr(mu, "safe_save_file", slow)
    return now


@pytest.mark.parametrize("stream, drawn", [(Terminal, True), (Pipe, False), (_Writer, False)],
                         ids=["terminal", "pipe", "no-isatty"])
def test_a_slow_shard_write_draws_its_bar_on_a_terminal_only(tiny_vlm, tmp_path, monkeypatch, slow_shard_write,
                                                              stream, drawn):
    """A merge's log piped through a job runner (its stderr a writer with no isatty) got
    '\\rWriting model shards: 100%|##########| 1/1 [00:02<00:00, 2.61s/it]' twice once the write passed 2 s;
    a terminal still shows the bar (else this test would prove nothing)."""
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    tiny_vlm[0].save_pretrained(tmp_path / "ck")
    assert slow_shard_write[0] > 1000.0  # the fake slow write ran
    assert ("Writing model shards" in err.getvalue()) is drawn, err.getvalue()[-500:]
    assert (tmp_path / "ck" / "llm").is_dir()


@pytest.mark.parametrize("stream", [_Writer, "closed"], ids=["no-isatty", "closed"])
def test_bars_after_draws_nothing_where_stderr_cannot_say_it_is_a_terminal(monkeypatch, stream):
    """A stderr closed but still set (a finished capture) made tqdm's own check raise 'I/O operation on closed
    file' from within transformers; one without isatty got the bar. Both get none, and the loop still runs."""
    from transformers.utils import logging as hf_logging

    from rsvlm.model.quiet import bars_after

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    if stream == "closed":
        err = io.StringIO()
        err.close()
    else:
        err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    with bars_after(0.01):
        bar = hf_logging.tqdm(range(3), desc="Loading weights")
        assert bar.disable  # off from the start (a bar's close sets it too)
        assert list(bar) == [0, 1, 2]
    if stream != "closed":
        assert err.getvalue() == ""
