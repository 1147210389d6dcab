"""Each epoch's batch plan: which records each rank's micro-batches hold, drawn alike on every rank."""

from __future__ import annotations

import numpy as np

BATCH_PLAN = 2  # epoch_batches' plan, saved in trainer_state as batch_plan (a state without one is plan 1)


def epoch_batches(lengths: list[int], batch_size: int, world_size: int, rank: int, seed: int, epoch: int,
                  grouped: bool = True, group_factor: int = 16, weights: np.ndarray | None = None,
                  groups: list[str] | None = None, plan: int = BATCH_PLAN) -> list[list[int]]:
    """This rank's micro-batches (lists of indices) for one epoch; the same call gives the same plan.

    The epoch's order is a permutation (or, with ``weights``, a draw with replacement of the same
    size). ``grouped``: samples are split by ``groups`` (the record's modalities), each group's
    order is cut into mega-batches of ``group_factor`` global batches, sorted by length and cut
    into global batches; all global batches are then shuffled, the longest first (out-of-memory
    shows at step 1). A global batch is dealt to ranks round-robin, so every rank's micro-batch is
    alike in length and all ranks use the same stems and encoders in a step (ZeRO-3 needs every
    rank to produce gradients for the same parameters). ``plan`` 2: the records past a group's last
    whole global batch make one more, filled from the front of that group's order (as PyTorch's
    DistributedSampler pads), so every record is drawn; plan 1 (checkpoints saved before it) drops
    them. A group (or, naive, all records) short of one global batch is never drawn.
    """
    rng = np.random.default_rng([seed, epoch])
    n = len(lengths)
    order = rng.choice(n, size=n, replace=True, p=weights) if weights is not None else rng.permutation(n)
    gbs = batch_size * world_size
    lengths_arr = np.asarray(lengths)

    def split(sub: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """``sub``'s whole global batches, and its tail past the last of them filled from its front (disjoint:
        len >= gbs) as one more batch, or none."""
        cut = len(sub) // gbs * gbs
        if plan < 2 or cut == 0 or cut == len(sub):
            return sub[:cut], []
        tail = np.concatenate([sub[cut:], sub[: gbs - (len(sub) - cut)]])
        return sub[:cut], [tail[np.argsort(-lengths_arr[tail], kind="stable")] if grouped else tail]

    if grouped:
        keys = np.asarray(groups if groups is not None else [""] * n)
        glob = []
        mega = gbs * max(1, group_factor)
        for key in sorted(set(keys.tolist())):
            sub = order[keys[order] == key]
            sub, extra = split(sub)
            for s in range(0, len(sub), mega):
                chunk = sub[s : s + mega]
                chunk = chunk[np.argsort(-lengths_arr[chunk], kind="stable")]
                glob += [chunk[i : i + gbs] for i in range(0, len(chunk), gbs)]
            glob += extra
        perm = rng.permutation(len(glob))
        glob = [glob[i] for i in perm]
        if glob:
            longest = int(np.argmax([lengths_arr[g].max() for g in glob]))
            glob.insert(0, glob.pop(longest))
    else:
        order, extra = split(order)
        glob = [order[i : i + gbs] for i in range(0, len(order), gbs)] + extra
    return [[int(i) for i in g[rank::world_size]] for g in glob]


def old_plan_note(state: dict, folder, micro_batches: int) -> str | None:
    """What resuming ``state`` (a step folder's trainer_state) saved mid-epoch under plan 1 keeps, else None;
    ``micro_batches``: its epoch's count under that plan (saved after the last, nothing of the epoch is left:
    the next one draws today's plan)."""
    if state.get("batch_plan", 1) >= BATCH_PLAN or not 0 < state.get("micro_in_epoch", 0) < micro_batches:
        return None
    return (f"{folder} was saved by an older rsvlm, whose batches left out the records past each modality's last "
            f"whole global batch: epoch {state['epoch'] + 1} ends with the batches it would have drawn; later "
            "epochs train every record")


def check_plan(state: dict, path) -> None:
    """ValueError naming ``path`` (a trainer_state file) whose ``batch_plan`` this rsvlm cannot draw: a later
    plan (a newer rsvlm saved it; drawn as this one's, its epoch would go on with other batches) or no plan number."""
    plan = state.get("batch_plan", 1) if isinstance(state, dict) else None
    if isinstance(plan, bool) or not isinstance(plan, int) or plan < 1:
        raise ValueError(f"ckpt.resume: {path}: batch_plan {plan!r} is no batch plan (1 to {BATCH_PLAN}); "
                         "was the file edited?")
    if plan > BATCH_PLAN:
        raise ValueError(f"ckpt.resume: {path}: batch_plan {plan} was saved by a newer rsvlm, which draws its "
                         f"batches otherwise (this one knows plans 1 to {BATCH_PLAN}): resume it with that rsvlm, "
                         "or export its weights (scripts/export_step.py) and start a new run from them")


def past_end_note(state: dict, micro_batches: int, moved: bool) -> str | None:
    """What a resume on other records (``moved``) does where the saved data position (``state``'s
    ``micro_in_epoch``) is at or past the end of this data's epoch of ``micro_batches`` (a rank's), else None: the
    saved epoch begins again from its first batch of these records (it was taken as done, and the bar,
    metrics.jsonl and summary.json read the next epoch's number before any batch of it was drawn). None too where
    the position had ended its epoch (``epoch_micro_batches``, saved since stop 78): the next one begins, as on the
    same records. A state without that count cannot tell, and begins its epoch again."""
    at, saved = state.get("micro_in_epoch", 0), state.get("epoch_micro_batches")
    if not moved or not at or at < micro_batches or (saved is not None and at >= saved):
        return None
    n = state.get("epoch", 0) + 1  # counted from 1, as the bar, metrics.jsonl and summary.json count them
    return (f"the data position ({at} micro-batches into epoch {n}) is at or past the end of these records' epoch "
            f"of {micro_batches}: epoch {n} begins again from their first batch (its number stays {n})")


def ended_epoch_note(state: dict, moved: bool) -> str | None:
    """What a resume on other records (``moved``) does where the saved data position had ended its epoch
    (``micro_in_epoch`` at the saved ``epoch_micro_batches``), else None: the next epoch begins from its first
    batch of these records. Without it, more records than the checkpoint's went on at the old position inside a
    longer plan of other batches. A state saved before stop 78 holds no epoch length and cannot tell."""
    at, saved = state.get("micro_in_epoch", 0), state.get("epoch_micro_batches")
    if not moved or not at or saved is None or at < saved:
        return None
    n = state.get("epoch", 0) + 1  # counted from 1, as the bar, metrics.jsonl and summary.json count them
    return (f"the data position ({at} micro-batches) had ended epoch {n}: epoch {n + 1} begins from the first batch "
            "of these records")
