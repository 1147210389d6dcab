"""``rsvlm predict``: one question about an image (or a pair, or a whole tiled scene) → JSON,
GeoJSON and an overlay PNG. ``--tile``'s window-by-window run and its limits: ``rsvlm.predict_tiles``;
the question asked and its task: ``rsvlm.predict_question``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from dataclasses import dataclass, field

from rsvlm import inference as inf
from rsvlm import out_paths, tables
from rsvlm.advice import for_cli
from rsvlm.answer_shown import shown
from rsvlm.answering import context_cap, is_cut_known, is_fused, worded_note
from rsvlm.closed_pipes import readers_may_close
from rsvlm.io.nodata_objects import ValidityMap, dropped_note, nodata_note, on_nodata
from rsvlm.output_options import (
    above_min_score,
    asked_regions,
    overlay_title,
    rgb_bands_problem,
    unscored_note,
    vis_not_georeferenced,
)
from rsvlm.predict_outputs import output_problem, write_output
from rsvlm.predict_question import (
    asked_question,
    change_region_note,
    count_note,
    count_question,
    named_task,
    pixel_question,
    settle_task,
    text_advice,
)
from rsvlm.predict_tiles import (
    TILE_BATCH,
    default_overlap,
    fused_flags,
    overlap_notes,
    run_scene,
    scene_nodata_problem,
    shapes_line,
    tile_answers,  # noqa: F401  (predict.tile_answers, as before the move)
    tile_note,
    tile_predictor,
    window_notes,
    window_problem,
)
from rsvlm.progress import plural
from rsvlm.tta import MODES, FuseConfig

VIS_MAX_SIDE = 4096  # longest side of an overlay; with --tile the scene is read shrunk to it


def fused_note(views: int, plain: str | None = None) -> str:
    """The note where a fused answer differs from the plain one: chat says "fused over 8 views:", predict said no
    word, and 10 boxes against --tta none's 2 read as another model's. A ``plain`` answer of short words (no shape)
    is quoted: "diagonal" voted over a yes/no question's plain "No." left the user rerunning to see it."""
    said = plain.strip() if plain and "<" not in plain else ""
    quoted = f"{said!r}; " if 0 < len(said) <= 60 else ""
    return f"the answer is fused over {views} --tta views; the plain view's own answer differs ({quoted}--tta none gives it)"


