"""Review of tour 61's pre-build index (``rsvlm.train.sft_index``): its tokenizer is found as the LLM's build
finds it, and a model whose visual-token count is not the config's stops the run before a step is drawn."""

from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


class Built(Exception):
    """The loop went on to the model: the records were read, indexed and checked before."""


def _cfg(tmp_path: Path, data: Path, *overrides: str) -> TrainConfig:
    return load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "log.progress=false", "max_steps=1", *overrides])


def test_a_tokenizer_under_home_is_read_for_the_index_as_the_llm_build_reads_it(tmp_path, monkeypatch):
    """llm.tokenizer '~/tok': build_llm expands it, the pre-build index (8ff6a2b) gave it to transformers as it
    was, which refused it as a hub repo id ('Repo id must use alphanumeric chars'): a run that trained before
    stopped before the model was built."""
    import rsvlm.train.loop as loop
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.sft_index import data_processor

    home = tmp_path / "home"
    byte_tokenizer().save_pretrained(home / "tok")
    monkeypatch.setenv("HOME", str(home))
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = _cfg(tmp_path, data, "batch_size=2", "model.llm.tokenizer=~/tok")
    got = data_processor(cfg).tokenizer("a <image> b")["input_ids"]
    plain = data_processor(_cfg(tmp_path, data, f"model.llm.tokenizer={home / 'tok'}"))
    assert got == plain.tokenizer("a <image> b")["input_ids"]

    def built(*a, **k):
        raise Built

    monkeypatch.setattr(loop, "build_model", built)
    with pytest.raises(Built):
        loop.train(cfg)


def test_a_model_counting_other_visual_tokens_than_the_config_stops_before_a_step(tmp_path, monkeypatch):
    """The index's lengths and batch plan come from the config's counts (``checks.image_tokens``); a built model
    that counts otherwise is refused naming both counts, not trained on a plan of wrong lengths."""
    import rsvlm.model.checks as checks
    import rsvlm.train.loop as loop

    counts = checks.image_tokens
    monkeypatch.setattr(checks, "image_tokens", lambda *a, **k: {m: n + 4 for m, n in counts(*a, **k).items()})
    steps = []
    monkeypatch.setattr(loop, "make_engine", lambda *a, **k: steps.append(1))
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    with pytest.raises(RuntimeError, match=r"the model counts \{.*'optical': 16.*\} visual tokens per image, the config "
                                           r"\{.*'optical': 20"):
        loop.train(_cfg(tmp_path, data, "batch_size=2"))
    assert not steps and not (tmp_path / "run" / "summary.json").exists()


def test_the_index_builds_no_model_as_docs_training_says(tmp_path, monkeypatch):
    """docs/training.md said the pre-build checks' token counts 'come from a build on the meta device'; they
    come from the config (``checks.image_tokens``) and the tokenizer alone, and the docs say so."""
    import rsvlm.model.checks as checks
    import rsvlm.model.factory as factory
    from rsvlm.train.sft_index import read_train_data

    def no_build(*a, **k):
        raise AssertionError("a model was built for the index")

    monkeypatch.setattr(factory, "create_model", no_build)
    monkeypatch.setattr(checks, "meta_llm", no_build)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    got = read_train_data(_cfg(tmp_path, data, "batch_size=2"), 0, 1)
    assert len(got.index) == 8 and got.n_tokens["optical"] == 16
    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text().split())
    assert "build on the meta device, with no weights): 3 optical" not in text
    assert "no model is built for them" in text


def test_band_dropout_fills_a_band_the_file_lacks_with_the_mean_under_missing_bands_mean(tmp_path):
    """An MSI scene without B08 under data.missing_bands=mean and band dropout: 5d483f8 kept 'error' alike in
    every epoch, but under 'mean' the epochs dropout drew for the image filled B08 as a copy of a present band
    (dropout's own fill), the others with the mean: the same record's B08 changed from epoch to epoch."""
    import json as js

    from test_train_tour58 import tiny_index
    from test_train_tour61 import msi_records

    from rsvlm.train.data import SFTDataset

    recs = [js.loads(x) for x in msi_records(tmp_path, n=1).read_text().splitlines()]
    cfg, proc, index = tiny_index(tmp_path / "d", recs)
    proc.missing_bands = "mean"
    whole = SFTDataset(index, tmp_path / "d", proc, cfg.model.prompt, 512)[0]["images"][0].tensor
    assert float(whole[3].abs().max()) < 1e-6  # B08 (the stem's 4th band) at the mean: 0 once normalised
    ds = SFTDataset(index, tmp_path / "d", proc, cfg.model.prompt, 512, band_dropout={"msi": 1.0})
    for epoch in range(3):
        ds.set_epoch(epoch)
        sample = ds[0]
        assert not sample.get("bad"), sample.get("error")
        b08 = sample["images"][0].tensor[3]
        assert float(b08.abs().max()) < 1e-6, (epoch, float(b08.abs().max()))


@pytest.mark.parametrize("more", [(), ("model.projector.pool=2", "model.encoders.default.image_size=48")])
def test_the_pre_build_index_measures_records_as_the_built_models_processor_does(tmp_path, more):
    """The index's lengths (and so the batch plan) are counted before the model exists; with a pooling projector
    and another image size they are still those the model's own processor gives."""
    from rsvlm.data.records import ReadReport
    from rsvlm.model import create_model
    from rsvlm.train import data as D
    from rsvlm.train.sft_index import data_processor

    data = make_records(tmp_path / "d", n=8, ir_every=2)
    cfg = _cfg(tmp_path, data, *more)
    _, built = create_model(cfg.model, device="meta")
    pre = data_processor(cfg)
    assert dict(pre.n_tokens) == dict(built.n_tokens)
    lengths = [D.build_index(data, p.tokenizer, dict(p.n_tokens), ReadReport("t"), progress=False)["length"]
               for p in (pre, built)]
    assert lengths[0] == lengths[1] and len(lengths[0]) == 8
