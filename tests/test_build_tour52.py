"""scripts/build_default_model.py and the bundled model's training provenance (tour 52): the build
script in modules each read at one sitting; the training scenes recorded beside a shipped model
(training_data.json) so that ``rsvlm eval`` flags a test set made with a training seed, without
reading its images; a redone data stage that keeps only what the settings still ask for; notes of
inputs rewritten since; build.yaml's settings and ``extra`` checked before any stage; an empty
--out; a DONE without minutes; answers, scores and cards of an earlier test set; the card's recipe
from the build; --ship that swaps the bundled model only once the copy is whole; an OSError as
one line; no trainer import for a build that trains nothing."""

from __future__ import annotations

import sys

import pytest
from script_loader import REPO, load_script


def test_the_build_script_is_split_into_modules_under_500_lines(monkeypatch):
    b = load_script("build_default_model", monkeypatch)
    modules = {name: REPO / "scripts" / f"{name}.py" for name in ("build_default_model", "build_stages", "build_report")}
    # was: one file of 702 lines (the project's guideline is 500)
    for name, path in modules.items():
        assert len(path.read_text().splitlines()) < 500, name
    # one stage table, in build order, from both modules; and --help still the whole docstring
    assert b.STAGES["data"] is sys.modules["build_stages"].stage_data
    assert b.STAGES["eval"] is sys.modules["build_report"].stage_eval
    assert list(b.STAGES) == ["data", "tokenizer", *b.TRAIN_STAGES[:-1], "merge", "sft_chat", "merge_chat",
                              "eval", "eval_tta"]


def _rec(rid: str, scene: str | None) -> dict:
    return {"id": rid, "images": [{"path": f"images/{rid}.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": "<image>\n[cls] What scene is this?"},
                              {"from": "gpt", "value": "harbour"}], "task": "cls",
            "meta": {"source": "synthetic", "scene": scene} if scene else {}}


def _jsonl(path, records, extra_lines=()):
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "".join(x + "\n" for x in extra_lines))
    return path


def test_a_synth_test_set_of_a_training_seed_is_flagged_for_the_bundled_model(tmp_path):
    import yaml

    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import load_config
    from rsvlm.data.overlap import overlap_report
    from rsvlm.inference import bundled_model_dir

    cfg = load_config(SynthConfig, REPO / "configs" / "default" / "data_test.yaml", ["modalities=[optical]"])
    for seed in (11, 12, 9002):
        synthesize(tmp_path / str(seed), n=3, seed=seed, cfg=cfg, progress=False, verbose=False)
    n = sum(1 for _ in open(tmp_path / "11" / "test.jsonl"))
    # was: None for every set: the bundled model ships no train_config.yaml, so nothing was compared
    for seed in (11, 12):
        line = overlap_report(bundled_model_dir(), tmp_path / str(seed) / "test.jsonl")
        assert line is not None and f"training_data.json (synthetic seed {seed}): " in line and "by scene" in line, line
    assert overlap_report(bundled_model_dir(), tmp_path / "11" / "test.jsonl").startswith(f"{n} of {n} ")
    assert overlap_report(bundled_model_dir(), tmp_path / "9002" / "test.jsonl") is None  # a fresh seed
    # a model fine-tuned from the bundled one inherits its training scenes through init_from
    tuned = tmp_path / "tuned" / "final"
    tuned.mkdir(parents=True)
    own = _jsonl(tmp_path / "own.jsonl", [_rec("o0", "field-7")])
    (tuned / "train_config.yaml").write_text(yaml.safe_dump({"init_from": str(bundled_model_dir()),
                                                             "data": {"train": str(own)}}))
    line = overlap_report(tuned, tmp_path / "11" / "test.jsonl")
    assert line is not None and line.startswith(f"{n} of {n} ") and "training_data.json" in line


