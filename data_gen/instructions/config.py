"""Config of the instruction builder: how many records per image, and the task / modality mix."""

from __future__ import annotations

from dataclasses import dataclass, field


def _task_weights() -> dict[str, float]:
    return {"cls": 1.0, "vqa": 2.0, "cap": 1.0, "count": 1.0, "det": 2.0, "ground": 2.0,
            "regcap": 1.0, "seg": 1.0, "change": 2.0}


@dataclass
class InstructionConfig:
    records_per_image: float = 2.0  # sampled records per (scene, modality); fractions round at random
    all_tasks: bool = False  # instead: one record of every task with weight > 0 per image (eval sets)
    task_weights: dict[str, float] = field(default_factory=_task_weights)  # change only on pairs
    modality_weights: dict[str, float] = field(default_factory=dict)  # multiplies records_per_image; missing = 1
    obb_fraction: float = 0.5  # of det / ground records that ask "Use oriented boxes."
    grid_fraction: float = 0.5  # of seg / change-seg records answered as <mask> grid instead of <poly>
    mask_budget: int = 32  # location tokens per instance for poly / grid answers (rsvlm.geometry budget)
    max_det_objects: int = 40  # det answers list at most this many objects (the rest are counted as cut)
    count_points: bool = False  # [count] answers point at each counted object, then give the number
    point_count_share: float = 0.0  # of [count] records: asked to point at each object first, answered so
