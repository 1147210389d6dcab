"""The predictions file of ``rsvlm eval`` as it resumes: its rank parts (``OUT.rankR``), the answers already in them,
the error rows worth answering again (``inputs_digest``), the run stamp beside it (``OUT.run.json``: which weights and
options answered), and the merge of the parts into ``OUT``.

Cannot: coordinate ranks beyond files (no lock) where the launcher gives no rendezvous (``rsvlm.evaluate.launcher_sync``):
there, with ``--retry-errors`` on several ranks, one may merge early, on another rank's old error rows before that rank
retries them, and the last to finish merges again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rsvlm.answer_lines import after_last_line_end, answer_lines, line_at, placed_lines
from rsvlm.data.records import RecordError, image_paths, load_records
from rsvlm.data.records_shape import json_line, refuse_constant
from rsvlm.out_paths import folder_named, refused
from rsvlm.predictions_notes import failure_lines, missing_images_hint  # noqa: F401  (predictions.X, as before the move)
from rsvlm.progress import counted
from rsvlm.run_stamp import ANSWER_OPTIONS, ANSWERED_BEFORE, read_stamp, run_stamp, stamp_path  # noqa: F401  (predictions.X, as before the move)
from rsvlm.temp_files import STALE_AFTER_S, remove_stale_temps, replace_lines, replace_text, sweep_temps  # noqa: F401  (predictions.X, as before the move)


def part_path(out: Path, rank: int, world: int) -> Path:
    """The file rank ``rank`` of ``world`` processes appends its answers to: ``out`` itself on one process, else ``OUT.rankR``."""
    return out if world == 1 else out.with_name(f"{out.name}.rank{rank}")


def answer_files(out: Path) -> list[Path]:
    """``out`` and every rank part ``OUT.rankR`` beside it, those that exist, parts in rank order:
    any R, as an earlier run may have had another process count than this one."""
    parts = []
    if out.parent.is_dir():
        for p in out.parent.iterdir():
            rank = p.name[len(out.name) + len(".rank"):]
            if p.name.startswith(f"{out.name}.rank") and rank.isdigit() and p.is_file():
                parts.append((int(rank), p))
    return [f for f in [out] if f.is_file()] + [p for _, p in sorted(parts)]


def answer_row(line: str):
    """``json_line`` of a line of rsvlm eval's answers, NaN, Infinity and -Infinity refused (ValueError ``not valid
    JSON (NaN is not JSON …)``): the scorers read such a line as unreadable (``eval.pred_file``), so the resume and the
    merge read it as no answer, as they do any unreadable line (was an answer to them, none to the scorers)."""
    return json_line(line, constant=refuse_constant)


def _rows(path: Path, bad: list[str] | None = None):
    """One at a time, the rows of a predictions file that are JSON objects with an id; a line cut by a kill (or
    being written by another rank) is left out, so its record reads as unanswered. ``bad``, where
    given, gets ``PATH:N: why`` for each other line left out but blank ones (a last line without its
    newline is being written, or was cut: not one)."""
    return (row for row in _objects(path, bad) if isinstance(row.get("id"), str))


def _objects(path: Path, bad: list[str] | None = None):
    """Each line of ``path`` that is a JSON object, one at a time (``answer_lines``), an id or not; ``bad`` as
    ``_rows`` says."""
    for n, line in enumerate(answer_lines(path), 1):
        try:
            row, why = answer_row(line), 'not a JSON object with a string "id"'  # a BOM read past, as the scorers do
        except ValueError as e:
            row, why = None, str(e)
        if isinstance(row, dict):
            yield row
        if not (isinstance(row, dict) and isinstance(row.get("id"), str)) and bad is not None and line.strip() and line.endswith("\n"):
            bad.append(f"{path}:{n}: {why}")


def answered_ids(out: Path) -> set[str]:
    """Ids answered (an error row included) in ``out`` or any of its rank parts."""
    return {row["id"] for f in answer_files(out) for row in _objects(f) if isinstance(row.get("id"), str)}


def _holders(out: Path) -> tuple[str, str, str]:
    """How messages name the files that hold ``out``'s answers: who, the verb's ending, what to delete
    to start afresh (the rank parts too, else a rerun resumes from them)."""
    if not (parts := [f.name for f in answer_files(out) if f != out]):
        return str(out), "s", "delete it"
    return f"{out} and its rank parts ({', '.join(parts)})", "", "delete them"


def drop_cut_line(path: Path) -> str | None:
    """Cut a last line without its newline (a run killed mid-write) off ``path``: the next answer appended would be
    glued to it and lost as one unreadable line. Its record is answered again; returns the line for a message (it went
    unsaid), None where there was none (or it was only a BOM or blanks, an editor's empty file)."""
    if not path.is_file():
        return None
    with path.open("rb") as f:  # the end alone read, not the whole file
        f.seek(end := after_last_line_end(f))
        if not (cut := f.read()):
            return None  # opened to write only where there is a cut: a read-only whole file is merged as before
    with path.open("r+b") as f:
        f.truncate(end)
    return cut.decode("utf-8", "replace") if cut.removeprefix(b"\xef\xbb\xbf").strip() else None


def inputs_digest(record: dict, root: Path) -> str:
    """What a failed answer depended on besides the model and options (``run_stamp``): the record
    and its image files' sizes and modification times (a missing file as missing). Same digest,
    same failure: an unreadable image, a prompt past the context."""
    h = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode())
    with contextlib.suppress(KeyError, TypeError):  # a record image_paths cannot read: the record alone
        for f in (f for files in image_paths(record, root) for f in files):
            try:
                st = f.stat()
                h.update(f"{f}:{st.st_size}:{st.st_mtime_ns}\n".encode())
            except OSError:
                h.update(f"{f}:missing\n".encode())
    return h.hexdigest()[:16]


