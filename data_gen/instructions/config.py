"""Config of the instruction builder: how many records per image, and the task / modality mix."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rsvlm.tokens import MODALITIES, MODALITY_WORDS, TASKS


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
    # of count questions ([count], [vqa]) on a scene holding objects: asked of a class it holds (the rest of one it
    # lacks, answered 0); 1 leaves only scenes without objects answering 0. The default's draws are kept as they were
    count_present_share: float = 0.8

    def config_problem(self) -> tuple[str, tuple[str, ...]] | None:  # load_config's: a --config file's unknown
        return weights_problem(self)  # task or bad weight names the file, not the key alone


def weights_problem(cfg: InstructionConfig) -> tuple[str, tuple[str, ...]] | None:
    """Why ``cfg``'s task or modality weights cannot be read (a name that is no task or modality, a weight that is
    no finite number >= 0), and the keys at fault, each from its field's name on; None where they can. Whether the
    mix makes any record is not told here: ``--tasks`` may weight a task after the file is read."""
    for key, known, what in (("task_weights", TASKS, "task"), ("modality_weights", MODALITIES, "modality")):
        weights = getattr(cfg, key)
        if unknown := sorted(set(weights) - set(known), key=str):
            cased = [str(n).lower() for n in unknown if str(n).lower() in known]
            said = {n: MODALITY_WORDS[str(n).lower()] for n in unknown  # rgb: optical, as synth's --modalities says
                    if what == "modality" and str(n).lower() in MODALITY_WORDS}
            return (f"{key}: unknown {what if len(unknown) == 1 else 'tasks' if what == 'task' else 'modalities'} "
                    f"{unknown}" + (f" (config keys are lower case: {', '.join(cased)})" if cased else "")
                    + f"; {'tasks are' if what == 'task' else 'one of'} {', '.join(known)}"
                    + (f"; {', '.join(f'{n!r} is {m}' for n, m in said.items())} here" if said else "")
                    + names_meant([n for n in unknown if str(n).lower() not in known and n not in said], known),
                    tuple(f"{key}.{k}" for k in unknown))
    for key in ("task_weights", "modality_weights"):
        if bad := {k: v for k, v in getattr(cfg, key).items() if not is_weight(v)}:
            shown = ", ".join(f"{k}: {int(v) if isinstance(v, float) and v.is_integer() else v}" for k, v in bad.items())
            return (f"{key}: weights must be finite numbers >= 0, got {{{shown}}}", tuple(f"{key}.{k}" for k in bad))
    return None


def names_meant(unknown, known, lead: str = "; ") -> str:
    """``lead`` + "did you mean 'det' for 'detx'?" for those of ``unknown`` names (several at once, each said with
    its near name: ``rsvlm.near.did_you_mean`` takes one word) that ``known`` spells closely (``near_names`` at
    difflib's 0.6), not one that ends the other (``nir``, ``swir`` are no ``ir``; ``port`` no ``airport``); "" where
    none is (a name far from all is listed with the known ones by the caller)."""
    from rsvlm.near import near_names

    near = [(str(n), c[0]) for n in unknown for w in [str(n).lower()]
            if (c := [k for k in near_names(w, known, cutoff=0.6) if not (k.endswith(w) or w.endswith(k))])]
    return f"{lead}did you mean {', '.join(f'{c!r} for {n!r}' for n, c in near)}?" if near else ""


def is_weight(value) -> bool:
    """Whether ``value`` is a weight: a finite number >= 0 (not 'x', null, -1, .inf)."""
    try:
        return 0 <= float(value) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
