"""Review of stop 74's E2 (batch_plan 2): plan 1 must draw exactly what rsvlm drew before it, over random set-ups
with and without mixture weights (a checkpoint saved then resumes onto the same remaining batches), and plan 2's
weighted draws (with replacement) are every one trained, in full one-modality batches alike on every rank."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from rsvlm.train.batch_plan import epoch_batches
from tests.test_train_tour74b import drawn_in_full_batches


def _drop_last(lengths, batch_size, world_size, rank, seed, epoch, grouped, group_factor, weights, groups):
    """epoch_batches as of 731303b7 (before batch_plan): the oracle for plan 1."""
    rng = np.random.default_rng([seed, epoch])
    n = len(lengths)
    order = rng.choice(n, size=n, replace=True, p=weights) if weights is not None else rng.permutation(n)
    gbs, arr = batch_size * world_size, np.asarray(lengths)
    if grouped:
        keys, glob, mega = np.asarray(groups), [], gbs * max(1, group_factor)
        for key in sorted(set(keys.tolist())):
            sub = order[keys[order] == key]
            sub = sub[: len(sub) // gbs * gbs]
            for s in range(0, len(sub), mega):
                chunk = sub[s : s + mega]
                chunk = chunk[np.argsort(-arr[chunk], kind="stable")]
                glob += [chunk[i : i + gbs] for i in range(0, len(chunk), gbs)]
        glob = [glob[i] for i in rng.permutation(len(glob))]
        if glob:
            glob.insert(0, glob.pop(int(np.argmax([arr[g].max() for g in glob]))))
    else:
        order = order[: n // gbs * gbs]
        glob = [order[i : i + gbs] for i in range(0, len(order), gbs)]
    return [[int(i) for i in g[rank::world_size]] for g in glob]


def _setups(seed: int, count: int):
    rnd = random.Random(seed)
    for _ in range(count):
        world, bs, grouped = rnd.randint(1, 4), rnd.randint(1, 5), rnd.random() < 0.7
        groups = [rnd.choice(["optical", "sar", "ir", "rgbn"][: rnd.randint(1, 4)]) for _ in range(rnd.randint(1, 60))]
        lengths = [rnd.randint(5, 50) for _ in groups]
        weights = None
        if rnd.random() < 0.5:
            weights = np.array([rnd.random() + 0.01 for _ in groups])
            weights /= weights.sum()
        yield world, bs, grouped, groups, lengths, weights, rnd.randint(0, 9), rnd.randint(0, 3), rnd.randint(1, 4)


def test_plan_1_draws_exactly_the_batches_of_the_code_before_batch_plan():
    for world, bs, grouped, groups, lengths, weights, seed, epoch, factor in _setups(741, 400):
        for rank in range(world):
            args = (lengths, bs, world, rank, seed, epoch, grouped, factor, weights, groups)
            assert epoch_batches(*args, plan=1) == _drop_last(*args), (world, bs, grouped, weights is not None)


def test_weighted_draws_are_every_one_trained_in_full_batches_of_one_modality_alike_on_every_rank():
    for world, bs, grouped, groups, lengths, weights, seed, epoch, factor in _setups(742, 300):
        if weights is None:
            continue
        ranks = [epoch_batches(lengths, bs, world, r, seed, epoch, grouped, factor, weights, groups)
                 for r in range(world)]
        drawn = drawn_in_full_batches(ranks, bs, grouped, groups)
        order = np.random.default_rng([seed, epoch]).choice(len(groups), size=len(groups), replace=True, p=weights)
        keys = np.asarray(groups if grouped else [""] * len(groups))
        want = Counter()
        for key in set(keys.tolist()):
            if len(sub := order[keys[order] == key]) >= bs * world:
                want.update(sub.tolist())
        assert set(drawn) == set(want) and all(drawn[i] >= k for i, k in want.items()), (world, bs, grouped)
