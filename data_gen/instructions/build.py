"""Records for one scene: which tasks, on which modality and frame, and the record dicts.

``build_scene_records(scene, masks, cfg, rng, split)`` is what ``data_gen synth`` calls per
scene; ``data_gen rebuild`` reads a written scene's ``masks`` with ``load_masks`` first.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from data_gen.argv import run_together
from data_gen.instructions.builders import Sample, Skip, View, build_cap, build_cls, build_count, build_vqa
from data_gen.instructions.builders_geo import build_change, build_det, build_ground, build_regcap, build_seg
from data_gen.instructions.config import InstructionConfig, weights_problem
from data_gen.instructions.stats import answer_tokens
from rsvlm.near import near_names
from rsvlm.progress import counted
from rsvlm.tokens import IMAGE_TOKEN, TASKS, task_name

BUILDERS = {"cls": build_cls, "vqa": build_vqa, "cap": build_cap, "count": build_count, "det": build_det,
            "ground": build_ground, "regcap": build_regcap, "seg": build_seg, "change": build_change}


def load_masks(scene: dict, root: str | Path) -> dict[str, np.ndarray]:
    """The masks a scene's JSON names, read from ``root`` (raises naming a missing file)."""
    from PIL import Image

    def read(rel: str) -> np.ndarray:
        path = Path(root) / rel
        if not path.is_file():
            raise FileNotFoundError(f"scene {scene['scene']}: mask {path} not found")
        try:
            with Image.open(path) as im:
                a = np.asarray(im)
        except OSError as e:  # truncated or not an image
            raise ValueError(f"scene {scene['scene']}: mask {path} cannot be read ({e})") from e
        if a.shape != (scene["height"], scene["width"]):  # resized or replaced: shapes would land elsewhere
            raise ValueError(f"scene {scene['scene']}: mask {path} is {'x'.join(map(str, a.shape))} (rows x columns"
                             f"{' x bands' if a.ndim > 2 else ''}), not the scene's {scene['height']}x{scene['width']}")
        return a

    out = {}
    for f in scene["frames"]:
        suf = f"_{f['time']}" if f["time"] else ""
        out[f"sem{suf}"] = read(f["sem_mask"]).astype(np.uint8)
        out[f"inst{suf}"] = read(f["inst_mask"]).astype(np.int32)
    if scene["change_mask"]:
        out["change"] = read(scene["change_mask"]) > 0
    return out


def _image_entry(scene: dict, frame: int, modality: str) -> dict:
    return {"path": scene["frames"][frame]["images"][modality], "modality": modality,
            "bands": list(scene["bands"][modality])}


def make_record(rid: str, scene: dict, frames: list[int], modality: str, task: str, s: Sample, split: str) -> dict:
    images = [_image_entry(scene, f, modality) for f in frames]
    prompt = "\n".join([IMAGE_TOKEN] * len(images)) + f"\n[{task}] {s.question}"
    times = ",".join(scene["frames"][f]["time"] for f in frames).strip(",")
    meta = {"source": "synthetic", "scene": scene["scene"], "scene_class": scene["scene_class"], "split": split,
            "width": scene["width"], "height": scene["height"], "modality": modality, "time": times,
            "qtype": s.question_type, "subtask": s.subtask, "target_class": s.target_class,
            "target_ids": list(s.target_ids), "gt_mask": s.gt_mask, "gt_values": list(s.gt_values),
            "expression": s.expression, "answer_tokens": answer_tokens(s.answer),
            # per-pixel targets of the (last) image, for dense objectives: semantic ids and instance ids
            "sem_mask": scene["frames"][frames[-1]]["sem_mask"], "inst_mask": scene["frames"][frames[-1]]["inst_mask"]}
    return {"id": rid, "images": images, "conversations": [{"from": "human", "value": prompt},
                                                           {"from": "gpt", "value": s.answer}],
            "task": task, "meta": meta}


TASKS_HELP = ("comma list of tasks to make records of, any case, each once, e.g. det,ground: the others' "
              "instructions.task_weights set to 0 (a key=value weight > 0 of one of those is refused), these keep the "
              "config's weight (1 where that is 0); default: the config's mix")


