"""Bench scripts compare like with like: warm-ups before every baseline, training data that fits the
model's context, the chat baseline decoding under the cached path's constraints."""

from __future__ import annotations

from test_bench_tour51 import bench_module


def test_tiling_png_times_its_baseline_after_a_warm_up(tmp_path, monkeypatch):
    """--only png timed row strips (the baseline, first) with the first calls' one-off costs (0.5 s
    more here, on the stand-in's first call); the other modes warm up first."""
    import time

    mod = bench_module("tiling", monkeypatch)
    make, calls = mod.stand_in, []

    def slow_first():
        predict = make()

        def once(images):
            if not calls:
                time.sleep(0.5)
            calls.append(1)
            return predict(images)

        return once

    monkeypatch.setattr(mod, "stand_in", slow_first)
    path = tmp_path / "scene.png"
    mod.write_png(path, 300, 200)
    rows = mod.png_timing(path, 128, 16, 4, 8)
    assert [r[0] for r in rows] == ["row strips", "window by window"] and rows[0][2] == rows[1][2] > 1
    assert rows[0][1] < 0.4, rows  # was 0.5 s and more: the warm-up's


def test_chat_latency_baseline_decodes_under_the_sessions_constraints(monkeypatch, capsys):
    """The plain ``generate`` baseline passed neither ``stop_strings`` nor ``need_shape``, which the
    cached session passes (turn 6 is a [ground] question): the two paths decoded under different rules."""
    import inspect

    from test_bench_tour56 import TINY

    from rsvlm.model.vlm import RSVLM

    hooks, seen = RSVLM.decode_hooks, []
    sig = inspect.signature(hooks)

    def spy(self, *a, **k):
        got = sig.bind(self, *a, **k)
        got.apply_defaults()
        seen.append((got.arguments["constrain"], got.arguments["min_shapes"], got.arguments["need_shape"],
                     tuple(got.arguments["stop_strings"])))
        return hooks(self, *a, **k)

    monkeypatch.setattr(RSVLM, "decode_hooks", spy)
    bench_main = bench_module("chat_latency", monkeypatch).main
    monkeypatch.setattr("sys.argv", ["chat_latency", "--turns", "6", "--new-tokens", "2", "--repeat", "1", *TINY])
    bench_main()
    assert len(seen) == 2 + 2 * 6  # the warm-up's two, then each turn cached and plain
    cached, plain = seen[0::2], seen[1::2]
    assert plain == cached, (cached, plain)
    assert cached[-1][2] is True and all(c[3] for c in cached)  # turn 6 owes a shape; stop strings everywhere
    assert "| 6 |" in capsys.readouterr().out
