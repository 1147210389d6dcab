"""What a user's own training records meet when they are wrong: counted, reported, never silently lost."""

from __future__ import annotations

import json

from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_contrastive_pretraining_reports_the_records_it_skipped(tmp_path, capsys):
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    recs = _lines(data)
    recs[0]["images"][0]["modality"] = "lidar"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "max_steps=1", "batch_size=4"]
    assert train_main(argv) == 2  # 1 malformed line of 8 is over data.max_bad_fraction's 0.01: found before the build
    assert "MalformedRecords: 1 of 8 record lines are malformed" in capsys.readouterr().err
    assert not out.exists()
    assert train_main([*argv, "data.max_bad_fraction=0.2"]) == 0
    err = capsys.readouterr().err
    assert "1 skipped (bad field images[].modality: 1)" in err and "train.jsonl:1 (id rec0)" in err
    assert "3 caption pairs from 7 records" in err  # the cls and vqa records are not captions
    summary = json.loads((out / "summary.json").read_text())
    assert summary["malformed_records"] == 1 and summary["malformed_reasons"] == {"bad field images[].modality": 1}
    assert summary["duplicate_ids"] == 0

    data.write_text("{not json\n" + json.dumps({**recs[1], "task": "detect"}) + "\n")  # nothing usable
    assert train_main([*argv, "overwrite=true"]) == 2  # no caption pair: TooFewRecords, before out_dir is touched
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "2 skipped (invalid JSON: 1, bad field task: 1)" in last and "Traceback" not in last
    assert (out / "summary.json").exists()  # the refused run removed nothing of the one before


def test_a_sample_cut_to_max_length_is_reported_and_listed(tmp_path, capsys):
    from rsvlm.train.data import collate

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    recs = _lines(data)
    for r in recs[:2]:
        r["conversations"][1]["value"] = "a very long answer " * 100
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=2", "batch_size=4", "data.batching=naive"]
    assert train_main(argv) == 0
    err = capsys.readouterr().err.splitlines()
    cut = [ln for ln in err if "cut to data.max_length=512:" in ln]  # the first one named, not every one
    assert len(cut) == 1 and "tokens, cut to" in cut[0] and ("sample rec0 " in cut[0] or "sample rec1 " in cut[0])
    assert "2 cut to data.max_length" in err[-1]  # the done line
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["cut_samples"] == 2 and summary["cut_ids"] == ["rec0", "rec1"]

    batch = collate([{"input_ids": [1, 2], "labels": [1, 2], "images": [], "task": "cap", "modality": "optical",
                      "id": "a", "cut": 900},
                     {"input_ids": [1], "labels": [1], "images": [], "task": "cap", "modality": "optical",
                      "id": "b", "cut": 0}], pad_id=0)
    assert batch["cut"] == [("a", 900)] and batch["ids"] == ["a", "b"]


def test_data_settings_that_train_nothing_are_named(tmp_path):
    import pytest

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config
    from rsvlm.train.data import mixture_weights

    with pytest.raises(ValueError, match=r"data.task_weights gives every task in the data \(\['cap', 'cls'\]\) weight 0"):
        mixture_weights(["cls", "cap"], ["optical"] * 2, task_weights={"cls": 0, "cap": 0})
    assert mixture_weights(["cls", "cap"], ["optical"] * 2, task_weights={"cls": 0}).tolist() == [0.0, 1.0]
    cfg = load_config(TrainConfig, recipe(tmp_path), ["data.train=x.jsonl", "data.modality_weights={sar: -1}"])
    with pytest.raises(ValueError, match=r"data.modality_weights\['sar'\] must be >= 0, got -1"):
        check_config(cfg)
    cfg = load_config(TrainConfig, recipe(tmp_path), ["data.train=x.jsonl", "data.max_length=0"])
    with pytest.raises(ValueError, match=r"data.max_length must be >= 1, got 0"):
        check_config(cfg)  # it made every sample bad, one line each, before failing


def test_resume_drops_a_metrics_line_cut_short_by_a_kill(tmp_path):
    from rsvlm.train.logging import trim_metrics

    (tmp_path / "metrics.jsonl").write_text('{"step": 1}\n{"step": 2}\n{"step": 3}\n{"step": 4, "lo')
    assert trim_metrics(tmp_path, 2) == 2  # it raised JSONDecodeError, so the run could not resume
    assert (tmp_path / "metrics.jsonl").read_text() == '{"step": 1}\n{"step": 2}\n'


def test_a_modality_too_small_for_one_batch_and_duplicate_ids_are_said(tmp_path, capsys):
    from rsvlm.train.data import undrawn_groups

    data = make_records(tmp_path / "d", n=8, ir_every=8)  # 7 optical, 1 ir: a batch holds one modality
    recs = _lines(data)
    recs[2]["id"] = recs[1]["id"]
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=1", "batch_size=4"]
    assert train_main(argv) == 0
    err = capsys.readouterr().err
    assert "1 ir record is fewer than one global batch (4) and is never drawn" in err  # was trained on never
    assert "1 kept with an id already read (the first repeat: 'rec1'" in err
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["duplicate_ids"] == 1
    import numpy as np

    groups = ["optical"] * 7 + ["ir"]
    assert len(undrawn_groups(groups, None, 8)) == 2  # 7 < 8 as well: both named
    assert undrawn_groups(groups, np.array([0.5 / 7] * 7 + [0.5]), 4) == []  # ir: 4 of 8 draws on average
    rare = undrawn_groups(groups, np.full(8, 1 / 8), 4)  # ir: 1 of 8 draws
    assert len(rare) == 1 and rare[0].startswith("1 ir record is drawn 1.0") and "drawn 1.0 times an epoch" in rare[0]
