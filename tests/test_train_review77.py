"""Training review, stop 77: the caption-length pass on real gloo ranks (unequal shares, a rank with none, a
caption no tokenizer takes refused on every rank), an export's spare-row warning in export words, a
``model.llm.config`` refusal naming the file or override that set it, and export_step on a step folder that
lacks its train_config.yaml saying to copy the run's in."""
import json
from pathlib import Path

import pytest
from script_loader import load_script
from test_train_utils import make_records, recipe, two_ranks


def _lengths_rank(rank: int, world: int, store: str, results: str) -> None:
    """One rank's pool_cuts over each pool of POOLS.json; its answers (or refusal) in RANK.json."""
    import torch.distributed as dist

    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.clip_data import pool_cuts
    from rsvlm.train.inputs import RefusedData

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    said = []
    for caps in json.loads(Path(results, "pools.json").read_text()):
        pairs = [({"id": f"r{i}"}, c, Path()) for i, c in enumerate(caps)]
        try:
            said.append(list(pool_cuts(pairs, byte_tokenizer(), 8, rank, world, chunk=1)))
        except RefusedData as e:
            said.append(str(e))
    Path(results, f"{rank}.json").write_text(json.dumps(said))
    dist.destroy_process_group()


def test_two_gloo_ranks_measure_unequal_shares_and_a_share_of_none_and_refuse_alike(tmp_path):
    """3 captions: rank 0 measures 1, rank 1 2; 1 caption: rank 0 none. A lone surrogate in rank 1's share was
    a TypeError traceback on rank 1 alone (rank 0 waited in the gather); both refuse it naming the record."""
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.clip_data import pool_cuts

    pools = [["a" * 9, "b", "c" * 12], ["d" * 20], [], ["ok", "fine", "half \ud800 a character"]]
    (tmp_path / "pools.json").write_text(json.dumps(pools))
    two_ranks(_lengths_rank, tmp_path, timeout_s=120)
    said = [json.loads((tmp_path / f"{r}.json").read_text()) for r in (0, 1)]
    assert said[0] == said[1], said
    alone = [[({"id": f"r{i}"}, c, Path()) for i, c in enumerate(p)] for p in pools[:3]]
    assert said[0][:3] == [list(pool_cuts(p, byte_tokenizer(), 8)) for p in alone]  # as one process says it
    assert said[0][0][0] == {"cut_caption_pairs": 2, "longest_caption_tokens": 12} and "of r0 is 9" in said[0][0][1]
    assert said[0][1][0] == {"cut_caption_pairs": 1, "longest_caption_tokens": 20}
    assert said[0][3] == ("record r2: its caption cannot be tokenized (it holds a lone surrogate, U+D800: a JSON "
                          "escape of half a character?); mend or remove the record")


