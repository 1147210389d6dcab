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

    monkeypatch.setattr(TextStreamer, "step", lambda self, tokens: [False] * len(tokens))  # nothing streamed before the end
    bench_main("chat_latency", monkeypatch, ["--turns", "2", "--new-tokens", "4", "--repeat", "1", *TINY])
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith(("| 1 |", "| 2 |"))]
    assert len(rows) == 2
    for row in rows:
        assert row[5] != "–" and float(row[5]) > 0 and float(row[6]) > 0, row  # tok/s cached and full


def test_train_throughput_times_steps_after_the_first_not_the_final_save(tmp_path, monkeypatch):
    """tokens/s was the training summary's: the first (warm-up) step and the final model's save
    counted as training time. Saving is slowed by 1 s here: the run's own summary counts it, the bench not."""
    import json
    import time

    from test_bench_tour51 import bench_module

    import rsvlm.train.loop as loop

    save = loop.save_final
    monkeypatch.setattr(loop, "save_final", lambda *a, **k: (time.sleep(1.0), save(*a, **k))[1])
    mod = bench_module("train_throughput", monkeypatch)
    data = mod.make_data(tmp_path / "data", 8, 0)
    res = mod.run(data, tmp_path / "naive", "naive", 3, 2)
    summary = json.loads((tmp_path / "naive" / "summary.json").read_text())
    assert res["steps"] == 2 and 0 < res["seconds"] <= summary["seconds"] - 1.0, (res, summary["seconds"])
    assert res["tokens_per_s"] == res["tokens"] / res["seconds"] and 0 < res["non_pad_fraction"] <= 1


def test_train_throughput_refuses_a_run_with_no_timed_step(monkeypatch, capsys):
    import pytest

    with pytest.raises(SystemExit) as e:
        bench_main("train_throughput", monkeypatch, ["--steps", "1"])
    assert e.value.code == 2 and "--steps 1: give 2 or more" in capsys.readouterr().err


def test_constrained_decoding_counts_the_tokens_generated(tmp_path, monkeypatch, capsys, ckpt):
    """Answer tokens were the answers' text tokenised again: a random model's bytes that end in half
    a character tokenise to more tokens than it generated (up to --max-new-tokens 3 each)."""
    from test_bench_tour51 import synth_stub

    synth_stub(monkeypatch)
    bench_main("constrained_decoding", monkeypatch, ["--model", str(ckpt), "--scenes", "1", "--repeat", "1",
                                                     "--max-new-tokens", "3"])
    out, err = capsys.readouterr()
    rows = {r.split(" | ")[0][2:]: r.split(" | ") for r in out.splitlines() if r.startswith(("| free |", "| held |"))}
    assert set(rows) == {"free", "held"}
    for row in rows.values():
        assert 0 < int(row[1]) <= 4 * 3, row  # 4 records, 3 new tokens at most each
    assert "warm-up" in err


def one_off_cost(monkeypatch, seconds: float = 1000.0):
    """A first call's one-off cost on ``time.perf_counter`` (the clock the bench scripts time with): each call
    of the returned function moves the clock on ``seconds`` at once, no sleep. A timed window that holds it
    reads ``seconds`` more on any machine, one that does not its own real time, far less even on a loaded
    one: a wall-clock sleep against a bound left little margin either way."""
    import time

    real, offset = time.perf_counter, [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: real() + offset[0])

    def spend() -> None:
        offset[0] += seconds

    return spend


def slow_first_eval(monkeypatch) -> list:
    """Stand in for ``rsvlm.evaluate.run``: answers "x" to every record, the first call costing 1000 s of
    ``time.perf_counter`` (a first call's one-off costs, ``one_off_cost``); returns each call's ``limit``."""
    import json

    calls, spend = [], one_off_cost(monkeypatch)

    def run(model, processor, data, out, *a, **kw):
        if not calls:
            spend()
        calls.append(kw.get("limit"))
        rows = [json.loads(line) for line in data.read_text().splitlines()]
        out.write_text("".join(json.dumps({"id": r["id"], "task": r["task"], "answer": "x"}) + "\n" for r in rows))

    monkeypatch.setattr("rsvlm.evaluate.run", run)
    return calls


def test_constrained_decoding_times_no_warm_up(tmp_path, monkeypatch, capsys, ckpt):
    """The first pass (free decoding) carried the first calls' one-off costs: 1000 s of the clock here. An
    untimed warm-up batch now takes them."""
    from test_bench_tour51 import synth_stub

    synth_stub(monkeypatch)
    calls = slow_first_eval(monkeypatch)
    bench_main("constrained_decoding", monkeypatch, ["--model", str(ckpt), "--scenes", "1", "--repeat", "1"])
    out = capsys.readouterr().out
    free = next(r for r in out.splitlines() if r.startswith("| free |")).split(" | ")
    assert float(free[2]) > 4 / 100, free  # records/s: 4 in under 100 s (a loaded machine), not 1000 s and more
    assert calls[:2] == [16, 16] and calls[2:] == [None, None]  # warm-ups of a batch, free and held; then the runs


