"""Stop 74, training: counts said in words that agree with them, and a Ctrl-C before a run's first step."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train import main as train_main
from rsvlm.train.config import TrainConfig


def test_training_counts_read_singular_and_plural_not_s_in_brackets():
    """The training messages wrote '1 record(s) run past', '1 ir record(s) are fewer than one global batch',
    'batch_size × 1 process(es)': words a reader had to pick from; now the count's own form, verb included."""
    import numpy as np

    from rsvlm.train.batches import no_full_batch
    from rsvlm.train.data import undrawn_groups
    from rsvlm.train.sft_index import past_context

    one = past_context([600], 2048, 512)
    assert one.startswith("1 record runs past the LLM's context of 512"), one
    assert past_context([600, 700], 2048, 512).startswith("2 records run past"), "plural"
    never = undrawn_groups(["optical"] * 7 + ["ir"], None, 4)
    assert never == [n for n in never if "(s)" not in n] and len(never) == 1, never
    assert never[0].startswith("1 ir record is fewer than one global batch (4) and is never drawn"), never
    rare = undrawn_groups(["optical"] * 6 + ["ir"] * 2, np.full(8, 1 / 16), 4)  # each ir record drawn 0.5 times
    assert rare[0].startswith("2 ir records are drawn 1.0 times an epoch"), rare
    err = str(no_full_batch("t.jsonl", ["optical"] * 3, 4, 1, True, False))
    assert "(batch_size=4 × 1 process, one modality a batch)" in err and "(s)" not in err and "(es)" not in err, err


def test_resume_notes_agree_with_their_counts(tmp_path, capsys):
    """'1 step folder(s) … are of the run that went on' and 'dropped 1 line(s)': now '1 step folder … is' and
    '1 line'."""
    from rsvlm.train.resume import note_resume

    out = tmp_path / "run"
    (out / "checkpoints" / "step_000004").mkdir(parents=True)
    (out / "metrics.jsonl").write_text('{"step": 2}\n{"step": 3}\n')
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"out_dir={out}", "max_steps=8"])
    note_resume(cfg, True, 2)
    err = capsys.readouterr().err
    assert "ckpt.resume: 1 step folder in " in err and "(step_000004) is of the run that went on" in err, err
    assert "first save removes it (give another out_dir to keep it)" in err, err  # was 'removes them'
    assert "metrics.jsonl: dropped 1 line logged after step 2" in err and "(s)" not in err, err


def _interrupted(trained: int | None, deferring: bool, saved: str = ""):
    """A stand-in for the LM loop that is sent Ctrl-C: having begun (``deferring``: the loop's SIGTERM handling on)
    and trained ``trained`` steps (None: before the loop set the count), ``saved`` a step folder in out_dir."""

    def train(cfg, checked=False, stop=None, shapes=None, scans=None):
        if saved:
            (Path(cfg.out_dir) / "checkpoints" / saved).mkdir(parents=True)
        if deferring:
            stop.defer()
        e = KeyboardInterrupt()
        if trained is not None:
            e.trained_steps = trained
        raise e

    return train


@pytest.mark.parametrize(("trained", "deferring", "when"), [
    (None, False, "before its first step (reading the config and data, building the model)"),
    (0, True, "during its first step"),
])
def test_ctrl_c_before_a_first_step_says_nothing_to_continue_from(tmp_path, monkeypatch, capsys, trained, deferring,
                                                                   when):
    """Ctrl-C before the first step said 'interrupted; no step folder was saved in OUT/checkpoints (ckpt.every sets
    how often)': a hint that more frequent saves would have kept something, where nothing had been trained."""
    import rsvlm.train.loop as loop

    monkeypatch.setattr(loop, "train", _interrupted(trained, deferring))
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}"]) == 130
    err = capsys.readouterr().err.strip()
    assert err == (f"rsvlm train: interrupted; {when}: nothing was trained or saved; run the same command again to "
                   "start it"), err


def test_ctrl_c_after_steps_still_names_the_step_folder_or_that_none_was_saved(tmp_path, monkeypatch, capsys):
    import rsvlm.train.loop as loop

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}"]
    monkeypatch.setattr(loop, "train", _interrupted(3, True))
    assert train_main(argv) == 130
    assert capsys.readouterr().err.strip().endswith("(ckpt.every sets how often)")  # 3 steps trained, none saved
    # a run resumed from its step 2 and stopped in its first step: that folder is where to go on from
    monkeypatch.setattr(loop, "train", _interrupted(0, True, saved="step_000002"))
    assert train_main(argv) == 130
    assert f"continue from {out / 'checkpoints' / 'step_000002'}" in capsys.readouterr().err


def test_the_lm_loop_says_no_ctrl_c_note_for_a_step_it_never_finished(tmp_path, monkeypatch, capsys):
    """The loop's note read 'Ctrl-C after step 0: Ctrl-C saves no step folder, nothing is lost' for a Ctrl-C in the
    first step; now it tells ``rsvlm train`` that no step was trained (``trained_steps``) and says nothing itself."""
    from rsvlm.train import loop

    def ctrl_c(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop, "check_micro_batch", ctrl_c)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "log.progress=false", "max_steps=2", "batch_size=2",
                                                      "device=cpu"])
    with pytest.raises(KeyboardInterrupt) as e:
        loop.train(cfg)
    assert e.value.trained_steps == 0 and "Ctrl-C after step" not in capsys.readouterr().err


