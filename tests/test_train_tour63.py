"""Rough-edge tour 63 of training: refusals every rank reaches together and that leave nothing behind, the
launcher without the tokenizer, a records list given as data.train, and --config given twice."""

from __future__ import annotations

import errno
from functools import partial
from pathlib import Path

import pytest
from script_loader import load_script
from test_train_utils import make_records, recipe, two_ranks

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def _rank_0_failing(method: str, error: tuple[int, str], overrides: list[str], rank: int, world: int, store: str,
                    results: str) -> None:
    """One gloo process: on rank 0, ``Path.<method>`` raises ``error`` (a mkdir or unlink refused); what each rank
    raised from start_out_dir, as a file."""
    import time

    import torch.distributed as dist

    from rsvlm.train.resume import start_out_dir

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world,
                            timeout=__import__("datetime").timedelta(seconds=GROUP_TIMEOUT_S))
    if rank == 0:
        def refuse(self, *a, **k):
            raise PermissionError(*error, str(self))

        setattr(Path, method, refuse)  # this forked process's only
    cfg = load_config(TrainConfig, None, [f"out_dir={results}/run", "data.train=t.jsonl", *overrides])
    began = time.monotonic()
    try:
        start_out_dir(cfg, rank, world)
        said = "started"
    except Exception as e:  # noqa: BLE001 (the test compares what each rank raised)
        said = f"{type(e).__name__}: {e}"
    Path(results, f"rank{rank}.txt").write_text(f"{said}\n{time.monotonic() - began:.1f}")
    dist.destroy_process_group()


GROUP_TIMEOUT_S = 60  # "at once" is well under it: rank 0 may start seconds late on a loaded machine
_refused_rank = partial(_rank_0_failing, "mkdir", (errno.EPERM, "Operation not permitted"), [])
# rank 0 cannot remove the previous run's metrics.jsonl that overwrite=true removes
_unremovable_rank = partial(_rank_0_failing, "unlink", (errno.EACCES, "Permission denied"), ["overwrite=true"])


def test_every_rank_stops_at_once_when_rank_0_cannot_make_out_dir(tmp_path):
    """Rank 0 alone makes out_dir: where it could not (OutDirRefused, exit 2), the other ranks went on to build
    the model and waited at their first collective until dist.timeout_s (30 min by default)."""
    two_ranks(_refused_rank, tmp_path)
    said = [(tmp_path / f"rank{r}.txt").read_text().split("\n") for r in (0, 1)]
    assert said[0][0] == said[1][0], said
    assert said[1][0].startswith(f"OutDirRefused: out_dir {tmp_path}/run: cannot write there"), said
    assert float(said[1][1]) < GROUP_TIMEOUT_S / 2, said  # at once, not at the group's timeout


def test_a_visual_token_mismatch_leaves_no_out_dir_behind(tmp_path, monkeypatch):
    """The check of the model's visual tokens against the index's ran once out_dir was made and the config
    written there: the refused run left a half-made out_dir behind."""
    from rsvlm.train import loop

    data = make_records(tmp_path / "d", n=8)
    cfg_path = recipe(tmp_path, data={"train": str(data)}, out_dir=str(tmp_path / "run"), max_steps=1, batch_size=2)
    cfg = load_config(TrainConfig, cfg_path, ["log.progress=false", "device=cpu"])
    real = loop.read_train_data

    def miscounted(*a, **k):
        got = real(*a, **k)
        got.n_tokens = {m: n + 1 for m, n in got.n_tokens.items()}
        return got

    monkeypatch.setattr(loop, "read_train_data", miscounted)
    with pytest.raises(RuntimeError, match="visual tokens per image"):
        loop.train(cfg)
    assert not (tmp_path / "run").exists()


class _Started:
    """A stand-in for the launcher's process: it ran and exited 0."""

    def __init__(self, *a, **k):
        self.args = a

    def wait(self):
        return 0


def _launch(tmp_path, monkeypatch, tokenizer, popen) -> int:
    """``scripts/launch.py`` on a small recipe (global_batch 4) under torchrun with ``model.llm.tokenizer``,
    its launcher process stood in by ``popen``; the exit status."""
    launch = load_script("launch", monkeypatch)
    data = make_records(tmp_path / "d", n=8)
    path = tmp_path / "r.yaml"
    path.write_text("# global_batch: 4\n" + recipe(tmp_path, data={"train": str(data)}).read_text())
    monkeypatch.setattr(launch.subprocess, "Popen", popen)
    return launch.main([str(path), "--launcher", "torchrun", "--gpus-per-node", "1", f"out_dir={tmp_path / 'run'}",
                        f"model.llm.tokenizer={tokenizer}"])


def _no_launch(*a, **k):
    pytest.fail("a launcher started")


