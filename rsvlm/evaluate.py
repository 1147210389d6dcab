"""``rsvlm eval``: answer every record of a test JSONL and write DESIGN.md's predictions file.

The prompt is the record's conversation up to its last assistant turn (earlier answers are the
reference's, as in teacher forcing), so multi-turn records are scored on their final turn.
Resumable: ids already in ``--out`` are skipped, when ``OUT.run.json`` (written beside it) shows
the same weights and answer options (``run_stamp``); a file without one is resumed as it is,
with a warning. Under torchrun / accelerate (``RANK`` and ``WORLD_SIZE`` set) each process
answers every WORLD_SIZE-th record into ``OUT.rankR``; the last process to finish merges the
parts into ``OUT`` in record order. Whatever the process count, an answer in ``OUT`` or in any
``OUT.rankR`` beside it (an earlier run's, on another count) counts as done, and the merge keeps
it; a single process merges such parts into ``OUT`` too.

An image that cannot be read, or a prompt past the LLM's context, becomes an empty answer with an
``"error"`` field: it counts as wrong in scoring, and is reported, never skipped. The row also
carries ``"inputs_digest"`` (``inputs_digest``: the record and its image files' sizes and times);
resuming answers such a record again only when that has changed (an image since fixed), as the
same model and options would fail the same way again.

An answer the token limit (``--max-new-tokens``) stopped short carries ``"cut": true`` (under the
grammar such an answer reads as a whole one: a detection missing its later objects); the run
counts them on stderr at the end. With ``--tta``, a fused answer is cut where any answer fused
into it was; a record whose view prompt the model refuses keeps its plain answer with a ``"note"``.

``det`` records whose answer decodes without a problem also get ``"objects"``: the decoded
objects in pixels (``meta.width``/``meta.height``) with the model's confidence in each as
``"score"`` (``rsvlm.model.grammar.shape_scores``), which detection AP ranks by (DESIGN.md,
predictions file). Without them every detection scores 1.0 and ranks in answer order.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rsvlm import inference as inf
from rsvlm.data.conversation import PromptConfig, record_messages
from rsvlm.data.overlap import overlap_report
from rsvlm.data.records import load_records
from rsvlm.tta import MODES, FuseConfig, fused_answers


def part_path(out: Path, rank: int, world: int) -> Path:
    """The file rank ``rank`` of ``world`` processes appends its answers to: ``out`` itself on one
    process, else ``OUT.rankR``."""
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


def _rows(path: Path) -> list[dict]:
    """The rows of a predictions file that are JSON objects with an id; a line cut by a kill (or
    being written by another rank) is left out, so its record reads as unanswered."""
    rows = []
    for line in path.read_text().splitlines() if path.is_file() else []:
        with contextlib.suppress(json.JSONDecodeError):
            if isinstance(row := json.loads(line), dict) and isinstance(row.get("id"), str):
                rows.append(row)
    return rows


def _answered_ids(out: Path) -> set[str]:
    """Ids answered (an error row included) in ``out`` or any of its rank parts."""
    return {row["id"] for f in answer_files(out) for row in _rows(f)}


def _holders(out: Path) -> tuple[str, str, str]:
    """How messages name the files that hold ``out``'s answers: who, the verb's ending, what to delete
    to start afresh (the rank parts too, else a rerun resumes from them)."""
    if not (parts := [f.name for f in answer_files(out) if f != out]):
        return str(out), "s", "delete it"
    return f"{out} and its rank parts ({', '.join(parts)})", "", "delete them"


def _drop_cut_line(path: Path) -> None:
    """Cut a last line without its newline (a run killed mid-write) off ``path``: the next answer
    appended would be glued to it and lost as one unreadable line. Its record is answered again."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)


def inputs_digest(record: dict, root: Path) -> str:
    """What a failed answer depended on besides the model and options (``run_stamp``): the record
    and its image files' sizes and modification times (a missing file as missing). Same digest,
    same failure: an unreadable image, a prompt past the context."""
    from rsvlm.data.records import image_paths

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


def sort_error_rows(path: Path, records: dict[str, dict], root: Path, retry_all: bool = False) -> ErrorRows:
    """Remove from ``path`` the rows answered empty with an ``"error"`` whose record (in ``records``,
    by id) or image files changed since, or that carry no ``inputs_digest``, so that resuming answers
    them again; the others stay (the same model and options would fail on them again) unless
    ``retry_all``."""
    return resume_state(path, [], records, root, retry_all)[1]