def test_the_exit_status_section_is_a_list_a_reader_takes_in():
    """docs/training.md's exit-status-2 bullet was one 650-word sentence; now each item of the section, and each
    paragraph, stays short, the refusals grouped under their own heading, the init_from details after them."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text()
    section = text[text.index("### Exit status"):text.index("### A config built on another")]
    items = [x for x in re.split(r"\n(?=\s*\* )|\n\s*\n", section) if x.strip()]
    assert max(len(x.split()) for x in items) <= 130, sorted(len(x.split()) for x in items)[-3:]
    assert "#### Refused with exit status 2" in section
    for group in ("**The config**", "**Files**", "**`out_dir`**", "**Launcher and DeepSpeed**", "**`init_from`**",
                  "**`ckpt.resume`**", "**The records**"):
        assert f"* {group}" in section, group
    assert "nothing was trained or saved: run the same command again" in section


def test_the_training_bars_count_steps_not_its(tmp_path, capsys):
    """The LM loop's bar read 'train: 5/5 [00:01<00:00,  2.77it/s, …]' (tqdm's 'it'); now '2.77 steps/s'."""
    from rsvlm.train.logging import Metrics

    m = Metrics(tmp_path, 0, 1, 5, 0, True, False)
    try:
        assert str(m.bar.unit).strip() == "steps", m.bar.unit
        m.bar.update(1)
    finally:
        m.close()
    assert "it/s" not in capsys.readouterr().err


def test_one_record_past_max_length_or_short_of_a_batch_reads_as_one():
    """'1 of 8 records run past data.max_length … e.g. rec7 (~241): they will be cut' and '1 records (1 optical)
    cannot fill one global batch': now 'runs', no 'e.g.' before the one named, 'it', and '1 record'."""
    from rsvlm.train.batches import no_full_batch
    from rsvlm.train.max_length import cut_records

    one = cut_records([100, 241], ["a", "b"], 220, set())
    assert one.startswith("1 of 2 records runs past data.max_length=220 tokens by an estimate, b (~241): it will be "
                          "cut from the end, the end of its answer not trained"), one
    two = cut_records([300, 241], ["a", "b"], 220, set())
    assert "2 records run past" in two and "e.g. a (~300), b (~241): they will be cut" in two, two
    assert str(no_full_batch("t.jsonl", ["optical"], 4, 1, False, False)).startswith(
        "t.jsonl: 1 record (1 optical) cannot fill one global batch of 4")


def test_records_past_an_epochs_last_whole_batch_are_counted_not_left_out_unsaid(tmp_path):
    """10 records at batch_size=4 trained 8 an epoch, the other 2 left out of it without a word; now the last batch
    is filled with records drawn twice (per modality under length_grouped), counted where the run reaches an
    epoch's end."""
    from rsvlm.train.sft_index import tail_note

    cfg = load_config(TrainConfig, recipe(tmp_path), ["batch_size=4", "max_steps=4"])
    note = tail_note(["optical"] * 7 + ["sar"] * 6, cfg, 1)  # 1 + 2 to fill the last batch of each
    assert note.startswith("each epoch draws 3 records of 13 twice, to fill each modality's last global batch of 4 "
                           "(batch_size=4 × 1 process; grad_accum does not change it): every record is trained"), note
    assert tail_note(["optical"] * 8, cfg, 1) is None  # two whole batches
    assert tail_note(["optical"] * 9, cfg, 2) is not None and "of 8" in tail_note(["optical"] * 9, cfg, 2)
    short = load_config(TrainConfig, recipe(tmp_path), ["batch_size=4", "max_steps=3"])
    assert tail_note(["optical"] * 13, short, 1) is None  # 3 of the 4 batches an epoch: no epoch ends
    naive = load_config(TrainConfig, recipe(tmp_path), ["batch_size=4", "max_steps=4", "data.batching=naive"])
    assert tail_note(["optical"] * 7 + ["sar"] * 6, naive, 1).startswith(
        "each epoch draws 3 records of 13 twice, to fill its last global batch of 4 (batch_size=4 × 1 process; "
        "grad_accum does not change it)")


def test_two_zero3_bf16_processes_on_the_cpu_say_no_deepspeed_deprecation(tmp_path):
    """configs/deepspeed/zero3.json with precision=bf16 on two gloo processes ran, but wrote 8 of torch's
    'reduce_scatter_tensor is deprecated' FutureWarnings (16 lines) from DeepSpeed's ZeRO-3: nothing a user acts on."""
    pytest.importorskip("deepspeed")
    import json

    from test_train_utils import torchrun

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    cfg = recipe(tmp_path, out_dir=str(out), data={"train": str(data)})
    run = torchrun(cfg, "max_steps=2", "batch_size=1", "precision=bf16", "optim.warmup_steps=0",
                   "dist.deepspeed=configs/deepspeed/zero3.json")
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads((out / "summary.json").read_text())["steps"] == 2
    assert "is deprecated" not in run.stderr, run.stderr[-3000:]
