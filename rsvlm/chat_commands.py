"""``rsvlm chat``'s slash commands: ``/image``, ``/reset``, ``/vis``, ``/geojson``, ``/help``, ``/quit``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
from pathlib import Path

from rsvlm import inference as inf
from rsvlm import out_paths
from rsvlm.advice import for_chat, for_cli
from rsvlm.cli_values import stdin_image
from rsvlm.output_options import asked_regions, overlay_title, rgb_bands_problem, vis_not_georeferenced
from rsvlm.predict_question import pixel_question

HELP = """commands:
  /image PATH [modality] [bands]
                           load an image (a second /image before asking makes a bi-temporal pair,
                           a third starts anew; band files as a,b,c; "quotes" around a path with spaces);
                           modality is optical, msi, sar or ir (else inferred);
                           bands names the file's bands, comma-separated (e.g. R,G,B,NIR or VV),
                           with or without a modality before them
  /reset                   forget the conversation (images stay loaded; an /image then replaces them)
  /vis out.png [R,G,B]     draw the last answer's geometry on the image, in the bands named as red, green,
                           blue (B08,B04,B03 false colour; VV,VH,VV; default: --rgb-bands, else its colours)
  /geojson out.geojson     write the last answer's geometry in the image's CRS
  /help                    this text
  /quit                    leave (Ctrl-D too); Ctrl-C stops an answer
questions may start with a task tag: [cls] [vqa] [cap] [count] [det] [ground] [regcap] [seg] [change];
a tag alone asks that task's standard question (as rsvlm predict --task does without --prompt)"""

BARE = ("/quit", "/exit", "/reset", "/help")  # the commands that take no words after them


