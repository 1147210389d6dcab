"""Fusing the answers of several views of one image into one (``rsvlm.tta`` makes the views and
maps their shapes back first). ``fuse`` takes, by what the answers hold:

* one box, obb or point per view (grounding): the medoid, the view whose shape has the highest
  summed IoU with the others' (a vote on which object is meant), averaged with every view that
  agrees with it (IoU >= ``agree``): boxes corner by corner, obbs as centre, side lengths and
  angle (mod 180°; mod 90° with the sides swapped where every view's box is near-square,
  ``SQUARE``: which side is long is then a guess), points by mean (two points' "IoU" falls from 1 at
  one spot to 0 ``point_reach`` of the image's width and height apart: 4 px at the default model's 96 px;
  averaged by ``rsvlm.fusion_average``);
* several boxes or obbs, or any for a question asking for every object (detection,
  ``many``; also where the identity view found none, "None."): shapes of all views clustered greedily by label and IoU
  (at most one per view in a cluster, highest score first), and two clusters of no common view joined
  where one lies mostly inside the other (``join_near``: one object drawn a little differently); a cluster found in at least
  ``min_views`` views is kept, averaged as above, its score the mean of its members' times the
  share of the views that saw all of it which found it (so AP ranks the shapes few views found last);
  a fused obb whose averaged angle turned a corner past the image's edge, in either case, is moved in whole
  (``held_in``: ``encode`` would clamp that corner alone, writing no rectangle);
* polygons or grid masks (segmentation, change; ``rsvlm.fusion_masks``): each label's mask rasterised per view, flipped
  back, and a pixel kept where at least ``min_share`` of the views have it, but no piece under ``min_piece`` of
  the smallest view instance it overlaps (``_agreed``: views that disagree share slivers); re-encoded in the identity
  view's mask form (``budget`` location tokens per instance), polygons smoothed out of the pixel
  grid's staircases (``smooth_poly``, ``smooth_px``);
* a short text answer (at most ``text_words`` words: a class, a count, yes or no, a sensor):
  each view's answer with its direction words mapped back, and the most common answer taken
  (read as eval scores the question's task, ``vote``; ties go to the identity view; an empty answer
  is no vote). Longer text (captions) is kept as
  answered: an exact-match vote means nothing there, and no other view is asked.

Labels: each fused shape takes the class most of its views gave (ties: the plain view's), in its most common spelling
(one that gave none is no vote and joins the others' cluster; views naming one object differently are joined,
``rsvlm.fusion_labels``); shapes no view labelled are written first, so a fused answer never holds
an empty ``<ref></ref>``.

Limits: a view whose answer has problems counts as finding nothing, one of another shape kind (``fits``: boxes to a
``[seg]`` question) is no vote, not one that found nothing (``rsvlm.tta`` counts such views in ``Fused.note``); the
text vote of a question eval scores no text of is an exact match after case, punctuation and spacing (no synonyms,
no number words; every worded "none" one answer); labels name one class by ``answer_words.label_key`` (case, ``_``/``-``, plural),
synonyms not mapped ("vessel" and "ship" stay two objects: no class list reaches the fusion).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from rsvlm.answer_text import vote_keys
from rsvlm.answer_words import label_key, majority_label, says_none
from rsvlm.fusion_average import SQUARE, average, held_in  # noqa: F401 (SQUARE: importable here)
from rsvlm.fusion_labels import cluster_label, join_labels, joined
from rsvlm.fusion_masks import bin_px, fuse_masks, views_needed
from rsvlm.geometry.shapes import cover, object_ring, signed_area
from rsvlm.inference import score_digits
from rsvlm.tta_views import top_left

if TYPE_CHECKING:
    from rsvlm.answering import Answer
    from rsvlm.tta import FuseConfig

BOXLIKE = ("box", "obb", "point")
MASKLIKE = ("poly", "mask")
_SPOT = 1e-6  # px: corners this near are one spot (``_same_spot``: a view's shape mapped back is a float step off)


@dataclass
class Fused:
    """A record's answer fused over its views (``rsvlm.tta.fused_answers``, which ``tta.Fused`` names too)."""

    answer: str  # in the image's own frame; ``tta.NONE`` where no shape was kept (a plain "None." kept: as answered)
    objects: list[dict] | None = None  # the fused shapes in pixels (None for a text answer)
    cut: bool = False  # the token limit stopped one of the answers fused (``inference.Answer.cut``)
    cut_known: bool = False  # and is known to have cut one of them short (``Answer.cut_known``): "cut short", not "may be"
    past_context: bool = False  # one of the answers fused ran past the LLM's context (``Answer.past_context``)
    past_views: tuple[str, ...] = ()  # the other views whose answers did (the plain one's: ``past_context`` alone)
    note: str | None = None  # how many view answers were left out of the fusion, and why (``tta._unfused``); shapes repaired
    unasked: str | None = None  # the other views not asked of it, and why (``tta.skipped_note``): none left out
    answers: int | None = None  # answers fused: the plain one and each view's asked (those left out too); None: uncounted
    # answers left out of the fusion (``note`` says why): view answers (``tta._unfused``), and a [det] plain answer of
    # words the views' shapes replaced; what eval and predict count as "fused without some view answers"
    left_out: int = 0
    # why "None." replaced a plain answer's shapes (``voted_out``: too few views agreed on any), for predict and chat
    # to say; no view was left out (``note``, which eval counts as such)
    voted_out: str | None = None

    @property
    def scores(self) -> list[float]:
        """One score per fused shape, in order, where every shape has one (as ``inference.locate`` takes)."""
        objs = self.objects or []
        return [o["score"] for o in objs] if objs and all("score" in o for o in objs) else []

    def as_answer(self) -> Answer:
        """The fused answer as an ``inference.Answer``, as chat, predict and eval take it: its text, the
        fused shapes' scores (none for a text answer: the plain answer's scores belong to the plain
        text, and a voted answer may be another view's words), its ``cut``, ``cut_known`` and ``past_context``, and
        ``fused`` set (``answering.is_fused``: its polygons and masks are pixel votes, unscored)."""
        from rsvlm import answering

        return answering.Answer(self.answer, self.scores, cut=self.cut, past_context=self.past_context,
                                cut_known=self.cut_known, fused=True)


