"""What every converter shares: the output folder, the stats, record building (finding images by name is
``data_gen.convert.lookup``, reading them through ``data_gen.convert.images``; their names still import from here).

``Output`` owns ``OUT/records.jsonl``, ``OUT/images/`` and ``OUT/stats.json``. Converters call
``out.add(record)`` for each record (an id already written gets ``-dup2``, ``-dup3``… and is
counted in the notes as ``duplicate_ids_renamed``, the first named with its source and the first record's; ``strict`` raises instead),
``out.skip(reason, where)`` for each bad annotation (counted; with ``strict`` it raises
``ConversionError`` naming the file and line), ``out.filter(option, what)`` for each annotation an
option such as ``--classes`` or ``--skip-difficult`` left out (counted apart, as ``filtered``: no error, never raised),
``out.note(key)`` for things worth knowing that are not errors, and ``out.copy_image(path)`` (with the sidecars GDAL reads: ``.aux.xml``, world
files) / ``out.image_path(name)`` to place images under ``OUT/images``. Nothing is created before the first record or image is written, or ``close()``
is called: a usage error found on the way (a folder that is not there, ``--overlap`` over half of
``--tile`` or without it) leaves no folder behind, nor touches an earlier run's. A second run into the same
folder overwrites the first run's images rather than adding renamed copies; files of the first
run that the second does not write are left and counted in the notes
(``stale_images_from_earlier_runs``). Nothing here decides geometry or wording.

Records follow DESIGN.md. For Arrow (``datasets``) every line of one file carries the same keys
with the same types: ``meta`` always has ``source, file, width, height, tile`` (``tile`` is the
window ``[x0, y0, x1, y1]`` in the source image, the whole image when not tiled). Records of the
detection converters (``data_gen.convert.detection``) also always have ``difficult``, a list of
indices that is empty for most of them.
"""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
import zlib
from collections import Counter
from pathlib import Path

from rsvlm.progress import counted
from rsvlm.tokens import IMAGE_TOKEN, TASKS

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".jp2", ".webp")


class ConversionError(ValueError):
    """A bad input under ``--strict``, or an input the converter cannot read at all."""