def _built(out):
    """OUT/final of a build: sft trained on seed-11 scenes and a chat file, from a warm-up stage on
    seed-12 scenes (one record without a scene, one malformed line); its card written after it."""
    import os

    import yaml

    train = _jsonl(out / "data/train/train.jsonl", [_rec(f"t{i}", f"s11-{i:06d}") for i in range(5)])
    chat = _jsonl(out / "data/train/chat.jsonl", [_rec("c0", "s11-000003")])
    warm = _jsonl(out / "data/warmup/train.jsonl", [_rec(f"w{i}", f"s12-{i:06d}") for i in range(3)]
                  + [_rec("w9", None)], extra_lines=("{not json",))
    for folder, cfg in (("warm/final", {"data": {"train": str(warm)}}),
                        ("final", {"init_from": str(out / "warm/final"),
                                   "data": {"train": str(train), "extra": [{"path": str(chat), "weight": 1.0}]}})):
        (out / folder).mkdir(parents=True)
        (out / folder / "train_config.yaml").write_text(yaml.safe_dump(cfg))
    (out / "final" / "config.yaml").write_text("built\n")
    os.utime(out / "final" / "config.yaml", (100, 100))
    (out / "MODEL_CARD.md").write_text("card of this build\n")
    return warm


def test_ship_records_the_training_scenes_beside_the_model(monkeypatch, tmp_path, capsys):
    import json

    from rsvlm.data.overlap import overlap_report

    b = load_script("build_default_model", monkeypatch)
    out, dest = tmp_path / "out", tmp_path / "pkg" / "default_model"
    warm = _built(out)
    b.ship(out, dest)
    data = json.loads((dest / "training_data.json").read_text())
    # was: no record at all; the shipped model's overlap check had nothing to compare
    assert data["synthetic"] == {"11": 5, "12": 3} and data["scenes"] == []
    assert data["records_without_scene"] == 1 and data["malformed_lines"] == 1 and data["records"] == 10
    assert data["files"] == ["data/train/train.jsonl", "data/train/chat.jsonl", "data/warmup/train.jsonl"]
    assert not (dest / "train_config.yaml").exists() and (dest / "README.md").read_text() == "card of this build\n"
    log = capsys.readouterr().out
    assert "synthetic seed 11: 5, seed 12: 3" in log and "1 training record without meta.scene" in log, log
    assert overlap_report(dest, [_rec("x", "s12-000002")]) is not None
    assert overlap_report(dest, [_rec("x", "s12-000003"), _rec("y", "s13-000000")]) is None
    # training files gone: refused before the shipped model is touched (was: shipped without the record)
    warm.unlink()
    (out / "MODEL_CARD.md").touch()
    with pytest.raises(ValueError, match=f"not on this machine: {warm}; not shipped"):
        b.ship(out, dest)
    assert json.loads((dest / "training_data.json").read_text()) == data


def test_a_broken_training_data_json_is_named(tmp_path):
    from rsvlm.data.overlap import overlap_report, training_data

    model = tmp_path / "model"
    model.mkdir()
    (model / "training_data.json").write_text('{"synthetic": {"eleven": 3}, "scenes": []}')
    with pytest.raises(ValueError, match=f"{model / 'training_data.json'}: not a training-scenes file"):
        training_data(model)
    (tmp_path / "m2").mkdir()
    (tmp_path / "m2" / "training_data.json").write_text('{"synthetic": {"11": 3}, "scenes": ["field-7"]}')
    (model / "train_config.yaml").write_text(f"init_from: {tmp_path / 'm2'}\n")
    line = overlap_report(model, [_rec("x", "field-7"), _rec("y", "s11-000002"), _rec("z", "s11-000003")])
    assert line is not None and line.startswith("2 of 3 ")
    assert f"unreadable: {model / 'training_data.json'}: not a training-scenes file" in line


