"""Model, tour 77 (b): one safetensors header reader for the cut-file note and the base fingerprint; the
transformers-source scan for another model's config field runs once per key per build."""
import json
import struct
from pathlib import Path

import torch
from safetensors.torch import save_file


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "model.safetensors"
    save_file({"a": torch.ones(64), "b": torch.zeros(8, 8)}, str(path))
    return path


def test_the_header_reader_says_where_a_file_is_cut(tmp_path):
    from rsvlm.model.weights import cut_note, safetensors_header

    path = _file(tmp_path)
    n, header = safetensors_header(path)
    whole = path.read_bytes()
    assert set(header) == {"a", "b"} and len(whole) == 8 + n + 64 * 4 + 64 * 4 and cut_note(path) == ""
    path.write_bytes(whole[:-10])  # cut in the data: the header's end offset against the size
    assert cut_note(path).startswith(f"; its header promises {len(whole)} bytes but it holds {len(whole) - 10}: cut")
    path.write_bytes(whole[:20])  # cut inside the header: its length alone
    assert safetensors_header(path) == (n, None) and f"promises {8 + n} bytes but it holds 20" in cut_note(path)


def test_the_fingerprint_reads_headers_through_the_same_reader(tmp_path):
    from rsvlm.model.base_print import fingerprint

    path = _file(tmp_path)
    whole = path.read_bytes()
    assert fingerprint(tmp_path) is not None
    path.write_bytes(whole[:20])
    assert fingerprint(tmp_path) is None  # cut in its header: the load names it
    text = b"[1, 2]"  # a header that is JSON but no object: was an AttributeError out of fingerprint
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    assert fingerprint(tmp_path) is None
    path.write_bytes(struct.pack("<Q", 1 << 40) + json.dumps({}).encode())
    assert fingerprint(tmp_path) is None


def test_create_model_scans_transformers_sources_once_per_key(monkeypatch):
    """A key near a defined one (moe_intermediate_size beside intermediate_size) was looked up in transformers'
    ~530 configuration modules at each of the build's checks: the config check, the meta LLM for LoRA, the build
    (three times per create_model); once now, and the result is the same (a warning naming such models, a build)."""
    import dataclasses

    import pytest

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, llm_files

    real, asked = llm_files.other_models_field, []
    monkeypatch.setattr(llm_files, "other_models_field", lambda key: asked.append(key) or real(key))
    cfg = load_config(VLMConfig, Path(__file__).parents[1] / "configs/model/tiny.yaml")
    conf = {**cfg.llm.config, "moe_intermediate_size": 8, "intermediate_size": cfg.llm.config.get("intermediate_size", 64)}
    cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, config=conf),
                              trainable=dataclasses.replace(cfg.trainable, llm="lora"))
    with pytest.warns(UserWarning, match=r"moe_intermediate_size is not a LlamaConfig field \(a field of "):
        create_model(cfg, device="meta")
    assert asked == ["moe_intermediate_size"]
    scans = {}
    with pytest.warns(UserWarning):
        create_model(cfg, device="meta", scans=scans)
    assert asked == ["moe_intermediate_size"] * 2 and "qwen2_moe" in scans["moe_intermediate_size"]
