"""Do two checkpoints hold the same weights? Tensor by tensor, exactly.

    python scripts/compare_checkpoints.py A B [--show 10]

A and B are two checkpoint folders (``final/``, ``merged/``, a stage's ``final/`` with its
``adapter/``; every ``*.safetensors`` under them, matched by relative path) or two
``.safetensors`` files. Prints one line per file (tensors, how many differ, the largest
|difference|) and the tensors that differ most (one of another shape with both shapes: ``(4, 16)
vs (8, 16)``), then for each listed one of other values its |Δ| as a share of its largest |value| in A
and how many of its values differ (read again: a listed 7B embedding costs a second read); on stderr, the
size of each side's weights (values and bytes of all its ``*.safetensors``); a listed tensor's NaN/inf places
in brackets, and before 'identical' how many tensors hold NaN/inf at the same places on both sides. Exit status 0 when every tensor is equal, 1 when any differs or is missing on one
side, 2 on an error (folders with no weight file in common
among them, two files with no tensor name in common; a training step folder against a model, which scripts/export_step.py writes as one
first), 130 on Ctrl-C. Configs and tokenizers are not compared. Where only a LoRA adapter's tensors
differ (unmerged adapters, one side's adapter alone, untrained ones: lora_A only, lora_B zero), a
'note:' line says so in words.
"""

from __future__ import annotations

import collections
import math
import sys
from pathlib import Path

from rsvlm.argparsing import Parser
from rsvlm.progress import counted

