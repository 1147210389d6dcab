"""Checks of record fields DESIGN.md lists that training does not read, so that a malformed one is named at its line,
not carried along: an image's ``crs`` and ``transform``, the record's ``id``, a ``[change]`` record's pair and a
``[seg]`` answer's shapes. Each
says why, for ``records`` to refuse (or, a pair, to count), or returns None. Cannot: tell GDAL's geotransform order
(c, a, b, f, d, e) from rasterio's (a, b, c, d, e, f); both are 6 numbers.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import posixpath
from collections.abc import Callable

from rsvlm.data.records_shape import cut_repr
from rsvlm.tokens import opening_task

TRANSFORM_FORM = ("6 finite numbers, rasterio's affine a, b, c, d, e, f (list(dataset.transform)[:6]; the 9 of "
                  "list(Affine) are taken where the last 3 are 0, 0, 1)")


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def georef_problem(im: dict, f: str) -> tuple[str, str] | None:
    """``(field, why)`` where image ``im`` (``images[i]``, named ``f``) has a ``crs`` that is no CRS (a CRS string,
    PROJJSON object or EPSG code) or a ``transform`` that is no affine (``TRANSFORM_FORM``); None where both are
    absent, null or well formed. Neither is read against the image file; a ``crs`` is parsed as rasterio's
    ``CRS.from_user_input`` reads one (``crs_problem``), so one this PROJ's database lacks is refused."""
    crs = im.get("crs")
    if crs is not None and not ((isinstance(crs, str) and crs.strip()) or (isinstance(crs, dict) and crs)
                                or (isinstance(crs, int) and not isinstance(crs, bool) and crs > 0)):
        return f"{f}.crs", (f"must be a CRS: a string ('EPSG:32618', WKT), a PROJJSON object or an EPSG code, got "
                            f"{type(crs).__name__} {cut_repr(crs)}")
    if crs is not None and (why := crs_problem(json.dumps(crs, sort_keys=True), True) if isinstance(crs, dict)
                            else crs_problem(crs)):
        return f"{f}.crs", f"{crs!r:.80} is no CRS rasterio reads ({why})"
    t = im.get("transform")
    if t is None:
        return None
    ok = isinstance(t, (list, tuple)) and all(_number(v) for v in t) and (  # a tuple: a record built in Python
        len(t) == 6 or (len(t) == 9 and [float(v) for v in t[6:]] == [0.0, 0.0, 1.0]))
    if not ok:
        return f"{f}.transform", f"must be {TRANSFORM_FORM}, got {type(t).__name__} {t!r:.60}"
    return None