class Commands:
    """The slash commands of a ``chat.ChatREPL`` (``repl``), which holds the state they read and change:
    ``say``, ``session`` (a ``ChatSession``), ``images``, ``unsent`` and ``last``."""

    def __init__(self, repl):
        self.repl = repl

    def command(self, line: str) -> bool:
        """One stripped input line opening with "/"; False when the session should end."""
        try:
            cmd, *args = shlex.split(line)
        except ValueError as e:  # was "error: No closing quotation", naming neither the command nor the fix
            head, rest = (words := line.split(maxsplit=1))[0], words[-1]
            if head.lower() in BARE:  # "/quit '" was told to quote a path, where none is taken
                self.repl.fail(f"error: {head.lower()} takes nothing after it, got {rest}")
                return True
            self.repl.fail(f"error: {head}: cannot read {rest} as words ({str(e).lower()}): put a path holding a quote "
                           "or a backslash in quotes of the other kind (\"it's.png\", 'a\\b.png')")
            return True
        cmd = cmd.lower()  # /IMAGE was an unknown command; task tags are read in any case too
        args = [os.path.expanduser(a) for a in args]  # no shell here: /vis ~/out.png made a folder "~"
        if args and cmd in BARE:  # "/reset the pair" kept the pair, unsaid
            self.repl.fail(f"error: {cmd} takes nothing after it, got {line.split(maxsplit=1)[1]}")  # was ['the', 'pair']
            return True
        actions = {"/image": lambda: self.load_image(args) or self.still_loaded(failed=True), "/reset": self.reset,
                   "/vis": lambda: self.write_vis(args), "/geojson": lambda: self.write_geojson(args),
                   "/help": lambda: self.repl.say(HELP)}
        if cmd in ("/quit", "/exit"):
            return False
        if cmd not in actions:  # /imgae was said unknown, not the /image meant
            from rsvlm.near import near_names

            names = [*actions, "/quit"]  # a unique start of one (/q, /g) is the one meant: difflib found none
            near = [n for n in names if n.startswith(cmd)] if len(cmd) > 1 else []
            near = near if len(near) == 1 else near_names(cmd, names, cutoff=0.6)
            self.repl.fail(f"unknown command {cmd}{f' (did you mean {near[0]}?)' if near else ''}; /help lists them")
        else:
            actions[cmd]()
        return True

    def load_image(self, args: list[str]) -> bool:
        """``/image PATH [modality] [bands]``; False when nothing was loaded (the error said)."""
        if not args:
            self.repl.say("usage: /image PATH [modality] [bands]")
            return False
        with contextlib.suppress(ValueError):  # an empty band file: read_spec says it
            if why := stdin_image(args[0], inf.band_files(args[0])):  # as --image - (cli_parser._image)
                self.repl.say(f"error: /image {why}")
                return False
        if said := option_words(args):  # "--modality sar" was "unknown modality '--modality'"; --bands=VV a band name
            self.repl.say(f"error: {said}")
            return False
        if len(args) > 3 or (len(args) > 1 and Path(" ".join(args)).exists()):  # the rest was ignored, unsaid
            self.repl.say(f"error: /image takes PATH [modality] [bands], got {len(args)} words {args}: "
                          f"put quotes around a path with spaces")
            return False
        from rsvlm.io.scaling import MODALITIES

        # a modality word second is the modality, a file of that name in the folder or not (said below)
        taken = len(args) > 1 and args[1].lower() in MODALITIES and Path(args[1]).is_file()
        if files := [a for a in args[1 + taken:] if Path(a).is_file()]:  # /image a.png b.png: b.png "read as a band name"
            self.repl.say(f"error: /image takes one image at a time, got {len(files) + 1} files: /image "
                          f"{shlex.quote(args[0])}, then /image {shlex.quote(files[0])} for a bi-temporal pair "
                          "(the band files of one image go comma-separated in one PATH: a.tif,b.tif)")
            return False
        if taken:  # /image a.tif sar beside a file named sar: was "one image at a time, got 2 files"
            self.repl.say(f"  note: {args[1]!r} read as the modality (a file of that name is here too: "
                          f"/image ./{args[1]} loads it)")
        modality, bands = (list(args[1:3]) + ["", ""])[:2]
        modality = modality.lower() if modality.lower() in MODALITIES else modality
        if modality in MODALITIES and bands.lower() in MODALITIES:  # "/image a.png optical sar": "1 band name ['sar']"
            # both offered, the first (the usual order) first: the second alone was suggested, as if it were the fix
            ways = " or ".join(f"/image {shlex.quote(args[0])} {m}" for m in dict.fromkeys((modality, bands.lower())))
            given = (f"{modality} given twice" if modality == bands.lower() else
                     f"two modalities given ({modality}, {bands.lower()}): an image is read as one")
            self.repl.say(f"error: /image: {given}; give one ({ways}), band names after it (R,G,B)")
            return False
        if modality and modality not in MODALITIES and not bands:  # /image a.tif R,G,B,NIR: bands alone
            from rsvlm.near import near_names

            # a misspelt modality was read as one band name: "1 band names ['optcal'] given" (NIR, TIR are no typos)
            if len(modality) > 3 and (near := near_names(modality.lower(), MODALITIES, cutoff=0.75)):
                self.repl.say(f"error: /image: unknown modality {modality!r} (did you mean {near[0]}?): the modalities are "
                              f"{', '.join(MODALITIES)}; band names go comma-separated (R,G,B,NIR)")
                return False
            modality, bands = "", modality
            word = "," not in bands  # one word that is no modality: a band name, or a modality the user thinks one
        else:
            word = False
        try:
            img = inf.read_spec(inf.ImageSpec.parse(args[0], modality or None, bands or None),
                                max_side=inf.READ_MAX_SIDE)
        except (OSError, ValueError) as e:  # OSError: a file without read permission ended the chat
            # "/image a.png lidar" said "1 band names ['lidar'] given", never that lidar is no modality
            hint = (f" ({bands!r} was read as a band name: it is no modality, and the modalities are "
                    f"{', '.join(MODALITIES)})" if word and isinstance(e, ValueError) else "")
            if isinstance(e, FileNotFoundError) and any(c in args[0] for c in "*?["):  # "image not found: dir/*.tif"
                hint += glob_hint(args[0])
            if isinstance(e, FileNotFoundError) and (pair := re.search(  # a folder of change pairs (checks._folder_hint)
                    r"change pairs?\b.*?: rsvlm predict --task change --image (.+?) --image (.+?); for each pair", str(e))):
                hint += f"; in this chat, load a pair as /image {pair[1]}, then /image {pair[2]}, and ask [change]"
            self.repl.say(f"error: {for_chat(str(e), args[0], modality or None, bands or None)}{hint}")
            return False
        if err := self.add_image(img, (args[0], bands or None)):
            self.repl.say(f"error: {err}")
            return False
        return True

    def still_loaded(self, failed: bool = False) -> None:
        """After an ``/image`` that failed (``failed``: marked so, ``ChatREPL.failed``): the image(s) the next question
        is still asked about (it went on asking about the image loaded before without a word, and a user who saw the
        error took the new one for loaded)."""
        self.repl.failed = self.repl.failed or failed
        if names := [inf.image_label(im) for im in self.repl.images]:  # none: a question says to load one
            self.repl.say(f"({' and '.join(names)} still loaded: the next question asks about "
                          f"{'that pair' if len(names) == 2 else 'it'})")

    def add_image(self, img, typed: tuple[str, str | None] | None = None) -> str | None:
        """Add a read RSImage to the conversation, saying what it is; the reason it cannot be, else None.
        ``typed``: the path and bands word of the ``/image`` that read it, which its notes' advice then names
        (``--bands R,G,B,NIR`` is no chat command); None for an ``--image`` of the command line."""
        def fit(note: str) -> str:
            return for_chat(note, typed[0], img.modality, typed[1]) if typed else for_cli(note)

        try:
            band_notes = self.repl.session.processor.band_notes(inf.model_input(img))
        except ValueError as e:
            return fit(str(e))
        if err := inf.all_nodata(img):
            return err
        if self.repl.session.asked:  # a question was already asked: new conversation on the new image
            self.repl.session.reset()
            self.repl.images, self.repl.unsent, self.repl.last = [], [], None
            self.repl.say("(new image: conversation reset)")
        elif self.repl.kept:  # /reset, /image B: made a pair of the kept A and B, where a fresh start was meant
            names = " and ".join(inf.image_label(im) for im in self.repl.images)
            self.repl.images, self.repl.unsent, self.repl.last = [], [], None
            self.repl.say(f"(new image: {names}, kept by /reset, dropped; a second /image before asking makes a pair)")
        elif len(self.repl.images) == 2:  # one image or a pair: a third was sent along, which the model never saw
            self.repl.images, self.repl.unsent, self.repl.last = [], [], None
            self.repl.say("(a third image: the pair is dropped; a second /image makes a new pair)")
        self.repl.unsent.append(img)
        self.repl.images.append(img)
        self.repl.kept = False
        geo = f", {img.crs}" if img.crs else ""
        w, h = inf.scene_wh(img)
        self.repl.say(f"loaded {inf.image_label(img)}: {w}x{h} {img.modality} {img.bands}{geo}")
        proc = self.repl.session.processor
        size = inf.size_note(img, proc.image_sizes[img.modality], resize=inf.resize_of(proc, img.modality),
                             tiling=len(self.repl.unsent) == 1)  # a pair's second: cropped (--tile refuses pairs)
        for note in img.notes + band_notes + ([size] if size else []):
            self.repl.say(f"  note: {fit(note)}")
        if len(self.repl.unsent) == 2:  # a second /image to look at another scene instead made a pair without a word
            before, after = (inf.image_label(im) for im in self.repl.unsent)
            self.repl.say(f"(a pair: {before} before, {after} after, both sent with the next question; "
                          "a third /image starts anew)")
            first = self.repl.unsent[0]  # told "predict --tile looks at it" when it was alone: a pair is not tiled
            said = [inf.size_note(first, proc.image_sizes[first.modality], resize=inf.resize_of(proc, first.modality),
                                  tiling=t) for t in (True, False)]
            if said[0] != said[1]:
                self.repl.say(f"  note: {before}, now the pair's before image: {said[1]}")
            for note in inf.pair_notes(*self.repl.unsent):
                self.repl.say(f"  warning: {note}")
        return None

    def reset(self) -> None:
        self.repl.session.reset()
        self.repl.unsent, self.repl.last = list(self.repl.images), None
        self.repl.kept = bool(self.repl.images)  # the next /image starts anew on its own image (add_image)
        self.repl.say("(conversation reset)")

    def write_vis(self, args: list[str]) -> None:
        """``/vis out.png [R,G,B]``: the last answer's objects drawn on the image, in the bands named (else
        --rgb-bands's, else its own colours)."""
        asked = None
        if len(args) == 2 and Path(args[0]).suffix and not Path(args[1]).suffix:  # /vis o.png B08,B04,B03, not
            # /vis my a,b,c.png unquoted (which _have_answer refuses, asking for quotes)
            asked, args = [b.strip() for b in args[1].split(",")], args[:1]
            if len(asked) != 3 or not all(asked):  # B08,B04 or B08 was "put quotes around a path with spaces"
                self.repl.fail(f"error: /vis {args[0]} {','.join(asked)}: give 3 band names, comma-separated (B08,B04,B03)")
                return
        if not self._have_answer(args, "/vis out.png [R,G,B]"):
            return
        from PIL import Image

        from rsvlm.io import draw_overlay, draw_pair_overlay  # looked up there: a test stands in for them

        suffix = Path(args[0]).suffix.lower()  # an unknown one is draw_overlay's to say
        if suffix in Image.registered_extensions() and (no := out_paths.unsaveable_image(suffix)):
            self.repl.fail(f"error: /vis {args[0]}: {no}")  # .psd: PIL reads it but has no writer, a KeyError
            return
        # shapes are in scene pixels (a scene read shrunk is drawn shrunk); bands named with /vis are refused where
        # the image lacks them, --rgb-bands' only noted (a later /image may be of other bands than --image's)
        img, rgb = self.repl.images[-1], asked or self.repl.rgb_bands
        option = f"/vis {args[0]}" if asked else "--rgb-bands"
        if why_not := next(filter(None, (rgb_bands_problem(im, rgb, inf.image_label(im), option)
                                         for im in self.repl.images)), None):  # a pair: both are drawn
            if asked:
                self.repl.fail(f"error: {why_not}")
                return
            # an /image with other bands than --image's
            self.repl.say(f"  note: {why_not}: drawn in its own colours (/vis {shlex.quote(args[0])} R,G,B names others)")
            rgb = None
        # each axis its own: a 4100x5 PNG strip is read 1367x2 (the width's ratio alone drew its lower rows' shapes
        # above them, and left some as outside the image)
        question, pair = self.repl.last["question"], len(self.repl.images) == 2  # its shapes titled in pixels, not tokens
        kw = dict(title=overlay_title(pixel_question(question, img, pair=pair), self.repl.last.get("answer"),
                                      images=self.repl.images), object_scale=inf.read_scale(img), rgb_bands=rgb)
        # the region a [regcap] question asked about drawn too, as predict --vis draws it (was left out)
        asked = asked_regions(question, img)
        drawn = self.repl.last["objects"] + asked
        try:
            if len(self.repl.images) == 2:  # a pair side by side, the shapes on both (was the after image alone)
                before, after = inf.image_labels(self.repl.images)  # 2019/scene.tif, 2020/scene.tif: were both scene.tif
                draw_pair_overlay(*self.repl.images, drawn, args[0], captions=(f"before: {before}", f"after: {after}"),
                                  **kw)
            else:
                draw_overlay(img, drawn, args[0], **kw)
        except (OSError, ValueError) as e:  # no image extension, no permission: the session goes on
            self.repl.fail(f"error: /vis {args[0]}: {why(e, args[0])}")
            return
        # no shapes: the image drawn alone all the same (was refused), as predict --vis draws it and /geojson
        # writes an empty collection: a script's /vis per image finds a file for each
        self.repl.say(f"wrote {args[0]}" + ("" if self.repl.last["objects"] else  # "no geometry", the region drawn
                                             f" ({'the region asked drawn; ' if asked else ''}{self._no_geometry()})"))
        if flat := vis_not_georeferenced(args[0], img, "/vis", "/geojson"):  # /vis overlay.tif: no map coordinates
            self.repl.say(f"  note: {flat}")

    def write_geojson(self, args: list[str]) -> None:
        if not self._have_answer(args, "/geojson out.geojson"):
            return
        from rsvlm.io import objects_to_geojson
        from rsvlm.predict import jsonable

        img = self.repl.images[-1]
        if not img.georeferenced:  # was the reader's "…: not georeferenced", naming neither /geojson nor what is left
            pixels = ("the table above gives them in pixels, and /vis draws them" if self.repl.last["objects"] else
                      f"{self._no_geometry()} either")  # "the table above" was said of no table
            self.repl.fail(f"error: /geojson: {inf.image_label(img)} is not georeferenced (no CRS with a transform or ground "
                           f"control points), so its shapes have no map coordinates; {pixels}")
            return
        try:
            fc = objects_to_geojson(self.repl.last["objects"], img)
        except ValueError as e:
            self.repl.fail(f"error: /geojson {args[0]}: {e}")
            return
        try:
            Path(args[0]).parent.mkdir(parents=True, exist_ok=True)
            Path(args[0]).write_text(json.dumps(jsonable(fc)))  # as predict --geojson: 12 digits, no binary noise
        except OSError as e:
            self.repl.fail(f"error: /geojson {args[0]}: {why(e, args[0])}")
            return
        # no shapes: an empty FeatureCollection all the same (was refused), so a script's /geojson per image
        # finds a file for each, as predict --geojson writes one
        none = "" if self.repl.last["objects"] else f"; {self._no_geometry()}"
        self.repl.say(f"wrote {args[0]} ({inf.geojson_count(fc, self.repl.last['objects'])}{none})")
        for note in fc.get("notes", []):  # shapes repaired or left out (objects_to_geojson): in the file too
            self.repl.say(f"  note: {note}")
        if named := out_paths.geojson_named(args[0], "/geojson"):  # /geojson seg.txt: GeoJSON there, unsaid
            self.repl.say(f"  note: {named}")

    def _no_geometry(self) -> str:
        """What /vis and /geojson say of a last answer with no objects: none given, or all below --min-score."""
        dropped = self.repl.last.get("dropped", 0)
        return (f"no geometry left in the last answer: {f'its {dropped} objects all' if dropped != 1 else 'its 1 object'} "
                f"scored below --min-score "
                f"{self.repl.min_score:g}" if dropped else "no geometry in the last answer")

    def _have_answer(self, args, usage) -> bool:
        cmd = usage.split()[0]
        if not args:  # writes nothing: no default beside the image, whose folder may be a user's data
            self.repl.fail(f"usage: {usage}")
            return False
        if len(args) > 1:  # "/geojson my ships.geojson" wrote a file "my" and left the rest unsaid
            self.repl.fail(f"error: {cmd} takes one path, got {len(args)} words {args}: put quotes around "
                           "a path with spaces")
            return False
        if args[0] == "-":  # /geojson - wrote a file named '-', /vis - said "unknown image extension '(none)'"
            self.repl.fail(f"error: {cmd} -: the chat writes it to a file ({usage}); its standard output "
                           "is the conversation" + (" (rsvlm predict --geojson - writes GeoJSON there)"
                                                   if cmd == "/geojson" else ""))  # an overlay is an image
            return False
        if not args[0].strip():  # /geojson '' was "error: /geojson : a folder" (the current one)
            self.repl.fail(f"error: {cmd} {shlex.quote(args[0])}: an empty path; give a file name ({usage})")
            return False
        if not self.repl.last:  # nothing asked yet, or a new image / reset since
            self.repl.fail("no answer to write yet: ask a question first")
            return False
        inputs = {Path(f).resolve() for im in self.repl.images for f in im.files}  # band files: each
        if Path(args[0]).resolve() in inputs:
            self.repl.fail(f"error: {args[0]} is a loaded image: it would be overwritten")
            return False
        out = Path(args[0])
        if why := out_paths.refused(out, file_too=True) or out_paths.folder_named(args[0], usage.split()[1]):  # missing/../o.png;
            # /dev/o.png as root; out/ where out is missing: /geojson wrote a file named out; a chmod a-w folder as root
            self.repl.fail(f"error: {cmd} {args[0]}: {why}")
            return False
        if out.is_dir():  # /vis said "unknown image extension '(none)'", /geojson "[Errno 21] Is a directory"
            self.repl.fail(f"error: {cmd} {args[0]}: a folder; give a file name, e.g. "
                           f"{out / ('overlay.png' if cmd == '/vis' else 'answer.geojson')}")
            return False
        if not (up := next(p for p in out.absolute().parents if p.exists())).is_dir():  # "[Errno 17] File exists"
            self.repl.fail(f"error: {cmd} {args[0]}: {up} is a file, not a folder; give a path in a folder")
            return False
        if wrong := other_kind(cmd, out):  # /geojson out.png wrote GeoJSON into a file named as an image
            self.repl.fail(f"error: {cmd} {args[0]}: {wrong}")
            return False
        return True


