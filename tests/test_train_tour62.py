"""Rough-edge tour 62 of training: exit statuses of bad data, the launcher's checks before it starts processes,
the visual-token check before ``out_dir`` is written, and ``init_from``'s builds."""

from __future__ import annotations

from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def test_records_that_fill_no_batch_exit_2_as_too_few_records_do(tmp_path, capsys):
    """3 optical and 1 ir record, batch_size=4, one modality a batch: DataPlanError exited 1 (a failure once
    started) where TooFewRecords, the same bad input, exits 2."""
    data = make_records(tmp_path / "d", n=4)  # every 4th an ir record
    out = tmp_path / "out"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "batch_size=4"]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert "rsvlm train: DataPlanError: " in err and "4 records (1 ir, 3 optical) cannot fill one global batch" in err
    assert "warning" not in err, err  # a note per modality that it is never drawn came first, saying the same
    assert not out.exists()


def test_the_launcher_refuses_records_that_fill_no_batch_over_its_processes_before_starting_them(
        tmp_path, monkeypatch, capsys):
    """3 optical and 1 ir record on 2 processes of batch_size 2: enough records for a global batch of 4, but
    no modality holds 4. The launcher started both ranks; each refused it (DataPlanError), then torchrun's
    ChildFailedError traceback and 'torchrun exited with status 1'."""
    from types import SimpleNamespace

    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    started = []
    monkeypatch.setattr(launch, "subprocess", SimpleNamespace(Popen=lambda *a, **k: started.append(a)))
    monkeypatch.setattr(launch, "launcher_path", lambda name: name)
    data = make_records(tmp_path / "d", n=4)
    cfg = tmp_path / "r.yaml"
    cfg.write_text("# global_batch: 4\n" + recipe(tmp_path).read_text())
    out = tmp_path / "out"
    argv = [str(cfg), "--launcher", "torchrun", "--gpus-per-node", "2", f"data.train={data}", f"out_dir={out}",
            "batch_size=2", "dist.deepspeed=configs/deepspeed/zero2.json"]
    assert launch.main(argv) == 2
    err = capsys.readouterr().err
    assert "launch: DataPlanError: " in err and "4 records (1 ir, 3 optical) cannot fill one global batch of 4" in err
    assert "warning" not in err, err  # the ranks' first says the notes, once
    assert started == [] and not out.exists()


def test_init_from_checks_build_the_llm_on_meta_once_and_leave_preflights_as_it_was(tmp_path, monkeypatch):
    """check_init_from built the whole model on meta, its LLM a second time after the LoRA checks' (a 7B one:
    1.1 s each); a copy of that one serves, and the one preflight hands to the training build is left unwrapped."""
    import transformers

    from rsvlm.config import load_config
    from rsvlm.model import create_model
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import preflight

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    argv = [f"data.train={data}", f"out_dir={tmp_path / 'out'}"]
    src, _ = create_model(load_config(TrainConfig, recipe(tmp_path), argv).model)
    src.save_pretrained(tmp_path / "src")
    cfg = load_config(TrainConfig, recipe(tmp_path), [*argv, f"init_from={tmp_path / 'src'}"])
    assert cfg.model.trainable.llm == "lora"
    built = []
    from_config = transformers.AutoModelForCausalLM.from_config
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_config",
                        lambda *a, **k: built.append(1) or from_config(*a, **k))
    shapes = preflight(cfg)
    assert len(built) == 1
    assert not any("lora_" in name for name, _ in shapes.named_modules())  # the meta build wrapped its copy only


def test_a_prompt_text_holding_the_image_placeholder_is_refused_naming_its_key(sft_record, tmp_path, capsys):
    """model.prompt.system='Look at <image> closely.' gave every sample one image token more than its images:
    'rsvlm train: ValueError: 2 image placeholder token(s) in the prompt but 1 image(s)', no key named, exit 1."""
    out = tmp_path / "out"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={out}",
            "model.prompt.system=Look at <image> closely."]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert "model.prompt.system: 'Look at <image> closely.' holds <image>, the image placeholder" in err, err
    assert not out.exists()


def test_a_step_folder_missing_a_file_names_the_step_before_it_to_resume_from(tmp_path):
    """ckpt.resume=auto on a run whose last step folder lacks optimizer.safetensors said 'a half-written or damaged
    step folder' only, where a cut file in it named the step before to resume from."""
    import pytest
    from safetensors.torch import save_file

    from rsvlm.train.checkpoint import check_step_folder, step_files

    root = tmp_path / "checkpoints"
    for step in ("step_000002", "step_000003"):
        (root / step).mkdir(parents=True)
        for name in step_files(0, deepspeed=False):  # whole: step_before names only a step whose headers parse
            if name.endswith(".safetensors"):
                save_file({}, str(root / step / name))
            else:
                (root / step / name).write_text("{}")
    (root / "step_000003" / "optimizer.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"lacks optimizer\.safetensors \(a half-written or damaged step folder; "
                                                 r"resume from the step before it, ckpt\.resume=.*step_000002\)"):
        check_step_folder(root / "step_000003", 0, deepspeed=False)


def test_resuming_from_a_step_folders_file_into_its_own_out_dir_names_the_folder(tmp_path, capsys):
    """ckpt.resume=OUT/checkpoints/step_N/trainable.safetensors into OUT (which holds the run) said 'not a step
    folder of rsvlm train (out_dir/checkpoints/step_N)'; into another out_dir it named the folder to give."""
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    out = tmp_path / "out"
    step = out / "checkpoints" / "step_000002"
    step.mkdir(parents=True)
    (step / "trainable.safetensors").write_bytes(b"")
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}",
            f"ckpt.resume={step / 'trainable.safetensors'}"]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert f"is a file; give the step folder that holds it, {step}" in err, err