@pytest.mark.parametrize("tokenizer", ["someorg/not-cached-here", "/nodes/only/tokenizer"])
def test_the_launcher_runs_without_the_tokenizer_on_its_machine_saying_what_it_left_to_the_ranks(
        tmp_path, monkeypatch, capsys, tokenizer):
    """The data-plan check loaded the tokenizer on the launching machine: a hub name not cached on a login node,
    or a node-local path, refused the launch ("llm.tokenizer …: cannot be read"), exit 2."""
    code = _launch(tmp_path, monkeypatch, tokenizer, _Started)
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"launch: note: model.llm.tokenizer={tokenizer} cannot be loaded on this machine" in err, err
    assert "left to the ranks" in err and "tokenizer.json" in err


def test_the_launcher_still_refuses_a_tokenizer_folder_here_that_cannot_be_read(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "tok"
    broken.mkdir()
    (broken / "tokenizer_config.json").write_text('{"tokenizer_class": ')  # cut short
    code = _launch(tmp_path, monkeypatch, broken, _no_launch)
    err = capsys.readouterr().err
    assert code == 2 and f"{broken}" in err and "cannot be read" in err, err


@pytest.mark.parametrize("how", ["yaml", "override"])
def test_a_list_of_records_files_as_data_train_points_to_data_extra(tmp_path, how):
    """data.train: [a, b] said 'expected a string, got [...]'; data.train=[a,b] on the command line was taken as a
    path named '[a,b]' ('records file not found')."""
    from rsvlm.config import ConfigError

    if how == "yaml":
        path = tmp_path / "r.yaml"
        path.write_text("data: {train: [a.jsonl, b.jsonl]}\n")
        args = (path, [])
    else:
        args = (None, ["data.train=[a.jsonl,b.jsonl]"])
    with pytest.raises(ConfigError, match=r"data.train: expected one value, got the list .*data.extra.*path: B.jsonl"):
        load_config(TrainConfig, *args)
    assert load_config(TrainConfig, None, ["data.train=a.jsonl"]).data.train == "a.jsonl"


def test_config_given_twice_is_refused_not_the_last_kept(tmp_path, capsys):
    """rsvlm.train kept the last --config, the first file dropped unsaid."""
    from rsvlm.train import main

    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("max_steps: 3\n")
    b.write_text("batch_size: 2\n")
    with pytest.raises(SystemExit) as e:
        main(["--config", str(a), "--config", str(b), "max_steps=1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"--config given 2 times ({a}, {b})" in err and "base:" in err, err


def _ctrl_c_at(monkeypatch, module, at: int) -> None:
    """``module``'s training loop gets a Ctrl-C (KeyboardInterrupt) when it asks whether to stop after step ``at``."""
    real = module.stop_due

    def ctrl_c(stopping, step, max_steps):
        if step == at:
            raise KeyboardInterrupt
        return real(stopping, step, max_steps)

    monkeypatch.setattr(module, "stop_due", ctrl_c)


def test_ctrl_c_mid_run_says_which_steps_it_did_not_save(tmp_path, monkeypatch, capsys):
    """Ctrl-C said only 'interrupted; continue from step_N', as if the run were kept up to where it stopped: it
    saves no step folder (SIGTERM does), so the steps after the last one saved are trained again."""
    from rsvlm.train import loop

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "log.progress=false", "max_steps=6", "batch_size=2",
                                                      "ckpt.every=2", "device=cpu"])
    _ctrl_c_at(monkeypatch, loop, 3)
    with pytest.raises(KeyboardInterrupt):
        loop.train(cfg)
    err = capsys.readouterr().err
    assert "[rsvlm.train] Ctrl-C after step 3: Ctrl-C saves no step folder, step 3 is not saved (SIGTERM" in err, err
    assert (tmp_path / "run" / "checkpoints" / "step_000002").is_dir()


def test_the_ctrl_c_note_counts_from_the_latest_step_folder(tmp_path):
    from rsvlm.train.stopping import interrupted_note

    assert "steps 1–4 are not saved" in interrupted_note(4, tmp_path)  # none saved
    (tmp_path / "checkpoints" / "step_000037").mkdir(parents=True)  # a SIGTERM's save, off the ckpt.every grid
    assert "steps 38–40 are not saved" in interrupted_note(40, tmp_path)
    assert "nothing is lost" in interrupted_note(37, tmp_path)


def test_a_misspelt_top_level_deepspeed_key_is_refused_not_passed_over(tmp_path):
    """"zero_optimisation" (British spelling) trained: DeepSpeed passes over top-level keys it does not know, so
    the run went without ZeRO sharding, unsaid."""
    import json

    from rsvlm.train.deepspeed_config import load_deepspeed_config

    ds = json.loads((Path(__file__).resolve().parents[1] / "configs/deepspeed/zero2.json").read_text())
    ds["zero_optimisation"] = ds.pop("zero_optimization")
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(ds))
    with pytest.raises(ValueError, match=rf"^{path}: zero_optimisation: not a key DeepSpeed reads .*did you mean "
                                         "zero_optimization\\?"):
        load_deepspeed_config(path, TrainConfig(), 1)
    ds["zero_optimization"] = {"stage": 2}  # beside it, the near key is no misspelling of a missing one
    ds["my_note"] = "kept"  # a key of no near spelling is DeepSpeed's to take or leave, as before
    del ds["zero_optimisation"]
    path.write_text(json.dumps(ds))
    assert load_deepspeed_config(path, TrainConfig(), 1)["zero_optimization"]["stage"] == 2