def option_words(args: list[str]) -> str | None:
    """Why ``/image``'s words ``args`` (path first) are refused where they hold command-line options
    (``--modality sar``, ``--bands=VV,VH``): /image takes the values alone, and the command meant is said;
    None where they hold none."""
    if args and re.fullmatch(r"--[A-Za-z][\w-]*(=.*)?", args[0]) and not os.path.exists(args[0]):  # not --x.tif
        # /image --modality sar a.tif: was "one image at a time, got 2 files: /image --modality, then /image a.tif";
        # the path is the file named among them (os.path's test: False for a name too long, not an OSError)
        # the values of --modality and --bands ("sar" of --modality sar); not a word after another option, as
        # --free-decoding takes none ("--free-decoding a.tif" was told "no path in" it)
        values = {k + 1 for k, a in enumerate(args) if a in ("--modality", "--bands")}
        words = [a for k, a in enumerate(args) if k not in values]  # was the path where a file sar was in the folder
        path = next((a for a in words if os.path.exists(a)), None) or \
            next((a for a in words if Path(a).suffix and not a.startswith("-")), None)
        if path is None:  # /image --modality sar: was "image not found: /image --modality MODALITY"
            return f"/image takes PATH [modality] [bands], the path first and no option names; no path in {args}"
        args = [path, *args[:args.index(path)], *args[args.index(path) + 1:]]
    options = [a for a in args[1:] if a.startswith("-") and not re.fullmatch(r"-[\d.]+", a)]
    if not options:
        return None
    other = [o for o in options if o.split("=", 1)[0] not in ("--modality", "--bands")]
    if other:  # --missing-bands, --tta …: options of rsvlm chat itself, set when it starts
        from rsvlm.cli import build_parser

        chat = [o for o in other if o.split("=", 1)[0] in build_parser().commands["chat"]._option_string_actions]
        if chat == other:  # all chat's own
            whose = "it is an option" if len(chat) == 1 else "they are options"
        else:  # /image a.tif --region …: no option of chat either
            whose = f"{', '.join(chat)} {'is an option' if len(chat) == 1 else 'are options'}" if chat else ""
        return f"/image takes PATH [modality] [bands], no options ({', '.join(other)})" + \
            (f": {whose} of rsvlm chat, given when it starts" if whose else "")
    # the values in /image's order, modality first: "--bands VV,VH --modality sar" is /image a.tif sar VV,VH
    given, words, option = {}, [], None
    for a in args[1:]:
        if a.startswith("--"):
            option, _, value = a.partition("=")
            if value:
                given[option], option = value, None
        elif option:
            given[option], option = a, None
        else:
            words.append(a)
    from rsvlm.io.scaling import MODALITIES

    modality = [given["--modality"]] if "--modality" in given else [w for w in words if w.lower() in MODALITIES]
    bands = [given["--bands"]] if "--bands" in given else []
    meant = " ".join([shlex.quote(args[0]), *modality, *bands, *[w for w in words if w not in modality]])
    return f"/image takes the modality and bands without option names: /image {meant}"