def test_an_export_of_a_step_folder_without_its_row_fill_record_is_warned_in_export_words(
        tmp_path, monkeypatch, capsys):
    """The export was told "its loss may jump at the resume", a resume's consequence."""
    from test_model_tour75 import spare_base

    from rsvlm.model.row_fill import FILL_USES, ROW_FILL
    from rsvlm.train import main

    spare_base(tmp_path / "base")
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    assert main(["--config", str(recipe(tmp_path)), f"data.train={data}", "log.progress=false", "device=cpu",
                 "data.batching=naive", f"model.llm.name_or_path={tmp_path / 'base'}", "model.llm.config=null",
                 "model.trainable.llm=frozen", "ckpt.every=1", "batch_size=2", "optim.warmup_steps=0",
                 f"out_dir={tmp_path / 'a'}", "max_steps=1"]) == 0
    step = tmp_path / "a" / "checkpoints" / "step_000001"
    (step / ROW_FILL).unlink()  # as a folder saved before stop 76
    capsys.readouterr()
    assert load_script("export_step", monkeypatch).main([str(step), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"[rsvlm.train] warning: {step} has no {ROW_FILL}" in err and err.count(FILL_USES["export"]) == 1, err
    assert FILL_USES["resume"] not in err


def _config_error(tmp_path, capsys, argv) -> str:
    from rsvlm.train import main

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    assert main([*argv, f"data.train={data}", f"out_dir={tmp_path / 'run'}", "device=cpu"]) == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_a_non_string_llm_config_key_in_a_base_file_names_that_file(tmp_path, capsys):
    """It named the key alone: a recipe built on bases left the user to find which file held it."""
    import yaml

    conf = yaml.safe_load(Path(recipe(tmp_path)).read_text())["model"]["llm"]["config"]
    (tmp_path / "base.yaml").write_text(f"base: {recipe(tmp_path)}\n" + yaml.safe_dump(
        {"model": {"llm": {"config": {**conf, 1: 2}}}}))
    (tmp_path / "top.yaml").write_text("base: base.yaml\nmax_steps: 1\n")
    err = _config_error(tmp_path, capsys, ["--config", str(tmp_path / "top.yaml")])
    assert err.startswith(f"rsvlm train: {tmp_path / 'base.yaml'} (a base of {tmp_path / 'top.yaml'}): "
                          "model.llm.config has the key 1 (int)"), err


@pytest.mark.parametrize("override, said", [
    ("model.llm.config.hidden_sise=64", "override 'model.llm.config.hidden_sise=64' (command line): "
                                        "model.llm.config.hidden_sise is not a LlamaConfig field"),
    ("model.llm.config.num_attention_heads=5", "{recipe} with override 'model.llm.config.num_attention_heads=5' "
                                               "(command line): model.llm.config: The hidden size (64) is not a multiple")])
def test_an_llm_config_refusal_names_the_override_that_set_it(tmp_path, capsys, override, said):
    """A head count transformers refuses is a refusal of the config whole: the recipe and the override named."""
    path = recipe(tmp_path)
    err = _config_error(tmp_path, capsys, ["--config", str(path), override])
    assert err.startswith(f"rsvlm train: {said.format(recipe=path)}"), err


def test_export_step_without_train_config_says_to_copy_the_runs_in(tmp_path, monkeypatch, capsys):
    """A step folder holding its weights but no train_config.yaml was 'not a step folder of rsvlm train'."""
    export = load_script("export_step", monkeypatch)
    step = tmp_path / "run" / "checkpoints" / "step_000003"
    step.mkdir(parents=True)
    (step / "trainable.safetensors").write_bytes(b"")
    (tmp_path / "run" / "train_config.yaml").write_text("max_steps: 3\n")
    assert export.main([str(step), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {step}: no train_config.yaml; if only that file is missing, copy the run's into it: cp "
        f"{tmp_path / 'run' / 'train_config.yaml'} {step}/ (written at that run's last start or resume: its model "
        "settings and seed must be those the step trained with)")
    (tmp_path / "run" / "train_config.yaml").unlink()
    (step / "trainer_state_rank0.json").write_text("{}")  # and damaged: both ways named
    assert export.main([str(step), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {step}: no train_config.yaml; a half-written or damaged step folder; if only that file is missing, "
        "copy into it the train_config.yaml of the run that saved it (its out_dir's, or a step folder's of that run)")
    (tmp_path / "other").mkdir()  # no step folder's files: as it was
    assert export.main([str(tmp_path / "other"), "--out", str(tmp_path / "o")]) == 2
    assert "not a step folder of rsvlm train" in capsys.readouterr().err


@pytest.mark.parametrize("finishes", [False, True])
def test_a_sigterm_to_a_launch_over_a_run_that_had_just_finished_reads_the_mark_taken_at_the_launch(
        tmp_path, capsys, finishes):
    """summary.json written a moment before the launch (the run it resumes finished then) was taken by its mtime,
    with a second's slack, for this run's finish: 'nothing to continue' where the notice had stopped it mid-run."""
    import os
    import signal
    from types import SimpleNamespace

    from rsvlm.train.checkpoint import write_summary
    from rsvlm.train.launcher_run import wait_for

    write_summary(tmp_path, {"steps": 4})  # the earlier run's, just written

    class Launcher:
        sent = []

        def send_signal(self, signum):
            self.sent.append(signum)

        def wait(self):
            os.kill(os.getpid(), signal.SIGTERM)  # the scheduler's notice, taken by wait_for's handler
            if finishes:  # this run wrote its summary.json before the notice reached it
                write_summary(tmp_path, {"steps": 8})
            return 143

    assert wait_for(Launcher, SimpleNamespace(command=["torchrun"], out_dir=str(tmp_path))) == 143
    err = capsys.readouterr().err
    assert Launcher.sent == [signal.SIGTERM] and "SIGTERM passed on to torchrun" in err
    assert err.strip().endswith("nothing to continue") == finishes, err