def _iou(a: dict, b: dict, reach: Reach) -> float:
    """IoU of two shapes (1 for two of no area on the same spot, within a ``Reach``'s spot, ``_same_spot``:
    0/0); of two points, 1 at the same spot falling to 0 ``reach`` (x, y) pixels apart."""
    from rsvlm import geometry

    if a["kind"] == "point" or b["kind"] == "point":
        (ax, ay), (bx, by) = a["coords"], b["coords"]
        return max(0.0, 1.0 - math.hypot((ax - bx) / reach[0], (ay - by) / reach[1]))
    if a["kind"] == "box" and b["kind"] == "box":
        iou = geometry.box_iou(a["coords"], b["coords"])
    else:
        iou = geometry.polygon_iou(geometry.object_ring(a), geometry.object_ring(b))
    return 1.0 if iou == 0 and _same_spot(a, b, reach[2:]) else iou


def _same_spot(a: dict, b: dict, spot: tuple[float, float]) -> bool:
    """Whether two shapes of no area (a box one bin wide, ``<box><loc_5><loc_5><loc_5><loc_5></box>``) lie on the
    same pixels, each corner within ``spot`` (x, y) pixels (a ``Reach``'s: a location bin, a view's answer a bin off
    once mapped back): their IoU is 0/0, so every view's one speck was a shape of its own (8 boxes, each scored 1/8)."""
    if a["kind"] != b["kind"] or a["kind"] == "mask" or any(abs(signed_area(object_ring(o))) > _SPOT for o in (a, b)):
        return False  # two small shapes with area side by side (cars a bin wide) are two, IoU 0 as they are
    pa, pb = (np.unique(np.round(np.asarray(o["coords"], dtype=float).reshape(-1, 2), 6), axis=0)  # (K,2): to _SPOT
              for o in (a, b))
    return pa.shape == pb.shape and bool((np.abs(pa - pb) <= np.asarray(spot)).all())


