"""Config of ``python -m data_gen synth``: scenes, rendering, splits and the instruction mix.

Loaded from ``configs/data/NAME.yaml`` with ``rsvlm.config.load_config`` (key=value overrides);
the command-line flags (--size, --pairs-fraction, --modalities) override the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from data_gen.instructions.config import InstructionConfig, is_weight


@dataclass
class SceneConfig:
    size: int = 128  # square scenes, px
    pairs_fraction: float = 0.25  # scenes rendered as a bi-temporal pair
    max_objects: int = 20
    object_scale: float = 1.0  # multiplies every object's nominal size (objects.SIZE_RANGES at 128 px)
    min_object_px: float = 0.0  # soft floor: length → hypot(length, this), width in proportion
    scene_weights: dict[str, float] = field(default_factory=dict)  # scene class -> weight; missing = 1

    def config_problem(self) -> tuple[str, tuple[str, ...]] | None:  # load_config's: a --config file's bad
        return scene_weights_problem(self.scene_weights)  # weight names the file (it named only the key)


def scene_weights_problem(weights: dict) -> tuple[str, tuple[str, ...]] | None:
    """Why ``weights`` (``SceneConfig.scene_weights``) cannot draw scenes, and the keys at fault (an unknown scene
    class, a weight that is no finite number >= 0; all classes at 0), each below ``scene_weights``; None where
    they can. A class named in another case or with "_" (``Harbour``, ``parking_lot``) is said as the class."""
    from data_gen.instructions.config import names_meant
    from data_gen.synth.classes import SCENE_CLASSES

    unknown = sorted(set(weights) - set(SCENE_CLASSES), key=str)
    bad = [k for k, v in weights.items() if not is_weight(v)]
    if not unknown and not bad and not (len(weights) == len(SCENE_CLASSES) and not any(map(float, weights.values()))):
        return None
    meant = [f"{str(k)!r} is {c!r}" for k in unknown if (c := str(k).lower().replace("_", " ")) in SCENE_CLASSES]
    said = f"unknown: {unknown}" + (f"; meant: {', '.join(meant)}" if meant else "") + names_meant(
        [k for k in unknown if str(k).lower().replace("_", " ") not in SCENE_CLASSES], SCENE_CLASSES)
    return (f"scene_weights {weights}: weights >= 0, not all 0, for scene classes {', '.join(SCENE_CLASSES)}"
            + (f" ({said})" if unknown else ""),
            tuple(f"scene_weights.{k}" for k in dict.fromkeys([*unknown, *bad])) or ("scene_weights",))


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

    def config_problem(self) -> tuple[str, tuple[str, ...]] | None:  # load_config's: names the file or override
        from data_gen.instructions.splits import split_problem  # synthesize said it later, naming neither

        why = split_problem(self.val, self.test)  # own_problem puts "split." before it
        return why and (f"{why.removeprefix('split.')} (split fractions: train is what they leave)", ("val", "test"))


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
