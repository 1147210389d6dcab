"""Missing bands: what a model loses when an image lacks bands it was trained on.

    OMP_NUM_THREADS=2 .venv/bin/python bench/missing_bands.py --data TEST.jsonl [--model DIR] [--keep DIR]

Real files often carry fewer bands than the model's stem: Sentinel-1 scenes in VV only, 4-band
R,G,B,NIR products for a Sentinel-2 stem. ``rsvlm predict`` and ``rsvlm chat`` then fill each
missing band (``--missing-bands copy | mean``, ``rsvlm.model.stem.match_bands``). This answers the
SAR and MSI records of a test set with references (cls, count, vqa, ground) once with every band
of the model's stem (the baseline, in the same run) and, per reduced band set (``REDUCED``, those
the stem has), once with each fill, and scores them with the eval scripts. Prints each headline
score and its ratio to the baseline; records left out (an unreadable image, one without a band
of the stem, so with no every-band baseline, or bands the stem cannot take) are counted below the
table, and so are records the model refuses (a prompt past its context), which are scored wrong.
Progress goes to stderr. Each modality's records and each run's predictions go to a temporary
folder, removed at the end (stderr says so); ``--keep DIR`` keeps them. The model defaults to the
bundled one. Limit: the test images are synthetic, so this measures the model's reliance on a
band, not how a real VV-only scene differs from a dual-polarisation one.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from common import (
    absolute_paths,
    check_keep,
    keep_option,
    markdown_table,
    model_options,
    no_score,
    no_score_note,
    run_script,
    skipped_note,
    work_dir,
)

from eval import classification, common, counting, grounding, vqa
from rsvlm import evaluate, inference
from rsvlm.argparsing import Parser
from rsvlm.data.records import RecordError, read_records
from rsvlm.model import ImageInput
from rsvlm.model.stem import StemConfig, match_bands
from rsvlm.progress import bar, counted

SCORERS = {"cls": (classification, "accuracy"), "count": (counting, "accuracy"), "vqa": (vqa, "accuracy"),
           "ground": (grounding, "acc50")}
BASELINE = "n/a (every band)"  # the fill column of the every-band run: no band is filled
REDUCED = {  # modality → (label, bands kept) taken from the stem's bands; the baseline is all of them
    "sar": [("VV only", ["VV"]), ("VH only", ["VH"])],
    "msi": [("10 m: B02 B03 B04 B08", ["B02", "B03", "B04", "B08"]), ("B02 B03 B04", ["B02", "B03", "B04"])],
}


def subset(records: list[dict], modality: str, limit: int | None) -> list[dict]:
    recs = []
    for rec in records:
        if rec["task"] in SCORERS and all(im.get("modality") == modality for im in rec["images"]):
            recs.append(rec)
    return recs[:limit] if limit else recs


def variants(stem: StemConfig) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """``[(label, bands)]`` for a stem: all its bands first (the baseline), then each of ``REDUCED``
    whose bands it has; and the reduced sets it cannot take, as notes."""
    everything = ", ".join(stem.bands) if len(stem.bands) < 4 else f"all {len(stem.bands)}"
    rows, notes = [(everything, list(stem.bands))], []
    for label, bands in REDUCED.get(stem.modality, []):
        if set(bands) < set(stem.bands):
            rows.append((label, bands))
        else:
            notes.append(f"{stem.modality} {label}: the model's stem has bands {stem.bands}; left out")
    return rows, notes


def usable(records: list[dict], root: Path, stem: StemConfig, desc: str) -> tuple[list[dict], Counter, list[str]]:
    """The records whose images read and carry every band of ``stem``; the others counted by reason,
    with the first few errors (which name the image). An image the stem takes with a fill (VV only) is left out
    too: it has no every-band baseline to be the ratios' 1."""
    keep, why, examples = [], Counter(), []
    for rec in bar(records, desc=desc, unit="record", leave=False):
        reason = "unreadable image"
        try:
            images = inference.record_inputs(rec, root)
            reason = "image with bands the model's stem cannot take"
            for im in images:
                n = im.array.shape[0] if im.array.ndim == 3 else 1
                try:
                    match_bands(stem, im.bands, n, im.name)
                except ValueError:  # the missing bands named; was said 'cannot take' of VV only, which a fill takes
                    match_bands(stem, im.bands, n, im.name, fill="copy")  # raises where no fill takes it either
                    reason = "image without a band of the stem (no every-band baseline)"
                    raise
        except (OSError, ValueError) as e:
            why[reason] += 1
            if len(examples) < 3:
                examples.append(f"{rec['id']}: {e}")
            continue
        keep.append(rec)
    return keep, why, examples


def keep_bands(img: ImageInput, stem: StemConfig, bands: list[str]) -> ImageInput:
    """``img`` with only the channels that feed ``bands`` of ``stem`` (matched as the model matches
    them: ``B4`` is ``B04``, unnamed bands in the stem's order), named as the stem names them."""
    n = img.array.shape[0] if img.array.ndim == 3 else 1
    full = match_bands(stem, img.bands, n, img.name).index  # one channel per stem band
    idx = [full[stem.bands.index(b)] for b in bands]
    arr = img.array if img.array.ndim == 3 else img.array[None]  # (C,H,W)
    return ImageInput(arr[idx], img.modality, bands, img.name)