@dataclass
class ErrorRows:
    """The error rows of a predictions file at resume (``sort_error_rows``)."""

    kept: list[dict] = field(default_factory=list)  # inputs unchanged: they would fail again
    n_changed: int = 0  # record or image files changed since: answered again
    n_undigested: int = 0  # written before rows carried an inputs_digest: answered again
    n_forced: int = 0  # inputs unchanged, answered again because --retry-errors asks
    asked_again: list[str] = field(default_factory=list)  # ids answered when they asked otherwise: answered again
    unvouched: list[str] = field(default_factory=list)  # ids answered only by rows without an asked_digest: again
    unreadable: list[str] = field(default_factory=list)  # "PATH:N: why" of lines no answer could be read from
    n_dropped: int = 0  # the lines of the part dropped for the records answered again (a repeated id's each)
    n_dropped_ids: int = 0  # the records those lines were of
    n_read: int | None = None  # the bytes of the part its rewrite read, where it was rewritten: lines past are later


def sort_error_rows(path: Path, records: dict[str, dict], root: Path, retry_all: bool = False) -> ErrorRows:
    """Remove from ``path`` the rows answered empty with an ``"error"`` whose record (in ``records``, by id) or image files
    changed since, or that carry no ``inputs_digest`` (answered again); the others stay (they would fail again) unless ``retry_all``."""
    return resume_state(path, [], records, root, retry_all)[1]


