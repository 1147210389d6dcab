"""``python -m data_gen convert FORMAT …``: real remote-sensing datasets → rsvlm instruction records.

Each format is one module with ``add_arguments(parser)`` and ``run(args, out)``; ``CONVERTERS``
maps the format name to it. Every run writes ``OUT/records.jsonl`` (DESIGN.md records, loadable
with ``datasets.load_dataset("json", …)``), ``OUT/images/`` (copied or tiled images, referenced
by relative path) and ``OUT/stats.json`` (records per task, skipped annotations per reason,
annotations an option such as ``--classes`` left out under ``filtered``, notes), which is also
printed. ``--strict`` turns the first bad annotation into an error naming its file and line. Converters read local files only; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
import time
from importlib import import_module
from pathlib import Path

from rsvlm.argparsing import Parser

# format name -> (module under data_gen.convert, one-line help); modules load on use
CONVERTERS: dict[str, tuple[str, str]] = {
    "dota": ("dota", "DOTA labelTxt: 8-point quads → [det] obb + box, [ground]"),
    "voc": ("voc", "Pascal VOC / DIOR XML (bndbox, robndbox) → [det], [ground]"),
    "dior": ("voc", "alias of voc"),
    "coco": ("coco", "COCO JSON: boxes, polygons, RLE → [det], [ground], [seg]"),
    "folder": ("folder", "folder-per-class or class_N.png scenes → [cls]"),
    "rsvqa": ("rsvqa", "RSVQA LR/HR questions/answers/images JSON → [vqa]"),
    "rsivqa": ("rsivqa", "RSIVQA image:question?answer lines → [vqa]"),
    "masks": ("masks", "image + palette label PNG (LoveDA, iSAID, Potsdam, …) → [seg]"),
    "levir-cd": ("levir", "LEVIR-CD A/B/label triples → [change] text + geometry"),
    "geojson": ("geojson", "footprints (GeoJSON) over a GeoTIFF → [det], [ground], [seg]"),
    "llava": ("llava", "LLaVA / GeoChat conversations JSON → records (GeoChat boxes rewritten)"),
}


def converter(fmt: str):
    """The module converting ``fmt`` (it has ``add_arguments`` and ``run``)."""
    if fmt not in CONVERTERS:
        raise KeyError(f"unknown format {fmt!r}; known: {', '.join(CONVERTERS)}")
    return import_module(f"data_gen.convert.{CONVERTERS[fmt][0]}")


class _Parser(Parser):
    """The converters' parser (each format's is one too): a required option left out is said with what it is given
    (``data_gen.argv.required_said``: ``dota`` without ``--src`` said only "required: --src")."""

    def error(self, message: str):
        from data_gen.argv import required_said

        super().error(required_said(self, message))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m data_gen convert",
                     description="Convert a real dataset into rsvlm records.")
    from data_gen.argv import record_values
    from data_gen.convert.options import int_at_least

    sub = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
    parser.commands = sub.choices  # format -> its parser, whose one-value options note what they are given
    for name, (_, help_) in CONVERTERS.items():
        p = record_values(sub.add_parser(name, help=help_, description=help_))
        p.add_argument("--out", required=True, help="output folder (records.jsonl, images/, stats.json)")
        p.add_argument("--strict", action="store_true", help="raise on the first bad annotation")
        p.add_argument("--no-progress", action="store_true", help="no progress bars (on stderr), tiles' included")
        p.add_argument("--limit", type=int_at_least(1), metavar="N", default=None,
                       help="convert only the first N inputs (label files, XML files, GeoJSON files, label images, "
                            "images, pairs, lines, questions or records: what the progress bar counts), the rest "
                            "counted in the notes")
        converter(name).add_arguments(p)
    return parser


def convert(argv: list[str]) -> dict:
    """Run one conversion from command-line words (``["dota", "--src", …, "--out", …]``); return
    (and print) its stats. Raises ``ConversionError`` on unreadable input or, with ``--strict``,
    on the first bad annotation."""
    return _convert(build_parser().parse_args(argv))


def _convert(args: argparse.Namespace) -> dict:
    from data_gen.convert.common import Output

    out = Output(args.out, source=args.format, strict=args.strict, progress=not getattr(args, "no_progress", False),
                 limit=getattr(args, "limit", None))
    try:
        converter(args.format).run(args, out)
    except BaseException:
        if out.started:  # what was written so far, with its stats; else no folder at all
            out.close()
        raise
    stats = out.close()
    try:  # as written: "x 10…40", a file named "港口.png" (stats.json keeps JSON's escapes), not "10\u202640"
        print(json.dumps(stats, indent=2, ensure_ascii=False))
    except UnicodeEncodeError:  # a stdout that cannot hold them (a cp1252 pipe): escaped, as before
        print(json.dumps(stats, indent=2))
    for said in out.warnings:  # in the stats' notes too, where a count among 10920 skips was easily passed over
        print(f"warning: {said}", file=sys.stderr)
    return stats


INPUTS = ("src", "ann", "images", "labels")  # the options naming a converter's input files or folders


def inputs(args: argparse.Namespace) -> str:
    """The input options of a parsed command line as written, ``--src DIR --images DIR``."""
    def words(v) -> str:
        return " ".join(map(str, v)) if isinstance(v, list) else str(v)

    return " ".join(f"--{k} {words(v)}" for k in INPUTS if (v := getattr(args, k, None)) is not None)


def src_not_taken(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """The error for ``--src`` given to a converter whose inputs are named otherwise (``coco --ann``, ``masks`` and
    ``geojson`` ``--images --labels``), naming those; None otherwise. It was "--src is no option: did you mean
    --strict?", the one option nearest in spelling."""
    sub = parser.commands.get(argv[0]) if argv else None
    words = argv[:argv.index("--")] if "--" in argv else argv  # after "--" a word is no option
    if sub is None or "--src" in sub._option_string_actions or not any(
            w == "--src" or w.startswith("--src=") for w in words):
        return None
    takes = [a for k in INPUTS if (a := sub._option_string_actions.get(f"--{k}")) is not None]
    return (f"{argv[0]} takes no --src (the other converters' input): its inputs are "
            + ", ".join(f"{a.option_strings[0]} ({a.help})" for a in takes))