def test_a_redone_data_stage_makes_again_what_the_build_now_asks_for(monkeypatch, tmp_path, capsys):
    from pathlib import Path

    b = load_script("build_default_model", monkeypatch)
    cmds = []

    def fake_run(cmd, env_threads=None):  # writes what data_gen synth / chat would
        out = Path(cmd[cmd.index("--out") + 1])
        for f in ([out / "train.jsonl", out / "test.jsonl"] if "synth" in cmd else [out]):
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(" ".join(cmd) + "\n")
        cmds.append((cmd[2], out.relative_to(tmp_path).as_posix()))

    monkeypatch.setattr(sys.modules["build_stages"], "run", fake_run)
    small = b.BuildConfig(train_scenes=5, warmup_scenes=4, multi_scenes=4, test_scenes=3)
    b.stage_data(tmp_path, small, 1.0)
    assert len(cmds) == 6
    cmds.clear()
    b.stage_data(tmp_path, small, 1.0)  # resumed: nothing made twice
    assert cmds == []
    # was: every split kept as it was, so `train_scenes=7` after deleting data/DONE trained on 5 scenes
    b.stage_data(tmp_path, b.BuildConfig(train_scenes=7, warmup_scenes=4, multi_scenes=4, test_scenes=3), 1.0)
    assert cmds == [("data_gen", "data/train"), ("data_gen", "data/train/chat.jsonl")]
    assert "--n 7" in (tmp_path / "data/train/train.jsonl").read_text()
    assert f"{tmp_path / 'data/train/train.jsonl'}: made with other n than this build's; made again" \
        in capsys.readouterr().out
    cmds.clear()
    b.stage_data(tmp_path, b.BuildConfig(train_scenes=7, warmup_scenes=4, multi_scenes=4, test_scenes=3,
                                         chat_turns=4), 1.0)
    assert cmds == [("data_gen", "data/train/chat.jsonl"), ("data_gen", "data/test/chat.jsonl")]
    cmds.clear()
    (tmp_path / "data/test/test.jsonl.args.json").unlink()  # made by a build before the arguments were kept
    b.stage_data(tmp_path, b.BuildConfig(train_scenes=7, warmup_scenes=4, multi_scenes=4, test_scenes=9,
                                         chat_turns=4), 1.0)
    assert cmds == [] and "made before the build recorded its arguments" in capsys.readouterr().out
    # such a folder shows its scene count and seed: checked (was: kept whatever they were)
    (tmp_path / "data/test/stats.json").write_text('{"scenes": 3}')
    (tmp_path / "data/test/scenes").mkdir()
    (tmp_path / "data/test/scenes/s9001-000000.json").write_text("{}")
    b.stage_data(tmp_path, b.BuildConfig(train_scenes=7, warmup_scenes=4, multi_scenes=4, test_scenes=3,
                                         chat_turns=4), 1.0)
    assert cmds == [] and "its n, seed match, the rest is unchecked" in capsys.readouterr().out
    b.stage_data(tmp_path, b.BuildConfig(train_scenes=7, warmup_scenes=4, multi_scenes=4, test_scenes=9,
                                         test_seed=9002, chat_turns=4), 1.0)
    assert cmds == [("data_gen", "data/test"), ("data_gen", "data/test/chat.jsonl")]
    assert "test.jsonl: made with other n, seed than this build's; made again" in capsys.readouterr().out


def test_a_stage_marked_done_by_hand_leaves_its_minutes_unknown_in_the_card(monkeypatch, tmp_path, capsys):
    b = load_script("build_default_model", monkeypatch)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "model_card.md").write_text("minutes: {{stage_minutes}}; training {{train_minutes}}\n")
    monkeypatch.setattr(sys.modules["build_report"], "CONFIGS", tmp_path / "configs")
    for name, text in (("data", '{"minutes": 1.5, "scale": 1.0}'), ("pretrain_encoder", ""),
                       ("align", '{"minutes": 2.25, "scale": 1.0}')):
        (tmp_path / name).mkdir()
        (tmp_path / name / "DONE").write_text(text)  # `touch OUT/pretrain_encoder/DONE`
    (tmp_path / "final").mkdir()
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "report.json").write_text('{"metrics": []}')
    # was: "build: stopped; Expecting value: line 1 column 1 (char 0)" after the whole build, and no card
    card = b.write_card(tmp_path, b.BuildConfig(), b.STAGES).read_text()
    assert card == "minutes: data 1.5, pretrain_encoder ?, align 2.2; training 2.2 + ?\n", card
    assert "the DONE of pretrain_encoder records no minutes" in capsys.readouterr().out


