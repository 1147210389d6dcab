"""Training lead 72: the launcher names a missing dist.deepspeed with the other missing paths and a lone missing
model path up front; a converter's --out named like a records file is refused; the build's tiny-budget warm-up
and its batch checks right after the data stage."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_loader import load_script

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


def launch_err(monkeypatch, capsys, tmp_path, *over: str) -> str:
    """scripts/launch.py's refusal (exit 2) of sft_tiny on one torchrun process with ``over``."""
    launch = load_script("launch", monkeypatch)
    monkeypatch.chdir(REPO)
    (tmp_path / "train.jsonl").write_text('{"id": "a"}\n')  # there: the paths checked come first
    code = launch.main([str(SFT), "--gpus-per-node", "1", "--launcher", "torchrun", f"out_dir={tmp_path}/run",
                        f"data.train={tmp_path}/train.jsonl", *over])
    err = capsys.readouterr().err
    assert code == 2, err
    return err


def test_a_missing_deepspeed_file_is_named_with_the_other_missing_paths(tmp_path, monkeypatch, capsys):
    """A missing dist.deepspeed was refused alone, before the other paths were looked at: one fix, one more run."""
    err = launch_err(monkeypatch, capsys, tmp_path, f"data.train={tmp_path}/none.jsonl",
                     "dist.deepspeed=configs/deepspeed/zero9.json")
    assert "2 paths the config names are not there (fix them all, then run again):" in err, err
    assert "dist.deepspeed: configs/deepspeed/zero9.json not found" in err, err
    assert f"data.train: records file not found: {tmp_path}/none.jsonl" in err, err


def test_a_lone_missing_deepspeed_file_is_said_as_before(tmp_path, monkeypatch, capsys):
    err = launch_err(monkeypatch, capsys, tmp_path, "dist.deepspeed=configs/deepspeed/zero9.json")
    assert f"{SFT}: dist.deepspeed: DeepSpeed config not found: configs/deepspeed/zero9.json" in err, err
    assert "configs/deepspeed holds zero2.json" in err, err


@pytest.mark.parametrize("key", ["pretrained", "init_from"])
def test_a_lone_missing_model_path_is_named_by_the_launcher(tmp_path, monkeypatch, capsys, key):
    """Under the launcher a single missing model path was left to the ranks (each said it, then 'no step folder')."""
    over = (f"model.encoders.default.pretrained={tmp_path}/clip.safetensors" if key == "pretrained" else
            f"init_from={tmp_path}/align")
    err = launch_err(monkeypatch, capsys, tmp_path, over)
    said = (f"{tmp_path}/clip.safetensors not found (model.encoders.default.pretrained" if key == "pretrained" else
            f"init_from: no {tmp_path}/align/vision.safetensors")
    assert said in err, err
    assert "paths the config names" not in err, err


@pytest.mark.parametrize("name", ["dota.jsonl", "out.JSON"])
def test_a_converters_out_named_like_a_records_file_is_refused(tmp_path, name):
    """``convert dota --out dota.jsonl`` made a folder named dota.jsonl, unsaid."""
    from data_gen.convert import convert
    from data_gen.convert.common import ConversionError

    with pytest.raises(ConversionError, match=r"--out is a folder \(its records go in .*/records\.jsonl") as e:
        convert(["dota", "--src", str(tmp_path), "--out", str(tmp_path / name)])
    assert str(tmp_path / name) in str(e.value)
    assert not (tmp_path / name).exists()


def test_an_existing_folder_named_like_a_records_file_is_still_an_out(tmp_path):
    from data_gen.convert.common import Output

    (tmp_path / "old.jsonl").mkdir()
    Output(tmp_path / "old.jsonl", source="dota").close()


def test_a_tiny_budget_scales_the_warm_up_and_says_so_once(monkeypatch, tmp_path, capsys):
    """--budget-minutes 0.2 trains 10 steps a stage: every stage warned that warmup_steps=20 is not below them."""
    import sys

    from test_train_utils import make_records

    b = load_script("build_default_model", monkeypatch)
    assert b.stage_steps("align", 1.0) == (200, 20, None)  # the recipe's budget: as the YAML says
    assert b.stage_steps("align", 0.2 / 110) == (10, 20, 1)  # 10 % of the steps, as in the YAML
    assert b.stage_steps("pretrain_encoder", 0.2 / 110)[2] is None  # no warm-up to scale
    ran = []
    monkeypatch.setattr(sys.modules["build_stages"], "run", lambda cmd, **_: ran.append(cmd))
    out = tmp_path / "out"
    make_records(out / "data" / "train", n=40, ir_every=0)
    b.STAGES["align"](out, b.BuildConfig(), 0.2 / 110)
    assert "max_steps=10" in ran[0] and "optim.warmup_steps=1" in ran[0], ran
    monkeypatch.setattr(b, "STAGES", {n: (lambda out, bc, scale: None) for n in b.STAGES})
    assert b.main(["--out", str(tmp_path / "b"), "--budget-minutes", "0.2"]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if "warm-up" in line]
    assert len(said) == 1, said
    assert "the warm-up of 6 stages is scaled as their steps are (optim.warmup_steps align 20 → 1" in said[0]


