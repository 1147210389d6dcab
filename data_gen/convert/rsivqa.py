"""RSIVQA text (``image:question?answer`` per line) → ``[vqa]`` records, one per line.

``--src`` is one or more ``.txt`` files (``--src`` given again adds its files; RSIVQA ships one per
source dataset, e.g.
``AID/rsicd_vqa.txt``) or folders, each standing for the ``.txt`` files under it; ``--images`` the folder holding the images they name (searched
recursively; where over half the lines name an image not under it, a warning on stderr and in the notes asks whether
it is the whole dataset's folder, naming the first three; the same stem with another extension is accepted and noted, and a bare stem, as
RSIVQA's DOTA and HRRSD files give it, ``P0000: how many planes …?21``, is found). Question and answer
are kept verbatim (the question keeps its ``?``). Record ids are
``rsivqa-FOLDER-FILE-LINE`` (the text file's folder and stem, its line number).

Bad lines: ``unparsable_line`` (no ``:`` or ``?``, or an empty question or answer), ``not_utf8``
(``broken_utf16`` in a file read as UTF-16: its BOM or its NUL bytes said so),
``invalid_record`` (one the records loader would refuse: ``<image>`` in the question),
``empty_template_slot`` (a question generated from a template whose object name came out empty,
two spaces where it belongs: ``How many  in the picture?zero``, ``What is the location of the  in
this picture?``, common in RSIVQA's ``UCM/ucm_res.txt``), ``missing_image`` (no such image under
``--images``), ``duplicate_question`` (the image, question and answer of an earlier line, of any file:
it was a second record of them), ``unreadable_image`` (truncated or not an
image; counted per line), ``wrong_band_count`` (cannot be read as ``--modality``; per line). With
``--strict`` the first raises.
"""

from __future__ import annotations

import re
from pathlib import Path

from data_gen.convert.common import (
    ConversionError,
    Output,
    files_with_suffix,
    make_meta,
    make_record,
    refused,
)
from data_gen.convert.images import readable_size
from data_gen.convert.lookup import find_image, index_images
from data_gen.convert.mostmissing import warn_most_missing
from data_gen.convert.text import read_lines, skip_undecodable
from rsvlm.tokens import MODALITIES

_EMPTY_SLOT = re.compile(r"[a-z] {2,}[a-z]")  # "many  in": a template's object name left out


def add_arguments(p) -> None:
    # extend: --src a.txt --src b.txt converted b.txt alone (argparse keeps the last list), a.txt unsaid
    p.add_argument("--src", required=True, type=Path, nargs="+", action="extend",
                   help="RSIVQA .txt files, or folders of them, one or more (given again, its files add up)")
    p.add_argument("--images", required=True, type=Path, help="folder with the images")
    p.add_argument("--modality", default="optical", choices=MODALITIES, help="modality of every image (default: optical)")


def parse_line(line: str) -> tuple[str, str, str]:
    """``'00433.jpg:what is the theme of this picture?airport'`` → (image, question, answer)."""
    name, sep, rest = line.partition(":")
    q, qsep, a = rest.rpartition("?")
    if not sep or not qsep or not name.strip() or not q.strip() or not a.strip():
        raise ValueError("expected image:question?answer")
    return name.strip(), q.strip() + "?", a.strip()


def _text_files(src: list[Path], out: Output | None = None) -> list[Path]:
    """The ``.txt`` files given, a folder standing for those under it; ConversionError naming an
    input that is neither, or a folder without one."""
    files = []
    for t in map(Path, src):
        if t.is_dir():
            found = files_with_suffix(t, ".txt", out=out)  # not ._a.txt (a Mac's zip)
            if not found:
                raise ConversionError(f"{t}: a folder without RSIVQA .txt files")
            files += found
        elif t.is_file():
            files.append(t)
        else:
            raise ConversionError(f"{t}: no such file")
    return files


def run(args, out: Output) -> None:
    index = index_images(args.images, out)
    sizes: dict[Path, tuple[int, int] | ConversionError] = {}  # size, or why it cannot be used (readable_size)
    asked: dict[tuple, str] = {}  # (image, question, answer) → where first
    named, missing = 0, {}  # the lines that name an image; the names not found, each once
    for txt in {Path(t).resolve(): t for t in _text_files(args.src, out)}.values():  # a file named twice is read once
        lines = read_lines(txt)
        if not any(line.strip() for line in lines):  # "nothing to convert" named no file
            out.note(f"{txt}: empty file")
        for n, line in enumerate(out.bar(lines, f"rsivqa {Path(txt).name}", "line"), 1):
            if not line.strip():
                continue
            where = f"{txt}:{n}"
            if "\ufffd" in line:  # bytes that are not UTF-8: the question or answer was written with a �
                skip_undecodable(out, lines, where, repr(line[:80]))
                continue
            try:
                name, q, a = parse_line(line)
            except ValueError as e:
                out.skip("unparsable_line", where, f"{e}: {line[:80]!r}")
                continue
            if slot := _EMPTY_SLOT.search(q):
                out.skip("empty_template_slot", where, f"no object between {slot.group(0)!r}: {q!r}")
                continue
            named += 1
            image = find_image(index, name, out)
            if image is None:
                out.missing_image(where, name, args.images)
                missing[name] = None
                continue
            if (first := asked.setdefault((image, q, a), where)) != where:  # it was a second record, unsaid
                out.skip("duplicate_question", where, f"{name}: {q} {a}, as {first}")
                continue
            if (size := readable_size(image, out, where, args.modality, sizes)) is None:
                continue
            w, h = size
            meta = make_meta("RSIVQA", f"{Path(txt).name}:{n}", w, h)
            rid = f"rsivqa-{Path(txt).parent.name}-{Path(txt).stem}-{n}"
            rec = make_record(rid, [{"path": image.name, "modality": args.modality}], [(q, a)], "vqa", meta)
            if (why := refused(rec, where)) is not None:  # checked before the image is copied
                out.skip("invalid_record", where, why)
                continue
            rec["images"][0]["path"] = out.copy_image(image)
            out.add(rec, where)
    warn_most_missing(out, out.skipped["missing_image"], named, "line", list(missing), args.images,
                      "the images of every file --src names")
