"""Single-process training: exact resume after SIGKILL, bad data skipped and counted, QLoRA step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from test_train_utils import REPO, make_records, recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig
from rsvlm.train.loop import TooManyBadSamples, train


@pytest.fixture
def one_thread():
    """Same thread count in every run compared bit for bit (reduction order)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def cfg_for(tmp_path: Path, data: Path, out: str, *overrides: str) -> TrainConfig:
    return load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / out}",
                                                        "log.progress=false", *overrides])


def test_kill_and_resume_gives_identical_weights(tmp_path, one_thread):
    data = make_records(tmp_path / "d", n=16)
    common = ["max_steps=6", "ckpt.every=2", "ckpt.keep=2", "batch_size=4", "optim.lr=3e-3"]
    ref = train(cfg_for(tmp_path, data, "ref", *common))
    assert ref["steps"] == 6 and ref["epochs"] == 2  # 16 records / 4 per batch: crosses into the 2nd epoch

    # the same run in a subprocess, SIGKILLed while it trains past its step-2 checkpoint
    cfg_path = recipe(tmp_path, out_dir=str(tmp_path / "killed"))
    args = [sys.executable, "-m", "rsvlm.train", "--config", str(cfg_path), f"data.train={data}",
            "log.progress=false", "slow_step_s=1.5", *common]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marker = tmp_path / "killed" / "checkpoints" / "step_000002"
    deadline = time.time() + 240
    while not marker.is_dir() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert marker.is_dir(), proc.stderr.read().decode()[-3000:] if proc.poll() is not None else "no checkpoint"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed" / "checkpoints" / "step_000006").exists()

    resumed = train(cfg_for(tmp_path, data, "killed", *common, "ckpt.resume=auto"))
    assert resumed["steps"] == 6 and resumed["steps_this_run"] < 6
    a = load_file(tmp_path / "ref" / "checkpoints" / "step_000006" / "trainable.safetensors")
    b = load_file(tmp_path / "killed" / "checkpoints" / "step_000006" / "trainable.safetensors")
    assert a.keys() == b.keys() and len(a) > 0
    for k in a:  # tolerance: none (CPU, fp32, one thread)
        assert torch.equal(a[k], b[k]), k
    first = load_file(tmp_path / "ref" / "checkpoints" / "step_000004" / "trainable.safetensors")
    assert any(not torch.equal(first[k], a[k]) for k in a)  # the weights did move in the last steps
    assert not list((tmp_path / "ref" / "checkpoints").glob("step_000002"))  # keep=2


def test_corrupt_image_and_malformed_line_are_skipped_and_counted(tmp_path):
    data = make_records(tmp_path / "d", n=12, corrupt=1, ir_every=0)  # one modality: 3 steps of 4 = one epoch
    with data.open("a") as f:
        f.write('{"id": "broken", "conversations": [\n')
    summary = train(cfg_for(tmp_path, data, "run", "max_steps=3", "data.max_bad_fraction=0.2"))
    assert summary["bad_samples"] == 1 and summary["bad_ids"] == ["rec0"]
    assert summary["malformed_records"] == 1 and summary["samples"] == 12
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved["bad_ids"] == ["rec0"]
    assert (tmp_path / "run" / "final" / "train_config.yaml").is_file()
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and all(0 < r["non_pad_fraction"] <= 1 for r in rows)
    assert any(k.startswith("loss/task/") for k in rows[0]) and any(k.startswith("loss/modality/") for k in rows[0])

    with pytest.raises(TooManyBadSamples, match=r"1 of 13 record lines are malformed .*train.jsonl:13"):
        train(cfg_for(tmp_path, data, "strict", "max_steps=3", "data.max_bad_fraction=0.05"))  # before a step
    assert not (tmp_path / "strict" / "metrics.jsonl").exists()
    clean = make_records(tmp_path / "d2", n=12, corrupt=1, ir_every=0)
    with pytest.raises(TooManyBadSamples, match="rec0"):
        train(cfg_for(tmp_path, clean, "strict2", "max_steps=3", "data.max_bad_fraction=0.0"))