PICKLED = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def main(argv: list[str] | None = None) -> int:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", help="checkpoint folder or .safetensors file")
    ap.add_argument("b", help="checkpoint folder or .safetensors file")
    ap.add_argument("--show", type=int, default=10, help="list this many differing tensors, largest first")
    args = ap.parse_args(argv)
    if args.show < 0:  # bad[:-1] listed all but one
        ap.error(f"--show {args.show}: give 0 or more")
    from rsvlm.model.weights import compare_weights, lora_note, weights_at

    a, b = weights_at(args.a), weights_at(args.b)  # a cached hub name's snapshot: was checked, sized and read as org/name
    for name, p in ((args.a, a), (args.b, b)):
        if p != Path(name):
            print(f"{name}: read from the Hugging Face cache, {p}", file=sys.stderr)
    for step, model in ((a, b), (b, a)):  # was 'no .safetensors file in common; compare … at the same level'
        if (step / "trainable.safetensors").is_file() and (model / "config.yaml").is_file():
            print(f"error: {step} is a training step folder and {model} a model: write the step as a model with "
                  "scripts/export_step.py, then compare the two models", file=sys.stderr)
            return 2
    for p in (a, b):
        if p.is_file() and p.suffix != ".safetensors":
            why = ("pickled weights, which are never loaded" if p.suffix in PICKLED
                   else "give two checkpoint folders or two .safetensors files")  # was 'pickled' for a config.yaml
            print(f"error: {p}: not a .safetensors file; {why}", file=sys.stderr)
            return 2
        if p.is_dir():
            for f in sorted(q for q in p.rglob("*") if q.suffix in PICKLED):
                print(f"note: {f} not compared (pickled weights are never loaded; only *.safetensors are)")
    try:
        rows = compare_weights(args.a, args.b, progress=True)
    except (ValueError, FileNotFoundError) as e:  # incl. a file named .safetensors that is not one
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a file it may not read, a folder named *.safetensors: was a traceback
        print(f"error: reading {a} and {b}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # it only reads: nothing to clean up
        print("\nstopped (Ctrl-C): nothing compared", file=sys.stderr)
        return 130

    if a.is_file() and rows and all(r["status"].startswith("only in") for r in rows):  # was '99 of 99 differ'
        held = collections.Counter(r["status"][-1] for r in rows)
        if len(held) == 2:  # both hold tensors, none of one name: a vision.safetensors against an llm/ weights file
            print(f"error: {a} ({held['A']} tensors) and {b} ({held['B']}): no tensor name in common, so not two "
                  "versions of one weights file; compare the same file of two checkpoints (or the two folders)",
                  file=sys.stderr)
            return 2

    def far(r: dict) -> float:  # a NaN |Δ| (one side NaN: a run that diverged) is the largest, not hidden
        return math.inf if math.isnan(r["max_abs"]) else r["max_abs"]

    def unmeasured(r: dict) -> bool:  # a difference |Δ| cannot size: shape, only on one side, integers
        return r["status"] != "same" and r["max_abs"] == 0

    by_file = collections.defaultdict(list)
    for r in rows:
        by_file[r["file"]].append(r)
    # was unsaid: only the listed tensors were sized, so a float16 copy or a lost weight file showed in no total;
    # on stderr, as the bar: stdout's lines are the table and its verdict, last
    print("size: " + "; ".join(f"{side} {_size(p)}" for side, p in (("A", a), ("B", b))), file=sys.stderr)
    print(f"{'file':<40} {'tensors':>7} {'differ':>6} {'max |Δ|':>10}")
    for f, rs in by_file.items():
        bad = [r for r in rs if r["status"] != "same"]
        big = max(rs, key=far)["max_abs"] if rs else 0.0
        kinds = sorted({r["status"] for r in bad if unmeasured(r)})  # was '28 differ, max |Δ| 0' for shapes
        print(f"{f:<40} {len(rs):>7} {len(bad):>6} {f'{big:.3g}' if big or not kinds else '/'.join(kinds):>10}")
    bad = sorted((r for r in rows if r["status"] != "same"), key=far, reverse=True)
    for r in bad[: args.show]:
        said = f"  {r['shape_a']} vs {r['shape_b']}" if "shape_a" in r else "" if unmeasured(r) else f"  {r['max_abs']:.3g}"
        said += f" ({r['note']})" if "note" in r else ""  # NaN/inf: where each side holds them (weights._value_gap)
        print(f"  {r['file']}: {r['name']}  {r['status']}{said}")
    # listed last, cut by --show: counted; every dtype row (those of equal values were all it counted: '78 of 99
    # tensors differ (40 in dtype)' for a float16 copy of 78 float32 weights), how many hold the same values
    kinds = collections.Counter(r["status"] for r in bad if unmeasured(r) or r["status"] == "dtype")
    label = {"shape": "in shape", "dtype": "in dtype", "differs": "in values |Δ| does not size"}
    equal = sum(r["status"] == "dtype" and r["max_abs"] == 0 for r in bad)  # of the dtype rows
    what = ", ".join(f"{n} {label.get(k, k)}" + (f": {equal} of those equal in value" if k == "dtype" and equal else "")
                     for k, n in sorted(kinds.items()))
    # equal bits may hold NaN/inf (a diverged run against its copy): 'identical' did not say so; the verdict stays last
    if not bad and (odd := sum("note" in r for r in rows)):
        print(f"{counted(odd, 'tensor')} {'holds' if odd == 1 else 'hold'} NaN or inf, at the same places on both sides")
    print("identical" if not bad else f"{len(bad)} of {len(rows)} tensors differ" + (f" ({what})" if what else ""))
    sized = [r for r in bad[: args.show] if r["status"] == "differs" and not r["max_abs"] <= 0]  # NaN in
    if sized:  # a bare |Δ| of 0.01 said nothing of whether that is noise or the whole weight: against its scale
        print("of those listed, |Δ| against the tensor's largest |value| in A, and how many of its values differ:")
        for r in sized:
            print(f"  {r['file']}: {r['name']}  {_scale(a, b, r)}")
    try:  # an adapter's factors alone differing: was a list of lora_A/lora_B names, unexplained
        note = lora_note(rows, lambda rel: a if a.is_file() else a / rel)
    except (ValueError, OSError) as e:
        note = f"(could not read lora_B from {a}: {e})"
    if note:
        print(f"note: {note}")
    if bad and (merge := _merge_of(a, b)):  # an adapter checkpoint against its merge: a list of W + BA rows, unsaid
        print(f"note: {merge}")
    if moved := _reshard(rows):  # an llm/ saved in shards against one file: was 'N only in A, M only in B', alone
        print(f"note: {moved}")
    return 1 if bad else 0


def _reshard(rows: list[dict]) -> str | None:
    """Where tensors are only in A in one file and only in B in another of the same folder (the weights split
    into other shards, as save_pretrained's max_shard_size does), a note saying so; else None."""
    held = {side: {(str(Path(r["file"]).parent), r["name"]) for r in rows if r["status"] == f"only in {side}"}
            for side in "AB"}
    if not (both := held["A"] & held["B"]):
        return None
    folders = sorted({d for d, _ in both})
    return (f"{counted(len(both), 'tensor')} of {', '.join(f'{d}/' for d in folders)} {'is' if len(both) == 1 else 'are'}"
            " in one file in A and another in B (sharded otherwise): compared by file, each counts as only in A and "
            "only in B; their values are not compared")


def _merge_of(a: Path, b: Path) -> str | None:
    """Where one folder is the other merged (its merged_lora.json records the other's adapter/ weights), a note
    saying that the merged llm/ holds W + BA and differs so by design; else None."""
    from rsvlm.model.ckpt_files import adapter_sha256
    from rsvlm.model.weights import merged_adapters

    if not (a.is_dir() and b.is_dir()):
        return None
    for src, merged in ((a, b), (b, a)):
        if (sha := adapter_sha256(src)) and sha in merged_adapters(merged):
            return (f"{merged} is {src} merged (rsvlm merge-lora: its merged_lora.json records {src}'s adapter), so "
                    f"its llm/ holds W + BA where {src} keeps W and adapter/ apart: they differ by design")
    return None


def _size(top: Path) -> str:
    """The weights under ``top`` (a .safetensors file, or every one under a folder, as compared): "1,234 values in
    2 files, 4.9 MB" (values from the files' headers, bytes on disk). Other files (configs, pickles) are not counted."""
    from rsvlm.model.weights import open_safetensors

    files = [top] if top.is_file() else sorted(f for f in top.rglob("*.safetensors") if f.is_file())
    values = size = 0
    for f in files:  # the header alone: each tensor's shape, no values read
        with open_safetensors(f) as h:
            values += sum(math.prod(h.get_slice(k).get_shape()) for k in h.keys())
        size += f.stat().st_size
    unit, scale = next(((u, n) for u, n in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)) if size >= n), ("B", 1))
    return f"{values:,} values in {counted(len(files), 'file')}, {size / scale:.3g} {unit}"