def ask(model, processor, images: list, question: str, max_new_tokens: int,
        constrain: bool = True, tta: FuseConfig | None = None, min_objects: int = 0,
        by_class: bool = False, notes: list[str] | None = None, fused_notes: list[str] | None = None) -> inf.Answer:
    """One single-turn answer (greedy) for a list of RSImages, and a score per shape it closes
    (``inference.Answer``: ``cut`` where the token limit stopped it). With ``tta``, an answer of shapes only
    or short text is fused over the image's views (rsvlm.tta; asked without ``min_objects``, counted by a
    progress bar: plain lines off a terminal); a fused answer is ``cut``, or ``past_context``, where any answer fused was.
    ``notes`` gets a refused view, view answers left out of the fusion, why "None." replaced the plain answer's
    shapes (``Fused.voted_out``), which answer was cut and which ran
    past the LLM's context (a warning: "warning: …"). ``fused_notes`` gets ``fused_note`` where the fused answer differs
    from the plain one (predict's own list may be ``notes``). ``min_objects``, ``by_class``: ``inference.generate_answers``."""
    msgs = [[{"role": "user", "content": inf.user_text(question, images, True, processor.prompt)}]]
    inputs = [[inf.model_input(im) for im in images]]
    generate = inf.answerer(model, processor, max_new_tokens, constrain, min_objects, by_class)
    answer = generate(msgs, inputs)[0]
    past = inf.is_past_context(answer)
    said = [inf.cut_note(max_new_tokens, known=is_cut_known(answer), text=answer[0])] if inf.is_cut(answer) else []  # reads whole
    if worded := worded_note(answer):  # --det-by-class: a class that answered in words, not shapes
        said.append(worded)
    if tta is not None:
        from rsvlm.progress import bar as progress_bar
        from rsvlm.tta import fused_answers, no_view_note
        from rsvlm.tta_text import note_parts

        refused: dict[int, str] = {}
        views = inf.answerer(model, processor, max_new_tokens, constrain, 0, by_class) if min_objects else generate
        bars = contextlib.ExitStack()  # the bar of views, made once it is known there are some

        def counted(messages, imgs):
            out = views(messages, imgs)
            if shown is not None:
                shown.update()
            return out

        def asking(other_views: tuple) -> None:  # before the first view is asked
            nonlocal shown
            if not other_views:  # the plain answer was given with no word of why --tta did nothing
                said.insert(0, no_view_note(msgs[0], inputs[0], answer, tta))
                return  # and no bar: off a terminal a "0view" line was written under that note
            # minutes each for a large model: off a terminal (2> log, a pipe) plain lines, one each 30 s at most
            # and the final count (tqdm's disable=None drew none there: a silent wait)
            shown = bars.enter_context(progress_bar(total=len(other_views), desc="--tta views", unit="view",
                                                    leave=False, file=sys.stderr))

        shown = None
        with bars:
            fused = fused_answers(counted, msgs, inputs, [answer], tta, refused, on_views=asking)[0]
        # a kept [det] "None." is a Fused too (tta.fused_answers): its views not asked are said with it
        # voted_out: why "None." replaced the plain answer's shapes (they were printed nowhere: only "None." was)
        fused_said = filter(None, (fused.note, fused.voted_out, fused.unasked)) if fused is not None else ()
        said = [*refused.values(), *(p for n in fused_said for p in note_parts(n)), *said]  # a note's parts: a line each
        if fused is not None and fused.cut and not inf.is_cut(answer):  # the answer printed is no cut one's
            said.append(inf.cut_note(max_new_tokens, "a view answer fused into it", known=fused.cut_known))
        if fused is not None and fused.past_views and not past:  # was said as "1 of the 1 answer(s)"
            named = ", ".join(map(repr, fused.past_views))  # not ``views``, the answerer ``counted`` calls
            said.append("warning: " + inf.context_note(len(fused.past_views), m := (fused.answers or 1) - 1, inf.context_of(
                model), f"{plural('view answer', m)} fused into it ({named}; not the answer itself)"))
        if fused is not None and fused.answer != answer[0] and fused_notes is not None:
            fused_notes.append(fused_note(fused.answers or len(tta.views), answer[0]))
        if fused is not None:
            answer = fused.as_answer()  # fused: its shapes pixel votes (unscored_note), not a plain one kept
    if past:  # its end is unreliable; generate no longer warns a batch at a time
        said.append(f"warning: {inf.context_note(1, 1, inf.context_of(model))}")
    if notes is not None:
        notes += said
    return answer


@dataclass
class Said:
    """What predict says on stderr beside its answer (reading notes, warnings), kept for ``--out``'s and
    ``--geojson``'s ``"notes"``: a pipeline that reads only the files learns the same. A line said
    again is neither printed nor kept twice."""

    lines: list[str] = field(default_factory=list)

    def __call__(self, text: str, about: str | None = None, printed: bool = False) -> None:
        """Say ``text`` about an image (``about``: its label, or "pair") as ``[about] text``, else as
        ``rsvlm predict: text``; ``printed``: already printed (run_tiled's notes, a stdout line), kept only."""
        line = f"[{about}] {text}" if about else text
        if line in self.lines:
            return
        self.lines.append(line)
        if not printed:
            print(shown(line if about else f"rsvlm predict: {line}"), file=sys.stderr)  # kept raw for --out