class Reach(NamedTuple):
    """(x, y) pixels at which two points stop agreeing, and (``spot_x``, ``spot_y``) those within which two shapes
    of no area are one spot (``_same_spot``): a location bin and a float step (a speck a view answered a bin off,
    once mapped back, was another object)."""

    x: float
    y: float
    spot_x: float
    spot_y: float


def _reach(cfg: FuseConfig, size: tuple[int, int] | None) -> Reach:
    """(x, y) pixels at which two points of a ``size`` (w, h) image stop agreeing: ``cfg.point_reach``
    of its width and height (a location bin is a share of each side, as a box's IoU is of its size);
    None: the default model's 96 px, 4 px; and its specks' spot (``bin_px``: a location bin and a float step)."""
    w, h = size or (96, 96)
    return Reach(cfg.point_reach * w, cfg.point_reach * h, *bin_px(w, h).tolist())


def _same_label(a: str | None, b: str | None) -> bool:
    """Whether shapes labelled ``a`` and ``b`` may be one object: one class (``label_key``), or one has none."""
    return not a or not b or label_key(a) == label_key(b)


def fuse_single(shapes: list[dict], cfg: FuseConfig, size: tuple[int, int] | None = None,
                plain: bool = False) -> dict:
    """The medoid of one shape per view, averaged with the views that agree with it (points: within
    ``_reach`` of the ``size`` (w, h) image), labelled as most of them are (``majority_label``) where at
    least half of them gave that label; else as the plain view's shape (``plain``: ``shapes[0]`` is it), where
    it agrees, else unlabelled (one view's "building" beside seven unlabelled boxes named a [ground] answer the
    plain view left unnamed; the plain "ship" beside seven unlabelled boxes stays "ship", as ``fuse_many`` keeps it).
    A medoid of many small overlaps (each under ``agree``) outvotes two views that agree with each other, which are
    then unused (preferring the larger agreeing group was measured and not adopted: docs/tta.md)."""
    n, reach = len(shapes), _reach(cfg, size)
    iou = np.array([[_iou(a, b, reach) if i != j else 0.0 for j, b in enumerate(shapes)] for i, a in enumerate(shapes)])
    med = int(np.argmax(iou.sum(1)))  # ties: the earliest view, the identity first
    group = [shapes[med]] + [shapes[j] for j in range(n) if j != med and iou[med, j] >= cfg.agree]
    label = majority_label(group)
    named = sum(label_key(o.get("label")) == label_key(label) for o in group) if label else 0
    own = shapes[0].get("label") if plain and (med == 0 or iou[med, 0] >= cfg.agree) else None
    return {**average(group), "label": label if 2 * named >= len(group) else own or None}


def cut_by(o: dict, window: tuple, w: int, h: int, tol: float = 1.0) -> bool:
    """Whether a box or obb comes within ``tol`` pixels, or two location bins of the crop where those
    are more (a crop over 500 px a side: at 1 px, a box the model ended a bin short of the edge of a
    1900 px crop was kept as a whole object), of an edge of a crop ``window`` that lies inside the
    ``w`` × ``h`` image: likely a piece of an object, left to the views that saw it whole."""
    from rsvlm.io.tiles import touches_inner_edge
    from rsvlm.tokens import NUM_BINS

    return touches_inner_edge(tuple(extent(o)), window, (w, h), max(tol, 2 * max(window[2:]) / NUM_BINS))


def holds(window: tuple, o: dict, w: int, h: int) -> bool:
    """Whether a view of ``window`` saw all of box or obb ``o`` (of a ``w`` × ``h`` image)."""
    e = extent(o)
    x0, y0, cw, ch = window
    inside = (e[:2] >= (x0 - 1, y0 - 1)).all() and (e[2:] <= (x0 + cw + 1, y0 + ch + 1)).all()
    return bool(inside) and not cut_by(o, window, w, h)


