"""rsvlm.progress: bars that keep a log (a stderr that is no terminal) free of carriage-return redraws."""

import io

import pytest

from rsvlm.progress import ProgressLines, bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_bar_into_a_log_is_plain_lines_with_the_final_count():
    # was: tqdm's '\r' redraws, one growing line of the log
    log = io.StringIO()
    assert list(bar(range(7), desc="dota", unit="image", file=log)) == list(range(7))
    text = log.getvalue()
    assert "\r" not in text and "\x1b" not in text, repr(text)
    assert text.count("\n") == 1 and text.startswith("dota: 100% 7/7 ["), repr(text)


def test_a_bar_on_a_terminal_draws_as_tqdm_does():
    tty = Terminal()
    with bar(total=3, desc="train", unit="step", file=tty, mininterval=0) as b:
        for _ in range(3):
            b.update(1)
    assert "\r" in tty.getvalue() and "3/3" in tty.getvalue()


def test_lines_come_at_most_every_30_s_of_the_clock_and_the_last_one_at_close():
    log, clock = io.StringIO(), Clock()
    with bar(total=100, desc="reading", unit="rec", file=log, clock=clock, mininterval=0, miniters=1) as b:
        for k in range(100):
            clock.t = k + 1  # one step a second
            b.update(1)
    lines = log.getvalue().splitlines()
    assert [ln.split(" [")[0] for ln in lines] == ["reading:  30% 30/100", "reading:  60% 60/100",
                                                    "reading:  90% 90/100", "reading: 100% 100/100"], lines


def test_a_bar_of_unknown_length_gives_its_count():
    log = io.StringIO()
    with bar(desc="inferring", unit="file", file=log) as b:
        b.update(5)
    assert log.getvalue().startswith("inferring: 5 files [") and "\r" not in log.getvalue()


@pytest.mark.parametrize("disable", [True, None])
def test_a_disabled_bar_writes_nothing_and_none_is_off_in_a_log(disable):
    log = io.StringIO()
    assert list(bar(range(3), desc="x", file=log, disable=disable)) == [0, 1, 2]
    assert log.getvalue() == ""


def test_a_delayed_bar_that_ends_before_its_delay_writes_nothing():
    log = io.StringIO()
    list(bar(range(3), desc="tiles of a.png", file=log, delay=60))
    assert log.getvalue() == ""


def test_leave_false_in_a_log_still_ends_with_the_final_count():
    log, clock = io.StringIO(), Clock()
    list(bar(range(3), desc="short", file=log, leave=False, clock=clock))
    assert log.getvalue().startswith("short: 100% 3/3 [") and log.getvalue().count("\n") == 1, log.getvalue()
    log = io.StringIO()
    with bar(total=10, desc="long", file=log, leave=False, clock=clock, mininterval=0, miniters=1) as b:
        for k in range(10):
            clock.t = 10 * k
            b.update(1)
    lines = log.getvalue().splitlines()
    assert [ln.split(" [")[0] for ln in lines] == ["long:  40% 4/10", "long:  70% 7/10", "long: 100% 10/10"], lines


def test_progress_lines_say_each_tenth():
    log, clock = io.StringIO(), Clock()
    lines = ProgressLines(20, 0.0, desc="synth", unit="scenes", file=log, clock=clock)
    for k in range(20):
        clock.t = k
        lines.step()
    said = log.getvalue().splitlines()
    assert len(said) == 10 and said[-1] == "synth: 20/20 scenes (100%) in 19 s", said



def test_a_converter_run_with_stderr_captured_holds_no_carriage_return(tmp_path, capfd):
    from PIL import Image

    from data_gen.convert import main

    src = tmp_path / "uc"
    for cls in ("beach", "forest"):
        (src / cls).mkdir(parents=True)
        for k in range(3):
            Image.new("RGB", (32, 32), (40 * k, 90, 20)).save(src / cls / f"{cls}{k}.png")
    assert main(["folder", "--src", str(src), "--out", str(tmp_path / "o")]) == 0
    err = capfd.readouterr().err
    assert "\r" not in err and "folder: 100% 6/6 [" in err, repr(err)


def test_a_nested_bar_in_a_log_writes_no_cursor_moves_or_empty_lines():
    # a converter's per-image bar with a scene's tiles under it (tiling.inner_progress: position 1, leave=False)
    log, clock = io.StringIO(), Clock()
    with bar(total=2, desc="dota", unit="image", file=log, clock=clock, mininterval=0, miniters=1) as outer:
        for _ in range(2):
            for _k in bar(range(5), desc="tiles of P3.png", unit="tile", file=log, leave=False, clock=clock,
                         mininterval=0, miniters=1):
                clock.t += 20
            outer.update(1)
    text = log.getvalue()
    assert "\x1b" not in text and "\r" not in text and "\n\n" not in text and not text.startswith("\n"), repr(text)
    assert [ln.split(" [")[0] for ln in text.splitlines() if ln.startswith("dota")] == \
        ["dota:  50% 1/2", "dota: 100% 2/2"], text  # the last count once, not again at close


