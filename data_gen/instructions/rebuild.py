"""Rebuild records from a written synthetic set with another task / modality mix, no re-rendering.

    python -m data_gen rebuild --dir DIR --config configs/data/cpu96.yaml --seed 1 --prefix ground_ [--no-progress]

writes ``DIR/<prefix>{train,val,test}.jsonl`` and ``DIR/<prefix>stats.json`` (a curriculum stage,
say) next to the original files, the record ids opening with the prefix too. Scenes keep the split
stored in their JSON. Only the ``instructions`` part of the config is used; scenes, sizes and
modalities are what was written. Without ``--config`` the mix is the set's own (``DIR/config.yaml``,
which synth writes), so key=value overrides change that mix, and the synth seed with no override
remakes synth's records (with a prefix, their ids open with it).
"""

from __future__ import annotations

import json
import math
import re
import sys
import zlib
from pathlib import Path

import numpy as np

from data_gen.argv import blaming_config, error_line
from data_gen.instructions.build import (
    TASKS_HELP,
    build_scene_records,
    check_makeable,
    check_weights,
    load_masks,
    load_with_tasks,
    pairs_without_change,
    pairs_without_change_note,
    unmade_change,
)
from data_gen.instructions.config import InstructionConfig
from data_gen.instructions.splits import SPLITS, SplitFiles
from data_gen.instructions.stats import Stats, format_report
from data_gen.synth.classes import OBJECT_CLASSES
from rsvlm.argparsing import Parser
from rsvlm.progress import counted
from rsvlm.tokens import MODALITIES