def extent(o: dict) -> np.ndarray:
    """(4,) x0, y0, x1, y1 of a box, obb, polygon's outer ring or point."""
    c = np.asarray(o["coords"], dtype=float).reshape(-1, 2)  # (N,2)
    return np.r_[c.min(0), c.max(0)]


class Extents:
    """The extents of shapes added one by one, and which of them a shape may overlap: IoU and a point's
    "IoU" (within ``reach``) are 0 apart, so only those are compared (clustering compared every pair: a
    dense scene of 8 views of 150 obbs took a minute). ``everywhere``: every shape (a threshold of 0)."""

    def __init__(self, reach: Reach, everywhere: bool = False):
        self.reach, self.everywhere, self.rows = np.array([*reach[:2], *reach[:2]]) * (-1, -1, 1, 1), everywhere, []
        spot = reach[2:]
        self.spot = np.array([*spot, *spot]) * (-1, -1, 1, 1)  # (4,) a speck's reach (``_same_spot``)
        self.ext = np.empty((0, 4))  # (K,4), a point's grown by ``reach``

    def add(self, o: dict) -> None:
        self.rows.append(extent(o) + (self.reach if o["kind"] == "point" else 0))
        self.ext = None

    def near(self, o: dict) -> list[int]:
        if self.everywhere or not self.rows:
            return list(range(len(self.rows)))
        if self.ext is None:
            self.ext = np.array(self.rows)  # (K,4)
        e = extent(o) + self.spot  # a speck mapped back a bin off is near (``_same_spot``)
        return np.nonzero((self.ext[:, :2] <= e[2:]).all(1) & (self.ext[:, 2:] >= e[:2]).all(1))[0].tolist()


def _key(cluster: list[tuple[int, dict]]) -> tuple:
    """A cluster's contents as a sortable key (views, coordinates, labels), which orders tied pairs in ``join_near``."""
    return tuple(sorted((v, np.ravel(o["coords"]).tolist(), str(o.get("label"))) for v, o in cluster))


def join_near(clusters: list[list[tuple[int, dict]]], cfg: FuseConfig,
              piece=lambda v, o: False) -> list[list[tuple[int, dict]]]:
    """``clusters`` (of ``(view, shape)``) with those that are one object seen a little differently joined:
    two of no common view and one label (``_same_label``) whose averaged shapes overlap at IoU >= half
    ``cluster_iou`` and where the smaller lies at least ``cfg.contain`` inside the other ("one box drawn
    tighter": [10, 10, 30, 30] and [6, 6, 36, 36], IoU 0.44; a 10 px box and one 2 px off in x and y, IoU 0.47,
    64 % inside). Best-covered pairs first (then the higher IoU, then by contents: the joins do not hang on
    the clusters' order), each joined cluster still at most one shape per view and every two clusters in it one
    ``contain`` inside the other (no chains: one view's loose box over two cars that other views drew apart joined the
    two into one object; a box drawn in three sizes still joins). Not joined:
    two clusters one view holds both of (two neighbours that view told apart), points (``_iou`` already
    reaches), and a cluster holding a ``piece`` (a crop's cut shape, ``cut_by``: inside the whole one,
    yet no copy of it)."""
    shapes = [average([o for _, o in c]) for c in clusters]
    labels = [majority_label([o for _, o in c]) for c in clusters]
    ok = [all(o["kind"] in ("box", "obb", "poly") and not piece(v, o) for v, o in c) for c in clusters]
    ext = np.array([extent(o) for o in shapes]).reshape(-1, 4)  # (K,4)
    touch = (ext[:, None, :2] < ext[None, :, 2:]).all(-1) & (ext[None, :, :2] < ext[:, None, 2:]).all(-1)  # (K,K)
    pairs = []
    for i, j in zip(*np.nonzero(np.triu(touch, 1))):
        if ok[i] and ok[j] and _same_label(labels[i], labels[j]):
            iou, inside = cover(shapes[i], shapes[j])
            if iou >= cfg.cluster_iou / 2 and inside >= cfg.contain:
                pairs.append((-inside, -iou, *sorted((_key(clusters[i]), _key(clusters[j]))), int(i), int(j)))
    # ties by the clusters' contents, not their order: the same joins whatever it is
    return joined(clusters, pairs, whole=lambda a, b: cover(shapes[a], shapes[b])[1] >= cfg.contain)


