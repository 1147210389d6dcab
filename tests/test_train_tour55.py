"""Rough-edge tour 55 of training: the leftovers of tour 54's multi-process tour (a timeout for the process
group, SIGTERM, ranks started by hand, verdicts said once, one resume hint, the cut-sample warning)."""

from __future__ import annotations

import pytest
import torch
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main
from rsvlm.train.checkpoint import resume_hint


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "0.5"])
def test_a_nonsense_dist_timeout_is_refused_before_anything_is_written(value, sft_record, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={out}", f"dist.timeout_s={value}"]
    assert train_main(argv) == 2
    assert "dist.timeout_s must be >= 1 (seconds a process waits for the others at a collective)" in capsys.readouterr().err
    assert not out.exists()


def test_a_changed_dist_timeout_is_no_change_to_name_on_resume(tmp_path):
    from rsvlm.config import load_config, save_config
    from rsvlm.train.checkpoint import config_changes
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, recipe(tmp_path))
    save_config(cfg, tmp_path / "train_config.yaml")
    cfg.dist.timeout_s = 60.0  # where and how long to wait, not what is trained
    assert config_changes(tmp_path, cfg) == []


def test_a_verdict_every_rank_reaches_alike_is_said_by_rank_0_only(sft_record, tmp_path, monkeypatch, capsys):
    """'cannot fill one global batch' was printed once per rank, each naming its rank."""
    import rsvlm.train.loop as loop
    import rsvlm.train.run as run
    from rsvlm.train.batches import no_full_batch

    def short(cfg, checked=False, stop=None):
        raise no_full_batch("train.jsonl", ["optical"] * 3, 2, 2, grouped=True, weighted=False)

    monkeypatch.setattr(loop, "train", short)
    monkeypatch.setattr(run, "preflight", lambda cfg: None)  # the launch itself is not what is tested
    argv = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={tmp_path / 'run'}"]
    monkeypatch.setenv("WORLD_SIZE", "2")
    said = {}
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        assert train_main(argv) == 1
        said[rank] = capsys.readouterr().err
    assert said["1"] == "", said
    assert said["0"].startswith("rsvlm train: DataPlanError: train.jsonl: 3 records (3 optical) cannot fill one "
                                "global batch of 4"), said


def test_every_stop_says_where_to_continue_in_one_wording(sft_record, tmp_path, monkeypatch, capsys):
    """Ctrl-C said 'no checkpoint was saved', scripts/launch.py 'no step folder was saved in OUT_DIR', a
    non-finite loss 'resume from X (ckpt.resume=auto)'."""
    import rsvlm.train.loop as loop

    def interrupted(cfg, checked=False, stop=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop, "train", interrupted)
    out = tmp_path / "run"
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={out}"]) == 130
    assert capsys.readouterr().err.strip() == f"rsvlm train: interrupted; {resume_hint(out)}"
    assert resume_hint(out) == f"no step folder was saved in {out / 'checkpoints'} (ckpt.every sets how often)"
    (out / "checkpoints" / "step_000003").mkdir(parents=True)
    (out / "checkpoints" / "step_000004.tmp").mkdir()  # a save cut short: not one to continue from
    assert resume_hint(out) == f"continue from {out / 'checkpoints' / 'step_000003'} with ckpt.resume=auto"


def test_the_launcher_asks_the_ranks_own_check_for_several_processes_without_deepspeed(tmp_path, monkeypatch):
    from script_loader import load_script

    import rsvlm.train.run as run

    launch = load_script("launch", monkeypatch)
    sft = tmp_path / "sft.yaml"
    sft.write_text("# global_batch: 8\n" + recipe(tmp_path).read_text())
    asked = []

    def check_engine(cfg, world, ddp=False):
        asked.append((world, ddp))
        raise ValueError("the ranks' words")

    monkeypatch.setattr(run, "check_engine", check_engine)
    with pytest.raises(ValueError, match=r"sft\.yaml: the ranks' words$"):  # was its own copy of the message
        launch.build(sft, gpus_per_node=2)
    assert asked == [(2, False)]


def test_records_that_will_be_cut_are_counted_and_named_before_the_first_step(tmp_path, capsys):
    """The fit check took the shortest possible sample only: a record whose answer would be cut was named
    once drawn, the first one only; the index's length estimate left out the prompt format's system prompt
    (120 tokens here), so it is added per modality."""
    from rsvlm.train.max_length import cut_records

    lengths, ids = [100, 700, 300, 650, 900, 800, 600], ["a", "b", "c", "d", "e", "f", "g"]
    said = cut_records(lengths, ids, 512, unfit={"e"})  # e cannot fit at all: a bad sample, not a cut one
    assert said.startswith("4 of 7 records run past data.max_length=512 tokens by an estimate, e.g. "
                           "f (~800), b (~700), d (~650), …: they will be cut from the end"), said
    assert cut_records(lengths, ids, 900) is None
    data = make_records(tmp_path / "d", n=8, ir_every=0)  # rec7, the longest caption, is 241 tokens
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=1", "batch_size=4", "data.max_length=220"]
    assert train_main(argv) == 0
    assert ("warning: 1 of 8 records run past data.max_length=220 tokens by an estimate, e.g. rec7 (~241): they "
            "will be cut from the end") in capsys.readouterr().err


def test_stand_ins_take_the_last_readable_micro_batch_of_the_same_modalities():
    from rsvlm.train.batches import StandIns

    def batch(n: int, tag: str = "") -> dict:
        return {"input_ids": torch.zeros((n, 3)), "tag": tag}

    groups = ["optical", "ir", "optical", "ir"]
    one = StandIns([], groups, world=1, pad_id=0)
    assert one.update(batch(2, "opt"), [0, 2]) is None and one.update(batch(0), [1])["tag"] == "opt"  # any last one
    two = StandIns([], groups, world=2, pad_id=0)
    two.update(batch(1, "opt"), [0])
    two.update(batch(1, "ir"), [1])
    assert two.update(batch(0), [2])["tag"] == "opt" and two.last_good["tag"] == "ir"