def test_rebuild_and_chat_into_a_log_write_lines_not_redraws(tmp_path, capfd):
    from data_gen.__main__ import main
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 48},
                                  "instructions": {"records_per_image": 3}})
    synthesize(tmp_path, 3, seed=2, cfg=cfg, progress=False, verbose=False)
    capfd.readouterr()
    assert main(["rebuild", "--dir", str(tmp_path), "--prefix", "r_"]) == 0
    err = capfd.readouterr().err
    assert "\r" not in err and "rebuild: scenes: 100% 3/3 [" in err, repr(err)
    train = next(p for p in tmp_path.glob("r_*.jsonl") if p.stat().st_size)
    assert main(["chat", "--src", str(train), "--out", str(tmp_path / "c.jsonl"), "--turns", "2"]) in (0, 2)
    err = capfd.readouterr().err
    assert "\r" not in err and "chat: read: " in err, repr(err)


def test_the_overlap_check_bar_into_a_log_is_lines(tmp_path, capsys):
    # rsvlm eval's train/test overlap check, progress on (config): its bar's redraws went into a log
    import json

    from rsvlm.data.overlap import OverlapConfig, Source, _with_bar
    from rsvlm.data.records import ReadReport

    rec = {"id": "a", "images": ["a.png"], "conversations": [{"from": "human", "value": "<image>\nhi"},
                                                            {"from": "gpt", "value": "ok"}]}
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps({**rec, "id": str(k)}) for k in range(4)) + "\n")
    got = list(_with_bar(Source(tmp_path / "t.jsonl", tmp_path), ReadReport("t"), "reading", OverlapConfig(progress=True)))
    err = capsys.readouterr().err
    assert len(got) == 4 and "\r" not in err and "reading t.jsonl: 4 records [" in err, repr(err)


def test_the_probe_scripts_bars_into_a_log_are_lines(tmp_path, monkeypatch, capsys):
    import json

    from script_loader import load_script
    from test_probe_pointer_cells import ground_records, model

    data = ground_records(tmp_path)
    m, proc = model()
    load_script("probe_pointer_cells", monkeypatch).cell_stats(m, proc, data)
    err = capsys.readouterr().err
    assert "\r" not in err and "\nprobing cells: 100% 4/4 [" in "\n" + err, repr(err)
    sensor = load_script("probe_sensor_word", monkeypatch)
    rec = json.loads(data.read_text().splitlines()[0])
    rec.update(task="vqa", conversations=[{"from": "human", "value": "<image>\n[vqa] What sensor took this image?"},
                                          {"from": "gpt", "value": "optical"}])
    rows = sensor.variants([rec])[:3]
    sensor.answer_logprobs(m, proc, rows, tmp_path, batch_size=2)
    err = capsys.readouterr().err
    assert "\r" not in err and "\nscoring answers: 100% 3/3 [" in "\n" + err, repr(err)


def test_comparing_and_averaging_weights_into_a_log_is_lines(tmp_path, capsys):
    import torch
    from safetensors.torch import save_file

    from rsvlm.model import weights

    for side in ("a", "b"):
        (tmp_path / side).mkdir()
        save_file({"x": torch.zeros(2), "y": torch.ones(2)}, str(tmp_path / side / "vision.safetensors"))
    weights.compare_weights(tmp_path / "a", tmp_path / "b", progress=True)
    err = capsys.readouterr().err
    assert "\r" not in err and "compare: 100% 2/2 [" in err, repr(err)


def test_eval_into_a_log_is_lines(tmp_path, monkeypatch, capsys):
    # rsvlm eval on a cluster (stderr a log file): its bar over the records wrote \r redraws there
    from test_eval_ranks51 import StandIn, records_file

    from rsvlm import evaluate

    StandIn(monkeypatch)
    data = records_file(tmp_path, 3)
    evaluate.run(None, None, data, tmp_path / "out.jsonl", batch_size=1, progress=True)
    err = capsys.readouterr().err
    assert "\r" not in err and "eval test.jsonl: 100% 3/3 [" in err, repr(err)


def test_inferring_modalities_into_a_log_is_lines(tmp_path, monkeypatch, capsys):
    # thousands of records without a modality, read under nohup: the bar (shown after 2 s) wrote \r redraws
    import itertools

    import tqdm.std

    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.records import ReadReport

    ticks = itertools.count()
    monkeypatch.setattr(tqdm.std, "time", lambda: float(next(ticks)))  # a second a look: past the 2 s delay
    finder = ModalityFinder()
    for k in range(5):
        assert finder.infer([tmp_path / f"gone{k}.tif"], ReadReport("t")) is None
    finder.close()
    err = capsys.readouterr().err
    assert "\r" not in err and "inferring image modalities: 5 files [" in err, repr(err)


