"""Does a model read the sensor word of its prompt? A probe for the VQA sensor question.

    python scripts/probe_sensor_word.py --model runs/dm17/final --data runs/t9002/short.jsonl

Every ``[vqa]`` record with ``meta.qtype == "modality"`` ("which sensor took this image?") is
asked under each of the four prompt words ("optical / SAR / infrared / multispectral image:
<image>"), the image and its stem unchanged; each of the four answers is teacher-forced and the
likeliest is taken. Prints how often the choice follows the word, follows the image's sensor,
or neither, and the full (image, word, answer) table. Limits: teacher-forced sequence
log-probabilities, not greedy decoding (the two agree on one- or two-token answers here).
"""

from __future__ import annotations

import collections
import json
import sys
import tempfile
from pathlib import Path

from eval.common import write_out
from eval.model_args import check_probe_args
from rsvlm.argparsing import Parser
from rsvlm.progress import counted

ANSWERS = {"optical": "optical", "sar": "SAR", "ir": "infrared", "msi": "multispectral"}


def variants(records: list[dict], after: bool = False) -> list[dict]:
    """One record per (sensor question, prompt word, candidate answer); ids ``ID|WORD|ANSWER``.
    ``after``: the word is also repeated after the image, as ``PromptConfig.modality_after`` writes it."""
    from rsvlm.data.conversation import annotate_images
    from rsvlm.data.records import ROLES

    out = []
    for r in records:
        turns = r["conversations"]
        # a record's opening system turn is kept, as rsvlm eval writes it (was taken for the question: "0 <image>
        # placeholders but 1 modality", naming no record); the question is its first user turn
        system = turns[:1] if ROLES[turns[0]["from"]] == "system" else []
        first = next((t["value"] for t in turns if ROLES[t["from"]] == "user"), "")
        for word in ANSWERS:
            try:
                q = annotate_images(first, [word], after)
            except ValueError as e:  # two images, or none: the probe asks of one
                raise ValueError(f"record {r['id']!r}: its first question: {e}; the probe asks of one image") from None
            for ans in ANSWERS:
                out.append({**r, "id": f"{r['id']}|{word}|{ans}", "conversations": [
                    *system, {"from": "human", "value": q}, {"from": "gpt", "value": ANSWERS[ans]}]})
    return out


def answer_logprobs(model, processor, rows: list[dict], image_root: Path, batch_size: int = 16,
                    progress: bool = True) -> dict[str, float]:
    """Teacher-forced log-probability of each row's answer, by row id; a progress bar on stderr."""
    from eval.loc_error import max_length, teacher_forced
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.data.records import ReadReport
    from rsvlm.progress import bar as progress_bar
    from rsvlm.train import data as D

    tok = processor.tokenizer
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.jsonl"
        path.write_text("".join(json.dumps(x) + "\n" for x in rows))
        index = D.build_index(path, tok, dict(processor.n_tokens), ReadReport(str(path)), roots=[image_root])
    # the words are written into the question above, so the processor must not add its own; cut at the LLM's
    # context (was 1024 tokens whatever the LLM: past a 512-token one's positions, garbage was scored)
    ctx = max_length(model)
    data = D.SFTDataset(index, image_root, processor,
                        PromptConfig(annotate_modality=False, system=processor.prompt.system), ctx)
    scores = {}
    bar = progress_bar(total=len(data), desc="scoring answers", unit="answer", file=sys.stderr, disable=not progress)
    for batch, logits in teacher_forced(model, data, tok.pad_token_id, batch_size):
        bar.update(len(batch["ids"]) + len(batch["bad"]))
        if batch["bad"]:
            bar.close()  # was a list of tuples, the bar drawn after it, and no word of where the images are read
            rid, error = batch["bad"][0]
            raise ValueError(f"record {rid.split('|')[0]!r}: {error} ({counted(len(batch['bad']), 'unreadable sample')} in its "
                             f"batch); relative image paths are read against --image-root {image_root}")
        if batch["cut"]:  # a part of its answer scored against whole ones: the choice would be the shortest
            rid, n = batch["cut"][0]
            raise ValueError(f"record {rid.split('|')[0]!r} is {n} tokens long, past the LLM's context of {ctx}: "
                             "its answers cannot be scored whole")
        logp = logits[:, :-1].float().log_softmax(-1)  # (B,T-1,V)
        labels = batch["labels"][:, 1:].to(logp.device)  # (B,T-1)
        picked = logp.gather(-1, labels.clamp(min=0)[..., None])[..., 0]  # (B,T-1)
        total = (picked * (labels != -100)).sum(-1)  # (B,)
        scores.update(zip(batch["ids"], total.tolist()))
    bar.close()
    return scores


