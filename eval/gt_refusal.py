"""When a ground truth is refused for its skipped records (``eval.inputs.load_gt``'s share rule) and what that
refusal says: the counts by reason, the way out first where the references are another tool's (GeoChat's). It reads
a ``ReadReport`` alone: which task a skipped record was of is not known here."""

from __future__ import annotations

from collections import Counter

from eval.counts import counted
from rsvlm.data.read_report import BLIND, ReadReport

MALFORMED_SHARE = 0.5  # this share of a ground truth's records malformed, or more: the whole file is refused
# what a reference in GeoChat's form is said with, in malformed_refusal and all_unscorable: the convert command first
GEOCHAT_FORM = ("in GeoChat form ({<x1><y1><x2><y2>|<θ>}), which reads as no object: convert the set first (python -m "
                "data_gen convert llava --src SET --images IMAGES --out OUT rewrites GeoChat's boxes; "
                "docs/data-convert.md) and score OUT/records.jsonl")
# Falcon's: no converter reads a Falcon set, so the rewrite a reference needs, in the library's own calls (here and in
# eval.answers.foreign_reference)
FALCON_REWRITE = "rsvlm.geometry.encode(eval.foreign.decode_falcon(answer, width, height)[0], width, height)"
FALCON_FORM = ("in Falcon form (<box><x1><y1><x2><y2></box>, plain 0-999 bins), which reads as no object: no data_gen "
               f"converter reads Falcon's sets; rewrite each reference in rsvlm's grammar (<loc_N>) with {FALCON_REWRITE} "
               "and score that (--format falcon reads predictions alone)")
# by answers.foreign_reference's reason for another tool's box in a reference
FOREIGN_FORMS = {"reference: geochat geometry": GEOCHAT_FORM, "reference: falcon geometry": FALCON_FORM}


def too_malformed(report: ReadReport) -> bool:
    """Whether ``report``'s file has ``MALFORMED_SHARE`` of its records or more malformed: the wrong file, or another
    format, rather than a few bad lines."""
    return bool(report.n_skipped) and report.n_skipped >= MALFORMED_SHARE * (report.n_ok + report.n_skipped)


def malformed_refusal(report: ReadReport) -> str:
    """The error of a ground truth ``too_malformed``: the file, the counts by reason, the first record's fault; led by
    the convert command where references are GeoChat's (a GeoChat det set, the common case, opened "the wrong file,
    or another format?", the command's name alone inside the first record's error), the rewrite where they are
    Falcon's (the likelier of the two where both are), the question left out where they are all the skipped records."""
    first = report.examples[0]
    first = (f"{first}: a blind record (its question without the reference answer, as a benchmark's public questions "
             "come) cannot be scored; give --gt the set with its answers (rsvlm eval answers a blind set; its scores "
             "come from the benchmark's own server or answer key)") if first.endswith(BLIND) else first
    n, total = report.n_skipped, report.n_ok + report.n_skipped
    form, foreign = max(((f, report.skipped.get(k, 0)) for k, f in FOREIGN_FORMS.items()), key=lambda x: x[1])
    lead = f"{report.path}: {counted(foreign, 'reference')} {'is' if foreign == 1 else 'are'} {form}; " \
        if foreign else f"{report.path}: "
    if total == 1:  # its one record's fault, naming the file and line as it is
        return f"{lead}first: {first}" if foreign else first
    said = f"every one of its {total} records is" if n == total else f"{n} of its {total} records are"
    refs = n_unscorable(report)  # load_gt's check's: not malformed
    bad = "malformed" if not refs else "unscorable" if refs == n else "malformed or unscorable"
    return (f"{lead}{said} {bad} ({gt_reasons(report)})" + (
        f", {MALFORMED_SHARE:.0%} or more (the scorers skip fewer, counted)" if n < total else "")
        + (": the wrong file, or another format?" if foreign < n else ".") + f" First: {first}")