def test_a_split_too_small_for_a_later_stages_batch_stops_the_build_right_after_the_data_stage(monkeypatch, tmp_path):
    """warmup_scenes=20 made 18 records for a batch of 32: found when ground_warmup started, minutes in."""
    import sys

    from test_train_utils import make_records

    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(sys.modules["build_stages"], "run", lambda cmd, **_: ran.append(cmd))
    out = tmp_path / "out"

    def data(out, bc, scale):
        for split, n in (("train", 40), ("warmup", 18), ("multi", 5)):
            make_records(out / "data" / split, n=n, ir_every=0)

    monkeypatch.setitem(b.STAGES, "data", data)
    names = ["data", "tokenizer", "pretrain_encoder", "align", "ground_warmup", "ground_multi"]
    monkeypatch.setitem(b.STAGES, "tokenizer", lambda *_: pytest.fail("the build went on"))
    with pytest.raises(ValueError) as e:
        b.build(out, b.BuildConfig(warmup_scenes=20, multi_scenes=6), 1.0, names, False, False)
    said = str(e.value)
    assert said.startswith("before any training: stage ground_warmup: 18 records (18 optical)"), said
    assert "\n  stage ground_multi: 5 records" in said and "raise multi_scenes in build.yaml (now 6)" in said, said
    assert "align" not in said.split("\n")[0].split("cannot")[0] and ran == []
    assert (out / "data" / "DONE").is_file()  # the message says to delete it


def children_names(pid: int) -> dict[str, str]:
    """``pid``'s child processes (of any of its threads) by pid: their names, as /proc has them now (a child
    or thread that ends while it is read is left out)."""
    names = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for child in (task / "children").read_text().split():
                names[child] = Path(f"/proc/{child}/comm").read_text().strip()
        except OSError:  # ended as it was read
            continue
    return names


def test_torchrun_run_as_its_own_main_keeps_its_process_name(tmp_path, monkeypatch):
    """Run as ``python -c …`` (for its signal handling), torchrun's process was named python: pgrep/pkill
    torchrun, ps -C torchrun and top no longer found it. Its ranks keep their own names."""
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time

    if not Path("/proc/self/comm").is_file():
        pytest.skip("no /proc (not Linux): process names are read there")
    launch = load_script("launch", monkeypatch)
    exe = tmp_path / "torchrun"
    exe.write_text(f"#!{sys.executable}\nimport re\nimport sys\nfrom torch.distributed.run import main\n"
                   "if __name__ == '__main__':\n    sys.exit(main())\n")
    exe.chmod(0o755)
    shell = launch.launcher_shell(str(exe), f" --nproc_per_node 1 --no-python {shutil.which('sleep')} 60")
    proc, ranks = subprocess.Popen(shell, shell=True, stderr=subprocess.DEVNULL), []
    try:
        comm = Path(f"/proc/{proc.pid}/comm")
        for _ in range(600):  # the name is set before torch is imported; the shell exec's into it first
            if comm.read_text().strip() == "torchrun":
                break
            time.sleep(0.05)
        assert comm.read_text().strip() == "torchrun"
        names: dict[str, str] = {}
        for _ in range(600):  # (bounded: 30 s) its first child may be another: torch's import runs ldconfig
            names = children_names(proc.pid)
            ranks = [pid for pid, name in names.items() if name == "sleep"]
            if ranks:
                break
            time.sleep(0.05)
        assert ranks, f"torchrun's children: {names}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        for pid in ranks:  # the sleep it started, were it left
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_modality_weighted_0_is_no_group_too_small_to_draw():
    """align.yaml weights sar, ir and msi 0: every build's align stage warned '160 ir record(s) are fewer than one
    global batch (32) … add records of it' of records it leaves out by choice, and said 160 fewer than 32."""
    import numpy as np

    from rsvlm.train.data import undrawn_groups

    groups = ["optical"] * 40 + ["ir"] * 160
    assert undrawn_groups(groups, np.array([1 / 40] * 40 + [0.0] * 160), 32) == []
    rare = undrawn_groups(groups, np.array([0.9 / 40] * 40 + [0.1 / 160] * 160), 32)
    assert len(rare) == 1 and rare[0].startswith("160 ir records are drawn 20.0 times an epoch on average, fewer than one global "
                              "batch (32), so rarely trained on"), rare


def test_a_done_data_stage_of_other_settings_is_checked_for_batches_when_skipped(monkeypatch, tmp_path):
    """A done data stage whose warm-up split was made with 20 scenes (18 records) was skipped with a note, and the
    build trained 4 stages before the warm-up stage found that they cannot fill its batch."""
    import json

    from test_train_utils import make_records

    b = load_script("build_default_model", monkeypatch)
    out = tmp_path / "out"
    for split in ("train", "warmup", "multi"):
        make_records(out / "data" / split, n=18 if split == "warmup" else 40, ir_every=0)
    bc = b.BuildConfig(warmup_scenes=20)
    import sys

    args = sys.modules["build_stages"].split_args(bc, 20, bc.warmup_seed, "data_warmup.yaml")
    (out / "data" / "warmup" / "train.jsonl.args.json").write_text(json.dumps(args))
    (out / "data" / "DONE").write_text('{"minutes": 1, "scale": 1.0}\n')
    monkeypatch.setitem(b.STAGES, "tokenizer", lambda *_: pytest.fail("the build went on"))
    names = ["data", "tokenizer", "ground_warmup"]
    with pytest.raises(ValueError, match=r"^before any training: stage ground_warmup: 18 records"):
        b.build(out, b.BuildConfig(warmup_scenes=60), 1.0, names, False, False)
    b.build(out, b.BuildConfig(warmup_scenes=20), 1.0, ["data"], False, False)  # settings as made: no check, no stop