def load_with_tasks(path, overrides: list[str], tasks: str | None):
    """The SynthConfig of config file ``path`` (None: the defaults) with ``overrides``, then ``--tasks``
    (None: none; synth's and rebuild's): a task it names whose weight is 0 there gets 1. ConfigError /
    ValueError naming what is wrong. An override's warning (``scene={size: 32}``) is warned once, by the first read."""
    import warnings

    from data_gen.synth.config import SynthConfig
    from rsvlm.config import load_config

    check_named(path)
    if tasks is None:
        return load_config(SynthConfig, path, overrides)
    first = [*overrides, *task_overrides(tasks)]
    cfg = load_config(SynthConfig, path, first)
    with warnings.catch_warnings():  # the same words read again: warned twice (synth: warning: … twice)
        warnings.simplefilter("ignore", UserWarning)
        check_left_out(path, overrides, tasks, cfg.instructions.task_weights)
        then = [*overrides, *task_overrides(tasks, cfg.instructions.task_weights)]  # a named task at weight 0 → 1
        return cfg if then == first else load_config(SynthConfig, path, then)  # read again only where one is


def check_named(path) -> None:
    """ConfigError where ``path`` (``--config``), no file, is the name of one of the package's data configs
    (``optical_only``, ``cpu96.yaml``): "config file not found: optical_only" said not where they are."""
    from rsvlm.config import ConfigError

    if path is None or Path(path).exists() or Path(path).parent != Path("."):
        return
    folder = Path(__file__).resolve().parents[2] / "configs" / "data"  # data_gen/instructions/ -> the repo's
    found = next((f for f in (folder / path, folder / f"{path}.yaml") if f.suffix == ".yaml" and f.is_file()), None)
    if found is not None:
        shown = found.relative_to(Path.cwd()) if found.is_relative_to(Path.cwd()) else found
        raise ConfigError(f"config file not found: {path}; --config takes a file's path: --config {shown}")


def check_left_out(path, overrides: list[str], tasks: str, weights: dict) -> None:
    """ValueError naming both where ``overrides`` give a weight > 0 to a task ``--tasks`` leaves out (``weights``:
    the mix with --tasks, 0 for those): --tasks set it to 0, so the override was silently undone."""
    from data_gen.synth.config import SynthConfig
    from rsvlm.config import load_config

    keys = {o.split("=", 1)[0].strip().lstrip("-"): o for o in overrides if "=" in o}
    touched = [o for k, o in keys.items() if k == "instructions.task_weights" or
               k.startswith("instructions.task_weights.")]
    if not touched:
        return
    given = load_config(SynthConfig, path, overrides).instructions.task_weights
    base = load_config(SynthConfig, path).instructions.task_weights
    if lost := [t for t in TASKS if not weights.get(t) and given.get(t) not in (0, None)
                and (f"instructions.task_weights.{t}" in keys or given.get(t) != base.get(t))]:  # named, or changed
        said = next((keys[k] for k in (f"instructions.task_weights.{lost[0]}", "instructions.task_weights")
                     if k in keys), touched[0])
        raise ValueError(f"{said} weights {', '.join(lost)}, which --tasks {tasks} leaves out (--tasks sets every task "
                         f"it does not name to 0): add {', '.join(lost)} to --tasks, or leave the override out")


def task_overrides(tasks: str, weights: dict | None = None) -> list[str]:
    """The config overrides of ``--tasks det,ground`` (any case): every other task's weight set to 0, the named
    keep the config's, ``weights`` (read with these overrides), or 1 where that is 0 (a set made with --tasks
    det has count 0 in its config.yaml). ValueError naming --tasks and any name that is no task."""
    # "[det]" as prompts tag it, "[det, ground]" as YAML lists it, each name read by tokens.task_name (one bracket
    # pair, as a record's task: "[[det]]" is refused as "[det]"); "[]" or "[det,]" leave a blank name, read past as
    # "det," is (it was refused as "'' is no task", naming nothing given)
    names = [n for t in tasks.split(",") if (n := task_name(t))]
    if not names:
        raise ValueError(f"--tasks {tasks!r} names no task; tasks are {', '.join(TASKS)}")
    if twice := sorted({t for t in names if names.count(t) > 1}, key=names.index):  # det,DET: made once, unsaid
        raise ValueError(f"--tasks {tasks!r}: {', '.join(twice)} named more than once (any case); name each task once")
    if bad := [t for t in names if t not in TASKS]:
        if run := run_together(bad[0], TASKS):  # "det ground", "det;seg"
            listed = ",".join(x for n in names for x in (run if n == bad[0] else [n]))
            raise ValueError(f"--tasks {tasks!r}: {bad[0]!r} is no task; separate tasks by commas: --tasks {listed}")
        # "detection", "classification", "region caption": the tag shortens the word, which difflib finds too far
        near = [t for t in sorted(TASKS, key=len) if _shortens(t, bad[0])][-1:] or near_names(bad[0], TASKS, cutoff=0.6)
        raise ValueError(f"--tasks {tasks!r}: {bad[0]!r} is no task" + (f" (did you mean {near[0]!r}?)" if near else "")
                         + f"; tasks are {', '.join(TASKS)}")
    return [f"instructions.task_weights.{t}=0" for t in TASKS if t not in names] + [
        f"instructions.task_weights.{t}=1" for t in dict.fromkeys(names) if weights is not None and not weights.get(t)]


