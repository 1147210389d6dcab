"""``rsvlm predict --tile``: a whole scene answered window by window (``rsvlm.io.run_tiled``), each
tile's shapes merged into the scene's and its words tallied.

Limits: tiling takes one image, not a pair, and keeps only geometry (single tiles' text answers are
tallied, not merged; each is in ``--out``'s ``"tiles"``). A tiled ``--out``'s ``"answer"`` is the line
printed: the tally ("answers of 9 tiles: 'lake' x5, 'forest' x4") for a word task, the count ("12
objects from 9 tiles") for shapes, which are in ``"objects"``. ``--tta`` fuses each tile's shapes over
its views before the merge, and a tile's short text answer is its views' vote before the tally.
"""

from __future__ import annotations

import math
import sys

from rsvlm import inference as inf
from rsvlm.answer_shown import shown
from rsvlm.answering import is_cut_known
from rsvlm.io.windows import default_overlap  # one rule with fills.tiling_skips' windows
from rsvlm.progress import counted
from rsvlm.tta import FuseConfig
from rsvlm.tta_text import views_left_out

TILE_BATCH = 4  # --batch-size's default: tiles per forward pass with --tile (cli.py's help says it)
MANY_WINDOWS = 1000  # a scene cut into this many windows or more is told the count before the model loads
TEXT_TASKS = ("cls", "vqa", "cap", "count", "regcap")  # answered in words: tiled, each tile's answer is tallied


def tile_predictor(model, processor, question: str, max_new_tokens: int, answers: list, constrain: bool = True,
                   tta: FuseConfig | None = None, min_objects: int = 0, by_class: bool = False,
                   seen: dict | None = None):
    """``predict_fn`` for ``rsvlm.io.run_tiled``: one batched generate per batch of tiles (and, with ``tta``,
    one per other view, each tile's shapes fused over its views before the merge). Each tile's entry in
    ``answers`` has ``"cut": true`` where the token limit stopped its answer (or one fused into it), and
    ``"cut_known": true`` too where it is known to have cut it (``Answer.cut_known``, ``Fused.cut_known``),
    ``"past_context": true`` where it (or one fused into it) ran past the LLM's context (``"past_views"``:
    the views whose answers did, where its own did not), a ``"note"`` where a view of it was refused, and a
    ``"tta_note"`` where view answers were left out of its fusion (``tta.Fused.note``; ``"tta_left_out"`` beside it: how
    many answers, ``Fused.left_out``, 0 where it says only of repairs), a ``"tta_voted_out"``
    where "None." replaced its plain answer's shapes (``Fused.voted_out``), a ``"tta_unasked"`` where
    some views were not asked of it (``Fused.unasked``), ``"worded"`` the classes asked on their own
    (``by_class``) that answered in words, left out (``Answer.worded``). ``seen``, where given
    with ``tta``, gets ``"views"``: the set of other views asked of any tile so far, ``"first"``: the first
    tile's (messages, images, plain answer), which ``tta.no_view_note`` reads where no view was asked,
    ``"fused"``: the windows whose shapes were fused over their views (not a plain answer kept: ``fused_flags``), and
    ``"differs"``: for each tile whose fused answer differs from its plain one, how many answers were fused."""
    from rsvlm import geometry

    generate = inf.answerer(model, processor, max_new_tokens, constrain, min_objects, by_class)
    views = inf.answerer(model, processor, max_new_tokens, constrain, 0, by_class) if min_objects else generate

    def predict(tiles):
        msgs = [[{"role": "user", "content": inf.user_text(question, [t], True, processor.prompt)}] for t in tiles]
        inputs = [[inf.model_input(t)] for t in tiles]
        first = generate(msgs, inputs)
        fused, refused = [None] * len(tiles), {}
        if tta is not None:
            from rsvlm.tta import fused_answers

            def asking(other_views: tuple) -> None:  # a scene of whose tiles none asked a view says why once
                if seen is not None:
                    seen.setdefault("views", set()).update(other_views)
                    seen.setdefault("first", (msgs[0], inputs[0], first[0]))

            fused = fused_answers(views, msgs, inputs, first, tta, refused, on_views=asking, frame="tile window")
        out = []
        for k, (tile, answer, f) in enumerate(zip(tiles, first, fused)):
            (text, scores), cut, past = answer, inf.is_cut(answer), inf.is_past_context(answer)
            window = list(tile.window or (0, 0, tile.width, tile.height))
            parsed = geometry.decode(text, width=tile.width, height=tile.height)
            objects, problems = inf.with_scores(parsed.objects, scores, text), parsed.problems
            only_views = list(f.past_views) if f is not None and not past else []  # past the context: views only
            if f is not None:  # fused over the views: shapes only, or short text's vote (as untiled)
                if seen is not None and f.answer != text:  # how many answers each differing tile fused (run_scene says it)
                    seen.setdefault("differs", []).append(f.answers or len(tta.views))
                text, cut, past = f.answer, f.cut, f.past_context
                if f.objects is not None:
                    objects, problems = f.objects, []
                    if seen is not None and f.objects:  # pixel votes among them (unscored_note), not a plain one kept
                        seen.setdefault("fused", []).append(tuple(window))
            known = f.cut_known if f is not None else is_cut_known(answer)  # its own, or one fused into it
            answers.append({"window": window, "answer": text,
                            "problems": problems, **({"cut": True} if cut else {}),
                            **({"cut_known": True} if known else {}),
                            **({"past_context": True} if past else {}),
                            **({"past_views": only_views} if only_views else {}),
                            **({"note": refused[k]} if k in refused else {}),
                            **({"tta_note": f.note, "tta_left_out": f.left_out} if f is not None and f.note else {}),
                            **({"tta_voted_out": f.voted_out} if f is not None and f.voted_out else {}),
                            **({"tta_unasked": f.unasked} if f is not None and f.unasked else {}),
                            **({"worded": list(answer.worded)} if getattr(answer, "worded", ()) else {})})
            out.append(objects)  # the merger keeps the higher-scored duplicate
        return out

    return predict