def test_tta_bench_times_the_plain_pass_without_warm_up(tmp_path, monkeypatch, capsys, ckpt):
    """The plain pass, the baseline of every ratio, came first and carried the first calls' one-off
    costs (1000 s of the clock here), so each mode's '× plain' read low. An untimed warm-up batch takes them."""

    from test_probe_pointer_cells import ground_records

    calls = slow_first_eval(monkeypatch)
    bench_main("tta", monkeypatch, ["--data", str(ground_records(tmp_path)), "--model", str(ckpt)])
    plain = next(r for r in capsys.readouterr().out.splitlines() if r.startswith("| none |")).split(" | ")
    assert float(plain[1]) < 100 / 4, plain  # s/record: 4 records in under 100 s, not 1000 s and more
    assert calls[0] == 16 and None in calls[1:]


def test_missing_bands_scores_a_refused_record_wrong_and_says_so(tmp_path, monkeypatch, capsys, ckpt):
    """A record whose prompt is past the LLM's context ended the whole run in a PromptsRefused
    traceback, after the model had loaded; now it is answered empty, scored wrong and said."""
    import json

    from test_bench_tour51 import sar_records

    data = sar_records(tmp_path, [["VV", "VH"], ["VV", "VH"]])
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    rows[1]["conversations"][0]["value"] = "<image>\n[cls] " + "What scene is this? " * 200  # past 512 tokens
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    bench_main("missing_bands", monkeypatch, ["--data", str(data), "--model", str(ckpt), "--max-new-tokens", "2"])
    out = capsys.readouterr().out
    assert [line.split(" | ")[3] for line in out.splitlines() if line.startswith("| sar")] == ["2"] * 5
    assert "not answered: 1 sar record the model refused in 5 of 5 runs" in out and "sar1: the prompt is" in out


