"""The files and folders a training config reads: the refusal of records files and image roots that cannot be
read (``check_data_paths``), and of an ``overwrite=true`` that would remove one of them with the previous run's
outputs before the run reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rsvlm.processes import SameOnEveryRank
from rsvlm.progress import counted


class RefusedData(SameOnEveryRank):
    """Records refused on every rank alike before the model is built or ``out_dir`` written (too few, too many
    malformed or unfit, no batch as asked): ``rsvlm train`` exits 2 on them, as on ``run.preflight``'s."""


def config_inputs(cfg) -> list[tuple[str, str]]:
    """(key, path) of every file or folder ``cfg`` names to read: records and image roots, ``init_from``, the
    LLM and tokenizer paths, each encoder's ``pretrained``, the DeepSpeed JSON (unset ones left out; a hub
    name is listed too, as a path that is not there)."""
    d, llm = cfg.data, cfg.model.llm
    keys = [("data.train", d.train), ("data.root", d.root),
            *((f"data.extra[{i}].path", s.path) for i, s in enumerate(d.extra)),
            *((f"data.extra[{i}].root", s.root) for i, s in enumerate(d.extra)),
            ("init_from", cfg.init_from), ("model.llm.name_or_path", llm.name_or_path),
            ("model.llm.tokenizer", llm.tokenizer),
            *((f"model.encoders.{n}.pretrained", e.pretrained) for n, e in cfg.model.encoders.items()),
            ("dist.deepspeed", cfg.dist.deepspeed)]
    return [(k, str(p)) for k, p in keys if p]


def check_overwrite_inputs(cfg, removed: list[Path]) -> None:
    """FileExistsError, before anything is removed, where a path ``cfg`` reads lies in one of ``removed`` (the
    previous run's outputs ``overwrite=true`` clears from ``out_dir``): ``init_from=runs/a/final`` with
    ``out_dir=runs/a overwrite=true`` removed that model, then failed for want of it (exit 1, the model lost)."""
    gone = [p.resolve() for p in removed]
    for key, path in config_inputs(cfg):
        at = Path(path).resolve()
        if hit := next((g for g in gone if at == g or g in at.parents), None):
            raise FileExistsError(f"{key}={path} lies in {hit}, which overwrite=true removes from out_dir "
                                  f"{cfg.out_dir} (a previous run's outputs) before the run reads it; write this "
                                  "run to another out_dir, or copy that input out of it first")


# the first bytes of files given as records by mistake, and what they are
MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"II*\x00", "a TIFF image"),
         (b"MM\x00*", "a TIFF image"), (b"II+\x00", "a BigTIFF image"), (b"PK\x03\x04", "a zip archive"),
         (b"PAR1", "a Parquet file"), (b"\x93NUMPY", "a NumPy array"), (b"%PDF", "a PDF"),
         (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ", "an xz archive"), (b"7z\xbc\xaf", "a 7-Zip archive"),
         (b"\x28\xb5\x2f\xfd", "a zstd archive"))  # Hugging Face datasets ship .jsonl.zst
UNDECODED_SHARE = 0.1  # of the characters: above it, bytes that are no UTF-8 are a binary file, not a stray line


def binary_found(path: str | Path) -> str | None:
    """What ``path`` holds where it is binary rather than text (gzip read through: ``open_bytes``): the kind its
    first bytes tell (``MAGIC``), else "binary data", with those bytes; None for text. Its first 64 KiB, decoded
    as the reader decodes them (``records.text_encoding``: UTF-8, or UTF-16 after its byte-order mark), tell
    binary where they start as a ``MAGIC`` kind, hold a NUL character, are UTF-16 that does not decode, or are
    more than ``UNDECODED_SHARE`` UTF-8 bytes that do not decode: a text file with a few such lines (a record
    saved in Latin-1) is no binary file, as the reader skips those lines as malformed and reads the rest. A file
    that cannot be read is left to the reader."""
    from rsvlm.data.records import GZIP_ERRORS, open_bytes, text_encoding

    try:
        with open_bytes(path) as f:
            head = f.read(1 << 16)
    except GZIP_ERRORS:
        return None
    kind = next((what for magic, what in MAGIC if head.startswith(magic)), None)
    if kind is None and _reads_as_text(head, text_encoding(head)):
        return None
    return f"{kind or 'binary data'} (first bytes {head[:8]!r})"


