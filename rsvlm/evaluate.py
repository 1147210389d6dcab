"""``rsvlm eval``: answer every record of a test JSONL and write DESIGN.md's predictions file.

The prompt is the record's conversation up to its last assistant turn (earlier answers are the
reference's, as in teacher forcing), so multi-turn records are scored on their final turn.
Resumable: ids already in ``--out`` are skipped (but those whose record asks otherwise since: its
row's ``"asked_digest"``; and those whose rows lack one, an older rsvlm eval's or another tool's, which
cannot be checked so: ``predictions.is_stale``), when ``OUT.run.json`` (written beside it) shows
the same weights and answer options (``run_stamp``); a file without one is resumed as it is,
with a warning. Under torchrun / accelerate (``RANK`` and ``WORLD_SIZE`` set) each process
answers every WORLD_SIZE-th record into ``OUT.rankR``; the processes meet at the end through the
launcher's rendezvous and rank 0 merges the parts into ``OUT`` in record order (without one, the
last process to finish merges: ``launcher_sync``). Whatever the process count, an answer in
``OUT`` or in any ``OUT.rankR`` beside it (an earlier run's, on another count) counts as done, and the merge keeps
it; a single process merges such parts into ``OUT`` too.

An image that cannot be read, or a prompt past the LLM's context, becomes an empty answer with an
``"error"`` field: it counts as wrong in scoring, and is reported, never skipped. The row also
carries ``"inputs_digest"`` (``inputs_digest``: the record and its image files' sizes and times);
resuming answers such a record again only when that has changed (an image since fixed), as the
same model and options would fail the same way again.

An answer the token limit (``--max-new-tokens``) stopped short carries ``"cut": true`` (under the
grammar such an answer reads as a whole one: a detection missing its later objects), and one whose
prompt and answer ran past the LLM's context ``"past_context": true`` (its end is unreliable); the
run counts each on stderr at the end. With ``--tta``, a fused answer is cut, or past the context,
where any answer fused into it was; a record whose view prompt the model refuses keeps its plain
answer with a ``"note"``, and one whose view answers were left out of the fusion says which in ``"tta_note"`` (counted at the end).

``det`` records whose answer decodes without a problem also get ``"objects"``: the decoded
objects in pixels (``meta.width``/``meta.height``) with the model's confidence in each as
``"score"`` (``rsvlm.model.grammar.shape_scores``), which detection AP ranks by (DESIGN.md,
predictions file). Without them every detection scores 1.0 and ranks in answer order. A record that
does not name an image's modality gets ``"modalities"`` (an error row too, where its images were read):
those reading inferred, which the scorers table it by (``eval.answers.modality``) and the prompt names.

One batch answered into rows (prompts, tags, scored objects, error rows) is ``rsvlm.eval_answers`` (importable here).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from rsvlm import inference as inf
from rsvlm import out_paths
from rsvlm.answering import context_cap
from rsvlm.closed_pipes import readers_may_close
from rsvlm.data.overlap import overlap_report
from rsvlm.data.records import ReadReport, RecordError, check_records_path, load_records
from rsvlm.eval_answers import (  # noqa: F401  (rsvlm.evaluate.NAME, as before the move; tests patch answer_batch here)
    answer_batch,
    grammar_problem,
    prompt_of,
    put_answer,
    scored_objects,
    tagged_record,
    term_as_interrupt,
)
from rsvlm.eval_out import OutRows, answered_already, kept_note, needs_stale, read_answers, stopped_run
from rsvlm.eval_reading import ReadNotes, predictions_given, record_images, record_warnings, undigested  # noqa: F401  (record_images: as before)
from rsvlm.loading import pick_device, resolved_dtype_name
from rsvlm.predictions import (  # noqa: F401  (inputs_digest: rsvlm.evaluate.inputs_digest, as before)
    answer_files,
    asked_digest,
    check_out,
    check_stamp,
    drop_cut_line,
    dropped_note,
    failure_lines,
    inputs_digest,
    less_unchecked,
    merge_answers,
    part_path,
    read_stamp,
    unstamped_answers,
)
from rsvlm.processes import Terminated, launcher_sync, process_rank, rank_device
from rsvlm.progress import counted
from rsvlm.run_stamp import run_stamp, stamp_path
from rsvlm.temp_files import replace_text, sweep_temps
from rsvlm.tokens import TASKS, task_tag
from rsvlm.tta import MODES, FuseConfig
from rsvlm.tta_text import views_left_out


def run(model, processor, data: Path, out: Path, batch_size: int = 8, max_new_tokens: int = 256,
        limit: int | None = None, rank: int = 0, world: int = 1, progress: bool = True,
        constrain: bool = True, tta: FuseConfig | None = None, min_objects: int = 0,
        by_class: bool = False, retry_errors: bool = False, image_root: Path | None = None,
        sync: Callable[[object], list] | None = None, loaded: tuple[list[dict], ReadReport] | None = None,
        answered: OutRows | None = None) -> Path:
    """Write predictions for ``data`` to ``out`` (this rank's share to ``out.rankR`` when world > 1),
    answering the records that ``out`` and its rank parts, of any process count, do not answer yet
    (``resume_state``); returns the file written last: ``out``, or with world > 1 this rank's part
    while another rank is still answering (``merge_answers``). ``sync`` (``launcher_sync``: every
    rank's value, once every rank has given one) makes the ranks wait for each other, and rank 0
    merges; without it the last to finish does, as it finds every share answered (with
    ``retry_errors`` one can also merge early, on another's old error rows, before that rank retries
    them: the last merges again). A rank without records writes no part. Relative image paths are
    read against ``image_root``, by default ``data``'s folder. ``loaded``: ``data`` as
    ``load_records(data, strict=False, need_answer=False)`` gave it, where the caller read it already. ``answered``
    (answering in place): ``out``'s rows as read (``eval_out.OutRows``), kept up with those dropped and written."""
    from rsvlm.eval_out import appends_kept, row_line, tallied, told_lines
    from rsvlm.progress import bar as progress_bar

    root = Path(image_root) if image_root is not None else data.parent
    if swept := sweep_temps(out):  # a run killed mid-merge, or mid-rewrite of a part
        print(f"rsvlm eval: {swept}", file=sys.stderr)
    records, report = loaded or load_records(data, strict=False, need_answer=False)  # a blind test set is answered
    if report.notable:
        print(f"rsvlm eval: {report.summary()}", file=sys.stderr)
        for example in report.examples[:3]:  # which lines, and why
            print(f"  {example}", file=sys.stderr)
    if report.duplicates:  # answered, but the scorers refuse such a ground truth: say so before the long run
        print("rsvlm eval: predictions are matched to records by id, and python -m eval.* refuses a ground truth "
              "whose ids repeat: give each record its own id to score it", file=sys.stderr)
    # as asked (tags written as the model learnt them): a row's asked_digest is of that, so a row of a run that
    # asked "[GROUND]The ship" as written (before tags were put so) is an answer to another question: asked again
    records = [tagged_record(r)[0] for r in records]
    every, records = records, records[:limit] if limit else records
    for line in record_warnings(records) if rank == 0 else []:  # said before the long run
        print(f"rsvlm eval: {line}", file=sys.stderr)
    mine = records[rank::world]
    part = part_path(out, rank, world)
    tracked = answered if answered is not None else OutRows(set())  # a stand-in: a part, or no kept_note
    tracked.watch(part)  # appended to by another process since it was read: kept_note reads it again
    if (cut := drop_cut_line(part)) is not None:  # went unsaid: a line of the file gone
        print(f"rsvlm eval: {part}'s last line was cut short (a killed run's: {cut[:60]!r}): dropped, its record is "
              "answered again", file=sys.stderr)
    # answers in OUT or in any rank's part count, whatever process count wrote them
    done, errors = appends_kept(part, [f for f in answer_files(out) if f != part], {r["id"]: r for r in mine}, root,
                                retry_errors, tracked)  # resume_state; another process's lines lost in its rewrite: put back
    if bare := errors.unvouched:  # an answer to what? Its question may have changed since, as asked_digest would tell
        print(f"rsvlm eval: {counted(len(bare), 'record', 'was/were')} answered without an \"asked_digest\" (by an older rsvlm eval, "
              f"or another tool; first: {bare[0]}): what {'it was' if len(bare) == 1 else 'they were'} asked cannot be checked against what {'it asks' if len(bare) == 1 else 'they ask'} now, "
              f"so {'it is' if len(bare) == 1 else 'they are'} answered again", file=sys.stderr)
    if n_retry := errors.n_changed + errors.n_undigested + errors.n_forced:
        why = ", ".join(w for n, w in [(errors.n_changed, f"{errors.n_changed} whose record or image files changed"),
                                       (errors.n_undigested, f"{errors.n_undigested} of an older rsvlm eval"),
                                       (errors.n_forced, f"{errors.n_forced} unchanged, as --retry-errors asks")] if n)
        print(f"rsvlm eval: {counted(n_retry, 'record')} answered empty with an error last time {'is' if n_retry == 1 else 'are'} answered again ({why})",
              file=sys.stderr)
    if note := dropped_note(part, errors):  # the messages count records: a repeated id's line went unsaid
        print(f"rsvlm eval: {note}", file=sys.stderr)
    if again := errors.asked_again:
        print(f"rsvlm eval: {counted(len(again), 'record', 'asks/ask')} otherwise than when answered ({'its' if len(again) == 1 else 'their'} "
              f"question or images changed since; first: {again[0]}): answered again", file=sys.stderr)
    if errors.kept:
        first, one = errors.kept[0], len(errors.kept) == 1  # 'their files', 'fix them' were said of one record too
        print(f"rsvlm eval: {counted(len(errors.kept), 'record')} answered empty with an error last time {'is' if one else 'are'} not answered "
              f"again: {'its' if one else 'their'} record and image files are as they were, so {'it' if one else 'they'} would fail again "
              f"(first: {first['id']}: {first['error'][:200]}); fix {'it' if one else 'them'}, or give --retry-errors, to have "
              f"{'it' if one else 'them'} answered again", file=sys.stderr)
    todo = [r for r in mine if r["id"] not in done]
    tracked.redo((r["id"] for r in todo), part)  # their rows dropped (resume_state), their new ones added as written
    if kept := len(mine) - len(todo):  # a resumed run said only "wrote OUT"; its bar alone started past 0
        print(f"rsvlm eval: resuming {out}: {kept} of the {counted(len(mine), 'record')}{' of this rank' * (world > 1)} "
              f"{'was' if kept == 1 else 'were'} answered by an earlier run and {'is' if kept == 1 else 'are'} kept; {len(todo)} to answer", file=sys.stderr)
    n_cut, n_past, n_noted, n_unfused, rows_failed, read_notes, malformed = 0, 0, 0, 0, [], ReadNotes(), []
    # rows said at the end by a field: asked no --tta view, not asked some, --det-by-class classes said in words
    told: dict[str, list] = {key: [0, None]  # [count, first]
                             for key in ("tta_skipped", "tta_unasked", "tta_voted_out", "worded", "not_finite")}
    untagged: dict[str, str] = {}  # record id -> the bracketed word opening a turn of it that is no task tag
    if todo:
        part.parent.mkdir(parents=True, exist_ok=True)
    elif world > 1 and part.is_file() and part.stat().st_size == 0:
        part.unlink()  # an empty part (a rank without records, or nothing left to answer) is clutter only
    writing = part.open("a") if todo else contextlib.nullcontext()
    # SIGTERM (a scheduler's time limit) ended the run without a word; while answering only: a rank waiting in
    # launcher_sync's C barrier would not run the handler, and is killed as before; tallied: how far, said on a stop
    with term_as_interrupt(), tallied(kept, len(mine)) as tally, writing as f, progress_bar(
            total=len(mine), initial=kept, unit="record", desc=f"eval {data.name}" + (f" [rank {rank}]" if world > 1 else ""),
            disable=not progress or not todo) as bar:  # not an empty one
        for i in range(0, len(todo), batch_size):
            batch = todo[i : i + batch_size]
            for record, row in zip(batch, answer_batch(model, processor, batch, root, max_new_tokens, constrain, tta,
                                                       min_objects, by_class, notes=read_notes,
                                                       untagged=untagged)):
                row["asked_digest"] = asked_digest(record)  # a rerun answers it again if the question changes
                line = row_line(row)  # a NaN written null, said in row["not_finite"] (was a line no reader took)
                if "error" in row:
                    rows_failed.append(row)
                n_cut += bool(row.get("cut"))
                n_past += bool(row.get("past_context"))
                n_noted += "note" in row
                n_unfused += views_left_out(row.get("tta_note"), row.get("tta_left_out"))  # not repaired shapes alone
                for key, seen in told.items():  # a count and the first row: not every row of the run held
                    if key in row:
                        seen[0], seen[1] = seen[0] + 1, seen[1] or row
                if problem := grammar_problem(row["answer"]):
                    malformed.append((row["id"], problem))
                f.write(line)
                f.flush()
                tally["wrote"] += 1
                tracked.add(row, len(line.encode()))
            bar.update(len(batch))
    tracked.watch(part)
    if untagged:  # asked as written: said once, not lost in the answers
        rid, tag = next(iter(untagged.items()))
        print(f"rsvlm eval: note: {len(untagged)} of the {counted(len(todo), 'record')} of this run {'opens' if len(untagged) == 1 else 'open'} a question with a "
              f"bracketed word that is no task tag (first: {rid}: {tag}): asked as written, which the model reads as "
              f"plain text; the tags are {' '.join(map(task_tag, TASKS))} (python -m data_gen convert llava "
              "rewrites GeoChat's own, such as [refer])", file=sys.stderr)
    if said := read_notes.summary(len(todo)):  # a note a record at a time would bury the run's other messages
        print(f"rsvlm eval: {said}", file=sys.stderr)
    filling = getattr(processor, "missing_bands", "error") != "error"
    for line in failure_lines(rows_failed, errors, mine, out, root, filling, image_root is not None, len(todo)):
        print(f"rsvlm eval: {line}", file=sys.stderr)
    if n_cut:  # under the grammar a cut answer reads as a whole one: scored as if it were
        what = f"{n_cut} of the {counted(len(todo), 'answer')} of this run"
        print(f"rsvlm eval: note: {inf.cut_note(max_new_tokens, what, many=n_cut > 1, tta=tta is not None)} (another --out, as answers are "
              f"resumed, not replaced); {'it is' if n_cut == 1 else 'they are'} marked \"cut\": true in {part}", file=sys.stderr)
    if n_past:  # generate's warning a batch at a time named no record
        print(f"rsvlm eval: warning: {inf.context_note(n_past, len(todo), inf.context_of(model))}; {'it is' if n_past == 1 else 'they are'} "
              f"marked \"past_context\": true in {part}", file=sys.stderr)
    if malformed:  # --free-decoding, or a model the grammar cannot hold: the scorers count them, found late
        how = " (decoded freely: --free-decoding)" if not constrain else ""
        print(f"rsvlm eval: note: {len(malformed)} of the {counted(len(todo), 'answer')} of this run {'holds' if len(malformed) == 1 else 'hold'} geometry that does not "
              f"follow the grammar{how} (first: {malformed[0][0]}: {malformed[0][1][:200]}); the scorers score what "
              "can be read of each and count the rest as unparseable", file=sys.stderr)
    if n_noted:
        print(f"rsvlm eval: note: {counted(n_noted, 'record', 'keeps its/keep their')} plain answer, not fused over the --tta views: a "
              f"view's prompt was refused (see 'note' in {part})", file=sys.stderr)
    for line in told_lines(told, len(todo), part):  # --tta's and --det-by-class's, a count and the first row each
        print(f"rsvlm eval: note: {line}", file=sys.stderr)
    if n_unfused:
        print(f"rsvlm eval: note: {counted(n_unfused, 'record')} had view answers left out of {'its' if n_unfused == 1 else 'their'} --tta fusion (empty, "
              f"unparseable, or not of the fused kind; which and why: 'tta_note' in {part})", file=sys.stderr)
    unmerged = f"the rank parts beside {out} are not merged into it: a record's inputs changed during the run; run again"
    if sync is not None and world > 1:  # every part is written once all ranks get here: rank 0 merges
        if progress:  # a rank done first may wait for hours: not silently
            print(f"rsvlm eval: rank {rank} done; waiting for the other processes before rank 0 merges into {out}",
                  file=sys.stderr)
        wrote = sync(part.is_file())  # each rank's part as that rank sees it
        # processes on several machines, each writing --out on a disk of its own (/tmp): rank 0 sees only its part
        unseen = [r for r, w in enumerate(wrote) if w and not part_path(out, r, world).is_file()] if rank == 0 else []
        if unseen:
            print(f"rsvlm eval: the {'part of rank' if len(unseen) == 1 else 'parts of ranks'} {', '.join(map(str, unseen))} {'is' if len(unseen) == 1 else 'are'} not in {out.parent} where rank 0 "
                  "runs: processes on several machines need --out in a folder they share; copy every "
                  f"{out.name}.rankR beside {out} and run rsvlm eval again (one process) to merge them", file=sys.stderr)
        merged = sync(rank == 0 and not unseen and merge_answers(every, len(records), out, world, root,
                                                                 retry_errors))[0]
        if not merged and rank == 0 and not unseen:  # its record is answered next time
            print(f"rsvlm eval: {unmerged}", file=sys.stderr)
        return out if merged else part
    if world == 1 and all(f == out for f in answer_files(out)):
        return out  # answered in place: nothing to merge
    merged = merge_answers(every, len(records), out, world, root, retry_errors)
    if world == 1 and not merged:  # an image changed during the run: its record is answered next time
        print(f"rsvlm eval: {unmerged}", file=sys.stderr)
    return out if merged or world == 1 else part


def main(args) -> int:
    """``rsvlm eval``; a reader of its output gone (``… 2>&1 | head -1``) ended the run at its next line with status 0:
    the answers and ``--out`` are written whatever reads the messages (``readers_may_close``), and the stream still read
    says which lost its reader (``say_lost``), as train and merge-lora say it. A Ctrl-C before any answer: one line."""
    with readers_may_close("rsvlm eval") as closed:  # a failed run said so, not gone on to its end
        try:
            return closed.ended(_main(args))
        except KeyboardInterrupt:  # reading the inputs, loading the model: was cli's bare "stopped (Ctrl-C)"
            if getattr(args, "answering", False):  # run's own line said what it kept (a second Ctrl-C): cli's
                raise
            from rsvlm.eval_out import unanswered_note
            print(f"rsvlm eval: {unanswered_note(Path(args.out))}", file=sys.stderr)
            return closed.ended(130)


def _main(args) -> int:
    try:
        rank, world = process_rank()
    except ValueError as e:
        print(f"rsvlm eval: {e}", file=sys.stderr)
        return 2
    device = args.device
    if device is None and world > 1:
        try:
            device = rank_device(rank)
        except ValueError as e:
            print(f"rsvlm eval: {e}", file=sys.stderr)
            return 2
    if args.data == "-":  # was "records file not found: -"
        print("rsvlm eval: --data -: records are not read from stdin: they are read more than once and their images "
              "found beside them; save them to a file first (… > records.jsonl) and give that", file=sys.stderr)
        return 2
    from rsvlm.eval_reading import image_root_problem, long_name, past_the_records, stamped_limit

    err = long_name("data", args.data)  # was a traceback, "[Errno 36] File name too long"
    try:  # before a model that may take minutes to load
        err = err or check_records_path(args.data) or image_root_problem(args.image_root)
    except FileNotFoundError as e:  # missing, or a folder (its JSONL files named)
        err = str(e)
    if err:
        print(f"rsvlm eval: {err}", file=sys.stderr)
        return 2
    # a FIFO: resuming read it, and hung; /dev/stdout is one, or (`> log`) a file, beside which OUT.run.json went into /dev
    if out_paths.in_place(out := Path(args.out)):
        print(f"rsvlm eval: --out {args.out} is no regular file (a pipe or device, a name under /dev or /proc such as "
              f"/dev/stdout): rsvlm eval reads its --out back to resume and writes {out.name}.run.json beside it; give "
              "a file and read that", file=sys.stderr)
        return 2
    try:  # read once: for check_out, the overlap check and the run
        loaded = load_records(Path(args.data), strict=False, need_answer=False)
    except RecordError as e:  # a whole-file fault: a cut JSON array, not UTF-8
        print(f"rsvlm eval: {e}", file=sys.stderr)
        return 2
    old = read_stamp(out)  # once: for the stale answers, the stamp's limit and its check
    args.limit = past_the_records(args.limit, len(loaded[0]), rank)  # past --data's records: all of them, said once
    asked = loaded[0][:args.limit] if args.limit else loaded[0]  # the records as answered, past --limit none
    reads = []  # --out and its parts read once (check_out's read), for the stamp, the stale answers and the resume

    def read(path: Path):
        reads.append(read_answers(path, {r["id"]: tagged_record(r)[0] for r in asked} if needs_stale(old) else None,
                                  {r["id"] for r in asked}))  # and --out's rows of them, for kept_note
        return reads[-1]

    # --data of predictions said as such (was each line's "conversations: missing"); --out as typed: a Path drops
    # the '/' of --out preds/
    try:  # a rank part beside --out that is no UTF-8 text (its path and byte said): was a traceback
        err = (not loaded[0] and predictions_given(Path(args.data))) or check_out(Path(args.data), args.out, loaded, read)
    except UnicodeDecodeError as e:
        err = f"--out {args.out}: a rank part beside it is no UTF-8 text ({e.reason}): move it away or choose another --out"
    if err:
        print(f"rsvlm eval: {err}", file=sys.stderr)
        return 2
    try:
        model_dir = inf.resolve_model_dir(args.model)
        # auto resolved here (float32 on a CPU, the checkpoint's own on a GPU): stamped, and what the model loads in
        args.dtype = resolved_dtype_name(args.dtype, pick_device(device), model_dir)
        held = reads[0] if reads else read(out)  # check_out's pass (it reads --out, a file or not, once it passes)
        stamp = {**run_stamp(model_dir, args), "limit": stamped_limit(old, args.limit, [r["id"] for r in loaded[0]], held.ids)}
    except (FileNotFoundError, ValueError) as e:  # --model, --device
        print(f"rsvlm eval: {e}", file=sys.stderr)
        return 2
    if err := check_stamp(Path(args.out), stamp, held.ids, old):
        print(f"rsvlm eval: {err}", file=sys.stderr)
        return 2
    stamp, warning = unstamped_answers(Path(args.out), stamp, held.ids, old, held.n_rows)
    # answered again (run), this run's count or one an older rsvlm eval's stamp carries: no longer unchecked
    if "unchecked_answers" in stamp and held.stale:
        stamp, warning = less_unchecked(stamp, warning, len(held.stale))
    # blind records too (the file read again skipped those: a blind set was never compared); was counted over the
    # whole file, records --limit leaves unanswered too
    if rank == 0 and (note := overlap_report(model_dir, asked, args.image_root or Path(args.data).parent)):
        print(f"rsvlm eval: warning: {note}", file=sys.stderr)  # scores that are not held-out ones
    try:  # joined before the model loads: a launch that cannot meet is told so before the long run
        sync = launcher_sync(world)
    except (RuntimeError, ValueError) as e:  # as before there was a rendezvous: the last rank to finish merges
        sync = None
        print(f"rsvlm eval: warning: cannot meet the other processes at {os.environ.get('MASTER_ADDR')}:"
              f"{os.environ.get('MASTER_PORT')} ({str(e).splitlines()[0][:200]}); rank {rank} of {world} answers its "
              "share alone, and the last rank to finish merges the shares", file=sys.stderr)
    # said by the rank that writes the stamp (_answer): rank 0, or without a rendezvous any that finds none yet
    if warning and (rank == 0 or sync is None and not stamp_path(Path(args.out)).is_file()):
        print(f"rsvlm eval: warning: {warning}", file=sys.stderr)
    try:
        return _answer(args, rank, world, device, model_dir, stamp, sync, loaded, held.ids, held.rows)
    finally:
        if sync is not None:
            import torch.distributed as dist

            dist.destroy_process_group()


def _answer(args, rank: int, world: int, device: str | None, model_dir: Path, stamp: dict,
            sync: Callable[[object], list] | None, loaded: tuple[list[dict], ReadReport], held: set[str] | None = None,
            rows=None) -> int:
    """``main`` once the inputs are checked: load the model (not where this rank has nothing left to answer),
    answer, merge. ``held``: the ids answered in --out and its parts, and ``rows``, --out's rows of the records asked
    (``kept_note``'s ``eval_out.OutRows``), read already (``eval_out.read_answers``)."""
    # a rerun of a finished run (one process, no part to merge): was minutes loading a 7B model, then "wrote OUT"
    in_place = world == 1 and all(f == Path(args.out) for f in answer_files(Path(args.out)))  # a fresh --out too
    unchanged = in_place and Path(args.out).is_file()
    if answered_already(args, rank, world, loaded, held):
        model, processor = None, SimpleNamespace(missing_bands=args.missing_bands)  # what run reads of it then
    else:
        unchanged = False
        try:
            model, processor = inf.load_model(args.model, device, args.load_4bit, args.load_8bit, args.dtype)
        except (FileNotFoundError, ValueError) as e:
            print(f"rsvlm eval: {e}", file=sys.stderr)
            return 2
        processor.missing_bands = args.missing_bands
        args.max_new_tokens, capped = context_cap(model, args.max_new_tokens, "each record's prompt")
        # 100000 on a 512-token LLM generated on for minutes a record; said once, by the first rank that loads the
        # model (rank 0, or the first whose share is not answered yet: a rank 0 with nothing left loads none, and no
        # rank said it)
        if capped and all(answered_already(args, r, world, loaded, held) for r in range(rank)):
            print(f"rsvlm eval: note: {capped}", file=sys.stderr)
    if model is not None and args.det_by_class and (err := inf.no_det_classes(processor, args.model)):
        print(f"rsvlm eval: {err}", file=sys.stderr)
        return 2
    side = stamp_path(Path(args.out))
    # what the answers came from, checked when the file is resumed; any rank that finds none writes it before it
    # answers: a rank 0 started after the others (no rendezvous) counted their fresh answers as unchecked ones; and
    # one a stopped run marked (no rendezvous: a rank rerun alone finished the run, its stamp still 'stopped')
    if rank == 0 or not side.is_file() or sync is None and "stopped" in (read_stamp(Path(args.out)) or {}):
        side.parent.mkdir(parents=True, exist_ok=True)
        replace_text(side, json.dumps(stamp, indent=1) + "\n")
    import torch

    try:
        args.answering = True  # a Ctrl-C from here on is not one before any answer (main)
        out = run(model, processor, Path(args.data), Path(args.out), args.batch_size, args.max_new_tokens,
                  args.limit, rank, world, constrain=not args.free_decoding,
                  tta=FuseConfig(views=MODES[args.tta]) if args.tta != "none" else None,
                  min_objects=args.min_objects, by_class=args.det_by_class, retry_errors=args.retry_errors,
                  image_root=Path(args.image_root) if args.image_root else None, sync=sync, loaded=loaded,
                  answered=rows if in_place else None)
    except (torch.OutOfMemoryError, KeyboardInterrupt, Terminated) as e:  # Ctrl-C, SIGTERM (term_as_interrupt) hours in
        return stopped_run(e, Path(args.out), rank, world, stamp, args.batch_size)  # the stamp's --limit unmet: said
    if out == Path(args.out):  # a resumed run's "wrote OUT" lost its cut answers' note; and ids repeated (OutRows)
        print(kept_note(out, [r["id"] for r in loaded[0][:args.limit or None]], unchanged, rows) if in_place
              else f"wrote {out}")
        return 0
    # a rank of more than there are records writes no part: was "wrote OUT.rankR", a file never made
    share = f"wrote {out} (rank {rank}'s share)" if out.exists() else f"rank {rank} had no record left to answer"
    if sync is not None:
        print(f"{share}; not merged into {args.out}: see rank 0's message")
    else:  # rank 0 said "wrote OUT" while OUT did not exist yet
        print(f"{share}; the last rank to finish merges the shares into {args.out}")
    return 0