def task_refusal(path: str, task: str, n_bad: int, ok: Counter, reasons: Counter, first: str, unknown: int = 0) -> str:
    """The error of a ground truth where ``MALFORMED_SHARE`` or more of one task's own records are skipped (``n_bad``,
    by reason in ``reasons``; ``ok``: the sound records of the scorer's tasks, by task): the rest were scored as if
    the task were sound (a captioning set of 10 good cap records and 4 broken regcap ones; 1 det record scored of 4).
    Led by the convert command or the rewrite where references are GeoChat's or Falcon's (``FOREIGN_FORMS``; was in
    the first record's error alone). ``unknown``: the file's skipped records whose task was not read (not JSON, a bad
    id), said as "task unknown": they count toward the whole file's share alone, and were unsaid here."""
    total, rest = n_bad + ok[task], {t: n for t, n in ok.items() if n and t != task}
    said = (f"its one {task} record is" if total == 1 else f"every one of its {total} {task} records is" if not ok[task]
            else f"{n_bad} of its {total} {task} records {'is' if n_bad == 1 else 'are'}")  # "1 of its 2 … are"
    scored = (f"the {'/'.join(rest)} records alone would be scored" if not ok[task] else
              f"scoring the other {ok[task]} would pass {'it' if ok[task] == 1 else 'them'} off as the task's score")
    reasons_said = ", ".join(f"{k}: {v}" for k, v in reasons.most_common())
    form, foreign = max(((f, reasons.get(k, 0)) for k, f in FOREIGN_FORMS.items()), key=lambda x: x[1])
    lead = f"{counted(foreign, task + ' reference')} {'is' if foreign == 1 else 'are'} {form}; " if foreign else ""
    return (f"{path}: {lead}{said} skipped ({reasons_said}), {MALFORMED_SHARE:.0%} or more of the task's, where the file "
            f"as a whole is not: {scored}; mend or remove them (the scorers skip fewer, counted)"
            + (f"; {counted(unknown, 'other record')} skipped, task unknown (not JSON, a bad id or no task: counted in the "
               "whole file's share alone)" if unknown > 0 else "") + f". First: {first}")


def n_unscorable(report: ReadReport) -> int:
    """The records ``load_gt``'s ``check`` skipped (``BadReference``, ``reference: …`` reasons), none malformed."""
    return sum(v for k, v in report.skipped.items() if k.startswith("reference: "))


def gt_reasons(report: ReadReport) -> str:
    """``invalid JSON: 2, bad field conversations: 1``: the records ``report`` skipped by reason, as its summary."""
    return ", ".join(f"{k}: {v}" for k, v in report.skipped.most_common())


def all_unscorable(gt: str, tasks: tuple[str, ...], report: ReadReport, whys: list[str]) -> str:
    """What to do where each record of ``tasks`` read from ``gt`` has an unscorable reference (``whys``: each one's
    error): convert a GeoChat set first, naming the converter (a Falcon one's rewrite); otherwise the first one's error. Records skipped as
    malformed (of any task: one not read has none) are counted beside, not called references read."""
    n, malformed = len(whys), report.n_skipped - n_unscorable(report)
    why = [k.removeprefix("reference: ") for k in report.skipped if k.startswith("reference: ")]
    said = f"{gt}: {'the' if n == 1 else f'all {n}' if not malformed else f'the {n}'} {'/'.join(tasks)} " \
        f"reference{'s' * (n > 1)} read {'is' if n == 1 else 'are'}"  # "all 2 … read" beside a malformed det record
    beside = f" ({counted(malformed, 'other record')} skipped as malformed)" if malformed else ""
    if len(why) == 1 and (form := FOREIGN_FORMS.get(f"reference: {why[0]}")):  # GeoChat's, Falcon's: the way out
        return f"{said} {form}{beside}"
    return f"{said} unscorable ({', '.join(why)}){beside}; first: {whys[0]}"


if __name__ == "__main__":  # python -m eval.gt_refusal: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("gt_refusal"))