def test_a_redone_stage_that_kept_a_file_is_not_named_as_changing_it(monkeypatch, tmp_path, capsys):
    import os

    b = load_script("build_default_model", monkeypatch)
    train = tmp_path / "data" / "train" / "train.jsonl"
    remake = []

    def data(out, bc, scale):  # a redone data stage: keeps train.jsonl unless asked for other scenes
        if remake:
            train.write_text("other scenes\n")

    monkeypatch.setattr(b, "STAGES", {"data": data, "tokenizer": lambda out, bc, scale: None})
    train.parent.mkdir(parents=True)
    train.write_text("scenes\n")
    os.utime(train, (1, 1))
    (tmp_path / "tokenizer").mkdir()
    (tmp_path / "tokenizer" / "DONE").write_text('{"minutes": 0.1, "scale": 1.0}')
    os.utime(tmp_path / "tokenizer" / "DONE", (2, 2))
    assert b.main(["--out", str(tmp_path), "--only", "data", "tokenizer"]) == 0
    lines = [s for s in capsys.readouterr().out.splitlines() if "tokenizer: done before" in s]
    # was: "note: data ran again since, so this stage's result is of the older input", for the same file
    assert len(lines) == 1 and "note" not in lines[0], lines
    (tmp_path / "data" / "DONE").unlink()
    remake.append(True)
    assert b.main(["--out", str(tmp_path), "--only", "data", "tokenizer"]) == 0
    lines = [s for s in capsys.readouterr().out.splitlines() if "tokenizer: done before" in s]
    assert len(lines) == 1 and "note: data ran again since" in lines[0], lines


def _noting(ran: list, name: str):
    """A stage that only notes it ran."""
    return lambda out, bc, scale: ran.append(name)


