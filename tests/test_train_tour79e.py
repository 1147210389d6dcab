"""Stop 79 (E), training: a resume on more records from a step folder saved at an epoch's end begins the next
epoch (it went on at the old position inside a longer plan of other batches)."""

from __future__ import annotations

import json

from test_train_utils import make_records, recipe


def test_resuming_on_more_records_after_an_epochs_end_begins_the_next_epoch(tmp_path, capsys):
    """16 records (8 micro-batches an epoch) saved at step 8, the epoch's end; 8 records added (12 an epoch):
    the resume read batches 9 to 12 of the new plan as epoch 1, so epoch 1 trained 4 micro-batches more of other
    batches and epoch 2 came late. Now epoch 2 begins at step 9 from its first batch, a note saying so."""
    from rsvlm.train import main as train_main
    from rsvlm.train.batch_plan import ended_epoch_note

    data = make_records(tmp_path / "d", n=24, ir_every=0)
    lines = data.read_text().splitlines()
    data.write_text("\n".join(lines[:16]) + "\n")
    out = tmp_path / "run"
    args = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=2", "ckpt.every=8", "optim.warmup_steps=0", "log.every=1"]
    assert train_main([*args, "max_steps=8"]) == 0
    state = json.loads((out / "checkpoints" / "step_000008" / "trainer_state_rank0.json").read_text())
    assert (state["epoch"], state["micro_in_epoch"], state["epoch_micro_batches"]) == (0, 8, 8)
    data.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert train_main([*args, "max_steps=10", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert ("note: ckpt.resume: the data position (8 micro-batches) had ended epoch 1: epoch 2 begins from the "
            "first batch of these records") in err, err
    metrics = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    epochs = {ln["step"]: ln["epoch"] for ln in metrics if "epoch" in ln}
    assert [epochs[s] for s in (8, 9, 10)] == [1, 2, 2], epochs
    state = json.loads((out / "checkpoints" / "step_000010" / "trainer_state_rank0.json").read_text())
    assert (state["epoch"], state["micro_in_epoch"], state["epoch_micro_batches"]) == (1, 2, 12)
    # the same records, a position inside its epoch, or a state without the epoch's length: nothing is said
    assert ended_epoch_note({"epoch": 0, "micro_in_epoch": 8, "epoch_micro_batches": 8}, moved=False) is None
    assert ended_epoch_note({"epoch": 0, "micro_in_epoch": 5, "epoch_micro_batches": 8}, moved=True) is None
    assert ended_epoch_note({"epoch": 0, "micro_in_epoch": 8}, moved=True) is None