def resume_state(part: Path, others: list[Path], records: dict[str, dict], root: Path,
                 retry_all: bool = False, rewrite: bool = True) -> tuple[set[str], ErrorRows]:
    """The ids of ``records`` (by id) already answered in ``part`` (the file this run appends to) or
    ``others`` (only read), and their error rows sorted. A record with an answer anywhere is done; one
    answered only empty with an ``"error"`` is done when such a row's inputs are unchanged (it would
    fail again; not with ``retry_all``), else answered again, and ``part`` loses its error rows. An answer
    to what its record no longer asks, or one without an ``asked_digest`` (``is_stale``), is no answer: answered
    again (``asked_again``; ``unvouched``, those answered only without a digest). Without ``rewrite``, ``part`` is
    left as it is (a look before the model loads)."""
    answered, failed, stale, bare, bad = set(), {}, set(), set(), []
    for f in [part, *others]:
        for row in _rows(f, bad):
            if row["id"] not in records:  # another rank's or past --limit: not this run's to judge
                continue
            if "error" in row:
                failed.setdefault(row["id"], []).append(row)
            elif is_stale(row, records[row["id"]]):
                (stale if "asked_digest" in row else bare).add(row["id"])
            else:
                answered.add(row["id"])
    errors, done, digests = ErrorRows(unreadable=bad), set(answered), {}
    for i, rows in failed.items():
        if i in answered:
            continue
        now = digests.setdefault(i, inputs_digest(records[i], root))
        if not retry_all and (kept := [r for r in rows if r.get("inputs_digest") == now]):
            errors.kept.append(kept[0])
            done.add(i)
        elif any(r.get("inputs_digest") == now for r in rows):
            errors.n_forced += 1
        elif any("inputs_digest" in r for r in rows):
            errors.n_changed += 1
        else:
            errors.n_undigested += 1
    errors.unvouched = [i for i in records if i in bare and i not in done]
    errors.asked_again = [i for i in records if i in stale and i not in done and i not in bare]
    # none has an answer to its question: their rows go
    again = (set(failed) - done) | set(errors.asked_again) | set(errors.unvouched)
    if again and rewrite and part.is_file():  # through a rename: another rank may be reading the file
        if replace_lines(part, _kept(part, again, gone := Counter(), read := [])):
            errors.n_read = read[0]  # eval_out.appends_kept puts back the lines another process appended past it
        errors.n_dropped, errors.n_dropped_ids = sum(gone.values()), len(gone)  # a repeated id's lines went unsaid
    return done, errors


def dropped_note(part: Path, errors: ErrorRows) -> str | None:
    """What became of the lines of ``part`` dropped for its records answered again, where more lines than records
    went (an id answered on two lines: the messages count records); None otherwise."""
    if errors.n_dropped <= errors.n_dropped_ids:
        return None
    return (f"{counted(errors.n_dropped, 'line')} of {part} dropped for the {counted(errors.n_dropped_ids, 'record')} "
            f"answered again: {errors.n_dropped - errors.n_dropped_ids} repeated another line's id")


def _kept(part: Path, ids: set[str], gone: Counter | None = None, read: list | None = None):
    """The lines of ``part`` but the rows of ``ids``, one at a time (each dropped counted by id in ``gone``); then None
    where there was none of them: no rewrite. A last line without its end is another process's being written (a killed
    run's is cut before): half a row is left out (was kept, this run's next line glued to it), a whole one (only its end
    to come; ``resume_state`` counted it) kept, ended; ``read`` gets the bytes read, the half row's not."""
    dropped, end = False, 0
    with contextlib.closing(answer_lines(part)) as lines:  # closed before the rename (Windows refuses it over an open file)
        for line in lines:
            if (unended := line.splitlines()[0] == line) and not _is_object(line):
                break
            end += len(line.encode())
            line += "\n" * unended  # the end another process writes next is past ``read``: a blank line, put back as none
            if not (row_of := _is_row_of(line, ids)):
                yield line
            elif gone is not None:
                gone[answer_row(line)["id"]] += 1
            dropped |= row_of
            if unended:  # the file grew as it was read: what follows is past ``read``
                break
    if read is not None:
        read.append(end)
    if not dropped:
        yield None


def _is_object(line: str) -> bool:
    with contextlib.suppress(ValueError):
        return isinstance(answer_row(line), dict)
    return False


def _is_row_of(line: str, ids: set[str]) -> bool:
    with contextlib.suppress(ValueError):
        return isinstance(row := answer_row(line), dict) and isinstance(rid := row.get("id"), str) and rid in ids
    return False


def asked_digest(record: dict) -> str:
    """What a record asks the model: its images (files, modality, bands) and its turns before its last
    answer (the reference, which may be fixed without changing the question)."""
    turns = [t for t in record.get("conversations") or [] if isinstance(t, dict)]
    answers = [i for i, t in enumerate(turns) if t.get("from", t.get("role")) in ("gpt", "assistant")]
    asked = [record.get("images"), turns[:answers[-1]] if answers else turns]
    return hashlib.sha256(json.dumps(asked, sort_keys=True, default=str).encode()).hexdigest()[:16]