def resume_state(part: Path, others: list[Path], records: dict[str, dict], root: Path,
                 retry_all: bool = False) -> tuple[set[str], ErrorRows]:
    """The ids of ``records`` (by id) already answered in ``part`` (the file this run appends to) or
    ``others`` (only read), and their error rows sorted. A record with an answer anywhere is done; one
    answered only empty with an ``"error"`` is done when such a row's inputs are unchanged (it would
    fail again; not with ``retry_all``), else answered again, and ``part`` loses its error rows."""
    answered, failed = set(), {}
    for f in [part, *others]:
        for row in _rows(f):
            if row["id"] not in records:  # another rank's or past --limit: not this run's to judge
                continue
            if "error" in row:
                failed.setdefault(row["id"], []).append(row)
            else:
                answered.add(row["id"])
    errors, done, digests = ErrorRows(), set(answered), {}
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
    again = set(failed) - done
    if again and part.is_file():
        lines = part.read_text().splitlines(keepends=True)
        keep = [line for line in lines if not _is_error_of(line, again)]
        if len(keep) < len(lines):  # through a rename: another rank may be reading the file
            tmp = part.with_name(f"{part.name}.tmp{os.getpid()}")
            tmp.write_text("".join(keep))
            os.replace(tmp, part)
    return done, errors


def _is_error_of(line: str, ids: set[str]) -> bool:
    with contextlib.suppress(json.JSONDecodeError):
        return isinstance(row := json.loads(line), dict) and "error" in row and row.get("id") in ids
    return False


def _holds_records(path: Path) -> bool:
    """Whether a line of ``path`` is an instruction record (has ``conversations``)."""
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            if isinstance(row := json.loads(line), dict) and "conversations" in row:
                return True
    return False


def prompt_of(record: dict, prompt: PromptConfig | None = None) -> list[dict]:
    """Messages up to (not including) the last assistant turn, written as ``prompt`` (the model's)."""
    msgs = record_messages(record, prompt or PromptConfig())
    last = max(i for i, m in enumerate(msgs) if m["role"] == "assistant")
    return msgs[:last]


def answer_batch(model, processor, records: list[dict], root: Path, max_new_tokens: int,
                 constrain: bool = True, tta: FuseConfig | None = None, min_objects: int = 0,
                 by_class: bool = False) -> list[dict]:
    """Rows of the predictions file for ``records``; with ``tta``, each answer that is shapes only or
    short text is fused over the views of ``tta.views`` (``rsvlm.tta``), one more generation per view.
    A row has ``"cut": true`` where the token limit stopped its answer (or one fused into it), and a
    ``"note"`` where a view of its record was refused (its plain answer kept).
    ``min_objects``, ``by_class``: see ``inference.generate_answers``."""
    rows, ok, msgs, images = [], [], [], []
    for r in records:
        row = {"id": r["id"], "task": r["task"], "answer": ""}
        try:
            imgs = inf.record_inputs(r, root)
            for im in imgs:  # bands the model cannot take fail this record here, not the batch later
                processor.band_notes(im)
            m = prompt_of(r, processor.prompt)
            # a prompt past the context fails this record here: in the batch it failed every record of it
            if problem := inf.prompt_problem(model, processor, m, imgs, by_class):
                raise ValueError(problem)
        except (FileNotFoundError, ValueError) as e:
            row["error"], row["inputs_digest"] = str(e), inputs_digest(r, root)
        else:
            ok.append(len(rows))
            msgs.append(m)
            images.append(imgs)
        rows.append(row)
    if not ok:
        return rows

    generate = inf.answerer(model, processor, max_new_tokens, constrain, min_objects, by_class)
    try:
        answers = generate(msgs, images)
    except ValueError:  # one record the checks above missed fails its batch: each record alone, failures named
        answers = []
        for k, m, im in zip(ok, msgs, images):
            try:
                answers.append(generate([m], [im])[0])
            except ValueError as e:
                rows[k]["error"], rows[k]["inputs_digest"] = str(e), inputs_digest(records[k], root)
                answers.append(None)
        keep = [j for j, a in enumerate(answers) if a is not None]
        ok, msgs, images, answers = ([xs[j] for j in keep] for xs in (ok, msgs, images, answers))
    for k, answer in zip(ok, answers):
        text, scores = answer
        rows[k]["answer"] = text
        if inf.is_cut(answer):
            rows[k]["cut"] = True
        if records[k]["task"] == "det":
            rows[k].update(scored_objects(text, scores, records[k]))
    if tta is None:
        return rows
    refused: dict[int, str] = {}
    for j, (k, fused) in enumerate(zip(ok, fused_answers(generate, msgs, images, answers, tta, refused))):
        if j in refused:
            rows[k]["note"] = refused[j]
        if fused is None:
            continue
        rows[k]["answer"] = fused.answer
        rows[k].pop("cut", None)
        if fused.cut:
            rows[k]["cut"] = True
        if records[k]["task"] == "det":
            rows[k].pop("objects", None)
            if fused.objects and all("score" in o for o in fused.objects):
                rows[k]["objects"] = fused.objects
    return rows