def fused_flags(objects: list[dict], windows) -> list[bool]:
    """Whether each of the merged ``objects`` (scene pixels) is an unscored polygon or mask lying within the
    ``windows`` (x0, y0, w, h) whose shapes were fused over ``--tta`` views (``tile_predictor``'s ``seen["fused"]``):
    a pixel vote (``unscored_note``), not a tile's plain answer kept (every view refused). By its bounds alone: one
    merged across a fused tile and a plain one is taken as plain, and a plain tile's own lying in its overlap with a
    fused tile (``--overlap``) as a vote."""
    import shapely

    from rsvlm.io.georef import mask_bounds, object_geometry

    if not windows:
        return [False] * len(objects)
    area = shapely.union_all([shapely.box(x, y, x + w, y + h) for x, y, w, h in windows])
    flags = []
    for o in objects:
        if o.get("score") is not None or o.get("kind") not in ("poly", "mask"):  # scored, or no vote: not looked at
            flags.append(False)
            continue
        try:
            box = mask_bounds(o) if o.get("kind") == "mask" else object_geometry(o).bounds
        except (ValueError, TypeError, IndexError, AttributeError):  # no geometry: no vote
            box = None
        flags.append(box is not None and area.covers(shapely.box(*box)))
    return flags


def tile_answers(tiles: list[dict], most: int = 10) -> str:
    """The tiles' answers tallied, most common first ("answers of 9 tiles: 'lake' x5, 'forest' x4"; "answers of 0 tiles"
    where none was asked: all nodata, or stopped before the first)."""
    from collections import Counter

    if not tiles:
        return "answers of 0 tiles"

    counts = Counter(t["answer"] for t in tiles).most_common()
    more = f", and {len(counts) - most} other answers" if len(counts) > most else ""
    return f"answers of {counted(len(tiles), 'tile')}: " + ", ".join(f"{a!r} x{n}" for a, n in counts[:most]) + more


def tile_note(task: str, given_as: str | None = None) -> str | None:
    """What ``--tile`` does to ``task``'s answer, where the scene's answer is not simply the tiles'
    merged shapes (det and seg): None for those. ``given_as``: the task as the user gave it (``--prompt's
    [count]``; predict_question's ``named_task``), ``--task TASK`` where None."""
    head = f"--tile asks each window on its own, so {given_as or f'--task {task}'} is answered per tile"
    if task == "ground":  # "the largest ship", "the leftmost tank": one answer per window
        return (f"{head}: each tile answers it of its own pixels (\"the largest\", \"the leftmost\" are each tile's, "
                "not the scene's), and the tiles' boxes are merged as shapes")
    if task == "count":
        return f"{head}: the tiles' counts are tallied, not summed (an object in an overlap is in two tiles)"
    if task == "regcap":
        return (f"{head}: a region the question gives is read in each tile's pixels, and the tiles' answers are "
                "tallied, not merged")
    if task in TEXT_TASKS:
        return f"{head}: the tiles' answers are tallied, not merged into one"
    return None