def _shortens(tag: str, word: str) -> bool:
    """Whether ``tag`` is ``word`` shortened: its first letter, then its others in order ("cls" of
    "classification", "regcap" of "region caption", "det" of "detection"; the word's head alone missed "cls")."""
    rest = iter(word[1:])
    return word[:1] == tag[0] and all(c in rest for c in tag[1:])


def check_weights(cfg: InstructionConfig) -> None:
    """Raise naming any unknown task or modality in the mix, or a negative weight."""
    if why := weights_problem(cfg):  # unknown names, weights that are no finite number >= 0 (as load_config says)
        raise ValueError(f"instructions.{why[0]}")
    if not 0 <= cfg.records_per_image < float("inf"):
        raise ValueError(f"instructions.records_per_image must be finite and >= 0, got {given(cfg.records_per_image)}")
    if (cfg.all_tasks or cfg.records_per_image > 0) and not any(float(w) > 0 for w in cfg.task_weights.values()):
        raise ValueError(f"instructions.task_weights {shown(cfg.task_weights)}: no task has a weight > 0, so no record "
                         "could be made (instructions.records_per_image=0 asks for none)")
    for key in ("point_count_share", "obb_fraction", "grid_fraction", "count_present_share"):
        if not 0 <= getattr(cfg, key) <= 1:
            raise ValueError(f"instructions.{key} must be in [0, 1], got {given(getattr(cfg, key))}")
    if cfg.mask_budget < 8:
        raise ValueError(f"instructions.mask_budget must be >= 8 (location tokens per instance), got {cfg.mask_budget}")
    if cfg.max_det_objects < 1:
        raise ValueError(f"instructions.max_det_objects must be >= 1, got {cfg.max_det_objects}")


