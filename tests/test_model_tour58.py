"""Model parts, tour 58: a converted (hf_clip) checkpoint loaded at another size with one override; the
hf_clip tower's positions resized as open_clip's are; pos_embed sincos2d refused for an hf_clip tower."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"
HF = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "patch_size": 8, "image_size": 32}


def _hf_tiny(**enc):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.vision import VisionConfig

    cfg = load_config(VLMConfig, TINY)
    return dataclasses.replace(cfg, encoders={**cfg.encoders, "default": VisionConfig(type="hf_clip", **enc)})


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """A checkpoint whose hf_clip tower config is written as convert-llava writes it: each size twice."""
    from rsvlm.model import create_model

    torch.manual_seed(0)
    model, _ = create_model(_hf_tiny(hf_config=dict(HF), width=64, patch_size=8, image_size=32))
    return model.save_pretrained(tmp_path_factory.mktemp("hfclip") / "ckpt")


@pytest.mark.parametrize("override", ["encoders.default.image_size=64", "encoders.default.hf_config.image_size=64"])
def test_a_converted_checkpoint_loads_at_another_size_with_one_override(converted, override):
    from safetensors.torch import load_file

    from rsvlm.model.checkpoint import load_pretrained
    from rsvlm.model.vision import interpolate_pos_embed

    big, proc = load_pretrained(converted, overrides=[override])  # was: refused, asking for the other key too
    enc = big.encoders["default"]
    assert (enc.image_size, big.cfg.encoders["default"].image_size) == (64, 64)
    assert big.cfg.encoders["default"].hf_config["image_size"] == 64
    assert proc.n_tokens["optical"] == 64  # an 8x8 grid
    key = "encoders.default.model.embeddings.position_embedding.weight"
    torch.testing.assert_close(big.state_dict()[key],
                               interpolate_pos_embed(load_file(str(converted / "vision.safetensors"))[key], (4, 4), (8, 8)))


def test_twin_overrides_that_contradict_each_other_are_still_refused(converted):
    from rsvlm.model.checkpoint import load_pretrained

    with pytest.raises(ValueError, match=r"encoders.default.image_size 48 \(hf_config.image_size: 64\) contradicts"):
        load_pretrained(converted, overrides=["encoders.default.image_size=48", "encoders.default.hf_config.image_size=64"])


def test_an_hf_clip_tower_resizes_its_positions_as_open_clip_does():
    """At another size HF's interpolate_pos_encoding resized without antialias (another cubic kernel) where
    OpenClipEncoder and a loaded table use interpolate_pos_embed; at its own size its output is HF's own."""
    from rsvlm.model.vision import VisionConfig, build_encoder, interpolate_pos_embed

    torch.manual_seed(0)
    enc = build_encoder(VisionConfig(type="hf_clip", hf_config=dict(HF, intermediate_size=128))).eval()
    x = torch.randn(2, 3, 32, 32)  # (B,C,H,W)
    with torch.no_grad():
        torch.testing.assert_close(enc(x), enc.model(pixel_values=x, output_hidden_states=True).hidden_states[-2][:, 1:])
        big = torch.randn(1, 3, 48, 40)  # a 6x5 grid
        pos = enc.model.embeddings.position_embedding.weight
        want = interpolate_pos_embed(pos, (4, 4), (6, 5))  # (31,D)
        emb = enc.model.embeddings
        patches = emb.patch_embedding(big).flatten(2).transpose(1, 2)  # (1,30,D)
        x0 = torch.cat([emb.class_embedding.expand(1, 1, -1), patches], 1) + want
        x0 = enc.model.pre_layrnorm(x0)
        ref = enc.model.encoder.layers[0](x0, None)[:, 1:]  # feature_layer -2 of 2 layers: after 1
        torch.testing.assert_close(enc(big), ref)
        hf = enc.model(pixel_values=big[..., :48], output_hidden_states=True, interpolate_pos_encoding=True)
        assert not torch.allclose(enc(big[..., :48]), hf.hidden_states[-2][:, 1:], atol=1e-4)  # HF's resize differs
    with pytest.raises(ValueError, match="image size 36x32 is not a multiple of the patch size 8"):
        enc(torch.randn(1, 3, 36, 32))


def test_an_hf_clip_tower_refuses_sincos2d_positions():
    from rsvlm.model import create_model
    from rsvlm.model.checks import check_model_config
    from rsvlm.model.vision import VisionConfig, build_encoder

    with pytest.raises(ValueError, match=r"^encoders.NAME.pos_embed 'sincos2d': an hf_clip tower has CLIP's learned"):
        build_encoder(VisionConfig(type="hf_clip", hf_config=dict(HF), pos_embed="sincos2d"))  # was built, learned
    cfg = _hf_tiny(hf_config=dict(HF), pos_embed="sincos2d")
    with pytest.raises(ValueError, match=r"^encoders.default.pos_embed 'sincos2d'.*use pos_embed: learned"):
        check_model_config(cfg, prefix="")
    with pytest.raises(ValueError, match=r"encoders.default.pos_embed 'sincos2d'"):
        create_model(cfg, device="meta")


# ---------------------------------------------------------------- scripts/memory_plan.py: the micro-batch


