"""The lines under a scorer's printed table that its score file keeps as counts (``count_notes``: bad lines, repeated
ids, predictions naming no record, other tasks), and the note of the ground-truth records it skipped
(``bad_gt_note``); the words for a set's records another script scores (``scripts_for``, ``change_left``)."""

from __future__ import annotations

from eval.counts import counted, their
from eval.inputs import BLIND, gt_reasons, n_unscorable
from eval.tags import TAGS
from rsvlm import tokens


def bad_gt_note(report, answered: int = 0, read: int = 0) -> str | None:
    """The note of the malformed ground-truth records a scorer skipped (``report``: ``load_gt``'s ``ReadReport``;
    ``n_gt_bad_records``), in ``rsvlm eval``'s words (``ReadReport.summary``), the first three named by file and line;
    None where none was. A blind record (no reference answer) ``rsvlm eval`` answers: said so where one is named.
    ``answered``: the predictions given for the ``read`` records skipped with their ids read (unscorable references,
    bad shapes, blind ones), left unscored with them."""
    if not (n := report.n_skipped):
        return None
    more = f" (and {n - 3} more)" if n > 3 else ""
    refs = n_unscorable(report)  # load_gt's check's: rsvlm eval answers them
    how = ("as rsvlm eval skips a malformed record (but for a blind one, its question without the answer, which rsvlm "
           "eval answers and no scorer can score)") if any(e.endswith(BLIND) for e in report.examples) else \
        f"as rsvlm eval skips {their(n - refs, 'it/them')}"
    if refs:  # rsvlm eval answers these: their references are what no answer could be scored against
        unscorable = f"as no answer could be scored against {their(refs, 'its reference/their references')}"
        how = unscorable if refs == n else f"{n - refs} {how}, {refs} {unscorable}"
    # their ids are the ground truth's (no "names no record"): was unscored without a word
    nor = f", nor {counted(answered, 'prediction')} given for " + (
        their(read, "it/them") if read == n else their(refs, "the unscorable one/the unscorable ones") if read == refs
        else f"the {read} whose ids were read")
    return (f"{report.path}: {counted(report.n_ok, 'record')} read, {n} skipped ({gt_reasons(report)}), {how}: not "
            f"scored (n_gt_bad_records){nor if answered else ''}: " + "; ".join(report.examples[:3]) + more)


def count_notes(scores: dict) -> list[str]:
    """The lines under the printed table that the score file keeps as counts (``n_pred_bad_lines``, …), each with
    the first id of it where the score file names one (``first_ids``)."""
    first = scores.get("first_ids") or {}
    missing = (scores.get("n_missing") or 0) < (scores.get("n_records") or 0)  # every one: a note says so
    # a malformed record's id is not read: its prediction is counted here, unsaid; an unscorable reference's is, and a
    # bad shape's and a blind one's (n_gt_bad_shapes, n_gt_bad_blind: 0 in an older score file, where they were "not known")
    read = sum(scores.get(k) or 0 for k in ("n_gt_bad_references", "n_gt_bad_shapes", "n_gt_bad_blind", "n_gt_bad_fields"))
    bad = (scores.get("n_gt_bad_records") or 0) - read
    of = f" of the {scores['n_gt_bad_records']} in n_gt_bad_records" if read else " n_gt_bad_records"
    unread = (f" as read (the ids of its {counted(bad, 'malformed record')} skipped,{of}, are not known: "
              "some may be theirs)") if bad > 0 else ""
    out = [f"{counted(n, noun, verbs)} {what}" + (f"; first: {first[key]}" if key in first else "")
           for key, noun, verbs, what in (
        ("n_missing", "record", "has/have", "no prediction, scored as wrong" if missing else None),
        ("n_pred_bad_lines", "line", "", "of the predictions file unreadable"),
        ("n_pred_duplicate_ids", "prediction", "repeats/repeat", "an id (the first one counts" + (
            ", the first without an error where an error row of rsvlm eval's opens it)" if scores.get(
                "n_pred_error_rows_passed") else ")")),
        ("n_pred_not_in_gt", "prediction", "names/name", f"no record of the ground truth{unread}")) if what and (n := scores.get(key))]
    if note := lines_note(scores):
        out.append(note)
    other = scores.get("n_pred_other_task") or {}
    # "detection" in eval.detection: the script's name, no other benchmark's answers (said apart in a mix with one)
    ours = {k: n for k, n in other.items() if tokens.task_name(k) == scores.get("task")}
    if ours:
        tags = [t for t, script in TAGS.items() if script == scores.get("task")]
        out.append(f"{counted(sum(ours.values()), 'prediction', 'names/name')} {their(sum(ours.values()))} task as this script is named ({ours}), not by "
                   f"its rsvlm tag ({'/'.join(tags)}, as rsvlm eval writes it); {their(sum(ours.values()), 'it is/they are')} "
                   f"scored as any prediction is, against the record of {their(sum(ours.values()))} id")
    if rest := {k: n for k, n in other.items() if k not in ours}:
        out.append(f"{counted(sum(rest.values()), 'prediction', 'names/name')} a task that is no rsvlm task ({rest}); {their(sum(rest.values()), 'it is/they are')} "
                   f"scored against the record of {their(sum(rest.values()))} id: another tool's name for the task, or another benchmark's "
                   "answers under ids that repeat these?")
    if n := (scores.get("n_gt_other_tasks") or {}).get("change (not kept)"):  # counted in the file, unsaid
        out.append(change_left(n, scores.get("task")))
    if n := scores.get("n_gt_no_task"):
        out.append(f"{counted(n, 'ground-truth record', 'has/have')} no task (no \"task\" field, no tag such as [vqa] opening the "
                   f"question) and {'is' if n == 1 else 'are'} scored by no script")
    return out