@pytest.mark.parametrize("extra, says", [
    # was: ignored without a word (a stage name mistyped, or a stage that takes no overrides)
    ("{algn: [optim.lr=0.001]}", "extra: 'algn': no stage of that name takes overrides"),
    ("{eval: [optim.lr=0.001]}", "extra: 'eval': no stage of that name takes overrides"),
    # was: a ConfigError traceback (a stage to run), or the stage's command failing hours in (a later one)
    ("{align: [bogus=1]}", "extra.align: override 'bogus=1': unknown key 'bogus'"),
    ("{sft_chat: [optim.bogus=1]}", "extra.sft_chat: override 'optim.bogus=1': unknown key"),
    ("{data: [--workers, '2', scene.bogus=3]}", "extra.data: override 'scene.bogus=3': unknown key"),
])
def test_build_yaml_extra_is_checked_before_any_stage(monkeypatch, tmp_path, capsys, extra, says):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {n: _noting(ran, n) for n in b.STAGES})
    with pytest.raises(SystemExit) as e:
        b.main(["--out", str(tmp_path), "--only", "data", f"extra={extra}"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert e.value.code == 2 and says in err, err
    assert ran == []
    ok = "{data: [--workers, '2', scene.size=64], align: [optim.lr=0.001]}"
    assert b.main(["--out", str(tmp_path), "--only", "data", f"extra={ok}"]) == 0 and ran == ["data"]


def test_a_ship_whose_copy_fails_leaves_the_bundled_model_as_it_was(monkeypatch, tmp_path):
    import shutil

    b = load_script("build_default_model", monkeypatch)
    out, dest = tmp_path / "out", tmp_path / "pkg" / "default_model"
    _built(out)
    (out / "final" / "vision.safetensors").write_bytes(b"new weights")
    dest.mkdir(parents=True)
    (dest / "vision.safetensors").write_bytes(b"bundled weights")
    copytree = shutil.copytree

    def disk_full(src, dst, **kw):
        if str(src).endswith("vision.safetensors"):
            raise OSError(28, "No space left on device")
        return shutil.copy2(src, dst, **kw)

    monkeypatch.setattr(shutil, "copytree", lambda *a, **kw: copytree(*a, **kw, copy_function=disk_full))
    # was: the bundled model deleted first, then an OSError traceback with half a copy in its place
    with pytest.raises(ValueError, match="No space left on device.*left as it was; not shipped"):
        b.ship(out, dest)
    assert (dest / "vision.safetensors").read_bytes() == b"bundled weights"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["default_model"]
    monkeypatch.setattr(shutil, "copytree", copytree)
    b.ship(out, dest)
    assert (dest / "vision.safetensors").read_bytes() == b"new weights" and (dest / "training_data.json").is_file()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["default_model"]


def test_an_empty_out_is_refused_not_the_current_folder(monkeypatch, tmp_path, capsys):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {"one": lambda out, bc, scale: ran.append(out)})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        b.main(["--out", "", "--only", "one"])  # `--out "$OUT"` with OUT unset
    assert e.value.code == 2 and "--out: empty; give a work folder" in capsys.readouterr().err
    assert ran == [] and list(tmp_path.iterdir()) == []  # was: a build (and its lock file) in the current folder


def test_answers_of_an_earlier_test_set_are_not_resumed_or_reused(monkeypatch, tmp_path):
    import json
    import os
    from pathlib import Path

    b = load_script("build_default_model", monkeypatch)
    report = sys.modules["build_report"]
    seen = []

    def fake_run(cmd, env_threads=None):  # notes whether the answers were still there when each ran
        out = cmd[cmd.index("--out") + 1]
        seen.append((cmd[2], Path(out).name, Path(out).exists()))
        if cmd[2] == "eval.loc_error":
            Path(out).write_text('{"all": {"mae_expected_bins": 1.0}}')

    monkeypatch.setattr(report, "run", fake_run)
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "config.yaml").write_text("")
    os.utime(tmp_path / "final" / "config.yaml", (100, 100))
    gt = _jsonl(tmp_path / "data/test/test.jsonl", [_rec("x0", "s9001-000000")])  # made again: now
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "report.json").write_text('{"metrics": []}')
    for f in ("pred.jsonl", "loc_error.json", "loc_error_shuffled.json"):
        (tmp_path / "eval" / f).write_text(json.dumps({"id": "x0", "answer": "of the old test set", "all": {}}) + "\n")
        os.utime(tmp_path / "eval" / f, (150, 150))  # after the model, before this test set
    b.answer_and_score(tmp_path, b.BuildConfig(), gt, "")
    # was: the old answers resumed by rsvlm eval (same ids) and scored against the new records
    assert ("rsvlm.cli", "pred.jsonl", False) in seen, seen
    seen.clear()
    report.location_error(tmp_path / "final", gt, tmp_path / "eval" / "loc_error")
    assert [s[:2] for s in seen] == [("eval.loc_error", "loc_error.json"), ("eval.loc_error", "loc_error_shuffled.json")]
    seen.clear()
    report.location_error(tmp_path / "final", gt, tmp_path / "eval" / "loc_error")  # now up to date: reused
    assert seen == []


@pytest.mark.parametrize("setting, says", [
    ("reference_minutes=0", "reference_minutes 0.0 (a number of minutes above 0)"),  # was: ZeroDivisionError
    ("train_scenes=0", "train_scenes 0 (at least 1)"),  # was: found by data_gen synth, "the same command resumes"
    ("chat_turns=1", "chat_turns 1 (at least 2)"),  # was: found by data_gen chat, after every scene was made
    ("test_seed=13", "test_seed 13 (must differ from the training seeds)"),  # was: found by the data stage
])
def test_build_settings_out_of_range_are_a_usage_error_before_any_stage(monkeypatch, tmp_path, capsys, setting, says):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {n: _noting(ran, n) for n in b.STAGES})
    with pytest.raises(SystemExit) as e:
        b.main(["--out", str(tmp_path), "--only", "tokenizer", setting])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert e.value.code == 2 and f"out of range: {says}" in err, err
    assert ran == []