def fuse_many(views: list[list[dict]], cfg: FuseConfig, windows: list[tuple] | None = None,
              size: tuple[int, int] | None = None) -> list[dict]:
    """Shapes found in at least ``min_views`` views, each cluster averaged and scored by its
    scored members' mean score times the share of the views that found it, of all views (those that found
    nothing too) whose ``windows`` (x0, y0, w, h in the image's pixels, the identity view's, the
    whole image, first; None: every view sees all of it) hold the whole shape: a crop is not blamed
    for what lies outside it or on its inner edge. A cluster overlapping a better-scored one of its
    label (IoU >= ``cluster_iou``: a view's repeated box) is dropped; clusters of other views that are one
    object drawn a little differently are joined first (``join_near``). A shape with no label joins a
    cluster of any label, which keeps its label (``_same_label``: a view that gave none found the same
    object, not another); clusters of other labels that are one object are joined too (``join_labels``), named
    as most of their labelled views name them, ties by the plain view (``cluster_label``). ``size``: as
    ``fuse_single`` takes it."""
    reach = _reach(cfg, size)
    items = [(v, o) for v, objs in enumerate(views) for o in objs]
    items.sort(key=lambda t: -float(t[1].get("score", 1.0)))
    clusters: list[list[tuple[int, dict]]] = []
    heads = Extents(reach, everywhere=cfg.cluster_iou <= 0)  # where each cluster's first shape lies
    for v, o in items:
        best, best_iou = None, cfg.cluster_iou
        for c in (clusters[k] for k in heads.near(o)):  # only clusters whose head it overlaps may reach cluster_iou
            head = c[0][1]
            if not _same_label(majority_label([m for _, m in c]), o.get("label")) or any(cv == v for cv, _ in c):
                continue
            if (i := _iou(head, o, reach)) >= best_iou:
                best, best_iou = c, i
        if best is None:
            clusters.append([(v, o)])
            heads.add(o)
        else:
            best.append((v, o))
    clusters = join_near(clusters, cfg, piece=(lambda v, o: False) if windows is None else
                         lambda v, o: cut_by(o, windows[v], *windows[0][2:]))
    clusters = join_labels(clusters, [average([o for _, o in c]) for c in clusters],
                           lambda a, b: _iou(a, b, reach), extent, cfg.cluster_iou)
    out = []
    for c in clusters:
        if len(c) < min(cfg.min_views, len(views)):
            continue
        shape = {**average([o for _, o in c]), "label": cluster_label(c)}
        if any("score" in o for _, o in c):
            seen = len(views) if windows is None else sum(holds(win, shape, *windows[0][2:]) for win in windows)
            # the mean of the scored members only: an unscored shape (``with_scores`` could not align its answer's) counted 1.0
            mean = float(np.mean([o["score"] for _, o in c if "score" in o]))
            shape["score"] = score_digits(mean * len(c) / max(seen, len(c)))
        out.append(shape)
    kept: list[dict] = []  # one view's repeated boxes make clusters of their own: the best of them stays
    where = Extents(reach, everywhere=cfg.cluster_iou <= 0)
    for shape in sorted(out, key=lambda o: -o.get("score", 1.0)):
        if all(not _same_label(kept[k].get("label"), shape.get("label")) or _iou(kept[k], shape, reach) < cfg.cluster_iou
               for k in where.near(shape)):
            kept.append(shape)
            where.add(shape)
    return kept