def rebuild(root: str | Path, cfg: InstructionConfig, seed: int, prefix: str = "", progress: bool = True,
            by_tasks: bool = False) -> dict:
    """Records for every scene under ``root/scenes``; returns the stats report (also written). Each record's id opens
    with ``prefix`` (``stage1_s0-000000-sar-det-2``), as its file's name does, so the ids stay apart from synth's and
    other prefixes' in one training run; the same ``prefix`` again gives the same ids. ``by_tasks``: ``--tasks`` set
    the task weights (a refusal names it so: ``check_makeable``)."""
    from rsvlm.progress import bar

    root = Path(root)
    check_weights(cfg)
    if not cfg.all_tasks and cfg.records_per_image == 0:  # wrote three empty files, replacing the prefix's set
        raise ValueError("instructions.records_per_image is 0 (a synth run of scenes only, or an override): a rebuild "
                         "would write no record; give instructions.records_per_image=N (e.g. 2)")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    check_prefix(prefix, root)
    if not prefix and any((root / f"{s}.jsonl").exists() and not _empty(root / f"{s}.jsonl") for s in SPLITS):
        # empty ones (a scenes-only run's, whose note says to rebuild with no --prefix) are replaced
        raise ValueError(f"{root} holds the records synth wrote ({root / 'train.jsonl'} …): give --prefix (e.g. "
                         "stage1_) to write the new ones next to them, or remove them first to replace them")
    paths = sorted((root / "scenes").glob("*.json"))
    if not paths:
        raise FileNotFoundError(no_scenes(root))
    if folder := next((f for n in (*(f"{s}.jsonl" for s in SPLITS), "stats.json")
                       if (f := root / f"{prefix}{n}").is_dir()), None):  # found after the work, "Is a directory"
        raise ValueError(f"{folder} is a folder, where this rebuild writes a file: give another --prefix, or move it")
    stats, missing, rendered, no_split, change_gone = Stats(), [], set(), [], 0
    broken: list[tuple[Path, str]] = []  # cut short: every one is named, after the rest are checked; no record written
    owner: dict[str, Path] = {}  # scene id -> its file: a copy under another name doubled its records' ids
    unfinished = (root / "train.jsonl.partial").is_file()  # synth's (or an unprefixed rebuild's) cut short
    files = SplitFiles(root, prefix, keep_earlier=True)  # an earlier set of this prefix stays until this one is done
    target = root / f"{prefix}stats.json"
    stats_part = target.with_name(target.name + ".partial")  # renamed with the records, as they are
    try:
        for path in bar(paths, desc="rebuild: scenes", unit="scene", disable=not progress):  # was "records"
            try:
                scene = load_scene(path)
            except ValueError as e:  # cut short (a killed run, a full disk): named with the others, at the end
                if not isinstance(e.__cause__, (json.JSONDecodeError, UnicodeDecodeError)):
                    raise  # a JSON of another shape: not synth's to make again
                broken.append((path, str(e)))
                continue
            if (first := owner.setdefault(str(scene["scene"]), path)) != path:
                copy = next((f for f in (path, first) if f.stem != str(scene["scene"])), path)  # synth names it by id
                raise ValueError(f"scene {scene['scene']!r} is in two files, {first} and {path}: its records would be "
                                 f"made twice, with the same ids; remove the copy ({copy})")
            if broken:  # only the rest's JSON is read now: no record will be written
                continue
            split = scene.get("split", "train")
            if "split" not in scene:  # made by hand, or before scenes stored their split
                no_split.append(path)
            try:
                masks = load_masks(scene, root)
            except (FileNotFoundError, ValueError) as e:  # deleted or cut short: said, not what to do
                raise type(e)(f"{e}; {make_again(root, path, paths, str(path))}") from e
            rng = np.random.default_rng(scene_key(scene["scene"], seed))
            recs, skipped, wanted = build_scene_records(scene, masks, cfg, rng, split)
            for r in recs:  # synth's own ids beside synth's files: a run on both read every id twice
                r["id"] = prefix + r["id"]
            stats.add_scene(scene, split)
            stats.add_wanted(wanted)
            stats.skipped.update(skipped)
            rendered.update(scene["frames"][0]["images"])
            kept = []
            for r in recs:
                gone = [im["path"] for im in r["images"] if not (root / im["path"]).is_file()]
                if gone:  # a record whose image was deleted or moved would fail or be skipped in training
                    stats.skipped["image file missing"] += 1
                    missing += gone[:1]
                    continue
                kept.append(r)
                files.write(split, json.dumps(r, separators=(",", ":")))
            stats.add_records(scene, kept, recs)
            change_gone += bool(scene["pair"]) and any(r["task"] == "change" for r in recs) \
                and not any(r["task"] == "change" for r in kept)  # its image's fault, not the draw's
        if broken:
            raise ValueError(cut_short_error(root, broken, paths))
        check_makeable(cfg, sorted(rendered), "modality of the scenes", bool(stats.pairs),
                       f"none of the {counted(len(paths), 'scene')} is one", by_tasks)
        if not sum(stats.tasks.values()):  # three empty files and exit 0: a training run on them found nothing
            why = ", ".join(f"{k}: {v}" for k, v in stats.skipped.most_common(3)) or "none asked of their images"
            raise ValueError(f"no record made of the {counted(len(paths), 'scene')} under {root / 'scenes'} ({why}"
                             + (f"; first image missing: {root / missing[0]}" if missing else "")
                             + f"); no {prefix}train/val/test.jsonl written")
        files.close()
        report = stats.report()
        if lone := pairs_without_change(cfg, stats):
            report["pairs_without_change_record"] = lone
        if missing:
            report["missing_images"] = {"records": len(missing), "first": str(root / missing[0])}
            if change_gone:  # pair scenes whose every change record was left out so (the draw's:
                # pairs_without_change_record)
                report["missing_images"]["pairs_left_without_change_record"] = change_gone
        if no_split:
            report["scenes_without_split"] = {"scenes": len(no_split), "first": str(no_split[0])}
        if unfinished:
            report["unfinished_run"] = str(root / "train.jsonl.partial")
        report.update(scene_counts(target))  # synth's counts of the scenes, which a rebuild does not remake
        # a stats file that cannot be written (a folder of its name, a full disk) left the three .partial files behind
        stats_part.write_text(json.dumps(report, indent=1) + "\n")
        stats_part.replace(target)  # first: a folder of its name is refused before the records replace any
        files.commit()
    except BaseException:
        files.abort()
        stats_part.unlink(missing_ok=True)
        raise
    return report