@functools.lru_cache(maxsize=256)
def crs_problem(crs: str | int, mapping: bool = False) -> str | None:
    """Why rasterio's ``CRS.from_user_input`` refuses a record's ``crs`` (a string or an EPSG code; with ``mapping``,
    the JSON text of a PROJ dict or PROJJSON, ``json.dumps(sort_keys=True)``: a key to cache by), in one line; None
    where it reads it. Cached per distinct value: a file's records name a few CRSs thousands of times (a parse is 4
    to 20 microseconds, rasterio's import 0.1 s)."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    with rasterio.Env():  # GDAL's "ERROR 1: PROJ: …" goes to logging, not printed on stderr
        try:
            CRS.from_user_input(json.loads(crs) if mapping else crs)
        except CRSError as e:
            return " ".join(str(e).split())
        except (ValueError, TypeError, AttributeError) as e:  # EPSG:32618x, {"init": 32618}: rasterio's own slips
            return f"{type(e).__name__}: {' '.join(str(e).split())}"
    return None


def images_clash(image, images) -> str | None:
    """Why a record's LLaVA ``image`` (a path or a list of paths) and its ``images`` cannot both stand: they name
    other files, or the same in another order (``image`` was ignored unsaid); None where they agree (``./a.tif`` is
    ``a.tif``), where ``image`` names none (``""``, ``[]``) or where ``images`` is no list (refused as that)."""
    if not isinstance(images, list) or image in ("", []):
        return None
    paths = [im.get("path") or im.get("band_files") if isinstance(im, dict) else im for im in images]
    named = image if isinstance(image, list) else [image]
    if [_same_file(p) for p in paths] == [_same_file(p) for p in named]:
        return None
    return (f"{image!r:.80} beside 'images' naming {paths!r:.80}: a record names its images once (give 'images' "
            "alone, or 'image' alone for LLaVA's form)")


def _same_file(path):
    """``path`` as the file it names (``./a.tif``, ``b/../a.tif``, Windows' ``.\\a.tif``: a.tif) for comparing, else as
    it was. A backslash is read as Windows writes it, a folder's end: ``a\\b.tif`` beside ``a/b.tif`` was a clash."""
    return posixpath.normpath(path.replace("\\", "/")) if isinstance(path, str) and path else path


def id_problem(rid) -> str | None:
    """Why a record's ``id`` is refused: none (None) where it is a non-blank string or an int. ``true`` was read as the
    id 'True', and a blank one was every such record's id, so predictions matched by id could not be told apart."""
    if isinstance(rid, bool) or not isinstance(rid, (str, int)):
        return f"must be a string or an integer, got {type(rid).__name__} {cut_repr(rid)}"
    if isinstance(rid, str) and not rid.strip():
        return f"blank ({rid!r}): give each record an id of its own"
    return None


def pair_problem(task: str | None, images: list) -> str | None:
    """What is wrong with a ``change`` record of other than two images (DESIGN.md: a bi-temporal record has two, in
    time order), which the model cannot compare and ``rsvlm chat`` refuses to ask of; None else. ``read_records`` counts
    such records (``ReadReport.unpaired_changes``), not refuses them: a scorer of a change answer reads no image."""
    if task != "change" or len(images) == 2:
        return None
    return (f"a [change] record compares two images, before then after, got {len(images)}: give both, each with an "
            "<image> placeholder, in time order")


SEG_NOT_REGION = "seg_answer_not_a_region"  # as data_gen's llava converter skips such a record, by the same name


def seg_answer_problem(turns: list[dict], task: str | None, meta: dict,
                       asked: Callable[[], int]) -> tuple[str, str] | None:
    """``(field, why)`` where an answer to a ``[seg]`` question holds ``<box>``, ``<obb>`` or ``<point>``: a [seg]
    answer opens ``<poly>`` or ``<mask>`` alone (``rsvlm.model.grammar.REGION``, DESIGN.md), so a model trained on
    one learns an answer decoding cannot give; None else. A question is [seg] by its tag, else by ``meta``'s
    ``turn_tasks`` (a chained chat record's), else by ``task`` where it is the ``asked()`` one (``records.task_turn``'s
    number, 1 for the first user turn: worked out only for a record that may hold such an answer, as few do; it
    was 8% of a 10k-record read). Cannot: tell a box drawn in text (no tag) from words."""
    said = meta.get("turn_tasks")
    tasks, k, of = said if isinstance(said, list) else [], 0, None
    users = [t["value"] for t in turns if t["from"] in ("human", "user")]
    if not (task == "seg" or "seg" in tasks or any("[seg]" in u for u in users)) or not any(
            f"<{g}>" in t["value"] for t in turns if t["from"] in ("gpt", "assistant") for g in ("box", "obb", "point")):
        return None
    asked = asked()
    for i, turn in enumerate(turns):
        if turn["from"] in ("human", "user"):
            k += 1
            of = opening_task(turn["value"]) or (tasks[k - 1] if k <= len(tasks) else None) or (
                task if k == asked else None)
        elif turn["from"] in ("gpt", "assistant") and of == "seg" and (
                shapes := [f"<{g}>" for g in ("box", "obb", "point") if f"<{g}>" in turn["value"]]):
            return (f"conversations[{i}].value", f"a [seg] answer holding {', '.join(shapes)}, which a [seg] answer "
                    "cannot (only <poly> or <mask>: rsvlm.model.grammar REGION); give boxes as a ground or det record")
    return None
