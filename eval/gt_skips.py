"""The ground-truth records the records reader skipped whose id it read (a bad field other than the id, a blind
record), with their tasks and why each was skipped: ``read_records`` keeps the ids of the blind ones alone
(``ReadReport.skipped_ids``), so a prediction of another such record was counted as naming no record, and a task
whose records were all skipped went unseen beside a sound one (``eval.inputs.load_gt``'s share rule, by task).

Found by reading the file's raw records again, only where the reader skipped such records: a second parse of the
file's JSON (a second pass over a pipe is none: a ground truth is a file). A record whose JSON cannot be read, or
whose id is what is wrong, has no id to give: it stays a malformed record of unknown id."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rsvlm.data.read_report import ReadReport

UNKNOWN_ID = ("invalid JSON", "bad field id")  # the reader's reasons of a record whose id it could not read


@dataclass
class Skipped:
    """What ``reader_skips`` found: ``task`` (None where none is read) and ``why`` (the reason as the reader counts it,
    its error) by id, in file order; ``kept``: the ids a scorer's filter takes, as far as it can tell."""

    task: dict[str, str | None] = field(default_factory=dict)
    why: dict[str, tuple[str, str]] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)


def id_read_skips(report: ReadReport, own: Counter) -> int:
    """How many records ``report``'s reader skipped with their id read (``own``: the skips ``load_gt`` added, by
    reason, which are not the reader's), the blind ones it kept the ids of aside: 0 where a read again would find none
    (a set with blind records alone was read twice)."""
    n = sum(n - own[k] for k, n in report.skipped.items() if k not in UNKNOWN_ID and not k.startswith("reference: ")
            and not k.endswith(", not an object"))  # a JSONL line [1, 2]: no id
    return n - len(report.skipped_ids)


def reader_skips(path: str | Path, known: set[str], keep: Callable[[dict], bool] | None = None) -> Skipped:
    """The records of ``path`` the records reader skipped whose id is sound and not one of ``known`` (the ids it gave):
    their tasks (``records.raw_task``: the reader's) and why each was skipped (``normalize_record``'s
    error, asked again; a key given twice where that passes); ``keep`` (a scorer's filter of sound records) asked of
    each as it is, one it cannot read (a change record without its turns: a map's or a worded one's?) not taken."""
    from rsvlm.data.record_fields import id_problem
    from rsvlm.data.records import RecordError, _iter_raw, normalize_record, raw_task
    from rsvlm.data.records_shape import json_line, key_given_twice

    out = Skipped()
    for loc, raw in _iter_raw(Path(path)):  # the reader's own lines: gzip, UTF-16, a JSON array as it reads them
        text = raw if isinstance(raw, str) else None
        if text is not None:
            with contextlib.suppress(ValueError):
                raw = json_line(text)
        if not isinstance(raw, dict) or id_problem(rid := raw.get("id")) or (rid := str(rid)) in known:
            continue
        try:
            normalize_record(raw, f"{path}{loc}", True, False)
            twice = key_given_twice(text, raw) if text is not None else None
            out.why[rid] = (f"bad field {twice[0]}", f"{path}{loc}: {twice[1]}") if twice else (
                "malformed", f"{path}{loc}: record {rid!r} skipped by the records reader")
        except RecordError as e:
            out.why[rid] = (f"bad field {e.field}", str(e))
        out.task[rid] = raw_task(raw)
        with contextlib.suppress(Exception):  # a filter of sound records, asked of a broken one
            if keep is None or keep({**raw, "id": rid, "task": out.task[rid]}):
                out.kept.add(rid)
    return out


if __name__ == "__main__":  # python -m eval.gt_skips: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("gt_skips"))
