"""One object that views named differently (``fuse_many``): the plain view's "ship" and two mirror views' "boat"
for the same box were two clusters (clustering goes by label), so the fused answer held the object twice, once
under the minority label. ``join_labels`` joins such clusters; ``cluster_label`` names the joined one.

Limits: two clusters are joined only where no view holds both (a view that drew a "ship" and a "boat" over one
spot told two objects apart) and their averaged shapes overlap at IoU >= ``cluster_iou``, as do those of every two
clusters a join brings together (no chains: ship–boat–ship of two ships stays two); synonyms are not
mapped, so the joined object takes one of the labels the views gave, never a third.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rsvlm.answer_words import label_key, majority_label

Cluster = list[tuple[int, dict]]  # (view, shape); view 0 is the plain (identity) view


def cluster_label(cluster: Cluster) -> str | None:
    """The class most of ``cluster``'s labelled views gave (``majority_label``: case, plural), ties broken by the
    plain view's (view 0; a cluster holds one shape a view) label, then by the earliest member; in its most common
    spelling (ties: the earliest). A view that gave no label is no vote (the plain view's "ship" beside seven
    unlabelled mirror views stays "ship"); None where no view gave one."""
    plain = next((o.get("label") for v, o in cluster if v == 0), None)
    return majority_label([o for _, o in cluster], tie=plain)


def join_labels(clusters: list[Cluster], shapes: list[dict], iou: Callable[[dict, dict], float],
                extent: Callable[[dict], np.ndarray], cluster_iou: float) -> list[Cluster]:
    """``clusters`` with those of different labels that are one object joined: no view in common and their
    averaged ``shapes`` (one per cluster) at IoU >= ``cluster_iou`` (best pairs first, ties by the earlier
    clusters), each joined cluster still at most one shape per view and every two clusters in it such a pair.
    Unlabelled clusters are left as they are (``fuse_many`` joins them already)."""
    keys = [{label_key(o["label"]) for _, o in c if o.get("label")} for c in clusters]
    if len({k for ks in keys for k in ks}) < 2:
        return clusters
    ext = np.array([extent(o) for o in shapes]).reshape(-1, 4)  # (K,4)
    touch = (ext[:, None, :2] <= ext[None, :, 2:]).all(-1) & (ext[None, :, :2] <= ext[:, None, 2:]).all(-1)  # (K,K)
    pairs = []
    for i, j in zip(*np.nonzero(np.triu(touch, 1))):
        if keys[i] and keys[j] and keys[i] != keys[j] and (s := iou(shapes[i], shapes[j])) >= cluster_iou:
            pairs.append((-s, int(i), int(j)))
    linked = {frozenset(p[-2:]) for p in pairs}
    return joined(clusters, pairs, whole=lambda a, b: frozenset((a, b)) in linked)


def joined(clusters: list[Cluster], pairs: list[tuple],
           whole: Callable[[int, int], bool] | None = None) -> list[Cluster]:
    """``clusters`` with the two each of ``pairs`` ends with (``(…, i, j)``, taken in sorted order: what comes before
    ``i`` ranks them) joined where the clusters they are in by then hold no view in common: each joined cluster still
    at most one shape per view (``join_labels``'s and ``fusion.join_near``'s joining). ``whole(a, b)``: joined only
    where it holds for every two clusters (by index) the join brings together (no chains: a boat cluster overlapping
    two ship clusters that do not overlap each other joined all three into one object, a ship lost)."""
    members = [list(c) for c in clusters]
    root = list(range(len(clusters)))  # each cluster's index of the cluster it joined
    group = [{k} for k in range(len(clusters))]  # the clusters each root holds

    def find(i: int) -> int:
        while root[i] != i:
            i = root[i]
        return i

    for *_, i, j in sorted(pairs):
        i, j = find(i), find(j)
        if i == j or {v for v, _ in members[i]} & {v for v, _ in members[j]}:
            continue
        if whole and not all(whole(a, b) for a in group[i] for b in group[j]):
            continue
        members[i] += members[j]
        members[j], root[j] = [], i
        group[i] |= group[j]
    return [c for c in members if c]