def write_failed(e: OSError, args: argparse.Namespace) -> bool:
    """Whether ``e`` is a write under ``args.out`` failing: a full disk or quota (a write's or a flush's error names
    no file) or an error naming a file under ``--out`` and under no input option (an ``--out`` above its inputs)."""
    if e.errno in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return True
    if not e.filename:
        return False
    where = Path(e.filename).absolute()
    given = []  # the input files and folders
    for v in (getattr(args, k, None) for k in INPUTS):
        given += [Path(p).absolute() for p in (v if isinstance(v, list) else [v]) if p is not None]
    return where.is_relative_to(Path(args.out).absolute()) and not any(where.is_relative_to(p) for p in given)


def main(argv: list[str] | None = None) -> int:
    """Entry for ``python -m data_gen convert``: 0 on success, 2 with the error on stderr; a run
    that writes no record at all is an error too, naming the input options and the empty records
    file (its stats say why: what was skipped or filtered)."""
    from data_gen.argv import given_twice
    from data_gen.convert.common import ConversionError

    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if said := src_not_taken(parser, argv):
        parser.commands[argv[0]].error(said)
    args = parser.parse_args(argv)
    sub = parser.commands[args.format]
    if twice := given_twice(sub, argv):  # --ann a.json --ann b.json converted b.json alone, unsaid
        sub.error(twice)
    began = time.time()
    try:
        stats = _convert(args)
    except ConversionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # writing a record, an image or a tile (a full disk): its traceback named no way on
        if not write_failed(e, args):
            raise
        done = Path(args.out, "stats.json")  # unwritten on a full disk: an earlier run's would be taken for this one's
        said = ("its stats.json says what" if done.is_file() and done.stat().st_mtime > began - 0.5 else
                "its stats.json could not be written")
        print(f"error: {e.filename or args.out}: cannot write ({e.strerror}); the run stopped, {args.out} holds what "
              f"was written before it ({said})", file=sys.stderr)
        return 2
    if not stats["records"]:
        left = {**stats["skipped"], **{f"left out by {k}": n for k, n in stats["filtered"].items()}}
        notes = ", ".join(r if n == 1 and " " in r else f"{n} {r}"  # a note said once is a sentence: as it is
                          for r, n in stats["notes"].items())
        why = ", ".join(f"{n} {r}" for r, n in left.items()) if left else notes or "nothing to convert"
        first = max(stats["skipped"], key=stats["skipped"].get, default=None)  # the commonest reason's first case
        said = [k for k in stats["notes"] if k in stats.get("notes_examples", {})]  # a lone unlabelled image: named
        example = f"; e.g. {stats['skipped_examples'][first]}" if first else \
            f"; e.g. {said[0]}: {stats['notes_examples'][said[0]]}" if said and not left else ""
        where = f"{args.format} {inputs(args)} → {Path(args.out) / stats['jsonl']}"  # which run, and its empty file
        print(f"error: {where}: no records written ({why}){example}", file=sys.stderr)
        return 2
    return 0