def _reads_as_text(head: bytes, encoding: str) -> bool:
    """Whether ``head`` decodes in ``encoding`` as the reader decodes it (UTF-16 strictly, UTF-8 line by line)
    without a NUL character or more than ``UNDECODED_SHARE`` undecodable bytes."""
    import codecs

    try:  # final=False: a character cut at the end of the 64 KiB is no fault
        text = codecs.getincrementaldecoder(encoding)("strict" if encoding == "utf-16" else "surrogateescape").decode(
            head, final=False)
    except UnicodeDecodeError:  # UTF-16 that does not decode: the reader refuses the whole file
        return False
    undecoded = len(re.findall("[\udc80-\udcff]", text))  # surrogateescape's stand-ins for bytes that are no UTF-8
    return "\x00" not in text and undecoded <= UNDECODED_SHARE * len(text)


@dataclass(frozen=True)
class Source:
    """One records file a run reads, as its config names it."""

    key: str  # data.train, data.extra[i].path
    path: str
    root_key: str  # data.root, data.extra[i].root
    root: str | None  # as given; None: the records file's folder
    weight: float  # its share of the draws (data.train's 1)

    @property
    def image_root(self) -> Path:
        """The folder its records' relative image paths are read from."""
        return Path(self.root or Path(self.path).parent)


def records_sources(cfg) -> list[Source]:
    """Every records file, ``data.train`` then each ``data.extra[i]``: the one list the checks, the index, the
    contrastive loop's pairs and the resume's file prints read."""
    return [Source("data.train", cfg.data.train, "data.root", cfg.data.root, 1.0),
            *(Source(f"data.extra[{i}].path", s.path, f"data.extra[{i}].root", s.root, s.weight)
              for i, s in enumerate(cfg.data.extra))]


def check_data_paths(cfg) -> None:
    """FileNotFoundError or ValueError, naming the key, where a records file (``data.train``, ``data.extra``) is
    missing, binary (an image or archive given by mistake: ``binary_found``) or holds no record line, or an image
    root is no folder; ``preflight`` asks it, and scripts/launch.py before it starts any process (else each rank
    refused it, then the launcher said no step folder was saved)."""
    from rsvlm.data.records import blank_records_file, check_records_path, records_in

    sources = records_sources(cfg)
    for key, path in ((s.key, s.path) for s in sources):
        try:
            check_records_path(path)
        except FileNotFoundError as e:  # data.train=a.jsonl,b.jsonl: several files, as a list is told (ONE_VALUE)
            parts = [p.strip() for p in str(path).split(",")]
            several = key == "data.train" and len(parts) > 1 and all(Path(p).is_file() for p in parts)
            raise FileNotFoundError(f"{key}: {e}" + (f" ({len(parts)} files, comma-separated); "
                                                     f"{type(cfg.data).ONE_VALUE['train']}" if several else "")
                                    + (f"; or {type(cfg.data).ONE_VALUE['train']}" if key == "data.train" and not
                                       several and len(records_in(path)) > 1 else "")) from None
        if found := binary_found(path):  # was exit 1 once out_dir was written: "no usable record … not UTF-8 text"
            raise ValueError(f"{key}: {path} is not a records file (JSONL, or a LLaVA JSON array): it holds {found}; "
                             "give the records file whose lines name the images")
        if blank_records_file(path):  # was exit 1 once the model was built and out_dir written: "0 records read"
            raise ValueError(f"{key}: {path} is empty (no record line): an empty split? give a records file that "
                             "holds records")
    # was: every image 'not found', a bad sample each, 50 samples into the run
    for key, root in ((s.root_key, s.root) for s in sources):
        if root is not None and not Path(root).is_dir():
            raise FileNotFoundError(f"{key}: {root} is {'a file' if Path(root).exists() else 'not there'}; give "
                                    "the folder the records' image paths are relative to (unset: the records file's "
                                    "folder)")
    check_twice(sources)


