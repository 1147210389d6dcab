"""Training data, stop 52: band dropout draws anew each epoch."""
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def test_band_dropout_draws_other_bands_in_another_epoch(tmp_path):
    """The draw came from (seed, item) only, so a sample lost the same bands in every epoch: one fixed
    augmentation per sample instead of a new one each time it is seen."""
    from rsvlm.config import load_config
    from rsvlm.data.records import ReadReport
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.train import data as D

    subprocess.run([sys.executable, "-m", "data_gen", "synth", "--out", str(tmp_path), "--n", "6", "--seed", "5",
                    "--modalities", "msi", "--size", "32"], check=True, capture_output=True)
    path = tmp_path / "train.jsonl"
    _, processor = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml"))
    index = D.build_index(path, processor.tokenizer, dict(processor.n_tokens), ReadReport(str(path)))
    items = range(min(8, len(index)))
    ds = D.SFTDataset(index, path.parent, processor, processor.prompt, 512, band_dropout={"msi": 1.0}, seed=3)

    def planes():
        return [ds[i]["images"][0].tensor for i in items]  # (C,S,S) each

    first = planes()
    assert all(torch.equal(a, b) for a, b in zip(first, planes()))  # one epoch: the same draw on every read
    ds.set_epoch(1)
    second = planes()
    assert sum(not torch.equal(a, b) for a, b in zip(first, second)) >= len(items) // 2  # most samples: other bands
    ds.set_epoch(0)
    assert all(torch.equal(a, b) for a, b in zip(first, planes()))  # deterministic per (seed, epoch, item)


def test_records_past_the_llms_context_are_named_before_training():
    """data.max_length above the LLM's context trained positions that eval and chat refuse to ask at,
    without a word."""
    from rsvlm.train.loop import past_context

    assert past_context([100, 600, 700], 2048, 512).startswith("2 records run past the LLM's context of 512")
    assert "data.max_length=512" in past_context([600], 2048, 512)
    assert past_context([600], 384, 512) is None  # max_length within the context: nothing gets through
    assert past_context([100, 200], 2048, 512) is None  # none that long
    assert past_context([600], 384, None) is None  # a config without a context length
    assert past_context([600], 550, 512).startswith("1 record")  # cut at max_length, still past 512