def overlap_notes(args, scene_size: tuple[int, int], label: str, say) -> None:
    """Say (``say``: predict's ``Said``) what ``--overlap`` does to this scene's tiling where a user would
    not expect it: over half of ``--tile`` (a 10980 px scene in 763,876 tiles at ``--overlap 500 --tile
    512``), and how many windows there are where ``MANY_WINDOWS`` or more. ``--overlap 0`` needs no note:
    pieces of an object cut at a seam are joined (``io/seams.py``)."""
    from rsvlm.io.tiles import n_windows

    tile, overlap, default = args.tile, args.overlap, default_overlap(args.tile)
    if tile >= max(scene_size):  # one window: the answer is that tile's, tallied or merged
        say(f"note: --tile {tile} is at least the {'x'.join(map(str, scene_size))} scene's size: one window, the "
            "whole image, is asked", label)
        return  # no seams, no overlap
    n = n_windows(*scene_size, tile, overlap)
    if 2 * overlap > tile:
        up = math.prod(_most_over(side, tile, overlap) for side in scene_size)
        say(f"note: --overlap {overlap} is over half of --tile {tile}: windows start every {tile - overlap} px, "
            f"{n:,} tiles for this {'x'.join(map(str, scene_size))} scene, each pixel in up to "
            f"{up:,} of them; the default overlap is {default}", label)
    elif n >= MANY_WINDOWS:  # --tile 4 on a 712x557 scene: 44,082 model calls, said only by the bar as they ran
        fewer = n_windows(*scene_size, 4 * tile, min(overlap * 4, default_overlap(4 * tile)))
        say(f"note: --tile {tile} --overlap {overlap} cuts this {'x'.join(map(str, scene_size))} scene into {n:,} "
            f"windows, each a model call (--tile {4 * tile}: {fewer:,})", label)


def _most_over(side: int, tile: int, overlap: int) -> int:
    """The most windows over one pixel along a side: about ``tile / step``, at most the side's windows (a
    130 px side at --tile 96 --overlap 95 has 35, not 96), and one more where the last window, flush with the
    scene's edge, starts under a step after its neighbour (pixel 9 of 19 is in all 4 at --tile 10 --overlap 6)."""
    import numpy as np

    from rsvlm.io.windows import window_starts

    starts = np.array(window_starts(side, tile, tile - overlap))  # sorted; window k covers [starts[k], starts[k] + tile)
    return int((np.searchsorted(starts, starts + tile) - np.arange(len(starts))).max())


def window_problem(scene, tile: int, overlap: int, batch_size: int, label: str, views: bool = False,
                   loaded: bool = False) -> str | None:
    """Why ``--tile``'s windows of the open ``scene`` cannot be read: ``batch_size`` of them at once need more
    memory than is free (``budget.batch_bytes``: as ``run_tiled`` holds them; ``views``: --tta's mirror copies too);
    None where they fit. Asked before the model loads: a --tile 60000 was refused after it, as "not enough memory
    to read the whole scene … (rsvlm predict --tile 512 …)"; and again once it is loaded (``loaded``: "do not fit
    in the memory free once the model was loaded (…)"), as the model took its share."""
    from rsvlm.io.budget import batch_bytes, check_need, scaling_bytes
    from rsvlm.io.rows import decodes_from_start
    from rsvlm.io.tiles import n_windows

    w, h, bands, dtype = min(tile, scene.width), min(tile, scene.height), len(scene.indexes), scene.src.dtype
    batch_size = min(batch_size, n_windows(scene.width, scene.height, tile, overlap))
    strip = scene.width if decodes_from_start(scene) else 0  # a PNG: a row of windows read as one strip
    try:
        scaled = scaling_bytes(dtype, scene.modality, scene.cfg.ir_kelvin)  # 12-25 a value, as a whole read counts
        check_need(batch_bytes(w, h, bands, dtype, batch_size, strip, views, scaled))  # as run_tiled holds them
    except MemoryError as e:
        rows = (f" (read a row of windows at a time, as a {strip}x{h} px strip)" if strip > w else "") + (
            " and two --tta views of each" if views else "")
        return (f"--tile {tile}: {counted(batch_size, 'window')} of {label} at once, each {w}x{h} px of {counted(bands, 'band')} of "
                f"{dtype}{rows}, {'does' if batch_size == 1 else 'do'} not fit in "
                f"{'the memory free once the model was loaded' if loaded else 'memory'} ({e}); give a smaller --tile (96: the bundled model's input)"
                + (" or --batch-size" if batch_size > 1 else ""))
    return None


