"""Tour 54 of training's preflight: bad configs refused before a run builds or writes anything (exit 2,
the key named), not found mid-run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.model import llm, stem
from rsvlm.model.vlm import VLMConfig

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs/model/tiny.yaml"


def test_a_stem_with_an_unknown_interpolation_is_refused_when_built():
    """It was built, then every image was refused at its first resize (a bad sample each)."""
    with pytest.raises(ValueError, match=r"stem 'optical': interpolation must be one of \('bilinear', 'bicubic'\), "
                                         r"got 'nearest'"):
        stem.Stem(stem.StemConfig(interpolation="nearest"), width=8)
    assert stem.Stem(stem.StemConfig(interpolation="bilinear"), width=8).modality == "optical"


@pytest.mark.parametrize("field,value,says", [("loc_init", "zeros", "llm.loc_init must be 'random' or 'sincos'"),
                                              ("pad_vocab_multiple", 0, "llm.pad_vocab_multiple must be >= 1")])
def test_build_llm_refuses_a_bad_value_before_it_loads_anything(tmp_path, field, value, says):
    """Both were checked once the LLM had been loaded or built (minutes for a 7B model): a folder that is
    not there shows that the check now comes first."""
    cfg = replace(load_config(VLMConfig, TINY).llm, name_or_path=str(tmp_path / "no_model"), config=None,
                  **{field: value})
    with pytest.raises(ValueError, match=says):
        llm.build_llm(cfg)
    with pytest.raises(FileNotFoundError, match="no_model not found"):  # the same config, the value put right
        llm.build_llm(replace(cfg, loc_init="random", pad_vocab_multiple=1))


class _Stop(Exception):
    pass


def test_train_runs_preflight_unless_told_it_has_run(monkeypatch):
    """``rsvlm train`` runs preflight itself (its exit status 2) and then ``train``, which ran it again;
    ``checked=True`` says it has run. Stopped where the run would start its processes."""
    from rsvlm.train import loop
    from rsvlm.train.config import TrainConfig

    calls = []
    monkeypatch.setattr(loop, "preflight", calls.append)

    def stop(*_a, **_k):
        raise _Stop

    monkeypatch.setattr(loop, "setup_distributed", stop)
    cfg = TrainConfig()
    with pytest.raises(_Stop):
        loop.train(cfg, checked=True)
    assert calls == []
    with pytest.raises(_Stop):
        loop.train(cfg)
    assert calls == [cfg]


SFT = str(REPO / "configs/train/sft_tiny.yaml")


@pytest.fixture
def records(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text('{"id": "a", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\\nhi"}, '
                    '{"from": "gpt", "value": "ok"}]}\n')
    return path


def _train(records: Path, out: Path, *overrides: str) -> int:
    from rsvlm.train import main

    return main(["--config", SFT, f"data.train={records}", f"out_dir={out}", "log.progress=false", *overrides])


def _checkpoint_like(root: Path) -> Path:
    """An rsvlm checkpoint's layout (llm/ in Hugging Face layout, tokenizer/), the files empty."""
    (root / "llm").mkdir(parents=True)
    (root / "tokenizer").mkdir()
    for name in ("llm/config.json", "llm/model.safetensors", "tokenizer/tokenizer.json", "config.yaml"):
        (root / name).write_text("{}")
    return root


@pytest.mark.parametrize("case,says", [
    ("empty_llm", "model.llm.name_or_path: {tmp}/empty holds no Hugging Face model: no config.json and no "
                  "model.safetensors or model.safetensors.index.json"),
    ("checkpoint_llm", "holds no Hugging Face model: no config.json and no model.safetensors or "
                       "model.safetensors.index.json or pytorch_model.bin or pytorch_model.bin.index.json; "
                       "{tmp}/ck is an rsvlm checkpoint, whose LLM is {tmp}/ck/llm"),
    ("no_tokenizer", "model.llm.name_or_path: {tmp}/ck/llm holds no tokenizer (tokenizer.json, tokenizer.model, "
                     "vocab.json, …); give model.llm.tokenizer (its checkpoint's is {tmp}/ck/tokenizer)"),
    ("checkpoint_tokenizer", "model.llm.tokenizer: {tmp}/ck holds no tokenizer (tokenizer.json, tokenizer.model, "
                             "vocab.json, …); {tmp}/ck is an rsvlm checkpoint, whose tokenizer is {tmp}/ck/tokenizer"),
    ("llm_file", "model.llm.name_or_path: {tmp}/ck/config.yaml is a file; give the folder it is in"),
    ("encoder", "encoder pretrained: {tmp}/empty is a folder, not a file (model.encoders.sar.pretrained: an "
                "open_clip-layout safetensors or torch state dict file)"),
])
def test_a_local_model_file_that_is_not_there_is_refused_before_the_run(records, tmp_path, capsys, case, says):
    """Each exited 1 after out_dir/train_config.yaml was written, with transformers' 'Unrecognized model in …
    Should have a `model_type` key' or a page on converting slow tokenizers; now exit 2, the key named."""
    (tmp_path / "empty").mkdir()
    ck = _checkpoint_like(tmp_path / "ck")
    overrides = {
        "empty_llm": [f"model.llm.name_or_path={tmp_path / 'empty'}", "model.llm.config=null"],
        "checkpoint_llm": [f"model.llm.name_or_path={ck}", "model.llm.config=null"],
        "no_tokenizer": [f"model.llm.name_or_path={ck / 'llm'}", "model.llm.config=null"],
        "checkpoint_tokenizer": [f"model.llm.tokenizer={ck}"],
        "llm_file": [f"model.llm.name_or_path={ck / 'config.yaml'}", "model.llm.config=null"],
        "encoder": [f"model.encoders.sar.pretrained={tmp_path / 'empty'}"],
    }[case]
    out = tmp_path / "run"
    assert _train(records, out, *overrides) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says.format(tmp=tmp_path) in err[0], err
    assert not out.exists()


def test_the_checkpoints_own_llm_and_tokenizer_pass(records, tmp_path):
    from rsvlm.model.checks import check_model_files
    from rsvlm.train.config import TrainConfig

    ck = _checkpoint_like(tmp_path / "ck")
    cfg = load_config(TrainConfig, SFT, [f"model.llm.name_or_path={ck / 'llm'}", "model.llm.config=null",
                                         f"model.llm.tokenizer={ck / 'tokenizer'}"])
    assert check_model_files(cfg.model) is None
    (ck / "llm/model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="no model.safetensors or"):
        check_model_files(cfg.model)
    assert check_model_files(cfg.model, lm=False) is None  # a contrastive run builds no LLM


def test_build_llm_names_the_key_for_a_folder_without_a_model(tmp_path):
    """Loading a model outside training (chat, eval) said "Unrecognized model in DIR. Should have a
    `model_type` key in its config.json"."""
    cfg = replace(load_config(VLMConfig, TINY).llm, name_or_path=str(tmp_path), config=None)
    with pytest.raises(FileNotFoundError, match=r"^llm\.name_or_path: .* holds no Hugging Face model: no config\.json"):
        llm.build_llm(cfg)