def check_prefix(prefix: str, root: Path) -> None:
    """Refuse (ValueError) a ``prefix`` that is a folder, opens with '.', has white space at an end or holds a
    character unsafe in file names and ids (``prefix_problem``); ``main`` calls it before loading the config."""
    if "/" in prefix or "\\" in prefix:
        raise ValueError(f"prefix {prefix!r} is a file name prefix, not a folder: the records stay in {root}, "
                         "as their image paths are relative to it")
    if prefix.startswith("."):  # '.' wrote .train.jsonl …, which ls and file dialogs hide
        raise ValueError(f"prefix {prefix!r} opens with '.': the files would be hidden "
                         f"({prefix + 'train.jsonl'!r} …); give e.g. stage1_")
    if prefix != prefix.strip():  # --prefix ' ' wrote " train.jsonl" beside synth's train.jsonl, unsaid
        raise ValueError(f"prefix {prefix!r} begins or ends with white space: the files would be named "
                         f"{prefix + 'train.jsonl'!r} …, hard to tell from others; give e.g. stage1_")
    if bad := prefix_problem(prefix):  # 'stage 1_' wrote 'stage 1_train.jsonl' and ids with a space, unsaid
        raise ValueError(bad)


def prefix_problem(prefix: str) -> str:
    """Why ``prefix`` cannot open file names and record ids ("" where it can): only letters, digits, '_', '-' and '.'
    are kept (a space, a quote, ':' or '*' split a shell's words or are refused by some file systems)."""
    if not (bad := sorted(set(re.sub(r"[\w.-]", "", prefix)))):
        return ""
    said = ", ".join("a space" if c == " " else repr(c) for c in bad)
    kept = re.sub(r"[^\w.-]+", "_", prefix).strip("_").lstrip("._") + "_"  # "*.x": not ".x_", a hidden file
    return (f"prefix {prefix!r} holds {said}: it opens the file names ({prefix + 'train.jsonl'!r} …) and every "
            "record id, where shells split or file systems refuse such characters; use letters, digits, '_', '-' "
            f"and '.' alone, e.g. {kept!r}")


# synth's alone: what the recipes left out of the scenes (not _SCENE_KEYS, a scene JSON's keys)
SCENE_COUNT_KEYS = ("objects_too_small", "objects_not_fitted")


def scene_counts(path: Path) -> dict:
    """The counts of ``SCENE_COUNT_KEYS`` in the stats file ``path`` a rebuild writes over (synth's ``stats.json``,
    with no --prefix): they describe the scenes, which stay; a rebuild's own report dropped them unsaid. ``{}`` where
    it holds none or is no JSON object."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: old[k] for k in SCENE_COUNT_KEYS if isinstance(old, dict) and isinstance(old.get(k), dict)}


def _empty(path: Path) -> bool:
    """Whether the records file ``path`` holds nothing (a synth run with records_per_image 0 wrote it so)."""
    from rsvlm.data.records import blank_records_file

    return path.is_file() and blank_records_file(path)


def cut_short_error(root: Path, broken: list[tuple[Path, str]], paths: list[Path]) -> str:
    """The error for the scene JSON files ``broken`` of ``paths`` (each with its error: not valid JSON, cut short):
    the first's error, then how many and each named (the first 20), and what to do. The first alone was said, and
    each rebuild run again found the next."""
    first, why = broken[0]
    if len(broken) == 1:
        return f"{why}; {make_again(root, first, paths, 'it')}"
    names = ", ".join(p.name for p, _ in broken[:20]) + (f" and {len(broken) - 20} more" if len(broken) > 20 else "")
    return (f"{why}; {len(broken)} of the {len(paths)} scene JSON files under {root / 'scenes'} are not valid JSON: "
            f"{names}; no records written. Make them again ({remake(root, first, paths)}) or remove them to leave "
            "their scenes out")


def make_again(root: Path, path: Path, paths: list[Path], remove: str) -> str:
    """What to do about one scene of ``root`` whose JSON ``path`` (or a mask of it) is gone or cut short: the synth
    command that makes it again (``remake``), or ``remove`` (the file, as the error names it) to leave it out."""
    return f"no records written. Make it again ({remake(root, path, paths)}) or remove {remove} to leave its scene out"


def remake(root: Path, path: Path, paths: list[Path]) -> str:
    """The synth command that makes the scene JSON ``path`` of ``root`` again: its seed and the run's --n read from
    the scene file names (``s{seed}-{index}``: the highest index of that seed, plus one), its config the set's."""
    name = re.compile(r"s(\d+)-(\d{6,})")  # synth's scene ids: s{seed}-{index:06d}
    if not (m := name.fullmatch(path.stem)):  # renamed: neither can be read
        return f"synth --out {root} with the set's --seed and --n, --config {root / 'config.yaml'}"
    seed = m[1]
    n = 1 + max(int(k[2]) for p in paths if (k := name.fullmatch(p.stem)) and k[1] == seed)
    return (f"python -m data_gen synth --out {root} --seed {seed} --n {n} --config {root / 'config.yaml'}, the seed "
            "and --n its scene files' names show")