def scored_objects(answer: str, scores: list[float], record: dict) -> dict:
    """``{"objects": [...]}`` for a cleanly decoded answer with one score per object, else ``{}``."""
    from rsvlm import geometry

    meta = record.get("meta") or {}
    w, h = meta.get("width"), meta.get("height")
    if not all(isinstance(v, (int, float)) and v > 0 for v in (w, h)):
        return {}
    dec = geometry.decode(answer, int(w), int(h))
    if dec.problems or len(dec.objects) != len(scores):
        return {}
    return {"objects": inf.with_scores(dec.objects, scores, answer)}


def run(model, processor, data: Path, out: Path, batch_size: int = 8, max_new_tokens: int = 256,
        limit: int | None = None, rank: int = 0, world: int = 1, progress: bool = True,
        constrain: bool = True, tta: FuseConfig | None = None, min_objects: int = 0,
        by_class: bool = False, retry_errors: bool = False, image_root: Path | None = None) -> Path:
    """Write predictions for ``data`` to ``out`` (this rank's share to ``out.rankR`` when world > 1),
    answering the records that ``out`` and its rank parts, of any process count, do not answer yet
    (``resume_state``); returns the file written last: ``out``, or with world > 1 this rank's part
    while another rank is still answering (the last to finish merges: ``merge_answers``). Relative
    image paths are read against ``image_root``, by default ``data``'s folder."""
    from tqdm.auto import tqdm

    root = Path(image_root) if image_root is not None else data.parent
    records, report = load_records(data, strict=False)
    if report.notable:
        print(f"rsvlm eval: {report.summary()}", file=sys.stderr)
        for example in report.examples[:3]:  # which lines, and why
            print(f"  {example}", file=sys.stderr)
    if report.duplicates:  # answered, but the scorers refuse such a ground truth: say so before the long run
        print("rsvlm eval: predictions are matched to records by id, and python -m eval.* refuses a ground truth "
              "whose ids repeat: give each record its own id to score it", file=sys.stderr)
    every, records = records, records[:limit] if limit else records
    # answered with "task": null, which no scoring script takes: said before the long run
    if rank == 0 and (untasked := [r["id"] for r in records if r["task"] is None]):
        print(f"rsvlm eval: {len(untasked)} of {len(records)} record(s) have no task (no \"task\" field, and no task "
              f"tag such as [vqa] opening the question; first: {untasked[0]}): they are answered, but no python -m "
              "eval.TASK scores them; give each record its task", file=sys.stderr)
    mine = records[rank::world]
    part = part_path(out, rank, world)
    _drop_cut_line(part)
    # answers in OUT or in any rank's part count, whatever process count wrote them
    done, errors = resume_state(part, [f for f in answer_files(out) if f != part], {r["id"]: r for r in mine},
                                root, retry_errors)
    if n_retry := errors.n_changed + errors.n_undigested + errors.n_forced:
        why = ", ".join(w for n, w in [(errors.n_changed, f"{errors.n_changed} whose record or image files changed"),
                                       (errors.n_undigested, f"{errors.n_undigested} of an older rsvlm eval"),
                                       (errors.n_forced, f"{errors.n_forced} unchanged, as --retry-errors asks")] if n)
        print(f"rsvlm eval: {n_retry} record(s) answered empty with an error last time are answered again ({why})",
              file=sys.stderr)
    if errors.kept:
        first = errors.kept[0]
        print(f"rsvlm eval: {len(errors.kept)} record(s) answered empty with an error last time are not answered "
              f"again: their record and image files are as they were, so they would fail again (first: "
              f"{first['id']}: {first['error'][:200]}); fix them, or give --retry-errors, to have them "
              "answered again", file=sys.stderr)
    todo = [r for r in mine if r["id"] not in done]
    n_err, first_err, n_cut, n_noted = 0, None, 0, 0
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open("a") as f, tqdm(total=len(mine), initial=len(mine) - len(todo), unit="rec",
                                   desc=f"eval {data.name}" + (f" [rank {rank}]" if world > 1 else ""),
                                   disable=not progress) as bar:
        for i in range(0, len(todo), batch_size):
            for row in answer_batch(model, processor, todo[i : i + batch_size], root, max_new_tokens,
                                    constrain, tta, min_objects, by_class):
                if "error" in row:
                    n_err += 1
                    first_err = first_err or row
                n_cut += bool(row.get("cut"))
                n_noted += "note" in row
                f.write(json.dumps(row) + "\n")
                f.flush()
            bar.update(len(todo[i : i + batch_size]))
    if n_err or errors.kept:
        first = first_err or errors.kept[0]
        kept = f", {len(errors.kept)} of them from the last run" if errors.kept else ""
        print(f"rsvlm eval: {n_err + len(errors.kept)} of {len(mine)} record(s) with unreadable images, bands the "
              f"model cannot take or a prompt past the LLM's context answered empty (see 'error' in {out}{kept}; "
              f"first: {first['id']}: {first['error'][:200]})", file=sys.stderr)
        if hint := missing_images_hint(mine, root):
            print(f"rsvlm eval: {hint}", file=sys.stderr)
    if n_cut:  # under the grammar a cut answer reads as a whole one: scored as if it were
        what = f"{n_cut} of the {len(todo)} answer(s) of this run"
        print(f"rsvlm eval: note: {inf.cut_note(max_new_tokens, what, many=True)} (another --out, as answers are "
              f"resumed, not replaced); they are marked \"cut\": true in {part}", file=sys.stderr)
    if n_noted:
        print(f"rsvlm eval: note: {n_noted} record(s) keep their plain answer, not fused over the --tta views: a "
              f"view's prompt was refused (see 'note' in {part})", file=sys.stderr)
    if world == 1 and all(f == out for f in answer_files(out)):
        return out  # answered in place: nothing to merge
    merged = merge_answers(every, len(records), out, world, root, retry_errors)
    if world == 1 and not merged:  # an image changed during the run: its record is answered next time
        print(f"rsvlm eval: the rank parts beside {out} are not merged into it: a record's inputs changed "
              "during the run; run again", file=sys.stderr)
    return out if merged or world == 1 else part


