"""Multi-turn records from single-turn ones: the questions asked of one image chained into one
conversation, so that a model learns to answer a second question after its first answer, which is
what ``rsvlm chat`` asks of it. A model trained on single-turn records only answers the second
question of a chat from no learned context at all (docs/default-model/chat.md, "Chat: later turns").

    python -m data_gen chat --src DIR/train.jsonl --out DIR/chat.jsonl [--turns 3] [--seed 0] [--no-progress]

Records are grouped by their images (the same files, in order) and their opening system turn
(none, or its text: a conversation has one system turn, first, the one training reads, and a
question is not moved under another's instruction); each group is shuffled and cut into
conversations of two to ``turns`` turns (a lone remainder joins the conversation before it).
The first question keeps its image placeholders; the later ones lose theirs, and their system
turn, the first's again. A record's ``task`` is its last turn's (what ``rsvlm eval`` answers and
``python -m eval.TASK`` scores, the earlier turns given as recorded); ``meta.turn_tasks`` and
``meta.turn_ids`` list every turn's.
Malformed source lines are skipped and counted, and the reader's notes of records kept (a ``[det]`` record of two
images, a task field that is not its tag) are said; a group of one record gives no conversation, nor
do records without an image (their questions are unrelated).

A record holding a system turn after its first turn is joined with no other (counted and named in a note): chained
as it is, its conversation would hold that turn mid-way, which many chat templates cannot write, and moved to the
front it would rule the questions before it.

Limits: the turns are independent questions about the image; none refers to an earlier answer
("and the one left of it?"). Records with more than one assistant turn are taken as they are,
never split.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import io
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from rsvlm.argparsing import Parser
from rsvlm.progress import counted
from rsvlm.tokens import IMAGE_TOKEN


def _strip_images(text: str) -> str:
    """The question without its image placeholders, before or after it (LLaVA writes both orders)."""
    return text.replace(IMAGE_TOKEN + "\n", "").replace("\n" + IMAGE_TOKEN, "").replace(IMAGE_TOKEN, "").strip()


def _image_id(im: dict) -> str | tuple[str, ...]:
    """What names one image: its ``band_files`` (one file per band, the records' reading), else its ``path``."""
    return tuple(im["band_files"]) if im.get("band_files") else im["path"]


def _images(r: dict) -> tuple:
    """What names ``r``'s images, in order (``_image_id`` of each): ``chain`` joins records that share it."""
    return tuple(_image_id(im) for im in r["images"])


def _files(im: dict) -> list[str]:
    return list(im["band_files"]) if im.get("band_files") else [im["path"]]


def _system(r: dict) -> str | None:
    """The text of ``r``'s opening system turn, None where it opens with none."""
    first = r["conversations"][0] if r["conversations"] else None
    return first["value"] if first is not None and first["from"] == "system" else None


def late_system(r: dict) -> bool:
    """Whether ``r`` holds a system turn after its first turn: ``chain`` leaves it alone. Moved to the front it would
    rule the questions before it; chained as it is, many chat templates cannot write it (training leaves the whole
    conversation out, ``rsvlm.train.sft_index.late_system``), the other records' questions with it."""
    return any(t["from"] == "system" for t in r["conversations"][1:])


def system_splits(records: list[dict]) -> int:
    """How many images have records under more than one opening system turn (none counts as one): ``chain``
    groups their records apart, one group per system turn. A record with a late system turn is in no group
    (``late_system``, said apart): its opening one split nothing."""
    seen: dict[tuple, set] = defaultdict(set)
    for r in records:
        if r["images"] and not late_system(r):
            seen[_images(r)].add(_system(r))
    return sum(len(v) > 1 for v in seen.values())


def check_turns(turns: int, seed: int) -> None:
    """ValueError naming what is wrong of ``turns`` (at least 2) and ``seed`` (>= 0), and what to give: "turns must
    be at least 2 and seed >= 0, got turns=1, seed=0" named the seed, which was right."""
    turns_do = ("give --turns 2 or more (default 3): a conversation of one turn is the single-turn record --src holds "
                "as it is")
    if turns < 2 and seed < 0:
        raise ValueError(f"--turns={turns} and --seed={seed} are out of range (--turns at least 2, --seed >= 0): give "
                         f"--seed 0 or more (default 0), and {turns_do}")
    if turns < 2:
        raise ValueError(f"--turns={turns} must be at least 2: {turns_do}")
    if seed < 0:
        raise ValueError(f"--seed={seed} must be >= 0: give --seed 0 or more (default 0)")


def _synthetic(record: dict) -> bool:
    """Whether ``record`` is one data_gen synth or rebuild made (``meta.source``), which instructions.* remake."""
    return isinstance(record.get("meta"), dict) and record["meta"].get("source") == "synthetic"


def chain(records: list[dict], turns: int = 3, seed: int = 0) -> list[dict]:
    """Conversations of 2..``turns`` of the records asked of the same images (module docstring)."""
    check_turns(turns, seed)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        if r["images"] and not late_system(r):  # text-only records share no image: chaining them would join unrelated
            groups[(_images(r), _system(r))].append(r)
    rng = np.random.default_rng(seed)
    out, used = [], set()
    for key in sorted(groups, key=lambda k: (str(k[0]), str(k[1]))):  # a fixed order: the output depends on the seed
        group = [groups[key][i] for i in rng.permutation(len(groups[key]))]
        sizes = []
        left = len(group)
        while left >= 2:
            # a --turns past int64 ("high is out of bounds for int64") draws as the most int64 takes, no cap either way
            k = min(int(rng.integers(2, min(turns, 2**63 - 2) + 1)), left)
            sizes.append(k)
            left -= k
        if left and sizes:
            sizes[-1] += left  # never a one-turn conversation; at most turns + 1
        start = 0
        for k in sizes:
            part, start = group[start : start + k], start + k
            convs = []
            for j, r in enumerate(part):
                turns_j = [dict(t) for t in r["conversations"]]
                if j:
                    turns_j = turns_j[_system(r) is not None:]  # the group's system turn, which the first opens with
                    for t in turns_j:
                        if t["from"] in ("human", "user"):  # a converted record's role ("messages": user)
                            t["value"] = _strip_images(t["value"])
                convs += turns_j
            first, last = part[0], part[-1]  # the last turn is the one scored: its meta
            rid = base = f"chat-{first['id']}-{k}"
            for n in itertools.count(2):  # a source reusing ids (LLaVA's image-named ones): -dup2, as convert does
                if rid not in used:
                    break
                rid = f"{base}-dup{n}"
            used.add(rid)
            out.append({"id": rid, "images": first["images"], "conversations": convs,
                        "task": last["task"], "meta": {**last.get("meta", {}), "turn_tasks": [r["task"] for r in part],
                                                       "turn_ids": [r["id"] for r in part]}})
    return out


def main(argv: list[str] | None = None) -> int:
    from data_gen.argv import given_twice, record_values
    from rsvlm.data.records import check_records_path

    p = record_values(Parser(prog="python -m data_gen chat", description=__doc__.split("\n\n")[0]))
    p.add_argument("--src", required=True, help="single-turn records (JSONL)")
    p.add_argument("--out", required=True, help="multi-turn records (JSONL)")
    p.add_argument("--turns", type=int, default=3,
                   help="turns per conversation, 2 to this; a lone remainder joins the one before it, "
                        "up to this + 1 (at least 2; default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draw of which questions join which "
                   "conversation, and in what order (0 or more; default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (on stderr)")
    a = p.parse_args(argv)
    if twice := given_twice(p, sys.argv[1:] if argv is None else argv):
        p.error(twice)  # argparse kept the last, unsaid: --seed 1 --seed 2 ran with 2
    try:
        check_turns(a.turns, a.seed)  # before --src is read through under a progress bar
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if empty := next((f"--{k}" for k in ("src", "out") if not getattr(a, k).strip()), None):  # Path("") is "."
        print(f"error: {empty} is empty; give a records file (e.g. DIR/train.jsonl, DIR/chat.jsonl)", file=sys.stderr)
        return 2
    src, out = Path(a.src), Path(a.out)
    try:  # not found (a pipe, a '*' pattern): said after an empty "chat: read 0record" bar; a folder, naming
        check_records_path(src)  # the JSONL files it holds (it said "e.g. DIR/train.jsonl", there or not)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if out.is_dir() or a.out.endswith(("/", "\\")):  # a folder (one not made yet, c6/: a file c6 was written)
        print(f"error: --out {a.out} is a folder; give a file, e.g. {out / 'chat.jsonl'}", file=sys.stderr)
        return 2
    if out.exists() and src.exists() and out.samefile(src):
        print(f"error: --out {out} is the --src file; write the conversations to another file", file=sys.stderr)
        return 2
    part = out.with_name(out.name + ".partial")  # renamed when complete: no half-written --out
    written: list[bool] = []
    try:
        return _run(a, src, out, part, written)
    except KeyboardInterrupt:  # Ctrl-C: one line, and no .partial left beside an earlier --out
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        print(f"interrupted: {out} " + ("was written" if written else "not written" + (
            " (the earlier file there is as it was)" if out.exists() else "")), file=sys.stderr)
        return 130


def _run(a: argparse.Namespace, src: Path, out: Path, part: Path, written: list[bool]) -> int:
    from rsvlm.data.records import ROLES, ReadReport, read_records
    from rsvlm.progress import bar

    report = ReadReport(a.src)
    try:
        records = list(bar(read_records(a.src, strict=False, report=report), desc="chat: read", unit="record",
                           disable=a.no_progress))
        chats = chain(records, a.turns, a.seed)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if report.n_skipped:
        print(f"skipped {report.summary()}; first: {report.examples[0]}", file=sys.stderr)
    elif dataclasses.replace(report, duplicates=0).notable:  # kept records' notes (a [det] of two), repeats said below
        print(f"note: {report.summary()}", file=sys.stderr)
    if report.duplicates:  # ids stay unique in --out: rsvlm eval resumes and python -m eval.TASK matches by id
        print(f"note: {a.src} reuses record ids ({report.duplicates}, the first repeat: {report.first_duplicate}); a "
              "conversation id taken already gets -dup2, -dup3, …", file=sys.stderr)
    if not chats:
        if not records:  # "it holds no records" under the line saying how many were skipped
            why = f"none of its records could be read ({report.n_skipped} skipped, above)" if report.n_skipped \
                else "it holds no records"
        elif not any(r["images"] for r in records):
            why = f"none of its {counted(len(records), 'record')} has an image"
        elif (late := sum(late_system(r) for r in records if r["images"])) == sum(bool(r["images"]) for r in records):
            why = (f"each of its {counted(late, 'record')} with an image holds a system turn after its first, joined "
                   "with none")
        else:
            multi = sum(sum(ROLES[t["from"]] == "user" for t in r["conversations"]) > 1 for r in records)
            under = _UNDER if system_splits(records) else ""
            why = f"each image of its {counted(len(records), 'record')} has one record{under}" + (
                f" ({multi} of them multi-turn already: their turns are a conversation as they are)" if multi else "")
            why += f"; {late} hold a system turn after their first, joined with none" if late else ""
            why += "; chat joins the questions asked of one image: give it two or more of each" + (
                " (data_gen synth or rebuild with instructions.records_per_image=2 or more, and as many tasks of "
                "weight > 0 that its images can have)" if any(_synthetic(r) for r in records) else
                " (records of other questions about the same images, naming them by the same paths, in the same "
                "--src)")
        print(f"error: no conversations from {a.src}: {why}", file=sys.stderr)
        return 2
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        # --out X.jsonl.gz (.GZ too) was plain text under a gzip name (zcat: "not in gzip format"); mtime 0: same bytes
        with open(part, "wb") as raw, (gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
                                       if out.name.lower().endswith(".gz") else contextlib.nullcontext(raw)) as packed, \
                io.TextIOWrapper(packed, encoding="utf-8") as f:
            for r in bar(chats, desc="chat: write", unit="conversation", disable=a.no_progress):
                f.write(json.dumps(r) + "\n")
        part.replace(out)
        written.append(True)
    except OSError as e:
        with contextlib.suppress(OSError):  # under a file named as a folder there is nothing to remove
            part.unlink(missing_ok=True)
        print(f"error: cannot write --out {out}: {e}", file=sys.stderr)
        return 2
    used = sum(len(r["meta"]["turn_ids"]) for r in chats)
    text = sum(not r["images"] for r in records)
    split = system_splits(records)
    late = [r for r in records if r["images"] and late_system(r)]
    print(f"{counted(len(chats), 'conversation')} of {used} of {len(records)} records ({len(records) - used - text - len(late)} "
          f"left alone: the only question of their images{_UNDER if split else ''}"
          + (f"; {text} without an image" if text else "")
          + (f"; {len(late)} with a system turn after their first" if late else "") + f") -> {a.out}")
    if late:  # moved to the front it would rule the questions before it; kept, many chat templates cannot write it
        one = len(late) == 1
        print(f"note: {counted(len(late), 'record')} hold{'s' * one} a system turn after {'its' if one else 'their'} "
              f"first (first: id {late[0]['id']}): joined "
              "with no other record, as a conversation they opened or joined would hold that turn mid-way, which many "
              "chat templates cannot write (training leaves such a conversation out) and which moved to the front "
              "would rule the questions before it; put it first in the record to chain it", file=sys.stderr)
    if split:  # a conversation opens with one system turn (training reads no later one): chained apart, said
        print(f"note: the records of {counted(split, 'image')} differ in their opening system turn (or its absence): "
              "each "
              "conversation joins records of one system turn, which opens it", file=sys.stderr)
    for line in _image_notes(chats, src, out):
        print(f"note: {line}", file=sys.stderr)
    return 0


_UNDER = " under their system turn"


def _image_notes(chats: list[dict], src: Path, out: Path) -> list[str]:
    """Warnings about image paths, which stay relative to the --src folder (training's default root)."""
    names = sorted({f for r in chats for im in r["images"] for f in _files(im) if not Path(f).is_absolute()})
    missing = [n for n in names if not (src.parent / n).exists()]
    notes = []
    if missing:
        notes.append(f"{len(missing)} of {len(names)} images are not under {src.parent} (first: {missing[0]}); "
                     "training skips their conversations unless data.root points where they are")
    if names and out.parent.resolve() != src.parent.resolve():
        notes.append(f"image paths stay relative to {src.parent}, and {out} is elsewhere: train on it with "
                     f"data.root={src.parent}")
    return notes