def main(argv: list[str] | None = None) -> dict:
    from rsvlm.data.records import load_records
    from rsvlm.inference import load_model

    p = Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="checkpoint folder (default: the bundled model)")
    p.add_argument("--data", required=True, help="JSONL with [vqa] sensor questions (meta.qtype modality)")
    p.add_argument("--out", default=None, help="write the counts as JSON here too")
    p.add_argument("--image-root", default=None, help="folder that the records' relative image paths start from "
                                                      "(default: the --data file's folder), as rsvlm eval's")
    a = p.parse_args(argv)
    if a.out == "-":  # was a file named -
        p.error("--out -: the counts are printed on standard output; give a file for the JSON")
    check_probe_args(p, a)
    try:
        records, _ = load_records(a.data)
        read = len(records)
        records = [r for r in records if r["task"] == "vqa" and (r.get("meta") or {}).get("qtype") == "modality"]
        if not records:
            raise ValueError(f"{a.data}: no [vqa] record with meta.qtype 'modality'")
        if unsaid := [r["id"] for r in records if r["images"] and r["images"][0]["modality"] not in ANSWERS]:
            # was tabled as "image None": every word "other", none "follows the image"
            raise ValueError(f"{a.data}: {counted(len(unsaid), 'record')} "
                             f"{'does not name its' if len(unsaid) == 1 else 'do not name their'} image's modality as one of "
                             f"{', '.join(ANSWERS)} (first: {unsaid[0]!r}): the probe compares the model's answer "
                             "with the image's sensor; give \"modality\" in each record's image")
        model, processor = load_model(a.model)
        scores = answer_logprobs(model, processor, variants(records, processor.prompt.modality_after),
                                 Path(a.image_root or Path(a.data).parent))
    except (OSError, ValueError) as e:  # a bad line, a non-checkpoint --model, an unreadable image
        raise SystemExit(f"error: {e}") from None
    summary, table = collections.Counter(), collections.Counter()
    for r in records:
        sensor = r["images"][0]["modality"]
        for word in ANSWERS:
            best = max(ANSWERS, key=lambda ans: scores[f"{r['id']}|{word}|{ans}"])
            kind = "follows the word" if best == word else ("follows the image" if best == sensor else "neither")
            summary[f"{'right' if word == sensor else 'other'} word: {kind}"] += 1
            table[f"image {sensor}, word {word} -> {best}"] += 1
    result = {"model": str(a.model or "bundled"), "n_questions": len(records),
              "summary": dict(sorted(summary.items())), "table": dict(sorted(table.items()))}
    # the counts were printed bare: how many questions they are of, and that the file's other records went unasked
    others = f"; its other {counted(read - len(records), 'record')} not asked" if read > len(records) else ""
    print(f"{counted(len(records), 'sensor question')} of {a.data}{others}; each asked under the {len(ANSWERS)} "
          f"prompt words ({', '.join(ANSWERS)}), {len(records) * len(ANSWERS)} choices:")
    for k, v in result["summary"].items():
        print(f"{k:40s} {v}")
    for k, v in result["table"].items():
        print(f"  {k:48s} {v}")
    if a.out:
        write_out(a.out, json.dumps(result, indent=1) + "\n")  # whole: a kill leaves the old file or the new
    return result


if __name__ == "__main__":
    from rsvlm.closed_pipes import run_main

    sys.exit(run_main(main))  # `… | head`: the rest to the null device
