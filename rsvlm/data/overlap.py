"""Does a test set share scenes or images with a model's training data?

A checkpoint of ``rsvlm train`` keeps its resolved config as ``train_config.yaml``, whose
``data.train`` and ``data.extra`` name the training record files; the stages it started from
(``init_from``, or a model path into an earlier checkpoint: ``model.llm.name_or_path``,
``model.encoders.*.pretrained``) keep theirs, and a ``rsvlm merge-lora`` output keeps its
source's.
Where those files are on this machine, ``overlap_report`` compares a test set against them:

- by ``meta.scene`` (synthetic records carry it: ``s{seed}-{index}``, so a test set made with a
  training seed shares scenes);
- by image file path, resolved against each side's image root (a Windows backslash name as its slash
  one: ``_path_key``);
- by image content: same size and the same bytes at the start, middle and end of the file (a
  copy under another name); only training files of a size some test image has are read.

A model shipped without its training files (the bundled default model) carries
``training_data.json`` instead: ``training_data(MODEL)`` as JSON, written by the default-model
build's ``--ship``, the scenes its training records named (synthetic ones as seed and count). A
test set is compared with it by ``meta.scene`` only.

One line of text when they overlap, for ``rsvlm eval`` to print as a warning; None otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from rsvlm.data.records import ReadReport, image_paths, read_records


@dataclass
class OverlapConfig:
    content: bool = True  # also match images by size and sampled bytes (one stat per training image)
    sample_bytes: int = 4096  # bytes read at the start, middle and end of a file of a matching size
    max_depth: int = 8  # earlier stages followed through init_from and the model's paths
    progress: bool | None = None  # a bar over the training records on stderr; None: on a terminal, past 2 s


TRAINING_DATA = "training_data.json"  # beside a model whose training files are not shipped with it
SYNTHETIC_SCENE = re.compile(r"s(\d+)-(\d+)")  # `python -m data_gen synth` scene ids: s{seed}-{index:06d}


@dataclass
class Known:
    """The training scenes a model's ``training_data.json`` lists."""

    path: Path
    synthetic: dict[int, int] = field(default_factory=dict)  # seed → scenes 0 … n-1 of `data_gen synth --seed`
    scenes: set[str] = field(default_factory=set)  # other ``meta.scene`` names

    @classmethod
    def read(cls, path: Path) -> Known:
        """The file's scenes; ValueError naming the file when it is not what ``training_data`` returns."""
        try:
            data = json.loads(Path(path).read_text())
            synthetic = {int(seed): int(n) for seed, n in data["synthetic"].items()}
            scenes = {str(s) for s in data["scenes"]}
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"{path}: not a training-scenes file ({type(e).__name__}: {e})") from None
        return cls(Path(path), synthetic, scenes)

    def has(self, scene: str) -> bool:
        m = SYNTHETIC_SCENE.fullmatch(scene)
        return bool(m and int(m[2]) < self.synthetic.get(int(m[1]), 0)) or scene in self.scenes


@dataclass
class Source:
    """One training record file and the folder its image paths are relative to."""

    path: Path
    root: Path


@dataclass
class Found:
    """What the comparison found."""

    records: dict[int, set[str]] = field(default_factory=dict)  # test record position → how: scene, path, content
    files: Counter = field(default_factory=Counter)  # training file → test records matched in it
    missing: list[str] = field(default_factory=list)  # training files named but not on this machine
    unreadable: list[str] = field(default_factory=list)  # training files that could not be read, and why
    skipped: int = 0  # training lines read_records skipped (malformed)


def _abs(p: Path) -> str:
    """An absolute, normalised path without a system call per file (symlinks are left as they are)."""
    return os.path.normpath(os.path.abspath(p))


def _path_key(p: Path) -> str:
    """``_abs(p)``, with a Windows backslash name (``imgs\\a.tif``) that is no file here read with slashes, as
    ``image_names.resolve_name`` reads one whose slash file exists: the two sides of a set compare alike where the
    images are absent (was: ``imgs\\a.tif`` in training and ``imgs/a.tif`` in the test set were two images). One
    ``lstat`` per such name; a POSIX file named with backslashes stays itself."""
    path = _abs(p)
    if "\\" in path and not os.path.lexists(path):
        return _abs(Path(path.replace("\\", "/")))
    return path


