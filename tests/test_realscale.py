"""Real-scale configs built on the meta device (shapes only, no weights, no RAM): published sizes,
LoRA trainable counts of the default recipe from the layer shapes, visual tokens, memory plan."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from conftest import load_script

REPO = Path(__file__).resolve().parents[1]
RECIPES = REPO / "configs" / "train" / "recipes"


mp = load_script("memory_plan")

# config → (default recipe, published LLM size, visual tokens per image). Published sizes: model cards
# (Vicuna-7B v1.5 is Llama-2-7B's 6.74B; Qwen2.5: 1.54B and 7.61B, cards round the latter to 7.62B).
CASES = {
    "geochat-7b": ("geochat-7b-sft", 6.74e9, 1296),
    "qwen2.5-1.5b": ("qwen2.5-1.5b-sft", 1.54e9, 144),
    "qwen2.5-7b": ("qwen2.5-7b-sft", 7.62e9, 256),
    "qwen2.5-1.5b-multisensor": ("qwen2.5-1.5b-multisensor-sft", 1.54e9, 144),
}
VIT_L14_VISION = 303e6  # CLIP ViT-L/14 image tower without its contrastive projection


def _recipe_model(recipe: str):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    return load_config(TrainConfig, RECIPES / f"{recipe}.yaml").model


@pytest.fixture(scope="module")
def built():
    """Each default recipe's full-size model on the meta device, built once."""
    out = {}
    for name, (recipe, _, _) in CASES.items():
        cfg = mp.offline(_recipe_model(recipe))
        out[name] = (cfg, mp.build_meta(cfg))
    return out


def _within(value: float, published: float, tol: float = 0.005) -> bool:
    return abs(value - published) / published <= tol


@pytest.mark.parametrize("name", list(CASES))
def test_llm_architecture_has_the_published_size(name, built):
    cfg, model = built[name]
    bare = mp.bare_llm_meta(cfg.llm.config)
    assert next(bare.parameters()).is_meta
    n = mp.n_params(bare)
    assert _within(n, CASES[name][1]), f"{name}: {n / 1e9:.4f} B vs published {CASES[name][1] / 1e9} B"
    # the VLM's LLM is that architecture: same non-embedding parameters, same layer count
    def body(m):
        return sum(p.numel() for k, p in m.named_parameters()
                   if not re.search(r"embed_tokens|lm_head|lora_|trainable_tokens", k))
    assert body(model.llm) == body(bare)
    assert model.llm.config.get_text_config().num_hidden_layers == cfg.llm.config["num_hidden_layers"]


