"""Bench scripts measured as they say: tokens counted as generated, warm-up and saving left out of
the timed figures, refused records and lost scenes said, usage errors before the work."""

from __future__ import annotations

import sys

from test_bench_args import bench_main

TINY = ["encoders.default.layers=1", "llm.config.num_hidden_layers=1", "encoders.default.image_size=64",
        "llm.config.hidden_size=64", "llm.config.intermediate_size=128", "llm.config.num_attention_heads=2",
        "llm.config.num_key_value_heads=2"]


def test_chat_latency_times_tokens_not_streamed_pieces(monkeypatch, capsys):
    """An answer whose text is held back to its end (half a character, a stop string's start)
    streams once: its decode rate was '–' and its TTFT the whole answer's time. Tokens are now
    timed by the LLM's passes."""
    from rsvlm.model.vlm import TextStreamer

    monkeypatch.setattr(TextStreamer, "step", lambda self, tokens: False)  # nothing streamed before the end
    bench_main("chat_latency", monkeypatch, ["--turns", "2", "--new-tokens", "4", "--repeat", "1", *TINY])
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith(("| 1 |", "| 2 |"))]
    assert len(rows) == 2
    for row in rows:
        assert row[5] != "–" and float(row[5]) > 0 and float(row[6]) > 0, row  # tok/s cached and full