def test_a_learning_rate_of_zero_is_said_to_train_nothing(capsys):
    """optim.lr=0 is allowed (a throughput run), but a whole run went by without a word that no weight moved."""
    from rsvlm.train.run import note_schedule

    note_schedule(load_config(TrainConfig, None, ["optim.lr=0", "max_steps=100"]), 0)
    assert "warning: optim.lr=0: no step changes a weight" in capsys.readouterr().err
    note_schedule(load_config(TrainConfig, None, ["optim.lr=0", "max_steps=100"]), 1)  # rank 0 says it
    note_schedule(load_config(TrainConfig, None, ["optim.lr=1e-4", "max_steps=100"]), 0)
    assert capsys.readouterr().err == ""


def test_ctrl_c_in_contrastive_pretraining_says_which_steps_it_did_not_save(tmp_path, monkeypatch, capsys):
    """The contrastive loop's Ctrl-C was said as the LM loop's was: 'interrupted; continue from …' alone."""
    from rsvlm.train import clip
    from rsvlm.train.loop import train

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml", out_dir=str(tmp_path / "run"),
                                          data={"train": str(data)}),
                      ["log.progress=false", "max_steps=4", "ckpt.every=1", "batch_size=4", "grad_accum=1"])
    _ctrl_c_at(monkeypatch, clip, 2)
    with pytest.raises(KeyboardInterrupt):
        train(cfg)
    err = capsys.readouterr().err
    assert "[rsvlm.train] Ctrl-C after step 2: Ctrl-C saves no step folder, step 2 is not saved" in err, err


def test_every_rank_stops_at_once_alike_when_rank_0_cannot_remove_a_previous_runs_output(tmp_path):
    """overwrite=true's removal of a previous run's outputs raised on rank 0 alone, before the broadcast of its
    verdict, so the other ranks waited there until dist.timeout_s; and a failure after out_dir was made was sent
    as a plain OSError, which every rank then said, naming itself (one line each for the same cause)."""
    from rsvlm.processes import SameOnEveryRank
    from rsvlm.train.resume import OutDirFailed

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.jsonl").write_text("{}\n")
    two_ranks(_unremovable_rank, tmp_path)
    said = [(tmp_path / f"rank{r}.txt").read_text().split("\n") for r in (0, 1)]
    assert said[0][0] == said[1][0], said
    assert said[1][0].startswith(f"OutDirFailed: out_dir {tmp_path}/run: overwrite=true could not remove "
                                 f"{tmp_path}/run/metrics.jsonl (Permission denied)"), said
    assert float(said[1][1]) < GROUP_TIMEOUT_S / 2, said  # at once, not at the group's timeout
    assert issubclass(OutDirFailed, SameOnEveryRank) and issubclass(OutDirFailed, OSError)  # said once, exit 1


def test_a_config_rank_0_cannot_save_is_said_once_exit_1(tmp_path, monkeypatch, capsys):
    """A failure once out_dir was made (its config not saved) was a plain OSError, said by every rank."""
    from rsvlm.train import main, resume

    data = make_records(tmp_path / "d", n=8)
    cfg_path = recipe(tmp_path, data={"train": str(data)}, out_dir=str(tmp_path / "run"), max_steps=1, batch_size=2)

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(resume, "save_config", full_disk)
    assert main(["--config", str(cfg_path), "log.progress=false", "device=cpu"]) == 1
    err = capsys.readouterr().err
    assert f"rsvlm train: OutDirFailed: out_dir {tmp_path / 'run'}: cannot write there (No space left" in err, err


def test_the_distributed_docs_say_what_the_launcher_leaves_to_the_ranks_and_the_misspelt_deepspeed_key():
    """docs/distributed.md said the launching machine must have the tokenizer (it now leaves that one check to the
    ranks, saying so), and said nothing of a misspelt top-level DeepSpeed key (now refused with 'did you mean')."""
    page = " ".join((Path(__file__).resolve().parents[1] / "docs/distributed.md").read_text().split())
    assert "which the machine it runs on must then have" not in page
    assert "that one check is left to the ranks" in page and "`launch: note:`" in page and "tokenizer.json" in page
    assert "(`zero_optimisation`) is refused" in page and '"did you mean zero_optimization?"' in page


