"""Review 61: an adapter-only checkpoint (adapter/ saved with peft's save_embedding_layers=False) reloaded on its
base is the model training left in memory, new-token rows included."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_train_utils import make_records, recipe

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=[True, False], ids=["tied", "untied"])
def bare_base(request, tmp_path_factory):
    """A tiny Llama saved with its own 260-row vocabulary (no rsvlm tokens), as a downloaded base is;
    its head tied to the input embeddings (as Qwen2.5's) or not."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from rsvlm.model.llm import byte_tokenizer

    torch.manual_seed(0)
    conf = AutoConfig.for_model("llama", vocab_size=260, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                                tie_word_embeddings=request.param)
    d = tmp_path_factory.mktemp("bare")
    AutoModelForCausalLM.from_config(conf).save_pretrained(d)
    byte_tokenizer().save_pretrained(d)
    return d


def _recipe_lora() -> list[str]:
    """The LoRA settings of the default LoRA recipe's model section (configs/model/qwen2.5-1.5b.yaml)."""
    llm = yaml.safe_load((REPO / "configs/model/qwen2.5-1.5b.yaml").read_text())["llm"]
    keys = ("pad_vocab_multiple", "lora_r", "lora_alpha", "lora_dropout", "target_modules")
    return [f"model.llm.{k}={v}" if not isinstance(v, list) else f"model.llm.{k}=[{','.join(v)}]"
            for k, v in llm.items() if k in keys]


def test_an_adapter_only_checkpoint_reloads_as_the_trained_model(tmp_path, bare_base, monkeypatch):
    import torch

    import rsvlm.train.loop as loop
    from rsvlm.model import load_pretrained
    from rsvlm.train import main as train_main

    kept = {}
    save_final = loop.save_final

    def keep(engine, cfg, rank):
        kept["model"] = engine.module
        return save_final(engine, cfg, rank)

    monkeypatch.setattr(loop, "save_final", keep)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", "max_steps=3", "optim.warmup_steps=1", f"model.llm.name_or_path={bare_base}",
            "model.llm.config=null", *_recipe_lora()]
    assert train_main(argv) == 0
    trained = kept["model"].eval()
    assert trained.cfg.llm.pad_vocab_multiple == 64 and trained.cfg.llm.lora_token_rows  # the recipe's settings
    assert (out / "final" / "adapter").is_dir() and not (out / "final" / "llm").exists()  # adapter-only

    # the new-token rows did train (a delta starts as its row of the base): else the test shows nothing
    wrapped = [m for m in trained.llm.modules() if hasattr(m, "trainable_tokens_delta")]
    moved = [bool((m.trainable_tokens_delta["default"] != m.base_layer.weight[m.token_indices["default"]]).any())
             for m in wrapped if hasattr(m, "base_layer")]
    assert any(moved), moved

    loaded, _ = load_pretrained(out / "final")
    loaded.eval()
    added = trained.special.added
    ids = torch.tensor([[1, 72, 101, *added[:8], *added[-8:], 108, 2]])  # bytes and rsvlm's tokens
    with torch.no_grad():
        a, b = trained.llm(input_ids=ids).logits, loaded.llm(input_ids=ids).logits
    assert a.shape == b.shape and a.shape[-1] % 64 == 0  # every row, the padding ones too
    assert torch.equal(a, b), (a - b).abs().max()
    ta, tb = trained.state_dict(), loaded.state_dict()
    vision = [k for k in ta if not k.startswith("llm.")]
    assert vision and all(torch.equal(ta[k], tb[k]) for k in vision)


@pytest.mark.parametrize("llm", ["base", "config"])
def test_a_lora_training_run_builds_its_llm_on_meta_once(tmp_path, bare_base, monkeypatch, llm):
    """preflight's LoRA checks build the LLM on meta (shapes only), and training's create_model built it again (for
    its own LoRA checks and a local base's saved-shapes check): one build now serves both (create_model's shapes=)."""
    import transformers

    from rsvlm.train import main as train_main

    builds = []
    from_config = transformers.AutoModelForCausalLM.from_config.__func__

    def counted(cls, *a, **k):
        model = from_config(cls, *a, **k)
        builds.append(next(model.parameters()).device.type)
        return model

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_config", classmethod(counted))
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    source = [f"model.llm.name_or_path={bare_base}", "model.llm.config=null"] if llm == "base" else []
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "batch_size=4", "max_steps=1", *source]
    assert train_main(argv) == 0
    assert builds.count("meta") == 1, builds