def check_paths_at_once(cfg, alone: bool = False) -> None:
    """FileNotFoundError naming, in one message, every path the config names that is not there where two or more
    are: records files and image roots (``data``), the encoders' ``pretrained``, the LLM's and its tokenizer's
    folders, ``init_from`` and ``dist.deepspeed`` (a real-scale recipe's were named one per try: one fix, one more
    run). One or none is left to the checks that follow it (``check_data_paths``, ``check_model_files``…), which
    say it as they did; any other fault too. ``alone`` (scripts/launch.py, whose ranks would find it): a single
    missing model path (``pretrained``, the LLM's but its tokenizer's, ``init_from``) is raised too, in those
    checks' words."""
    from rsvlm.data.records import check_records_path
    from rsvlm.model.llm_checks import check_llm_files
    from rsvlm.model.vision import check_pretrained
    from rsvlm.train.init_from import check_init_from

    said: list[str] = []
    model: list[str] = []  # those of said that are model paths (``alone``)

    def look(check, key: str = "") -> None:
        try:
            check()
        except FileNotFoundError as e:
            said.append(f"{key}{e}")
            if not key:
                model.append(said[-1])
        except (ValueError, OSError):  # there but unfit: the ordered checks say it
            pass

    for name, enc in cfg.model.encoders.items():
        look(lambda enc=enc, name=name: check_pretrained(enc, f"model.encoders.{name}"))
    lm = cfg.objective != "clip"
    if lm:
        look(lambda: check_llm_files(cfg.model.llm, "model.llm", weights=True))
    for s in records_sources(cfg):
        look(lambda s=s: check_records_path(s.path), f"{s.key}: ")
        if s.root is not None and not Path(s.root).exists():
            said.append(f"{s.root_key}: {s.root} is not there")
    if lm and cfg.init_from and not Path(cfg.init_from).exists():
        look(lambda: check_init_from(cfg))
    if cfg.dist.deepspeed and not (ds := Path(cfg.dist.deepspeed)).is_file():  # as load_deepspeed_config says it
        where = "" if ds.is_absolute() else f" (relative to the working directory {Path.cwd()})"
        said.append(f"dist.deepspeed: {ds} {'is a folder, not a JSON file' if ds.is_dir() else 'not found'}{where}")
    if len(said) > 1:
        raise FileNotFoundError(f"{len(said)} paths the config names are not there (fix them all, then run again):\n  "
                                + "\n  ".join(said))
    # a tokenizer folder on the nodes only is left to the ranks, with a note (``launch.here_processor``)
    if alone and (model := [m for m in model if not m.startswith("model.llm.tokenizer")]):
        raise FileNotFoundError(model[0])


def check_twice(sources: list[Source]) -> None:
    """ValueError where two records sources are one file under one image root (``data.extra`` naming
    ``data.train`` again): every record was drawn twice as often, said only as 'kept with an id already read'."""
    seen: dict[tuple[Path, Path], str] = {}
    for key, path, root in ((s.key, s.path, s.image_root) for s in sources):
        where = (Path(path).resolve(), root.resolve())
        if (first := seen.get(where)) is not None:
            raise ValueError(f"{key}: {path} is the records file {first} gives already, under the same image root: "
                             "each record would be drawn twice as often; leave it out (weight a file with "
                             "data.extra[i].weight)")
        seen[where] = key


class TooFewRecords(RefusedData, ValueError):
    """A records file holds no usable record or cannot be read to its end, or the files hold fewer than one
    global batch: found on every rank alike before anything is built or written (``rsvlm train`` exits 2, as on
    ``run.preflight``'s refusals)."""