def scene_nodata_problem(scene) -> tuple[str | None, object]:
    """Why a ``--tile`` run of the open ``scene`` has nothing to ask (every pixel nodata), said before the model
    loads as an untiled run says it, or None where a pixel is valid, or may be: a scene larger than the stretch's
    sample (``ReadConfig.stats_max_side``) is read decimated, which can step over a small valid patch, so it is
    left to each window's own check (``all_nodata_tiles``); and the whole scene as read for it (``read_overview``
    at full resolution: ``--vis`` draws on it, not reading it again), or None where it was not read."""
    side = scene.scaling.stats_max_side
    if max(scene.width, scene.height) > side:
        return None, None
    whole = scene.read_overview(side)  # the whole scene: it is no larger than the sample
    return inf.all_nodata(whole), whole


def all_nodata_tiles(result: dict, path: str) -> str | None:
    """Why a finished ``--tile`` run asked nothing: each of its windows was wholly nodata (a scene too large to be
    found so before the model loaded, ``scene_nodata_problem``); None where a tile was asked."""
    if result["tiles"] or not result["nodata_tiles"]:
        return None
    return (f"{path}: every pixel is nodata (the file's nodata value or mask, alpha 0, or non-finite values) in each of "
            f"its {counted(result['nodata_tiles'], 'tile')}: nothing to ask about; nothing written")


def nodata_windows_note(validity) -> str | None:
    """The note for a tiled run whose windows asked (``validity``: the ``ValidityMap`` that saw them) include some
    ``fills.NODATA_SHARE`` or more nodata, as an untiled read's ``nodata_share_note`` says of the whole image:
    how many, and the worst share and its window; None where none is. Only windows wholly nodata are skipped,
    so a collar's edge windows reach the model with their nodata as 0 (the real Landsat-8 B10 at --tile 64:
    14 of 30 windows, the worst 70%). Cannot: say where in a window the nodata lies."""
    from rsvlm.io.fills import NODATA_SHARE

    n, worst, window = validity.mostly_nodata(NODATA_SHARE)
    if not n:
        return None
    asked = validity.n_asked
    return (f"note: {n} of the {counted(asked, 'window')} asked {'is' if n == 1 else 'are'} {NODATA_SHARE:.0%} or "
            f"more nodata (the worst {min(round(worst * 100), 99)}%, window {window} (x0, y0, w, h); its nodata "
            "value or mask, alpha 0 or no usable value): the model sees nodata as 0, the bottom of each band's "
            "stretch (black), and cannot tell it from dark ground; only windows wholly nodata are skipped; crop the "
            "image to its valid area")


def window_notes(tile: int, scene_size: tuple[int, int], n: int, label: str, say, resize: str = "stretch") -> None:
    """Say where ``--tile``'s windows are far from the model's ``n`` px input (``inference.scale_gap``):
    shrunk more than 4x (small objects vanish) or enlarged more than 4x (an 8 px tile blown up to 96 px, a
    scale the model never saw); a window exactly 4x either way is not said. A window 4x or more longer one
    way than the other (``--tile 96`` on a 300x1 px strip: 96x1 windows) is said as ``inference.size_note``
    says an untiled strip, with what the stem's ``resize`` does to it."""
    if gap := inf.scale_gap(min(tile, max(scene_size)), n):
        say(f"--tile {tile}: each window is {gap}; --tile {n} looks at the scene at its own resolution", label)
    w, h = (min(tile, side) for side in scene_size)  # a window: the tile, or the scene where it is thinner
    if strip := inf.aspect_gap(w, h, n, resize):
        say(f"--tile {tile}: each window is {w}x{h} px, {strip}", label)