def fits(first: list[dict], objs: list[dict]) -> bool:
    """Whether a view's shapes ``objs`` fuse with the identity view's ``first``: polygons and masks
    with polygons and masks, other shapes with the same one kind; finding nothing fits anything."""
    kinds, own = {o["kind"] for o in first}, {o["kind"] for o in objs}
    return not own or not kinds or (own <= set(MASKLIKE) if kinds <= set(MASKLIKE) else own == kinds)


def asked_kind(question: str | None) -> str | None:
    """The kind of shape ``question`` asks for where another may answer it: "obb" for data_gen's ``OBB_SUFFIX`` ("Use
    oriented boxes.", a ``[det]`` or ``[ground]`` question without it asks boxes), else None."""
    return "obb" if question and re.search(r"\boriented\s+box", question, re.I) else None


def lead(views: list[list[dict]], many: bool = True, asked: str | None = None) -> list[dict]:
    """The shapes whose kind the others' must fit (``fits``) to be fused: the identity view's, unless it is not of the
    kind the question asks (``asked_kind``) and more than half of all ``views`` gave that (7 of 8 views' oriented
    boxes to "Use oriented boxes." against its boxes: ``outvoted``), or with ``many`` (a ``[det]`` "None.") those of
    the kind most views found (``fits`` as the kind: boxes, obbs, points, polygons or masks); then the earliest view's
    of it (ties: the earliest, the nearest the identity in the order asked); [] where none did. Another kind than the
    one asked never leads against the plain answer (boxes to a ``[seg]``, boxes to "Use oriented boxes.")."""
    found = [objs for objs in views if objs]
    votes = [sum(fits(objs, other) for other in found) for objs in found]
    if views[0]:  # its kind leads unless it is not the kind asked and most of all the answers gave that one
        votes = [n if {o["kind"] for o in objs} == {asked} else 0 for n, objs in zip(votes, found)]
        return found[votes.index(max(votes))] if 2 * max(votes) > len(views) and asked not in {
            o["kind"] for o in views[0]} else views[0]
    if not many:
        return views[0]
    return found[votes.index(max(votes))] if found else []


def outvoted(views: list[list[dict]], asked: str | None = None) -> str | None:
    """The ``Fused.note`` part on a plain answer's shapes (``views[0]``) left out where ``lead`` let the kind asked,
    which most of all the answers gave, lead; None where its kind leads."""
    first = lead(views, asked=asked)
    if not views[0] or first is views[0]:
        return None
    agree = sum(bool(objs) and fits(first, objs) for objs in views)
    return (f"test-time augmentation: {agree} of the {len(views)} answers gave {kind_words(first)}, the kind asked, "
            f"against the plain answer's {kind_words(views[0])}: theirs lead, the plain answer left out")


_KIND_WORDS = {"box": "boxes", "obb": "oriented boxes", "point": "points", "poly": "polygons", "mask": "masks"}


def kind_words(objs: list[dict]) -> str:
    """The kinds of shape of ``objs`` in words, for a note: "boxes", "oriented boxes and boxes"."""
    return " and ".join(_KIND_WORDS.get(k, k) for k in sorted({o["kind"] for o in objs}, reverse=True))


def other_kinds(views: list[list[dict]], names: list[str], asked: str | None = None,
                one: bool = False) -> list[tuple[str, str]]:
    """(view, why) of each answer of ``views[1:]`` (named ``names``) whose shapes are of another kind than ``lead``'s
    (``many``, ``asked``), or several where ``one`` (``lone``), no vote in ``fuse``; where the identity view's kind is
    not fused, why says the kind fused and how many found it."""
    first = lead(views, asked=asked)
    found, agree = sum(map(bool, views)), sum(bool(objs) and fits(first, objs) for objs in views)
    why = "" if first is views[0] else (f" ({{}}, while {agree} of the {found} answers with shapes gave "
                                        f"{kind_words(first)}, the kind fused)")
    return [(name, "it holds another kind of shape" + why.format(kind_words(objs)) if not fits(first, objs) else
             f"it holds {len(objs)} shapes, and the question asks for one object, as the plain answer gives")
            for name, objs in zip(names, views[1:]) if objs and (not fits(first, objs) or lone(views, objs, one))]