def lines_note(scores: dict) -> str | None:
    """Where the predictions file has lines neither scored nor of records the script leaves to others (another task's,
    of no task, unsized), what became of each (``n_pred_lines``: its lines that are not blank, or a JSON array's
    items): they add up to it. None where there are none (one file of every task's answers: was said in every script),
    or in an older score file without the count."""
    if not (total := scores.get("n_pred_lines")):
        return None
    scored = (scores.get("n_records") or 0) - (scores.get("n_missing") or 0)
    parts = [(scores.get("n_pred_other_records", 0), "for records not scored here (n_pred_other_records)"),
             (scores.get("n_pred_skipped_records", 0), "for records skipped from the ground truth"),
             (scores.get("n_pred_not_in_gt", 0), "naming no record"),
             (scores.get("n_pred_bad_lines", 0), "unreadable")]
    repeats = total - scored - sum(n for n, _ in parts)  # every task's: n_pred_duplicate_ids counts the scored ones'
    if scored + parts[0][0] == total:
        return None
    said = ", ".join(f"{n} {what}" for n, what in [*parts, (repeats, "repeating an id")] if n)
    return f"the {counted(total, 'line')} of the predictions file: {scored} scored, {said}"


def scripts_for(other: dict) -> str:
    """``"; score them with python -m eval.detection"``, naming the script of each rsvlm task of ``other`` (a set's
    records by task, none of the script's own): the error said what it found, not which script scores it; "" where
    none is (records of no task, a change map left to eval.change: said apart)."""
    from rsvlm.tokens import TASKS

    found = {TAGS.get(t, t): None for t in other if t in TASKS}  # not "None", "change (not kept)"
    return f"; score them with {', '.join(f'python -m eval.{s}' for s in found)}" if found else ""


def change_left(n: int, task: str | None) -> str:
    """What is said of the ``n`` change records that the ``task`` script (change or captioning) leaves to the other:
    in a note, or in the error where they are all its records of the task."""
    return f"{counted(n, 'change record')} of the ground truth {'is' if n == 1 else 'are'} not scored here (n_gt_other_tasks): " + (
        f"{their(n)} reference is in words, no change map: eval.captioning scores {their(n, 'it/them')}, or --all-maps scores {their(n, 'it/them')} as "
        f"{their(n, 'a map/maps')} where {their(n, 'it says/they say')} none ('No change.': an empty map)" if task == "change" else
        f"{their(n, 'it asks/they ask')} for or {their(n, 'gives/give')} a change map: eval.change scores {their(n, 'it/them')}")


if __name__ == "__main__":  # python -m eval.count_notes: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("count_notes"))