def main(args) -> int:
    piped = [f"--{o} -" for o in ("out", "geojson") if getattr(args, o) == "-"]  # was a file named '-'
    if len(piped) > 1:
        print("rsvlm predict: --out - and --geojson - both ask for stdout; give one of them a file name", file=sys.stderr)
        return 2
    if piped and sys.stdout is None:  # run with >&-: the answer ran to its end, then a traceback
        print(f"rsvlm predict: {piped[0]}: standard output is closed; give it a file name", file=sys.stderr)
        return 2
    # a reader gone (… 2>&1 | head -1) ended the run at its next line, before --out was written, with status 0
    # not piped: which stream lost its reader is said at the end, as eval and train say it (its files written)
    with readers_may_close(None if piped else "rsvlm predict") as closed, \
            contextlib.ExitStack() as open_scenes:  # --tile's scene: one open file
        stdout = sys.stdout
        if piped:  # stdout holds the JSON alone (… --out - | jq): the answer, its table and "wrote" go to stderr
            open_scenes.enter_context(contextlib.redirect_stdout(sys.stderr))
        code = closed.ended(_main(args, open_scenes, stdout))  # a failed run is said so by say_lost
    if piped and "stdout" in closed:  # its reader took part of the JSON at most
        print(f"rsvlm predict: {piped[0]}: standard output was closed before the whole answer was written to it",
              file=sys.stderr)
        return code or 1
    return code