def test_a_tiled_run_into_a_log_shows_its_tiles_as_lines(tmp_path, capsys):
    # rsvlm predict --tile on a large scene with 2> log: its bar was off there (disable=None), hours unsaid
    import numpy as np
    from PIL import Image

    from rsvlm.io import run_tiled

    Image.fromarray(np.full((96, 160, 3), 90, np.uint8)).save(tmp_path / "scene.png")
    assert run_tiled(tmp_path / "scene.png", lambda imgs: [[] for _ in imgs], tile=32, overlap=0, batch_size=4) == []
    err = capsys.readouterr().err
    assert "\r" not in err and "scene.png: 100% 15/15 [" in err, repr(err)
    run_tiled(tmp_path / "scene.png", lambda imgs: [[] for _ in imgs], tile=32, overlap=0, progress=False)
    assert "tiles of" not in capsys.readouterr().err


def test_the_training_bar_into_a_log_is_lines(tmp_path, capsys):
    # rsvlm train under nohup or a cluster's scheduler: the step bar's redraws (with their loss) went into the log
    from rsvlm.train.logging import Metrics

    m = Metrics(tmp_path, 0, 1, total_steps=3, progress=True)
    for _ in range(3):
        m.step()
    m.close()
    err = capsys.readouterr().err
    assert "\r" not in err and "train: 100% 3/3 [" in err, repr(err)


def test_encoder_pretraining_into_a_log_is_lines(tmp_path, capsys):
    # the clip objective's step bar: \r redraws in a scheduler's log
    from test_train_utils import make_records, recipe

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.loop import train

    data = make_records(tmp_path / "d", n=8)
    path = recipe(tmp_path, "pretrain_encoder_tiny.yaml", out_dir=str(tmp_path / "run"), data={"train": str(data)})
    train(load_config(TrainConfig, path, ["batch_size=4", "max_steps=2", "log.progress=true"]))
    err = capsys.readouterr().err
    assert "\rclip" not in err and "\nclip: 100% 2/2 [" in "\n" + err, repr(err)


def test_measuring_training_samples_into_a_log_is_lines(tmp_path, capsys):
    # rsvlm train's data preparation: "measuring samples" redraws went into the job's log
    from rsvlm.data.records import ReadReport
    from rsvlm.train import data as D

    (tmp_path / "t.jsonl").write_text('{"id": "a", "conversations": [{"from": "human", "value": "hi"}, '
                                      '{"from": "gpt", "value": "ok"}]}\n')
    D.build_index(tmp_path / "t.jsonl", lambda texts, **k: {"input_ids": [[0]] * len(texts)}, {"optical": 16},
                  ReadReport("t"), progress=True)
    err = capsys.readouterr().err
    assert "\r" not in err and "measuring samples: 100% 1/1 [" in err, repr(err)


def test_a_notebooks_widget_bar_is_left_as_it_is(monkeypatch):
    # tqdm.auto under Jupyter is a widget (stderr no terminal there): given ncols=0 it was 0 px wide
    import sys
    import types

    import tqdm.std

    class Notebook(tqdm.std.tqdm):
        pass

    class Widget(Notebook):
        def __init__(self, *a, **kw):
            self.kw = kw
            super().__init__(*a, **kw)

    monkeypatch.setitem(sys.modules, "tqdm.notebook", types.SimpleNamespace(tqdm_notebook=Notebook))
    log = io.StringIO()
    b = bar(total=2, desc="eval", file=log, tqdm_class=Widget)
    b.close()
    assert b.kw["file"] is log and "ncols" not in b.kw


def test_a_closed_stderr_draws_nothing_and_does_not_stop_the_work(monkeypatch):
    # python run with 2>&-: sys.stderr is None; tqdm raised AttributeError at its first draw
    import sys

    monkeypatch.setattr(sys, "stderr", None)
    assert list(bar(range(3), desc="x")) == [0, 1, 2]
    with bar(total=2, desc="y") as b:
        b.update(2)


@pytest.mark.parametrize("disable", [False, None])
def test_tqdm_disable_in_the_environment_turns_every_bar_off(monkeypatch, disable):
    # CI sets TQDM_DISABLE=1; the converters' bars (tqdm with no disable given) honoured it, bar's own disable hid it
    monkeypatch.setenv("TQDM_DISABLE", "1")
    tty = Terminal()
    assert list(bar(range(3), desc="dota", file=tty, disable=disable)) == [0, 1, 2]
    assert tty.getvalue() == ""