def test_memory_plan_checks_a_recipes_micro_batch_and_refuses_one_under_1(monkeypatch, capsys, tmp_path):
    """The plan gave the largest micro-batch per row but never said whether the recipe's own fits, and a
    recipe with batch_size 0 was planned as if it could train."""
    from script_loader import REPO, load_script

    plan = load_script("memory_plan", monkeypatch)
    recipe = REPO / "configs/train/align_tiny.yaml"  # batch_size: 4
    assert plan.recipe_sizes(recipe) == (512, 4) and plan.recipe_sizes(TINY) == (None, None)  # a model config: none
    assert plan.main([str(recipe), "--seq-len", "64"]) == 0
    assert "\nMicro-batch 4: fits every row.\n" in capsys.readouterr().out
    inv = plan.Inventory("x", 10, 1, 0, 0, 1, 1, 1, 1, 1, 1.0, 1, 1, 1, 1, False)
    rows = [plan.PlanRow("zero2", "1×24 GB", 1.0, 0.1, 0.0, 3), plan.PlanRow("zero3", "1×24 GB", 1.0, 0.1, 0.0, 0)]
    assert plan.markdown(inv, rows, 64, batch=3).endswith("\nMicro-batch 3: does not fit zero3 on 1×24 GB (max 0).\n")
    zero = tmp_path / "zero.yaml"
    zero.write_text(recipe.read_text().replace("\nbatch_size: 4\n", "\nbatch_size: 0\n"))
    assert plan.main([str(zero)]) == 2  # refused before anything is built
    out = capsys.readouterr()
    assert out.err == f"memory_plan: {zero}: batch_size must be >= 1, got 0\n" and not out.out
    with pytest.raises(SystemExit):
        plan.main([str(TINY), "--batch-size", "0"])
    assert "argument --batch-size: must be >= 1, got 0" in capsys.readouterr().err


@pytest.mark.parametrize("weights", [[float("nan"), 1.0], [float("inf"), 1.0]])
def test_average_checkpoints_refuses_a_weight_that_is_no_finite_number(tmp_path, weights):
    """scripts/average_checkpoints.py refused them; the function it calls wrote a model of NaN tensors."""
    from rsvlm.model.weights import average_checkpoints

    with pytest.raises(ValueError, match="need one finite non-negative weight per checkpoint"):
        average_checkpoints([tmp_path / "a", tmp_path / "b"], tmp_path / "avg", weights=weights)
    assert not (tmp_path / "avg").exists()


def test_a_converted_tower_at_its_folders_size_loads_at_another_with_the_override_its_warning_names(tmp_path,
                                                                                                     tiny_llava):
    """convert-llava warned that a tower taken from --vision-tower keeps that folder's size (GeoChat's code
    resized it to 504 px at load) without saying how to load it at another: the one override it now names."""


    from rsvlm.model import convert_llava
    from rsvlm.model.checkpoint import load_pretrained

    sd, conf, tower, tok = tiny_llava
    from conftest import write_llava

    src = write_llava(tmp_path / "bare", sd, conf, tok)
    with pytest.warns(UserWarning, match=r"load_pretrained\(OUT, overrides=\['encoders.default.image_size=504'\]\)"):
        out = convert_llava(src, tmp_path / "ck", vision_tower=tower)
    model, proc = load_pretrained(out, overrides=["encoders.default.image_size=48"])  # 32 px saved; 504 for GeoChat
    assert model.encoders["default"].image_size == 48 and proc.n_tokens["optical"] == 36


@pytest.mark.parametrize("override, says", [
    ("trainable.llm=half", r"^trainable.llm must be one of \('frozen', 'lora', 'full'\), got 'half'"),
    ("trainable.projector=lora", r"^trainable.projector must be one of \('frozen', 'full'\), got 'lora'"),
])
def test_a_trainability_no_part_has_is_refused_naming_its_key_before_the_llm_loads(monkeypatch, override, says):
    """trainable.llm: half passed the config check and was refused by apply_llm_trainability, after the LLM had
    loaded (minutes for a 7B), as 'llm trainability must be …', naming no key."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, factory
    from rsvlm.model.checks import check_model_config

    cfg = load_config(VLMConfig, TINY, [override])
    with pytest.raises(ValueError, match=says):
        check_model_config(cfg, prefix="")
    monkeypatch.setattr(factory, "build_llm", lambda *a: pytest.fail("the LLM was built"))
    with pytest.raises(ValueError, match=says):
        create_model(cfg)


def test_compare_weights_progress_counts_every_row(tmp_path, monkeypatch):
    """The bar's total counted A's tensors of each file (B's own ones not at all) and tensors only in one side
    never moved it: it ended short (here 1 of 3, for 4 rows)."""
    from safetensors.torch import save_file

    from rsvlm.model import weights

    bars = []

    class Bar:
        def __init__(self, total, **_):
            self.total, self.n = total, 0
            bars.append(self)

        def update(self, k=1):
            self.n += k

        def __enter__(self):
            return self

        def __exit__(self, *_):
            return False

    monkeypatch.setattr("tqdm.auto.tqdm", Bar)
    for side, keys in (("a", ["x", "y"]), ("b", ["y", "z"])):
        (tmp_path / side).mkdir()
        save_file({k: torch.zeros(2) for k in keys}, str(tmp_path / side / "vision.safetensors"))
    save_file({"w": torch.ones(1)}, str(tmp_path / "b" / "extra.safetensors"))
    rows = weights.compare_weights(tmp_path / "a", tmp_path / "b", progress=True)
    assert [r["status"] for r in rows] == ["only in B", "only in A", "same", "only in B"]
    assert (bars[0].n, bars[0].total) == (len(rows), len(rows))  # was 1 of 3
