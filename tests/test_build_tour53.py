"""scripts/build_default_model.py, tour 53: a training stage whose data cannot fill one batch, and a
stage command that refuses its settings, say what to change, not "the same command resumes"."""

from __future__ import annotations

import sys

import pytest
from script_loader import load_script
from test_train_utils import make_records


def test_a_stage_whose_data_cannot_fill_one_batch_names_the_numbers_and_what_to_change(monkeypatch, tmp_path):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(sys.modules["build_stages"], "run", lambda cmd, **_: ran.append(cmd))
    out = tmp_path / "out"
    make_records(out / "data" / "warmup", n=5, ir_every=0)  # 5 optical records; the stage's batch is 32
    bc = b.BuildConfig(warmup_scenes=2)
    with pytest.raises(ValueError) as e:
        b.STAGES["ground_warmup"](out, bc, 1.0)
    says = str(e.value)
    # was: the trainer's "cannot fill one global batch" after the model was built, then "the same command
    # resumes", which failed the same way
    assert says.startswith("stage ground_warmup: 5 records (5 optical)") and "batch_size=32" in says, says
    assert "raise warmup_scenes in build.yaml (now 2)" in says and str(out / "data" / "DONE") in says
    assert "extra: {ground_warmup: [batch_size=N]}" in says and ran == []
    b.STAGES["ground_warmup"](out, b.BuildConfig(extra={"ground_warmup": ["batch_size=4"]}), 1.0)  # 5 fill one of 4
    assert len(ran) == 1 and "batch_size=4" in ran[0]


def test_a_stage_command_that_refuses_its_settings_does_not_say_the_same_command_resumes(monkeypatch, tmp_path,
                                                                                         capsys):
    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(b, "STAGES", {"one": lambda out, bc, scale: b.run([sys.executable, "-c", "raise SystemExit(2)"])})
    assert b.main(["--out", str(tmp_path / "out"), "--only", "one"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "refused its settings (exit status 2" in err[0] and "resumes" not in err[0], err


def test_the_batch_check_passes_a_stage_whose_weighted_epoch_0_alone_is_short(monkeypatch, tmp_path):
    """The trainer passes over a weighted epoch without a full batch; the check refused the stage for it."""
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(sys.modules["build_stages"], "run", lambda cmd, **_: ran.append(cmd))
    out = tmp_path / "out"
    make_records(out / "data" / "warmup", n=6, ir_every=2)  # 3 optical, 3 ir: seed 0's epoch 0 draws no 4 of one
    extra = ["batch_size=4", "seed=0", "data.modality_temperature=2"]
    b.STAGES["ground_warmup"](out, b.BuildConfig(extra={"ground_warmup": extra}), 1.0)
    assert len(ran) == 1
    with pytest.raises(ValueError, match=r"6 records \(3 ir, 3 optical\) .* batch_size=7"):
        b.STAGES["ground_warmup"](out, b.BuildConfig(extra={"ground_warmup": [*extra, "batch_size=7"]}), 1.0)


def test_an_extra_override_of_a_value_the_trainer_refuses_is_a_usage_error_before_any_stage(monkeypatch, tmp_path,
                                                                                            capsys):
    """Only unknown keys were caught up front: batch_size=0 for a late stage was found when it ran, hours in."""
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {n: (lambda name: lambda out, bc, scale: ran.append(name))(n) for n in b.STAGES})
    with pytest.raises(SystemExit) as e:
        b.main(["--out", str(tmp_path), "--only", "data", "extra={sft_chat: [batch_size=0]}"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert e.value.code == 2 and "extra.sft_chat: batch_size must be >= 1, got 0" in err, err
    assert ran == []


def test_a_stage_whose_data_file_holds_no_usable_record_says_to_make_the_data_again(monkeypatch, tmp_path):
    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(sys.modules["build_stages"], "run", lambda cmd, **_: pytest.fail("the stage ran"))
    out = tmp_path / "out"
    (out / "data" / "warmup").mkdir(parents=True)
    (out / "data" / "warmup" / "train.jsonl").write_text('{"id": "cut sh\n\n')  # a disk that filled up
    with pytest.raises(ValueError) as e:
        b.STAGES["ground_warmup"](out, b.BuildConfig(), 1.0)
    says = str(e.value)  # not "raise warmup_scenes": the scene count is not what went wrong
    assert says.startswith("stage ground_warmup: no usable record in") and "invalid JSON: 1" in says, says
    assert f"delete {out / 'data' / 'DONE'}" in says and "warmup_scenes" not in says