def no_pairs_note(cfg: InstructionConfig, report: dict, root, by_tasks: bool = False) -> str:
    """A note where change records were asked for (weight > 0; by ``--tasks``: ``by_tasks``) but none of the scenes
    under ``root`` is a pair: the report said only "… not made: skipped, or more asked …" ("" otherwise; change alone
    is refused)."""
    if not (weight := unmade_change(cfg, report["pairs"])):
        return ""
    n = report["scenes"]
    asked = "--tasks asks for change" if by_tasks else f"instructions.task_weights gives change {weight:g}"
    return (f"note: {asked}, but none of the {n} scene{'s' * (n != 1)} "
            f"under {Path(root) / 'scenes'} is a pair, which change records need: none was made (a set with pairs: "
            "python -m data_gen synth --pairs-fraction F)")


def no_scenes(root: Path) -> str:
    """Why ``root`` (rebuild's or preview's --dir) gives no scene: the error, naming --dir and, where it can,
    the folder meant (the scenes folder itself was given; a converted set, which has records but no scenes)."""
    said, root = f"no scene JSON files under {Path(root) / 'scenes'}", Path(root)
    if not root.is_dir():  # preview's --dir: a typo read as a set without scenes
        return (f"{said}: --dir {root} is " + ("a file, not a folder" if root.exists() else "no folder here")
                + "; give the output folder of `python -m data_gen synth`")
    if any(root.glob("s*-*.json")) or (root.name == "scenes" and any(root.glob("*.json"))):  # --dir out/scenes
        return f"{said}: --dir {root} holds scene JSON files itself; give the folder above it, {root.parent}"
    if theirs := sorted(p.name for p in root.glob("*.jsonl*")):  # a converted set: records.jsonl, no scenes
        return (f"{said}: --dir {root} holds records ({', '.join(theirs[:3])}{', …' if len(theirs) > 3 else ''}) but no scenes; only the sets of "
                "`python -m data_gen synth` have them (a converted set's records are remade by its converter)")
    return f"{said}: --dir takes the output folder of `python -m data_gen synth`"


def scene_key(scene_id: str, seed: int) -> list[int]:
    """Key of one scene's random draws, from its id, not its place in the folder (a scene removed, or
    one of another run sorting first, shifted every later scene's records): synth's own key
    ``[seed, index, 3]`` for a scene ``s<seed>-<index>``, so synth's seed remakes synth's records;
    a scene of another seed adds it, so that same-index scenes of merged sets draw apart."""
    m = re.fullmatch(r"s(\d+)-(\d+)", str(scene_id))
    if not m:  # renamed by hand: a stable key of its own
        return [seed, zlib.crc32(str(scene_id).encode()), 4]
    own, index = int(m[1]), int(m[2])
    return [seed, index, 3] if own == seed else [seed, index, 3, own]


_SCENE_KEYS = ("scene", "scene_class", "width", "height", "pair", "frames", "changes", "change_mask", "bands")
_FRAME_KEYS = ("time", "images", "sem_mask", "inst_mask", "objects")
_OBJECT_KEYS = ("id", "class", "hbox", "obb", "center", "area", "angle", "attributes")  # what the builders read
_CHANGE_TYPES = ("built", "demolished", "arrived", "departed")


def load_scene(path: Path) -> dict:
    """One scene JSON of ``data_gen synth``; ValueError naming ``path`` and what is wrong with it."""
    try:
        scene = json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:  # cut short by a killed run, or not JSON
        raise ValueError(f"{path}: not valid JSON ({e})") from e
    if isinstance(scene, dict) and isinstance(scene.get("split"), str) and (
            split := scene["split"].strip().lower()) in SPLITS:  # "TRAIN", " val": any case, as --tasks; another
        scene["split"] = split  # named as written ("Dev")
    _check_scene(scene, path)
    return scene


