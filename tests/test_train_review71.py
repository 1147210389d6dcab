"""Review of training tour 71: a stage on a merged model carries that model's merged_lora.json into its final/
only where its LLM base is the merged model's llm/ (as written, or through a link), and a merge of that final/
records the adapters of both; a base that merely sits beside an unrelated merged_lora.json records none."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_train_utils import make_records, recipe


def _carried(name: str, tmp_path: Path) -> set[str]:
    """The hashes ``carry_merged`` writes into a fresh folder for a run whose ``model.llm.name_or_path`` is ``name``."""
    from rsvlm.model.weights import merged_adapters
    from rsvlm.train.init_from import carry_merged

    out = Path(os.path.abspath(tmp_path / "outs" / f"{len(list((tmp_path / 'outs').glob('*')))}"))
    out.mkdir(parents=True)
    carry_merged(SimpleNamespace(model=SimpleNamespace(llm=SimpleNamespace(name_or_path=name))), out)
    return merged_adapters(out)


def test_a_merged_llm_is_known_however_its_path_is_written_and_a_neighbour_is_not(tmp_path, monkeypatch):
    """Any base's parent folder was read for a merged_lora.json: a Hugging Face folder models/qwen beside one (of
    whatever models/ once held) was recorded as holding those adapters. A link to a merged llm/ (kept under a
    short name) recorded none, nor did '.' given from inside it."""
    from rsvlm.model.weights import record_merged

    merged = tmp_path / "merged"
    (merged / "llm").mkdir(parents=True)
    (merged / "config.yaml").write_text("llm: {name_or_path: llm}\n")
    record_merged(merged, {"a" * 64})
    (tmp_path / "short").symlink_to(merged / "llm")
    models = tmp_path / "models"
    (models / "qwen").mkdir(parents=True)
    (models / "llm").mkdir()
    record_merged(models, {"c" * 64})  # no checkpoint (no config.yaml): its llm/ is no merged model's
    (tmp_path / "outs").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in ("merged/llm", "merged/llm/", "./merged/llm", str(merged / "llm"), "merged", "short",
                 str(tmp_path / "short")):
        assert _carried(name, tmp_path) == {"a" * 64}, name
    for name in ("models/qwen", "models/llm", str(models / "qwen"), "Qwen/Qwen2-0.5B", "nowhere/llm"):
        assert _carried(name, tmp_path) == set(), name
    monkeypatch.chdir(merged / "llm")
    assert _carried(".", tmp_path) == {"a" * 64}


def test_a_stage_on_a_merged_model_records_its_adapters_through_the_next_merge(ckpt, tmp_path):
    """The whole chain the fix is for: merge-lora, a stage on the merged llm/ (here through a link), its final/ and
    its step's export carry the merged model's record; a merge of that final/ records both adapters; the first
    adapter copied back into the final/ is refused."""
    from rsvlm.config import load_config
    from rsvlm.model import load_pretrained, merge_lora
    from rsvlm.model.ckpt_files import adapter_sha256
    from rsvlm.model.weights import merged_adapters
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.loop import export_step, train

    merged = merge_lora(ckpt, tmp_path / "merged")
    first = adapter_sha256(ckpt)
    (tmp_path / "base").symlink_to(merged / "llm")
    cfg = load_config(TrainConfig, recipe(tmp_path, "sft_tiny.yaml"), [
        "log.progress=false", f"data.train={make_records(tmp_path / 'd', n=8, ir_every=0)}", "max_steps=1",
        "batch_size=4", "ckpt.every=1", f"out_dir={tmp_path / 'run'}", f"init_from={merged}",
        f"model.llm.name_or_path={tmp_path / 'base'}", "model.llm.config=null",
        f"model.llm.tokenizer={merged / 'tokenizer'}"])
    train(cfg)
    final = tmp_path / "run" / "final"
    assert merged_adapters(final) == {first}
    exported = export_step(tmp_path / "run" / "checkpoints" / "step_000001", tmp_path / "exported")
    assert merged_adapters(exported) == {first}
    again = merge_lora(final, tmp_path / "merged2")
    assert merged_adapters(again) == {first, adapter_sha256(final)}
    shutil.rmtree(final / "adapter")
    shutil.copytree(ckpt / "adapter", final / "adapter")
    with pytest.raises(ValueError, match="merged into .* weights already"):
        load_pretrained(final)