def test_qlora_step_on_cpu(tmp_path):
    from transformers import AutoConfig, AutoModelForCausalLM

    from rsvlm.model.llm import byte_tokenizer

    base = tmp_path / "base"
    cfg0 = load_config(TrainConfig, recipe(tmp_path))
    llm_conf = dict(cfg0.model.llm.config)
    llm = AutoModelForCausalLM.from_config(AutoConfig.for_model(llm_conf.pop("model_type"), **llm_conf))
    llm.save_pretrained(base)
    byte_tokenizer().save_pretrained(base)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = cfg_for(tmp_path, data, "q", "max_steps=2", "batch_size=2", "model.llm.config=null",
                  f"model.llm.name_or_path={base}", "model.llm.load_in_4bit=true", "ckpt.every=1")
    summary = train(cfg)
    assert summary["steps"] == 2 and summary["bad_samples"] == 0
    step1 = load_file(tmp_path / "q" / "checkpoints" / "step_000001" / "trainable.safetensors")
    step2 = load_file(tmp_path / "q" / "checkpoints" / "step_000002" / "trainable.safetensors")
    lora = [k for k in step2 if "lora_B" in k]
    assert lora and any(not torch.equal(step1[k], step2[k]) for k in lora)
    assert all(torch.isfinite(v).all() for v in step2.values())
    assert (tmp_path / "q" / "final" / "adapter").is_dir()  # adapter-only: the 4-bit base stays on disk
    assert not (tmp_path / "q" / "final" / "llm").exists()


