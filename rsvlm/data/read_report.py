"""What reading a records file did (``rsvlm.data.records.read_records``'s ``ReadReport``): lines read, records
kept, skipped lines by reason, ids read twice, questions opening with a tag that is no task, records whose task field
is not the tag of the question eval answers, [change] records of other than two images, records of another task with
several images, modalities inferred."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from rsvlm.progress import counted, plural
from rsvlm.tokens import TASKS

BLIND = "has no gpt (assistant) turn"  # the records reader's fault of a blind record (its question alone)


@dataclass
class ReadReport:
    """What ``read_records`` did: lines read, records kept, skipped lines by reason, and records
    kept whose id an earlier one of the same report had (LLaVA-style files reuse an image's id)."""

    path: str
    n_lines: int = 0
    n_ok: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # first few skip messages, for the log
    duplicates: int = 0
    # the first repeat, "'id' at file:line": where the id was first read is not kept (a dict of every id's line
    # would cost ~30 MB more per million records than the set of ids, ~90 MB with the file named)
    first_duplicate: str | None = None
    ids: set[str] = field(default_factory=set, repr=False)
    # ids of the blind records skipped (their question alone, with need_answer): rsvlm eval answers them, so a
    # prediction of one is certain; another malformed record's is not kept, though its id may have been read
    skipped_ids: set[str] = field(default_factory=set, repr=False)
    # every skipped record whose id was read (a bad field other than the id; blind ones too): id -> (its task as the
    # reader reads it, None for chat or none; the reason it is counted by), in file order; of those ``keep_skipped``
    # takes (all, where it is None), the ids and each task's first error: eval (gt_skips) reads them, not the file again
    skipped_read_ids: dict[str, tuple[str | None, str]] = field(default_factory=dict, repr=False)
    keep_skipped: Callable[[dict], bool] | None = field(default=None, repr=False, compare=False)  # a scorer's filter
    skipped_kept: set[str] = field(default_factory=set, repr=False)
    skipped_first: dict[str | None, str] = field(default_factory=dict, repr=False)
    unknown_tags: Counter = field(default_factory=Counter)  # kept, untagged, whose prompt opens "[xyz]"
    # questions of kept records with a task that open with a tag that is no task ("[detect]" under "task": "det")
    unknown_tags_tagged: Counter = field(default_factory=Counter)
    # image files the records leave the modality of unsaid (rsvlm.data.modality): (modality, from what) -> files
    inferred: Counter = field(default_factory=Counter)
    inferred_first: str | None = None
    # kept records whose "task" is not the tag of the question eval answers (training reads the tag, eval the field)
    task_clashes: int = 0
    task_clash_first: list[str] = field(default_factory=list)  # the first three, "FILE:LINE (id X): …"
    # kept [change] records of other than two images (record_fields.pair_problem); the first "FILE:LINE (id X): …"
    unpaired_changes: int = 0
    unpaired_first: str | None = None
    # kept records of a task other than change (chat apart) with several images, by task; the first "FILE:LINE (id X)"
    several_images: Counter = field(default_factory=Counter)
    several_first: str | None = None
    at_several: str | None = field(default=None, repr=False)  # the task of ``at``'s record where it counts there
    at_clash: bool = field(default=False, repr=False)  # whether ``at``'s record counts in ``task_clashes``
    # the last record read_records gave: (its file as given, as read, ":line", its id), for ``drop`` to say where
    at: tuple[str, ...] = field(default=(), repr=False)

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def notable(self) -> bool:
        """Whether the summary says more than "all records read": worth printing."""
        return bool(self.n_skipped or self.duplicates or self.unknown_tags or self.unknown_tags_tagged or self.inferred
                    or self.task_clashes or self.unpaired_changes or self.several_images)

    @property
    def inferred_by_modality(self) -> dict[str, int]:
        """Image files whose modality was inferred, by the modality found (training's summary.json)."""
        out: Counter = Counter()
        for (modality, _), n in self.inferred.items():
            out[modality] += n
        return dict(out)

    def note_inferred(self, path: str, modality: str, why: str) -> None:
        """One image file whose records do not name its modality: what it was inferred as, from what."""
        self.inferred[(modality, why)] += 1
        self.inferred_first = self.inferred_first or path

    def drop(self, reason: str, example: str) -> None:
        """A record read, then left out by its reader for ``reason``: counted as skipped. ``example`` ("FILE: record
        ID: …") is said at the line read_records read the record from ("FILE:LINE: …"), as a malformed line is, where
        it is the last record read (a reader that read the whole file first left each at the last one's line). That
        record, named so or at its line, is taken off ``several_images`` and ``task_clashes`` too: it was counted kept
        there and skipped."""
        given, read, loc, rid = self.at or ("", "", "", "")
        if self.at and (name := next((n for n in (given, read) if example.startswith(f"{n}: record {rid}: ")), None)):
            example = f"{name}{loc}: {example[len(name) + 2:]}"
        if self.at and any(example.startswith((f"{n}{loc}: ", f"{n}{loc} (id {rid})")) for n in (given, read)):
            if self.at_several:
                self.several_images -= Counter({self.at_several: 1})  # a key at 0 goes
                if self.several_first and self.several_first.startswith(f"{read}{loc} "):  # it named this one
                    self.several_first = None  # the next kept one names itself
            if self.at_clash:
                self.task_clashes -= 1
                if self.task_clash_first and self.task_clash_first[-1].startswith(f"{read}{loc} "):
                    self.task_clash_first.pop()
            self.at_several, self.at_clash = None, False
        self.n_ok -= 1
        self.skipped[reason] += 1
        if len(self.examples) < 5:
            self.examples.append(example)

    def note_task_clash(self, where: str, task: str, tag: str, turn: int | None = None) -> None:
        """One record kept whose ``task`` field is not the ``[tag]`` of the question eval answers (its question ``turn``,
        1 for the first, where it has several): counted, the first three named."""
        self.task_clashes += 1
        self.at_clash = True  # ``at``'s record: a reader's drop of it takes it off
        if len(self.task_clash_first) < 3:
            self.task_clash_first.append(f"{where}: task {task!r}, " + (f"question {turn}'s " if turn else "")
                                         + f"prompt [{tag}]")

    def note_skipped_id(self, raw: dict, task: str | None, reason: str, said: str) -> None:
        """A skipped record ``raw`` whose id was read (``task``: as the reader reads it; ``reason``, ``said``: how it
        is counted, its error): kept by id; ``keep_skipped`` asked of it as it is (one it cannot read is not taken)."""
        rid = str(raw["id"])
        self.skipped_read_ids[rid] = (task, sys.intern(reason))  # a few reasons, each held once
        taken = self.keep_skipped is None
        with contextlib.suppress(Exception):  # a filter of sound records, asked of a broken one
            taken = taken or bool(self.keep_skipped({**raw, "id": rid, "task": task}))
        if taken:
            self.skipped_kept.add(rid)
            self.skipped_first.setdefault(task, said)

    def note_id(self, rid: str, where: str) -> None:
        if rid in self.ids:
            self.duplicates += 1
            self.first_duplicate = self.first_duplicate or f"{rid!r} at {where}"
        self.ids.add(rid)

    def summary(self) -> str:
        s = f"{self.path}: {counted(self.n_ok, 'record')} read, {self.n_skipped} skipped"
        if self.skipped:
            s += " (" + ", ".join(f"{k}: {v}" for k, v in self.skipped.most_common()) + ")"
        if self.duplicates:
            s += f"; {self.duplicates} kept with an id already read (the first repeat: {self.first_duplicate})"
        if self.unknown_tags:
            tags = ", ".join(f"[{t}] x{n}" for t, n in self.unknown_tags.most_common(5))
            s += (f"; {sum(self.unknown_tags.values())} kept as untagged chat whose prompt opens with a tag "
                  f"that is not a task ({tags}; tasks: {', '.join(TASKS)})")
        if self.unknown_tags_tagged:
            tags = ", ".join(f"[{t}] x{n}" for t, n in self.unknown_tags_tagged.most_common(5))
            asked = sum(self.unknown_tags_tagged.values())
            s += (f"; {counted(asked, 'question')} of records with a task open{'s' * (asked == 1)} with a tag that "
                  f"is not a task ({tags}): asked as written, a tag the model never learnt")
        if self.task_clashes:
            s += (f"; {self.task_clashes} kept whose task field is not the tag of the question eval answers (training "
                  f"reads the tag, eval scores by the field; first: {'; '.join(self.task_clash_first)})")
        if self.unpaired_changes:
            s += (f"; {counted(self.unpaired_changes, '[change] record')} kept with other than two images, no "
                  f"before and after to compare (first: {self.unpaired_first})")
        if self.several_images:
            tasks = ", ".join(f"[{t}] {n}" for t, n in sorted(self.several_images.items()))
            s += (f"; {counted(sum(self.several_images.values()), 'record')} kept with several images for a task of "
                  f"one image ({tasks}; trained and answered as written, though only [change] compares two and such "
                  f"an answer does not say which image it is of; first: {self.several_first})")
        if self.inferred:
            kinds = ", ".join(f"{m} {n} ({why})" for (m, why), n in self.inferred.most_common(6))
            extra = len(self.inferred) - 6
            more = f" and {extra} more {plural('kind', extra)}" if extra > 0 else ""
            files = sum(self.inferred.values())
            s += (f"; modality inferred for {counted(files, 'image file')} whose records do not name it: "
                  f"{kinds}{more} (first: {self.inferred_first}; a \"modality\" in the record's images overrides)")
        return s