def given(value) -> str:
    """A config number as it was given: a float field's whole number without its ``.0`` (``-1``, not ``-1.0``)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def shown(weights: dict) -> str:
    """``weights`` as YAML writes a mapping, each number as ``given`` (``{det: 0, change: 2}``, not ``0.0``)."""
    return "{" + ", ".join(f"{k}: {given(v)}" for k, v in weights.items()) + "}"


def lower_case_of(names, known) -> list[str]:
    """Those of ``names`` that are one of ``known`` in another case, in lower case (``--tasks`` and ``--modalities``
    take any case; a config's keys and synth's ``modalities`` list do not)."""
    return [str(n).lower() for n in names if str(n).lower() in known]


def check_makeable(cfg: InstructionConfig, modalities, whose: str, pairs: bool, no_pairs: str,
                   by_tasks: bool = False) -> None:
    """ValueError where records are asked for but the mix can make none (synth's config, rebuild's scenes):
    change is the only task weighted and there are no ``pairs`` (``no_pairs`` says why), or every one of
    ``modalities`` (each a ``whose``: "rendered modality") has weight 0. ``by_tasks``: ``--tasks`` set the
    weights, named so ("--tasks change", not the key's table of nine weights the user never typed)."""
    if not (cfg.all_tasks or cfg.records_per_image > 0):
        return
    if not pairs and not any(float(w) > 0 for t, w in cfg.task_weights.items() if t != "change"):
        named = "--tasks change" if by_tasks else f"instructions.task_weights {shown(cfg.task_weights)}"
        raise ValueError(f"{named}: change is the only task with a weight > 0, "
                         f"and it needs pairs, but {no_pairs}: no record could be made")
    if not any(float(cfg.modality_weights.get(m, 1.0)) > 0 for m in modalities):
        raise ValueError(f"instructions.modality_weights {shown(cfg.modality_weights)}: every {whose} "
                         f"({', '.join(modalities)}) has weight 0, so no record could be made "
                         "(instructions.records_per_image=0 asks for none)")


def pairs_without_change(cfg: InstructionConfig, stats) -> int:
    """The pair scenes of ``stats`` that got no change record where change records are asked for (by the draw of
    tasks, or skipped; stats.json's ``pairs_without_change_record``), else 0: only a set with no pair was said."""
    return stats.lone_pairs if _change_asked(cfg) else 0


def pairs_without_change_note(cfg: InstructionConfig, report: dict, by_tasks: bool = False) -> str:
    """The note on ``report``'s ``pairs_without_change_record`` (``pairs_without_change``) where it matters: with
    ``all_tasks`` any (their change records were skipped), else only where half the pairs or more drew none (a few
    do by design: the note was on nearly every default run); "" otherwise. ``by_tasks``: ``--tasks`` set the weights
    (the advice names it, not a weight the user never typed)."""
    if not (n := report.get("pairs_without_change_record")) or (2 * n < report["pairs"] and not cfg.all_tasks):
        return ""
    total = sum(max(float(w), 0.0) for w in cfg.task_weights.values())
    more = "fewer tasks beside change in --tasks" if by_tasks else "a larger change weight"
    how = ("all_tasks asks every task of each image: their change records were skipped (see skipped)" if cfg.all_tasks
           else f"tasks are drawn by weight, change {float(cfg.task_weights['change']):g} of {total:g}"
                f"{' among --tasks' if by_tasks else ''}, instructions.records_per_image {cfg.records_per_image:g} a scene "
                f"and modality; instructions.all_tasks=true, or {more}, gives more pairs one")
    return f"note: {n} of the {counted(report['pairs'], 'pair scene')} got no change record ({how})"


def unmade_change(cfg: InstructionConfig, pairs: int) -> float:
    """change's weight where records are asked for, change has a weight > 0 and there are no ``pairs`` to make
    its records of, so none was made (synth's and rebuild's notes say so); 0 otherwise."""
    return 0.0 if pairs else _change_asked(cfg)


def _change_asked(cfg: InstructionConfig) -> float:
    """change's weight where records are asked for and change has a weight > 0; 0 otherwise."""
    weight = float(cfg.task_weights.get("change", 0))
    return weight if weight > 0 and (cfg.all_tasks or cfg.records_per_image) else 0.0


def _weights(cfg: InstructionConfig) -> dict[str, float]:
    check_weights(cfg)
    return {t: float(cfg.task_weights.get(t, 0.0)) for t in TASKS}


def _task_order(weights: dict[str, float], rng: np.random.Generator, pair: bool) -> list[str]:
    """All usable tasks in a weighted random order (sampling without replacement)."""
    tasks = [t for t, w in weights.items() if w > 0 and (pair or t != "change")]
    if not tasks:
        return []
    keys = rng.uniform(size=len(tasks)) ** (1.0 / np.array([weights[t] for t in tasks]))  # Efraimidis-Spirakis
    return [tasks[i] for i in np.argsort(-keys)]


def build_scene_records(scene: dict, masks: dict, cfg: InstructionConfig, rng: np.random.Generator,
                        split: str = "train") -> tuple[list[dict], Counter, int]:
    """Records of one scene for every rendered modality, the skipped ones by reason, and how many
    records were wanted (the quotas summed; an image is asked each task at most once, so a quota
    above the usable tasks, or skips, leave it short)."""
    weights = _weights(cfg)
    pair = bool(scene["pair"])
    records, skipped, cache, wanted = [], Counter(), {}, 0
    for modality in scene["frames"][0]["images"]:
        if cfg.all_tasks:  # a modality weighted 0 gets none; any other weight, every task once
            tasks = [t for t in TASKS if weights[t] > 0 and (pair or t != "change")]
            quota = len(tasks) if float(cfg.modality_weights.get(modality, 1.0)) > 0 else 0
        else:
            want = cfg.records_per_image * float(cfg.modality_weights.get(modality, 1.0))
            quota = int(want) + int(rng.uniform() < want - int(want))
            tasks = _task_order(weights, rng, pair)
        made, wanted = 0, wanted + quota
        for task in tasks:
            if made >= quota:
                break
            frame = len(scene["frames"]) - 1 if cfg.all_tasks else int(rng.integers(len(scene["frames"])))
            view = View(scene, frame, modality, masks, rng, cfg, cache)
            try:
                sample = BUILDERS[task](view)
            except Skip as e:
                skipped[str(e)] += 1
                continue
            frames = [0, 1] if task == "change" else [frame]
            rid = f"{scene['scene']}-{modality}-{task}-{len(records)}"
            records.append(make_record(rid, scene, frames, modality, task, sample, split))
            made += 1
    return records, skipped, wanted