def test_pointer_loss_is_trained_and_logged_on_grounding_records(tmp_path):
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for i, r in enumerate(rows):  # every record becomes a [ground] question about one box
        x = 100 * (i % 8)
        r["task"] = "ground"
        r["conversations"] = [{"from": "human", "value": "<image>\n[ground] Where is the ship?"},
                              {"from": "gpt", "value": f"<box><loc_{x}><loc_200><loc_{x + 150}><loc_350></box>"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = train(cfg_for(tmp_path, data, "p", "max_steps=4", "batch_size=4", "log.every=1",
                            "loss.pointer_weight=1.0"))
    assert summary["steps"] == 4 and summary["bad_samples"] == 0
    logged = [json.loads(line) for line in (tmp_path / "p" / "metrics.jsonl").read_text().splitlines()]
    ptr = [r["pointer_loss"] for r in logged]
    assert len(ptr) == 4 and all(0 < v < 20 for v in ptr)
    off = train(cfg_for(tmp_path, data, "q", "max_steps=1", "batch_size=4", "log.every=1"))
    assert off["steps"] == 1
    assert "pointer_loss" not in json.loads((tmp_path / "q" / "metrics.jsonl").read_text().splitlines()[0])


def test_extra_record_files_use_their_own_image_root_and_weight(tmp_path):
    main = make_records(tmp_path / "a", n=8, ir_every=0)
    extra = make_records(tmp_path / "b", n=8, seed=1, ir_every=0)
    (tmp_path / "b" / "images").rename(tmp_path / "b" / "pics")  # not under a/: a wrong root cannot read them
    rows = [json.loads(line) for line in extra.read_text().splitlines()]
    for r in rows:  # a task of their own, so the metrics show whether they were drawn
        r["images"][0]["path"] = r["images"][0]["path"].replace("images/", "pics/")
        r["task"], r["id"] = "count", "b_" + r["id"]
        r["conversations"] = [{"from": "human", "value": "<image>\n[count] How many fields?"},
                              {"from": "gpt", "value": "1"}]
    extra.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"id": "broken", \n')
    src = f"data.extra=[{{path: {extra}, weight: 4}}]"
    summary = train(cfg_for(tmp_path, main, "run", "max_steps=4", "batch_size=4", "log.every=1",
                            "data.max_bad_fraction=0.1", src))  # 1 malformed line of 25: under 0.1
    assert summary["bad_samples"] == 0 and summary["malformed_records"] == 1  # the broken line of b/
    logged = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    drawn = sum("loss/task/count" in r for r in logged)
    assert drawn >= 2  # p(a count record) = 4/5 per draw at weight 4: a batch of 4 without one is rare

    from rsvlm.train.inputs import NoImageFound

    # under a/'s root none of its images is there: refused before the run (was TooManyBadSamples 50 samples in)
    with pytest.raises(NoImageFound, match=r"of data\.extra\[0\]\.path; .* set data\.extra\[0\]\.root to"):
        train(cfg_for(tmp_path, main, "wrong", "max_steps=2", "batch_size=4", "data.max_bad_fraction=0.1",
                      f"data.extra=[{{path: {extra}, root: {tmp_path / 'a'}, weight: 4}}]"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"id": "x"}\n')
    with pytest.raises(ValueError, match="empty.jsonl: no usable record"):
        train(cfg_for(tmp_path, main, "empty", "max_steps=1", f"data.extra=[{{path: {empty}}}]"))
    with pytest.raises(ValueError, match=r"data.extra\[0\].*weight"):
        train(cfg_for(tmp_path, main, "w0", "max_steps=1", f"data.extra=[{{path: {extra}, weight: 0}}]"))


def test_augmented_training_draws_mirror_views_and_counts_the_same_samples(tmp_path):
    """data.augment=dihedral: every sample is read (none lost or counted bad), the loss is that of
    other inputs than the plain run's (the views were used), and a bad value is refused."""
    data = make_records(tmp_path / "d", n=12, corrupt=1, ir_every=0)
    plain = train(cfg_for(tmp_path, data, "plain", "max_steps=3", "data.max_bad_fraction=0.2"))
    aug = train(cfg_for(tmp_path, data, "aug", "max_steps=3", "data.max_bad_fraction=0.2", "data.augment=dihedral"))
    assert aug["samples"] == plain["samples"] == 12 and aug["bad_ids"] == plain["bad_ids"] == ["rec0"]
    def losses(run: str) -> list[float]:
        return [json.loads(line)["loss"] for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]

    assert losses("aug")[0] != losses("plain")[0]
    with pytest.raises(ValueError, match="data.augment"):
        train(cfg_for(tmp_path, data, "bad", "max_steps=1", "data.augment=rotate"))


def test_a_step_folder_exports_as_the_model_training_had_at_that_step(tmp_path, one_thread, monkeypatch, capsys):
    from script_loader import load_script

    from rsvlm.model.vlm import RSVLM
    from rsvlm.train.loop import build_model

    data = make_records(tmp_path / "d", n=8)
    train(cfg_for(tmp_path, data, "run", "max_steps=2", "ckpt.every=2", "batch_size=4", "optim.lr=3e-3"))
    step = tmp_path / "run" / "checkpoints" / "step_000002"
    export = load_script("export_step", monkeypatch)
    assert export.main([str(step), "--out", str(tmp_path / "exported")]) == 0
    final = RSVLM.from_pretrained(tmp_path / "run" / "final").state_dict()
    exported = RSVLM.from_pretrained(tmp_path / "exported").state_dict()
    assert final.keys() == exported.keys()
    for k in final:  # the frozen parts rebuilt from the seed, the trained ones from the folder
        assert torch.equal(final[k], exported[k]), k
    start, _ = build_model(load_config(TrainConfig, step / "train_config.yaml"), torch.device("cpu"))
    moved = [n for n, p in start.named_parameters() if p.requires_grad and not torch.equal(p, exported[n])]
    assert moved  # the export holds the trained weights, not the starting ones

    (step / "trainable.safetensors").unlink()
    import rsvlm.train.loop as loop

    def no_build(*a, **k):
        raise AssertionError("the model was built before the weights were looked for")

    monkeypatch.setattr(loop, "build_model", no_build)
    assert export.main([str(step), "--out", str(tmp_path / "again")]) == 2
    err = capsys.readouterr().err  # a plain-engine folder: it was called a DeepSpeed one ("zero_to_fp32 first")
    assert "half-written or damaged step folder" in err and "DeepSpeed" not in err, err
    assert not (tmp_path / "again").exists()