def _main(args, open_scenes: contextlib.ExitStack, stdout=None) -> int:
    say = Said()
    for option in ("out", "geojson", "vis"):  # --out=~/r.json (no shell expands ~ after '='): it made a folder '~'
        if (path := getattr(args, option)) is not None and not path.strip():  # --out "$OUT" unset: nothing written
            print(f"rsvlm predict: --{option} is empty; give a file name, or leave --{option} out", file=sys.stderr)
            return 2
        if path:
            setattr(args, option, os.path.expanduser(path))
    as_geojson = bool(args.out and str(args.out).lower().endswith(".geojson") and not args.geojson)
    if as_geojson:  # said once the image is known to have map coordinates (else refused: nothing is written)
        args.geojson, args.out = args.out, None
    try:
        specs = inf.image_specs(args.image, args.modality, args.bands)
    except ValueError as e:
        print(f"rsvlm predict: {e}", file=sys.stderr)
        return 2
    if args.prompt is not None and not args.prompt.strip():  # an unset shell variable: was the standard question
        print("rsvlm predict: --prompt is empty; " + (f"leave it out to ask --task {args.task}'s standard question "
              f"({inf.DEFAULT_PROMPTS[args.task]!r})" if args.task else "give the question, or --task alone for "
              "its standard question"), file=sys.stderr)
        return 2
    if err := settle_task(args):  # --prompt "[det] Detect all ships." was refused for want of --task
        print(f"rsvlm predict: {err}", file=sys.stderr)
        return 2
    if args.region is not None and args.task != "regcap":  # was refused once the image was read, after its notes
        print(f"rsvlm predict: --region is for --task regcap; {named_task(args)} asks about none", file=sys.stderr)
        return 2
    if args.tile and len(specs) != 1:
        print("rsvlm predict: --tile takes exactly one --image" + (
            "; a change pair is answered whole (crop both scenes to the same windows to compare them piece by piece)"
            if args.task == "change" else ""), file=sys.stderr)
        return 2
    if len(specs) > 2:  # one answer about them all ("lake" for three scenes), where one per image was meant
        print(f"rsvlm predict: {len(specs)} --image given; predict answers one image or a bi-temporal pair (two): for "
              "many, run it once per file (for f in *.tif; do rsvlm predict --image \"$f\" … --out \"$f.json\"; done) "
              "or answer a JSONL of records with rsvlm eval. Band files of one image go in one --image, "
              "comma-separated (B02.jp2,B03.jp2,…)", file=sys.stderr)
        return 2
    if args.task == "change" and len(specs) != 2:
        print(f"rsvlm predict: {named_task(args)} compares two images, --image BEFORE --image AFTER; got {len(specs)}",
              file=sys.stderr)
        return 2
    if args.task != "change" and len(specs) > 1:
        say(f"warning: {len(specs)} images for {named_task(args)}: the model was trained on two images for change "
            "only. Band files of one image go in one --image, comma-separated (B02.jp2,B03.jp2,…)", "pair")
    if args.tile is not None:  # --tile 0 ran the scene untiled without a word
        given = args.overlap is not None  # the default overlap is the user's to hear of only as the default
        args.overlap = default_overlap(args.tile) if args.overlap is None else args.overlap
        if args.tile <= 0 or not 0 <= args.overlap < args.tile:  # --tile -5 said "got -5 and -2", -2 never given
            got = f"--tile {args.tile}" + (f" and --overlap {args.overlap}" if given else "")
            print(f"rsvlm predict: --tile must be > 0 and 0 <= --overlap < --tile; got {got}", file=sys.stderr)
            return 2
    else:  # both were ignored without a word
        if args.overlap is not None:
            say(f"warning: --overlap {args.overlap} ignored: it applies to --tile SIZE")
        if args.batch_size is not None:
            say(f"warning: --batch-size {args.batch_size} ignored: it applies to --tile SIZE (without it the "
                "question is one forward pass, and each --tta view one more)")
    if args.tile and args.region is not None and args.task == "regcap":  # was refused after the tile note, which said how it would be asked
        print(f"rsvlm predict: --region {','.join(f'{v:g}' for v in args.region)} is in the whole image's pixels, and "
              "--tile asks each window on its own: leave --tile out to ask about that region, or give it as a <box> "
              "in --prompt, read in each tile's frame", file=sys.stderr)
        return 2
    if args.tile and (note := tile_note(args.task, named_task(args))):
        say(f"note: {note}")
    scene = None  # --tile: the scene, open for its tiles and --vis (a PNG that GDAL reads is decoded at each open)
    try:
        if args.tile:  # whole scenes are never read at once: a 1-pixel window carries CRS, transform and notes
            scene = open_scenes.enter_context(inf.open_spec(specs[0]))
            images = [scene.read((0, 0, 1, 1))]
        else:
            images = [inf.read_spec(s, max_side=inf.READ_MAX_SIDE) for s in specs]
    except (FileNotFoundError, ValueError) as e:  # a DEM's advice: --modality, not read_image's argument
        print(f"rsvlm predict: {for_cli(str(e))}", file=sys.stderr)
        return 2
    labels = inf.image_labels(images)
    for im, label in zip(images, labels):
        for note in im.notes:
            say(for_cli(note), label)
        if not args.tile and (err := inf.all_nodata(im)):  # the model would answer about a black image
            print(f"rsvlm predict: {err}", file=sys.stderr)
            return 2
    err, whole = scene_nodata_problem(scene) if args.tile else (None, None)  # whole: the small scene read, for --vis
    if err:  # refused untiled; was 0 tiles, status 0
        print(f"rsvlm predict: {err}", file=sys.stderr)
        return 2
    if args.tile:
        overlap_notes(args, images[0].scene_size, labels[0], say)
        if err := window_problem(scene, args.tile, args.overlap, args.batch_size or TILE_BATCH, labels[0],
                                 args.tta != "none"):  # --tta: a view of each window too
            print(f"rsvlm predict: {err}", file=sys.stderr)
            return 2
    # before the model runs: its answer would be lost; --out o.geojson named as typed
    if err := output_problem(args, [f for s in specs for f in s.files], "--out" if as_geojson else "--geojson"):
        print(f"rsvlm predict: {err}", file=sys.stderr)
        return 2
    if args.rgb_bands and not args.vis:  # was no option at all; unused, it is said
        say(f"warning: --rgb-bands {','.join(args.rgb_bands)} ignored: it chooses the bands --vis draws")
    elif err := next(filter(None, (rgb_bands_problem(im, args.rgb_bands, lb) for im, lb in zip(images, labels))),
                     None):  # the overlay draws each image, a pair's side by side
        print(f"rsvlm predict: {err}", file=sys.stderr)
        return 2
    if args.geojson and not images[-1].georeferenced:  # --out x.geojson was told to use --out
        print(f"rsvlm predict: {f'--out {args.geojson}' if as_geojson else '--geojson'}: {images[-1].path} is not "
              "georeferenced (no CRS with a transform or ground control points), so it has no map coordinates; "
              + ("give --out a .json name for rsvlm's JSON in pixel coordinates" if as_geojson
                 else "--out writes pixel coordinates"), file=sys.stderr)
        return 2
    try:
        question = asked_question(args, images[-1], say)
    except ValueError as e:
        print(f"rsvlm predict: {e}", file=sys.stderr)
        return 2
    try:
        model, processor = inf.load_model(args.model, args.device, args.load_4bit, args.load_8bit, args.dtype)
    except (FileNotFoundError, ValueError) as e:
        print(f"rsvlm predict: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # cli's bare "stopped (Ctrl-C)" said nothing of what was left
        print("\nrsvlm predict: stopped (Ctrl-C) while loading the model; nothing was asked or written", file=sys.stderr)
        return 130
    if args.tile and (err := window_problem(scene, args.tile, args.overlap, args.batch_size or TILE_BATCH, labels[0],
                                            args.tta != "none", loaded=True)):  # again: the model took its share
        print(f"rsvlm predict: {err}", file=sys.stderr)
        return 2
    if args.det_by_class and (err := inf.no_det_classes(processor, args.model)):
        print(f"rsvlm predict: {err}", file=sys.stderr)
        return 2
    if args.task == "count" and args.prompt is None:  # of ships, which a model of buildings alone does not know
        question = count_question(processor.prompt.det_classes)
    if note := count_note(question, processor.prompt.det_classes, args.prompt is None):  # was "How many objects
        say(note)  # are there?", unsaid: a count question the model never learnt (each of its names a class)
    if note := change_region_note(question):  # "[change] What changed in <box>…?": asked unsaid
        say(note)
    args.max_new_tokens, capped = context_cap(model, args.max_new_tokens)  # 100000 ran on for many minutes past it
    if capped:
        say(f"note: {capped}")
    processor.missing_bands = args.missing_bands
    for im, label in zip(images, labels) if not args.tile else []:  # a pair's member: cropped, not --tile (refused)
        if note := inf.size_note(im, processor.image_sizes[im.modality], resize=inf.resize_of(processor, im.modality),
                                 tiling=len(images) == 1):
            say(note, label)
    if args.tile:
        window_notes(args.tile, images[0].scene_size, processor.image_sizes[images[0].modality], labels[0], say,
                     inf.resize_of(processor, images[0].modality))
    if len(images) == 2 and not args.tile:
        for note in inf.pair_notes(*images):
            say(f"warning: {note}", "pair")
    try:
        for im, label in zip(images, labels):
            for note in processor.band_notes(inf.model_input(im)):
                say(for_cli(note), label)
    except ValueError as e:  # its advice: --bands alone ("or a record's field" is eval's)
        print(f"rsvlm predict: {for_cli(str(e))}", file=sys.stderr)
        return 2
    if as_geojson:  # said once every check has passed (it came before a missing --model's refusal)
        say(f"note: {args.geojson} written as GeoJSON (--geojson); --out is rsvlm's JSON")
    elif args.geojson and (named := out_paths.geojson_named(args.geojson, "--geojson")):  # seg.txt: unsaid
        say(f"note: {named}")
    if args.vis and (flat := vis_not_georeferenced(args.vis, images[-1], "--vis", "--geojson")):  # overlay.tif
        say(f"note: {flat}")
    if args.vis and args.tile and (shape := re.search(inf.SHAPE_OPEN, question)):  # was drawn nowhere, unsaid
        say(f"note: --vis draws no region of the question: under --tile its {shape[0]} is "
            "read in each tile's own pixels, a different place in each; leave --tile out to see it drawn")

    tta = FuseConfig(views=MODES[args.tta]) if args.tta != "none" else None
    stopped = None  # why a tiled run ended early (Ctrl-C), its tiles' objects still written
    drop = args.on_nodata == "drop"  # objects wholly on nodata left out, not only counted
    if args.tile:
        validity, asked = ValidityMap(drop=drop), {}  # each window's nodata (with drop, no "kept" note); tiles' views
        try:  # tile_predictor looked up here: a test stands in for it
            result, stopped, err = run_scene(scene, images[0], labels[0], args, model, processor, question, tta, say,
                                             tile_predictor, validity=validity, seen=asked)
        except ValueError as e:  # a prompt past the LLM's context: the first batch of tiles says so
            print(f"rsvlm predict: {text_advice(str(e), args)}", file=sys.stderr)
            return 2
        if err:  # every window all nodata (all_nodata_tiles): a large scene's decimated check passed
            print(f"rsvlm predict: {err}", file=sys.stderr)
            return 2
    else:  # stopped stays None: a Ctrl-C here leaves no answer to write
        notes, fused = [], []  # the fused note after the views' own (one list put it first)
        try:
            answer = ask(model, processor, images, question, args.max_new_tokens, not args.free_decoding,
                         tta, args.min_objects, args.det_by_class, notes, fused)
        except KeyboardInterrupt:  # nothing to keep: no answer yet
            print("\nrsvlm predict: stopped (Ctrl-C) before the answer; nothing written", file=sys.stderr)
            return 130
        except ValueError as e:  # a prompt past the LLM's context (too many images, a long --prompt)
            print(f"rsvlm predict: {text_advice(str(e), args)}", file=sys.stderr)
            return 2
        (text, scores), cut = answer, inf.is_cut(answer)
        result = inf.locate(text, images[-1], scores)
        result["cut"], result["cut_known"] = cut, is_cut_known(answer)  # as --tile's tiles say it
        result["past_context"] = inf.is_past_context(answer)
        print(shown(text))  # a byte answer's ESC or BEL not sent to the terminal; --out keeps it raw
        for note in notes + fused:  # the cut one too, the answer's or a view's, and past the context (ask)
            say(note if note.startswith("warning: ") else f"note: {note}")
    kept, dropped = above_min_score(result["objects"], args.min_score)
    # objects on the collar, of those --min-score keeps (as the tiled merger counts them); shapes are in the
    # scene's pixels, valid in its read's, each axis its own (a shrunk 6000x500 read is 2048x171)
    flags = validity.on_nodata(kept) if args.tile else on_nodata(kept, images[-1].valid, inf.read_scale(images[-1]))
    n = sum(flags)
    n_left = n if drop else 0  # of those on nodata, left out
    n_low = len(result["objects"]) - len(kept)  # below --min-score
    if counted := args.tile and result["answer"] is None:  # shapes: the objects written, not those merged before
        result["answer"] = shapes_line(result, len(kept) - n_left, n_low, n_left, args.min_score)  # the filters
        print(shown(result["answer"]))
    if n and drop:  # left out of --out, --geojson and --vis alike
        say(dropped_note(n), labels[-1])
    elif n and not args.tile:  # kept: the tiled merger said it
        say(nodata_note(n), labels[-1])
    if dropped and not result["objects"]:  # nothing to drop: a note, not a count under a word answer
        say(f"note: {dropped}")
    elif dropped and not (counted and n_low):  # the count on stdout, beside the table it shortens; a tiled count
        # line with some below --min-score says it (said once); "0 of 6 … dropped" stays: the count line names none then
        print(dropped)
        say(dropped, printed=True)
    result["objects"] = [o for o, on in zip(kept, flags) if not (drop and on)]
    voted = fused_flags(result["objects"], asked.get("fused")) if args.tile else is_fused(answer)  # plain kept: no vote
    if unscored := unscored_note(result["objects"], voted):  # no score column then, nor --out "score": why
        say(f"note: {unscored}")
    # a tiled scene's thousands flooded the terminal; --geojson is named only where it can be written (a georeferenced image)
    table = tables.objects_table(result["objects"], most=tables.TABLE_ROWS, rest="--out and --geojson write them all"
                                 if images[-1].georeferenced else "--out writes them all")
    if table:
        print(shown(table))  # labels are the model's text
    for line in tables.problem_lines(result["problems"], rest="--out writes them all"):
        print(shown(line), file=sys.stderr)
    result.update(task=args.task, prompt=question, notes=say.lines,
                  images=[{"path": im.path, "modality": im.modality, "bands": im.bands,
                           "width": (im.scene_size or (im.width, im.height))[0],
                           "height": (im.scene_size or (im.width, im.height))[1], "crs": im.crs} for im in images])
    if args.out:
        write_output(args.out, json.dumps(jsonable(result), indent=1), stdout)
        print(f"wrote {'the JSON to stdout' if args.out == '-' else args.out}")
    if args.geojson:
        from rsvlm.io import objects_to_geojson

        try:
            fc = objects_to_geojson(result["objects"], images[-1])
        except ValueError as e:
            print(f"rsvlm predict: --geojson: {e}", file=sys.stderr)
            return 2
        for note in fc.pop("notes", []):  # shapes repaired or left out (objects_to_geojson)
            say(f"note: {note}")
        fc["notes"] = say.lines  # a foreign member (RFC 7946, 6.1): GDAL and QGIS read past it
        write_output(args.geojson, json.dumps(jsonable(fc)), stdout)
        print(f"wrote {'the GeoJSON to stdout' if args.geojson == '-' else args.geojson} "
              f"({inf.geojson_count(fc, result['objects'])})")
    if args.vis:
        from rsvlm.io import draw_overlay, draw_pair_overlay  # looked up there: a test stands in for them

        # tiled: the scene shrunk to the overlay's size (a scene above 8192 px was not drawn at all)
        # a scene no larger than the nodata check's read is that read (read_overview at full resolution), not read again
        small = whole is not None and max(whole.width, whole.height) <= VIS_MAX_SIDE and (
            (whole.width, whole.height) == whole.scene_size)
        base = (whole if small else scene.read_overview(VIS_MAX_SIDE)) if args.tile else images[-1]
        # below 1 for a scene read shrunk (shapes are in its pixels), each axis its own as for count_on_nodata; a
        # tiled shapes answer is predict's count line, not the model's words (its tiles' words are: tile_answers)
        # the question's shapes in pixels (--region's as typed): it showed <box><loc_140>… tokens; tiled: each tile's
        titled = question if args.tile else pixel_question(question, base, args.region, len(images) == 2)
        kw = dict(title=overlay_title(titled, None if counted else result["answer"], bool(args.tile), images),
                  max_side=VIS_MAX_SIDE, object_scale=inf.read_scale(base), rgb_bands=args.rgb_bands)
        # a [regcap] region drawn too: its caption was drawn with no sign of where it was asked
        drawn = result["objects"] + ([] if args.tile else asked_regions(question, base))
        if len(images) == 2:  # a pair side by side, the shapes on both (was the after image alone)
            draw_pair_overlay(*images, drawn, args.vis, captions=(f"before: {labels[0]}",
                                                                              f"after: {labels[1]}"), **kw)
        else:
            draw_overlay(base, drawn, args.vis, **kw)
        print(f"wrote {args.vis}")
    return 130 if stopped else 0


def mask_rle(mask) -> dict:
    """A bool (h, w) mask as ``{"size": [h, w], "counts": [...]}``: lengths of alternating runs of
    False and True over its rows in order, starting with False (COCO's uncompressed RLE, row-major)."""
    import numpy as np

    flat = np.asarray(mask, bool).ravel()  # (h*w,)
    edges = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    runs = np.diff(np.concatenate([[0], edges, [flat.size]]))
    counts = ([0] if flat.size and flat[0] else []) + runs.tolist()
    return {"size": list(np.shape(mask)), "counts": counts}


def jsonable(x):
    """``x`` (dicts, lists, numpy scalars and arrays) as plain JSON values, floats to 12 significant digits
    (a pixel 44.4, not 44.400000000000006; UTM metres keep 10 µm); a ``"mask"`` array as ``mask_rle``'s run lengths."""
    import numpy as np

    if isinstance(x, dict):  # a merged tile mask's pixels as run lengths (they were left out)
        return {k: mask_rle(v) if k == "mask" and isinstance(v, np.ndarray) else jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.floating) and x.dtype.itemsize < 8:  # float32 0.1: its shortest repr, not 0.10000000149
        return float(str(x))
    if isinstance(x, np.generic):
        return jsonable(x.item())
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, float):  # the codec's 1/1000 steps times a scene size left binary noise in --out
        return float(f"{x:.12g}")
    return x
