"""Reading a test set for ``rsvlm eval``: what its records hold that no scorer takes (``record_warnings``),
said before the run; which earlier answers cannot be checked against them (``undigested``); a record's
images (``record_images``); and what reading them noted over a run (``ReadNotes``), said once at its end."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rsvlm import inference as inf
from rsvlm.answer_lines import answer_lines
from rsvlm.data.records import as_record_fields
from rsvlm.predictions import answer_row, asked_digest
from rsvlm.progress import counted


def predictions_given(data: Path) -> str | None:
    """Why ``data`` cannot be the test set where it holds predictions (its first row ``is_prediction``: rsvlm eval's own
    --out given as --data, "field 'conversations': missing" of each line) or LLaVA's questions (``is_llava_question``);
    None otherwise."""
    if is_llava_question(row := head_row(data)):
        return f"--data {llava_questions(data)}"
    if is_prediction(row):
        return (f"--data {data} holds predictions ({{id, task, answer}} lines), not the test set's records: give "
                f"the records (their conversations hold the questions); predictions are scored with python -m "
                f"eval.TASK --gt TEST.jsonl --pred {data}")
    return None


def llava_questions(path: str | Path) -> str:
    """What LLaVA's question file ``path``, given as rsvlm eval's --data or a scorer's --gt, is and how its lines
    become records (said "holds predictions", which it does not)."""
    return (f"{path} is LLaVA's question file ({{question_id, image, text}} lines: model_vqa's input), not rsvlm "
            "records; its lines become records, each question in their conversations, with jq -c '{id: .question_id, "
            "image: .image, conversations: [{from: \"human\", value: (\"<image>\\n\" + .text)}]}' "
            f"{shlex.quote(str(path))} > TEST.jsonl (give each a \"task\", such as \"vqa\", for python -m eval.TASK "
            "to score its answers)")


def is_llava_question(row: object) -> bool:
    """Whether ``row`` is a line of LLaVA's question file (``{question_id, image, text}``, model_vqa's input): no
    answer of its own (``answer``, ``objects``, model_vqa's ``prompt`` or ``answer_id``), so no prediction either."""
    return isinstance(row, dict) and {"question_id", "image", "text"} <= set(row) and not {
        "answer", "objects", "prompt", "answer_id", "conversations"} & set(row)


def is_prediction(row: object) -> bool:
    """Whether ``row`` is a prediction as the scorers read one, not a record: an object without ``conversations``
    holding an ``answer``, ``objects`` (a detector's own, without an answer) or an id and a ``text`` (LLaVA's
    model_vqa). The one rule of rsvlm eval's --data check and the scorers' swapped-file check (each had its own)."""
    return isinstance(row, dict) and "conversations" not in row and (
        "answer" in row or "objects" in row or "text" in row and ("id" in row or "question_id" in row))


def head_row(path: str | Path) -> object:
    """The first line of ``path``, or the first item of a JSON array (plain or gzip-compressed, UTF-8 with or
    without a BOM or UTF-16), decoded; None where it cannot be. Told from the file's head (``records_shape.HEAD_CAP``
    bytes): a LLaVA JSON array is one line, and a 104 MB one was read and decoded whole (9 s, 310 MB more peak) to
    say so; an item cut there (a mask's objects of MB) tells by the keys read so far."""
    from rsvlm.data import records_shape
    from rsvlm.data.records import GZIP_ERRORS, open_bytes, text_encoding

    with contextlib.suppress(*GZIP_ERRORS, ValueError, UnicodeError), open_bytes(path) as f:
        head = f.read(records_shape.HEAD_CAP)
        full = len(head) >= records_shape.HEAD_CAP
        enc = text_encoding(head)
        # "replace": a character cut at the cap (UTF-16: an odd byte count is cut to whole units)
        text = head[:len(head) // 2 * 2 if enc == "utf-16" else None].decode(enc, "replace").lstrip()
        text = text.removeprefix("\ufeff").lstrip()
        if text.startswith("["):  # the first item
            first, cut = text[1:].lstrip(), full
        else:
            lines = re.split(r"\r\n|\r|\n", text)  # the line ends the records reader takes
            first = next((line.strip().removeprefix("\ufeff") for line in lines if line.strip()), "null")
            cut = full and len(lines) == 1  # the line runs past the head
        return _head_object(first, cut)
    return None


def long_name(flag: str, path: str | Path) -> str | None:
    """``--FLAG PATH: …`` where a name in the input ``path`` is longer than its file system takes, so that no file has
    it (reading it raised "[Errno 36] File name too long", naming no option; a traceback from rsvlm eval), else None."""
    from rsvlm.out_paths import too_long

    if why := too_long(path):
        return f"--{flag} {path}: {why.removesuffix('; give a shorter name')}, so no file has it; check the path"
    with contextlib.suppress(OSError, ValueError):  # each name short, the whole past PATH_MAX: the same Errno 36
        if (n := len(os.fsencode(str(path)))) >= (most := os.pathconf("/", "PC_PATH_MAX")):
            return (f"--{flag} {str(path)[:40]}…: the path is {n} bytes long, more than the {most - 1} the system "
                    "takes, so no file has it; check the path (a variable or command that repeated it?)")
    return None


def no_file(flag: str, path: str | Path, what: str) -> str | None:
    """``--FLAG PATH: no such file …; give WHAT`` where nothing is at ``path`` (a scorer said "error: records file not
    found: PATH", naming neither its program, the option nor what to give), with the records reader's hint (``~`` not
    expanded, a pattern); None where something is there (a folder, a pipe: its reader says what it is)."""
    if Path(path).exists():
        return None
    from rsvlm.data.records import check_records_path

    try:
        check_records_path(path)
        hint = ""
    except FileNotFoundError as e:
        hint = str(e).removeprefix(f"records file not found: {Path(path)}")  # as it says it: ./x was x
    return f"--{flag} {path}: no such file{hint}; give {what}"


def image_root_problem(root: str | None) -> str | None:
    """Why ``--image-root ROOT`` names no folder of images, in the words rsvlm eval, the scorers and eval.loc_error
    all use (each had its own, and rsvlm eval and loc_error read a blank one, an unset variable, as not given); None
    where it names a folder or is not given."""
    if root is None:
        return None
    if not root.strip():
        return f"--image-root {root!r} names no folder (an unset shell variable?)"
    if why := long_name("image-root", root):  # is_dir() raised "[Errno 36] File name too long"
        return why
    if Path(root).is_dir():
        return None
    return (f"--image-root {root!r}: {'a file, not a folder' if Path(root).exists() else 'no such folder'}; give the "
            "folder the records' relative image paths start from")


def _head_object(text: str, cut: bool) -> object:
    """The JSON value ``text``, the head of a file's first line or item, opens with (``head_row``'s); where it does
    not decode and the head was ``cut`` at ``records_shape.HEAD_CAP`` bytes (an object of MB), the keys read so far
    of the object it opens, as a dict of them: they tell a prediction from a record. ValueError otherwise."""
    from rsvlm.data import records_shape

    try:
        return json.JSONDecoder().raw_decode(text)[0]
    except ValueError:
        if not cut or not text.startswith("{"):
            raise
        return dict.fromkeys(records_shape._open_lists(text)[1])


def record_warnings(records: list[dict]) -> list[str]:
    """What the records to answer hold that the scorers will not take: records of no task (answered with
    ``"task": null``), records that end on a question after their last answer, and, among records with
    answers, some without (a blind test set's are answered, but no scorer takes a ground truth so mixed)."""
    out = []
    if untasked := [r["id"] for r in records if r["task"] is None]:
        out.append(f"{len(untasked)} of {counted(len(records), 'record')} {'has' if len(untasked) == 1 else 'have'} no task (no \"task\" field, and no task tag such as "
                   f"[vqa] opening the question; first: {untasked[0]}): they are answered, but no python -m eval.TASK "
                   "scores them; give each record its task (python -m data_gen convert llava --task does, and rewrites "
                   "GeoChat's own tags such as [refer] and its {<x1><y1><x2><y2>} boxes into rsvlm's)")
    if trailing := [r["id"] for r in records if _ends_on_a_question(r)]:
        out.append(f"{len(trailing)} {'record ends' if len(trailing) == 1 else 'records end'} on a question after {'its' if len(trailing) == 1 else 'their'} last answer (first: {trailing[0]}): the "
                   "prompt stops before that answer, the reference the scorers compare with, so the question after it "
                   "is not asked; end each record on the answer to score")
    blind = [r["id"] for r in records if all(t["from"] not in ("gpt", "assistant") for t in r["conversations"])]
    if 0 < len(blind) < len(records):  # answers lost in a conversion?
        out.append(f"{len(blind)} of {len(records)} records {'has' if len(blind) == 1 else 'have'} no answer (first: {blind[0]}): {'it is' if len(blind) == 1 else 'they are'} answered as "
                   "a blind test set's, but python -m eval.TASK refuses a ground truth with such records where half or "
                   "more are (fewer are skipped, counted in n_gt_bad_records)")
    return out


def _ends_on_a_question(record: dict) -> bool:
    """Whether a record's conversation goes on with a user turn after its last answer."""
    turns = [t.get("from") for t in record.get("conversations") or [] if isinstance(t, dict)]
    answers = [i for i, f in enumerate(turns) if f in ("gpt", "assistant")]
    return bool(answers) and any(f in ("human", "user") for f in turns[answers[-1] + 1:])


def undigested(files: list[Path], records: dict[str, dict]) -> list[str]:
    """The ids of ``records`` (by id, in their order) whose answers in ``files`` are all ``is_stale``: without an
    ``"asked_digest"`` (an older rsvlm eval's rows, another tool's) or with one of what the record no longer asks,
    so answered again; error rows aside (``inputs_digest`` judges those)."""
    return stale_among(line_values(files), records)


def line_values(files: list[Path]):
    """The JSON value of each line of ``files`` that is one, a line at a time, as ``predictions._rows`` reads them (a
    last line cut inside a character too, a BOM read past)."""
    for f in files:
        for line in answer_lines(f):
            try:
                yield answer_row(line)  # NaN refused, as the scorers refuse it
            except ValueError:
                continue


def stale_among(rows, records: dict[str, dict]) -> list[str]:
    """``undigested`` of ``rows``, JSON values read from answer lines (``line_values``)."""
    bare, vouched = set(), set()
    for row in rows:
        if isinstance(row, dict) and isinstance(rid := row.get("id"), str) and rid in records and "error" not in row:
            (bare if row.get("asked_digest") != asked_digest(records[rid]) else vouched).add(rid)
    return [i for i in records if i in bare - vouched]


def past_the_records(limit: int | None, n: int, rank: int = 0) -> int | None:
    """``--limit`` as run and stamped: ``n`` where it is past the ``n`` records of ``--data`` (it was stamped as given,
    and eval.report showed limit=500 beside a full run of 2 records), said on stderr by rank 0 alone (each rank read
    the same ``--data``: was said once a rank); else ``limit``."""
    if not (limit and limit > n > 0):
        return limit
    if rank == 0:
        print(f"rsvlm eval: --limit {limit} > {counted(n, 'record')}: answering all {n}", file=sys.stderr)
    return n  # the first N records of --data, every one of them


def stamped_limit(old: dict | None, limit: int | None, ids: list[str], held: set[str]) -> int | None:
    """The ``--limit`` for ``--out``'s run stamp, what the file holds once this run is done: ``limit``, or, where
    ``--out`` (or a rank part) holds every answer of the run its stamp ``old`` (``read_stamp``'s) names (the first
    ``limit`` of ``ids``, the record ids in order, or all), the wider of it and the stamp's (None, no limit, the
    widest): a rerun with a smaller ``--limit`` that found its records answered stamped its own, and the scorers' note
    named it for the answers of the larger one. An interrupted run's stamp names answers the file lacks and is not
    kept (a full run stopped early, rerun with ``--limit 5``, was stamped no limit): the wider of ``limit`` and the
    count of the first records the file answers is (a stamp a stopped run marked, ``run_stamp.stopped_stamp``, has a null
    limit and goes the same way). A stamp without the key (an rsvlm eval before the limit was
    stamped) says no limit either way: ``limit``. ``held``: the ids ``--out`` and its parts answer
    (``eval_out.read_answers``)."""
    if old is None or "limit" not in old or not isinstance(old["limit"], (int, type(None))):
        return limit
    if not all(i in held for i in (ids[:old["limit"]] if old["limit"] is not None else ids)):
        # that run did not finish: its limit is not what the file holds, the first records it answers are (one of
        # ids is unanswered, so first < len(ids))
        first = next(n for n, i in enumerate(ids) if i not in held)
        return None if limit is None else max(limit, first)
    if limit is None or old["limit"] is None:
        return None
    return max(limit, old["limit"])


def record_images(record: dict, root: Path, notes: list[str] | None = None,
                  input_sizes: dict[str, int] | None = None, resizes: dict[str, str] | None = None) -> list:
    """A record's images as ImageInputs, each read whole as ``rsvlm predict`` reads it: shrunk to
    ``inf.READ_MAX_SIDE`` pixels a side where larger (a full Sentinel-2 tile read whole took GBs per
    record; the model shrinks it to its input anyway); ValueError naming the file where one has no valid
    pixel (every pixel nodata or not finite), which predict refuses too: it reads as zeros, and the
    model would answer about a black image. What reading noted is added to ``notes``, and with the
    model's ``input_sizes`` (by modality) a scene so much larger that small objects vanish
    (``inf.size_note``, with the stem's ``resizes`` by modality: "stretch" where not given; an image of a pair told
    to be cropped, as ``--tile`` takes one image: was "rsvlm predict --tile N" of a change record's)."""
    from rsvlm.data.records import image_paths

    out = []
    for files, im in zip(image_paths(record, root), record["images"]):
        img = inf.read_spec(inf.ImageSpec(files, im.get("modality"), im.get("bands")), max_side=inf.READ_MAX_SIDE)
        if notes is not None:
            size = (inf.size_note(img, input_sizes[img.modality], resize=(resizes or {}).get(img.modality, "stretch"),
                                  tiling=len(record["images"]) == 1) if img.modality in (input_sizes or {}) else None)
            notes += img.notes + ([size] if size else []) + meta_size_note(record, inf.scene_wh(img))
        if err := inf.all_nodata(img):
            raise ValueError(err)
        out.append(inf.model_input(img))
    return out


PIXEL_TASKS = ("det", "ground", "seg", "change")  # the tasks whose scorers read shapes in meta's pixels


def meta_size_note(record: dict, size: tuple[int, int]) -> list[str]:
    """[a note] where a record of a task scored in pixels (``PIXEL_TASKS``) gives a ``meta.width`` × ``meta.height``
    that is not ``size``, its image's (width, height) as read; [] where it is, or meta gives none. This run's answers
    still score right: the scorers read them, its ``objects`` rows and the reference alike in meta's pixels; another
    tool's objects, in the image's own, would not (said so: the note was read as this run's scores being wrong, and
    was said of cls, vqa and cap records, which no pixel scores). A meta put right afterwards leaves this run's
    ``objects`` rows in the old meta's pixels: the run is to be redone, not its records edited alone. No file
    name: ``ReadNotes`` gives the record, and spreads a note's numbers over its records as ranges (``c1–2.png`` of
    c1.png, d1.png)."""
    meta = record.get("meta") or {}
    w, h = meta.get("width"), meta.get("height")
    if record.get("task") not in PIXEL_TASKS or not all(isinstance(v, int) and not isinstance(v, bool) for v in (
            w, h)) or (w, h) == tuple(size):
        return []
    return [f"meta.width x meta.height {w}x{h} is not the image's {size[0]}x{size[1]}: this run's answers score "
            "right (in meta's pixels, as the reference); another tool's pixel objects would not; meta fixed later "
            "needs this run redone"]


# reading notes that name bands or give the stretch, said of nearly every image as it should be: not tallied
_ROUTINE = re.compile(r"stretch \(|band \S+ read as \S+$|bands? named .* from |Landsat [\w /]+ bands? [\d, ]+ named ")


def _cut(note: str, width: int = 240) -> str:
    """``note`` on one line of at most ``width`` characters, cut after a whole word and marked " …" where cut
    (was cut mid-word, unmarked: '…, "modality (first: g)'); mid-word where the last whole word ends before half
    of it (a long path: textwrap.shorten left "the file …" of it)."""
    note = " ".join(note.split())
    if len(note) <= width:
        return note
    end = note.rfind(" ", 0, width - 1)  # note[:end] and " …" fit in width
    return f"{note[:end if end >= width // 2 else width - 2]} …"


_NUMBER = re.compile(r"\d+(?:\.\d+)?")  # a number in a note, its decimals too
# rsvlm predict's advice, which rsvlm eval has no option for: a test set is cut into windows when it is converted
_PREDICT_TILE = re.compile(r"rsvlm predict --tile (\d+) looks at it window by window")
_CONVERT_TILE = (r"python -m data_gen convert FORMAT --tile \1 makes a test set of its windows (docs/data-convert.md), "
                 r"as rsvlm predict --tile \1 looks at one image")


@dataclass
class ReadNotes:
    """What reading the images of a run's records noted (``rsvlm.io`` notes: a file of several images,
    a modality inferred, no valid pixel; ``band_notes``: a band filled), by kind: the records of each
    and the first one's id and note, each number in it that differs over the kind's records given as
    its range. Routine notes (``_ROUTINE``) are left out."""

    kinds: dict[str, list] = field(default_factory=dict)  # kind -> [records, first id, first note, lows, highs]

    def add(self, rid: str, notes: list[str]) -> None:
        for kind, note in {self.kind(n): n for n in reversed(notes) if not _ROUTINE.match(n)}.items():
            nums = [(float(x), x) for x in _NUMBER.findall(note)]  # (value, as written: "04", "12.5")
            entry = self.kinds.setdefault(kind, [0, rid, note, nums, nums])
            entry[0] += 1
            if entry[3] is not None:  # None: notes of this kind whose numbers don't line up
                same = len(nums) == len(entry[3])
                entry[3] = list(map(min, entry[3], nums)) if same else None
                entry[4] = list(map(max, entry[4], nums)) if same else None

    @staticmethod
    def spread(note: str, lows: list[tuple] | None, highs: list[tuple] | None) -> str:
        """``note`` with each number that differs over its kind's records as a range, each end as a note
        wrote it ("512–4000x640–3000 px shrunk whole", where the first record's "4000x3000" was said of
        them all; "B04–08"; "8.75–12.5"); as it is where the kind's notes hold different counts of numbers."""
        if lows is None:
            return note
        spans = iter(zip(lows, highs))

        def said(m: re.Match) -> str:
            (lo, lo_text), (hi, hi_text) = next(spans)
            return f"{lo_text}–{hi_text}" if lo != hi else m.group()

        return _NUMBER.sub(said, note)

    @staticmethod
    def kind(note: str) -> str:
        """A note up to its first ``:``, ``(`` or ``;``, its numbers as N: "the file holds N images"."""
        return " ".join(re.sub(r"\d+", "N", re.split(r"[:(;]", note, maxsplit=1)[0]).split())

    def summary(self, n_records: int, most: int = 8) -> str | None:
        """A line, then one per kind (the ``most`` of most records), its advice said for records
        (``as_record_fields``); None without a note."""
        rows = sorted(self.kinds.values(), key=lambda v: -v[0])
        more = f"\n  and {counted(len(rows) - most, 'more kind')} of note" if len(rows) > most else ""
        return f"reading the images of the {counted(n_records, 'record')} of this run noted:" + "".join(
            f"\n  {counted(n, 'record')}: {_cut(_PREDICT_TILE.sub(_CONVERT_TILE, as_record_fields(self.spread(note, lows, highs))))}"
            f" (first: {rid})"
            for n, rid, note, lows, highs in rows[:most]) + more if rows else None
