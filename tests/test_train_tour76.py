"""Training, tour 76: one-image [change] records (left out of training since stop 75) are counted apart from
malformed lines, so a dataset rich in them no longer trips ``data.max_bad_fraction``."""
import json
from pathlib import Path

import pytest
from PIL import Image
from test_train_utils import recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def _rec(rid: str, n_images: int, task: str = "change") -> dict:
    q = "<image>\n" * n_images + ("[change] What changed?" if task == "change" else "[cls] What is this scene?")
    return {"id": rid, "task": task, "images": [{"path": "a.png", "modality": "optical"}] * n_images,
            "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": "New buildings."}]}


def _cfg(tmp_path: Path, recs: list[dict]) -> TrainConfig:
    Image.new("RGB", (32, 32), (90, 120, 60)).save(tmp_path / "a.png")
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "log.progress=false", "max_steps=1", "batch_size=2"])


def test_one_image_change_records_are_counted_apart_not_as_malformed(tmp_path, capsys):
    """3 of 7 records are one-image [change] ones: with data.max_bad_fraction=0.01 the run stopped with
    "3 of 7 record lines are malformed"; they are no malformed data, so the run goes on, says them apart."""
    from rsvlm.train.sft_index import read_train_data

    recs = [_rec(f"one{i}", 1) for i in range(3)] + [_rec(f"pair{i}", 2) for i in range(2)]
    recs += [_rec(f"cls{i}", 1, task="cls") for i in range(2)]
    got = read_train_data(_cfg(tmp_path, recs), 0, 1)
    assert sorted(got.index["id"]) == ["cls0", "cls1", "pair0", "pair1"]
    assert got.report.n_skipped == 0 and got.report.n_ok == 4 and got.report.unpaired_changes == 0
    assert len(got.unpaired) == 3 and got.unpaired[0].startswith(f"{tmp_path / 'train.jsonl'}:1: record one0: ") and (
        "a [change] record compares two images, before then after, got 1" in got.unpaired[0])
    err = capsys.readouterr().err
    assert "3 [change] records of other than two images left out" in err, err
    assert "counted as unpaired_change_records in summary.json, not as malformed" in err
    assert "malformed" not in err.replace("not as malformed", "")


def test_nothing_trainable_left_but_one_image_change_records_stops_saying_so(tmp_path):
    """Every record a one-image [change] one: nothing to train; the error says why, naming the first."""
    from rsvlm.train.sft_index import read_train_data

    with pytest.raises(ValueError, match=r"train.jsonl: no usable record \(.*0 skipped; 2 \[change\] records of other than "
                                         r"two images left out \(first: .*train.jsonl:1: record one0: a \[change\]"):
        read_train_data(_cfg(tmp_path, [_rec("one0", 1), _rec("one1", 3)]), 0, 1)


def test_a_run_on_data_rich_in_one_image_change_records_trains_and_counts_them(tmp_path, capsys):
    """rsvlm train on such data (3 of 7 records; data.max_bad_fraction 0.01) exited 2 before training, "3 of 7
    record lines are malformed"; it trains on the rest, summary.json counting them apart from malformed lines."""
    from rsvlm.train import main as train_main

    recs = [_rec(f"one{i}", 1) for i in range(3)] + [_rec(f"pair{i}", 2) for i in range(2)]
    recs += [_rec(f"cls{i}", 1, task="cls") for i in range(2)]
    cfg = _cfg(tmp_path, recs)
    argv = ["--config", str(recipe(tmp_path)), f"data.train={cfg.data.train}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=1", "batch_size=2", "device=cpu", "data.batching=naive"]
    assert train_main(argv) == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["unpaired_change_records"] == 3 and summary["malformed_records"] == 0 and summary["steps"] == 1


def _clip_rank(rank: int, world: int, _store: str, results: str) -> None:
    """One rank (forked: no interpreter, torch or open_clip to start) of the contrastive run the test below asks
    for in RUN.json; its stderr and every warning it raised (none filtered but by the run) in RUN_RANK.txt."""
    import contextlib
    import io
    import os
    import warnings

    import torch

    from rsvlm.train.loop import train

    torch.set_num_threads(1)  # as DataLoader's forked workers: the parent's OpenMP threads are not in a fork
    run = json.loads(Path(results, "run.json").read_text())
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(run["port"]))
    err = io.StringIO()
    with warnings.catch_warnings(record=True) as seen, contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        train(load_config(TrainConfig, run["cfg"], run["overrides"]))
    Path(results, f"{run['name']}_{rank}.txt").write_text(
        err.getvalue() + "".join(f"warning: {w.category.__name__}: {w.message}\n" for w in seen))


def test_two_process_contrastive_run_resumes_exactly_and_quietly(tmp_path):
    """Two CPU processes (gloo): open_clip's ClipLoss said torch's all_gather FutureWarning 30 times in an 8-step
    run (none the user's to act on); a resume from a step folder continues the loss curve as the whole run drew it,
    and names the folder it resumed from. Forked ranks: two torchrun launches took 46-80 s of it, mostly starting
    six interpreters."""
    import socket

    from test_train_utils import make_records, two_ranks

    import rsvlm.train.clip  # noqa: F401 (with open_clip and torch.distributed: imported once, before the forks)
    import rsvlm.train.loop  # noqa: F401

    data = make_records(tmp_path / "d", n=24, ir_every=0)
    cfg = recipe(tmp_path, "pretrain_encoder_tiny.yaml")
    common = ["device=cpu", "batch_size=4", "max_steps=3", "ckpt.every=1", "ckpt.keep=3", f"data.train={data}",
              "log.progress=false"]
    step = tmp_path / "a" / "checkpoints" / "step_000002"
    for name, extra in (("a", []), ("b", [f"ckpt.resume={step}"])):
        with socket.socket() as sock:  # a free port for the ranks' rendezvous
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        (tmp_path / "run.json").write_text(json.dumps({"name": name, "port": port, "cfg": str(cfg),
                                                       "overrides": [*common, f"out_dir={tmp_path / name}", *extra]}))
        two_ranks(_clip_rank, tmp_path, timeout_s=300)
    said = {f.stem: f.read_text() for f in tmp_path.glob("[ab]_[01].txt")}
    assert sorted(said) == ["a_0", "a_1", "b_0", "b_1"], said
    assert not any("is deprecated" in text for text in said.values()), said
    assert f"resumed contrastive pretraining at step 2 from {step}" in said["b_0"], said["b_0"]
    a, b = (json.loads((tmp_path / r / "summary.json").read_text()) for r in "ab")
    assert a["processes"] == b["processes"] == 2
    assert b["steps"] == 3 and b["steps_this_run"] == 1 and b["losses"][:2] == a["losses"][:2]
    assert b["losses"][2] == pytest.approx(a["losses"][2], abs=1e-6)
