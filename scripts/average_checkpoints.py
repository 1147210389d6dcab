"""Weight-average merged rsvlm checkpoints fine-tuned from one starting point (a model soup).

    python scripts/average_checkpoints.py A B [C ...] --out DIR [--weights 0.5 0.5]

Inputs must be full checkpoints of one config and tokenizer (``rsvlm merge-lora`` an adapter
checkpoint first). Nothing checks that the inputs share a starting point; averaging unrelated
models gives a broken one.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from rsvlm.argparsing import Parser
from rsvlm.progress import counted

PICKLED = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def main(argv: list[str] | None = None) -> int:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="checkpoint directories (two or more), or hub names (org/name[@REV]) "
                    "the Hugging Face cache holds a whole checkpoint of, as rsvlm chat --model reads")
    ap.add_argument("--out", required=True, help="output checkpoint directory")
    ap.add_argument("--weights", type=float, nargs="+", help="one weight per model (normalised; default equal)")
    args = ap.parse_args(argv)
    if len(args.models) < 2:  # was 'averaging needs at least two checkpoints', after the imports, naming none
        ap.error(f"models: only {args.models[0]} given; give at least two checkpoints to average")
    if args.weights and not all(math.isfinite(w) for w in args.weights):  # nan/inf made every tensor NaN
        ap.error(f"--weights {' '.join(map(str, args.weights))}: give finite numbers")
    if args.weights and (min(args.weights) < 0 or not any(args.weights)):  # was "weights [-1.0, 2.0]: need …"
        ap.error(f"--weights {' '.join(map(str, args.weights))}: give non-negative numbers, not all zero")
    if args.weights and len(args.weights) != len(args.models):
        ap.error(f"--weights: {counted(len(args.weights), 'weight')} for {len(args.models)} models; give one per model")
    if args.weights and (zero := [m for m, w in zip(args.models, args.weights) if w == 0]):  # was a silent copy
        ap.error(f"--weights {' '.join(map(str, args.weights))}: {', '.join(zero)} would get weight 0 and play no part "
                 "in the average; leave it out of the models, or give it a positive weight")
    read = [(m, folder(m)) for m in args.models]  # a hub name the cache holds: was refused, naming the folder read now
    seen: dict[Path, str] = {}
    for m, d in read:  # the same model twice was 'averaged' with itself: a copy, said to be a soup
        if d.resolve() in seen:  # acme/x and acme/x@main, its snapshot's folder: one checkpoint too
            ap.error(f"{m}: given twice (as {seen[d.resolve()]}{f', both {d}' if d != Path(m) else ''}); give each "
                     "checkpoint once")
        seen[d.resolve()] = m
    where = Path(args.out).resolve()
    for r, m in seen.items():  # else written into the input, which then holds a second checkpoint
        if where == r or r in where.parents:
            ap.error(f"--out {args.out}: inside the input {m}; write the average into a new folder outside it")
    from rsvlm.model.checkpoint import (
        check_new_folder,
        enclosing_checkpoint,
        no_checkpoint,
        script_write,
    )
    from rsvlm.model.ckpt_files import hub_name_note
    from rsvlm.model.out_folder import NotWritable
    from rsvlm.model.weights import average_checkpoints

    if (outer := enclosing_checkpoint(Path(args.out))) is not None:  # another checkpoint's folder: written there
        ap.error(f"--out {args.out}: inside the checkpoint {outer}; write the average into a new folder outside it")
    out = Path(args.out)
    try:  # stale files would pass for the average's; a file was said to be 'not empty'
        check_new_folder(out, "average", "write the average")
    except (FileExistsError, NotWritable) as e:  # NotWritable (9261d4f4) was a traceback here
        print(f"error: {e}", file=sys.stderr)
        return 2
    for m, d in read:
        if d != Path(m):  # which snapshot of it is read (errors name that folder, the card the name and snapshot)
            print(f"{m}: read from the Hugging Face cache at {d}")
        if not (d / "config.yaml").is_file():  # a run's out_dir, a step folder: say what it is (and what to give)
            print(f"error: {no_checkpoint(d) if d.exists() else f'{m}: no such checkpoint folder{hub_name_note(m)}'}",
                  file=sys.stderr)
            return 2
        pickled = sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.suffix in PICKLED) if d.is_dir() else []
        if pickled or (d.is_dir() and not any(d.rglob("*.safetensors"))):
            print(f"error: {d}: {'holds pickled weights ' + ', '.join(pickled[:3]) if pickled else 'no *.safetensors'}"
                  "; only safetensors checkpoints are averaged (pickles are never loaded)", file=sys.stderr)
            return 2
    # out was absent or empty: half-written, it passed for a checkpoint; undone as it was
    # the card names each as given (a snapshot's path was there for a hub name), with the snapshot read
    names = [m if d == Path(m) or m.endswith(f"@{d.name}") else f"{m} at snapshot {d.name}" for m, d in read]
    return script_write(lambda: average_checkpoints([d for _, d in read], out, args.weights, names=names), out, True,
                        f"nothing written to {out}", f"interrupted; the half-written {out} was removed")


def folder(model: str) -> Path:
    """The folder ``model`` names: a local one where it is there, else the Hugging Face cache's snapshot of a hub
    name (``org/name``, ``org/name@REV``) it holds a whole checkpoint of, as ``rsvlm chat --model`` reads (nothing
    fetched), else ``model`` as given (refused after, as missing)."""
    if Path(model).exists():
        return Path(model)
    from rsvlm.model.ckpt_files import cached_checkpoint  # torch: only where no local folder has the name

    return cached_checkpoint(model) or Path(model)


if __name__ == "__main__":
    from rsvlm.closed_pipes import run_main

    sys.exit(run_main(main, "scripts/average_checkpoints.py"))  # `… | head`: goes on, says so
