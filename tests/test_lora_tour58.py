"""LoRA targets and merges, tour 58: a LoRA on a tied head (or tied input embeddings) merged into its own
module; a LoRA target that ``lora_token_rows`` also trains refused naming both keys, before the LLM loads;
a Linear that nn.MultiheadAttention never calls refused as a target; average/compare of weight folders."""

from __future__ import annotations

import json

import pytest
import torch
from test_model_checkpoint import TINY, logits_of, make_batch, perturb_trainables

TIED = "llm.config.tie_word_embeddings=true"


def _tiny(*overrides):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, TINY, list(overrides))


@pytest.mark.parametrize("overrides", [
    ["llm.target_modules=[q_proj,lm_head]", "llm.lora_token_rows=false"],
    ["llm.target_modules=[q_proj,lm_head]", "llm.lora_token_rows=true"],  # the tied head's rows: a wrapper under the LoRA
    ["llm.target_modules=[q_proj,embed_tokens,lm_head]", "llm.lora_token_rows=false"],
])
def test_a_lora_on_tied_embeddings_merges_into_the_module_it_adapts(tmp_path, overrides):
    """Merged into the one tensor the head and the input embeddings share, the head's LoRA changed the
    input embeddings too (logits ~2 off), or the save failed on shared tensors (lora_token_rows)."""
    from rsvlm.model import create_model, load_pretrained, merge_lora
    from rsvlm.model.checkpoint import open_safetensors

    torch.manual_seed(0)
    model, proc = create_model(_tiny(TIED, *overrides))
    perturb_trainables(model)  # as training moves lora_B and the new-token rows
    ref = logits_of(model, make_batch(proc))
    out = merge_lora(model.save_pretrained(tmp_path / "ck"), tmp_path / "merged")
    merged, proc2 = load_pretrained(out)
    torch.testing.assert_close(logits_of(merged, make_batch(proc2)), ref, atol=1e-4, rtol=1e-4)
    assert json.loads((out / "llm" / "config.json").read_text())["tie_word_embeddings"] is False
    with open_safetensors(out / "llm" / "model.safetensors") as h:  # the head stored, under its own name
        assert {"lm_head.weight", "model.embed_tokens.weight"} <= set(h.keys())
        assert not any("token_adapter" in k or "lora_" in k for k in h.keys())


def test_a_tied_lora_merge_keeps_the_source_dtype_for_the_head_it_unties(tmp_path):
    """The untied head has no tensor in the source's llm/ to take its dtype from: it takes the input
    embeddings' (it was written float32 beside bfloat16 weights)."""
    from rsvlm.model import create_model, merge_lora
    from rsvlm.model.checkpoint import saved_dtypes

    torch.manual_seed(0)
    model, _ = create_model(_tiny(TIED, "llm.target_modules=[q_proj,lm_head]", "llm.lora_token_rows=false"))
    perturb_trainables(model)  # a trained LoRA: an untrained one keeps the head tied
    ck = model.save_pretrained(tmp_path / "ck")
    from safetensors.torch import load_file, save_file

    f = ck / "llm" / "model.safetensors"
    save_file({k: v.to(torch.bfloat16) for k, v in load_file(str(f)).items()}, str(f), metadata={"format": "pt"})
    dtypes = saved_dtypes([merge_lora(ck, tmp_path / "merged") / "llm" / "model.safetensors"])
    assert dtypes["lm_head.weight"] == dtypes["model.embed_tokens.weight"] == torch.bfloat16


@pytest.mark.parametrize("overrides", [
    ["llm.target_modules=[q_proj,lm_head]", "llm.lora_token_rows=false"],
    ["llm.target_modules=[q_proj,embed_tokens,lm_head]", "llm.lora_token_rows=false"],
])
def test_an_untrained_lora_on_a_tied_head_merges_without_untying(tmp_path, recwarn, overrides):
    """lora_B at its zero init changes neither the head nor the embeddings: the merge keeps them tied and
    stores no head (it untied them all the same, the merged llm/ a vocabulary x width matrix larger)."""
    from rsvlm.model import create_model, load_pretrained, merge_lora
    from rsvlm.model.checkpoint import open_safetensors

    torch.manual_seed(0)
    model, proc = create_model(_tiny(TIED, *overrides))
    ref = logits_of(model, make_batch(proc))
    out = merge_lora(model.save_pretrained(tmp_path / "ck"), tmp_path / "merged")
    assert json.loads((out / "llm" / "config.json").read_text())["tie_word_embeddings"] is True
    with open_safetensors(out / "llm" / "model.safetensors") as h:
        assert "lm_head.weight" not in h.keys()
    assert not [w for w in recwarn if "unties" in str(w.message)]
    assert not [w for w in recwarn if "tie_word_embeddings=True" in str(w.message)]  # peft's, on merging it tied
    merged, proc2 = load_pretrained(out)
    torch.testing.assert_close(logits_of(merged, make_batch(proc2)), ref, atol=1e-4, rtol=1e-4)


