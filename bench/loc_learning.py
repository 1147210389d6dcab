"""How fast a from-scratch LLM learns to write coordinates: ``<loc_N>`` initialisation × loss.

    .venv/bin/python bench/loc_learning.py [--steps 300] [--every 50] [--seeds 0] [--out results.json]

The default model's LLM (configs/default/model.yaml: a 4-layer Llama, hidden 256) with the bundled
tokenizer, fresh random weights, trained on text-only boxes ``<box> x1 y1 x2 y2 </box>`` where
x1, y1 are uniform and the size is uniform in 20…200 bins. Scored teacher-forced on x2 and y2: the
mean |expected bin − true bin| (1000 bins per side). x2 = x1 + w can only be known up to w, so
the floor is the mean |w − median w| = 45 bins; always answering the mean scores about 200.

This isolates the part of localisation that needs no image (relating one coordinate to the
previous ones) and is what the issue-8 choices act on: ``loc_init`` sincos against random rows,
and ``loss.loc_sigma`` 10 (Gaussian target) against one-hot cross-entropy. Four runs, same seed,
same batches; the baseline is random rows with one-hot loss (what a plain added-token LLM does).

Limits: a proxy; it does not measure reading positions from visual tokens.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from common import check_out, markdown_table, run_script, write_json

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser
from rsvlm.progress import bar

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = (("random", 0.0), ("random", 10.0), ("sincos", 0.0), ("sincos", 10.0))
FLOOR = 45.0


def make_llm(loc_init: str, seed: int):
    import yaml

    from rsvlm.model.llm import LLMConfig, build_llm

    cfg = yaml.safe_load((ROOT / "configs/default/model.yaml").read_text())["llm"]
    cfg.update(tokenizer=str(ROOT / "rsvlm/assets/default_model/tokenizer"), loc_init=loc_init, seed=seed)
    torch.manual_seed(seed)
    llm, tok, ids = build_llm(LLMConfig(**cfg))
    return llm, tok, ids.loc_start


def boxes(n: int, gen: torch.Generator, loc0: int, box: int, end: int) -> torch.Tensor:
    """(n, 6) token ids of random boxes."""
    xy = torch.randint(0, 800, (n, 2), generator=gen)  # (n,2)
    wh = torch.randint(20, 201, (n, 2), generator=gen)  # (n,2)
    far = (xy + wh).clamp(max=999)
    return torch.cat([torch.full((n, 1), box), loc0 + xy, loc0 + far, torch.full((n, 1), end)], dim=1)


def run(loc_init: str, sigma: float, steps: int, every: int, seed: int) -> list[tuple[int, float]]:
    from rsvlm.train.losses import lm_losses

    llm, tok, loc0 = make_llm(loc_init, seed)
    box, end = tok.convert_tokens_to_ids(["<box>", "</box>"])
    opt = torch.optim.AdamW(llm.parameters(), lr=1e-3)
    train_gen, test_gen = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 999)
    test = boxes(512, test_gen, loc0, box, end)
    curve = []
    for step in bar(range(steps + 1), desc=f"{loc_init} σ={sigma}", unit="step", leave=False):
        if step % every == 0 or step == steps:  # the last step too: the table's end column is "at the end"
            with torch.no_grad():
                lg = llm(input_ids=test).logits[:, 2:4, loc0:loc0 + 1000]  # (512,2,1000): predicts x2, y2
                mean = (lg.softmax(-1) * torch.arange(1000)).sum(-1)  # (512,2)
                curve.append((step, float((mean - (test[:, 3:5] - loc0)).abs().mean())))
        if step == steps:
            break
        seq = boxes(64, train_gen, loc0, box, end)
        labels = seq.clone()
        labels[:, 0] = -100
        loss, _ = lm_losses(llm(input_ids=seq).logits, labels, loc0, sigma)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return curve


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300, help="training steps per variant (default 300)")
    p.add_argument("--every", type=int, default=50, help="score every N steps (default 50)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds; the table shows their mean (default 0)")
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    a = p.parse_args(argv)
    require_at_least_one(p, a, ("steps", "every"))
    try:
        seeds = [int(s) for s in a.seeds.split(",")]
    except ValueError:
        p.error(f"--seeds {a.seeds!r}: give whole numbers separated by commas")
    check_out(p, a.out)  # else found after the work
    results = {}
    for loc_init, sigma in VARIANTS:
        t = time.perf_counter()
        curves = [run(loc_init, sigma, a.steps, a.every, s) for s in seeds]
        steps = [s for s, _ in curves[0]]
        results[f"{loc_init} σ={sigma:g}"] = {"steps": steps, "mae": [sum(c[i][1] for c in curves) / len(curves)
                                                                   for i in range(len(steps))],
                                             "seconds": time.perf_counter() - t}
        print(f"[loc_learning] {loc_init} σ={sigma:g}: {results[f'{loc_init} σ={sigma:g}']['seconds']:.0f} s",
              file=sys.stderr, flush=True)
    steps = next(iter(results.values()))["steps"]
    base = results["random σ=0"]["mae"]
    print(f"x2/y2 expected-bin MAE (teacher-forced; floor {FLOOR:g}, mean-guess ≈ 200), seeds {seeds}")
    table = [[name, *(f"{v:.1f}" for v in r["mae"]), f"{(r['mae'][-1] - FLOOR) / max(1e-9, base[-1] - FLOOR):.2f}×"]
             for name, r in results.items()]
    print(markdown_table(["loc_init, loss", *(f"step {s}" for s in steps), "excess over floor at the end vs baseline"],
                         table))
    if a.out:
        write_json(a.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