class Output:
    """The output folder of one conversion run; use as a context manager or call ``close()``."""

    def __init__(self, out_dir: str | Path, source: str, strict: bool = False, name: str = "records",
                 progress: bool = True, limit: int | None = None):
        self.dir = Path(out_dir)
        self.limit = limit  # --limit N: the first N inputs of the converter's loop (``bar``); None for all
        self.taken = self.left_out = 0  # inputs read and left out under it
        self.progress = progress  # False: --no-progress, no bar drawn (the converters' and their tiles')
        self.images_dir = self.dir / "images"
        self.source = source
        self.strict = strict
        self.jsonl_path = self.dir / f"{name}.jsonl"
        self._fh = None  # opened on the first write (_start)
        _check_writable(self.dir)
        self.tasks: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.filtered: Counter[str] = Counter()  # "--classes: large vehicle" -> annotations left out by choice
        self.notes: Counter[str] = Counter()
        self.examples: dict[str, str] = {}  # first place each skip reason was seen
        self.note_examples: dict[str, str] = {}  # the first file a note of files left out names (images_without_label)
        self._copied: dict[Path, str] = {}
        # ordered (dicts, not sets) so that take_back can drop what came after a mark
        self._written: dict[str, None] = {}  # images/… paths this run wrote (older runs' files are overwritten)
        self._sidecars: dict[str, None] = {}  # images/… sidecar files copied beside them (copy_image)
        self._ids: dict[str, str] = {}  # record id -> where it came from (file:line, record index or file name)
        self._macos: dict[Path, None] = {}  # macOS archive metadata files left out (macos_metadata), each once
        self._ignored: set[Path] = set()  # images of this run's --out left out of its inputs (inputs_under), each once
        self.warnings: list[str] = []  # sentences said on stderr after the stats (warn)


    def bar(self, items, desc: str, unit: str, limited: bool = True):
        """``items`` under ``rsvlm.progress.bar``, none drawn where ``progress`` is False (``--no-progress``); ``unit``
        one item's word (``"image"``: ``rsvlm.progress.bar`` reads it "13.30 images/s", "2.80 s/image", and items of
        no length, llava's streamed records, "5 records"). Under ``limit`` (``limited``: the loop over inputs, not
        COCO's over annotations) only as many as are left of it, over every such loop of the run (rsivqa's files),
        those left out counted in the notes as ``inputs_left_out_by_limit`` (items of no length: said, uncounted)."""
        from rsvlm.progress import bar

        if limited and self.limit is not None:
            from data_gen.convert.options import within_limit

            items = within_limit(self, items, desc, unit)
        return bar(items, desc=desc, unit=unit, disable=not self.progress)

    def _start(self) -> None:
        """Create the folder and open ``records.jsonl`` (once, on the first write)."""
        if self._fh is not None:
            return
        try:
            self.images_dir.mkdir(parents=True, exist_ok=True)
            self._fh = self.jsonl_path.open("w", encoding="utf-8")
        except OSError as e:
            raise ConversionError(f"{self.dir}: cannot write the output folder ({e.strerror})") from e

    @property
    def started(self) -> bool:
        """Whether anything was written into the folder yet."""
        return self._fh is not None

    # --- records -----------------------------------------------------------------------------
    def add(self, record: dict, where: str = "") -> None:
        """Write ``record``; ``where`` (file:line or record index, else its ``meta.file``) names it in the
        ``--strict`` error for an id already written, with the first record of that id (it named neither)."""
        if record["task"] is not None and record["task"] not in TASKS:
            raise ValueError(f"unknown task {record['task']!r} in record {record['id']}")
        where = where or str((record.get("meta") or {}).get("file", ""))
        rid, k = record["id"], 1
        while rid in self._ids:  # two sources of one name (sub-folders, repeated LLaVA ids): keep both
            k += 1
            rid = f"{record['id']}-dup{k}"
        if rid != record["id"]:
            if self.strict:
                raise ConversionError(f"{where}: duplicate record id {record['id']!r}, the id of the record from "
                                      f"{self._ids[record['id']]} (without --strict it is written as {rid})")
            if not self.notes["duplicate_ids_renamed"]:  # the count alone named no record and no file
                self.note(f"first duplicate id renamed: {rid} ({where}; {record['id']} is {self._ids[record['id']]})")
            self.note("duplicate_ids_renamed")
            record = {**record, "id": rid}
        self._ids[rid] = where
        self._start()
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.tasks[record["task"] or "chat"] += 1  # no task: free chat (DESIGN: no tag)

    def skip(self, reason: str, where: str, detail: str = "") -> None:
        """Count one bad annotation; under ``strict`` raise instead, naming ``where`` (file:line). What an
        option left out by the user's choice is no bad annotation: ``filter``. A ``detail`` that begins
        with ``where`` (a reader's error naming its file) is given without it: the file is named once."""
        detail = detail.removeprefix(f"{where}: ")
        msg = f"{where}: {reason}" + (f" ({detail})" if detail else "")
        if self.strict:
            raise ConversionError(msg)
        self.skipped[reason] += 1
        self.examples.setdefault(reason, msg)

    def missing_image(self, where: str, name: str, folder=None, option: str | None = "--images", hint: str = "") -> None:
        """Skip one record whose image ``name`` is not found, as ``missing_image``, in one wording for every
        converter: ``NAME: no such image under OPTION FOLDER`` (``folder`` None: an absolute path's own), then
        ``hint`` ("; give --match …")."""
        self.skip("missing_image", where, no_image(name, folder, option) + hint)

    def filter(self, option: str, what: str) -> None:
        """Count one annotation that ``option`` left out (``--classes``, ``--skip-difficult``, ``--skip-crowd``),
        keyed ``OPTION: WHAT`` (``--skip-difficult: plane``); no bad
        annotation, so not under ``skipped`` (where it read as an error) and not raised under ``strict``."""
        self.filtered[f"{option}: {what}"] += 1

    def note(self, key: str, n: int = 1, example: str | None = None) -> None:
        """Count ``n`` under ``key``; ``example``: the first thing it counts, for ``notes_examples``."""
        self.notes[key] += n
        if example is not None:
            self.note_examples.setdefault(key, example)

    def warn(self, sentence: str) -> None:
        """Note ``sentence`` and say it on stderr after the stats (``convert``): a run mostly lost to one cause."""
        self.note(sentence)
        self.warnings.append(sentence)

    def inputs_under(self, folder: Path) -> list[Path]:
        """Every file under ``folder`` (recursive, sorted), less this run's output where ``--out``
        lies inside ``folder`` (a second run read the first run's images as input): all of an
        ``--out`` below ``folder``, or ``images/``, ``records.jsonl`` and ``stats.json`` of an
        ``--out`` that is ``folder`` itself. The images among them are counted in the notes as
        ``images_in_out_folder_ignored``, each once (``--images`` and ``--labels`` may both hold them)."""
        files = self.drop_macos_metadata(sorted(p for p in Path(folder).rglob("*") if p.is_file()))
        mine, top = self.dir.resolve(), Path(folder).resolve()
        if mine == top:
            products = {self.jsonl_path.resolve(), (self.dir / "stats.json").resolve()}
            kept = [p for p in files if p.resolve() not in products
                    and self.images_dir.resolve() not in p.resolve().parents]
        elif top in mine.parents:
            kept = [p for p in files if mine not in p.resolve().parents]
        else:  # the usual case: nothing to resolve
            return files
        ignored = {p.resolve() for p in set(files) - set(kept) if p.suffix.lower() in IMAGE_EXTS} - self._ignored
        if ignored:
            self._ignored |= ignored
            self.note("images_in_out_folder_ignored", len(ignored))
        return kept

    def drop_macos_metadata(self, paths: list[Path]) -> list[Path]:
        """``paths`` less the files macOS adds to an archive (``macos_metadata``), each counted once in the notes
        as ``macos_metadata_files_ignored``: ``._a.jpg`` was an ``unreadable_image``, ``__MACOSX`` a class."""
        kept = []
        for p in paths:
            if not macos_metadata(p):
                kept.append(p)
            elif p not in self._macos:
                self._macos[p] = None
                self.note("macos_metadata_files_ignored")
        return kept

    # --- images ------------------------------------------------------------------------------
    def copy_image(self, src: Path, name: str | None = None) -> str:
        """Copy ``src`` into ``images/`` once, with the sidecar files GDAL reads beside it (a PNG's
        georeferencing in ``.aux.xml`` or a world file, a ``.msk`` nodata mask), renamed as it is
        and counted in the notes as ``sidecars_copied``; return its path relative to the output
        folder. Without them a georeferenced PNG's copy was not georeferenced."""
        from rsvlm.io.sources import GEO_SIDECARS

        src = Path(src).resolve()
        if src in self._copied:
            return self._copied[src]
        dst, rel = self.image_path(name or src.name)
        shutil.copyfile(src, dst)
        for suffix in (*GEO_SIDECARS, ".tfw", ".tifw", ".j2w", ".msk"):
            # GDAL looks for both spellings: a.png.aux.xml / a.aux.xml, a.png.wld / a.wld
            for side, side_dst in ((Path(f"{src}{suffix}"), Path(f"{dst}{suffix}")),
                                   (src.with_suffix(suffix), dst.with_suffix(suffix))):
                if side.is_file() and f"images/{side_dst.name}" not in self._sidecars:
                    shutil.copyfile(side, side_dst)
                    self._sidecars[f"images/{side_dst.name}"] = None
                    self.note("sidecars_copied")
        self._copied[src] = rel
        return rel

    def has_copied(self, src: Path) -> bool:
        """Whether ``copy_image`` copied ``src`` in this run (and it was not taken back)."""
        return Path(src).resolve() in self._copied

    def image_path(self, name: str) -> tuple[Path, str]:
        """(absolute path, relative path) for a new file ``images/name``, or ``images/NAME_k.EXT``
        where this run already wrote that name (another source of the same name: never overwrite)."""
        self._start()
        rel, k = f"images/{name}", 0
        while rel in self._written:
            k += 1
            rel = f"images/{Path(name).stem}_{k}{Path(name).suffix}"
        self._written[rel] = None
        return self.dir / rel, rel

    def mark(self) -> tuple:
        """Where the run stands (records file position, counts, images written), for ``take_back``; the
        counters are copied, of the (large) ordered dicts only their lengths kept (copies were O(images))."""
        grown = {k: len(v) for k, v in vars(self).items() if isinstance(v, dict) and not isinstance(v, Counter)}
        counts = {k: copy.copy(v) for k, v in vars(self).items() if isinstance(v, Counter)}
        return self._fh.tell() if self._fh else 0, grown, counts

    def take_back(self, mark: tuple) -> None:
        """Undo what was written and counted since ``mark``: records, counts, images (files deleted)."""
        pos, grown, counts = mark
        for name, n in grown.items():
            d = getattr(self, name)
            for key in list(d)[n:]:
                if name in ("_written", "_sidecars"):
                    (self.dir / key).unlink(missing_ok=True)
                del d[key]
        vars(self).update(counts)
        if self._fh:
            self._fh.seek(pos)
            self._fh.truncate()

    # --- end ---------------------------------------------------------------------------------
    def stats(self) -> dict:
        ours = self._written.keys() | self._sidecars.keys()
        stale = sum(1 for p in self.images_dir.iterdir()  # a tile's .png.aux.xml (GDAL's) is the tile's
                    if f"images/{p.name}" not in ours and f"images/{p.name.removesuffix('.aux.xml')}" not in ours) \
            if self.images_dir.is_dir() else 0
        if stale:  # left by an earlier run into the same folder; no record of this run names them
            self.notes["stale_images_from_earlier_runs"] = stale
        return {
            "source": self.source,
            "records": sum(self.tasks.values()),
            "tasks": dict(sorted(self.tasks.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_total": sum(self.skipped.values()),
            "skipped_examples": dict(sorted(self.examples.items())),
            "filtered": dict(sorted(self.filtered.items())),
            "filtered_total": sum(self.filtered.values()),
            "notes": dict(sorted(self.notes.items())),
            "notes_examples": dict(sorted(self.note_examples.items())),
            "images": len(self._written),
            "jsonl": self.jsonl_path.name,
        }

    def close(self) -> dict:
        """End the run: write ``stats.json`` (and an empty ``records.jsonl`` where no record
        came), creating the folder if nothing did; return the stats."""
        self._start()
        if not self._fh.closed:
            self._fh.close()
        stats = self.stats()
        (self.dir / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
        return stats

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            self._fh.close()


@contextlib.contextmanager
def one_image(out: Output, reason: str, where: str):
    """A block writing one image's records and tiles: on an ``ImageReadError`` (a PNG whose chunks
    ``image_size`` checked but whose pixels do not decode, met when tiling) what it wrote and counted
    is taken back and the image is skipped as ``reason``; it was a traceback, some tiles written. It gives ``at``,
    ``[where]``: a block reading two images (levir-cd's A and B) sets ``at[0]`` to the one it reads, skipped there."""
    from rsvlm.io.sources import ImageReadError

    mark, at = out.mark(), [where]
    try:
        yield at
    except ImageReadError as e:
        out.take_back(mark)
        out.skip(reason, at[0], str(e))


def no_image(name: str, folder=None, option: str | None = "--images") -> str:
    """``missing_image``'s detail: ``NAME: no such image under OPTION FOLDER`` (``Output.missing_image``)."""
    under = "" if folder is None else f" under {option} {folder}" if option else f" under {folder}"
    return f"{name}: no such image{under}"


def _check_writable(folder: Path) -> None:
    """ConversionError naming ``folder`` unless it is, or can be made, a writable folder; creates nothing.
    A new ``--out`` named like a records file (``dota.jsonl``) is refused: it would have become a folder."""
    import os

    if folder.suffix.lower() in (".jsonl", ".json") and not folder.exists():
        raise ConversionError(f"--out {folder}: --out is a folder (its records go in {folder}/records.jsonl, beside "
                              f"images/ and stats.json), not a records file; give a folder, e.g. --out "
                              f"{folder.with_suffix('')}")
    p = folder.absolute()
    while not p.exists() and p != p.parent:  # the nearest existing folder above it
        p = p.parent
    why = ("a file is in the way" if not p.is_dir() else
           "permission denied" if not os.access(p, os.W_OK | os.X_OK) else None)
    if why:
        raise ConversionError(f"{folder}: cannot write the output folder ({why}{'' if p == folder.absolute() else f': {p}'})")
    if (images := folder / "images").is_dir() and not os.access(images, os.W_OK | os.X_OK):  # a used folder's:
        raise ConversionError(f"{images}: cannot write the images folder (permission denied)")  # its tile's traceback


def make_record(rid: str, images: list[dict], turns: list[tuple[str, str]], task: str, meta: dict) -> dict:
    """A DESIGN.md record from (question, answer) pairs written without placeholders or tags:
    the first question gets one ``<image>`` line per image, then ``[task]``."""
    convs = []
    for k, (q, a) in enumerate(turns):
        if k == 0:
            q = (IMAGE_TOKEN + "\n") * len(images) + f"[{task}] {q}"
        convs += [{"from": "human", "value": q}, {"from": "gpt", "value": a}]
    return {"id": rid, "images": images, "conversations": convs, "task": task, "meta": meta}


def refused(record: dict, where: str) -> str | None:
    """Why the records loader (``rsvlm.data.records``) would refuse ``record``, or None: a question
    holding ``<image>`` was written, then skipped in training as a placeholder mismatch."""
    from rsvlm.data.records import RecordError, normalize_record

    try:
        normalize_record(copy.deepcopy(record), where)
    except RecordError as e:
        return str(e).removeprefix(f"{where} (id {record['id']}): ")
    return None


def make_meta(source: str, file: str, width: int, height: int, tile: list[int] | None = None) -> dict:
    return {"source": source, "file": file, "width": int(width), "height": int(height),
            "tile": [int(v) for v in (tile or [0, 0, width, height])]}


def pick(options: tuple[str, ...] | list[str], key: str) -> str:
    """A phrasing chosen by a stable hash of ``key`` (same id → same wording, every run)."""
    return options[zlib.crc32(key.encode()) % len(options)]


def clean_label(name: str) -> str:
    """``small-vehicle`` / ``storage_tank`` / ``AnnualCrop`` → ``small vehicle`` / … / ``annual crop``."""
    import re

    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.strip())
    return re.sub(r"[\s_\-]+", " ", name).strip().lower()


def files_with_suffix(folder: Path, suffix: str, recursive: bool = True, out: Output | None = None) -> list[Path]:
    """The files under ``folder`` (in it alone where not ``recursive``) whose suffix is ``suffix`` (".txt") in
    any case (``P0001.TXT`` too), sorted; with ``out``, less macOS's archive metadata (``._P0001.txt``, counted)."""
    found = Path(folder).rglob("*") if recursive else Path(folder).glob("*")
    files = sorted(p for p in found if p.suffix.lower() == suffix and p.is_file())
    return out.drop_macos_metadata(files) if out is not None else files


APPLE_DOUBLE_MAGIC = (b"\x00\x05\x16\x07", b"\x00\x05\x16\x00")  # AppleDouble, AppleSingle


def macos_metadata(path: Path) -> bool:
    """Whether ``path`` is a file macOS puts beside each file it zips, tars or copies to a non-Mac disk: an
    AppleDouble ``._NAME`` (resource fork, no image, no label: told by its first bytes, so a real image named
    ``._a.png`` is still read) or anything in a ``__MACOSX`` folder."""
    path = Path(path)
    if "__MACOSX" in path.parts:
        return True
    if not path.name.startswith("._"):
        return False
    try:
        with open(path, "rb") as f:
            return f.read(4) in APPLE_DOUBLE_MAGIC
    except OSError:  # unreadable: left to the reader, which says so (unreadable_image, …)
        return False


def first_of(files: list) -> str:
    """A note's example (``Output.note``): the first of ``files``, and how many there are where more than one."""
    return str(files[0]) + (f" (first of {counted(len(files), 'image')})" if len(files) > 1 else "")


_MOVED = {**dict.fromkeys(("gdal_errors_logged", "open_raster", "image_size", "WrongBands", "check_bands",
                            "readable_size"), "images"),
          **dict.fromkeys(("Lines", "read_lines", "text_codec", "skip_undecodable", "read_json", "json_problem"),
                          "text"),
          **dict.fromkeys(("index_images", "note_unlabelled", "find_image", "by_lower_case", "in_any_case"),
                          "lookup")}  # name -> the module of data_gen.convert it moved to


def __getattr__(name: str):
    """The names moved to ``data_gen.convert.images`` (image reading), ``.text`` (text and JSON files) and ``.lookup``
    (images found by name), still importable from here."""
    if name in _MOVED:
        from importlib import import_module

        return getattr(import_module(f"data_gen.convert.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