def test_ground_assay_refuses_no_oracle_without_an_encoder(monkeypatch, capsys):
    """--no-oracle and no --encoder: every scene was made (minutes at 6000) for a table without a
    row. (The count assay keeps its prior's row: a baseline of its own.)"""
    import pytest

    with pytest.raises(SystemExit) as e:
        bench_main("ground_assay", monkeypatch, ["--no-oracle", "--scenes", "1", "--steps", "1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--no-oracle without --encoder leaves no tokens to assay" in err, err


def test_assay_scenes_say_the_records_they_could_not_make(tmp_path, monkeypatch, capsys):
    """A single-object scene without a uniquely referable object gives no grounding record: 5 of 40
    scenes here. The assays' header said '35 training scenes' of the 40 asked, the reason unsaid."""
    from test_bench_tour51 import bench_module

    mod = bench_module("ground_assay", monkeypatch)
    jsonl = mod.make_scenes(tmp_path / "train", 40, 9102)
    assert sum(1 for _ in jsonl.open()) == 35
    err = capsys.readouterr().err
    assert "train: 35 of the 40 records asked of 40 scenes were made (5 ground: no uniquely referable object)" in err


def test_loc_learning_scores_the_last_step(monkeypatch):
    """--steps 3 --every 2 scored steps 0 and 2 only, and the table's 'at the end' column was step 2's."""
    from test_bench_tour51 import bench_module

    mod = bench_module("loc_learning", monkeypatch)
    curve = mod.run("sincos", 10.0, steps=3, every=2, seed=0)
    assert [s for s, _ in curve] == [0, 2, 3] and all(v > 0 for _, v in curve)


def test_tiling_refuses_scenes_too_small_for_its_writer(tmp_path, monkeypatch, capsys):
    """A 30 px scene was a 'high <= 0' ValueError traceback from the scene writer."""
    import pytest

    for args, says in ((["--sizes", "30", "--only", "memory"], "--sizes '30': give whole pixel sides of 41 or more"),
                       (["--timing-size", "30", "--only", "timing"], "--timing-size 30: give 41 px or more")):
        with pytest.raises(SystemExit) as e:
            bench_main("tiling", monkeypatch, ["--workdir", str(tmp_path), *args])
        assert e.value.code == 2 and says in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_tiling_compares_peaks_with_the_smallest_scene(tmp_path, monkeypatch, capsys):
    """'peak / smallest' divided by the first size given: --sizes 600,300 showed 300's peak as 0.93."""
    from test_bench_tour51 import bench_module

    mod = bench_module("tiling", monkeypatch)
    monkeypatch.setattr(mod, "write_scene", lambda path, size, seed=0: path.write_bytes(b"x" * size))
    monkeypatch.setattr(mod, "run_child", lambda path, *a, **k: {
        "base_mb": 100.0, "peak_mb": 150.0 if "600" in path.name else 120.0, "seconds": 0.1, "tiles": 4})
    monkeypatch.setattr(sys, "argv", ["tiling", "--sizes", "600,300", "--only", "memory", "--workdir", str(tmp_path)])
    mod.main()
    rows = [r.split(" | ") for r in capsys.readouterr().out.splitlines() if r.startswith(("| 600x600", "| 300x300"))]
    assert {r[0][2:]: r[7] for r in rows} == {"600x600": "1.25", "300x300": "1.00"}


def test_chat_latency_takes_each_figures_best_run_apart(monkeypatch, capsys):
    """Best of --repeat took the run of least TTFT whole, its decode rate with it, even where that
    run's decode was the disturbed one (a rate ratio of 0.32x under load)."""
    from test_bench_tour51 import bench_module

    mod = bench_module("chat_latency", monkeypatch)
    result, calls = mod.Clock.result, []

    def scripted(self):  # run 1 of each path: first token sooner, decode slower than run 2
        ttft, rate, n = result(self)
        calls.append(1)
        return (0.1, 10.0, n) if len(calls) <= 4 else (0.2, 50.0, n)

    monkeypatch.setattr(mod.Clock, "result", scripted)
    monkeypatch.setattr(sys, "argv", ["chat_latency", "--turns", "2", "--new-tokens", "3", "--repeat", "2", *TINY])
    mod.main()
    rows = [r.split(" | ") for r in capsys.readouterr().out.splitlines() if r.startswith(("| 1 |", "| 2 |"))]
    assert [r[2:4] + r[5:7] for r in rows] == [["100.0", "100.0", "50.0", "50.0"]] * 2


def test_chat_latency_baseline_asks_what_the_session_asked_under_a_system_prompt(monkeypatch, capsys):
    """With a system prompt (a size override of the model config may set one) the baseline sliced
    the messages as if there were none, and asked turn 1 without its question and image: a ValueError
    ('0 <image> placeholder(s) but 1 image(s)')."""
    bench_main("chat_latency", monkeypatch, ["--turns", "2", "--new-tokens", "2", "--repeat", "1", *TINY,
                                             "prompt.system=You read satellite images."])
    rows = [r.split(" | ") for r in capsys.readouterr().out.splitlines() if r.startswith(("| 1 |", "| 2 |"))]
    cached, full = (int(v) for v in rows[0][1].split(" / "))
    assert cached == full  # turn 1: the same prompt both ways
    assert int(rows[1][1].split(" / ")[1]) > full  # turn 2 re-prefills the history


def test_chat_latency_leaves_the_first_calls_costs_out_of_turn_1(monkeypatch, capsys):
    """Turn 1's cached path came first and carried the first calls' one-off costs (1000 s of the clock here,
    on the LLM's first pass): its TTFT read slower than the same work re-prefilled. An untimed turn each
    way takes them."""
    import rsvlm.model

    create, spend = rsvlm.model.create_model, one_off_cost(monkeypatch)

    def slow_first_pass(cfg):
        model, processor = create(cfg)
        def once(*_):  # returns None: the pass's inputs stay as they are
            spend()
            hook.remove()

        hook = model.llm.register_forward_pre_hook(once)
        return model, processor

    monkeypatch.setattr(rsvlm.model, "create_model", slow_first_pass)
    bench_main("chat_latency", monkeypatch, ["--turns", "2", "--new-tokens", "2", "--repeat", "1", *TINY])
    turn1 = next(r for r in capsys.readouterr().out.splitlines() if r.startswith("| 1 |")).split(" | ")
    assert float(turn1[2]) < 100_000, turn1  # TTFT cached, ms: under 100 s, not 1000 s and more


def test_geometry_codec_times_no_first_call_costs(monkeypatch, capsys, realdata):
    """The first row's milliseconds held the first calls' imports and one-off costs (177 ms for the
    buildings' boxes against 69 ms timed again; 1000 s of the clock more here: a 0.5 s sleep against a
    400 ms bound left 69 ms little margin on a loaded machine)."""
    from test_bench_tour51 import bench_module

    mod = bench_module("geometry_codec", monkeypatch)
    box, calls, spend = mod.box_baseline, [], one_off_cost(monkeypatch)

    def slow_first(mask):
        if not calls:
            spend()
        calls.append(1)
        return box(mask)

    monkeypatch.setattr(mod, "box_baseline", slow_first)
    assert mod.main(["--realdata", str(realdata), "--budgets", "16"]) == 0
    first = next(r for r in capsys.readouterr().out.splitlines() if "box (baseline)" in r).split(" | ")
    assert float(first[-1].rstrip(" |")) < 100_000, first  # ms: under 100 s, not 1000 s and more


def test_synth_throughput_times_the_baseline_without_warm_up(monkeypatch, capsys):
    """The baseline (1 worker) ran first and carried the first scenes' one-off costs (9 s more here),
    so with --repeat 1 the workers' speed-up read high. An untimed warm-up run takes them."""
    import data_gen.synth.run

    calls = []

    def synthesize(out, n, seed, cfg, workers, **kw):
        calls.append(n)
        return {"seconds": 10.0 if len(calls) == 1 else 1.0, "cpu_seconds": 1.0}

    monkeypatch.setattr(data_gen.synth.run, "synthesize", synthesize)
    assert bench_main("synth_throughput", monkeypatch, ["--n", "3", "--workers", "2", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "| 1 worker | 1.00 | 3 |" in out and "| 2 workers | 1.00 | 3 | 3.0 | 1.00x |" in out, out
    assert calls == [2, 3, 3]