def test_the_launcher_refuses_a_tokenizer_file_here_it_cannot_load(tmp_path, monkeypatch, capsys):
    """A tokenizer path that is a file here (tokenizer.json named instead of its folder) was taken for a path on
    the nodes alone: the launch went on with a note, and every rank then failed to load it."""
    named = tmp_path / "tok" / "tokenizer.json"
    named.parent.mkdir()
    named.write_text("{}")
    code = _launch(tmp_path, monkeypatch, named, _no_launch)
    err = capsys.readouterr().err
    assert code == 2 and f"{named}" in err and "launch: note:" not in err, err


def test_every_top_level_key_the_installed_deepspeed_reads_is_one_of_its_keys_here(tmp_path):
    """The list of DeepSpeed's top-level keys, against which a near spelling is refused, was its docs page's: 16
    keys DeepSpeedConfig reads were missing (tensor_parallel, compile, bfloat16, …), so a misspelling of one was
    passed over unsaid (none of them is near a listed key, so none was refused: this keeps it so)."""
    import datetime

    pytest.importorskip("deepspeed")
    import torch.distributed as dist
    from deepspeed.runtime.config import DeepSpeedConfig

    from rsvlm.train.deepspeed_config import TOP_KEYS, check_top_keys

    read: set[str] = set()

    class Watched(dict):  # the keys DeepSpeedConfig looks up in the JSON's top level
        def __getitem__(self, k):
            read.add(k)
            return dict.__getitem__(self, k)

        def get(self, k, default=None):
            read.add(k)
            return dict.get(self, k, default)

        def __contains__(self, k):
            read.add(k)
            return dict.__contains__(self, k)

    own = not dist.is_initialized()
    if own:
        dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1,
                                timeout=datetime.timedelta(seconds=30))
    try:
        DeepSpeedConfig(Watched({"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 1}))
    finally:
        if own:
            dist.destroy_process_group()
    assert {"zero_optimization", "bf16", "train_batch_size"} <= read  # it watched the lookups
    assert sorted(read - set(TOP_KEYS)) == []
    for key in read:  # each alone, its near neighbours missing: none refused
        check_top_keys({key: {}})
    with pytest.raises(ValueError, match="did you mean tensor_parallel"):
        check_top_keys({"tensor_paralel": {}})


def test_the_ctrl_c_note_counts_from_the_step_a_run_resumed_at_in_another_runs_folder(tmp_path):
    """A run resumed from another run's step folder (ckpt.resume=runs/a/checkpoints/step_4, out_dir=runs/b) and
    stopped by Ctrl-C at step 6 said 'steps 1–6 are not saved': steps 1–4 are, in runs/a."""
    from rsvlm.train.stopping import interrupted_note

    assert "steps 5–6 are not saved" in interrupted_note(6, tmp_path, since=4)
    assert "nothing is lost" in interrupted_note(4, tmp_path, since=4)
    (tmp_path / "checkpoints" / "step_000005").mkdir(parents=True)
    assert "step 6 is not saved" in interrupted_note(6, tmp_path, since=4)


def test_ctrl_c_in_a_run_resumed_from_another_runs_folder_counts_from_where_it_resumed(tmp_path, monkeypatch, capsys):
    from rsvlm.train import loop

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    base = [f"data.train={data}", "log.progress=false", "batch_size=2", "ckpt.every=2", "device=cpu"]
    loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, f"out_dir={tmp_path / 'a'}", "max_steps=2"]))
    _ctrl_c_at(monkeypatch, loop, 3)
    capsys.readouterr()
    with pytest.raises(KeyboardInterrupt):
        loop.train(load_config(TrainConfig, recipe(tmp_path), [
            *base, f"out_dir={tmp_path / 'b'}", "max_steps=6", f"ckpt.resume={tmp_path}/a/checkpoints/step_000002"]))
    err = capsys.readouterr().err
    assert "Ctrl-C after step 3: Ctrl-C saves no step folder, step 3 is not saved" in err, err


def test_the_launchers_tokenizer_note_takes_an_error_without_words(tmp_path, monkeypatch, capsys):
    """An OSError of no message from the tokenizer's load (its first line read) was an IndexError traceback."""
    launch = load_script("launch", monkeypatch)
    from rsvlm.model import llm

    def unsaid(cfg):
        raise OSError

    monkeypatch.setattr(llm, "llm_tokenizer", unsaid)
    cfg = load_config(TrainConfig, None, ["data.train=t.jsonl", "model.llm.tokenizer=someorg/not-here"])
    assert launch.here_processor(cfg) is None
    assert "model.llm.tokenizer=someorg/not-here cannot be loaded on this machine (OSError)" in capsys.readouterr().err