def _check_scene(scene, path: Path) -> None:
    """Raise naming ``path`` and what is wrong unless ``scene`` looks like a synth scene JSON."""
    def problem() -> str:
        if not isinstance(scene, dict):
            return "not a JSON object"
        for k in _SCENE_KEYS:
            if k not in scene:
                return f"no key {k!r}"
        if not isinstance(scene["frames"], list) or not scene["frames"]:
            return "'frames' is not a list of frames"
        for i, f in enumerate(scene["frames"]):
            for k in _FRAME_KEYS:
                if not isinstance(f, dict) or k not in f:
                    return f"frames[{i}] has no key {k!r}"
            for j, o in enumerate(f["objects"] if isinstance(f["objects"], list) else [None]):
                if why := _object_problem(o, _OBJECT_KEYS):
                    return f"frames[{i}].objects[{j}] {why}"
                if not isinstance(o["attributes"], dict) or {"size", "colour", "orientation"} - set(o["attributes"]):
                    return f"frames[{i}].objects[{j}].attributes lacks size, colour or orientation"
        if bool(scene["pair"]) != (len(scene["frames"]) == 2) or bool(scene["pair"]) != bool(scene["change_mask"]):
            return "'pair' does not agree with the number of frames (2 for a pair) or with 'change_mask'"
        mods = [sorted(f["images"]) if isinstance(f["images"], dict) else None for f in scene["frames"]]
        if not mods[0] or any(m != mods[0] for m in mods):
            return "'images' of the frames are not the same {modality: path} mapping"
        if bad := [m for m in mods[0] if m not in MODALITIES or m not in scene["bands"]]:
            return f"images of modality {bad[0]!r}: not one of {', '.join(MODALITIES)}, or no 'bands' entry for it"
        for j, c in enumerate(scene["changes"] if isinstance(scene["changes"], list) else [None]):
            if why := _object_problem(c, ("type", "class", "id")):
                return f"changes[{j}] {why}"
            if c["type"] not in _CHANGE_TYPES:
                return f"changes[{j}] has type {c['type']!r}, not one of {', '.join(_CHANGE_TYPES)}"
        if scene.get("split", "train") not in SPLITS:
            return f"split {scene['split']!r} is not one of {', '.join(SPLITS)} (any case)"
        return ""

    if why := problem():
        raise ValueError(f"{path}: not a scene JSON of `python -m data_gen synth` ({why})")


def _object_problem(o, keys: tuple[str, ...]) -> str:
    """What is wrong with one object (or change) of a scene JSON: not an object, a key missing, an unknown class."""
    if not isinstance(o, dict):
        return "is not a JSON object"
    if missing := [k for k in keys if k not in o]:
        return f"has no key {missing[0]!r}"
    if o["class"] not in OBJECT_CLASSES:
        return f"has class {o['class']!r}, not one of {', '.join(OBJECT_CLASSES)}"
    for k, shape, what in (("hbox", (4,), "4 numbers"), ("obb", (4, 2), "4 [x, y] corners"),
                           ("center", (2,), "[x, y]"), ("area", (), "a number"), ("angle", (), "a number")):
        if k in o and not _numbers_of(o[k], shape):  # hbox [1, 2, "x"] was "not enough values to unpack", no file named
            return f"has {k} {o[k]!r:.60}, not {what} (finite)"
    return ""


def _numbers_of(value, shape: tuple[int, ...]) -> bool:
    """Whether ``value`` is finite numbers (no bools, no strings) in the nested-list ``shape``: () one number."""
    if not shape:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, list) and len(value) == shape[0] and all(_numbers_of(v, shape[1:]) for v in value)