def run_scene(scene, image, label: str, args, model, processor, question: str, tta: FuseConfig | None, say,
              predictor=tile_predictor, validity=None, seen: dict | None = None) -> tuple[dict, str | None, str | None]:
    """``question`` asked of each ``--tile`` window of the open ``scene`` (``image``: its 1-pixel read, which
    carries CRS and transform) and the answers merged: predict's result (its ``"answer"`` a word task's tally,
    printed on stdout; None for shapes, which the caller counts once its filters ran: ``shapes_line``), why
    the run ended early (Ctrl-C: the tiles done are kept), or None, and why it asked nothing (``all_nodata_tiles``,
    which the caller prints; None where stopped, or a tile was asked). ``predictor``:
    ``tile_predictor`` or a stand-in; ``validity``: the ``nodata_objects.ValidityMap`` the windows read are
    seen by (the caller's, to tell objects on nodata after the merge); ``seen``: ``tile_predictor``'s (the caller's,
    to read ``"fused"``). A ValueError (a prompt past the LLM's context) is the caller's to say."""
    from rsvlm.io import TileMerger, run_tiled
    from rsvlm.io.tiles import n_windows

    tiles: list = []
    merger, stopped = TileMerger(min_score=args.min_score, validity=validity), None
    unsaid: list[str] = []  # notes run_tiled did not print: it was stopped before its merge
    seen = {} if seen is None else seen  # --tta: the views asked of any tile, the first tile's question and answer
    try:
        objects = run_tiled(scene, predictor(model, processor, question, args.max_new_tokens, tiles,
                                             not args.free_decoding, tta, args.min_objects, args.det_by_class,
                                             seen=seen),
                            tile=args.tile, overlap=args.overlap, batch_size=args.batch_size or TILE_BATCH,
                            merger=merger, label=label)  # the bar and its notes name the scene as predict's do
    except KeyboardInterrupt:  # hours into a scene: keep what the tiles so far found
        objects, unsaid = merger.merged()  # what merging found (empty masks): printed below
        total = n_windows(*image.scene_size, args.tile, args.overlap)
        stopped = f"stopped (Ctrl-C) after {merger.n_tiles + merger.n_nodata} of {total} tiles"
        print(f"\nrsvlm predict: {stopped}; writing what they found", file=sys.stderr)
    result = inf.locate("", image)
    result.update(objects=objects, tiles=tiles,  # "answer": set below (was null)
                  problems=[f"tile {t['window']}: {p}" for t in tiles for p in t["problems"]])
    result["objects"] = inf.with_map_coords(objects, image, result["problems"])
    result["nodata_tiles"] = merger.n_nodata
    for note in merger.notes:  # what a window's read alone met; run_tiled printed it as it came
        say(note, label, printed=note not in unsaid)
    if n_windows(*image.scene_size, args.tile, args.overlap) > 1 and (note := nodata_windows_note(merger.validity)):
        say(note, label)  # one window, the whole scene: its read said its share (``SceneReader.read(tiled=True)``)
    if stopped:
        result["stopped"] = stopped
    if tta is not None and "first" in seen and not seen["views"]:  # the plain answers stood, with no word of why
        from rsvlm.tta import no_view_note

        say(f"note: {no_view_note(*seen['first'], tta, frame='tile window')} (the first tile's reason; no view was asked of any of the "
            f"{counted(len(tiles), 'tile')})", label)
    tile_run_notes(tiles, args, model, say, label)
    if differs := seen.get("differs"):  # untiled predict says it of its answer (predict.fused_note); tiled said nothing
        most, fewest, k, n = max(differs), min(differs), len(differs), len(tiles)
        views = f"{most if most == fewest else f'{fewest} to {most}'} --tta views"
        which = ("the one tile" if n == 1 else "both tiles" if k == n == 2 else f"all {counted(n, 'tile')}" if k == n
                 else f"{k} of {counted(n, 'tile')}")  # not "1 of 1 tile", "all 2 tiles"
        say(f"note: the answer of {which} is fused over {views} and differs from its plain view's own (--tta none gives it)"
            if k == 1 else f"note: the answers of {which} are fused over {views} and differ from their plain view's own "
            "(--tta none gives those)", label)
    empty = None if stopped else all_nodata_tiles(result, image.path)  # once: predict refuses the run with it
    if args.task in TEXT_TASKS:  # words are not merged: they were only in --out, if given (no tile: not "0 objects")
        result["answer"] = tile_answers(tiles) + _skipped(merger.n_nodata)
        if not empty:  # all nodata: refused, stdout left empty (was a tally)
            print(shown(result["answer"]) + ("" if args.out or not tiles else " (--out keeps each tile's answer)"))
    else:  # shapes: counted by the caller once --min-score and --on-nodata have left out theirs (shapes_line)
        result["answer"] = None
    return result, stopped, empty


