"""The run's closing counts (``summarize``), gathered over all ranks for summary.json and the done line. Moved
out of ``rsvlm.train.loop``, which still offers the name."""

from __future__ import annotations

from rsvlm.data.records import ReadReport


def summarize(state: dict, report: ReadReport, world: int, seconds: float, steps: int, tokens_before: int = 0) -> dict:
    """The run's counts over all ranks (collective); ``seconds``, ``steps`` and this rank's ``tokens_before`` of
    this run alone: a resumed run's tokens/s was its whole history's tokens over its own seconds."""
    bad, samples, tokens, slots = state["bad"], state["samples"], state["tokens"], state.get("slots", 0)
    new, first = tokens - tokens_before, state.get("first_bad")
    cut, ids, cut_ids = state.get("cut", 0), list(state["bad_ids"]), list(state.get("cut_ids", []))
    undropped = state.get("undropped", 0)
    if world > 1:
        import torch.distributed as dist

        parts = [None] * world
        dist.all_gather_object(parts, (bad, samples, tokens, slots, cut, new, undropped, ids, cut_ids, first))
        bad, samples, tokens, slots, cut, new, undropped = (sum(p[i] for p in parts) for i in range(7))
        ids, cut_ids = [i for p in parts for i in p[7]], [i for p in parts for i in p[8]]
        first = next((p[9] for p in parts if p[9]), None)  # the final verdict names it on every rank alike
    # epochs: that of the last step, counted from 1 (the one it was in; state's index counts from 0)
    return {"steps": state["step"], "epochs": state["epoch"] + 1, "samples": samples, "bad_samples": bad,
            "bad_ids": sorted(set(ids)), "first_bad": first, "cut_samples": cut, "cut_ids": sorted(set(cut_ids))[:1000],
            "band_dropout_unnamed": undropped,
            "malformed_records": report.n_skipped, "duplicate_ids": report.duplicates,
            "malformed_reasons": dict(report.skipped), "inferred_modalities": report.inferred_by_modality,
            "several_image_records": dict(report.several_images), "task_clashes": report.task_clashes,
            "tokens": tokens, "non_pad_fraction": tokens / max(1, slots),
            "seconds": seconds, "tokens_per_s": new / max(1e-9, seconds),
            "steps_this_run": steps}