def test_the_launcher_refuses_a_step_folder_of_another_world_size_before_starting_the_ranks(tmp_path, monkeypatch,
                                                                                            capsys):
    """Resuming a 2-process run with --gpus-per-node 1 started the process, which refused it (exit 2), then
    torchrun's ChildFailedError report and 'torchrun exited with status 1'."""
    from types import SimpleNamespace

    from script_loader import load_script

    from rsvlm.train.checkpoint import step_files

    launch = load_script("launch", monkeypatch)
    started = []
    monkeypatch.setattr(launch, "subprocess", SimpleNamespace(Popen=lambda *a, **k: started.append(a)))
    monkeypatch.setattr(launch, "launcher_path", lambda name: name)
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    out = tmp_path / "out"
    step = out / "checkpoints" / "step_000002"
    step.mkdir(parents=True)
    for name in {*step_files(0, deepspeed=True), *step_files(1, deepspeed=True)}:
        (step / name).mkdir() if name == "deepspeed" else (step / name).write_text("{}")
    cfg = tmp_path / "r.yaml"
    cfg.write_text("# global_batch: 4\n" + recipe(tmp_path).read_text())
    argv = [str(cfg), "--launcher", "torchrun", "--gpus-per-node", "1", f"data.train={data}", f"out_dir={out}",
            "dist.deepspeed=configs/deepspeed/zero2.json", "ckpt.resume=auto"]
    assert launch.main(argv) == 2
    err = capsys.readouterr().err
    assert f"launch: ckpt.resume: {step} was saved by 2 processes and this run has 1; resume with 2" in err, err
    assert started == []


def test_a_negative_data_num_workers_is_named_alone(sft_record, tmp_path, capsys):
    """'data.max_length must be >= 1 and data.num_workers >= 0, got 384 and -1' named a key that was fine."""
    argv = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={tmp_path / 'out'}",
            "data.num_workers=-1"]
    assert train_main(argv) == 2
    assert capsys.readouterr().err.strip() == ("rsvlm train: override 'data.num_workers=-1' (command line): "
                                               "data.num_workers must be >= 0, got -1")


def test_the_records_are_measured_without_reading_the_index_row_by_row(tmp_path, monkeypatch):
    """datasets' Column (datasets >= 4: index["length"] is one) reads the whole table a row at a time on each use:
    read_train_data went over 30000 records 13 times so (10 s of its 11; scripts/launch.py now reads the records
    once more before starting the ranks, and each rank again); the columns are taken as lists once."""
    import datasets.arrow_dataset as arrow
    import pytest

    from rsvlm.config import load_config
    from rsvlm.train import data as D
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.sft_index import read_train_data

    if not hasattr(arrow, "Column"):
        pytest.skip("datasets < 4: a column is a list")
    data = make_records(tmp_path / "d", n=8)
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'out'}",
                                                      "batch_size=2", "log.progress=false"])
    monkeypatch.setattr(arrow.Column, "__iter__", lambda self: pytest.fail(f"column {self.column_name} read row by row"))
    got = read_train_data(cfg, 0, 1)
    assert len(got.index) == 8 and len(got.sample_lengths) == 8
    assert D.index_digest(got.index)["n"] == 8


def test_the_launcher_reads_a_configs_home_folder_as_the_ranks_do(tmp_path, monkeypatch):
    """data.train=~/d/train.jsonl, which rsvlm train reads as the home folder's (expand_home), was refused by
    scripts/launch.py before any rank started: 'records file not found: ~/d/train.jsonl (~ is not expanded
    here …)'; its data checks, the resume check included, now see the paths the ranks will."""
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    monkeypatch.setenv("HOME", str(tmp_path))
    make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = tmp_path / "r.yaml"
    cfg.write_text("# global_batch: 4\n" + recipe(tmp_path).read_text())
    plan = launch.build(cfg, "torchrun", 1, 2, overrides=["data.train=~/d/train.jsonl", "out_dir=~/out", "batch_size=2",
                                                          "dist.deepspeed=configs/deepspeed/zero2.json"], check_out=True)
    assert plan.out_dir == str(tmp_path / "out") and "data.train=~/d/train.jsonl" in plan.command