def check_enough_records(cfg, world: int) -> dict:
    """TooFewRecords where a records file holds no usable record (all malformed: the first one's reason
    named), or all of them together fewer than one global batch (``batch_size`` × ``world`` processes): both
    were found once the model was built and the data read (exit 1), and so was a file that cannot be read as
    records (a JSON array cut short). Each file is read only until it has given a record and the files together
    a global batch, so a large one costs a few lines (a JSON array file is parsed whole, as its reader parses
    it, once: returned, for ``data.build_index`` to read them unparsed: ``records.read_records``'s ``arrays``);
    then a file none of whose first records' images is there is refused (``check_images_there``); records the
    model has no stem for, or whose images cannot be read, are found later, as before."""
    from rsvlm.data.records import ReadReport, RecordError, read_records

    need, total, malformed, arrays = cfg.batch_size * world, 0, 0, {}
    for key, path in ((s.key, s.path) for s in records_sources(cfg)):
        report, found = ReadReport(str(path)), 0
        try:
            for _ in read_records(path, strict=False, report=report, arrays=arrays):
                found += 1
                if total + found >= need:
                    break
        except RecordError as e:  # a JSON array cut short, a gzip file that does not decompress: was exit 1
            why = str(e).removeprefix(f"{path}: ")  # a gzip cut short gives its first records, then this
            said = (f"no usable record: {why}" if not found else
                    f"cannot be read to its end ({counted(found, 'record')}, then: {why})")
            raise TooFewRecords(f"{key}: {path}: {said}") from None
        if not found:  # was: "no usable record" once out_dir was written and the model built
            first = f"; the first: {report.examples[0]}" if report.examples else ""
            raise TooFewRecords(f"{key}: {path}: no usable record: all {report.n_lines} of its records are "
                                f"malformed ({report.summary()}){first}")
        total, malformed = total + found, malformed + report.n_skipped
    if total < need:
        fits = total // world
        fix = f"batch_size={fits} or lower" if fits else f"fewer processes than {world}"
        bad = f" ({counted(malformed, 'malformed record')} left out)" if malformed else ""
        where = "data.train and data.extra hold" if cfg.data.extra else "data.train holds"
        raise TooFewRecords(f"batch_size={cfg.batch_size}: {where} {counted(total, 'usable record')}{bad}, fewer than one "
                            f"global batch of {need} (batch_size × {counted(world, 'process')}), so no step could be drawn; "
                            f"give {fix}, or add records")
    check_images_there(cfg, arrays)
    return arrays


class NoImageFound(RefusedData, FileNotFoundError):
    """None of the image files the first records of a records file name is there (a wrong ``data.root`` or
    ``data.extra[i].root``, a moved image folder): found before anything is built or written (``rsvlm train``
    exits 2); it was every sample of that file skipped as bad, ``TooManyBadSamples`` 50 samples into the run
    (exit 1), ``out_dir`` written."""


IMAGE_LOOK = 1000  # records of each file whose images are looked for before none found is a verdict


def check_images_there(cfg, arrays: dict | None = None) -> None:
    """NoImageFound where none of the image files named by the first ``IMAGE_LOOK`` records of a records file
    (``data.train``, each of ``data.extra``; under its own image root) is there, naming the file and where its
    relative paths are read from (``image_root_hint``). Each file is read until its first image file found: one
    ``stat`` where the images are there; records that name no image count towards ``IMAGE_LOOK`` too (a
    text-only file was read whole). Images that are there but cannot be read, and some missing among found ones,
    are the training loop's bad samples (counted, and over ``data.max_bad_fraction`` a failure), as before."""
    for source, (key, path, root) in enumerate((s.key, Path(s.path), s.image_root) for s in records_sources(cfg)):
        if (none := _none_there(path, root, arrays)) is None:
            continue
        read, named, files, first = none
        of = f"the {'first ' * (read >= IMAGE_LOOK)}{counted(read, 'record')} of {key}"
        by = of if named == read else f"{named} of {of}"  # records naming no image among them
        raise NoImageFound(f"none of the image files is there: {files} named by {by}; every sample "
                           f"{'of it ' * bool(cfg.data.extra)}would be skipped as bad; the first: {first}"
                           f"{image_root_hint(cfg, first, source)}")


