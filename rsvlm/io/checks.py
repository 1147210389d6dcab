"""What is wrong with a name given as an image, said naming it: no file there (a URL, a folder, a device), a text
file, an archive given for a raster in it. ``sources.py`` reads through these; its callers import them from there
too. Split by concern (each name is still importable from here): the error and band counts in ``read_errors.py``,
the libraries' logging in ``library_log.py``, GDAL's archive paths in ``archives.py``, raw rasters' headers and
GDAL's sidecars in ``headers.py``.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from rsvlm.io.archives import (  # noqa: F401 (moved to archives.py; imported from here by readers and tests)
    NOT_BAND_FOLDERS,
    PIL_SUFFIXES,
    TIFF_SUFFIXES,
    VSI_ARCHIVE,
    archive_names,
    archive_rasters,
    gdal_path,
    gtiff_page,
    vsi_archive,
)
from rsvlm.io.archives import natural as _natural
from rsvlm.io.file_kinds import unread_kind
from rsvlm.io.headers import (  # noqa: F401 (moved to headers.py; imported from here by readers and tests)
    HEADER_DATA,
    SIDECARS,
    band_headers,
    header_data,
    header_files,
    raw_cut_short,
)
from rsvlm.io.library_log import (  # noqa: F401 (moved to library_log.py; imported from here by readers and tests)
    LIBRARY_LOGGERS,
    gdal_message,
    library_messages,
    unheard,
)
from rsvlm.io.read_errors import ImageReadError, n_bands  # noqa: F401 (imported from here by readers and tests)


def text_start(p) -> str | None:
    """The start of ``p`` where it is a text file (an HTML error page saved as .tif, a JSON, a list of
    paths), else None: an image that cannot be read is then named as text, not as a corrupt raster."""
    try:
        with open(p, "rb") as f:
            head = f.read(512)
        text = head.decode("utf-8")
    except (OSError, UnicodeDecodeError):  # binary (or cut mid-character: then binary enough)
        return None
    if not text.strip() or any(c < " " and c not in "\t\r\n" for c in text):
        return None
    first = text.strip().splitlines()[0]
    return first[:60] + ("…" if len(first) > 60 else "")


DAMAGED = "; get a whole copy (copy or download it again: a transfer cut short leaves such a file)"


def damaged(err: ImageReadError) -> ImageReadError:
    """``err`` with what to do (``DAMAGED``) where it says a file is truncated or corrupt: that alone had been said."""
    if type(err) is not ImageReadError or "truncated or corrupt" not in str(err) or DAMAGED in str(err):
        return err
    return ImageReadError(f"{err}{DAMAGED}")


def not_readable(p, what: str, why) -> ImageReadError:
    """The error for a file whose format no reader recognised: said to be text where it is
    (``text_start``; a recognised text format, a VRT with a missing source, keeps the reader's words), an archive
    with the GDAL paths of the rasters in it (``archive_rasters``: it was "truncated or corrupt"); a TIFF page's name
    (``GTIFF_DIR:5:p.tif``) past the file's pages with how many it holds (it was "truncated or corrupt")."""
    if page := gtiff_page(p):  # said of its file, named as given
        if re.match(r"(?i)GTIFF_DIR:0+:", str(p)):  # GDAL's own words: "Unable to extract offset or filename"
            return ImageReadError(f"{p}: no page 0; a TIFF's pages count from 1 (GTIFF_DIR:1:{page[1]} is its first)")
        if "Requested directory" in str(why) and (n := _pages(page[1])):
            return ImageReadError(f"{p}: no such page; {page[1]} holds {n} (GTIFF_DIR:1: … GTIFF_DIR:{n}:)")
        if vsi_archive(page[1]) is not None:  # a file its archive does not hold: those it holds
            return ImageReadError(f"{p}: {str(not_readable(page[1], what, why)).removeprefix(f'{page[1]}: ')}")
    unknown = "not recognized" in str(why) or "cannot identify" in str(why)
    if unknown and (said := unread_kind(p)):  # a HEIC, a video, a PDF: whole, but "truncated or corrupt" had been said
        return ImageReadError(said)
    if unknown and (start := text_start(p)):
        return ImageReadError(f"{p}: a text file, not an image (it starts {start!r}){_imagery_beside(p)}")
    archive = vsi_archive(p)
    if (found := archive_rasters(archive or Path(p))) is not None:
        kind, vsi, inside = found
        rasters = f"e.g. {', '.join(inside[:3])}" + (f" ({len(inside)} in all)" if len(inside) > 3 else "")
        said = (f"{p}: no such raster in {archive}; give one it holds, " if archive else
                f"{p}: a {kind} archive, not an image; give a raster in it as GDAL reads it, ")
        return ImageReadError(said + (rasters if inside else f"as {vsi}{archive or p}/<file> (it holds no .tif, .jp2 or "
                                      "image file)") + ", or unpack it and give the file")
    return ImageReadError(f"{p}: {what} ({why})")


def _imagery_beside(p) -> str:
    """Where text file ``p`` is a product's metadata (a Sentinel-1 productInfo.json, a .SAFE's manifest.safe) and its
    folder holds rasters (down to its GRANULE/*/IMG_DATA): "; its folder holds imagery; give …" naming them
    (``_folder_hint``); "" where it holds none, or ``p`` is named as a raster (an error page saved as scene.tif)."""
    p = Path(p)
    if _is_raster(p) or vsi_archive(p) is not None or not p.parent.is_dir():
        return ""
    hint = _folder_hint(p.parent)
    return f"; its folder {p.parent} holds imagery{hint}" if hint else ""


def _pages(file: str) -> int:
    """The pages (GDAL's subdatasets, else 1) of TIFF ``file``, as GDAL opens it; 0 where it cannot."""
    from rsvlm.io.gdal_source import open_raster

    try:
        with unheard(), open_raster(file) as ds:
            return len(ds.subdatasets) or 1
    except Exception:  # noqa: BLE001 (GDAL's own error is said instead)
        return 0


# GDAL's network file systems (/vsicurl/, /vsis3/ …), given alone or inside an archive's path (/vsizip//vsicurl/…)
NETWORK = re.compile(r"(?i)(?:/vsi(?:zip|tar|7z|rar|gzip)/+\{?)*(/vsi(?:curl|s3|gs|az|adls|oss|swift|hdfs|webhdfs)"
                     r"(?:_streaming)?/)")
# a URL given as an image: ``Path`` folds its "//" to "/", so one slash or more after the scheme
URL = re.compile(r"(?i)(https?|ftp|s3|gs|gcs|az|abfss?|wasbs?|hdfs):/+")
FILE_URL = re.compile(r"(?i)file:(/+)(.*)")  # file:///data/a.tif; file:/data/a.tif where a Path folded it


def file_url_message(name: str, url: re.Match) -> str:
    """What to say of a file URL given as an image: the path in it (its %20 decoded; the host
    ``localhost`` or none), or that it is on another host. (An existing PNG's was 'truncated or
    corrupt', a TIFF's read by GDAL: each reader took it its own way.)"""
    from urllib.parse import unquote

    slashes, rest = url.groups()
    host, path = rest.split("/", 1) if len(slashes) == 2 and "/" in rest else ("", rest)
    given = name if len(slashes) > 1 else f"file:///{rest}"  # as written, where a Path folded its "//"
    if len(slashes) == 2 and "/" not in rest or host.lower() not in ("", "localhost"):
        return f"{given}: a file URL on another host, and rsvlm reads local files only; copy it here and give its path"
    return f"{given}: a file URL; give the path itself: /{unquote(path)}"


def check_image_path(name: Path | str) -> None:
    """Raise, naming ``name``, unless it is a file; a folder's error lists the rasters in it as the
    comma-separated band files it may have been meant as; an empty file is an ImageReadError, and so
    is a path the system refuses to look at (a name past its length limit). A URL that is no local
    file is a FileNotFoundError saying to download it (rsvlm reads local files only)."""
    p = Path(name)
    try:
        p.stat()
    except (FileNotFoundError, NotADirectoryError):
        pass  # said below, with what is there instead
    except OSError as e:  # ENAMETOOLONG, EACCES on a folder above it: was a traceback from is_file()
        raise ImageReadError(f"{p}: {e.strerror}") from None
    if p.is_file() and p.stat().st_size == 0:  # a download or copy that never wrote: say so, not "unrecognised format"
        raise ImageReadError(f"{p}: empty file (0 bytes){DAMAGED}")  # (was said with nothing to do)
    if p.is_file():
        return
    if page := gtiff_page(name):  # GTIFF_DIR:2:/vsizip/x.zip/p.tif: its file is a name of its own (was "image not found")
        try:
            check_image_path(page[1])
        except (FileNotFoundError, ImageReadError) as e:
            raise type(e)(f"{name}: {e}") from None
        return
    if (url := FILE_URL.match(str(name))) and not p.is_dir():
        raise FileNotFoundError(file_url_message(str(name), url))
    if _subdataset_file(p) is not None:  # (it took file:///a.png for a GDAL driver "file" and its file)
        return
    if net := NETWORK.match(str(name)):  # GDAL's, alone or holding an archive (/vsizip//vsicurl/https://…/a.zip/…)
        raise FileNotFoundError(f"{name}: a file on the network (GDAL's {net[1]}), and rsvlm reads local files only; "
                                "download it first (curl -O, aws s3 cp, gsutil cp) and give the downloaded file's path")
    if (archive := vsi_archive(name)) is not None:  # /vsizip/pack.zip/B02.tif: was "image not found"
        if archive.is_file():
            return  # (a file it does not hold: ``not_readable`` names those it holds)
        raise FileNotFoundError(f"image not found: {name} (its archive {archive} is not there)")
    if p.exists() and not p.is_dir():  # /dev/null, a pipe, a socket: was "image not found" though it is there
        raise ImageReadError(f"{p}: not a regular file (a device, pipe or socket); give an image file")
    if not p.is_dir() and (url := URL.match(str(name))):  # was "image not found: https:/host/scene.tif"
        scheme, rest = url.group(1), str(name)[url.end():]
        given = f"{scheme}://{rest}"  # as written, where a Path folded its "//"
        raise FileNotFoundError(f"{given}: a URL, and rsvlm reads local files only; download it first "
                                f"(curl -O, aws s3 cp, gsutil cp) and give the downloaded file's path")
    if not p.is_dir() and "," in str(name) and all(Path(q.strip()).is_file() for q in str(name).split(",")):
        raise FileNotFoundError(f"image not found: {p}; it names {str(name).count(',') + 1} files comma-separated: "
                                "give band files as a list (read_image([\"B02.jp2\", \"B03.jp2\"]))")
    if not p.is_dir() and str(name).startswith("~") and (home := Path(os.path.expanduser(str(name)))).exists():
        raise FileNotFoundError(f"image not found: {p}; a path's ~ is not expanded here (the shell does): give "
                                f"{home} (os.path.expanduser)")  # was "image not found" of a file that is there
    if not p.is_dir():
        raise FileNotFoundError(f"image not found: {p}")
    raise FileNotFoundError(f"{p} is a folder, not an image file{_folder_hint(p)}")


MANY_BANDS = 24  # more rasters than that in one folder are taken for separate images, not one scene's band files


def _folder_hint(p: Path, depth: int = 5, most: int = 2000) -> str:
    """What to give instead of the folder ``p``: its rasters, or where it holds none itself, those in
    its subfolders down to ``depth`` (a Sentinel-2 .SAFE's GRANULE/*/IMG_DATA/R10m/*.jp2, a Sentinel-1's
    measurement/*.tiff), looking at ``most`` entries at most; "" where none is found. A change-pair layout
    (``_pair_folders``: LEVIR-CD's A/ and B/; ``_pair_names``: x_A.png beside x_B.png) is offered as two
    ``--image``, before then after, with ``--task change``. Rasters that can be one
    scene's band files (``_band_files``) are offered comma-separated; others (photos, sizes that differ, more than
    ``MANY_BANDS``) as separate images: a shell loop of ``rsvlm predict``, or ``rsvlm eval`` over records."""
    from rsvlm.progress import counted

    found, seen, level = [], 0, [p]
    for _ in range(depth):
        listed = [_entries(d) for d in level]  # each folder listed once, for its pair folders and its rasters
        if pair := next(filter(None, map(_pair_folders, listed)), None):  # before any raster beside them
            return _pair_folders_hint(p, *pair)
        entries = [f for es in listed for f in es]
        # natural order of the name before its suffix: good.png before good2.png, img9 before img10
        found = sorted((f for f in entries if f.is_file() and _is_raster(f)),
                       key=lambda f: (_natural(f.with_suffix("")), f.suffix))
        seen += len(entries)
        if found or seen > most:
            break
        # not into a product's web page, quality masks or quick-looks: a .SAFE's HTML/banner_1.png was offered
        level = sorted((f for f in entries if f.is_dir() and f.name.lower() not in NOT_BAND_FOLDERS), key=str)
    if not found:
        return ""
    found = [f for f in found if f.parent == found[0].parent]  # one folder's: not bands of several granules
    where = "" if found[0].parent == p else f" (in {found[0].parent.relative_to(p)}: {len(found)} rasters)"
    first = shlex.quote(str(found[0]))  # quoted where it must be to paste: a path with spaces was cut at them
    if len(found) == 1:  # one image: no band files to join
        return f"; give its image{where}: {first}"
    if pairs := _pair_names(found):
        return _pair_names_hint(found, pairs)
    bands, why, unread = _band_files(found)
    if bands:
        return (f"; give one of its images{where}, e.g. {first}, or, where they are one file per band, them "
                f"comma-separated: {shlex.quote(','.join(str(f) for f in bands[:4]))}{',…' if len(bands) > 4 else ''}")
    # a file that does not open was offered as the example and counted among the images, unsaid; its run fails
    first = next(f for f in found if f not in unread)  # one reads: else all are bands, above
    if len(found) > MANY_BANDS:  # none opened (_band_files): the first of a few that opens (broken.png was offered)
        first = next((f for f in found[:5] if _header(f) is not None), first)
    first = shlex.quote(str(first))
    bad = (f", and {counted(len(unread), 'file', 'that does/that do')} not open as a raster "
           f"({', '.join(f.name for f in unread[:3])}{', …' if len(unread) > 3 else ''}: "
           f"rsvlm predict refuses {'it' if len(unread) == 1 else 'them'} in the loop, the others go on)") if unread else ""
    return (f"; give one of its images{where}, e.g. {first}; they are {len(found) - len(unread)} separate images "
            f"({why}){bad}, not band files of one scene: run rsvlm predict once per file (for f in {_globs(found)}; "
            "do rsvlm predict --image \"$f\" ... --out \"$f.json\"; done), or rsvlm eval --data over a JSONL of "
            "records naming them (docs/eval-run.md, \"Blind test sets and image paths\")")


def _is_raster(f: Path) -> bool:
    return f.suffix.lower() in (*TIFF_SUFFIXES, ".jp2", *PIL_SUFFIXES)


def _globs(files: list[Path], head: str = "") -> str:
    """Shell globs over ``files`` (of one folder) by their suffixes, as found: ``DIR/*.png DIR/*.tif`` (``DIR/*``
    took the folder's .txt and .json too); ``head``: what each name starts its suffix with (``_A``)."""
    where = shlex.quote(str(files[0].parent))
    return " ".join(f"{where}/*{head}{s}" for s in sorted({f.suffix for f in files}))


# a change pair's before and after, as folder names (LEVIR-CD's A and B) or a name's ending (x_A.png, x_B.png)
PAIR_WORDS = (("A", "B"), ("before", "after"), ("pre", "post"), ("t1", "t2"), ("time1", "time2"), ("im1", "im2"))


def _pair_folders(entries: list[Path]) -> tuple[Path, Path, list[Path]] | None:
    """The subfolders among ``entries`` (one folder's) named as a change pair's before and after (``PAIR_WORDS``, in
    any case), and the rasters of the before one that the after one holds under the same name; None where there are
    none."""
    subs = {f.name.lower(): f for f in entries if f.is_dir()}
    for a, b in PAIR_WORDS:
        if a.lower() in subs and b.lower() in subs:
            after = {f.name for f in _entries(subs[b.lower()]) if f.is_file() and _is_raster(f)}
            both = [f for f in _entries(subs[a.lower()]) if f.is_file() and f.name in after]
            if both:
                return subs[a.lower()], subs[b.lower()], sorted(both, key=lambda f: (_natural(f.stem), f.suffix))
    return None


def _pair_folders_hint(p: Path, before: Path, after: Path, both: list[Path]) -> str:
    """The folder hint for a change pair's folders (``_pair_folders``): a pair as two ``--image``, and a loop (passing
    over a before image of no namesake in the after folder); the rasters of either folder with no namesake in the
    other are counted."""
    from rsvlm.progress import counted

    where = "" if before.parent == p else f" (in {before.parent.relative_to(p)})"
    alone = sum(f.is_file() and _is_raster(f) for f in _entries(before)) - len(both)
    alone_after = sum(f.is_file() and _is_raster(f) for f in _entries(after)) - len(both)
    alone_said = "".join(f"; {counted(n, 'raster')} of {d.name}/ without one in {o.name}/, passed over"
                         for n, d, o in ((alone, before, after), (alone_after, after, before)) if n)
    then = "[ -e \"$g\" ] || continue; " if alone else ""
    return (f"; it holds change pairs{where}: {counted(len(both), 'name')} in both {before.name}/ (before) and "
            f"{after.name}/ (after){alone_said}; give a pair as two --image, before then after: rsvlm predict --task "
            f"change --image {shlex.quote(str(both[0]))} --image {shlex.quote(str(after / both[0].name))}; for each "
            f"pair: for f in {_globs(both)}; do n=$(basename \"$f\"); g={shlex.quote(str(after))}/\"$n\"; {then}rsvlm "
            f"predict --task change --image \"$f\" --image \"$g\" ... --out \"$n.json\"; done (docs/cli.md)")


def _pair_names(found: list[Path]) -> tuple[str, str, list[tuple[Path, Path, str, str]]] | None:
    """The change pairs among ``found`` (one folder's rasters) named by ``PAIR_WORDS`` endings after ``_`` or ``-``
    (LEVIR-CD's x_A.png and x_B.png), of the first word pair any file has, in any case: (before's word, after's,
    the pairs as (before, after, before's ending, after's ending as written: ``_A``, ``_b``)); None where none
    pairs."""
    by_name = {f.name.lower(): f for f in found}
    for a, b in PAIR_WORDS:
        pairs = []
        for f in found:
            m = re.fullmatch(rf"(.*[_-])({a})(\.[^.]+)", f.name, re.I)
            if m and (g := by_name.get(f"{m[1]}{b}{m[3]}".lower())) is not None:
                pairs.append((f, g, m[1][-1] + m[2], g.name[len(m[1]) - 1:-len(m[3])]))
        if pairs:
            return a, b, pairs
    return None


def _pair_names_hint(found: list[Path], pairs: tuple[str, str, list[tuple[Path, Path, str, str]]]) -> str:
    """The folder hint for change pairs named x_A.png and x_B.png among ``found`` (``_pair_names``): a pair as two
    ``--image``, and a loop over the before ones for each way their endings are written (``*_A.png`` misses
    ``y_a.png``: a shell glob is case-sensitive); the rasters of no pair counted. Each before file is taken by one
    loop's glob alone (as a shell globs by default, case-sensitively); its after file is tried in each way the
    afters of that glob are written (``_pair_loops``)."""
    from rsvlm.progress import counted

    _, _, both = pairs
    rest = len(found) - 2 * len(both)
    beside = f"; {counted(rest, 'other raster')} beside them" if rest else ""
    ends = [" or ".join(dict.fromkeys(f"*{p[i]}" for p in both)) for i in (2, 3)]
    return (f"; it holds {len(both)} change pair{'s' * (len(both) > 1)} ({ends[0]} before, {ends[1]} after"
            f"{beside}); give a pair as two --image, before then after: rsvlm predict --task change --image "
            f"{shlex.quote(str(both[0][0]))} --image {shlex.quote(str(both[0][1]))}; for each pair: "
            f"{'; '.join(_pair_loops(found, both))} (docs/cli.md)")


def _pair_loops(found: list[Path], both: list[tuple[Path, Path, str, str]]) -> list[str]:
    """The shell loops of ``_pair_names_hint``: one a before ending (``_A``) where every pair of it writes its after
    one way and keeps its suffix (``x_A.png``/``x_B.png``, ``y_A.tif``/``y_B.tif``: one loop, ``*_A.png *_A.tif``),
    else one a before ending and suffix, its after built in each way written there (``x_A.png``/``x_B.png`` beside
    ``y_A.png``/``y_b.png``: two loops of one glob ran every ``*_A.png`` twice, and on a case-insensitive disk,
    where ``y_B.png`` is ``y_b.png``, asked each pair twice into one output)."""
    by_glob: dict[tuple[str, str], dict[str, list[Path]]] = {}  # (before ending, suffix) -> after ending -> befores
    for f, g, a, b in both:
        by_glob.setdefault((a, f.suffix), {}).setdefault(b + g.suffix, []).append(f)
    loops, done = [], set()
    for (a, s), afters in by_glob.items():
        if (a, s) in done:
            continue
        mine = {k: v for k, v in by_glob.items() if k[0] == a}
        ways = {next(iter(v)).removesuffix(k[1]) if len(v) == 1 and next(iter(v)).endswith(k[1]) else None
                for k, v in mine.items()}
        if len(mine) > 1 and len(ways) == 1 and None not in ways:  # one after ending, each suffix kept: one loop
            keys, cut = list(mine), f"${{f%{a}.*}}"
            tries = [f"{cut}{ways.pop()}.${{f##*.}}"]  # the before file's suffix
        else:
            keys, cut = [(a, s)], f"${{f%{a}{s}}}"
            tries = [cut + e for e in afters]
        done.update(keys)
        befores = {f for k in keys for fs in by_glob[k].values() for f in fs}
        taken = tuple(k[0] + k[1] for k in keys)  # what the loop's glob takes: a before file of none of them too
        alone = any(f not in befores and f.name.endswith(taken) for f in found)
        if len(tries) == 1:
            then, image = f"[ -e \"{tries[0]}\" ] || continue; " if alone else "", tries[0]
        else:  # the after as written beside each before image: the first way that is there
            then = f"g=\"{tries[0]}\"; " + "".join(f"[ -e \"$g\" ] || g=\"{t}\"; " for t in tries[1:]) \
                + ("[ -e \"$g\" ] || continue; " if alone else "")
            image = "$g"
        loops.append(f"for f in {_globs(sorted(befores, key=str), a)}; do {then}rsvlm predict --task "
                     f"change --image \"$f\" --image \"{image}\" ... --out \"{cut}.json\"; done")
    return loops


def _band_files(found: list[Path]) -> tuple[list[Path], str, list[Path]]:
    """The rasters of ``found`` that can be band files of one scene, else [] and why not, said (``1- and 3-band, of
    2 sizes``). Judged on the headers that read: their single-band files, two or more and at least half of them (a
    Sentinel-2 IMG_DATA's 3-band TCI.jp2 beside its bands is left out), each of one size or georeferenced in one
    CRS on one footprint (resampled on read: ``regrid.py``). A file whose header does not read is kept, unjudged
    (the reader says what is wrong with it); where none reads, all are offered, by their names alone. Third, the
    files whose header does not read (none known past ``MANY_BANDS`` files: not opened)."""
    if len(found) > MANY_BANDS:
        return [], f"more than {MANY_BANDS}", []
    said = {f: _header(f) for f in found}
    heads = [h for h in said.values() if h is not None]
    one = [h for h in heads if h[0] == 1]
    if not heads or len(one) >= min(2, len(heads)) and 2 * len(one) >= len(heads) and (
            len({h[1] for h in one}) == 1 or len({h[2] for h in one}) == 1 and one[0][2] and _one_footprint(one)):
        return [f for f, h in said.items() if h is None or h[0] == 1], "", []
    counts, sizes = sorted({h[0] for h in heads}), {h[1] for h in heads}
    bands = f"{', '.join(f'{n}-' for n in counts[:-1])} and {counts[-1]}-band" if len(counts) > 1 else \
        f"{counts[0]}-band"
    why = [bands * (counts != [1]), f"of {len(sizes)} sizes" * (len(sizes) > 1)]
    return [], ", ".join(w for w in why if w) or "not on one grid", [f for f, h in said.items() if h is None]


def _header(f: Path) -> tuple | None:
    """``f``'s (band count, (width, height), CRS, bounds, pixel width) from its header, None where it does not
    open or read: a hint never raises (a CRSError, a ValueError, took the place of the folder's own error)."""
    import warnings

    import rasterio

    with warnings.catch_warnings(), unheard():
        warnings.simplefilter("ignore")  # NotGeoreferencedWarning of a photo
        try:
            with rasterio.open(f) as src:
                return src.count, (src.width, src.height), src.crs, tuple(src.bounds), abs(src.transform.a)
        except Exception:  # noqa: BLE001 (any failure: the file is left unjudged, the reader says what is wrong)
            return None


def _one_footprint(heads: list[tuple]) -> bool:
    """Whether headers (``_header``'s) cover one extent, to within a pixel of the coarsest."""
    tol = max(h[4] for h in heads)
    return all(abs(a - b) <= tol for h in heads for a, b in zip(h[3], heads[0][3]))


def _entries(d: Path) -> list[Path]:
    try:
        return list(d.iterdir())
    except OSError:  # unreadable: nothing found there
        return []


def _subdataset_file(p) -> Path | None:
    """The file inside a GDAL subdataset name, or None: ``NETCDF:scene.nc:VV``, ``HDF5:"a.h5"://grid/VV``,
    ``GTIFF_DIR:2:pages.tif`` (a TIFF's second page), ``HDF4_EOS:EOS_GRID:"MOD09.hdf":grid:band``. Unquoted, the
    longest run of its ``:``-separated fields that is a file: ``GTIFF_DIR:1:/a:b/p.tif``'s file holds a ``:``
    (split at each, it had been "image not found")."""
    m = re.fullmatch(r"[A-Za-z][A-Za-z0-9_]+:(.+)", str(p))
    if m is None:
        return None
    if quoted := re.findall(r'"([^"]+)"', m.group(1)):
        return next((Path(c) for c in quoted if Path(c).is_file()), None)
    f = m.group(1).split(":")
    runs = sorted((":".join(f[i:j]) for i in range(len(f)) for j in range(i + 1, len(f) + 1)), key=len, reverse=True)
    return next((Path(c) for c in runs if c and Path(c).is_file()), None)


def dtype_said(src) -> str:
    """The type of a source's values as notes say it: GDAL's ``CInt16`` for a Sentinel-1 SLC's complex 16-bit
    integers, which rasterio reads as numpy's complex64 (a note had said "complex64"), else ``src.dtype``."""
    datasets = getattr(src, "datasets", None) or [None]
    return "CInt16" if getattr(datasets[0], "dtypes", ("",))[0] == "complex_int16" else src.dtype


def mixed_types(name: str, dtypes: tuple[str, ...]) -> ValueError:
    """The refusal of file ``name`` whose bands read differ in type (a ``gdalbuildvrt -separate`` VRT of uint16 DN and
    a float32 band: rasterio said only "more than one 'dtype' found"), with the ``gdal_translate -ot`` writing them as
    one type; bands of another type left out of the read (an incidence angle) are no matter."""
    import numpy as np
    from rasterio.dtypes import dtype_rev, typename_fwd  # GDAL's type names: Float32, CFloat32

    ot = typename_fwd[dtype_rev[str(np.result_type(*("complex64" if t == "complex_int16" else t for t in dtypes)))]]
    return ValueError(f"{name}: its bands are of different types ({', '.join(dtypes)}), read as one image of one type: "
                      f"write them as one (gdal_translate -ot {ot} {name} {Path(name).with_suffix('')}_one_type.tif)")