@pytest.mark.parametrize("name", list(CASES))
def test_vision_tower_is_vit_l14_and_visual_tokens(name, built):
    cfg, model = built[name]
    for enc_name, enc in model.encoders.items():
        n = sum(p.numel() for k, p in enc.named_parameters() if "lora_" not in k)
        assert _within(n, VIT_L14_VISION), f"{name}.{enc_name}: {n / 1e6:.1f} M"
        grid = enc.image_size // enc.patch_size
        pos = [p for k, p in enc.named_parameters() if "position" in k][0]
        assert pos.shape[0] == grid * grid + 1  # the table is at the run size: 504 px → 36² + CLS
    for modality in cfg.stems:
        assert model.n_visual_tokens(modality) == CASES[name][2]
        enc = model.encoders[cfg.stems[modality].encoder]
        assert (enc.image_size // enc.patch_size // cfg.projector.pool) ** 2 == CASES[name][2]


def _expected_trainable(cfg, model) -> int:
    """From the YAML numbers alone: r·(in+out) per targeted Linear, new token rows, projector, stems."""
    c, t = cfg.llm.config, cfg.trainable
    h, i, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    kv = c["num_key_value_heads"] * h // c["num_attention_heads"]
    shapes = {"q_proj": (h, h), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (h, h),
              "gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h)}
    n = 0
    if t.llm == "lora":
        n += L * sum(cfg.llm.lora_r * sum(shapes[m]) for m in cfg.llm.target_modules)
        n += len(model.special.added) * h * (1 if c.get("tie_word_embeddings") else 2)
    vis = next(iter(cfg.encoders.values()))
    w = vis.hf_config["hidden_size"] if vis.type == "hf_clip" else (1024 if vis.arch == "ViT-L-14-336" else vis.width)
    if t.projector == "full":
        n += len(cfg.encoders) * (w * h + h + h * h + h)
    if t.stem == "full":
        n += sum(3 * len(s.bands) + w for s in cfg.stems.values())
    if t.encoder == "lora":  # open_clip MLP: c_fc (w → 4w), c_proj (4w → w), every block
        r = {"c_fc": vis.lora_r * (w + 4 * w), "c_proj": vis.lora_r * (4 * w + w)}
        n += len(cfg.encoders) * 24 * sum(r[m] for m in vis.lora_target_modules)
    return n


@pytest.mark.parametrize("name", list(CASES))
def test_lora_trainable_count_of_the_default_recipe(name, built):
    cfg, model = built[name]
    got = mp.n_params(model, trainable=True)
    assert got == _expected_trainable(cfg, model)
    frozen_llm = [k for k, p in model.llm.named_parameters() if not p.requires_grad and "lora_" in k]
    assert not frozen_llm and 0 < got < 0.1 * mp.n_params(model)


def test_geochat_layout_matches_converted_llava_keys(built):
    """The keys `rsvlm convert-llava` writes for GeoChat (tower, mm_projector) exist with GeoChat's shapes."""
    cfg, model = built["geochat-7b"]
    shapes = {k: tuple(p.shape) for k, p in model.named_parameters()}
    tower = "encoders.default.model."  # transformers' CLIPVisionModel keys (v5: no "vision_model." level)
    assert shapes[tower + "embeddings.position_embedding.weight"] == (1297, 1024)  # GeoChat: 36² + CLS
    assert shapes[tower + "embeddings.patch_embedding.weight"] == (1024, 3, 14, 14)
    assert sum(k.startswith(tower + "encoder.layers.") and k.endswith("fc1.weight") for k in shapes) == 24
    assert shapes["projectors.default.net.0.weight"] == (4096, 1024)
    assert shapes["projectors.default.net.2.weight"] == (4096, 4096)
    assert cfg.llm.chat_template == "llava_v1" and cfg.stems["optical"].resize == "pad"
    assert (cfg.llm.lora_r, cfg.llm.lora_alpha) == (64, 16)


def _model_yaml_of(recipe: Path) -> Path:
    m = re.search(r"configs/model/([\w.\-]+\.yaml)", recipe.read_text())
    assert m, f"{recipe.name}: header does not name its configs/model/ file"
    return REPO / "configs" / "model" / m.group(1)


@pytest.mark.parametrize("recipe", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.stem)
def test_recipe_model_section_matches_its_model_config(recipe):
    """Architecture is written once per family: a recipe may change trainability and LoRA, nothing else."""
    from rsvlm.config import load_config, to_dict
    from rsvlm.model import VLMConfig

    base = to_dict(load_config(VLMConfig, _model_yaml_of(recipe)))
    got = to_dict(_recipe_model(recipe.stem))
    for d in (base, got):
        d.pop("trainable")
        for k in ("lora_r", "lora_alpha", "lora_dropout", "load_in_4bit", "load_in_8bit"):
            d["llm"].pop(k)
    assert got == base


def test_memory_plan_uses_deepspeed_estimators_and_accounts_for_lora(built):
    cfg, model = built["qwen2.5-7b"]
    inv = mp.inventory(cfg, "qwen2.5-7b", mp.tokenizer_len("weights/llm/Qwen2.5-7B-Instruct"), model=model)
    assert inv.vocab_rows == 151665 + len(model.special.added)
    # frozen = published LLM (its own 152,064 rows → the tokenizer's rows) + ViT-L/14; adapters are extra
    base = inv.frozen - (inv.vocab_rows - 152064) * inv.hidden * 2
    assert _within(base, 7.62e9 + 303e6, 0.005)
    T, F = inv.trainable, inv.frozen
    # ZeRO-2 on 8 GPUs: DeepSpeed's 2 + 18/8 bytes per trainable parameter, frozen ones 2 bytes, replicated
    z2, _ = mp.model_state_bytes(inv, "zero2", 8, 1)
    assert z2 == 2 * T + int(18 * T / 8) + 2 * F
    z3, _ = mp.model_state_bytes(inv, "zero3", 8, 1)
    assert z3 == 4 * inv.largest_layer + int(18 * T / 8) + int(2 * F / 8)
    q, _ = mp.model_state_bytes(inv, "qlora_4bit", 1, 1)
    assert q < mp.model_state_bytes(inv, "zero2", 1, 1)[0] and inv.quantisable > 0.8 * F
    off, cpu = mp.model_state_bytes(inv, "zero3_offload", 1, 1)
    assert off == 4 * inv.largest_layer and cpu >= 2 * F
    rows = mp.plan(inv, seq_len=2048)
    by = {(r.strategy, r.hardware): r for r in rows}
    assert by[("zero2", "1×24 GB")].max_micro == 0  # a bf16 7B plus states does not fit in 24 GB
    assert by[("qlora_4bit", "1×24 GB")].max_micro >= 1
    assert by[("zero3", "8×80 GB")].state_gb < by[("zero2", "8×80 GB")].state_gb
    table = mp.markdown(inv, rows, 2048)
    assert table.count("\n| ") == 2 + len(mp.STRATEGIES) and "does not fit" in table  # header, rule, rows


def test_activation_estimate_follows_the_documented_formula(built):
    cfg, model = built["qwen2.5-1.5b-multisensor"]
    inv = mp.inventory(cfg, "ms", 151665, model=model)
    s, h, i, L, V = 1000, 1536, 8960, 28, inv.vocab_rows
    llm = 2 * s * h * L + 2 * s * (6 * h + 2 * h * (2 / 12) + 4 * i)
    vis = 2 * 577 * 1024 + 4 * 144 * h + 2 * 577 * 1024 * 23 + 32 * 577 * 1024  # stems train: 23 checkpointed blocks
    assert inv.vision_grads and inv.vis_blocks == 23
    # logits of the positions after the images (144 visual tokens each), or of --answer-len
    assert mp.activation_bytes(inv, s) == int(llm + 14 * (s - 144) * V + vis)
    assert mp.activation_bytes(inv, s, answer_len=100) == int(llm + 14 * 100 * V + vis)
    frozen = dataclasses.replace(inv, vision_grads=False)
    assert mp.activation_bytes(frozen, s, images=2) == int(llm + 14 * (s - 288) * V + 2 * (2 * 577 * 1024 + 4 * 144 * h))
