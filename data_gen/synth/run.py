"""``python -m data_gen synth``: scenes -> images, masks, ground truth, records, stats.

Every scene's output is a pure function of (seed, scene index, config), so a run is
byte-identical whatever ``workers`` is; worker results come back in scene order.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from data_gen.argv import run_together
from data_gen.instructions.build import (
    build_scene_records,
    lower_case_of,
    pairs_without_change,
    pairs_without_change_note,
    unmade_change,
)
from data_gen.instructions.config import names_meant
from data_gen.instructions.splits import SplitFiles, assign_splits
from data_gen.instructions.stats import Stats, format_report
from data_gen.synth.config import SynthConfig, modality_order, scene_weights_problem
from data_gen.synth.render import rasterise
from data_gen.synth.scene import RECIPES, check_size, generate_scene
from data_gen.synth.write import MODALITY_INDEX, render_frame_images, write_scene
from rsvlm.progress import counted
from rsvlm.tokens import MODALITIES, MODALITY_WORDS

MAX_SCENES = 10_000_000
_ALWAYS_OBJECTS = {c for c, recipe in RECIPES.items() if any(r[2][0] > 0 for r in recipe)}  # at least one object


def scene_id(seed: int, i: int) -> str:
    return f"s{seed}-{i:06d}"


def make_scene(i: int, split: str, *, cfg: SynthConfig, out: Path, seed: int, records: bool = True):
    """Generate, render and write scene ``i``; return (ground truth, records, skipped reasons, records
    wanted, objects left out as too small to draw by class, objects left out for want of room by class)."""
    sc = cfg.scene
    rng = np.random.default_rng([seed, i, 0])
    pair = bool(rng.uniform() < sc.pairs_fraction)
    graph = generate_scene(scene_id(seed, i), rng, sc.size, pair, max_objects=sc.max_objects,
                           scene_weights=sc.scene_weights, object_scale=sc.object_scale,
                           min_object_px=sc.min_object_px)
    layers, images = [], []
    for t, frame in enumerate(graph.frames):
        lay = rasterise(frame, sc.size, np.random.default_rng([seed, i, 1, t]), sc.object_scale)
        rngs = {m: np.random.default_rng([seed, i, 2, t, MODALITY_INDEX[m]]) for m in cfg.modalities}
        layers.append(lay)
        images.append(render_frame_images(lay, cfg.modalities, rngs, cfg.render.sar_looks))
    gt, masks = write_scene(graph, layers, images, out, cfg.render.png_compress_level, split)
    if not records:
        return gt, [], Counter(), 0, graph.too_small, graph.not_fitted
    recs, skipped, wanted = build_scene_records(gt, masks, cfg.instructions, np.random.default_rng([seed, i, 3]), split)
    return gt, recs, skipped, wanted, graph.too_small, graph.not_fitted


def check_config(cfg: SynthConfig, flags: dict[str, str] | None = None) -> None:
    """ValueError naming what of ``cfg`` synth cannot make. ``flags``: config key → the option that set it
    (``{"scene.size": "--size"}``, ``data_gen.__main__.SYNTH_FLAGS``), named instead of the key ("--size 8 must be",
    not "scene.size 8", which the user never typed); a key a config file or key=value set is named as the key."""
    flags = flags or {}
    size_is = flags.get("scene.size", "scene.size")
    pairs_is = flags.get("scene.pairs_fraction", "scene.pairs_fraction")
    modalities = (f"--modalities {','.join(map(str, cfg.modalities)) or repr('')}" if "modalities" in flags
                  else f"modalities {cfg.modalities}")
    bad = [m for m in cfg.modalities if m not in MODALITIES]
    if not cfg.modalities:
        raise ValueError(f"{modalities}: name at least one of {', '.join(MODALITIES)}")
    if bad:
        cased = lower_case_of(bad, MODALITIES)  # --modalities takes any case, YAML not
        lower = f"; in lower case: {', '.join(cased)}" if cased else ""
        meant = [f"{m!r} is {MODALITY_WORDS[str(m).lower()]}" for m in bad if str(m).lower() in MODALITY_WORDS]
        runs = [",".join(run) for m in bad if (run := run_together(str(m), MODALITIES))]  # "sar;ir", "sar ir"
        near = names_meant([m for m in bad if str(m).lower() not in (*MODALITIES, *MODALITY_WORDS)
                             and not run_together(str(m), MODALITIES)], MODALITIES)  # "sarr": 'sar'
        raise ValueError(f"{modalities}: each must be one of {', '.join(MODALITIES)} "
                         f"({', '.join(map(repr, bad))} {'is' if len(bad) == 1 else 'are'} not{lower}{near})"
                         + (f"; {', '.join(meant)} here" if meant else "")  # "rgb,thermal" said only "are not"
                         + (f"; separate modalities by commas: {', '.join(runs)}" if runs else ""))
    twice = sorted({m for m in cfg.modalities if cfg.modalities.count(m) > 1})
    if twice:  # each is rendered once: the report's "x N modalities" and the quotas would not add up
        raise ValueError(f"{modalities}: {', '.join(twice)} named more than once")
    check_size(cfg.scene.size, size_is)
    from data_gen.instructions.build import check_makeable, check_weights, given

    check_weights(cfg.instructions)
    check_makeable(cfg.instructions, cfg.modalities, "rendered modality", cfg.scene.pairs_fraction != 0,
                   f"{pairs_is} is 0", "instructions.task_weights" in flags)
    sc, rc = cfg.scene, cfg.render
    if not 0 <= sc.pairs_fraction <= 1:
        raise ValueError(f"{pairs_is} {given(sc.pairs_fraction)} must be in [0, 1]")
    for key, value, ok, span in (("scene.max_objects", sc.max_objects, sc.max_objects >= 0, "a whole number >= 0"),
                                 ("scene.object_scale", sc.object_scale, 0 < sc.object_scale < float("inf"),
                                  "a finite number > 0"),
                                 ("scene.min_object_px", sc.min_object_px, 0 <= sc.min_object_px < float("inf"),
                                  "a finite number >= 0"),
                                 ("render.sar_looks", rc.sar_looks, rc.sar_looks >= 1, "a whole number >= 1"),
                                 ("render.png_compress_level", rc.png_compress_level,
                                  0 <= rc.png_compress_level <= 9, "a whole number 0 to 9")):
        if not ok:  # NaN fails every comparison; the range is the key's own (it listed all five)
            raise ValueError(f"{key} {given(value)} is out of range: give {span}")
    if why := scene_weights_problem(sc.scene_weights):  # a file's: load_config names it; a config built in Python
        raise ValueError(f"scene.{why[0]}")


def check_run(n: int, seed: int, workers: int) -> None:
    """ValueError naming the scene count (``--n``), seed or worker count that is out of range."""
    if bad := [f"--{k} {v} ({least})" for k, v, least in (("n", n, "give at least 1 scene, e.g. --n 100"),
                                                         ("seed", seed, "give 0 or more"),
                                                         ("workers", workers, "give at least 1"))
               if v < (0 if k == "seed" else 1)]:
        raise ValueError("out of range: " + "; ".join(bad))
    if n > MAX_SCENES:  # a traceback of "Unable to allocate 7.28 TiB" at --n 1000000000000
        raise ValueError(f"--n {n}: at most {MAX_SCENES} scenes a run (that many take days of CPU and about a TB); "
                         "make more in runs of other seeds, whose scene ids differ")


def check_out(out: Path) -> None:
    """FileExistsError where ``out`` holds records, stats or a config.yaml of its own names that no synth run wrote
    (no ``scenes/`` beside them: a set converted or made by hand, a project's own config): a run replaced them,
    unsaid (synth makes scenes/ before it writes any of them); ValueError where ``out``, a folder not made yet, is named
    as a records file (``--out set.jsonl`` made a folder set.jsonl, unsaid)."""
    suffix = next((s for s in (".jsonl.gz", ".json.gz", ".jsonl", ".json") if out.name.lower().endswith(s)), None)
    if suffix and not out.is_dir():
        raise ValueError(f"output folder {out} is named as a records file: synth makes a folder there (scenes/, "
                         f"images/, train/val/test.jsonl in it); give a folder, e.g. "
                         f"{out.with_name(out.name[:-len(suffix)] or 'set')}")
    if (out / "scenes").is_dir() or not out.is_dir():
        return
    names = ("train.jsonl", "val.jsonl", "test.jsonl", "stats.json", "config.yaml")
    if theirs := [name for name in names if (out / name).exists()]:
        raise FileExistsError(f"output folder {out} holds {', '.join(theirs)} that no synth run wrote (no scenes/ "
                              "beside them), which this run would replace: give a new --out, or remove them first")


# image bytes per px of one frame, at least: the TIFFs are written uncompressed (msi 6 x uint16, sar 2 x float32,
# ir uint16); optical's noisy PNG takes 2-3 of its 3 (1 counted); masks compress to little
_PX_BYTES = {"optical": 1, "msi": 12, "sar": 8, "ir": 2}


def check_room(out: Path, n: int, cfg: SynthConfig, seed: int, size_is: str = "scene.size") -> None:
    """OSError naming --n, the scene size (as ``size_is``, ``--size`` where that set it) and the modalities where
    the images alone would take more than the free space of ``out``'s disk (with the images/ of this run's scenes and
    modalities there already, which it rewrites): was found when the disk filled, hours in (--n 1000 --size 4096 is
    about 480 GB)."""
    import shutil

    frames = n * (1 + cfg.scene.pairs_fraction)
    need = int(frames * cfg.scene.size ** 2 * sum(_PX_BYTES[m] for m in cfg.modalities))
    disk = next(p for p in (out, *out.absolute().parents) if p.exists())
    usage = shutil.disk_usage(disk)
    free = usage.free
    if need <= free or not usage.total:  # a total of 0: a mount that gives no figures (some FUSE ones), not a full one
        return
    held = _rewritten(out, n, seed, cfg.modalities)
    if need > free + held:
        raise OSError(f"output folder {out}: --n {counted(n, 'scene')} of {size_is} {cfg.scene.size} px in "
                      f"{', '.join(cfg.modalities)} take about {need / 1e9:.1f} GB of images at least, and its disk "
                      f"has {(free + held) / 1e9:.1f} GB free{' (with its images/)' if held else ''}: give fewer "
                      "scenes, a smaller --size, fewer --modalities, or an --out on a larger disk")


def peak_bytes(size: int, pairs_fraction: float) -> float:
    """Bytes one process drawing scenes of ``size`` px takes at its peak, fitted to its peak RSS with four
    modalities (fewer take less): 0.34 GB at 1024 px, 1.1 at 2048, 4.22 at 4096, 5.42 for a 4096-px pair (stop 78
    and its review); the imports, and so many bytes a pixel (a pair's two frames more)."""
    return 100e6 + size * size * (317 if pairs_fraction > 0 else 245)  # 270/345 said 4.6/5.9 GB at 4096


def start_line(n: int, cfg: SynthConfig, workers: int) -> str:
    """What a run begins to make, said at once (``synth: 1 scene of 4096 px x 4 modalities …``): without a terminal
    the first progress line comes after a tenth of the scenes, 72 s for one 4096-px scene, and nothing before it
    said the run had begun."""
    per, k = peak_bytes(cfg.scene.size, cfg.scene.pairs_fraction), len(cfg.modalities)
    return (f"synth: {counted(n, 'scene')} of {cfg.scene.size} px x {k} modalit{'ies' if k != 1 else 'y'}, "
            f"{counted(workers, 'worker')}; up to about {per / 1e9:.1f} GB of memory a process at the peak"
            + (f" ({per * workers / 1e9:.1f} GB in all)" if workers > 1 else ""))


def memory_note(size: int, workers: int, pairs_fraction: float, available: int | None = None,
                where: str = "MemAvailable") -> str | None:
    """A note where ``workers`` processes drawing scenes of ``size`` px may together take more memory than is
    available (``available`` bytes, set by ``where``; default ``rsvlm.io.budget.memory_left``'s: MemAvailable, or a
    memory cgroup's limit where it leaves less, as in a container). A process's peak is ``peak_bytes``, measured with
    four modalities, so fewer take less than said. None where they fit or nothing says what is available."""
    per = peak_bytes(size, pairs_fraction)
    if available is None:
        from rsvlm.io import budget  # as called: a test's limit

        available, where = budget.memory_left()
        if available is None:
            return None
    if per * workers <= available:
        return None
    fewer = int(available // per)
    return (f"note: scenes of {size} px take about {per / 1e9:.1f} GB of memory a process at the peak"
            f"{' (a pair)' if pairs_fraction > 0 else ''}, {per * workers / 1e9:.1f} GB with --workers {workers}, "
            f"and {available / 1e9:.1f} GB is available ({where}): the system may end the run; "
            + (f"give --workers {fewer} or a smaller --size" if fewer else "give a smaller --size"))


def _rewritten(out: Path, n: int, seed: int, modalities: list[str]) -> int:
    """Bytes of ``out``'s images/ that a run of ``n`` scenes of ``seed`` in ``modalities`` writes over: not another
    seed's or modality's files, nor scenes past ``n``, which it keeps (all were counted as room it frees)."""
    if not (out / "images").is_dir():
        return 0
    ours = re.compile(rf"(s{seed}-(\d{{6,}}))_(?:{'|'.join(map(re.escape, modalities))})(?:_t[01])?\.(?:png|tif)")
    return sum(e.stat().st_size for e in os.scandir(out / "images")
               if (m := ours.fullmatch(e.name)) and int(m[2]) < n and m[1] == scene_id(seed, int(m[2])))


def synthesize(out: str | Path, n: int, seed: int, cfg: SynthConfig | None = None, workers: int = 1,
               progress: bool = True, records: bool = True, verbose: bool = True, flags: dict | None = None) -> dict:
    """Write ``n`` scenes and their records under ``out``; return the stats report (also stats.json). ``flags``:
    config key → the option that set it (``check_config``'s), which the notes after the run name as typed."""
    from rsvlm.config import save_config
    from rsvlm.progress import ProgressLines, bar

    cfg = cfg or SynthConfig()
    check_config(cfg)
    named = list(cfg.modalities)  # as given: an order other than the one used is said after the run
    cfg = replace(cfg, modalities=modality_order(cfg.modalities))  # their order drew other records, wrote other JSON
    check_run(n, seed, workers)
    splits = assign_splits(n, cfg.split.val, cfg.split.test, seed)
    workers = min(workers, n)  # a process for each scene at most: more would start, import and idle
    out = Path(out)
    check_out(out)
    flags = flags or {}
    size_is = flags.get("scene.size", "scene.size")  # "--size 32", not a key the user never typed
    check_room(out, n, cfg, seed, size_is)
    if verbose and (note := memory_note(cfg.scene.size, workers, cfg.scene.pairs_fraction)):
        print(note, file=sys.stderr)  # before the work: else the system ends a run past it with no word of why
    for sub in ("images", "masks", "scenes"):
        try:
            (out / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:  # named as the user named it, not as errno's "images: Not a directory"
            file = next((a for a in (out, *out.parents) if a.exists() and not a.is_dir()), None)
            raise OSError(f"output folder {out}: cannot make {sub}/ in it: "
                          + (f"{file} is a file, not a folder" if file else e.strerror or str(e))) from e
    earlier = _set_modalities(out) if named != cfg.modalities else None  # the config.yaml this run replaces
    save_config(cfg, out / "config.yaml")
    job = partial(_job, cfg=cfg, out=out, seed=seed, records=records)
    stats = Stats()
    crowded = Counter()  # scenes of classes that always hold objects: all / with none placed
    too_small = Counter()  # class -> objects the recipes asked for that drew under 3 px: left out
    not_fitted = Counter()  # class -> objects the recipes asked for that found no room: left out
    placed, done = 0, 0  # objects in the scenes (a pair's arrivals too); scenes written
    pairs = bytearray(n)  # 1 where scene i is a pair: the frame files it has
    (out / "stats.json").unlink(missing_ok=True)
    files = SplitFiles(out)
    t0, cpu0, worker_cpu = time.perf_counter(), time.process_time(), 0.0
    progress = progress and sys.stderr is not None  # python run with stderr closed (2>&-): nowhere to say it
    live = progress and sys.stderr.isatty()  # else a bar's \r redraws piled up as one line of the log
    lines = ProgressLines(n, t0) if progress and not live else None
    if lines:
        print(start_line(n, cfg, workers), file=sys.stderr, flush=True)
    try:
        with bar(total=n, desc="synth", unit="scene", disable=not live) as shown:
            for gt, recs, skipped, wanted, small, unfit, split, job_cpu in _run(job, enumerate(splits), workers):
                too_small.update(small)
                not_fitted.update(unfit)
                placed += len({o["id"] for f in gt["frames"] for o in f["objects"]})
                pairs[int(gt["scene"].rsplit("-", 1)[1])] = gt["pair"]
                worker_cpu += job_cpu if workers > 1 else 0.0  # with one worker it is this process's own
                stats.add_scene(gt, split)
                stats.add_wanted(wanted)
                if gt["scene_class"] in _ALWAYS_OBJECTS and cfg.scene.max_objects > 0:
                    crowded["all"] += 1
                    crowded["empty"] += not gt["frames"][0]["objects"]
                stats.skipped.update(skipped)
                stats.add_records(gt, recs)
                for r in recs:
                    files.write(split, json.dumps(r, separators=(",", ":")))
                shown.update(1)
                done += 1
                if lines:
                    lines.step()
    except KeyboardInterrupt as e:  # for the message of ``python -m data_gen synth``
        # with workers, a few more are on disk; not add_note, which Python 3.10 (requires-python) lacks
        e.__notes__ = [*getattr(e, "__notes__", ()), f"{done} of {n} scenes done"]
        raise
    finally:
        files.close()
    dt, cpu = time.perf_counter() - t0, time.process_time() - cpu0 + worker_cpu
    report = stats.report()
    if lone := pairs_without_change(cfg.instructions, stats):  # only then, as the two below
        report["pairs_without_change_record"] = lone
    for key, left in (("objects_too_small", too_small), ("objects_not_fitted", not_fitted)):
        if left:  # only then: a set with none keeps the stats.json it always had
            report[key] = dict(left.most_common())
    (out / "stats.json").write_text(json.dumps(report, indent=1) + "\n")
    files.commit()
    ours = {scene_id(seed, i) for i in range(n)}
    stale = sorted(p.stem for p in (out / "scenes").glob("*.json") if p.stem not in ours)
    leftover = _leftovers(out, seed, pairs, cfg.modalities)
    ours_files = {f"{split}.jsonl" for split in ("train", "val", "test")}
    other_records = sorted(p.name for p in out.glob("*.jsonl*") if p.name not in ours_files  # rebuild's, chat's; not a
                           and p.name.lower().endswith((".jsonl", ".jsonl.gz")))  # build's train.jsonl.args.json
    report.update(seconds=round(dt, 2), scenes_per_second=round(n / dt, 2), cpu_seconds=round(cpu, 2),
                  stale_scenes=len(stale), leftover_files=len(leftover), scenes_without_objects=crowded["empty"],
                  other_records_files=len(other_records),
                  objects_too_small=dict(too_small.most_common()),  # these two also in stats.json when any
                  objects_not_fitted=dict(not_fitted.most_common()))
    if verbose:
        print(format_report(report))
        if not (cfg.instructions.all_tasks or cfg.instructions.records_per_image):
            print(f"note: instructions.records_per_image=0: scenes only, the records files are empty; make records "
                  f"with python -m data_gen rebuild --dir {out} instructions.records_per_image=N", file=sys.stderr)
        by_tasks = "instructions.task_weights" in flags
        if note := _no_pairs_note(cfg, report, flags.get("scene.pairs_fraction", "scene.pairs_fraction"), by_tasks):
            print(note, file=sys.stderr)
        if note := pairs_without_change_note(cfg.instructions, report, by_tasks):
            print(note, file=sys.stderr)
        if too_small:
            small = sum(too_small.values())
            print(f"note: {counted(small, 'object')} the scene recipes asked for {'was' if small == 1 else 'were'} "
                  "left out as too small "
                  f"to draw (under 3 px at {size_is} {cfg.scene.size}, object_scale {cfg.scene.object_scale}, "
                  f"min_object_px {cfg.scene.min_object_px}): "
                  + ", ".join(f"{c} {k}" for c, k in too_small.most_common())
                  + ". Raise scene.min_object_px (e.g. 10) or --size", file=sys.stderr)
        if not_fitted:
            asked = placed + sum(too_small.values()) + sum(not_fitted.values())
            unfit = sum(not_fitted.values())
            print(f"note: {unfit} of the {counted(asked, 'object')} the scene recipes asked for "
                  f"{'was' if unfit == 1 else 'were'} left "
                  f"out for want of room (no free place in their zone; larger objects crowd out more): "
                  + ", ".join(f"{c} {k}" for c, k in not_fitted.most_common()), file=sys.stderr)
        if crowded["empty"]:
            print(f"note: {crowded['empty']} of {crowded['all']} scenes of classes that always have objects "
                  f"({', '.join(sorted(_ALWAYS_OBJECTS))}) got none: none fitted. {size_is} {cfg.scene.size} is "
                  f"small for objects at object_scale {cfg.scene.object_scale}, min_object_px "
                  f"{cfg.scene.min_object_px}" + (", or they are too small to draw (above)" if too_small else ""),
                  file=sys.stderr)
        for name in (s for s in ("val", "test") if getattr(cfg.split, s) > 0 and not report["scenes_by_split"].get(s)):
            print(f"note: split.{name}={getattr(cfg.split, name)} of {n} scene{'s' * (n != 1)} rounds to none: "
                  f"{name}.jsonl is empty (from 3 scenes on, a split asked for gets one at least)", file=sys.stderr)
        if stale:
            print(f"note: {out / 'scenes'} also holds {counted(len(stale), 'scene')} of an earlier run (first: "
                  f"{stale[0]}), "
                  "with their images and masks; rebuild and preview read them too. Use a new --out for a "
                  "set of its own.", file=sys.stderr)
        if other_records:
            print(f"note: {out} also holds {counted(len(other_records), 'records file')} this run did not write "
                  "(first: "
                  f"{other_records[0]}): a rebuild's or chat's of the scenes as they were; this run rewrote the scenes "
                  "of its ids, so make those files again", file=sys.stderr)
        if leftover:
            print(f"note: images/ and masks/ also hold {counted(len(leftover), 'file')} of this run's scene ids "
                  "that its "
                  f"scenes do not name (first: {leftover[0]}): an earlier run's other modalities, or frames of a "
                  "scene that was a pair then or single. Use a new --out for a set of its own.", file=sys.stderr)
        if named != cfg.modalities:
            print(_order_note(named, cfg.modalities, out, earlier == named, "modalities" in flags), file=sys.stderr)
        k = len(cfg.modalities)
        rate = f"{n / dt:.1f} scenes/s" if n >= dt else f"{dt / n:.1f} s a scene"  # not "0.0 scenes/s" at 4096 px
        print(f"{n} scene{'s' * (n != 1)} x {k} modalit{'ies' if k != 1 else 'y'} in {dt:.1f} s: {rate} "
              f"({counted(workers, 'worker')}; {cpu:.1f} CPU-s in all, {1000 * cpu / n:.1f} CPU-ms per scene)")
    return report


def _no_pairs_note(cfg: SynthConfig, report: dict, pairs_is: str = "scene.pairs_fraction", by_tasks: bool = False) -> str:
    """A note where records of ``change`` were asked for (weight > 0; by ``--tasks``: ``by_tasks``) but no scene was
    drawn as a pair, which it needs (a few scenes at 0 < scene.pairs_fraction < 1): its records are missing, all of
    them where it is the only task; "" otherwise. The quota lines said only "not made: skipped, or more asked …"."""
    ins = cfg.instructions
    weight = unmade_change(ins, report["pairs"])
    if not weight or not cfg.scene.pairs_fraction:  # pairs_fraction 0: none asked for (check_makeable)
        return ""
    alone = not any(float(w) > 0 for t, w in ins.task_weights.items() if t != "change")
    n = report["scenes"]
    asked = "--tasks asks for change" if by_tasks else f"instructions.task_weights gives change {weight:g}"
    return (f"note: {asked}, but none of the {n} scene"
            f"{'s' * (n != 1)} was drawn as a pair ({pairs_is} {cfg.scene.pairs_fraction:g}), which "
            + ("change records need: no record was made" if alone else "change records need: none of them was made")
            + "; give --pairs-fraction 1 (every scene a pair) or more scenes")


def _set_modalities(out: Path) -> list | None:
    """The ``modalities`` of the set ``out`` holds already (its ``config.yaml``), None where it holds none."""
    import yaml

    if not (out / "scenes").is_dir():
        return None
    try:
        saved = yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return saved.get("modalities") if isinstance(saved, dict) else None


def _order_note(named: list[str], used: list[str], out: Path, remade: bool, flag: bool) -> str:
    """The note where the modalities were ``named`` in another order than the ``used`` one (``flag``: by
    --modalities): a set made of that order before f232d9f5 has the same images but other records and scene JSON,
    so a run of its config.yaml (``remade``: over it, in ``out``) is not it made again; that went unsaid."""
    given = f"--modalities {','.join(named)}" if flag else f"modalities [{', '.join(named)}]"
    return (f"note: {given} were rendered and drawn in the order {', '.join(used)} (config.yaml says so): a set "
            f"made in the order {', '.join(named)} before stop 74 (f232d9f5) has the same images but other records "
            "and scene JSON, so this run is not such a set made again"
            + (f"; {out} was one (its config.yaml named that order): its records, scene JSON and stats.json are "
               "this run's now" if remade else ""))


def _leftovers(out: Path, seed: int, pairs: bytearray, modalities) -> list[str]:
    """Files under images/ and masks/ named for one of this run's scenes that it did not write
    (``write.write_scene`` names them ``<scene>_<modality>[_t0|_t1].*``, ``<scene>[_t0|_t1]_sem.png`` …)."""
    name = re.compile(rf"(s{seed}-(\d{{6,}}))_(.+)\.(?:png|tif)")
    found = []
    for sub in ("images", "masks"):
        for entry in os.scandir(out / sub):
            m = name.fullmatch(entry.name)
            if not m or int(m[2]) >= len(pairs) or m[1] != scene_id(seed, int(m[2])):
                continue  # not one of this run's scenes (an earlier run's: the stale note says so)
            times = ("t0", "t1") if pairs[int(m[2])] else ("",)
            ours = ({"_".join(filter(None, (mod, t))) for mod in modalities for t in times} if sub == "images" else
                    {"_".join(filter(None, (t, kind))) for t in times for kind in ("sem", "inst")}
                    | ({"change"} if times[0] else set()))
            if m[3] not in ours:
                found.append(f"{sub}/{entry.name}")
    return sorted(found)


def _job(item, **kw):
    """One scene's results, its split and the CPU seconds it took in the process that made it: pool
    workers are the forkserver's children, not this process's, so RUSAGE_CHILDREN never sees them."""
    i, split = item
    cpu0 = time.process_time()
    res = make_scene(i, split, **kw)
    return (*res, split, time.process_time() - cpu0)


def _run(job, items, workers: int):
    if workers <= 1:
        yield from map(job, items)
        return
    import multiprocessing as mp

    # not "fork": a fork of a process with threads (torch's, a test runner's, GDAL's) can copy a lock
    # some thread held, and the worker then waits on it forever (seen: a CI run hung in a worker)
    start = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    with mp.get_context(start).Pool(workers) as pool:
        yield from pool.imap(job, items, chunksize=8)
