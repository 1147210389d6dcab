"""Rough-edge tour 64 of training: the contrastive loop's out_dir made after its build, the out_dir verdict's
device under nccl and gloo, and the training docs split in two."""

from __future__ import annotations

import pytest
from conftest import one_stream_closed
from test_train_utils import REPO, make_records


def test_a_contrastive_encoder_file_the_build_refuses_leaves_no_out_dir(tmp_path):
    """An encoder ``pretrained`` of another architecture is found only by the build (exit 1): the contrastive
    loop had made out_dir and written its config there first, where the LM loop builds before it."""
    import torch
    from safetensors.torch import save_file

    from rsvlm.train import main

    data = make_records(tmp_path / "d", n=8)
    wrong = tmp_path / "wrong.safetensors"
    save_file({"visual.foo": torch.zeros(3)}, str(wrong))
    code = main(["--config", str(REPO / "configs" / "train" / "pretrain_encoder_tiny.yaml"), f"data.train={data}",
                 f"out_dir={tmp_path / 'run'}", "max_steps=1", "batch_size=2", "log.progress=false", "device=cpu",
                 f"model.encoders.default.pretrained={wrong}"])
    assert code == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("backend, device", [("nccl", "cuda:3"), ("gloo", None)])
def test_the_out_dir_verdict_crosses_the_gpu_under_nccl_and_the_host_under_gloo(monkeypatch, tmp_path, backend,
                                                                                device):
    """The out_dir refusal rank 0 sends every rank was tested under gloo only; under nccl its tensors must be on
    this process's GPU (nccl moves no host tensor), where gloo's stay torch's choice (the host). A stand-in
    process group: the same call, the device alone differs, and rank 1 raises rank 0's verdict as it came."""
    import torch
    import torch.distributed as dist

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import OutDirRefused, start_out_dir

    sent = []

    def broadcast(objects, src, device=None, **kw):
        sent.append((src, device, kw))
        objects[0] = OutDirRefused("out_dir X: cannot write there")  # rank 0's verdict

    monkeypatch.setattr(dist, "get_backend", lambda group=None: backend)
    monkeypatch.setattr(dist, "broadcast_object_list", broadcast)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 3)  # what setup_distributed set
    cfg = load_config(TrainConfig, None, [f"out_dir={tmp_path / 'run'}", "data.train=t.jsonl"])
    with pytest.raises(OutDirRefused, match="out_dir X: cannot write there"):
        start_out_dir(cfg, 1, 2)
    assert sent == [(0, device and torch.device(device), {})]  # gloo: torch's own choice, the host
    assert not (tmp_path / "run").exists()  # rank 1 makes nothing


def test_checkpoints_and_resume_have_their_own_page_linked_both_ways():
    """docs/training.md was at 449 of the 450 lines its cap allows, so the optim.lr=0 warning and the data.train
    list hint could not be documented: checkpoints, resume and averaging went to docs/checkpoints.md."""
    docs = REPO / "docs"
    training, checkpoints = (docs / "training.md").read_text(), (docs / "checkpoints.md").read_text()
    assert len(training.splitlines()) < 450 and len(checkpoints.splitlines()) < 450
    assert "](checkpoints.md)" in training and "](training.md)" in checkpoints
    for said in ("ckpt.resume=auto", "scripts/export_step.py", "scripts/average_checkpoints.py",
                 "scripts/compare_checkpoints.py", "bit-identical"):
        assert said in checkpoints, said
    assert "### Averaging checkpoints" not in training and "bit-identical" not in training


