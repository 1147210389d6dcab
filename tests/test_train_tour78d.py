"""Stop 78 (P5), training round 2: a resume on fewer records reads its epoch numbers plainly; under
``scripts/launch.py`` a rank leaves the Ctrl-C "nothing is lost" line to the launcher; a contrastive run removes an
earlier start's setup.log. (The 2-rank Ctrl-C run under launch.py is tests/test_train_tour78b.py's.)"""

from __future__ import annotations

import json

from test_train_utils import make_records, recipe


def test_resuming_on_fewer_records_begins_the_saved_epoch_again_not_epoch_2(tmp_path, capsys):
    """A step folder saved 5 micro-batches into epoch 1 of 16 records, resumed on 4 (2 micro-batches an epoch):
    the position was past the new epoch's end, which was taken as done, so the bar, metrics.jsonl and
    summary.json read epoch 2 at the first step. Now epoch 1 begins again from these records' first batch, the
    note saying so, and the three agree (epoch 2 comes after its 2 micro-batches)."""
    from rsvlm.train import main as train_main
    from rsvlm.train.batch_plan import past_end_note

    data = make_records(tmp_path / "d", n=16, ir_every=0)
    out = tmp_path / "run"
    args = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=2", "ckpt.every=5", "optim.warmup_steps=0", "log.every=1"]
    assert train_main([*args, "max_steps=5"]) == 0
    state = json.loads((out / "checkpoints" / "step_000005" / "trainer_state_rank0.json").read_text())
    assert (state["epoch"], state["micro_in_epoch"], state["epoch_micro_batches"]) == (0, 5, 8)
    data.write_text("\n".join(data.read_text().splitlines()[:4]) + "\n")
    capsys.readouterr()
    assert train_main([*args, "max_steps=8", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert ("note: ckpt.resume: the data position (5 micro-batches into epoch 1) is at or past the end of these "
            "records' epoch of 2: epoch 1 begins again from their first batch (its number stays 1)") in err, err
    lines = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    epochs = {ln["step"]: ln["epoch"] for ln in lines if "epoch" in ln}
    assert [epochs[s] for s in (6, 7, 8)] == [1, 1, 2], epochs
    assert json.loads((out / "summary.json").read_text())["epochs"] == 2
    # the same records, or a position inside the epoch: nothing changes (an epoch ended is the next one's start)
    assert past_end_note({"epoch": 0, "micro_in_epoch": 5}, 2, moved=False) is None
    assert past_end_note({"epoch": 0, "micro_in_epoch": 1}, 2, moved=True) is None
    assert past_end_note({"epoch": 3, "micro_in_epoch": 0}, 2, moved=True) is None
    # a position that had ended its epoch (saved with its epoch's length): the next epoch begins, as on the same
    # records (an edited record and a step folder saved at an epoch's end trained that whole epoch again)
    assert past_end_note({"epoch": 0, "micro_in_epoch": 8, "epoch_micro_batches": 8}, 8, moved=True) is None
    assert past_end_note({"epoch": 0, "micro_in_epoch": 8, "epoch_micro_batches": 8}, 2, moved=True) is None
    assert past_end_note({"epoch": 0, "micro_in_epoch": 5, "epoch_micro_batches": 8}, 2, moved=True) is not None


def test_under_launch_py_a_ranks_ctrl_c_leaves_the_resume_line_to_the_launcher(tmp_path, monkeypatch):
    """Under scripts/launch.py, rank 0 said "Ctrl-C saves no step folder, nothing is lost …" above the launcher's
    own last line naming the step folder: launch.py marks its ranks' environment (``stopping.LAUNCHED``) and a
    rank that lost nothing says nothing. A plain run (torchrun, one process) keeps its line, and a rank whose
    steps since the last folder are lost still says which (the launcher cannot know)."""
    from script_loader import load_script
    from test_train_utils import REPO

    from rsvlm.train.stopping import LAUNCHED, interrupted_note, launcher_says

    (tmp_path / "checkpoints" / "step_000003").mkdir(parents=True)
    assert interrupted_note(3, tmp_path, launched=True) is None
    assert "Ctrl-C after step 3: Ctrl-C saves no step folder, nothing is lost" in interrupted_note(3, tmp_path)
    assert "step 4 is not saved" in interrupted_note(4, tmp_path, launched=True)
    assert launcher_says({LAUNCHED: "1"}) and not launcher_says({}) and not launcher_says({LAUNCHED: "0"})
    monkeypatch.delenv(LAUNCHED, raising=False)
    assert not launcher_says()

    launch = load_script("launch", monkeypatch)
    seen = {}

    class Started:
        def __init__(self, line, **kw):
            seen.update(kw)

    monkeypatch.setattr(launch.subprocess, "Popen", Started)
    monkeypatch.setattr(launch, "wait_for", lambda start, plan: 0 if start() else 1)
    data = make_records(tmp_path / "d", n=16)
    code = launch.main([str(REPO / "configs" / "train" / "sft_tiny.yaml"), "--launcher", "torchrun",
                        "--gpus-per-node", "1", f"out_dir={tmp_path / 'run'}", f"data.train={data}", "batch_size=2"])
    assert code == 0 and seen["env"][LAUNCHED] == "1" and launcher_says(seen["env"]), seen


def test_a_contrastive_run_removes_an_earlier_starts_setup_log_and_keeps_a_users(tmp_path):
    """train_clip builds no DeepSpeed and wrote no setup.log, so an earlier LM start's (every line ``[rank N]``)
    stayed in out_dir as if this run's. Now it is removed, as the LM loop removes one (chatter.clear_setup_log);
    a file of that name that is not such a log is the user's and is kept."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.loop import train

    data = make_records(tmp_path / "d", n=8)
    kept = "my notes\n"
    for name, text in (("lm", "[rank 0] DeepSpeed built successfully\n[rank 1] DeepSpeed built successfully\n"),
                       ("user", kept)):
        out = tmp_path / name
        out.mkdir()
        (out / "setup.log").write_text(text)
        cfg = load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml", out_dir=str(out),
                                              data={"train": str(data)}),
                          ["log.progress=false", "max_steps=1", "batch_size=4"])
        train(cfg)
        assert (out / "summary.json").is_file()
        assert (out / "setup.log").exists() == (name == "user")
    assert (tmp_path / "user" / "setup.log").read_text() == kept