def test_a_lora_on_untied_heads_and_embeddings_still_merges_without_untying(tmp_path):
    from rsvlm.model import create_model, load_pretrained, merge_lora

    torch.manual_seed(0)
    model, proc = create_model(_tiny("llm.target_modules=[q_proj,lm_head]", "llm.lora_token_rows=false"))
    perturb_trainables(model)
    ref = logits_of(model, make_batch(proc))
    merged, proc2 = load_pretrained(merge_lora(model.save_pretrained(tmp_path / "ck"), tmp_path / "merged"))
    torch.testing.assert_close(logits_of(merged, make_batch(proc2)), ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("target,tie", [("lm_head", "false"), ("embed_tokens", "false"), ("embed_tokens", "true")])
def test_a_lora_target_that_lora_token_rows_trains_is_refused_naming_both_keys(monkeypatch, target, tie):
    """peft's 'TypeError: trainable_token_indices cannot be applied to modules of type …lora.layer.Linear'
    named no config key, and came once the LLM had loaded."""
    import rsvlm.model.factory as factory
    from rsvlm.model.checks import check_lora_names

    cfg = _tiny(f"llm.target_modules=[q_proj,{target}]", f"llm.config.tie_word_embeddings={tie}")

    def no_load(*a, **k):
        raise AssertionError("the LLM was loaded before the config was refused")

    monkeypatch.setattr(factory, "build_llm", no_load)
    with pytest.raises(ValueError, match=rf"^llm\.target_modules \['{target}'\] adapts .*{target}.*llm\.lora_token_rows"):
        factory.create_model(cfg)
    with pytest.raises(ValueError, match=r"^model\.llm\.target_modules .*model\.llm\.lora_token_rows=false"):
        check_lora_names(cfg)  # the training preflight's check
    check_lora_names(_tiny(f"llm.target_modules=[q_proj,{target}]", "llm.lora_token_rows=false"))


def test_apply_llm_trainability_refuses_a_token_row_target_naming_the_keys():
    """The same refusal where the LLM is wrapped without create_model (load_pretrained with trainable.llm=lora)."""
    from rsvlm.model.llm import apply_llm_trainability, build_llm

    cfg = _tiny("llm.target_modules=[q_proj,lm_head]").llm
    llm, _, ids = build_llm(cfg)
    with pytest.raises(ValueError, match=r"llm\.target_modules \['lm_head'\].*llm\.lora_token_rows"):
        apply_llm_trainability(llm, cfg, "lora", ids)


def test_an_encoder_lora_on_multihead_attention_out_proj_is_refused():
    """open_clip's nn.MultiheadAttention reads out_proj.weight itself: a LoRA there got no gradient."""
    import rsvlm.model.factory as factory
    from rsvlm.model.llm import check_lora_targets
    from rsvlm.model.vision import VisionConfig, build_encoder

    with pytest.raises(ValueError, match=r"encoders\.default\.lora_target_modules: \['out_proj'\] .*MultiheadAttention"):
        factory.create_model(_tiny("encoders.default.lora_target_modules=[c_fc,out_proj]", "trainable.encoder=lora"))
    enc = build_encoder(VisionConfig(width=64, layers=2, heads=4, patch_size=8, image_size=32))
    with pytest.raises(ValueError, match="no module") as e:
        check_lora_targets(enc, ["qkv"], "k")
    assert "c_fc" in str(e.value) and "out_proj" not in str(e.value)  # not offered as a linear layer
    hf = build_encoder(VisionConfig(type="hf_clip", hf_config={"hidden_size": 64, "num_hidden_layers": 2,
                                                               "num_attention_heads": 4, "patch_size": 8,
                                                               "image_size": 32, "intermediate_size": 128}))
    check_lora_targets(hf, ["out_proj"], "k")  # CLIPAttention calls its out_proj: a LoRA there is used


def test_an_encoder_lora_on_c_fc_gets_gradients():
    """The control: a target the block calls trains (what out_proj's LoRA never did)."""
    from rsvlm.model import create_model

    torch.manual_seed(0)
    model, proc = create_model(_tiny("encoders.default.lora_target_modules=[c_fc]", "trainable.encoder=lora"))
    model(**make_batch(proc)).logits.float().pow(2).mean().backward()
    grads = [p.grad for n, p in model.encoders["default"].named_parameters()  # lora_B: lora_A's is 0 while B is
             if "lora_B" in n and "resblocks.0." in n]                          # (feature_layer -2: block 0 only)
    assert grads and all(g is not None and g.abs().sum() > 0 for g in grads)


def test_averaging_names_the_llm_config_json_setting_that_differs(tmp_path):
    from rsvlm.model.weights import average_checkpoints

    roots = []
    for name, tie in (("a", False), ("b", True)):
        root = tmp_path / name
        (root / "llm").mkdir(parents=True)
        (root / "config.yaml").write_text("llm: {name_or_path: llm}\n")
        (root / "llm" / "config.json").write_text(json.dumps({"dtype": "float32", "tie_word_embeddings": tie}))
        from safetensors.torch import save_file

        save_file({"w": torch.zeros(2)}, str(root / "vision.safetensors"))
        roots.append(root)
    with pytest.raises(ValueError, match=r"config\.json differs .*\(tie_word_embeddings: False → True\)"):
        average_checkpoints(roots, tmp_path / "avg")


def test_compare_weights_skips_a_folder_named_like_a_weight_file(tmp_path):
    """A folder 'notes.safetensors' was opened as a file (safetensors' error on a directory)."""
    from safetensors.torch import save_file

    from rsvlm.model.weights import compare_weights

    for name in ("a", "b"):
        (tmp_path / name / "notes.safetensors").mkdir(parents=True)
        save_file({"w": torch.ones(2)}, str(tmp_path / name / "vision.safetensors"))
    rows = compare_weights(tmp_path / "a", tmp_path / "b")
    assert [(r["file"], r["name"], r["status"]) for r in rows] == [("vision.safetensors", "w", "same")]