def test_the_training_docs_say_what_optim_lr_0_and_a_data_train_list_do(capsys):
    """Both behaviours were in the code and its tests, not in the docs: a run at optim.lr=0 warns that no weight
    changes, and a list given as data.train is refused naming data.extra."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import note_schedule

    text = " ".join((REPO / "docs" / "training.md").read_text().split())
    note_schedule(load_config(TrainConfig, None, ["optim.lr=0", "max_steps=10"]), 0)
    assert "optim.lr=0: no step changes a weight" in capsys.readouterr().err
    assert "`optim.lr=0` is allowed (a throughput run) and changes no weight: a warning" in text
    with pytest.raises(ValueError, match="others under data.extra"):
        load_config(TrainConfig, None, ["data.train=[a.jsonl,b.jsonl]"])
    assert "a list there (`train: [a.jsonl, b.jsonl]`, `data.train=[a.jsonl,b.jsonl]`) is refused" in text
    assert "under `data.extra`" in text


def test_misspelt_keys_in_a_recipe_name_the_keys_they_are_near_and_others_nothing(tmp_path):
    """``max_step: 2`` in a recipe listed the twenty keys of TrainConfig and left the user to find max_steps."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    path = tmp_path / "r.yaml"
    for text, said in (("max_step: 2\n", "(did you mean max_steps?)"),
                       ("optim: {lrr: 1, warmup: 2}\n",
                        "(did you mean optim.lr for optim.lrr, optim.warmup_steps for optim.warmup?)")):
        path.write_text(text)
        with pytest.raises(ConfigError) as e:
            load_config(TrainConfig, path, [])
        assert str(e.value).endswith(said), str(e.value)
    path.write_text("zzzz: 2\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path, [])
    assert "did you mean" not in str(e.value)


@pytest.mark.parametrize("text, said", [
    # Trainer's name for ckpt.every (stop 68's FOREIGN): never max_steps (difflib's 0.74), which would stop the run
    ("save_steps: 100\n", "(did you mean ckpt.every?)"),
    ("logging_steps: 10\n", "(did you mean log.every?)"),  # never slow_step_s (0.67), or log, the section
    ("optim: {warmup_ratio: 0.1}\n", None),  # a ratio, not warmup_steps
    ("model_name: x\n", None),  # not a key of model:
    ("output_dir: x\n", "(did you mean out_dir?)"),
    ("grad_accumulation: 2\n", "(did you mean grad_accum?)"),
    ("optimizer: {lr: 1}\n", "(did you mean optim?)"),
    ("data: {max_len: 64}\n", "(did you mean data.max_length?)"),
    ("data: {train_file: a.jsonl}\n", "(did you mean data.train?)")])
def test_a_recipe_key_of_another_meaning_is_not_offered_as_the_one_meant(tmp_path, text, said):
    """difflib's 0.6 likeness offered max_steps for save_steps (Hugging Face's checkpoint interval) and
    slow_step_s for logging_steps: a user who took the hint ran one step, or set a stall warning."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path, [])
    if said is None:
        assert "did you mean" not in str(e.value), str(e.value)
    else:
        assert str(e.value).endswith(said), str(e.value)


def test_a_recipe_indented_with_a_tab_says_yaml_wants_spaces(tmp_path):
    """PyYAML's "found character '\\t' that cannot start any token" left the user to know YAML forbids tabs."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    path = tmp_path / "r.yaml"
    path.write_text("max_steps: 2\noptim:\n\tlr: 0.1\n")
    with pytest.raises(ConfigError, match=r"r\.yaml:3:1: not valid YAML .*; YAML indents with spaces, not tabs$"):
        load_config(TrainConfig, path, [])



@pytest.mark.parametrize("text, column", [("out_dir:\truns/x\n", 9), ("out_dir: runs/x\t# mine\n", 16),
                                          ("optim: {lr:\t0.1}\n", 12)])
def test_a_tab_that_indents_nothing_is_not_told_of_indentation(tmp_path, text, column):
    """A tab after a colon or before a comment was told 'YAML indents with spaces, not tabs', on a line
    indented by nothing; a tab inside quotes is a value PyYAML reads."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path, [])
    assert str(e.value).startswith(f"{path}:1:{column}: not valid YAML"), str(e.value)
    assert str(e.value).endswith("; PyYAML takes no tab there, outside quotes: write a space (or quote the value "
                                 "that holds it)"), str(e.value)
    path.write_text('out_dir: "runs/a\tb"\n')
    assert load_config(TrainConfig, path, []).out_dir == "runs/a\tb"


def test_a_recipe_key_yaml_reads_as_a_number_is_named_not_a_type_error(tmp_path):
    """``1: 2`` in a recipe (or in its optim: section beside a string key) raised TypeError from the
    unknown-key message itself (``prefix + k``, sorting int among str), a traceback naming no file."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    path = tmp_path / "r.yaml"
    for text, said in (("max_steps: 3\n1: 2\n", "unknown key 1 for TrainConfig"),
                       ("optim: {1: 2, lrr: 3}\n", "unknown keys optim.1, optim.lrr for OptimConfig")):
        path.write_text(text)
        with pytest.raises(ConfigError, match=rf"^{path}: ") as e:
            load_config(TrainConfig, path, [])
        assert said in str(e.value), str(e.value)


def test_comma_separated_records_files_as_data_train_are_told_of_data_extra(tmp_path):
    """``data.train=a.jsonl,b.jsonl`` (two files that are there) was 'records file not found: a.jsonl,b.jsonl'
    alone, where the list form says to give the others under data.extra."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.inputs import check_data_paths

    a = make_records(tmp_path / "a", n=2)
    b = make_records(tmp_path / "b", n=2)
    cfg = load_config(TrainConfig, None, [f"data.train={a},{b}"])
    with pytest.raises(FileNotFoundError, match=r"\(2 files, comma-separated\); data.train is one records file: give "
                                                r"the first there and the others under data.extra"):
        check_data_paths(cfg)
    cfg = load_config(TrainConfig, None, [f"data.train={a},{tmp_path / 'nope.jsonl'}"])  # a path with a comma
    with pytest.raises(FileNotFoundError) as e:
        check_data_paths(cfg)
    assert "data.extra" not in str(e.value) and str(e.value).endswith("nope.jsonl"), str(e.value)


@pytest.mark.parametrize("objective, changed, moved", [
    ("lm", ["batch_size=4", "data.task_temperature=2", "optim.lr=1e-3", "data.num_workers=3"],
     "; batch_size, data.task_temperature move the data position"),
    ("lm", ["optim.lr=1e-3", "data.max_bad_fraction=0.5"], None),
    ("lm", ["data.max_length=64", "data.augment=flip"], None),  # the plan's lengths are uncut; views drawn apart
    ("clip", ["seed=3"], None),  # the sampler's state is the step folder's
    ("clip", ["grad_accum=2"], "; grad_accum moves the data position")])
def test_a_resume_says_which_changed_settings_move_the_data_position(tmp_path, capsys, objective, changed, moved):
    """A resume with another batch_size listed 'batch_size: 2 → 4 (optim and max_steps take effect from the
    resumed step)' and no word that the batches from there are not those the checkpoint's run would draw."""
    from rsvlm.config import load_config, save_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_changes

    base = [f"objective={objective}", "data.train=t.jsonl", "batch_size=2"]
    folder = tmp_path / "step_000002"
    folder.mkdir()
    save_config(load_config(TrainConfig, None, base), folder / "train_config.yaml")
    check_changes(folder, load_config(TrainConfig, None, [*base, *changed]), 0)
    err = capsys.readouterr().err
    assert "ckpt.resume: this run changes" in err, err
    if moved is None:
        assert "data position" not in err, err
    else:
        assert f"{moved}: the batches from here are not those the checkpoint's run would have drawn)" in err, err


def test_a_recipes_deepspeed_file_not_found_names_the_recipe_key_and_working_directory(tmp_path, monkeypatch):
    """scripts/launch.py run from outside the repository said 'DeepSpeed config not found:
    configs/deepspeed/zero2.json' alone: not which recipe or key named it, nor that it was looked for relative
    to the working directory (the recipes name it from the repository root)."""
    from conftest import load_script

    launch = load_script("launch")
    recipe = REPO / "configs" / "train" / "recipes" / "qwen2.5-1.5b-sft.yaml"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as e:
        launch.build(recipe)
    assert str(e.value) == (f"{recipe}: dist.deepspeed: DeepSpeed config not found: configs/deepspeed/zero2.json "
                            f"(relative to the working directory {tmp_path})"), str(e.value)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match=rf"^{recipe}: dist.deepspeed: {bad}: not valid JSON"):
        launch.build(recipe, overrides=[f"dist.deepspeed={bad}"])
    bad.write_bytes(b"\xff\xfe\x00{}")  # a binary file: UnicodeDecodeError, whose class takes five arguments
    with pytest.raises(ValueError, match=rf"^{recipe}: dist.deepspeed: {bad}: not a JSON text file \(not UTF-8: "):
        launch.build(recipe, overrides=[f"dist.deepspeed={bad}"])


def test_a_run_or_model_folder_given_as_a_config_names_the_config_it_holds(tmp_path):
    """``--config runs/x`` (or a ``base:`` naming a model folder) said only 'is a folder; give a config file'."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    run, model = tmp_path / "run", tmp_path / "run" / "final"
    model.mkdir(parents=True)
    (run / "train_config.yaml").write_text("max_steps: 2\n")
    (model / "config.yaml").write_text("{}\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, run, [])
    assert str(e.value) == f"{run} is a folder; give a config file (.yaml), such as {run / 'train_config.yaml'}"
    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: {base: run/final}\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, recipe, [])
    assert str(e.value) == (f"base {model} is a folder; give a config file (.yaml), such as {model / 'config.yaml'} "
                            f"(named in {recipe})")