def _none_there(path: Path, root: Path, arrays: dict | None) -> tuple[int, int, int, str] | None:
    """(records read, of them naming an image, image files named, the first one's error "ID: FileNotFoundError:
    …") where the first ``IMAGE_LOOK`` records of ``path`` name image files (under ``root``) none of which is
    there; None where one is there or no record names one."""
    from rsvlm.data.records import ReadReport, image_paths, read_records

    read = named = n_files = 0
    first = None
    for rec in read_records(path, strict=False, report=ReadReport(str(path)), arrays=arrays):
        files = [f for fs in image_paths(rec, root) for f in fs]
        for f in files:
            if (why := missing_image(f)) is None:
                return None
            first = first or f"{rec['id']}: FileNotFoundError: {why}"
        read, named, n_files = read + 1, named + bool(files), n_files + len(files)
        if read >= IMAGE_LOOK:
            break
    return (read, named, n_files, first) if first is not None else None


def missing_image(f: Path) -> str | None:
    """Why the image file ``f`` is not there (``check_image_path``'s FileNotFoundError: "image not found: f", with
    a hint where it has one: an unexpanded ``~``, a URL); None where it is there, as a file or anything else the
    read judges later (a folder, an empty file, a GDAL subdataset name)."""
    import os

    from rsvlm.io.checks import check_image_path

    if os.path.lexists(f):
        return None
    try:
        check_image_path(f)
    except FileNotFoundError as e:
        return str(e)
    except (OSError, ValueError):  # a name past its length limit, a folder above it that may not be read
        return None
    return None


def image_root_hint(cfg, first_bad: str, source: int = 0) -> str:
    """Where no sample's image was found (``first_bad``: the first's error, "ID: FileNotFoundError: image not
    found: PATH"): where relative image paths are read from, or, where that first is an absolute path under no
    image root (the records hold absolute paths), that no root is used for them; "" where ``first_bad`` is
    another error. ``source``: the records file, 0 ``data.train`` (whose words name ``data.root``), i
    ``data.extra[i - 1]`` (its own root). The end of the refusal of ``check_images_there`` and of
    ``run.check_bad``'s."""
    if "image not found" not in first_bad:
        return ""
    sources = records_sources(cfg)
    src, extra = sources[source], source > 0
    key = src.root_key
    none = f"No image of {src.key} was found" if extra else "No sample's image was found"
    named = re.search(r"image not found: (.+?)(?:; |$)", first_bad)
    image = Path(named[1]) if named else None
    if image is not None and image.is_absolute() and not any(
            image.is_relative_to(s.image_root.expanduser().absolute()) for s in sources):
        return (f". {none}, and the first is an absolute path ({image}): {key} is not used for a record's absolute "
                f"paths; write the records' paths where the images are now (relative ones are read from {key}, else "
                "the records file's folder)")
    where = (f"{key}={src.root}" if src.root
             else f"the records file's folder ({Path(src.path).parent}), {key} being unset")
    roots = (src.image_root, src.image_root.expanduser().absolute())  # the first's path as the record wrote it
    rel = next((image.relative_to(r) for r in roots if image is not None and image.is_relative_to(r)), None)
    here = (f" (the first is there relative to the working folder {Path.cwd()}: set {key}=.)"
            if rel is not None and rel.parts and rel.exists() else "")
    return (f". {none}: a record's relative image paths are read from {where}"
            + ("" if extra else " (data.extra's from their own root)") + f"; set {key} to the folder they are "
            "relative to" + here)