def test_no_model_card_is_written_from_the_scores_of_an_earlier_test_set(monkeypatch, tmp_path, capsys):
    import os

    b = load_script("build_default_model", monkeypatch)
    cards = []
    monkeypatch.setattr(b, "STAGES", {"data": lambda out, bc, scale: None})
    monkeypatch.setattr(b, "write_card", lambda out, bc, stages: cards.append(out) or out / "MODEL_CARD.md")
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "config.yaml").write_text("")
    os.utime(tmp_path / "final" / "config.yaml", (100, 100))
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "report.json").write_text("{}")
    os.utime(tmp_path / "eval" / "report.json", (200, 200))
    _jsonl(tmp_path / "data/test/test.jsonl", [_rec("x0", "s9001-000000")])  # made again since: now
    assert b.main(["--out", str(tmp_path), "--only", "data"]) == 0
    # was: a card giving this test set's size with the scores of the one before it
    assert cards == [] and "holds the scores of an earlier" in capsys.readouterr().out
    (tmp_path / "eval" / "report.json").write_text("{}")  # scored again
    assert b.main(["--out", str(tmp_path), "--only", "data"]) == 0
    assert cards == [tmp_path]


def test_the_bundled_models_check_reads_no_test_image(monkeypatch, tmp_path):
    import rsvlm.data.overlap as overlap
    from rsvlm.inference import bundled_model_dir

    for i in range(3):
        (tmp_path / "images").mkdir(exist_ok=True)
        (tmp_path / "images" / f"q{i}.png").write_bytes(bytes(64))
    test = [_rec(f"q{i}", f"s11-00000{i}" if i else "field-7") for i in range(3)]
    read = []
    monkeypatch.setattr(overlap, "_fingerprint", lambda path, *a, **k: read.append(path))
    line = overlap.overlap_report(bundled_model_dir(), test, tmp_path)
    assert line is not None and line.startswith("2 of 3 ")
    assert read == []  # was: every test image read at each eval start, for nothing to compare it with


def test_the_card_gives_the_recipe_as_this_build_ran_it(monkeypatch, tmp_path):
    import json

    import yaml

    from rsvlm.config import load_config

    b = load_script("build_default_model", monkeypatch)

    def card(bc, steps, n_warmup, n_multi):
        for name in b.TRAIN_STAGES:
            (tmp_path / name).mkdir(exist_ok=True)
            (tmp_path / name / "train_config.yaml").write_text(yaml.safe_dump({"max_steps": steps(name)}))
        for split, n in (("warmup", n_warmup), ("multi", n_multi)):
            (tmp_path / "data" / split).mkdir(parents=True, exist_ok=True)
            (tmp_path / "data" / split / "train.jsonl").write_text('{"task": "ground"}\n' * n)
        (tmp_path / "final").mkdir(exist_ok=True)
        (tmp_path / "eval").mkdir(exist_ok=True)
        (tmp_path / "eval" / "report.json").write_text(json.dumps({"metrics": []}))
        text = b.write_card(tmp_path, bc, b.STAGES).read_text()
        return " ".join(text[text.index("## How it was built"):text.index("The pretrained encoder stays frozen")].split())

    reference = load_config(b.BuildConfig, b.CONFIGS / "build.yaml", [])
    yaml_steps = {n: yaml.safe_load((b.CONFIGS / f"{n}.yaml").read_text())["max_steps"] for n in b.TRAIN_STAGES}
    bundled = (REPO / "rsvlm" / "assets" / "default_model" / "README.md").read_text()
    shipped = " ".join(bundled[bundled.index("## How it was built"):bundled.index("The record counts above")].split())
    # the reference recipe renders as the shipped card says it (build 19's counts: 5088 and 15 321 records)
    assert card(reference, yaml_steps.get, 5088, 15321).replace("15321", "15 321") == shipped
    # was: "3000 training scenes (seed 11)", "(1800 steps)", "18 000 … (seed 13)" whatever the build ran
    small = b.BuildConfig(train_scenes=12, train_seed=21, warmup_scenes=40, multi_scenes=12000, multi_seed=23,
                          vocab_size=500)
    text = card(small, lambda name: 10, 30, 35)
    for says in ("1. data: 12 training scenes (seed 21)", "sentencepiece BPE, 500 pieces", "encoder pretraining (10 steps)",
                 "10 steps on the 30 grounding records of 40 single-object optical scenes (seed 12)",
                 "10 steps on the 35 grounding records of 12 000 optical scenes of one to three objects (seed 23)",
                 "9. conversations: 10 steps of LoRA"):
        assert says in text, says