def answer(model, processor, records: list[dict], root: Path, stem: StemConfig, bands: list[str], batch: int,
           max_new: int, out: Path, fill: str, desc: str) -> dict[str, str]:
    """Predictions for ``records`` in ``out``; a record the model refuses (its prompt past the LLM's
    context) is answered "" with its error, which the scorers count wrong. Returns {id: why} of those."""
    processor.missing_bands = fill
    generate = inference.answerer(model, processor, max_new)
    refused = {}
    with out.open("w") as f, bar(total=len(records), desc=desc, unit="record", leave=False) as shown:
        for i in range(0, len(records), batch):
            chunk = records[i : i + batch]
            images = [[keep_bands(im, stem, bands) for im in inference.record_inputs(r, root)] for r in chunk]
            msgs = [evaluate.prompt_of(r, processor.prompt, imgs) for r, imgs in zip(chunk, images)]
            answers, why = inference.answers_or_refusals(generate, msgs, images)  # else one such record ended the run
            for j, (r, got) in enumerate(zip(chunk, answers)):
                row = {"id": r["id"], "task": r["task"], "answer": got[0] if got is not None else ""}
                if j in why:
                    refused[r["id"]] = row["error"] = why[j]
                f.write(json.dumps(row) + "\n")
            shown.update(len(chunk))
    return refused


def scores(gt: Path, pred: Path) -> dict[str, common.Headline]:
    return common.headline_results(gt, pred, SCORERS)


def main() -> None:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="test records with references (JSONL)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N records per modality")
    model_options(ap, max_new_tokens=40)
    keep_option(ap)
    a = ap.parse_args()
    common.check_model_args(ap, a)
    check_keep(ap, a.keep)
    try:
        records = list(read_records(a.data))  # a bad line is a RecordError naming it; blank lines are skipped
    except RecordError as e:
        ap.error(f"--data: {e}")
    if not any(subset(records, m, a.limit) for m in REDUCED):  # before loading the model
        ap.error(f"--data {a.data}: no {' or '.join(REDUCED)} record of task {', '.join(SCORERS)}")
    model, processor = inference.load_model(a.model, "cpu")
    rows, left_out, refusals = [], [], {}
    with work_dir(a.keep, "missing_bands") as tmp:
        for modality in REDUCED:
            recs = subset(records, modality, a.limit)
            if not recs:
                print(f"missing_bands: no {modality} record of task {', '.join(SCORERS)} in {a.data}; skipped",
                      file=sys.stderr)
                continue
            if modality not in processor.stems:
                left_out.append(f"{counted(len(recs), modality + ' record')}: the model has no {modality} stem")
                continue
            stem = processor.stems[modality]
            recs, why, examples = usable(recs, a.data.parent, stem, f"reading {modality} images")
            if why:  # scored on the others; said below the table
                left_out.append(f"{counted(sum(why.values()), modality + ' record')}: "
                                + ", ".join(f"{v} {k}" for k, v in why.items()) + f" (first: {examples[0]})")
            if not recs:
                continue
            gt = tmp / f"{modality}.jsonl"
            for r in recs:  # the kept records answer from anywhere (rsvlm eval --data kept/sar.jsonl)
                absolute_paths(r, a.data.parent)
            gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
            sets, notes = variants(stem)
            left_out += notes
            base = None
            for k, (label, bands) in enumerate(sets):
                for fill in ("error",) if k == 0 else ("copy", "mean"):
                    pred = tmp / f"{modality}-{'all' if k == 0 else '+'.join(bands)}-{fill}.jsonl"  # VV, VH: 1 band each
                    t = time.perf_counter()
                    desc = f"{modality} {label}" + ("" if k == 0 else f", {fill}")
                    refused = answer(model, processor, recs, a.data.parent, stem, bands, a.batch_size,
                                     a.max_new_tokens, pred, fill, desc)
                    if refused:  # said below the table, once per modality
                        r = refusals.setdefault(modality, {"ids": set(), "runs": 0, "first": next(iter(refused.items()))})
                        r["ids"] |= set(refused)
                        r["runs"] += 1
                    sc = scores(gt, pred)
                    base = base or sc
                    # was '–', the mark the note below explains as 'no score'
                    rows.append((modality, label, BASELINE if k == 0 else fill, len(recs), sc, base))
                    print(f"{desc}: {counted(len(recs), 'record')} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    if not rows:
        raise SystemExit(f"missing_bands: nothing to score in {a.data}: " + "; ".join(left_out))
    print(f"\n{a.data}, model {a.model or 'bundled'}; ratio to every band in brackets\n")
    table = []
    for modality, label, fill, n, sc, base in rows:
        cells = ["–" if no_score(sc[k]) else f"{sc[k].score:.3f}"  # NaN: was 'nan (nan×)', in no note
                 + (f" ({sc[k].score / base[k].score:.2f}×)" if base[k].score and not no_score(base[k]) else "")
                 for k in SCORERS]
        table.append([modality, label, fill, str(n), *cells])
    print(markdown_table(["modality", "bands given", "fill", "records", *SCORERS], table))
    dashes = [(row[0], k, why) for row in rows for k, h in row[4].items() if (why := no_score(h))]
    below = [no_score_note(dashes, {row[0] for row in rows})] if dashes else []
    below += [skipped] if (skipped := skipped_note([(f"{row[0]} {k}", h) for row in rows for k, h in row[4].items()])) else []
    below += [f"left out: {line}" for line in left_out]
    for modality, r in refusals.items():
        runs = sum(row[0] == modality for row in rows)
        below.append(f"not answered: {counted(len(r['ids']), modality + ' record')} the model refused in {r['runs']} "
                     f"of {counted(runs, 'run')}, answered empty and scored wrong (first: {r['first'][0]}: "
                     f"{r['first'][1]})")
    if below:  # a line apart from the table: Markdown read a line right under it as one more row
        print("\n" + "\n".join(below))


if __name__ == "__main__":
    sys.exit(run_script(main))