def _skipped(nodata: int) -> str:
    return f" ({counted(nodata, 'tile')} all nodata, not asked)" if nodata else ""


def shapes_line(result: dict, n_kept: int, n_low: int, n_on_nodata: int, min_score: float | None = None) -> str:
    """A tiled shape answer's line: the ``n_kept`` objects written, and where filters left some of the merged
    ``result["objects"]`` out, how many were found and why (``n_low`` below --min-score ``min_score``, ``n_on_nodata``
    wholly on nodata under --on-nodata drop); it counted the objects found as if all were written. Where ``n_low``
    is not 0, the one line of those --min-score drops: predict says no "… scored below --min-score … dropped" beside
    it (where it is 0, this line names no --min-score, and predict's "0 of N … dropped" says it)."""
    n_tiles = len(result["tiles"])
    line = f"{counted(n_kept, 'object')} from {counted(n_tiles, 'tile')}"
    score = f" {min_score:g}" if min_score is not None else ""
    why = [f"{n} below --min-score{score}" for n in [n_low] if n] + [f"{n} wholly on nodata left out by --on-nodata drop"
                                                                for n in [n_on_nodata] if n]
    if why:
        line += f" ({len(result['objects'])} found; {', '.join(why)})"
    return line + _skipped(result["nodata_tiles"])


def tile_run_notes(tiles: list[dict], args, model, say, label: str | None = None) -> None:
    """Say how many tile answers were cut, not fused over the views, fused without some, voted out by the
    views, or past the LLM's context (each marked in ``--out``'s ``"tiles"``), each about ``label`` (the scene's, as
    run_scene's other notes name it: "[scene.tif] note: …")."""
    n = len(tiles)
    n_cut = sum(bool(t.get("cut")) for t in tiles)  # under the grammar a cut answer reads as a whole one
    n_known = sum(bool(t.get("cut_known")) for t in tiles)  # "may be cut" only of those not known to be
    for k, known in ((n_known, True), (n_cut - n_known, False)):
        if k:
            note = inf.cut_note(args.max_new_tokens, f"{k} of {counted(n, 'tile answer')}", many=k != 1, known=known)
            say(f"note: {note}" + (f" (\"{'cut_known' if known else 'cut'}\" in --out's tiles)" if args.out else ""), label)
    if notes := [t["note"] for t in tiles if "note" in t]:
        say(f"note: {len(notes)} of {counted(n, 'tile')} not fused over the views (first: {notes[0]})", label)
    if notes := [t["tta_note"] for t in tiles if views_left_out(t.get("tta_note"), t.get("tta_left_out"))]:  # not one only of repairs
        say(f"note: {len(notes)} of {counted(n, 'tile')} fused without some view answers (\"tta_note\" in "
            f"--out's tiles; first: {notes[0]})", label)
    if notes := [t["tta_voted_out"] for t in tiles if "tta_voted_out" in t]:  # their shapes gone with no word
        say(f"note: {len(notes)} of {counted(n, 'tile')} answered \"None.\" in place of {'its' if len(notes) == 1 else 'their'} plain answer's shapes (\"tta_voted_out\" "
            f"in --out's tiles; first: {notes[0]})", label)
    if worded := [t["worded"] for t in tiles if "worded" in t]:  # --det-by-class: the scene's objects lack them
        say(f"note: {len(worded)} of {counted(n, 'tile')} had class answers in words with no shape, left out of the joined "
            f"answer (\"worded\" in --out's tiles; first: {', '.join(map(repr, worded[0]))})", label)
    if notes := [t["tta_unasked"] for t in tiles if "tta_unasked" in t]:
        say(f"note: {len(notes)} of {counted(n, 'tile')} {'was' if len(notes) == 1 else 'were'} not asked some views (\"tta_unasked\" in --out's tiles; first: "
            f"{notes[0]})", label)
    if n_past := sum(bool(t.get("past_context")) for t in tiles):
        only = sum(bool(t.get("past_views")) for t in tiles)  # the tile's own answer was inside
        it = "it" if only == 1 else "them"
        say(f"warning: {inf.context_note(n_past, n, inf.context_of(model))}"
            + (f" ({only} of them only in view answers fused into {it}, named in \"past_views\")" if only else "")
            + (f"; {'it is' if n_past == 1 else 'they are'} marked \"past_context\": true in --out's tiles" if args.out else ""), label)
