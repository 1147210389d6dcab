"""Bench scripts compare like with like: warm-ups before every baseline, training data that fits the
model's context, the chat baseline decoding under the cached path's constraints."""

from __future__ import annotations

from test_bench_tour51 import bench_module
from test_bench_tour56 import one_off_cost


def test_tiling_png_times_its_baseline_after_a_warm_up(tmp_path, monkeypatch):
    """--only png timed row strips (the baseline, first) with the first calls' one-off costs (1000 s of the
    clock more here, on the stand-in's first call); the other modes warm up first."""
    mod = bench_module("tiling", monkeypatch)
    make, calls, spend = mod.stand_in, [], one_off_cost(monkeypatch)

    def slow_first():
        predict = make()

        def once(images):
            if not calls:
                spend()  # no sleep, whose margin over the row's own time a loaded machine ate
            calls.append(1)
            return predict(images)

        return once

    monkeypatch.setattr(mod, "stand_in", slow_first)
    path = tmp_path / "scene.png"
    mod.write_png(path, 300, 200)
    rows = mod.png_timing(path, 128, 16, 4, 8)
    assert [r[0] for r in rows] == ["row strips", "window by window"] and rows[0][2] == rows[1][2] > 1
    assert rows[0][1] < 100, rows  # was 1000 s and more: the warm-up's


def test_chat_latency_baseline_decodes_under_the_sessions_constraints(monkeypatch, capsys):
    """The plain ``generate`` baseline passed neither ``stop_strings`` nor ``need_shape``, which the
    cached session passes (to a [ground] question's turn): the two paths decoded under different rules."""
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
    mod = bench_module("chat_latency", monkeypatch)
    monkeypatch.setattr(mod, "QUESTIONS", ["[cls] What kind of scene is this?", "[vqa] What does [ground] mean?",
                                           "[ground] Where is the largest building?"])  # a tag further on is text
    monkeypatch.setattr("sys.argv", ["chat_latency", "--turns", "3", "--new-tokens", "2", "--repeat", "1", *TINY])
    mod.main()
    assert len(seen) == 2 + 2 * 3  # the warm-up's two, then each turn cached and plain
    cached, plain = seen[0::2], seen[1::2]
    assert plain == cached, (cached, plain)
    assert [c[2] for c in cached] == ["none", "none", "none", True] and all(c[3] for c in cached)  # turn 3 owes a shape,
    # the others none (grammar.NO_SHAPE: a [cls]/[vqa] answer opens no shape tag)
    assert "| 3 |" in capsys.readouterr().out


def test_train_throughput_data_fits_the_tiny_llms_context(tmp_path, monkeypatch):
    """42 of the 192 records (80-word answers) ran past the tiny LLM's 512 positions, let through by
    data.max_length=1024: the arms trained positions no model is asked at. Now every record fits, and
    the run cuts at the context (a cut record would be counted in the table)."""
    import json

    import torch

    from rsvlm.config import load_config
    from rsvlm.data.conversation import record_messages
    from rsvlm.model import create_model
    from rsvlm.model.processor import Pixels
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.data import encode_sample

    mod = bench_module("train_throughput", monkeypatch)
    cfg = load_config(TrainConfig, mod.REPO / "configs/train/sft_tiny.yaml")
    _, processor = create_model(cfg.model)
    records = [json.loads(line) for line in mod.make_data(tmp_path / "d", 192, 0).read_text().splitlines()]
    lengths = [len(encode_sample(processor, record_messages(r, cfg.model.prompt), [Pixels(torch.empty(0), "optical")],
                                 None)["input_ids"]) for r in records]
    assert mod.tiny_context() == cfg.model.llm.config["max_position_embeddings"] == 512
    assert max(lengths) <= 512 and min(lengths) < 200, (min(lengths), max(lengths))  # mixed lengths, all in context


def test_tiling_crops_times_after_a_warm_up(tmp_path, monkeypatch):
    """--only crops timed data_gen's cropper first with the first calls' one-off costs (1000 s of the clock
    here)."""
    import data_gen.tiling

    mod = bench_module("tiling", monkeypatch)
    make, calls, spend = data_gen.tiling.cropper, [], one_off_cost(monkeypatch)

    def slow_first(src):
        if not calls:
            spend()
        calls.append(1)
        return make(src)

    monkeypatch.setattr(data_gen.tiling, "cropper", slow_first)
    rows = mod.crop_timing(tmp_path, 256, 128, 16)
    assert [r[0] for r in rows] == ["cropper: one decode", "crop_to_file per tile"] and rows[0][2] == rows[1][2] == 9
    assert rows[0][1] < 100, rows  # not the 1000 s warm-up


def test_train_throughput_takes_each_arms_fastest_of_repeated_runs(monkeypatch, capsys):
    """One run per arm, one after the other: load on either set the ratio (0.85x to 2.90x in six runs)."""
    import itertools

    mod = bench_module("train_throughput", monkeypatch)
    speeds = itertools.cycle([100.0, 400.0, 300.0, 200.0])  # naive, grouped; naive, grouped: the best 300 and 400
    monkeypatch.setattr(mod, "make_data", lambda root, n, seed: root)
    monkeypatch.setattr(mod, "run", lambda data, out, b, steps, bs: {
        "tokens_per_s": next(speeds), "non_pad_fraction": 0.5 if b == "naive" else 0.9, "tokens": 10, "seconds": 1.0,
        "cut": 0})
    monkeypatch.setattr("sys.argv", ["train_throughput", "--steps", "3", "--repeat", "2"])
    mod.main()
    out = capsys.readouterr().out
    assert "fastest of 2 runs" in out and "| ratio grouped / naive | 1.33 | 1.80 |" in out, out
