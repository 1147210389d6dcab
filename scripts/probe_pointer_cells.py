"""Which cell does each coordinate land in? A probe for the location pointer (model.loc_pointer).

    python scripts/probe_pointer_cells.py --model runs/p23/ptr/final --data runs/mo9/test/train.jsonl

Teacher-forced on the records' answers, for every coordinate (``rsvlm.model.grammar.
coordinate_axes``): the probability the location logits put on the true bin's cell (the
visual-token column for an x, row for a y) and how often their most likely bin lies in it, for
the LLM's logits alone, the pointer's term alone and the two together (what the model decodes
from). A model without a pointer has a flat term in the pointer's row (mass 1/g, one cell's share
of the bins; its argmax, bin 0, counts the coordinates in the first cell), said under the rows,
and its combined row repeats the LLM's. Limits: cells of square images tiled by one g × g grid;
every record needs its images.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eval.common import write_out
from eval.model_args import check_probe_args
from rsvlm.argparsing import Parser
from rsvlm.progress import counted


def cell_stats(model, processor, data: Path, limit: int | None = None, batch_size: int = 16,
               progress: bool = True, image_root: Path | None = None) -> dict:
    """{"llm" | "pointer" | "both": {"mass", "argmax_in_cell"}, "n": coordinates, "records": records holding them,
    "without_coordinates": records read whose answers (or images) hold none, "skipped": records not
    scored (unreadable lines and images, by reason), "cut": records longer than the LLM's context (1024 tokens
    where it says none), cut there, their later coordinates not scored, "cut_before_any": those of them cut before
    their first coordinate (whether their answers held any is not known: not among "without_coordinates")};
    a progress bar on stderr. Relative image
    paths are read against ``image_root`` (by default ``data``'s folder), as rsvlm eval reads them."""
    import torch

    from eval.loc_error import max_length
    from rsvlm.data.records import ReadReport
    from rsvlm.eval_answers import late_system_of
    from rsvlm.model.grammar import coordinate_axes
    from rsvlm.model.pointer import grid_side
    from rsvlm.progress import bar as progress_bar
    from rsvlm.tokens import NUM_BINS
    from rsvlm.train import data as D

    tok = processor.tokenizer
    report = ReadReport(str(data))
    # a later system turn the chat format cannot write: left out and counted, as training and rsvlm eval do
    root = image_root or data.parent
    index = D.build_index(data, tok, dict(processor.n_tokens), report, roots=[root],
                          late_system=late_system_of(processor))
    skipped, first_bad = dict(report.skipped), None
    # cut at the LLM's context, not at 1024 tokens: a long answer's later coordinates were left out, unsaid
    ctx = max_length(model)
    ds = D.SFTDataset(index, root, processor, processor.prompt, ctx)
    cut = 0
    pid = model.pointer_ids()
    n = min(len(ds), limit or len(ds))
    sums = {k: [0.0, 0.0] for k in ("llm", "pointer", "both")}
    count, held, asked, cut_none = 0, 0, 0, 0  # coordinates; records that held some, records read, cut before any
    bar = progress_bar(total=n, desc="probing cells", unit="record", file=sys.stderr, disable=not progress)
    for start in range(0, n, batch_size):
        batch = D.collate([ds[i] for i in range(start, min(n, start + batch_size))], tok.pad_token_id)
        bar.update(min(n, start + batch_size) - start)
        cut += len(batch["cut"])
        cut_ids = {rid for rid, _ in batch["cut"]}
        for _, error in batch["bad"]:
            reason, first_bad = error.split(":", 1)[0], first_bad or error
            skipped[reason] = skipped.get(reason, 0) + 1
        asked += len(batch["ids"])
        if not batch["ids"]:
            continue
        with torch.no_grad():
            emb = model.embed_inputs(batch["input_ids"], batch["images"])
            out = model.llm(inputs_embeds=emb, attention_mask=batch["attention_mask"], output_hidden_states=True)
        hidden = out.hidden_states[-1]  # (B,T,D)
        for b, ids in enumerate(batch["input_ids"].tolist()):
            coords = [(p, ax) for p, ax in coordinate_axes(ids, pid.grammar) if batch["labels"][b, p] != -100]
            vis = (batch["input_ids"][b] == pid.image).nonzero().flatten()  # (N,)
            if not coords or len(vis) == 0:  # a record cut before its first: counted apart, not as one of none
                cut_none += bool(not coords and batch["ids"][b] in cut_ids)
                continue
            at = torch.tensor([p - 1 for p, _ in coords])  # positions that predict them
            axes = torch.tensor([ax for _, ax in coords])
            llm = out.logits[b, at, pid.loc0:pid.loc0 + NUM_BINS].float().log_softmax(-1)  # (M,1000)
            g = model.loc_pointer.side(len(vis)) if model.loc_pointer is not None else grid_side(len(vis))
            ptr = (model.loc_pointer.log_prior(hidden[b, at], hidden[b, vis], axes) if model.loc_pointer is not None
                   else torch.zeros_like(llm))
            true_cell = torch.tensor([ids[p] - pid.loc0 for p, _ in coords]) * g // NUM_BINS  # (M,)
            cells = torch.arange(NUM_BINS) * g // NUM_BINS  # (1000,)
            on = cells[None] == true_cell[:, None]  # (M,1000)
            for key, lp in (("llm", llm), ("pointer", ptr.log_softmax(-1)), ("both", (llm + ptr).log_softmax(-1))):
                sums[key][0] += float((lp.exp() * on).sum())
                sums[key][1] += float((cells[lp.argmax(-1)] == true_cell).sum())
            count += len(coords)
            held += 1
    bar.close()
    if count == 0:
        # was the same words when every record's image was missing: the cause unsaid
        unread = ""
        if skipped:
            unread = f"; {counted(sum(skipped.values()), 'record')} not read ({', '.join(f'{k}: {v}' for k, v in skipped.items())})"
        if first_bad:  # the hint only where an image was not found (a bad band count is no --image-root's)
            unread += f", the first: {first_bad}" + (f"; relative image paths are read against --image-root {root}"
                                                     if first_bad.startswith("FileNotFoundError") else "")
        if cut_none:  # was "no coordinate in the answers" of records whose answers lay past the context
            unread += f"; {counted(cut_none, 'record')} cut at the LLM's context ({ctx} tokens) before any"
        raise ValueError(f"{data}: no coordinate in {'the answer of its first record' if n == 1 else f'the answers of its first {n} records'}{unread}")
    out = {k: {"mass": round(m / count, 4), "argmax_in_cell": round(a / count, 4)} for k, (m, a) in sums.items()}
    return {**out, "n": count, "records": held, "without_coordinates": asked - held - cut_none, "skipped": skipped,
            "cut": cut, "cut_before_any": cut_none}


def main(argv: list[str] | None = None) -> int:
    from rsvlm.inference import load_model

    p = Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="checkpoint folder (default: the bundled model)")
    p.add_argument("--data", required=True, help="JSONL records whose answers hold shapes")
    p.add_argument("--limit", type=int, default=None, help="score the first N records only (the whole file is still read and measured first)")
    p.add_argument("--out", default=None, help="write the result JSON here too")
    p.add_argument("--image-root", default=None, help="folder that the records' relative image paths start from "
                                                      "(default: the --data file's folder), as rsvlm eval's")
    a = p.parse_args(argv)
    if a.limit is not None and a.limit < 1:  # 0 meant every record, a negative one a ValueError
        p.error(f"--limit {a.limit}: give 1 or more")
    if a.out == "-":  # was a file named -
        p.error("--out -: the figures are printed on standard output; give a file for the JSON")
    check_probe_args(p, a)
    try:
        model, processor = load_model(a.model, device="cpu")
        res = cell_stats(model, processor, Path(a.data), a.limit, image_root=Path(a.image_root) if a.image_root else None)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if res["skipped"]:
        print(f"{counted(sum(res['skipped'].values()), 'record')} not scored ("
              + ", ".join(f"{k}: {v}" for k, v in res["skipped"].items()) + ")", file=sys.stderr)
    if res["cut"]:
        print(f"{counted(res['cut'], 'record')} {'is' if res['cut'] == 1 else 'are'} longer than the LLM's context and cut there: their later coordinates are "
              "not scored", file=sys.stderr)
    # was '112 coordinates' of a file whose other records (vqa, cls) hold none: how many were scored is said
    none = f"; {res['without_coordinates']} with none in their answers" if res["without_coordinates"] else ""
    if res["cut_before_any"]:  # were counted among those with none: their answers lay past the context
        none += f"; {res['cut_before_any']} cut at the LLM's context before any"
    print(f"{res['n']} coordinates in {counted(res['records'], 'record')}{none}; probability on the true cell / most "
          "likely bin in it:")
    for k in ("llm", "pointer", "both"):
        print(f"  {k:8s} {res[k]['mass']:.3f} / {res[k]['argmax_in_cell']:.3f}")
    if model.loc_pointer is None:  # else its row reads as a pointer that beats the LLM on the argmax
        print("  (no location pointer in this model: its row is a flat term's, 1/g and the first cell's share; "
              "both is the LLM's)")
    if a.out:
        write_out(a.out, json.dumps(res, indent=1) + "\n")  # whole: a kill leaves the old file or the new
    return 0


if __name__ == "__main__":
    from rsvlm.closed_pipes import run_main

    sys.exit(run_main(main))  # `… | head`: the rest to the null device