def _resolve_config_path(value: str, model_dir: Path, out_dir: str | None) -> Path:
    """A path of a train_config.yaml, read as the training run read it: relative to the folder it ran
    in. That folder is found from ``out_dir`` when ``model_dir`` is ``OUT_DIR/final`` (or a step folder
    below it); else the current folder."""
    p = Path(value).expanduser()
    if p.is_absolute():
        return p
    if out_dir and not Path(out_dir).is_absolute():
        here = Path(_abs(model_dir))
        n = len(Path(out_dir).parts)
        for below in (1, 2):  # OUT_DIR/final, OUT_DIR/checkpoints/step_N
            base = here.parents[below - 1] if below <= len(here.parents) else None
            if base is not None and len(base.parts) > n and base.parts[-n:] == Path(out_dir).parts:
                cand = Path(*base.parts[:-n]) / p
                if cand.exists():
                    return cand
    return p


def _model_paths(model) -> list:
    """The files a config's model section starts from: the LLM's ``name_or_path`` and each encoder's
    ``pretrained`` (an earlier stage's ``CKPT/llm`` or ``OUT/final/model.safetensors``)."""
    if not isinstance(model, dict):
        return []
    llm = model.get("llm") if isinstance(model.get("llm"), dict) else {}
    encoders = model.get("encoders") if isinstance(model.get("encoders"), dict) else {}
    return [llm.get("name_or_path"), *(e.get("pretrained") for e in encoders.values() if isinstance(e, dict))]


def _sources(model_dir: Path, cfg: OverlapConfig) -> tuple[list[Source], list[str], list[Known], list[str]]:
    """The training record files of ``model_dir`` and of the stages it started from (found through
    their train_config.yaml), those named but not on this machine, the ``training_data.json`` files
    of those folders, and those of them that could not be read (and why)."""
    from rsvlm.config import load_yaml

    sources, missing, known, bad, seen = [], [], [], [], set()
    todo = [(Path(model_dir), 0)]
    while todo:
        folder, depth = todo.pop(0)
        key = _abs(folder)
        if key in seen or depth > cfg.max_depth:
            continue
        seen.add(key)
        if (listed := folder / TRAINING_DATA).is_file():
            try:
                known.append(Known.read(listed))
            except ValueError as e:
                bad.append(str(e))
        conf = folder / "train_config.yaml"
        if not conf.is_file():
            continue
        try:
            tc = load_yaml(conf)  # bounded: a downloaded checkpoint's train_config.yaml may be a YAML alias bomb
        except (OSError, ValueError):  # unreadable, not YAML, or past the alias limit (ConfigError is a ValueError)
            continue
        if not isinstance(tc, dict):
            continue
        data = tc.get("data") if isinstance(tc.get("data"), dict) else {}
        out_dir = tc.get("out_dir") if isinstance(tc.get("out_dir"), str) else None
        named = [(data.get("train"), data.get("root"))]
        extra = data.get("extra") if isinstance(data.get("extra"), list) else []
        named += [(e.get("path"), e.get("root")) for e in extra if isinstance(e, dict)]
        for path, root in named:
            if not isinstance(path, str) or not path:
                continue
            p = _resolve_config_path(path, folder, out_dir)
            if not p.is_file():
                missing.append(str(p))
                continue
            r = _resolve_config_path(root, folder, out_dir) if isinstance(root, str) and root else p.parent
            sources.append(Source(p, r))
        for up in [tc.get("init_from"), *_model_paths(tc.get("model"))]:
            if isinstance(up, str) and up:
                up_dir = _resolve_config_path(up, folder, out_dir)
                todo += [(up_dir, depth + 1), (up_dir.parent, depth + 1)]  # CKPT, or CKPT/llm
    unique = {(_abs(s.path), _abs(s.root)): s for s in sources}
    return list(unique.values()), sorted(set(missing)), known, bad


