"""Training, tour 54: image files whose records leave the modality out are inferred (rsvlm.data.modality)
and their count by modality is kept in summary.json, beside the malformed-record counts."""

from __future__ import annotations

import json

from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def unnamed(path):
    """``path`` (records) with every image's modality left out."""
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for r in recs:
        for im in r["images"]:
            im.pop("modality")
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_contrastive_training_counts_the_modalities_it_inferred_in_summary_json(tmp_path, capsys):
    data = unnamed(make_records(tmp_path / "d", n=12, ir_every=4))  # 4 caption records (the only ones read): 3 RGB PNGs, 1 grey (ir)
    out = tmp_path / "clip"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", "max_steps=1"]
    assert train_main(argv) == 0
    assert "modality inferred for 4 image file(s)" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inferred_modalities"] == {"optical": 3, "ir": 1}, summary["inferred_modalities"]
