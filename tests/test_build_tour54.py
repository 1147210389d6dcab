"""scripts/build_default_model.py, tour 54: the batch check reads records that leave an image's
modality out as the trainer does (inferred from the file), not as a TypeError on None."""

from __future__ import annotations

import json
import sys

import pytest
from script_loader import load_script
from test_train_utils import make_records


def test_the_batch_check_infers_a_modality_the_records_leave_out(monkeypatch, tmp_path):
    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(sys.modules["build_stages"], "run", lambda cmd, **_: None)
    out = tmp_path / "out"
    path = make_records(out / "data" / "warmup", n=5, ir_every=0)  # train.jsonl over RGB PNGs
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for r in recs:
        del r["images"][0]["modality"]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    with pytest.raises(ValueError) as e:
        b.STAGES["ground_warmup"](out, b.BuildConfig(warmup_scenes=2), 1.0)
    assert str(e.value).startswith("stage ground_warmup: 5 records (5 optical)"), str(e.value)
