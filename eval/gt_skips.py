"""The ground-truth records the records reader skipped whose id it read (a bad field other than the id, a blind
record), with their tasks and why each was skipped, as its ``ReadReport`` keeps them (``skipped_read_ids``; the ids a
scorer's filter takes, ``skipped_kept``, and each task's first error, ``skipped_first``): a prediction of such a
record was counted as naming no record, and a task whose records were all skipped went unseen beside a sound one
(``eval.inputs.load_gt``'s share rule, by task). A record whose JSON cannot be read, or whose id is what is wrong, has
no id to give: it stays a malformed record of unknown id. The file is not read again."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field

from eval.counts import counted, their
from rsvlm.data.read_report import BLIND, ReadReport


@dataclass
class LineReport(ReadReport):
    """A ``ReadReport`` that also counts the skipped lines of each id read, by task, reason and the scorer's filter
    (``tasked``): ``skipped_read_ids`` keeps one entry an id, so two broken lines sharing one id were counted once in
    ``n_gt_bad_fields``/``n_gt_bad_blind`` and the other called a malformed record of unknown id."""

    # each id's lines by (task, reason, taken by the scorer's filter): the reader keeps one task and reason an id (its
    # last line's), and a task refusal filed a cap line sharing a regcap line's id under regcap (``task_lines``)
    tasked: dict = field(default_factory=dict, repr=False)
    blind: int = 0  # of them, the blind lines (their question alone)
    shapes: int = 0  # lines ``eval.inputs.load_gt`` skipped for a bad shape (n_gt_bad_shapes: was one an id)
    # the kept records whose "task" is not their question's tag, as (id, "FILE:LINE (id X): task 'vqa', prompt [cls]"):
    # rsvlm eval said so, the scorers scored them unsaid (``clashed_note``)
    clashes: list = field(default_factory=list, repr=False)

    def note_task_clash(self, where: str, task: str, tag: str, turn: int | None = None) -> None:
        super().note_task_clash(where, task, tag, turn)
        rid = self.at[3] if self.at else where.rpartition(" (id ")[2][:-1]  # the record read_records gives now
        self.clashes.append((rid, f"{where}: task {task!r}, " + (f"question {turn}'s " if turn else "") + f"prompt [{tag}]"))

    def note_skipped_id(self, raw: dict, task: str | None, reason: str, said: str) -> None:
        self.blind += said.endswith(BLIND)
        rid = str(raw["id"])
        taken = self.keep_skipped is None
        with contextlib.suppress(Exception):  # as the reader asks it (ReadReport.note_skipped_id)
            taken = taken or bool(self.keep_skipped({**raw, "id": rid, "task": task}))
        self.tasked.setdefault(rid, Counter())[(task, reason, taken)] += 1
        super().note_skipped_id(raw, task, reason, said)


def clashed_note(report: LineReport, scored: set[str]) -> tuple[int, str | None]:
    """(how many of the ``scored`` records' questions open with another task's tag than their "task" field, the
    note saying so or None): rsvlm eval asked the model the tag's task, and its answer is scored as the field's."""
    clashed = [said for rid, said in report.clashes if rid in scored]
    if not clashed:
        return 0, None
    n = len(clashed)
    return n, (f"the {their(n, 'question/questions')} of {counted(n, 'scored record')} {their(n, 'opens/open')} with "
               f"another task's tag than {their(n)} \"task\" field (first: {clashed[0]}; n_gt_task_clashes): rsvlm eval asked the model the tag's task, and the answer is scored as the field's; "
               "mend the tag or the field")


def task_lines(report: LineReport, rid: str) -> Counter:
    """The skipped lines of ``rid`` the scorer's filter takes, by (task, reason), each line under its own task (the
    reader keeps the last line's task of an id); where ``report`` counted none of its lines, the reader's one entry."""
    if rid not in report.tasked:
        task, reason = report.skipped_read_ids[rid]
        return Counter({(task, reason): 1}) if rid in report.skipped_kept else Counter()
    out = Counter()
    for (task, reason, taken), n in report.tasked[rid].items():
        if taken:
            out[(task, reason)] += n
    return out


def untasked_lines(report: LineReport) -> int:
    """The skipped lines whose id was read and whose task was not (a line with no task sharing a tasked line's id
    is one: the reader keeps the last line's task of an id)."""
    return sum(n for rid in report.skipped_read_ids for (task, _, _), n in report.tasked.get(rid, {}).items()
               if task is None) + sum(1 for rid, (task, _) in report.skipped_read_ids.items()
                                       if rid not in report.tasked and task is None)


def n_lines(report: LineReport, ids: set[str]) -> int:
    """The skipped lines of ``ids`` (a repeated id's each; one an id ``report`` counted no line of)."""
    return sum(n.total() if (n := report.tasked.get(i)) else 1 for i in ids)


def blind_and_fields(report: LineReport) -> tuple[int, int]:
    """``n_gt_bad_blind`` and ``n_gt_bad_fields``: the reader's skipped lines whose id it read, blind or of another
    bad field (a bad field's line sharing a blind one's id was called blind, one sharing a sound record's id was of
    unknown id)."""
    return report.blind, sum(n.total() for n in report.tasked.values()) - report.blind


@dataclass
class Skipped:
    """What ``reader_skips`` found: ``task`` (None where none is read) and ``why`` (the reason as the reader counts it,
    its task's first error) by id, in file order; ``kept``: the ids a scorer's filter takes, as far as it can tell."""

    task: dict[str, str | None] = field(default_factory=dict)
    why: dict[str, tuple[str, str]] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)


def id_read_skips(report: ReadReport) -> int:
    """How many records ``report``'s reader skipped with their id read, the blind ones (``skipped_ids``, whose ids
    the scorers already take) aside: 0 where ``reader_skips`` would find none."""
    return len(report.skipped_read_ids.keys() - report.skipped_ids)


def reader_skips(report: ReadReport, known: set[str]) -> Skipped:
    """The records ``report``'s reader skipped whose id is sound and not one of ``known`` (the ids it gave): their
    tasks, why each was skipped and whether the scorer's filter (``report.keep_skipped``) takes it."""
    out = Skipped()
    for rid, (task, reason) in report.skipped_read_ids.items():
        if rid in known:
            continue
        out.task[rid] = task
        out.why[rid] = (reason, report.skipped_first.get(task, f"{report.path}: record {rid!r} skipped ({reason})"))
        if rid in report.skipped_kept:
            out.kept.add(rid)
    return out


if __name__ == "__main__":  # python -m eval.gt_skips: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("gt_skips"))