def test_a_resume_naming_no_folder_says_auto_or_the_step_folders_kept(tmp_path):
    """``ckpt.resume=latest`` (a habit from other trainers) said 'no checkpoint folder latest' alone, and a step
    folder ckpt.keep had pruned 'no checkpoint folder …/step_000001' without the ones there are."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import resume_folder

    def said(resume: str) -> str:
        with pytest.raises(FileNotFoundError) as e:
            resume_folder(load_config(TrainConfig, None, ["data.train=t.jsonl", f"ckpt.resume={resume}"]))
        return str(e.value)

    assert said("latest").endswith("; ckpt.resume=auto continues from the latest step folder in out_dir/checkpoints")
    for no in ("false", "None"):  # the word given to mean no resume: auto would continue the very run not meant
        assert said(no).endswith(f"no checkpoint folder {no}; ckpt.resume=null (or none given) starts at step 0, "
                                 "where ckpt.resume=auto continues from the latest step folder in out_dir/checkpoints")
    steps = tmp_path / "checkpoints"
    for n in (2, 3):
        (steps / f"step_{n:06d}").mkdir(parents=True)
    assert said(str(steps / "step_000001")) == (f"ckpt.resume: no checkpoint folder {steps / 'step_000001'}; {steps} "
                                                "holds step_000002, step_000003 (ckpt.keep keeps the last few)")
    assert "auto" not in said(str(tmp_path / "nothing"))  # a path, not a word meant for auto


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_python_m_rsvlm_train_says_which_stream_lost_its_reader(closed, monkeypatch):
    """What torchrun runs (``python -m rsvlm.train``) went on past a closed reader without a word of which
    stream it was, where ``rsvlm train`` says it; the run's own exit status is kept."""
    import sys

    import rsvlm.train.__main__ as entry

    def work():
        print("wrote …")
        print("step 1/3 …", file=sys.stderr)
        return 3

    monkeypatch.setattr(entry, "main", lambda entry=False: work())  # run passes entry=True (3691ae29)
    kept, said = one_stream_closed(monkeypatch, closed)
    assert entry.run() == 3
    assert f"rsvlm train: {said} was closed by its reader; the run failed (exit status 3)" in kept.text, kept.text


def test_the_config_module_stays_under_500_lines():
    """The unknown-key and YAML hints took rsvlm/config.py to 519 lines; they are rsvlm/config_hints.py now."""
    for name in ("config.py", "config_hints.py"):
        assert len((REPO / "rsvlm" / name).read_text().splitlines()) < 500, name