def main(argv: list[str] | None = None) -> int:
    from data_gen.argv import given_twice, record_values
    from rsvlm.config import ConfigError
    from rsvlm.overrides import warnings_as_lines

    p = record_values(Parser(prog="python -m data_gen rebuild", description=__doc__.split("\n")[0]))
    p.add_argument("--dir", required=True, help="output folder of `python -m data_gen synth`")
    p.add_argument("--config", default=None,
                   help="configs/data/NAME.yaml (its instructions section); default: DIR/config.yaml, the set's own")
    p.add_argument("--seed", type=int, default=0, help="seed of the questions drawn (0 or more; default 0); synth's "
                   "--seed with the set's own mix makes its records again byte for byte, but for --prefix in their ids")
    p.add_argument("--prefix", default="", help="prefix of the file names and of the record ids, e.g. stage1_ (ids "
                   "stage1_s0-000000-optical-cap-0): the records stay apart from synth's in one training run; "
                   "letters, digits, '_', '-' and '.' alone")
    p.add_argument("--tasks", default=None, help=TASKS_HELP)
    p.add_argument("--no-progress", action="store_true", help="no progress bar (on stderr)")
    p.add_argument("overrides", nargs="*", help="key=value, e.g. instructions.task_weights={ground: 1}")
    a = p.parse_args(argv)
    if twice := given_twice(p, sys.argv[1:] if argv is None else argv, a.overrides):
        p.error(twice)  # argparse and the overrides kept the last, unsaid
    if a.seed < 0:  # was found after "instructions from …", as if the rebuild had begun, without naming --seed
        print(f"error: --seed {a.seed}: seed must be >= 0, got {a.seed}", file=sys.stderr)
        return 2
    other = [o for o in a.overrides if not o.startswith(("instructions.", "instructions="))]  # ={…}: the section
    if other:  # scenes, sizes and modalities are what was written: such a key would be ignored
        print(f"error: rebuild only uses instructions.* keys; {other[0]!r} would change nothing", file=sys.stderr)
        return 2
    if not Path(a.dir).is_dir():  # it said "instructions from the built-in defaults" first, as if it had begun
        print(f"error: --dir {a.dir}: " + ("a file, not" if Path(a.dir).exists() else "no such folder; give")
              + " the output folder of `python -m data_gen synth`", file=sys.stderr)
        return 2
    config = a.config
    if config is None and (Path(a.dir) / "config.yaml").is_file():
        config = str(Path(a.dir) / "config.yaml")  # the mix the set was made with, not the package default
    report = None  # the rebuild's, once its files are written
    try:
        check_prefix(a.prefix, Path(a.dir))  # was after the config: a bad one's refusal hid the prefix's
        with warnings_as_lines("rebuild"):  # instructions={…}'s: one line, not Python's two-line UserWarning
            cfg = load_with_tasks(config, a.overrides, a.tasks).instructions  # --tasks: a set made with it too
        by_tasks = a.tasks is not None
        # a file's obb_fraction: 3 named no file
        with blaming_config(config, [*a.overrides, *(["instructions.task_weights="] if by_tasks else [])]):
            check_weights(cfg)
        report = rebuild(a.dir, cfg, a.seed, a.prefix, progress=not a.no_progress, by_tasks=by_tasks)
        # said after the work, as every data_gen command: a reader gone (| head) cannot stop it half-way
        print(f"instructions from {config or 'the built-in defaults'}"
              + (f" with {counted(len(a.overrides), 'override')}" if a.overrides else "")
              + (f"{' and' if a.overrides else ' with'} --tasks {a.tasks}" if by_tasks else ""))
        print(format_report(report))
        if cut := report.get("unfinished_run"):
            print(f"note: {cut}: an earlier run there (synth, or rebuild without --prefix) did not finish, so "
                  f"{Path(a.dir) / 'scenes'} may hold fewer scenes than it was asked for; the records are of "
                  f"the {report['scenes']} there", file=sys.stderr)
        if bare := report.get("scenes_without_split"):
            print(f"note: {counted(bare['scenes'], 'scene')} name{'s' * (bare['scenes'] == 1)} no split and went to "
                  f"train (first: {bare['first']}); one "
                  "held out in an earlier set is now trained on: add \"split\" to their JSON", file=sys.stderr)
        if note := no_pairs_note(cfg, report, a.dir, by_tasks) or pairs_without_change_note(cfg, report, by_tasks):
            print(note, file=sys.stderr)
        if gone := report.get("missing_images"):
            lone = gone.get("pairs_left_without_change_record")
            print(f"note: {counted(gone['records'], 'record')} left out: {'its' if gone['records'] == 1 else 'their'} "
                  f"image is missing (first: {gone['first']})"
                  + (f"; {counted(lone, 'pair scene')} lost every change record so" if lone else ""), file=sys.stderr)
    except BrokenPipeError:
        raise  # stdout's reader gone (| head) after the records were written: data_gen's main ends quietly
    except (ConfigError, ValueError, OSError) as e:  # OSError: a file it cannot write, named in it
        print(error_line(e, a.config), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if report is not None:  # in the report printed after: the files are whole (it said 'no … written')
            print(f"interrupted: {a.dir} holds the whole {a.prefix}train/val/test.jsonl and {a.prefix}stats.json; the "
                  "report and notes after them not printed", file=sys.stderr)
        else:
            print(f"interrupted: no {a.prefix}train/val/test.jsonl written in {a.dir} (any earlier ones are as they "
                  "were)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
