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

REPO = Path(__file__).resolve().parents[1]


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
    other = tmp_path / "other"  # a checkpoint whose config.yaml names another LLM than the llm/ in it
    (other / "llm").mkdir(parents=True)
    (other / "config.yaml").write_text(f"llm: {{name_or_path: {models / 'qwen'}}}\n")
    record_merged(other, {"d" * 64})
    (tmp_path / "outs").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in ("merged/llm", "merged/llm/", "./merged/llm", str(merged / "llm"), "merged", "short",
                 str(tmp_path / "short")):
        assert _carried(name, tmp_path) == {"a" * 64}, name
    for name in ("models/qwen", "models/llm", str(models / "qwen"), "Qwen/Qwen2-0.5B", "nowhere/llm", "other/llm"):
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


def test_a_deepspeed_config_given_as_a_folder_is_told_so_and_a_crowded_folder_is_cut_short(tmp_path):
    """``dist.deepspeed=configs/deepspeed`` (the folder) said "DeepSpeed config not found", naming no file of it;
    a missing file's listing named every JSON file beside it, however many."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.deepspeed_config import load_deepspeed_config

    cfg = load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", ["batch_size=2"])
    with pytest.raises(FileNotFoundError, match=r"is a folder, not a JSON file: .*configs/deepspeed; .*holds "
                                                r"zero2\.json, zero2_offload\.json, zero3\.json, zero3_offload\.json$"):
        load_deepspeed_config(REPO / "configs" / "deepspeed", cfg, 2)
    for i in range(12):
        (tmp_path / f"run{i:02d}.json").write_text("{}")
    with pytest.raises(FileNotFoundError) as e:
        load_deepspeed_config(tmp_path / "zero9.json", cfg, 2)
    assert str(e.value).endswith("holds run00.json, run01.json, run02.json, run03.json, run04.json, run05.json, "
                                 "run06.json, run07.json, … (12 in all)"), e.value


def test_an_empty_zero_section_is_refused_without_other_settings_said_passed_over(tmp_path):
    """``"zero_optimization": {}`` was told DeepSpeed would 'pass its other settings over' (keys: none)."""
    import json

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.deepspeed_config import load_deepspeed_config

    cfg = load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", ["batch_size=2"])
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({"zero_optimization": {}}))
    with pytest.raises(ValueError) as e:
        load_deepspeed_config(path, cfg, 2)
    assert 'no "stage" (an empty section): DeepSpeed would run stage 0, without ZeRO sharding; set' in str(e.value)
    assert "passed over" not in str(e.value) and "pass its" not in str(e.value), e.value


def test_an_indexed_override_of_a_mapping_or_a_number_is_not_told_to_give_a_list():
    """``model.stems[0].bands=[R]`` and ``optim.lr[0]=1`` were told "give the whole list, model.stems=[…]" /
    "optim.lr=[…]": model.stems is a mapping (set by name) and optim.lr a number; a real list keeps its hint."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig


    def refusal(override: str) -> str:
        with pytest.raises(ConfigError) as e:
            load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", [override])
        return str(e.value)

    said = refusal("model.stems[0].bands=[R]")
    assert said.endswith("(model.stems is a mapping: its entries are set by name, model.stems.NAME.bands=[R])"), said
    assert "whole list" not in said
    assert "whole list" not in refusal("optim.lr[0]=1")
    assert refusal("data.extra[0].weight=2").endswith("give the whole list, data.extra=[…])")