def why(e: Exception, path: str) -> str:
    """The reason of an error writing ``path``, for a line that names it already: an OSError's
    ``strerror`` ("Permission denied", and the file it is about where that is another, e.g. a parent
    that is a file), not "[Errno 13] Permission denied: 'out.png'" after the path again; another
    error's text without the path opening it ("out.txt: unknown image extension '.txt'")."""
    if not isinstance(e, OSError) or not e.strerror:
        return str(e).removeprefix(f"{path}: ")
    return e.strerror + (f": {e.filename}" if e.filename is not None and str(e.filename) != path else "")


def other_kind(cmd: str, out: Path) -> str | None:
    """Why ``out`` names the other write command's kind of file (an image for ``/geojson``, GeoJSON for
    ``/vis``), saying which command writes what; None where it does not."""
    from PIL import Image

    suffix = out.suffix.lower()
    if cmd == "/geojson" and suffix in Image.registered_extensions():
        return "an image's name: /geojson writes GeoJSON (e.g. answer.geojson), /vis draws the shapes on the image"
    if cmd == "/vis" and suffix in (".geojson", ".json"):
        return "a GeoJSON name: /vis draws an image (e.g. overlay.png), /geojson writes the shapes as GeoJSON"
    return None


def glob_hint(pattern: str) -> str:
    """What to say of a ``/image`` path holding a wildcard: no shell expands it here; the files it
    matches (two at most, and their count), to give one, or band files comma-separated."""
    import glob

    found = sorted(glob.glob(pattern))
    named = ", ".join(found[:2]) + (f" and {len(found) - 2} more" if len(found) > 2 else "")
    return (" (no shell here expands wildcards: give one file, or band files of one image comma-separated"
            + (f"; it matches {named})" if found else ")"))
