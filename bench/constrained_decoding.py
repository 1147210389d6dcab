"""Grammar-constrained decoding against free decoding: answers with geometry problems, and speed.

    OMP_NUM_THREADS=2 .venv/bin/python bench/constrained_decoding.py [--scenes 4] [--model DIR]

Generates a small held-out synthetic test set (``configs/default/data_test.yaml``, a seed no build
trains on) into a temporary folder (``--keep DIR`` keeps it), answers it with the model (default:
the bundled one) through ``rsvlm eval``'s batched path, once decoding freely and once held to the
geometry grammar, and prints per task the answers ``geometry.decode`` reports problems for (records
``rsvlm eval`` could not answer are counted apart, with the first one's error), and the records and
answer tokens per second of both (best of --repeat, the two interleaved, after an untimed warm-up
batch; runs that would end past --budget left out, said before that table): held answers that finish
a mask instead of breaking off are longer, so tokens/s is the fair speed figure. Answer tokens are
those the model generated (its end-of-answer tokens left out), not the answers' text tokenised
again. Scores need ``eval/``; see docs/default-model.md.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from common import (
    Budget,
    budget_option,
    check_keep,
    keep_option,
    markdown_table,
    model_options,
    run_script,
    warm_up,
    work_dir,
)

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser
from rsvlm.loading import model_arg_problem
from rsvlm.progress import plural

REPO = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def counting_tokens(model):
    """Within it, ``model.generate``'s answers' tokens (EOS and stop-string tokens left out, as
    ``GenerateOutput.tokens``) are added up in the list yielded, one sum per call."""
    generate = model.generate
    counts: list[int] = []

    def counted(*args, **kwargs):
        out = generate(*args, **kwargs)
        counts.append(sum(len(t) for t in out.tokens))
        return out

    model.generate = counted
    try:
        yield counts
    finally:
        del model.generate  # the class's method again


def main() -> None:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenes", type=int, default=4, help="synthetic test scenes to answer (default 4, about 130 records: "
                    "a run of both decodings in about 2 min on 2 loaded cores)")
    ap.add_argument("--seed", type=int, default=9101,
                    help="data_gen synth seed of the test scenes (default 9101, held out)")
    model_options(ap)
    ap.add_argument("--repeat", type=int, default=2,
                    help="runs of each decoding, interleaved; the fastest counts (default 2)")
    budget_option(ap, 120)
    keep_option(ap)
    args = ap.parse_args()
    budget = Budget(ap, args.budget)
    require_at_least_one(ap, args, ("scenes", "batch_size", "max_new_tokens", "repeat"))
    if args.seed < 0:  # else data_gen's usage error, as a CalledProcessError traceback after loading the model
        ap.error(f"--seed {args.seed}: give 0 or more")
    if why := model_arg_problem(args.model):  # '' (an unset variable) loaded the bundled model unsaid
        ap.error(why)
    check_keep(ap, args.keep)

    import torch

    from rsvlm import evaluate, geometry
    from rsvlm import inference as inf

    model, processor = inf.load_model(args.model, "cpu")
    with work_dir(args.keep, "constrained_decoding") as tmp:
        data = tmp / "data"
        print(f"constrained_decoding: {args.scenes} test {plural('scene', args.scenes)} …", file=sys.stderr)
        made = subprocess.run([sys.executable, "-m", "data_gen", "synth", "--out", str(data), "--n", str(args.scenes),
                               "--seed", str(args.seed), "--config", str(REPO / "configs/default/data_test.yaml"),
                               "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if made.returncode:
            raise SystemExit(f"constrained_decoding: data_gen synth failed:\n{made.stderr[-2000:]}")
        gt = {json.loads(line)["id"]: json.loads(line) for line in (data / "test.jsonl").read_text().splitlines()}
        times: dict[bool, list[float]] = {True: [], False: []}
        answers: dict[bool, list[dict]] = {}
        ntok: dict[bool, int] = {}
        for constrain in (False, True):
            warm_up(model, processor, data / "test.jsonl", tmp / "warm.jsonl", args.batch_size,
                    args.max_new_tokens, constrain=constrain)
        for r in budget.runs(args.repeat):
            for constrain in (False, True):
                out = tmp / f"pred-{constrain}-{r}.jsonl"
                print(f"constrained_decoding: run {r + 1} of {args.repeat}, {'held' if constrain else 'free'}",
                      file=sys.stderr)  # rsvlm eval's bar follows
                with counting_tokens(model) as counts:
                    t0 = time.perf_counter()
                    evaluate.run(model, processor, data / "test.jsonl", out, args.batch_size, args.max_new_tokens,
                                 progress=True, constrain=constrain)
                    times[constrain].append(time.perf_counter() - t0)
                ntok[constrain] = sum(counts)
                answers[constrain] = [json.loads(line) for line in out.read_text().splitlines()]
    n = len(gt)
    bad = {c: Counter() for c in (False, True)}
    failed: dict[bool, list[dict]] = {False: [], True: []}  # rows rsvlm eval could not answer ("error")
    total = Counter(r["task"] for r in gt.values())
    for c, rows in answers.items():
        for row in rows:
            meta = gt[row["id"]].get("meta", {})
            if "error" in row:  # answered "": it read as an answer without problems
                failed[c].append(row)
            elif geometry.decode(row["answer"], meta.get("width", 96), meta.get("height", 96)).problems:
                bad[c][row["task"]] += 1
    print(f"{n} {plural('record', n)} of {args.scenes} {plural('scene', args.scenes)} (seed {args.seed}); "
          f"batch {args.batch_size}, max {args.max_new_tokens} new tokens; threads={torch.get_num_threads()}")
    rows = [[task, str(total[task]), str(bad[False][task]), str(bad[True][task])] for task in sorted(total)]
    rows.append(["all", str(n), str(sum(bad[False].values())), str(sum(bad[True].values()))])
    print(markdown_table(["task", "records", "with problems, free", "with problems, held"], rows))
    for c, rows in failed.items():
        if rows:
            print(f"\n{len(rows)} {plural('record', len(rows))} not answered {'held' if c else 'free'} (counted in "
                  f"neither column; first: {rows[0]['id']}: {rows[0]['error']})")
    tf, tc = min(times[False]), min(times[True])
    if cut := budget.note():
        print(f"\n{cut}")
    print("\n" + markdown_table(["decoding", "answer tokens", "records/s", "answer tokens/s"],
                               [[name, str(ntok[c]), f"{n / t:.2f}", f"{ntok[c] / t:.1f}"]
                                for name, c, t in (("free", False, tf), ("held", True, tc))]))
    if ntok[False]:  # else every free answer was empty: no ratio of tokens
        print(f"\nheld / free: {tc / tf:.2f}x the time, {ntok[True] / ntok[False]:.2f}x the tokens, "
              f"{(ntok[True] / tc) / (ntok[False] / tf):.2f}x the tokens/s")
    else:
        print(f"\nheld / free: {tc / tf:.2f}x the time; the free answers are all empty")


if __name__ == "__main__":
    sys.exit(run_script(main))