def is_stale(row: dict, record: dict) -> bool:
    """Whether a row cannot be shown to answer what its record asks now: its ``asked_digest`` differs, or
    it has none (an older rsvlm eval's row, another tool's: asked what?)."""
    return row.get("asked_digest") != asked_digest(record)


def check_out(data: Path, out: Path | str, loaded: tuple | None = None, read=None) -> str | None:
    """Why ``out`` cannot take ``data``'s predictions, or None: it is a folder, a records file
    (``data`` itself), a file of lines none of which is a prediction (a score file, a log), a path
    whose folder cannot be made or a new name under /dev or /proc, ``data`` holds no records, or ``out`` or
    a rank part of it (resumed, never replaced) answers records ``data`` lacks, which would leave
    another test set's answers mixed in. ``loaded``: what ``load_records(data, strict=False,
    need_answer=False)`` gave, where the caller read it already. ``out`` as typed (a str) is refused where it ends
    with "/" (``--out preds/`` wrote a file named preds; a Path has lost the "/"). Leaves nothing behind. ``read``:
    what reads ``out`` and its rank parts once the path passes (``eval_out.read_answers``, whose ``AnswersRead`` rsvlm
    eval keeps for the stamp, the stale answers and the resume), in place of this function's own read."""
    if isinstance(out, str) and (why := folder_named(out, "predictions.jsonl")):
        return f"--out {out}: {why}"
    out = Path(out)
    if str(out) == "-":  # made a file named '-': predict's --out - is stdout, but eval's file is resumed
        return "--out -: rsvlm eval writes a predictions file that a later run resumes, not stdout; give a file name"
    # before any stat (a name too long: is_dir's OSError was a traceback); gone/../p.jsonl: the folder gone was
    # made and left behind; /dev/p.jsonl as root: a file among the devices
    if why := refused(out, f" (and its run stamp, {stamp_path(out).name}, beside it)"):
        return f"--out {out}: {why}"
    if out.is_dir():
        return f"--out {out} is a folder; give a file name (predictions JSONL)"
    # a file where a folder of the path should be: was a traceback after the model loaded; the folder
    # itself is made only when answers are written (a refused run left it behind, empty)
    folder = out.parent.absolute()
    up = next(p for p in [folder, *folder.parents] if p.exists())
    if not up.is_dir():
        return f"--out {out}: cannot create its folder ({up} is a file)"
    try:  # by writing one, not os.access: root passes that on a read-only mount (was a traceback after the model ran)
        with tempfile.TemporaryFile(dir=up):
            pass
    except OSError as e:
        return f"--out {out}: cannot write a file in {up} ({e.strerror or e})"
    bad, ids, holds_records, parts = [], set(), False, None  # its ids, not its rows (200k rows: 592 → 172 MiB)
    if read is not None:  # rsvlm eval's one pass over --out and its parts
        got = read(out)
        if got.not_text:
            return f"--out {out} is not a text file; give the predictions JSONL's path"
        bad, holds_records, (ids, parts) = got.bad, got.holds_records, (got.ids, set()) if got.n_own else (set(), got.ids)
    try:  # a last line cut inside a character (another tool's, killed) is dropped as run drops a cut line
        for row in _objects(out, bad) if read is None and out.is_file() else ():
            holds_records |= "conversations" in row
            if isinstance(row.get("id"), str):
                ids.add(row["id"])
    except UnicodeDecodeError:  # an image or other binary file: resuming would append to it
        return f"--out {out} is not a text file; give the predictions JSONL's path"
    if out.is_file() and (out.resolve() == data.resolve() or holds_records):  # its ids read as answered
        return f"--out {out} holds records (conversations), not predictions: is it the --data file?"
    if not ids and bad:  # a score file, a log: answers were appended to it
        return (f"--out {out} holds no predictions ({counted(len(bad), 'line')}, none a JSON object with an \"id\"; first: "
                f"{bad[0][:200]}): is it a score file? Give the predictions JSONL's path, or a new file")
    try:
        records, report = loaded or load_records(data, strict=False, need_answer=False)
    except RecordError as e:  # a whole-file fault: a cut JSON array, not UTF-8
        return str(e)
    if not records:
        return (f"no records to answer: {report.summary()}; first: {report.examples[0]}" if report.n_skipped
                else f"{data}: no records to answer (an empty file)")
    if parts is None:
        parts = {row["id"] for f in answer_files(out) if f != out for row in _objects(f) if isinstance(row.get("id"), str)}
    stale = sorted((ids | parts) - {r["id"] for r in records})
    if stale:
        who, s, delete = _holders(out)
        return (f"{who} already hold{s} {counted(len(stale), 'answer')} to records not in {data} (first: "
                f"{_first_line_of(out, set(stale)) or stale[0]}); {'it is' if s else 'they are'} resumed, not replaced: "
                f"{delete} or choose another --out")
    return None