def _scale(a: Path, b: Path, row: dict) -> str:
    """How far a differing tensor moved for its size: "1.1% of 0.91, 192 of 192 values" (its two sides read again);
    values NaN or infinite on one side are counted apart, not sized (row's |Δ| is NaN or inf for them)."""
    from rsvlm.model.weights import open_safetensors

    sides = []
    for top in (a, b):
        with open_safetensors(top if top.is_file() else top / row["file"]) as h:
            sides.append(h.get_tensor(row["name"]).double())
    x, y = sides
    moved = ~((x == y) | (x.isnan() & y.isnan()))  # a NaN on both sides is no difference
    finite = moved & x.isfinite() & y.isfinite()
    nan = int((x.isnan() ^ y.isnan()).sum())
    inf = int((moved & ~finite).sum()) - nan  # inf on one side, or of the other sign
    parts = []
    if finite.any():  # was sized by the row's |Δ|: an inf in B read 'all zero in A, |Δ| inf', an inf in both 'NaN'
        d, top = float((x - y)[finite].abs().max()), float(x[x.isfinite()].abs().max())
        parts.append(f"{100 * d / top:.3g}% of {top:.3g}" if top else f"all zero in A, |Δ| {d:.3g}")
    parts += [f"{what} on one side in {counted(n, 'value')}" for what, n in (("NaN", nan), ("inf", inf)) if n]
    return f"{'; '.join(parts)}, {int(moved.sum())} of {x.numel()} values"


if __name__ == "__main__":
    from rsvlm.closed_pipes import run_main

    sys.exit(run_main(main))  # `… | head`: the rest to the null device