def lone(views: list[list[dict]], objs: list[dict], one: bool) -> bool:
    """Whether the shapes ``objs`` of a view are several where the question asks for ``one`` object ([ground]) and the
    identity view (``views[0]``) gave one: no vote (the views' detections of every bus, fused by ``fuse_many``, made
    25 shapes of the plain answer's one). ``rsvlm.tta`` gives no ``one`` to a [ground] question that reads as asking
    for several ("the two ships": ``tta_lead.asks_several``)."""
    return one and len(views[0]) == 1 and len(objs) > 1


def fusable(objs: list[dict]) -> bool:
    """Whether ``fuse`` can join shapes of the kinds of ``objs`` (the identity view's): polygons and masks,
    or boxes, obbs or points of one kind (boxes with obbs it cannot)."""
    kinds = {o["kind"] for o in objs}
    return kinds <= set(MASKLIKE) or (len(kinds) == 1 and kinds <= set(BOXLIKE))


def fuse(views: list[list[dict]], w: int, h: int, cfg: FuseConfig | None = None, windows: list[tuple] | None = None,
         many: bool = False, asked: str | None = None, one: bool = False) -> list[dict] | None:
    """Fuse the shapes of several views (each already ``unflip``-ped or shifted out of its crop;
    the identity view first; ``windows`` as ``fuse_many`` takes them), as the module docstring
    says; None when the identity view has no shapes to fuse. ``many``: the question asks for every
    object (``[det]``), so shapes are clustered even where each view found at most one (as one
    shape per view, two ships each seen by half the views were voted down to one), and where the
    identity view found none ("None."), those of the others are (of the kind most of them found, ``lead``), each
    scored by the share of the views that found it; None where no view found one. ``asked``: the kind the question
    asks (``asked_kind``), which leads where most views gave it (``lead``). ``one``: the question asks for one object
    (``[ground]``), so where the identity view gave one shape, a view of several is no vote (``lone``).
    Labels: as most of the views gave them (``majority_label``); shapes no view labelled come first, so
    the answer holds no empty ``<ref></ref>`` (the codec writes one before an unlabelled shape after
    labelled ones): the shapes before the first ``<ref>`` are those no view named; then each class's
    together in its shapes' most common spelling, one ``<ref>`` each, boxes, obbs and points top to bottom, then
    left to right, as the model and the instruction builders write them."""
    if cfg is None:
        from rsvlm.tta import FuseConfig

        cfg = FuseConfig()
    first = lead(views, many, asked)
    if not first:
        return None
    kinds = {o["kind"] for o in first}
    # a view that answered another kind (boxes to [seg]) found something, in the wrong form: no vote, not one of nothing
    # (its [] was counted: 5 of 8 views' boxes voted a mask the other 3 drew down to "None.")
    keep = [fits(first, objs) and not lone(views, objs, one) for objs in views]
    usable = [objs for objs, ok in zip(views, keep) if ok]
    windows = None if windows is None else [win for win, ok in zip(windows, keep) if ok]
    if kinds <= set(MASKLIKE):
        out = fuse_masks(usable, w, h, "grid" if "mask" in kinds else "poly", cfg)
    elif not fusable(first):
        return None
    elif not many and all(len(objs) <= 1 for objs in usable):
        out = [fuse_single([objs[0] for objs in usable if objs], cfg, (w, h), plain=bool(keep[0] and views[0]))]
    else:
        out = fuse_many(usable, cfg, windows, (w, h))
    out = [held_in(o, w, h) for o in out]  # an averaged obb's corner turned past the edge: encode bent it alone
    keys = [label_key(o.get("label")) for o in out]
    order = {k: n for n, k in enumerate(dict.fromkeys(keys))}
    # each class in one spelling, its shapes' most common ("ship" and "ships" clusters: one <ref>, not two)
    spelt = {k: majority_label([o for o, ko in zip(out, keys) if ko == k]) for k in order if k}
    out = [{**o, "label": spelt[k]} if k and o["label"] != spelt[k] else o for o, k in zip(out, keys)]
    # the unlabelled first, then each class's shapes together (one <ref> each, classes in the order fused), boxes,
    # obbs and points in reading order as the model writes them (not by score: the same shapes as the plain answer's
    # read as it); polygons and masks as fused
    return sorted(out, key=lambda o: (bool(o.get("label")), order[label_key(o.get("label"))],
                                      () if o["kind"] in MASKLIKE else top_left(o)))


