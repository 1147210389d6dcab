"""When a ground truth is refused for its skipped records (``eval.inputs.load_gt``'s share rule) and what that
refusal says: the counts by reason, the way out first where the references are another tool's (GeoChat's). It reads
a ``ReadReport`` alone: which task a skipped record was of is not known here."""

from __future__ import annotations

from eval.counts import counted
from rsvlm.data.read_report import ReadReport

BLIND = "has no gpt (assistant) turn"  # the records reader's fault of a record without its reference answer
MALFORMED_SHARE = 0.5  # this share of a ground truth's records malformed, or more: the whole file is refused
GEOCHAT = "reference: geochat geometry"  # answers.foreign_reference's reason for a GeoChat box in a reference
# what a reference in GeoChat's form is said with, here and in eval.common.all_unscorable: the convert command first
GEOCHAT_FORM = ("in GeoChat form ({<x1><y1><x2><y2>|<θ>}), which reads as no object: convert the set first (python -m "
                "data_gen convert llava --src SET --images IMAGES --out OUT rewrites GeoChat's boxes; "
                "docs/data-convert.md) and score OUT/records.jsonl")


def too_malformed(report: ReadReport) -> bool:
    """Whether ``report``'s file has ``MALFORMED_SHARE`` of its records or more malformed: the wrong file, or another
    format, rather than a few bad lines."""
    return bool(report.n_skipped) and report.n_skipped >= MALFORMED_SHARE * (report.n_ok + report.n_skipped)


def malformed_refusal(report: ReadReport) -> str:
    """The error of a ground truth ``too_malformed``: the file, the counts by reason, the first record's fault; led by
    the convert command where references are GeoChat's (a GeoChat det set, the common case, opened "the wrong file,
    or another format?", the command's name alone inside the first record's error), the question left out where
    the GeoChat references are all the skipped records."""
    first = report.examples[0]
    first = (f"{first}: a blind record (its question without the reference answer, as a benchmark's public questions "
             "come) cannot be scored; give --gt the set with its answers (rsvlm eval answers a blind set; its scores "
             "come from the benchmark's own server or answer key)") if first.endswith(BLIND) else first
    n, total, geochat = report.n_skipped, report.n_ok + report.n_skipped, report.skipped.get(GEOCHAT, 0)
    lead = f"{report.path}: {counted(geochat, 'reference')} {'is' if geochat == 1 else 'are'} {GEOCHAT_FORM}; " \
        if geochat else f"{report.path}: "
    if total == 1:  # its one record's fault, naming the file and line as it is
        return f"{lead}first: {first}" if geochat else first
    said = f"every one of its {total} records is" if n == total else f"{n} of its {total} records are"
    refs = n_unscorable(report)  # load_gt's check's: not malformed
    bad = "malformed" if not refs else "unscorable" if refs == n else "malformed or unscorable"
    return (f"{lead}{said} {bad} ({gt_reasons(report)})" + (
        f", {MALFORMED_SHARE:.0%} or more (the scorers skip fewer, counted)" if n < total else "")
        + (": the wrong file, or another format?" if geochat < n else ".") + f" First: {first}")


def n_unscorable(report: ReadReport) -> int:
    """The records ``load_gt``'s ``check`` skipped (``BadReference``, ``reference: …`` reasons), none malformed."""
    return sum(v for k, v in report.skipped.items() if k.startswith("reference: "))


def gt_reasons(report: ReadReport) -> str:
    """``invalid JSON: 2, bad field conversations: 1``: the records ``report`` skipped by reason, as its summary."""
    return ", ".join(f"{k}: {v}" for k, v in report.skipped.most_common())


if __name__ == "__main__":  # python -m eval.gt_refusal: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("gt_refusal"))
