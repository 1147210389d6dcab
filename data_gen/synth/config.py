"""Config of ``python -m data_gen synth``: scenes, rendering, splits and the instruction mix.

Loaded from ``configs/data/NAME.yaml`` with ``rsvlm.config.load_config`` (key=value overrides);
the command-line flags (--size, --pairs-fraction, --modalities) override the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from data_gen.instructions.config import InstructionConfig


@dataclass
class SceneConfig:
    size: int = 128  # square scenes, px
    pairs_fraction: float = 0.25  # scenes rendered as a bi-temporal pair
    max_objects: int = 20
    object_scale: float = 1.0  # multiplies every object's nominal size (objects.SIZE_RANGES at 128 px)
    min_object_px: float = 0.0  # soft floor: length → hypot(length, this), width in proportion
    scene_weights: dict[str, float] = field(default_factory=dict)  # scene class -> weight; missing = 1


@dataclass
class RenderConfig:
    sar_looks: int = 4  # gamma speckle looks (higher = smoother)
    png_compress_level: int = 1  # 0-9; 1 is fast and near the size of 9 for noisy images


@dataclass
class SplitConfig:
    val: float = 0.1  # fractions of scenes; the rest is train
    test: float = 0.1

    NO_KEY = {"train": "train is what val and test leave (1 - val - test): give {prefix}val and {prefix}test instead "
                       "(train 0.5: {prefix}val=0.25 {prefix}test=0.25)"}  # rsvlm.config's unknown-key refusal


def _modalities() -> list[str]:
    return ["optical", "sar", "ir", "msi"]


def modality_order(names) -> list[str]:
    """``names`` (known modalities, each once) in the order a set renders and draws records in, the default's:
    ``--modalities sar,optical`` makes the set ``optical,sar`` makes, byte for byte."""
    order = _modalities()
    return sorted(names, key=order.index)


@dataclass
class SynthConfig:
    modalities: list[str] = field(default_factory=_modalities)
    scene: SceneConfig = field(default_factory=SceneConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    instructions: InstructionConfig = field(default_factory=InstructionConfig)