def missing_images_hint(records: list[dict], root: Path) -> str | None:
    """Where relative image paths of ``records`` are looked for, when some name files that do not
    exist there (LLaVA-style data names its images relative to an image folder of its own); else None."""
    def missing(im) -> bool:
        files = (im.get("band_files") or [im.get("path")]) if isinstance(im, dict) else []
        return any(isinstance(f, str) and not Path(f).is_absolute() and not (root / f).exists() for f in files)

    n = sum(any(missing(im) for im in r.get("images") or []) for r in records)
    if not n:
        return None
    return (f"{n} record(s) name image files by relative paths that do not exist; they are read against "
            f"{root.resolve()} (the --data file's folder unless --image-root is given): give --image-root, the "
            "folder their paths start from")


def check_out(data: Path, out: Path) -> str | None:
    """Why ``out`` cannot take ``data``'s predictions, or None: it is a folder, a records file
    (``data`` itself) or a path whose folder cannot be made, ``data`` holds no records, or ``out`` or
    a rank part of it (resumed, never replaced) answers records ``data`` lacks, which would leave
    another test set's answers mixed in. Creates nothing."""
    if out.is_dir():
        return f"--out {out} is a folder; give a file name (predictions JSONL)"
    # a file where a folder of the path should be: was a traceback after the model loaded; the folder
    # itself is made only when answers are written (a refused run left it behind, empty)
    folder = out.parent.absolute()
    up = next(p for p in [folder, *folder.parents] if p.exists())
    if not up.is_dir():
        return f"--out {out}: cannot create its folder ({up} is a file)"
    if not os.access(up, os.W_OK | os.X_OK):
        return f"--out {out}: cannot write in {up} (no permission)"
    if out.is_file():
        try:
            out.read_text()
        except UnicodeDecodeError:  # an image or other binary file: resuming would append to it
            return f"--out {out} is not a text file; give the predictions JSONL's path"
    if out.is_file() and (out.resolve() == data.resolve() or _holds_records(out)):  # its ids read as answered
        return f"--out {out} holds records (conversations), not predictions: is it the --data file?"
    records, report = load_records(data, strict=False)
    if not records:
        return (f"no records to answer: {report.summary()}; first: {report.examples[0]}" if report.n_skipped
                else f"{data}: no records to answer (an empty file)")
    stale = sorted(_answered_ids(out) - {r["id"] for r in records})
    if stale:
        who, s, delete = _holders(out)
        return (f"{who} already hold{s} {len(stale)} answer(s) to records not in {data} (first: {stale[0]}); "
                f"{'it is' if s else 'they are'} resumed, not replaced: {delete} or choose another --out")
    return None