def test_a_stage_that_cannot_write_a_file_is_one_line_naming_it(monkeypatch, tmp_path, capsys):
    b = load_script("build_default_model", monkeypatch)

    def full(out, bc, scale):
        raise OSError(28, "No space left on device", str(out / "one" / "checkpoints" / "step_10"))

    monkeypatch.setattr(b, "STAGES", {"one": full})
    # was: an OSError traceback
    assert b.main(["--out", str(tmp_path), "--only", "one"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"build: stopped; [Errno 28] No space left on device: '{tmp_path / 'one/checkpoints/step_10'}'"], err


def test_a_build_without_training_stages_or_extra_does_not_import_the_trainer(tmp_path):
    import subprocess

    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('bdm', {str(REPO / 'scripts' / 'build_default_model.py')!r})\n"
            "b = sys.modules['bdm'] = importlib.util.module_from_spec(spec); spec.loader.exec_module(b)\n"
            "b.STAGES['data'] = lambda out, bc, scale: None\n"
            f"assert b.main(['--out', {str(tmp_path)!r}, '--only', 'data']) == 0\n"
            "print('rsvlm.train.config' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    # was: True, seconds of torch import at every start, from the check of build.yaml's extra
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == "False", r.stderr


def test_an_out_whose_lock_file_cannot_be_written_is_one_usage_line(monkeypatch, tmp_path, capsys):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {"one": _noting(ran, "one")})
    (tmp_path / ".build.lock").mkdir()  # a folder by its name (or, for a user, a folder they may not write in)
    with pytest.raises(SystemExit) as e:
        b.main(["--out", str(tmp_path), "--only", "one"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    # was: an IsADirectoryError (PermissionError) traceback
    assert e.value.code == 2 and f"cannot write its lock file {tmp_path / '.build.lock'} (Is a directory)" in err, err
    assert ran == []


def test_the_cards_record_counts_skip_blank_lines_and_name_a_bad_one(monkeypatch, tmp_path):
    b = load_script("build_default_model", monkeypatch)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "model_card.md").write_text("{{n_test}} records; warm-up {{n_warmup}}\n")
    monkeypatch.setattr(sys.modules["build_report"], "CONFIGS", tmp_path / "configs")
    (tmp_path / "final").mkdir()
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "report.json").write_text('{"metrics": []}')
    _jsonl(tmp_path / "data/test/test.jsonl", [_rec("x0", "s9001-000000")], extra_lines=("",))
    warm = _jsonl(tmp_path / "data/warmup/train.jsonl", [{"task": "ground"}], extra_lines=("", '{"task": "ground"}'))
    # was: 2 test records for one and a blank line; a JSON error naming no file for the warm-up's blank line
    assert b.write_card(tmp_path, b.BuildConfig(), b.STAGES).read_text() == "1 records; warm-up 2\n"
    warm.write_text('{"task": "ground"}\n{"task": \n')
    with pytest.raises(ValueError, match=f"{warm}:2: not valid JSON"):
        b.write_card(tmp_path, b.BuildConfig(), b.STAGES)
