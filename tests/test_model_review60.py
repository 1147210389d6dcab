"""Review of the session-60 model-loading changes: an adapter-only checkpoint's cached hub base loads from the
cache's folder without asking the hub, wherever HF_HUB_OFFLINE is unset."""

from __future__ import annotations

import shutil
import socket


def _cached_hub_base(tmp_path, base_dir, monkeypatch):
    """``base_dir`` as the Hugging Face cache's snapshot of the hub model 'acme/tiny'."""
    import huggingface_hub

    repo = tmp_path / "cache" / "models--acme--tiny"
    shutil.copytree(base_dir, repo / "snapshots" / "0123abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    return repo / "snapshots" / "0123abc"


def test_a_cached_hub_base_loads_without_asking_the_hub_where_offline_is_unset(tmp_path, base_dir, monkeypatch):
    """load_pretrained found 'acme/tiny' in the cache, then gave the name to transformers, which (HF_HUB_OFFLINE
    unset) asks the hub for the newest revision and downloads it where there is one: a load the user took for
    offline fetched weights. The base is now built from its cached folder; model.cfg keeps the name."""
    import dataclasses

    import huggingface_hub

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, load_pretrained

    _cached_hub_base(tmp_path, base_dir, monkeypatch)
    cfg = load_config(VLMConfig, "configs/model/tiny.yaml")
    cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, name_or_path="acme/tiny", config=None))
    model, _ = create_model(cfg)
    model.save_pretrained(tmp_path / "ck", adapter_only=True)

    asked: list[object] = []

    def no_network(host, *a, **k):
        asked.append(host)
        raise socket.gaierror(f"no network in this test ({host})")

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    loaded, _ = load_pretrained(tmp_path / "ck")
    assert asked == []
    assert loaded.cfg.llm.name_or_path == "acme/tiny"
    base = {k: v for k, v in model.llm.get_base_model().state_dict().items() if "lora" not in k}
    again = loaded.llm.get_base_model().state_dict()
    assert all(v.equal(again[k]) for k, v in base.items())


def test_the_grammar_modules_share_only_public_names():
    """grammar imported _WORD from grammar_pieces and _State from grammar_walk, and grammar_pieces called
    GeometryGrammar._from_lt: a name used across the grammar modules is public (WORD, State, from_lt)."""
    import ast
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "rsvlm" / "model"
    found = []
    for path in sorted(folder.glob("grammar*.py")):
        tree = ast.parse(path.read_text())
        found += [f"{path.name} imports {a.name}" for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rsvlm.")
                  for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
        found += [f"{path.name} calls {node.value.id}.{node.attr}" for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and isinstance(node.value, ast.Name) and node.value.id not in ("self", "cls")]
    assert found == []
    from rsvlm.model.grammar import GeometryGrammar, State
    from rsvlm.model.grammar_pieces import WORD

    assert callable(GeometryGrammar.from_lt) and State().mode == "text" and WORD.search("a")


def test_models_doc_says_an_adapter_only_base_may_be_a_cached_hub_name():
    """docs/models.md said an adapter-only checkpoint stores the base's absolute path, while one trained on a hub
    name stores that name and loads from the Hugging Face cache (6feb8dc)."""
    from pathlib import Path

    doc = " ".join((Path(__file__).resolve().parent.parent / "docs" / "models.md").read_text().split())
    part = doc[doc.index("**Adapter-only checkpoints**"):]
    part = part[:part.index("- **")]
    assert "hub name" in part and "Hugging Face cache" in part and "nothing is downloaded" in part


def test_a_cut_sharded_index_is_named_by_the_header_check(tmp_path, base_dir):
    """saved_shapes read model.safetensors.index.json with json.loads: a cut index was a bare JSONDecodeError
    ('Expecting value: line 1 column 1') naming no file, though its docstring promised a ValueError naming it."""
    import pytest
    from transformers import AutoModelForCausalLM

    from rsvlm.model.llm_files import saved_shapes

    AutoModelForCausalLM.from_pretrained(base_dir).save_pretrained(tmp_path / "sharded", max_shard_size="100KB")
    index = tmp_path / "sharded" / "model.safetensors.index.json"
    index.write_text(index.read_text()[:40])
    with pytest.raises(ValueError, match=r"model\.safetensors\.index\.json: not valid JSON"):
        saved_shapes(tmp_path / "sharded")
    index.write_text('{"metadata": {}}')
    with pytest.raises(ValueError, match=r"model\.safetensors\.index\.json: no weight_map"):
        saved_shapes(tmp_path / "sharded")


def test_the_model_modules_end_in_one_newline():
    """stem.py and llm.py were left ending in blank lines by the moves of this session (pycodestyle's W391)."""
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    files = [*sorted((repo / "rsvlm" / "model").glob("*.py")), repo / "rsvlm" / "inference.py"]
    assert [f.name for f in files if f.read_text().endswith("\n\n")] == []


def test_a_peft_adapter_folder_as_the_llm_is_refused_by_build_llm_too(tmp_path, base_dir):
    """llm.name_or_path at a plain peft adapter's folder: build_llm loaded it (transformers built the base its
    adapter_config.json names, then the adapter) while create_model and training refused it, pointing to a merge;
    a model built on it saves the adapter alone as its LLM. One behaviour now: build_llm refuses it too, naming the
    folder and the merge, before anything is built (test_model_tour64m: a cached hub adapter, and one that
    transformers takes anyway)."""
    import pytest
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from rsvlm.model.llm import LLMConfig, build_llm

    lora = get_peft_model(AutoModelForCausalLM.from_pretrained(base_dir), LoraConfig(r=2, target_modules=["q_proj"]))
    lora.save_pretrained(tmp_path / "adapter")
    assert not (tmp_path / "adapter" / "config.json").exists()
    cfg = LLMConfig(name_or_path=str(tmp_path / "adapter"), tokenizer=str(base_dir))
    with pytest.raises(ValueError, match=r"llm\.name_or_path: .*adapter is a peft adapter .*merge it into its base"):
        build_llm(cfg)


def test_models_doc_says_where_the_header_check_does_not_look():
    """docs/models.md named the config.json check but not that it reads the safetensors headers first, nor the
    folders it leaves to transformers (saved quantised: packed 4-bit shapes; a peft adapter: no config.json)."""
    from pathlib import Path

    doc = " ".join((Path(__file__).resolve().parent.parent / "docs" / "models.md").read_text().split())
    part = doc[doc.index("**A `config.json` that does not fit.**"):]
    part = part[:part.index("- **")]
    assert "safetensors headers" in part and "quantization_config" in part and "peft adapter" in part