ANSWER_OPTIONS = ("max_new_tokens", "free_decoding", "tta", "min_objects", "det_by_class", "missing_bands",
                  "load_4bit", "load_8bit")


def run_stamp(model_dir: Path, args) -> dict:
    """What the answers in a predictions file depend on: the checkpoint's weights (each weights
    file's size and a hash of its first and last 4 MiB, so a copied folder matches and a
    retrained one does not) and the options that change answers. Cannot: see a retraining that
    left both ends of every weights file as they were."""
    import hashlib

    files = {}
    for f in sorted([model_dir / "config.yaml", *model_dir.rglob("*.safetensors")]):
        h = hashlib.sha256()
        with f.open("rb") as fh:
            size = f.stat().st_size
            h.update(fh.read(4 << 20))
            if size > 8 << 20:
                fh.seek(-(4 << 20), os.SEEK_END)
                h.update(fh.read())
        files[str(f.relative_to(model_dir))] = f"{size}:{h.hexdigest()[:16]}"
    return {"model": str(model_dir.resolve()), "weights": files,
            "options": {k: getattr(args, k, None) for k in ANSWER_OPTIONS}}


def stamp_path(out: Path) -> Path:
    """``OUT.run.json``: what the answers in ``out`` came from (``run_stamp``)."""
    return out.with_name(out.name + ".run.json")


def read_stamp(out: Path) -> dict | None:
    """The stamp beside ``out``; None where there is none or it cannot be read."""
    with contextlib.suppress(OSError, ValueError):
        old = json.loads(stamp_path(out).read_text())
        return old if isinstance(old, dict) else None
    return None


def unstamped_answers(out: Path, stamp: dict) -> tuple[dict, str | None]:
    """``stamp`` to write beside ``out``, and a warning when ``out`` already holds answers that no
    readable ``OUT.run.json`` vouches for (an older rsvlm eval, another tool, a deleted stamp): they
    are resumed as they are, unchecked, and the stamp then counts them (``unchecked_answers``), so
    that the scorers can say so."""
    n = len(_answered_ids(out))
    old = read_stamp(out)
    if old is not None or not n:
        carried = (old or {}).get("unchecked_answers") if n else None
        return ({**stamp, "unchecked_answers": carried} if carried else stamp), None
    why = "cannot be read" if stamp_path(out).exists() else "is missing"
    who, s, delete = _holders(out)
    return {**stamp, "unchecked_answers": n}, (
        f"{who} hold{s} {n} answer(s) but its {stamp_path(out).name} {why} (an older rsvlm eval or another tool "
        f"wrote them): they are kept as they are, unchecked against this model and options; {delete} to "
        "answer every record afresh")


def check_stamp(out: Path, stamp: dict) -> str | None:
    """Why ``out``'s earlier answers (its own or its rank parts') cannot be resumed with ``stamp``'s
    model and options, or None. Files without a readable ``OUT.run.json`` are resumed as they are
    (``unstamped_answers`` warns)."""
    old = read_stamp(out)
    if old is None or not _answered_ids(out):
        return None
    who, s, delete = _holders(out)
    if old.get("weights") != stamp["weights"]:
        return (f"{who} hold{s} answers of other weights ({old.get('model')}); they are resumed, not replaced: "
                f"{delete} or choose another --out")
    changed = [f"--{k.replace('_', '-')} {old.get('options', {}).get(k)} → {v}" for k, v in stamp["options"].items()
               if old.get("options", {}).get(k) != v]
    if changed:
        return (f"{who} hold{s} answers given with other options ({'; '.join(changed)}): {delete} or choose "
                "another --out")
    return None