def _first_line_of(out: Path, ids: set[str]) -> str | None:
    """``ID at FILE:LINE``: the first line of ``out`` (then of its rank parts) answering one of ``ids``, for the
    stale-answers refusal (was the least id alone, in a file of thousands); None where none is read again."""
    for f in answer_files(out):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for n, line in enumerate(answer_lines(f), 1):  # numbered as _objects' bad lines are
                with contextlib.suppress(ValueError):
                    if isinstance(row := answer_row(line), dict) and isinstance(rid := row.get("id"), str) \
                            and rid in ids:  # ["x"]: unhashable
                        return f"{rid} at {f}:{n}"
    return None


def unstamped_answers(out: Path, stamp: dict, held: set[str] | None = None, old=..., rows: int = 0) -> tuple[dict, str | None]:
    """``stamp`` to write beside ``out``, and a warning when ``out`` already holds answers that no
    readable ``OUT.run.json`` vouches for (an older rsvlm eval, another tool, a deleted stamp): they
    are resumed as they are, unchecked, and the stamp then counts them (``unchecked_answers``), so
    that the scorers can say so. ``held``: ``answered_ids(out)``, ``old``: ``read_stamp(out)``, where read already;
    ``rows``: the lines holding them (``eval_out.AnswersRead.n_rows``), said where more than the answers (0: not known)."""
    n = len(answered_ids(out) if held is None else held)
    old = read_stamp(out) if old is ... else old
    if old is not None or not n:
        carried = (old or {}).get("unchecked_answers") if n else None
        return ({**stamp, "unchecked_answers": carried} if carried else stamp), None
    why = "cannot be read" if stamp_path(out).exists() else "is missing"
    who, s, delete = _holders(out)
    return {**stamp, "unchecked_answers": n}, (
        f"{who} hold{s} {counted(n, 'answer')}{f' on {rows} lines ({rows - n} repeating an id)' if rows > n else ''} but its {stamp_path(out).name} {why} (an older rsvlm eval or another tool "
        f"wrote them): they are kept as they are, unchecked against this model and options; {delete} to "
        "answer every record afresh")


def less_unchecked(stamp: dict, warning: str | None, n_again: int) -> tuple[dict, str | None]:
    """``unstamped_answers``'s stamp and warning once ``n_again`` of the answers it counts as unchecked are asked
    again (rows ``is_stale``: without an ``asked_digest`` or with a stale one): counted no more, whether the count is this run's or one
    carried in a stamp an older rsvlm eval wrote (whose rows have none); no warning where none is kept. Cannot: tell
    which of a carried count's rows those are, so the count drops by ``n_again`` (not below 0)."""
    left = max(0, stamp.get("unchecked_answers", 0) - n_again)
    stamp = {**stamp, "unchecked_answers": left} if left else {k: v for k, v in stamp.items() if k != "unchecked_answers"}
    if warning and left:
        return stamp, warning + f" ({n_again} of them, not shown by an \"asked_digest\" to answer what is asked now, are answered again)"
    return stamp, None


