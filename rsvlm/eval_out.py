"""What ``rsvlm eval`` reads of its ``--out`` file and the rank parts beside it before the model loads, in one pass
(``read_answers``): the ids answered (``predictions.answered_ids``'s), the records whose answers are all stale
(``eval_reading.undigested``'s), and what ``predictions.check_out`` refuses an ``--out`` for (its lines that are no
answer, a records file, no text), each of which read every file again; and ``answered_already``, which now reads the
files only where every record of the rank's share has an answer there at all. ``predictions.check_out`` takes this
pass (``read=``), ``check_stamp`` and ``unstamped_answers`` its ids (``held``). And what a run stopped by Ctrl-C or
SIGTERM says of how far it got (``tallied``, ``stopped_note``; ``stopped_run``, which marks its run stamp, out of
memory too), and one stopped before it answered (``unanswered_note``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rsvlm.answer_lines import answer_lines
from rsvlm.data.records import ReadReport
from rsvlm.eval_answers import tagged_record
from rsvlm.eval_reading import stale_among
from rsvlm.predictions import answer_files, answer_row, part_path, resume_state
from rsvlm.processes import Terminated
from rsvlm.progress import counted
from rsvlm.run_stamp import stamp_path, stopped_stamp
from rsvlm.temp_files import replace_text


@dataclass
class AnswersRead:
    """``read_answers``'s pass: ``ids`` answered (error rows too) in ``--out`` or any rank part; ``stale``: the ids
    of the records given whose answers are all stale, in their order (None where none were given); of ``--out``
    itself, as ``predictions.check_out`` judges it: how many of its rows hold an id (``n_own``; its ids are among
    ``ids``, not kept apart: a second set of 200k ids), each line that is no JSON object with a string
    id (``bad``: ``PATH:N: why``; blank lines and a last line without its newline aside), whether a row holds
    ``conversations`` (``holds_records``: the --data file given as --out) and whether it is no UTF-8 text
    (``not_text``: read no further, its parts not read); ``n_rows``: the rows with a string id in all of them (more
    than ``ids`` where an id is on several lines: the stamp warning says both)."""

    ids: set[str]
    stale: list[str] | None = None
    n_own: int = 0
    n_rows: int = 0
    bad: list[str] = field(default_factory=list)
    holds_records: bool = False
    not_text: bool = False
    rows: OutRows | None = None  # out's rows of the records asked, for kept_note (read_answers' want)


def needs_stale(old: dict | None) -> bool:
    """Whether ``unstamped_answers`` may count unchecked answers in the stamp ``old`` (``read_stamp``'s: none readable,
    or one that carries a count), so that ``read_answers`` must tell the stale ones: else they are never asked for."""
    return old is None or bool(old.get("unchecked_answers"))


def read_answers(out: Path, records: dict[str, dict] | None = None, want: set[str] | None = None) -> AnswersRead:
    """``out`` and its rank parts read once, a line at a time: the ids ``predictions.answered_ids`` gives, and, for
    ``records`` (by id), the ids ``eval_reading.undigested`` gives (answers without an ``asked_digest`` or with a
    stale one, error rows aside), and ``AnswersRead``'s view of ``out`` for ``check_out``. ``out`` no UTF-8:
    ``not_text``; a rank part: UnicodeDecodeError, as ``answered_ids`` raises. ``want``: the ids of the records asked,
    whose rows of ``out`` itself ``kept_note`` counts after the run (``rows``)."""
    read = AnswersRead(set(), rows=OutRows(want) if want is not None else None)

    def answered():  # each row with an id, its id kept on the way
        for f in answer_files(out):
            try:
                for n, line in enumerate(answer_lines(f), 1):
                    try:
                        row, why = answer_row(line), 'not a JSON object with a string "id"'
                    except ValueError as e:
                        row, why = None, str(e)
                    has_id = isinstance(row, dict) and isinstance(rid := row.get("id"), str)
                    if f == out:
                        read.holds_records |= isinstance(row, dict) and "conversations" in row
                        if has_id:
                            read.n_own += 1
                            if read.rows is not None and line.endswith(("\n", "\r")):  # a cut last line: dropped
                                read.rows.add(row)
                        elif line.strip() and line.endswith("\n"):  # a last line being written, or cut: not one
                            read.bad.append(f"{f}:{n}: {why}")
                    if has_id:
                        read.ids.add(rid)
                        read.n_rows += 1
                        yield row
            except UnicodeDecodeError:
                if f != out:
                    raise
                read.not_text = True  # an image given as --out: check_out refuses it, nothing more to read
                return

    stale = stale_among(answered(), records or {})
    read.stale = None if records is None else stale
    if read.rows is not None:  # what run's appends are measured from (OutRows.watch)
        read.rows.size = out.stat().st_size if out.is_file() else 0
    return read


def answered_already(args, rank: int, world: int, loaded: tuple[list[dict], ReadReport],
                     held: set[str] | None = None) -> bool:
    """Whether every record of this rank's share has its answer in ``--out`` or a rank part beside it (an error
    row kept as ``run`` keeps it, ``--retry-errors`` aside): ``run``'s resume, looked at without changing a file.
    A last line of this rank's part without its newline is no answer: ``run`` drops it (``drop_cut_line``) and
    answers its record again (was read as one, so no model was loaded for it). ``held``: the ids answered
    (``read_answers``), where known: a record not among them is unanswered, and no file is read."""
    records = [tagged_record(r)[0] for r in (loaded[0][:args.limit] if args.limit else loaded[0])][rank::world]
    if held is not None and not all(r["id"] in held for r in records):
        return False
    out = Path(args.out)
    part = part_path(out, rank, world)
    if part.is_file() and part.stat().st_size:
        with part.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                return False
    root = Path(args.image_root) if args.image_root else Path(args.data).parent
    done, _ = resume_state(part, [f for f in answer_files(out) if f != part], {r["id"]: r for r in records}, root,
                           args.retry_errors, rewrite=False)
    return all(r["id"] in done for r in records)


@dataclass
class OutRows:
    """What ``kept_note`` says of ``--out``'s rows of the records asked (``want``, their ids), gathered a row at a time
    (``add``) by ``read_answers``' pass before the run, so that the note after it reads no file (a 10k-line --out was
    read again after every run): the ids answered (``kept``), with an error row (``failed``), marked ``"cut"``; each
    id's first answer and whether its first row is an error row (``first``), and of the ids on more lines the more
    lines, those answering otherwise than the first and whether an error row opening it gives way to a later answer
    (``again``: eval.pred_file's rule, the scorers score that answer). ``run`` answering in place forgets the rows it
    drops (``redo``), adds each row it writes, and marks ``moved`` where ``out``'s size is not what it read and wrote
    (another process appended to it): ``kept_note`` then reads the file again."""

    want: set[str]
    kept: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    cut: set[str] = field(default_factory=set)
    first: dict = field(default_factory=dict)
    again: dict = field(default_factory=dict)  # id -> [more lines, differing, passed]
    size: int = 0  # out's size in bytes as read (read_answers), then as run left it
    moved: bool = False

    def add(self, row: dict, size: int = 0) -> None:
        """``row`` counted, where of an id of ``want``; ``size``: the bytes ``run`` appended to write it."""
        self.size += size
        if not (isinstance(rid := row.get("id"), str) and rid in self.want):  # ["x"]: unhashable
            return
        (self.failed if "error" in row else self.kept).add(rid)
        if row.get("cut"):
            self.cut.add(rid)
        errored = isinstance(row.get("error"), str)
        if rid in self.first:
            passed = self.first[rid][1] and not errored
            more = self.again.setdefault(rid, [0, 0, 0])
            more[0] += 1
            more[1] += not passed and row.get("answer") != self.first[rid][0]
            more[2] += passed
            if passed:
                self.first[rid] = (row.get("answer"), False)
        self.first.setdefault(rid, (row.get("answer"), errored))

    def redo(self, ids, path: Path) -> None:
        """Forget the rows of ``ids``: ``run`` dropped them from ``path`` (``out``) to answer their records again;
        ``size`` is ``path``'s from here."""
        for rid in ids:
            for seen in (self.kept, self.failed, self.cut):
                seen.discard(rid)
            self.first.pop(rid, None)
            self.again.pop(rid, None)
        self.size = path.stat().st_size if path.is_file() else 0

    def watch(self, path: Path) -> None:
        """``moved`` where ``path`` is not ``size`` bytes (what was read, or left by ``redo``, and ``add``'s since)."""
        self.moved |= (path.stat().st_size if path.is_file() else 0) != self.size

    def repeats(self) -> tuple[int, int, int]:
        """``repeats_said``'s counts."""
        v = self.again.values()
        return sum(n[0] for n in v), sum(n[1] for n in v), sum(n[2] for n in v)


# POSIX renames over a file held open (the handle keeps the file replaced); Windows refuses it (PermissionError)
RENAME_OVER_OPEN = os.name == "posix"


def appends_kept(part: Path, others: list[Path], records: dict[str, dict], root: Path, retry_all: bool = False,
                 rows: OutRows | None = None):
    """``predictions.resume_state`` of ``part`` (this run's file) and ``others``, ``part`` held open while it runs:
    where its rewrite (the rows of the records answered again dropped, through a rename) replaced ``part``, the whole
    lines another process (a second ``rsvlm eval`` on the same ``--out``) appended past what the rewrite read went
    with the file replaced, unsaid. They are appended to ``part`` again, chosen by their place past the bytes the
    rewrite read (matched by text, a line equal to one the rewrite dropped had come back), and said, ``rows`` marked
    ``moved`` (``kept_note`` reads ``part`` again); a line the other was still writing is said lost. Not held where a
    rename over an open file is refused (``RENAME_OVER_OPEN``: Windows, where every resume that drops a row failed
    so); there such lines are not seen."""
    try:
        f = part.open("rb") if RENAME_OVER_OPEN else None
    except OSError:  # no file yet: nothing to rewrite
        f = None
    with f or contextlib.nullcontext():
        done, errors = resume_state(part, others, records, root, retry_all)
        if f is None or errors.n_read is None:
            return done, errors
        old = os.fstat(f.fileno())
        try:
            if old.st_size <= errors.n_read or os.path.samestat(old, part.stat()):
                return done, errors
        except OSError:  # part gone: nothing to put back into
            return done, errors
        f.seek(errors.n_read)
        *whole, writing = f.read(old.st_size - errors.n_read).split(b"\n")
    if lost := [line + b"\n" for line in whole if line.strip()]:
        with part.open("ab") as w:
            w.writelines(lost)
    if rows is not None:
        rows.moved = True
    said = []
    if lost:
        first = lost[0].decode("utf-8", "replace").strip()
        with contextlib.suppress(ValueError, KeyError, TypeError):
            first = str(json.loads(first)["id"])
        said.append(f"{counted(len(lost), 'line')} another process appended to {part} while this run rewrote it "
                    f"(first: {first[:80]}) {'was' if len(lost) == 1 else 'were'} lost with the file replaced: put back "
                    "at its end")
    if writing.strip():
        said.append(f"the line another process was writing to {part} as this run rewrote it "
                    f"({writing.decode('utf-8', 'replace')[:60]!r}) is lost with the file replaced")
    if said:
        print(f"rsvlm eval: {'; '.join(said)}. Another rsvlm eval is answering into {part}, and what it writes from "
              "here goes to the file replaced and is lost: run one rsvlm eval at a time on an --out (the ranks of one "
              "launch write parts of their own)", file=sys.stderr)
    return done, errors


def kept_note(out: Path, ids: list[str], unchanged: bool = True, rows: OutRows | None = None) -> str:
    """What a resumed ``rsvlm eval`` with nothing left to answer says: ``out`` unchanged, how many of ``ids``' answers
    it keeps and how many of them the token limit cut (their ``"cut": true``; the run that answered them said so,
    a rerun had no word of it); a record with only an error row kept is no answer, counted apart. Rows of other ids
    are not counted; a line that is no JSON object is passed over. Not ``unchanged`` (a run that answered some):
    "wrote OUT". Either way, the lines repeating an id of ``ids`` (``repeats_said``). ``rows``: ``out``'s rows as
    read before the run (``read_answers``' ``rows``) and kept up by ``run`` answering in place, the file then not read
    again. Without ``rows``, or where another process changed ``out`` meanwhile (``moved``), ``out`` is read."""
    if rows is None or rows.moved:
        rows = OutRows(set(ids))
        for line in answer_lines(out):
            with contextlib.suppress(ValueError):
                if isinstance(row := answer_row(line), dict):
                    rows.add(row)
    cut, failed, kept = rows.cut, rows.failed, rows.kept
    how = f", {len(cut)} cut: rerun with another --out and a larger --max-new-tokens to answer them whole" if cut else ""
    empty = f", {counted(len(failed - kept), 'record')} kept empty with an error" if failed - kept else ""
    said = f"nothing left to answer: {out} unchanged ({counted(len(kept), 'answer')} kept{empty}{how})" if unchanged \
        else f"wrote {out}"
    return said + repeats_said(*rows.repeats())


def repeats_said(n: int, differing: int, passed: int = 0) -> str:
    """``kept_note``'s words for ``n`` more lines of ``--out`` that repeat an id (``differing`` of them with another
    answer than the id's first line; ``passed`` ids whose first line is an error row a later answer replaces): the
    count said was of ids, those lines unsaid until a scorer counted them."""
    if not n:
        return ""
    other = f", {differing} with another answer than the first" if differing else ""
    past = (f", or where an error row opens it the first without an error ({counted(passed, 'id')}: "
            "n_pred_error_rows_passed)") if passed else ""
    return (f"; {counted(n, 'more line')} {'repeats' if n == 1 else 'repeat'} an id{other}: the scorers score each "
            f"id's first line{past} and count the rest (n_pred_duplicate_ids)")


def told_lines(told: dict[str, list], n: int, part: Path) -> list[str]:
    """``run``'s notes of the rows it counted by a field (``told``: field -> [count, first row]) of its ``n`` answers
    written to ``part``: asked no --tta view, not asked some, voted out by the views, --det-by-class classes said in
    words; a count and the first row each (not every row of the run held)."""
    out, of = [], f"of the {counted(n, 'record')} of this run"
    if (k := told["tta_skipped"][0]):  # the plain answer stands: --tta did nothing for them, which a score would not tell
        first = told["tta_skipped"][1]
        out.append(f"{k} {of} {'was' if k == 1 else 'were'} asked no --tta view (first: {first['id']}: "
                   f"{first['tta_skipped']}; 'tta_skipped' in {part})")
    if (k := told["worded"][0]):  # the scores count the joined shapes alone
        first = told["worded"][1]
        out.append(f"{k} {of} had class answers in words with no shape, left out of the joined answer (first: "
                   f"{first['id']}: {', '.join(map(repr, first['worded']))}; 'worded' in {part})")
    if (k := told.get("not_finite", [0])[0]):  # written null: json.dumps' NaN made a line no reader takes
        first = told["not_finite"][1]
        out.append(f"{k} {of} held NaN or Infinity, which JSON has not (the scorers and a rerun read such a line as "
                   f"unreadable): written as null (first: {first['id']}: {', '.join(first['not_finite'][:3])}; "
                   f"'not_finite' in {part})")
    if (k := told["tta_unasked"][0]):
        first = told["tta_unasked"][1]
        out.append(f"{counted(k, 'record', 'was/were')} not asked some --tta views (first: {first['id']}: "
                   f"{first['tta_unasked']}; 'tta_unasked' in {part})")
    if (k := told["tta_voted_out"][0]):  # a score falls with no word of why: the views outvoted the plain shapes
        first = told["tta_voted_out"][1]
        out.append(f"{counted(k, 'record')} answered \"None.\" where the plain answer had shapes, voted out by the "
                   f"--tta views (first: {first['id']}; why: 'tta_voted_out' in {part})")
    return out


def row_line(row: dict) -> str:
    """``row``'s JSONL line as ``run`` writes it. A NaN, Infinity or -Infinity in it (a score of a model's NaN
    logits) is written null and where it was put in ``row["not_finite"]`` (``told_lines`` counts those): json.dumps
    wrote NaN, which JSON has not, so the scorers and a rerun read the line as unreadable and its answer was lost."""
    try:
        return json.dumps(row, allow_nan=False) + "\n"
    except ValueError:
        row.update(_finite(row, "", where := []), not_finite=where)
        return json.dumps(row, allow_nan=False) + "\n"


def _finite(node, at: str, where: list[str]):
    """``node`` (JSON to write) with each NaN or infinite float None, its place (``objects[0].score``) in ``where``."""
    if isinstance(node, float) and not math.isfinite(node):
        where.append(at)
        return None
    if isinstance(node, dict):
        return {k: _finite(v, f"{at}.{k}" if at else str(k), where) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_finite(v, f"{at}[{i}]", where) for i, v in enumerate(node)]
    return node


@contextlib.contextmanager
def tallied(kept: int, n: int):
    """``run``'s answering loop: yields ``{"kept", "wrote", "records"}`` (``kept`` of this rank's ``n`` records
    resumed as answered; ``wrote`` the loop's count of rows written), which a Ctrl-C or SIGTERM there carries on as
    its ``tally`` for ``stopped_note``."""
    tally = {"kept": kept, "wrote": 0, "records": n}
    try:
        yield tally
    except (KeyboardInterrupt, Terminated) as e:
        e.tally = tally
        raise


def stopped_note(why: object, part: Path, world: int, tally: dict | None) -> str:
    """What an ``rsvlm eval`` stopped mid-run (``why``: Ctrl-C's "interrupted", SIGTERM's ``Terminated``) says: that
    the answers are kept in ``part`` and a rerun resumes, and, from ``tallied``'s ``tally`` (None: stopped outside
    the answering loop), how many answers this run (rank) wrote and how many of its records are answered and left
    (was said with no count). Counted as the run went, not from the ids before and after: a record answered again
    (its question changed, its last line cut) is this run's, where the ids said "this run wrote 0 answers"."""
    said = (f"{why}; the answers written so far are kept in {part} and a rerun with the same --out resumes from them")
    if not tally or not tally["records"]:
        return said
    done, n = tally["kept"] + tally["wrote"], tally["records"]
    return (f"{said} (this {'rank' if world > 1 else 'run'} wrote {counted(tally['wrote'], 'answer')}; {done} of the "
            f"{counted(n, 'record')}{' of this rank' * (world > 1)} {'is' if done == 1 else 'are'} answered, "
            f"{n - done} left)")


def unanswered_note(out: Path) -> str:
    """What an ``rsvlm eval`` stopped by Ctrl-C before it answered a record (reading its inputs, loading the model)
    says, in ``stopped_note``'s words: this run wrote no answer, and ``out`` (and its rank parts) are as they were, or
    not made. Their earlier answers are not counted: that would read the files again after the Ctrl-C."""
    said = "interrupted before any record was answered (reading the inputs or loading the model); this run wrote no answer"
    try:
        held = answer_files(out)
    except OSError:  # an --out not yet checked (a name too long): was a traceback under the Ctrl-C
        return said
    if not held:
        return f"{said}, and {out} was not made"
    one = len(held) == 1
    return (f"{said}: {', '.join(map(str, held))} {'is' if one else 'are'} as {'it was' if one else 'they were'}, and a "
            f"rerun with the same --out resumes from {'it' if one else 'them'}")


def stopped_run(e: BaseException, out: Path, rank: int, world: int, stamp: dict, batch_size: int) -> int:
    """``rsvlm eval`` stopped mid-run (``e``): by Ctrl-C or SIGTERM (``term_as_interrupt``), saying how far it got
    (``stopped_note``), or, any other ``e``, out of memory answering a batch of ``batch_size``. Either way the answers
    written are kept, and the run stamp beside ``out`` is marked (``run_stamp.stopped_stamp``): its ``--limit`` was
    not met, and a scorer is not to blame the limit for the records the stop left unanswered. Returns the exit
    status: 130, 143, or 1 (out of memory)."""
    part = part_path(out, rank, world)
    if isinstance(e, (KeyboardInterrupt, Terminated)):
        why = e if isinstance(e, Terminated) else "interrupted"
        print(f"rsvlm eval: {stopped_note(why, part, world, getattr(e, 'tally', None))}", file=sys.stderr)
    else:  # hours into a run: say that nothing answered is lost
        why = "stopped (out of memory)"
        print(f"rsvlm eval: out of memory answering a batch of {batch_size} ({next(iter(str(e).splitlines()), type(e).__name__)[:200]}); the "
              f"answers written so far are kept in {part} and a rerun resumes from them: give a smaller --batch-size "
              "(or --max-new-tokens, --load-4bit)", file=sys.stderr)
    replace_text(stamp_path(out), json.dumps(stopped_stamp(stamp, str(why)), indent=1) + "\n")
    return 143 if isinstance(e, Terminated) else 130 if isinstance(e, KeyboardInterrupt) else 1
