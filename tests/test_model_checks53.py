"""Model-section refusals found before a training run builds or writes anything (``check_model_config``):
exit 2 and no out_dir, each naming its key; every shipped config passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.model.checks import check_model_config
from rsvlm.model.vlm import VLMConfig
from rsvlm.train import main
from rsvlm.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SFT = str(REPO / "configs/train/sft_tiny.yaml")
MODEL_YAMLS = sorted((REPO / "configs/model").glob("*.yaml")) + [REPO / "configs/default/model.yaml"]
TRAIN_YAMLS = sorted((REPO / "configs/train").rglob("*.yaml")) + [
    p for p in sorted((REPO / "configs/default").glob("*.yaml"))
    if p.name not in ("model.yaml", "build.yaml") and not p.name.startswith("data_")]


@pytest.mark.parametrize("path", MODEL_YAMLS, ids=lambda p: p.name)
def test_model_yamls_pass(path):
    cfg = load_config(VLMConfig, path)
    assert check_model_config(cfg, prefix="") is None
    assert cfg.encoders and cfg.stems  # a config that loaded something


@pytest.mark.parametrize("path", TRAIN_YAMLS, ids=lambda p: str(p.relative_to(REPO / "configs")))
def test_train_yamls_pass(path):
    cfg = load_config(TrainConfig, path)
    assert check_model_config(cfg.model, lm=cfg.objective == "lm") is None
    assert cfg.model.stems


# (override, words the one line must hold); each exited 1 after out_dir/train_config.yaml was written,
# at the first step, or (interpolation) counted every sample bad
CASES = [
    ("model.llm.lora_r=0", "model.llm.lora_r must be >= 1"),
    ("model.llm.lora_dropout=1.0", "model.llm.lora_dropout must be in [0, 1)"),
    ("model.projector.type=mlp3", "model.projector.type: unknown projector type 'mlp3'; known: ['linear', 'mlp2x_gelu']"),
    ("model.projector.pool=3", "model.projector.pool 3 does not divide the 4x4 token grid of encoder 'default'"),
    ("model.projector.pos_code=loc3d", "model.projector.pos_code must be one of"),
    ("model.encoders.default.patch_size=7", "model.encoders.default: image_size 32 is not a multiple of patch_size 7"),
    ("model.encoders.default.heads=5", "model.encoders.default: width 64 is not divisible by heads 5"),
    ("model.encoders.sar.feature_layer=-5", "model.encoders.sar.feature_layer must be in [-3, 2]"),
    ("model.encoders.default.type=timm", "model.encoders.default.type: unknown encoder type 'timm'"),
    ("model.encoders.default.arch=ViT-L-14-33", "did you mean ['ViT-L-14-336'"),
    ("model.encoders.default.pos_embed=rope", "model.encoders.default.pos_embed must be one of"),
    ("model.llm.chat_template=vicuna", "model.llm.chat_template: unknown chat template 'vicuna'; known: ['llava_v1'"),
    ("model.llm.config.num_attention_heads=5", "model.llm.config: The hidden size (64) is not a multiple"),
    ("model.llm.config.model_type=lama", "model.llm.config.model_type 'lama' is not a transformers model type"),
    ("model.llm.loc_init=zeros", "model.llm.loc_init must be one of"),
    ("model.stems.ir.mean=[0.5,0.4]", "model.stems.ir: stem 'ir': bands ['TIR'], mean and std must have one entry"),
    ("model.stems.ir.interpolation=nearest", "model.stems.ir.interpolation must be one of ('bilinear', 'bicubic')"),
    ("model.stems.ir.encoder=thermal", "model.stems.ir.encoder 'thermal' is not among model.encoders"),
    ("model.loc_pointer={enabled: true, sigma_cells: 0}", "model.loc_pointer: dim must be >= 1, sigma_cells > 0"),
    ("model.prompt.det_class_question=Find all {plural}.", "model.prompt.det_class_question"),
    ("model.prompt.max_history=-1", "model.prompt.max_history must be >= 0"),
]


def train_sft(records: Path, out: Path, *overrides: str) -> int:
    """``rsvlm train`` on configs/train/sft_tiny.yaml with ``records``, into ``out``."""
    return main(["--config", SFT, f"data.train={records}", f"out_dir={out}", "log.progress=false", *overrides])


@pytest.mark.parametrize("override,words", CASES, ids=[c[0].split("=")[0] for c in CASES])
def test_refused_before_out_dir(override, words, sft_record, tmp_path, capsys):
    out = tmp_path / "run"
    assert train_sft(sft_record, out, override) == 2
    err = capsys.readouterr().err
    assert words in err, err
    assert not out.exists()


def test_the_same_run_passes_preflight_without_the_override(sft_record, tmp_path):
    from rsvlm.train.run import preflight

    cfg = load_config(TrainConfig, SFT, [f"data.train={sft_record}", f"out_dir={tmp_path / 'run'}"])
    preflight(cfg)  # passes (returning the LLM its LoRA checks built on meta, for the build)
    assert not (tmp_path / "run").exists()


def test_quantised_llm_trained_full_is_refused():
    cfg = load_config(TrainConfig, REPO / "configs/train/qlora_tiny.yaml", ["model.trainable.llm=full"])
    with pytest.raises(ValueError, match="model.llm: a 4/8-bit LLM cannot be trained 'full'"):
        check_model_config(cfg.model)


def test_contrastive_run_skips_the_llm():
    """A clip run builds no LLM: a section without one passes, an LM run's is refused."""
    cfg = load_config(TrainConfig, REPO / "configs/train/pretrain_encoder_tiny.yaml",
                      ["model.llm.config=null", "model.llm.name_or_path=null"])
    assert check_model_config(cfg.model, lm=False) is None
    with pytest.raises(ValueError, match="model.llm needs name_or_path"):
        check_model_config(cfg.model)