def check_stamp(out: Path, stamp: dict, held: set[str] | None = None, old=...) -> str | None:
    """Why ``out``'s earlier answers (its own or its rank parts') cannot be resumed with ``stamp``'s
    model and options, or None. Files without a readable ``OUT.run.json`` are resumed as they are
    (``unstamped_answers`` warns). ``held``: ``answered_ids(out)``, ``old``: ``read_stamp(out)``, where read already."""
    old = read_stamp(out) if old is ... else old
    if old is None or not (answered_ids(out) if held is None else held):
        return None
    who, s, delete = _holders(out)
    if old.get("weights") != stamp["weights"]:
        same = str(old.get("model")) == stamp["model"]  # this folder: its weights changed, not another checkpoint
        since = ": its weights changed since (retrained or replaced in place)" if same else ""
        return (f"{who} hold{s} answers of other weights ({old.get('model')}{since}); they are resumed, not replaced: "
                f"{delete} or choose another --out")
    opts = old.get("options")
    given = {**ANSWERED_BEFORE, **(opts if isinstance(opts, dict) else {})}  # an older stamp's: float32's answers
    changed = [f"--{k.replace('_', '-')} {given.get(k)} → {v}" for k, v in stamp["options"].items() if given.get(k) != v]
    if changed:
        return (f"{who} hold{s} answers given with other options ({'; '.join(changed)}): {delete} or choose "
                "another --out")
    return None


def merge_answers(records: list[dict], n: int, out: Path, world: int, root: Path, retry_all: bool = False) -> bool:
    """Write ``out`` anew from itself and every rank part beside it, one row per record of
    ``records`` (the whole --data file, in its order) that has one, once each of the first ``n``
    (this run's) has its answer; False, writing nothing, while one lacks it (its rank is still
    answering: the last to finish merges). A record's row is an answer from its rank's part of
    ``world``, else from ``out`` or another part (never one ``is_stale``, one without an ``asked_digest`` included:
    a record asked again for want of one that then failed has its error row); else an error row whose inputs are unchanged
    (``inputs_digest``; with ``retry_all``, from its rank's part only: the others are those answered
    again). A parts-based check, not a marker file: a marker would be stale from an earlier run. Two
    ranks finishing together both write the same rows, each through its own file and a rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:  # each file read through one handle: a rank's rename leaves it as read
        handles = {f: stack.enter_context(fh) for f in answer_files(out) if (fh := _opened(f))}
        return replace_lines(out, _merged(records, n, out, world, root, retry_all, handles))


def _opened(path: Path):
    """``path`` open to read bytes; None where it is gone (an empty part its rank just removed)."""
    with contextlib.suppress(FileNotFoundError):
        return path.open("rb")


def _row_at(fh, place, rid: str) -> dict | None:
    """The row of ``rid`` read again at ``place``; None where it is gone since (a cut last line truncated by a rank
    starting, and maybe another row appended in its place)."""
    with contextlib.suppress(ValueError, IndexError):
        row = answer_row(line_at(fh, place))
        return row if isinstance(row, dict) and row.get("id") == rid else None
    return None


def _merged(records: list[dict], n: int, out: Path, world: int, root: Path, retry_all: bool, handles: dict):
    """``merge_answers``' lines, one at a time, then None where one of the first ``n`` records has no row to give.
    Each file's ids of ``records`` are held with where their rows are, not the rows (a later line of a file wins)."""
    places, ids = {f: {} for f in handles}, {r["id"]: r["id"] for r in records}  # the records' id strings, shared
    for f, fh in handles.items():
        for place, line in placed_lines(fh):
            with contextlib.suppress(ValueError):
                if isinstance(row := answer_row(line), dict) and isinstance(rid := row.get("id"), str) and rid in ids:
                    places[f][ids[rid]] = place
    seen = set()
    for i, rec in enumerate(records):
        if (rid := rec["id"]) in seen:
            continue
        seen.add(rid)
        owner = part_path(out, i % world, world) if i < n else None
        got = [(f, row) for f in sorted(handles, key=lambda f: f != owner)
               if rid in places[f] and (row := _row_at(handles[f], places[f][rid], rid)) is not None]
        row = next((r for _, r in got if "error" not in r and not is_stale(r, rec)), None)
        if row is None and got:
            now = inputs_digest(rec, root)
            row = next((r for f, r in got if r.get("inputs_digest") == now and (f == owner or not retry_all)),
                       None if i < n else got[0][1])  # past --limit: as it is
        if row is None and i < n:
            yield None
            return
        if row is not None:
            yield json.dumps(row) + "\n"
    for fh in handles.values():  # before merge_answers' rename over out: Windows refuses one over an open file
        fh.close()