def voted_out(views: list[list[dict]], cfg: FuseConfig, asked: str | None = None) -> str:
    """Why ``fuse`` kept none of the shapes of ``views`` (the plain answer's, ``views[0]``, first): too few views
    drew a pixel as one class (masks, ``min_share``; or only slivers were, ``min_piece``), or found a shape
    (``min_views``). What ``Fused.voted_out`` says where "None." replaced a plain answer's shapes, a line whole as
    ``Fused.note`` is (predict and chat may print it as it is)."""
    k, first = len(views[0]), lead(views, asked=asked)
    views = [objs for objs in views if fits(first, objs)]  # another kind: no vote (``fuse``), the plain one's too
    n = len(views)
    head = f"test-time augmentation: \"None.\" in place of the plain answer's {k} shape{'s' * (k != 1)}, voted out: "
    if {o["kind"] for o in first} <= set(MASKLIKE):
        slivers = f", or only slivers under {cfg.min_piece:g} of a view's instance" if cfg.min_piece else ""
        return (f"{head}no pixel was drawn as one class by {views_needed(cfg, n)} of the {n} views (min_share "
                f"{cfg.min_share:g}){slivers}")
    return f"{head}no shape was found by {min(cfg.min_views, n)} of the {n} views (min_views)"


def vote(answers: list[str], nones: bool = True, task: str | None = None) -> str:
    """The most common answer, read as eval scores ``task``'s answers where it scores them
    (``answer_text.vote_keys``: a ``[count]`` "3", "three" and "3 ships" are one answer, a ``[vqa]`` "Yes." and
    "Yes, it is." one, a ``[cls]`` "A church." is "church"); else NFKC-normalised, case, punctuation, ``_`` and
    spacing ignored ("Harbour." is "harbour", "tennis_court" is "tennis court"), no number words ("two" is not
    "2"), and, with ``nones``, every way of saying none (``answer_words.says_none``: "None.", "There are no ships.",
    "No change") one answer. Ties go to the earliest; the answer is written as most of its voters wrote it (ties:
    the earliest): "No damage" twice and "None." once is "No damage". ``nones`` False, or a ``[cls]`` ``task`` (its
    answer is a class name: xBD's "No damage"), reads no none. An answer of no word ("?", "...") is no vote while
    another has one (two such outvoted "harbour")."""
    said = [" ".join(re.sub(r"[^\w\s]|_", " ", unicodedata.normalize("NFKC", a).lower()).split()) for a in answers]
    keys = vote_keys(answers, task) or [
        "\0none" if nones and says_none(a) else k for a, k in zip(answers, said)]
    keys = [k if s else "" for k, s in zip(keys, said)]  # no word: no vote ("?" reads "" in every reading)
    counts = {k: keys.count(k) for k in keys if k or not any(keys)}
    best = max(counts.values())
    win = keys[next(j for j, k in enumerate(keys) if counts.get(k) == best)]  # ties: the earliest
    group = [j for j, k in enumerate(keys) if k == win]
    return answers[max(group, key=lambda j: (sum(said[g] == said[j] for g in group), -j))].strip()