def _fingerprint(path: str, size: int, n: int, whole: bool = True) -> str | None:
    """A hash of ``path``'s size and ``n`` bytes at its start (``whole``: and at its middle and end);
    None if unreadable."""
    h = hashlib.blake2b(str(size).encode(), digest_size=16)
    spots = sorted({0, max(0, size // 2 - n // 2), max(0, size - n)}) if whole else [0]
    try:
        with open(path, "rb") as f:
            for at in spots:
                f.seek(at)
                h.update(f.read(n))
    except OSError:
        return None
    return h.hexdigest()


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _records(test_records: Iterable[dict] | str | Path) -> Iterator[dict]:
    if isinstance(test_records, (str, Path)):
        yield from read_records(test_records, strict=False)
    else:
        yield from test_records


@dataclass
class TestIndex:
    """The test records' scenes, image paths and image fingerprints, each → the positions of its records."""

    scenes: dict[str, list[int]] = field(default_factory=dict)
    paths: dict[str, list[int]] = field(default_factory=dict)
    prints: dict[str, list[int]] = field(default_factory=dict)  # size and sampled bytes → records
    heads: set[str] = field(default_factory=set)  # size and first bytes: one read rules most files out
    sizes: set[int] = field(default_factory=set)  # a training image of another size differs without a read
    checked: set[str] = field(default_factory=set)  # training images already compared by content

    @classmethod
    def build(cls, test: list[dict], root: Path, cfg: OverlapConfig) -> TestIndex:
        index = cls()
        for pos, rec in enumerate(test):
            scene = (rec.get("meta") or {}).get("scene")
            if isinstance(scene, (str, int)) and str(scene):
                index.scenes.setdefault(str(scene), []).append(pos)
            try:
                files = [f for fs in image_paths(rec, root) for f in fs]
            except (KeyError, TypeError):  # a record without images or paths
                files = []
            for f in files:
                index.paths.setdefault(_path_key(f), []).append(pos)
        if cfg.content:
            for path, where in index.paths.items():
                if (size := _size(path)) is not None and (fp := _fingerprint(path, size, cfg.sample_bytes)):
                    index.prints.setdefault(fp, []).extend(where)
                    index.heads.add(_fingerprint(path, size, cfg.sample_bytes, whole=False))
                    index.sizes.add(size)
        return index

    def hits(self, rec: dict, root: Path, cfg: OverlapConfig) -> Iterator[tuple[int, str]]:
        """(test record position, how) for each test record a training record ``rec`` shares something with."""
        scene = rec["meta"].get("scene")
        if isinstance(scene, (str, int)) and str(scene) in self.scenes:
            yield from ((i, "scene") for i in self.scenes[str(scene)])
        for f in (f for fs in image_paths(rec, root) for f in fs):
            path = _path_key(f)
            if path in self.paths:
                yield from ((i, "image path") for i in self.paths[path])
            elif self.sizes and path not in self.checked:
                self.checked.add(path)
                n = cfg.sample_bytes
                if ((size := _size(path)) in self.sizes and _fingerprint(path, size, n, whole=False) in self.heads
                        and (fp := _fingerprint(path, size, n))):
                    yield from ((i, "image content") for i in self.prints.get(fp, []))


def _with_bar(src: Source, report: ReadReport, what: str, cfg: OverlapConfig) -> Iterator[dict]:
    """``src``'s records (bad lines counted in ``report``), with ``cfg.progress``'s bar on stderr."""
    from rsvlm.progress import bar

    return bar(read_records(src.path, strict=False, report=report), desc=f"{what} {src.path.name}", unit="record",
               disable=None if cfg.progress is None else not cfg.progress, delay=2 if cfg.progress is None else 0,
               file=sys.stderr)


def compare(sources: list[Source], test: list[dict], test_root: Path, cfg: OverlapConfig,
            known: list[Known] = ()) -> Found:
    """Stream each training file once and note every test record that shares a scene, an image path
    or an image's content with one of its records, or a scene a ``training_data.json`` lists."""
    found, index = Found(), TestIndex.build(test, test_root, cfg)
    for k in known:
        shared = [scene for scene in index.scenes if k.has(scene)]
        seeds = sorted({int(m[1]) for s in shared if (m := SYNTHETIC_SCENE.fullmatch(s))})
        label = str(k.path) + (f" (synthetic seed {', '.join(map(str, seeds))})" if seeds else "")
        for i in (i for scene in shared for i in index.scenes[scene]):
            found.files[label] += i not in found.records
            found.records.setdefault(i, set()).add("scene")
    for src in sources:
        report = ReadReport(str(src.path))
        records = _with_bar(src, report, "overlap", cfg)
        try:
            for rec in records:
                for i, how in index.hits(rec, src.root, cfg):
                    found.files[str(src.path)] += i not in found.records
                    found.records.setdefault(i, set()).add(how)
        except (OSError, ValueError) as e:  # unreadable, or a JSON array file that is not JSON
            found.unreadable.append(f"{src.path} ({e})")
        found.skipped += report.n_skipped
    return found


def overlap_report(model_dir: str | Path, test_records: Iterable[dict] | str | Path,
                   test_root: str | Path | None = None, cfg: OverlapConfig | None = None) -> str | None:
    """One line saying how many test records share a scene or an image with ``model_dir``'s training
    data (and its earlier stages'), naming the training files and the first such record.

    ``test_records``: canonical records, or a records file (read non-strictly); ``test_root``: the
    folder their image paths are relative to (default: that file's folder, else the current one).
    None when there is no overlap, and when there is nothing to compare: no ``train_config.yaml`` in
    ``model_dir`` (the bundled default model ships without one), or none of the training files it
    names exist on this machine. A ``training_data.json`` in ``model_dir`` or an earlier stage's
    folder (the bundled default model has one) is compared by scene. Never raises for missing or
    unreadable training files."""
    cfg = cfg or OverlapConfig()
    sources, missing, known, bad = _sources(Path(model_dir), cfg)
    if not sources and not known:
        return None
    test = list(_records(test_records))
    if test_root is None:
        test_root = Path(test_records).parent if isinstance(test_records, (str, Path)) else Path(".")
    # against training_data.json alone, by scene only: no test image is read (was: each one, at every eval)
    found = compare(sources, test, Path(test_root), cfg if sources else replace(cfg, content=False), known)
    found.unreadable += bad
    if not found.records:
        return None
    first = min(found.records)  # in test order
    hows = Counter(h for hs in found.records.values() for h in hs)
    files = ", ".join(f"{f}: {n}" for f, n in found.files.most_common())
    by = ", ".join(f"{h} {n}" for h, n in hows.most_common())
    line = (f"{len(found.records)} of {len(test)} test records share a scene or image with the model's training "
            f"data ({files}; by {by}; first: id {test[first]['id']}, {' and '.join(sorted(found.records[first]))})")
    if missing:
        line += f"; not compared, not on this machine: {', '.join(missing)}"
    if found.unreadable:
        line += f"; not compared, unreadable: {', '.join(found.unreadable)}"
    if found.skipped:
        line += f"; {found.skipped} malformed training line{'s' * (found.skipped != 1)} not compared"
    return line


def training_data(model_dir: str | Path, cfg: OverlapConfig | None = None) -> dict:
    """What ``training_data.json`` keeps of ``model_dir``'s training data: the ``meta.scene`` of every
    record of the files its train_config.yaml and its earlier stages' name (and the scenes of any
    ``training_data.json`` on the way), synthetic ones as {seed: 1 + highest index}, others listed,
    with the counts of records without a scene and of malformed lines.

    Raises FileNotFoundError when nothing names the training data or a named file is not on this
    machine, ValueError when one cannot be read: a record of part of the data would pass for all of it."""
    cfg = cfg or OverlapConfig()
    sources, missing, known, bad = _sources(Path(model_dir), cfg)
    if missing:
        raise FileNotFoundError(f"{model_dir}: training files not on this machine: {', '.join(missing)}")
    if bad:
        raise ValueError("; ".join(bad))
    if not sources and not known:
        raise FileNotFoundError(f"{model_dir}: no train_config.yaml or {TRAINING_DATA} names its training data")
    synthetic: dict[int, int] = {}
    other: set[str] = set()
    for k in known:
        other |= k.scenes
        for seed, n in k.synthetic.items():
            synthetic[seed] = max(synthetic.get(seed, 0), n)
    n_records = without = skipped = 0
    for src in sources:
        report = ReadReport(str(src.path))
        records = _with_bar(src, report, "scenes of", cfg)
        try:
            for rec in records:
                n_records += 1
                scene = (rec.get("meta") or {}).get("scene")
                if not isinstance(scene, (str, int)) or not str(scene):
                    without += 1
                elif m := SYNTHETIC_SCENE.fullmatch(str(scene)):
                    synthetic[int(m[1])] = max(synthetic.get(int(m[1]), 0), int(m[2]) + 1)
                else:
                    other.add(str(scene))
        except (OSError, ValueError) as e:  # unreadable, or a JSON array file that is not JSON
            raise ValueError(f"{src.path}: unreadable ({e})") from None
        skipped += report.n_skipped
    paths = [_abs(s.path) for s in sources]
    base = os.path.commonpath([os.path.dirname(p) for p in paths]) if paths else ""
    return {"about": "The scenes this model was trained on, for rsvlm eval's warning of a test set that shares "
                     "them (rsvlm.data.overlap). synthetic: `python -m data_gen synth --seed SEED` scenes "
                     "s{SEED}-{index:06d} of index below the count; scenes: other meta.scene names.",
            "synthetic": {str(seed): n for seed, n in sorted(synthetic.items())}, "scenes": sorted(other),
            "records": n_records, "records_without_scene": without, "malformed_lines": skipped,
            "files": [os.path.relpath(p, os.path.dirname(base)) if base else p for p in paths]}