def merge_answers(records: list[dict], n: int, out: Path, world: int, root: Path, retry_all: bool = False) -> bool:
    """Write ``out`` anew from itself and every rank part beside it, one row per record of
    ``records`` (the whole --data file, in its order) that has one, once each of the first ``n``
    (this run's) has its answer; False, writing nothing, while one lacks it (its rank is still
    answering: the last to finish merges). A record's row is an answer from its rank's part of
    ``world``, else from ``out`` or another part; else an error row whose inputs are unchanged
    (``inputs_digest``; with ``retry_all``, from its rank's part only: the others are those answered
    again). A parts-based check, not a marker file: a marker would be stale from an earlier run. Two
    ranks finishing together both write the same rows, each through its own file and a rename."""
    files = answer_files(out)
    rows = {f: {row["id"]: row for row in _rows(f)} for f in files}  # a later line of a file wins
    lines, seen = [], set()
    for i, rec in enumerate(records):
        if (rid := rec["id"]) in seen:
            continue
        seen.add(rid)
        owner = part_path(out, i % world, world) if i < n else None
        got = [(f, rows[f][rid]) for f in sorted(files, key=lambda f: f != owner) if rid in rows[f]]
        row = next((r for _, r in got if "error" not in r), None)
        if row is None and got:
            now = inputs_digest(rec, root)
            row = next((r for f, r in got if r.get("inputs_digest") == now and (f == owner or not retry_all)),
                       None if i < n else got[0][1])  # past --limit: as it is
        if row is None and i < n:
            return False
        if row is not None:
            lines.append(json.dumps(row) + "\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.merge{os.getpid()}")
    tmp.write_text("".join(lines))
    os.replace(tmp, out)
    return True


def main(args) -> int:
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    device = args.device
    if device is None and world > 1:
        import torch

        device = f"cuda:{os.environ.get('LOCAL_RANK', rank)}" if torch.cuda.is_available() else "cpu"
    if not Path(args.data).is_file():  # before a model that may take minutes to load
        print(f"rsvlm eval: records file not found: {args.data}", file=sys.stderr)
        return 2
    if args.image_root and not Path(args.image_root).is_dir():
        print(f"rsvlm eval: --image-root {args.image_root} is not a folder", file=sys.stderr)
        return 2
    if err := check_out(Path(args.data), Path(args.out)):
        print(f"rsvlm eval: {err}", file=sys.stderr)
        return 2
    try:
        stamp = run_stamp(inf.resolve_model_dir(args.model), args)
    except FileNotFoundError as e:
        print(f"rsvlm eval: {e}", file=sys.stderr)
        return 2
    if err := check_stamp(Path(args.out), stamp):
        print(f"rsvlm eval: {err}", file=sys.stderr)
        return 2
    stamp, warning = unstamped_answers(Path(args.out), stamp)
    if warning and rank == 0:
        print(f"rsvlm eval: warning: {warning}", file=sys.stderr)
    if rank == 0 and (note := overlap_report(inf.resolve_model_dir(args.model), args.data, args.image_root)):
        print(f"rsvlm eval: warning: {note}", file=sys.stderr)  # scores that are not held-out ones
    try:
        model, processor = inf.load_model(args.model, device, args.load_4bit, args.load_8bit)
    except (FileNotFoundError, ValueError) as e:
        print(f"rsvlm eval: {e}", file=sys.stderr)
        return 2
    processor.missing_bands = args.missing_bands
    if args.det_by_class and (err := inf.no_det_classes(processor, args.model)):
        print(f"rsvlm eval: {err}", file=sys.stderr)
        return 2
    if rank == 0:  # what the answers came from, checked when the file is resumed
        side = stamp_path(Path(args.out))
        side.parent.mkdir(parents=True, exist_ok=True)
        side.write_text(json.dumps(stamp, indent=1) + "\n")
    out = run(model, processor, Path(args.data), Path(args.out), args.batch_size, args.max_new_tokens,
              args.limit, rank, world, constrain=not args.free_decoding,
              tta=FuseConfig(views=MODES[args.tta]) if args.tta != "none" else None, min_objects=args.min_objects,
              by_class=args.det_by_class, retry_errors=args.retry_errors,
              image_root=Path(args.image_root) if args.image_root else None)
    if out != Path(args.out):  # rank 0 said "wrote OUT" while OUT did not exist yet
        print(f"wrote {out} (rank {rank}'s share); the last rank to finish merges the shares into {args.out}")
    else:
        print(f"wrote {out}")
    return 0
