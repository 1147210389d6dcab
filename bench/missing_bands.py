"""Missing bands: what a model loses when an image lacks bands it was trained on.

    OMP_NUM_THREADS=2 .venv/bin/python bench/missing_bands.py --data TEST.jsonl [--model DIR]

Real files often carry fewer bands than the model's stem: Sentinel-1 scenes in VV only, 4-band
R,G,B,NIR products for a Sentinel-2 stem. ``rsvlm predict`` and ``rsvlm chat`` then fill each
missing band (``--missing-bands copy | mean``, ``rsvlm.model.stem.match_bands``). This answers the
SAR and MSI records of a test set with references (cls, count, vqa, ground) once with every band
(the baseline, in the same run) and, per reduced band set, once with each fill, and scores them
with the eval scripts. Prints each headline score and its ratio to the baseline.
The model defaults to the bundled one. Limit: the test images are synthetic, so this measures the
model's reliance on a band, not how a real VV-only scene differs from a dual-polarisation one.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from eval import classification, common, counting, grounding, vqa
from rsvlm import evaluate, inference
from rsvlm.data.records import RecordError, read_records
from rsvlm.model import ImageInput

SCORERS = {"cls": (classification, "accuracy"), "count": (counting, "accuracy"), "vqa": (vqa, "accuracy"),
           "ground": (grounding, "acc50")}
VARIANTS = {  # modality → (label, bands kept); the first is every band of the default model's stem
    "sar": [("VV, VH", ["VV", "VH"]), ("VV only", ["VV"]), ("VH only", ["VH"])],
    "msi": [("all 6", ["B02", "B03", "B04", "B08", "B11", "B12"]), ("10 m: B02 B03 B04 B08", ["B02", "B03", "B04", "B08"]),
            ("B02 B03 B04", ["B02", "B03", "B04"])],
}


def subset(records: list[dict], modality: str, limit: int | None) -> list[dict]:
    recs = []
    for rec in records:
        if rec["task"] in SCORERS and all(im.get("modality") == modality for im in rec["images"]):
            recs.append(rec)
    return recs[:limit] if limit else recs


def keep_bands(img: ImageInput, bands: list[str]) -> ImageInput:
    idx = [img.bands.index(b) for b in bands]
    return ImageInput(img.array[idx], img.modality, bands, img.name)


def answer(model, processor, records: list[dict], root: Path, bands: list[str], batch: int, max_new: int,
           out: Path, fill: str) -> None:
    processor.missing_bands = fill
    generate = inference.answerer(model, processor, max_new)
    with out.open("w") as f:
        for i in range(0, len(records), batch):
            chunk = records[i : i + batch]
            msgs = [evaluate.prompt_of(r, processor.prompt) for r in chunk]
            images = [[keep_bands(im, bands) for im in inference.record_inputs(r, root)] for r in chunk]
            for r, (text, _) in zip(chunk, generate(msgs, images)):
                f.write(json.dumps({"id": r["id"], "task": r["task"], "answer": text}) + "\n")


def scores(gt: Path, pred: Path) -> dict[str, float | None]:
    return common.headline_scores(gt, pred, SCORERS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="test records with references (JSONL)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--limit", type=int, default=None, help="only the first N records per modality")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=40)
    a = ap.parse_args()
    common.check_model_args(ap, a)
    try:
        records = list(read_records(a.data))  # a bad line is a RecordError naming it; blank lines are skipped
    except RecordError as e:
        ap.error(f"--data: {e}")
    model, processor = inference.load_model(a.model, "cpu")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for modality, variants in VARIANTS.items():
            recs = subset(records, modality, a.limit)
            gt = Path(tmp) / f"{modality}.jsonl"
            gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
            base = None
            for k, (label, bands) in enumerate(variants):
                for fill in ("error",) if k == 0 else ("copy", "mean"):
                    pred = Path(tmp) / f"{modality}-{len(bands)}-{fill}.jsonl"
                    t = time.perf_counter()
                    answer(model, processor, recs, a.data.parent, bands, a.batch_size, a.max_new_tokens, pred, fill)
                    sc = scores(gt, pred)
                    base = base or sc
                    rows.append((modality, label, "–" if k == 0 else fill, len(recs), sc, base))
                    print(f"{modality} {label} {fill}: {len(recs)} records in {time.perf_counter() - t:.0f} s",
                          flush=True)
    print(f"\n{a.data}, model {a.model or 'bundled'}; ratio to every band in brackets\n")
    print("| modality | bands given | fill | records | " + " | ".join(SCORERS) + " |")
    print("|---|---|---|---|" + "---|" * len(SCORERS))
    for modality, label, fill, n, sc, base in rows:
        cells = []
        for k in SCORERS:
            if sc[k] is None:
                cells.append("–")
            else:
                ratio = f" ({sc[k] / base[k]:.2f}×)" if base[k] else ""
                cells.append(f"{sc[k]:.3f}{ratio}")
        print(f"| {modality} | {label} | {fill} | {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
