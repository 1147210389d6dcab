"""scripts/build_default_model.py on odd but legitimate use and on bad input (tour 51): a work folder
that cannot be made, a stage whose inputs no earlier stage makes, --help, stages named out of order, a second build in the same folder, a stage skipped though its input was redone, progress of the data stage, the model card's
facts; scripts/setup.sh with a Python older than the project needs; the model card's figures against
docs/default-model.md's; the minutes of a stage that was resumed; overrides after --only's stages; --ship and the model card of another model; bad or
untagged records in the files the tokenizer and eval stages read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from script_loader import REPO, load_script


def _records(ran, name):
    """A stage that only notes it ran."""
    return lambda out, bc, scale: ran.append(name)


@pytest.fixture
def build(monkeypatch):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {"one": lambda out, bc, scale: ran.append(scale)})
    b.ran = ran
    return b


def test_an_out_folder_that_cannot_be_made_is_one_usage_line(build, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    bad = [tmp_path / "file" / "sub"]  # under a file: was a NotADirectoryError traceback
    if os.geteuid() != 0:  # root writes anywhere
        (tmp_path / "ro").mkdir(mode=0o500)
        bad.append(tmp_path / "ro" / "out")
    for out in bad:
        with pytest.raises(SystemExit) as e:
            build.main(["--out", str(out), "--only", "one"])
        err = capsys.readouterr().err.strip().splitlines()
        assert e.value.code == 2 and f"--out {out}: cannot make the work folder" in err[-1], err
    assert build.ran == []


def test_a_stage_whose_inputs_are_not_there_is_refused_before_any_stage_runs(monkeypatch, tmp_path, capsys):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {n: _records(ran, n) for n in b.STAGES})
    out = tmp_path / "out"
    # was: rsvlm train started, failed on its data, and the build said "the same command resumes from there"
    with pytest.raises(SystemExit) as e:
        b.main(["--out", str(out), "--only", "align"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert e.value.code == 2 and "3 inputs not there" in err, err
    for maker, path in (("data", "data/train/train.jsonl"), ("tokenizer", "tokenizer"),
                        ("pretrain_encoder", "pretrain_encoder/final/encoder.safetensors")):
        assert f"align reads {out / path}, made by stage {maker}" in err
    assert ran == []
    assert b.main(["--out", str(out), "--only", "data", "tokenizer"]) == 0  # made by a stage before it
    assert ran == ["data", "tokenizer"]
    with pytest.raises(SystemExit):  # a path under OUT that an override names, no stage's
        b.main(["--out", str(out), "--only", "pretrain_encoder", f"extra={{pretrain_encoder: [data.train={out}/mine.jsonl]}}"])
    assert f"pretrain_encoder reads {out / 'mine.jsonl'}, which no stage makes" in capsys.readouterr().err
    (out / "data" / "warmup").mkdir(parents=True)
    (out / "data" / "warmup" / "train.jsonl").write_text("")
    (out / "align").mkdir()
    (out / "align" / "DONE").write_text("{}")  # done, but its checkpoint was deleted since
    with pytest.raises(SystemExit):
        b.main(["--out", str(out), "--only", "align", "ground_warmup"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"1 input not there: ground_warmup reads {out / 'align' / 'final'}, made by stage align" in err, err
    assert ran == ["data", "tokenizer"]


def test_help_lists_the_stages_and_how_a_build_resumes(build, capsys):
    with pytest.raises(SystemExit) as e:
        build.main(["--help"])
    text = capsys.readouterr().out
    assert e.value.code == 0
    # was: the docstring's first line only, and the stage names only inside a 4-line --only choice list
    for name in ("pretrain_encoder", "ground_multi", "merge_chat", "eval_tta"):
        assert f"\n    {name} " in text, name
    assert "delete OUT/STAGE/DONE to redo one" in text and "--only STAGE [STAGE ...]" in text
    assert "--config CONFIG       build settings" in text  # had no help


def test_stages_named_out_of_order_run_in_the_build_order(monkeypatch, tmp_path):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {n: _records(ran, n) for n in b.STAGES})
    # was: the tokenizer first, on training records the data stage had not written yet
    assert b.main(["--out", str(tmp_path), "--only", "tokenizer", "data", "tokenizer"]) == 0
    assert ran == ["data", "tokenizer"]


def test_a_second_build_in_the_same_folder_is_refused(build, tmp_path, capsys):
    import fcntl

    assert build.main(["--out", str(tmp_path), "--only", "one"]) == 0  # the lock goes with the build
    with open(tmp_path / ".build.lock", "a+") as held:  # as a running build holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.truncate(0)
        held.write("4242\n")
        held.flush()
        # was: both trained into the same stage folders, each resuming from the other's checkpoints
        with pytest.raises(SystemExit) as e:
            build.main(["--out", str(tmp_path), "--only", "one"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert e.value.code == 2 and "another build is running in it (pid 4242)" in err, err
    assert build.ran == [1.0]
    assert build.main(["--out", str(tmp_path), "--only", "one"]) == 0  # free again once it ends


def test_a_skipped_stage_whose_input_stage_ran_again_says_so(monkeypatch, tmp_path, capsys):
    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(b, "STAGES", {n: lambda out, bc, scale: None for n in b.STAGES})
    for name, t in (("data", 1), ("tokenizer", 2), ("pretrain_encoder", 3), ("align", 4)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "DONE").write_text("{}")
        os.utime(tmp_path / name / "DONE", (t, t))
    (tmp_path / "pretrain_encoder" / "final").mkdir()
    (tmp_path / "pretrain_encoder" / "final" / "encoder.safetensors").write_text("")
    (tmp_path / "data" / "train").mkdir()
    (tmp_path / "data" / "train" / "train.jsonl").write_text("")
    for made in ("data/train/train.jsonl", "pretrain_encoder/final/encoder.safetensors"):  # as their stages left them
        os.utime(tmp_path / made, (1, 1))
    (tmp_path / "tokenizer" / "DONE").unlink()  # the tokenizer is made again: align's DONE is now the older
    assert b.main(["--out", str(tmp_path), "--only", "tokenizer", "pretrain_encoder", "align"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # was: "done before, skipped" alone, and the final model silently kept the old tokenizer's training
    assert any("pretrain_encoder: done before, skipped" in s and "note: tokenizer ran again since" in s
               for s in lines), lines
    assert any("align: done before, skipped" in s and "note: tokenizer ran again since" in s for s in lines), lines
    assert not any("note: data" in s for s in lines)


def test_a_stage_done_at_another_budget_says_so(monkeypatch, tmp_path, capsys):
    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(b, "STAGES", {n: lambda out, bc, scale: None for n in b.STAGES})
    for name in ("data", "pretrain_encoder"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "DONE").write_text('{"minutes": 1.0, "scale": 0.25}')
    assert b.main(["--out", str(tmp_path), "--only", "data", "pretrain_encoder"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # was: "done before, skipped" alone: a quick build's steps, then shipped as the full model
    assert any("pretrain_encoder: done before, skipped" in s and "it trained at --budget-minutes 27.5, this run "
               "asks 110" in s for s in lines), lines
    assert not any("data: done before" in s and "note" in s for s in lines)  # not a training stage
    assert b.main(["--out", str(tmp_path), "--only", "pretrain_encoder", "--budget-minutes", "27.5"]) == 0
    assert "note" not in capsys.readouterr().out


def test_the_data_stage_shows_the_generators_progress(monkeypatch, tmp_path):
    b = load_script("build_default_model", monkeypatch)
    cmds = []
    monkeypatch.setattr(sys.modules["build_stages"], "run", lambda cmd, env_threads=None: cmds.append(cmd))
    b.stage_data(tmp_path, b.BuildConfig(), 1.0)
    synth = [c for c in cmds if "synth" in c]
    assert len(synth) == 4 and len(cmds) == 6  # train, warmup, multi, test; then chat for train and test
    # was: --no-progress, so 18 000 scenes were a minute or two of silence after the command line
    assert not any("--no-progress" in c for c in cmds), synth


def test_the_model_card_fills_the_data_facts_and_names_a_key_it_cannot(monkeypatch, tmp_path, capsys):
    import json

    b = load_script("build_default_model", monkeypatch)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "model_card.md").write_text(
        "{{n_test}} records of {{test_scenes}} scenes (seed {{test_seed}}); warm-up {{n_warmup}}, "
        "multi {{n_multi}} grounding records; {{typo}}\n")
    monkeypatch.setattr(sys.modules["build_report"], "CONFIGS", tmp_path / "configs")
    (tmp_path / "final").mkdir()
    for split, tasks in (("test", ["cls", "ground"]), ("warmup", ["ground", "ground"]), ("multi", ["ground", "cls"])):
        (tmp_path / "data" / split).mkdir(parents=True)
        (tmp_path / "data" / split / f"{'test' if split == 'test' else 'train'}.jsonl").write_text(
            "".join(json.dumps({"task": t}) + "\n" for t in tasks))
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "report.json").write_text(json.dumps({"metrics": []}))
    card = b.write_card(tmp_path, b.BuildConfig(test_scenes=7, test_seed=9005), b.STAGES).read_text()
    # was: the record counts of build 19's data typed into the template, stale after any rebuild
    assert card.startswith("2 records of 7 scenes (seed 9005); warm-up 2, multi 1 grounding records; {{typo}}")
    out = capsys.readouterr().out
    assert "1 key the build does not fill, left as they are: typo" in out, out  # was: shipped silently


def _old_python(path):
    """An interpreter stand-in that answers as Python 3.8 would (version check fails, venv refuses)."""
    path.write_text("#!/bin/sh\n[ \"$1\" = --version ] && { echo 'Python 3.8.10'; exit 0; }\nexit 1\n")
    path.chmod(0o755)
    return path


def test_setup_refuses_a_python_older_than_3_10_before_making_the_venv(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    old = _old_python(tmp_path / "python3.8")
    env = {**os.environ, "PYTHON": str(old)}
    r = subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh")], env=env, capture_output=True, text=True,
                       timeout=30)
    # was: "creating .venv with Python 3.8.10", then a failure deep in venv or pip
    assert r.returncode == 1 and f"{old} is Python 3.8.10; rsvlm needs Python >= 3.10" in r.stderr, r.stderr
    assert not (tmp_path / ".venv").exists()
    (tmp_path / ".venv" / "bin").mkdir(parents=True)  # one made by an old interpreter, before the check
    _old_python(tmp_path / ".venv" / "bin" / "python")
    r = subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh")], env={**os.environ, "PYTHON": "python3"},
                       capture_output=True, text=True, timeout=30)
    # was: reused by every later run, whatever PYTHON said
    assert r.returncode == 1 and ".venv holds Python 3.8.10" in r.stderr and "remove .venv" in r.stderr, r.stderr


def test_the_model_card_quotes_the_det_by_class_figures_the_docs_measured():
    import re

    docs = (REPO / "docs" / "default-model" / "more-objects.md").read_text()  # split from default-model.md
    card = (REPO / "rsvlm" / "assets" / "default_model" / "README.md").read_text()
    row = re.search(r"^\| `--det-by-class` \|(.*)$", docs, re.M).group(1).replace("*", "")
    (a1, a2), (n1, n2), (p1, p2) = (cell.split(" / ") for cell in row.split("|")[:3])
    # was: 0.099 and 0.099, and 0.112 for a named class, after 4b3e7ed corrected the docs to 0.098 / 0.111
    assert f"against {n1.strip()} and {n2.strip()} for questions\n  naming a class" in card
    assert f"{a1.strip()} and {a2.strip()} on them, {p1.strip()} and {p2.strip()} over all" in card


def test_a_resumed_stage_counts_the_minutes_of_its_earlier_attempts(monkeypatch, tmp_path, capsys):
    import json

    b = load_script("build_default_model", monkeypatch)
    clock = [0.0]
    monkeypatch.setattr(b.time, "perf_counter", lambda: clock[0])

    def stage(minutes, stop):
        def run(out, bc, scale):
            clock[0] += 60 * minutes
            if stop:
                raise KeyboardInterrupt
        return run

    monkeypatch.setattr(b, "STAGES", {"one": stage(5, True)})
    assert b.main(["--out", str(tmp_path), "--only", "one"]) == 130
    monkeypatch.setattr(b, "STAGES", {"one": stage(2, False)})
    assert b.main(["--out", str(tmp_path), "--only", "one"]) == 0
    # was: 2.0, the resumed part alone, in DONE and so in the model card's minutes and the learning curve
    assert json.loads((tmp_path / "one" / "DONE").read_text())["minutes"] == 7.0
    assert "stage one finished in 7.0 min, 5.0 of them in earlier attempts" in capsys.readouterr().out
    assert not (tmp_path / "one" / "SPENT").exists()


def test_overrides_after_the_only_stages_are_overrides(build, tmp_path, capsys):
    # was: "argument --only: invalid choice: 'eval_tta=none'", --only's list taking every word after it
    assert build.main(["--out", str(tmp_path), "--only", "one", "eval_tta=none"]) == 0
    assert build.ran == [1.0]
    assert "build: 1 stage in 0.0 min" in capsys.readouterr().out.splitlines()[-1]  # was: no closing line
    with pytest.raises(SystemExit) as e:
        build.main(["--out", str(tmp_path), "--only", "one", "eval_tta=sideways"])  # still read, and checked
    assert e.value.code == 2 and "eval_tta must be none or one of" in capsys.readouterr().err
    for args, says in ((["--only", "eval_tta=none"], "--only: expected at least one stage"),
                       (["--only", "one", "two"], "--only: invalid choice: 'two' (choose from one)")):
        with pytest.raises(SystemExit) as e:
            build.main(["--out", str(tmp_path), *args])
        assert e.value.code == 2 and says in capsys.readouterr().err.strip().splitlines()[-1]


def test_ship_needs_the_model_card_of_this_model(build, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build, "ROOT", tmp_path)
    bundled = tmp_path / "rsvlm" / "assets" / "default_model"
    bundled.mkdir(parents=True)
    (bundled / "README.md").write_text("card of the bundled model\n")
    out = tmp_path / "out"
    (out / "final").mkdir(parents=True)
    (out / "final" / "config.yaml").write_text("built\n")
    (out / "final" / "train_config.yaml").write_text(f"data: {{train: {out / 'train.jsonl'}}}\n")
    (out / "train.jsonl").write_text("")
    os.utime(out / "final" / "config.yaml", (100, 100))
    args = ["eval_tta=none", "--out", str(out), "--only", "one", "--ship"]
    # was: shipped, keeping the bundled model's card for the new model
    assert build.main(args) == 1
    assert f"{out / 'MODEL_CARD.md'}: none; the shipped card would describe another model" in capsys.readouterr().err
    (out / "MODEL_CARD.md").write_text("card of an earlier build\n")
    os.utime(out / "MODEL_CARD.md", (1, 1))
    assert build.main(args) == 1  # was: shipped with it
    assert f"older than {out / 'final'}" in capsys.readouterr().err
    assert (bundled / "README.md").read_text() == "card of the bundled model\n"
    assert (bundled / "config.yaml").exists() is False
    (out / "MODEL_CARD.md").write_text("card of this build\n")
    assert build.main(args) == 0
    assert (bundled / "README.md").read_text() == "card of this build\n" and (bundled / "config.yaml").is_file()


def test_no_model_card_is_written_from_the_scores_of_an_earlier_model(build, tmp_path, monkeypatch, capsys):
    cards = []
    monkeypatch.setattr(build, "write_card", lambda out, bc, stages: cards.append(out) or out / "MODEL_CARD.md")
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "report.json").write_text("{}")
    os.utime(tmp_path / "eval" / "report.json", (1, 1))
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "config.yaml").write_text("rebuilt since\n")
    os.utime(tmp_path / "final" / "config.yaml", (100, 100))
    assert build.main(["--out", str(tmp_path), "--only", "one"]) == 0
    # was: a card of this model with the earlier model's scores
    assert cards == [] and "holds the scores of an earlier" in capsys.readouterr().out
    (tmp_path / "eval" / "report.json").write_text("{}")  # scored again
    assert build.main(["--out", str(tmp_path), "--only", "one"]) == 0
    assert cards == [tmp_path]


def test_a_bad_record_line_is_named_and_untagged_records_are_counted(monkeypatch, tmp_path, capsys):
    import json

    b = load_script("build_default_model", monkeypatch)
    cmds = []
    monkeypatch.setattr(sys.modules["build_report"], "run", lambda cmd, env_threads=None: cmds.append(cmd))
    (tmp_path / "data" / "train").mkdir(parents=True)
    train = tmp_path / "data" / "train" / "train.jsonl"
    train.write_text('{"id": "a", "image": "x.png", "conversations": [{"from": "human", "value": "hi"}\n')
    # was: "build: stopped; Expecting ',' delimiter: line 1 column 66 (char 65)", no file, no line
    assert b.main(["--out", str(tmp_path), "--only", "tokenizer"]) == 1
    assert f"{train}:1: not valid JSON" in capsys.readouterr().err
    (tmp_path / "data" / "test").mkdir(parents=True)
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "config.yaml").write_text("")
    gt = tmp_path / "data" / "test" / "test.jsonl"
    turns = [{"from": "human", "value": "<image>\n[cls] What is this scene?"}, {"from": "gpt", "value": "lake"}]
    plain = [{"from": "human", "value": "<image>\nDescribe it."}, {"from": "gpt", "value": "a lake"}]
    gt.write_text("\n".join(json.dumps({"id": i, "image": "x.png", "conversations": c})
                            for i, c in (("a", turns), ("b", plain), ("c", plain))) + "\n")
    monkeypatch.setattr(b, "STAGES", {"eval": lambda out, bc, scale: b.answer_and_score(out, bc, gt, "")})
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "report.json").write_text('{"metrics": []}')  # what eval.report writes
    monkeypatch.setattr(b, "write_card", lambda out, bc, stages: out / "MODEL_CARD.md")
    # was: a KeyError 'task' traceback after rsvlm eval had answered every record
    assert b.main(["--out", str(tmp_path), "--only", "eval"]) == 0
    out = capsys.readouterr().out
    assert f"2 records of {gt} are of no task a scoring script reads, answered but not scored: no task 2" in out
    assert [c[2] for c in cmds] == ["rsvlm.cli", "eval.classification", "eval.report"]
