"""Training throughput: length-grouped batches against naive (random-order) padded batches, same run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/train_throughput.py [--steps 30] [--n 192] [--batch-size 8] [--repeat 6]

Both arms train the tiny recipe (configs/train/sft_tiny.yaml) from the same initial weights on
the same synthetic records (answers of very different lengths, generated in a temp folder) for the
same number of steps, one process on CPU. Printed: real (non-pad) tokens per second, the non-pad
fraction of the padded batches, and the ratios grouped / naive, all over steps 2.. of each run (from
its metrics.jsonl): the first step warms up, and saving the final model is not training. Records are
cut at the LLM's context (data.max_length), which the generated ones fit; a cut one would be counted
in the table's ``cut`` column (samples cut, over all steps).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import markdown_table, run_script, steady

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser
from rsvlm.progress import counted

REPO = Path(__file__).resolve().parents[1]
WORDS = "field river road roof ship harbour forest runway tank bridge".split()


def make_data(root: Path, n: int, seed: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    lines = []
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(root / "images" / f"{i}.png")
        # mixed answer lengths, as in real instruction data; the longest (about 500 tokens with the prompt
        # and image) within the tiny LLM's context of 512 (80 words ran 42 of 192 records past it)
        n_words = int(rng.choice([2, 8, 24, 48]))
        answer = " ".join(rng.choice(WORDS, n_words))
        lines.append({"id": str(i), "images": [{"path": f"images/{i}.png", "modality": "optical"}],
                      "conversations": [{"from": "human", "value": "<image>\n[cap] Describe the image."},
                                        {"from": "gpt", "value": answer}], "task": "cap"})
    path = root / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def run(data: Path, out: Path, batching: str, steps: int, batch_size: int) -> dict:
    """One arm's steps 2.. (``common.steady``: tokens, seconds, tokens_per_s, non_pad_fraction)."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.loop import train

    cfg = load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", [
        f"data.train={data}", f"out_dir={out}", f"data.batching={batching}", f"max_steps={steps}",
        f"batch_size={batch_size}", "ckpt.every=0", "log.every=1", "log.progress=false",
        f"data.max_length={tiny_context()}"])
    summary = train(cfg)
    return {**steady(out / "metrics.jsonl", after=1), "cut": summary["cut_samples"]}


def tiny_context() -> int:
    """The tiny LLM's context (max_position_embeddings): records are cut there, and counted."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    return load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml").model.llm.config["max_position_embeddings"]


def fastest(runs: list[dict]) -> dict:
    """Each arm's run of most tokens/s among ``runs`` (one {arm: result} per round): the arms run one
    after the other, so load from other jobs falls on one more than the other within a round."""
    return {arm: max((r[arm] for r in runs), key=lambda x: x["tokens_per_s"]) for arm in runs[0]}


def main() -> None:
    p = Parser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30, help="training steps per run; tokens/s over steps 2.. (default 30)")
    p.add_argument("--n", type=int, default=192, help="generated records (default 192)")
    p.add_argument("--batch-size", type=int, default=8, help="batch size (default 8)")
    p.add_argument("--seed", type=int, default=0, help="data and training seed (default 0)")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs of each arm, alternated; each arm's fastest counts (default 1)")
    args = p.parse_args()
    # as rsvlm.cli: peft imports bitsandbytes, which logs that it cannot fetch an optional CPU kernel
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    require_at_least_one(p, args, ("n", "batch_size", "repeat"))
    if args.steps < 2:  # else found after both runs, by steady()
        p.error(f"--steps {args.steps}: give 2 or more (the first step warms up and is not timed)")
    if args.seed < 0:  # else numpy's "expected non-negative integer" traceback
        p.error(f"--seed {args.seed}: give 0 or more")
    # the training's own lines (DeepSpeed's accelerator warning is printed to stdout) go with the progress
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(sys.stderr):
        data = make_data(Path(tmp) / "data", args.n, args.seed)
        runs = []
        for k in range(args.repeat):
            runs.append({})
            for b in ("naive", "length_grouped"):  # said on stderr: 12 runs of about 6 s each at --repeat 6
                print(f"train_throughput: round {k + 1} of {args.repeat}, {b} batching", flush=True)
                runs[-1][b] = run(data, Path(tmp) / f"{b}_{k}", b, args.steps, args.batch_size)
        res = fastest(runs)
    print(f"\ntiny recipe, {counted(args.steps, 'step')}, batch {args.batch_size}, {counted(args.n, 'record')}, "
          f"1 CPU process; timed: steps 2..{args.steps}; each arm's fastest of {counted(args.repeat, 'run')}")
    rows = [[name, f"{r['tokens_per_s']:.0f}", f"{r['non_pad_fraction']:.3f}", str(r["tokens"]), f"{r['seconds']:.1f}",
             str(r["cut"])] for name, r in res.items()]
    g, nv = res["length_grouped"], res["naive"]
    rows.append(["ratio grouped / naive", f"{g['tokens_per_s'] / nv['tokens_per_s']:.2f}",
                 f"{g['non_pad_fraction'] / nv['non_pad_fraction']:.2f}", "", "", ""])
    print(markdown_table(["batching", "tokens/s", "non-pad", "tokens", "seconds", "cut"], rows))


if __name__ == "__main__":
    sys.exit(run_script(main))
