"""Chat turn latency: a KV-cached ChatSession against LLaVA-CLI-style turns that re-encode the
image and re-prefill the whole history every turn.

    OMP_NUM_THREADS=2 .venv/bin/python bench/chat_latency.py [--turns 6] [--new-tokens 16] [size overrides]

Both paths answer the same conversation (the baseline replays the cached session's own answers
as history), so each turn's prompt is identical, and decode under the same constraints (``held``:
stop strings, a ``[ground]`` answer's owed shape). Prints time to first token (TTFT) and decode
tokens/s per turn (best of --repeat, cached and full turns interleaved; runs that would end past
--budget are left out, said under the table), and the ratios; both are read off the LLM's forward
passes (``Clock``), not the streamed text. Random weights; the model is "small" (below), big enough
that prefill dominates as it does for real models.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from common import Budget, budget_option, markdown_table, run_script

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser
from rsvlm.config import ConfigError, load_config
from rsvlm.model import ChatSession, ImageInput, VLMConfig, create_model
from rsvlm.model.grammar import shape_need
from rsvlm.progress import bar
from rsvlm.tokens import opening_task

REPO = Path(__file__).resolve().parents[1]
SMALL = [
    "encoders.default.width=256", "encoders.default.layers=6", "encoders.default.heads=8",
    "encoders.default.image_size=224", "encoders.default.patch_size=16",  # 196 visual tokens
    "llm.config.hidden_size=512", "llm.config.intermediate_size=1536", "llm.config.num_hidden_layers=8",
    "llm.config.num_attention_heads=8", "llm.config.num_key_value_heads=8", "llm.config.max_position_embeddings=4096",
]
QUESTIONS = ["[cls] What kind of scene is this?", "[count] How many ships are there?", "[vqa] Is there a plane?",
             "[det] Detect every ship.", "[cap] Describe the image.", "[ground] Where is the largest building?",
             "[vqa] What sensor took this image?", "[count] How many storage tanks are there?"]


class Clock:
    """Times one answer by the LLM's forward passes (a hook on ``llm``): each pass's end is when its
    token is chosen, so the first is the first token and their number the tokens generated. The
    streamed text cannot tell: a piece can hold several tokens (half a character, the start of a stop
    string), and an answer held back to its end streamed once, its whole decode read as TTFT."""

    def __init__(self, llm):
        self.t0 = time.perf_counter()
        self.ends: list[float] = []
        self.hook = llm.register_forward_hook(lambda *_: self.ends.append(time.perf_counter()))

    def result(self) -> tuple[float, float, int]:
        """(time to first token, decode tokens/s after it (NaN for one token), tokens generated)."""
        self.hook.remove()
        n = len(self.ends)
        rate = (n - 1) / max(self.ends[-1] - self.ends[0], 1e-9) if n > 1 else float("nan")
        return (self.ends[0] if n else time.perf_counter()) - self.t0, rate, n


def best(runs: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """Each figure's best of the runs of one turn: the least TTFT and, apart, the highest decode rate
    (one run disturbed in either does not carry it into the other); ``(ttft, rate, prefill tokens)``."""
    rates = [r[1] for r in runs if not math.isnan(r[1])]
    return min(r[0] for r in runs), max(rates, default=float("nan")), runs[0][2]


def held(session: ChatSession, question: str) -> dict:
    """``generate``'s options that hold an answer to what ``session.ask`` holds ``question``'s to: the
    template's stop strings, a ``[ground]`` answer's owed shape (none for a ``[cls]``), a ``[det]`` one's
    least objects (the task read as the session reads it: the tag that opens the question)."""
    task = opening_task(question)
    return {"stop_strings": session.processor.stop_strings, "need_shape": shape_need(task),
            "min_shapes": session.min_objects if task == "det" else 0, "constrain": session.constrain}


def main() -> None:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--turns", type=int, default=6, help="chat turns per run (default 6)")
    ap.add_argument("--new-tokens", type=int, default=16, help="new tokens per turn (default 16; an answer of one token has no decode rate: n/a)")
    ap.add_argument("--repeat", type=int, default=3, help="runs; the best of them counts (default 3)")
    budget_option(ap, 120)
    ap.add_argument("overrides", nargs="*", help="model size overrides, key=value of configs/model/tiny.yaml")
    args = ap.parse_args()
    budget = Budget(ap, args.budget)
    require_at_least_one(ap, args, ("new_tokens", "repeat"))
    if args.turns < 2:  # the table compares turns 2..N, which reuse the cache
        ap.error(f"--turns {args.turns}: give 2 or more")
    # as rsvlm.cli: peft imports bitsandbytes, which logs that it cannot fetch an optional CPU kernel
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    torch.manual_seed(0)
    try:
        cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml", SMALL + args.overrides)
    except ConfigError as e:
        ap.error(str(e))
    model, processor = create_model(cfg)
    model.eval()
    eos = model.eos_ids()
    # never end early, so both paths decode the same number of tokens
    model.llm.get_output_embeddings().bias = None
    with torch.no_grad():
        for i in eos:
            model.llm.get_output_embeddings().weight[i].zero_()
    img = ImageInput(np.random.default_rng(0).random((3, 224, 224), dtype=np.float32), "optical", name="bench")
    n_vis = processor.n_visual_tokens(img)

    # untimed, a turn each way: the first calls' one-off costs are no turn's (turn 1, cached first, took them)
    first = "<image>\n" + QUESTIONS[0]
    warm = ChatSession(model, processor, max_new_tokens=args.new_tokens)
    warm.ask(first, images=[img])
    batch = processor(processor.chat_prompt([{"role": "user", "content": first}], add_generation_prompt=True), [img])
    model.generate(**batch, max_new_tokens=args.new_tokens, **held(warm, first))
    cached, baseline = [[] for _ in range(args.turns)], [[] for _ in range(args.turns)]
    stream = lambda piece: None  # noqa: E731  both stream, as a chat does; the clock reads the LLM's passes
    turns = bar(total=args.repeat * args.turns, desc="chat_latency turns", unit="turn", leave=False)
    for _ in budget.runs(args.repeat):  # best of N; cached and full turns interleaved so load hits both alike
        session = ChatSession(model, processor, max_new_tokens=args.new_tokens)
        for k in range(args.turns):
            c = Clock(model.llm)
            q = ("<image>\n" if k == 0 else "") + QUESTIONS[k % len(QUESTIONS)]
            session.ask(q, images=[img] if k == 0 else None, on_token=stream)
            cached[k].append((*c.result()[:2], session.stats[-1]["prefill_tokens"]))
            history = session.messages[:-1]  # what the session was asked: its system message, turns and answers
            c = Clock(model.llm)
            prompt = processor.chat_prompt(history, add_generation_prompt=True)
            batch = processor(prompt, [img])
            model.generate(**batch, max_new_tokens=args.new_tokens, on_token=stream, **held(session, q))
            baseline[k].append((*c.result()[:2], int(batch["input_ids"].shape[1])))
            turns.update()
    turns.total = budget.done * args.turns  # the runs --budget left out are no turns to come: a log's last line
    turns.close()  # read "2/6" of a run that did all it would
    cached, baseline = [best(runs) for runs in cached], [best(runs) for runs in baseline]

    print(f"model: ViT {cfg.encoders['default'].width}x{cfg.encoders['default'].layers}, {n_vis} visual tokens; "
          f"LLM {cfg.llm.config['hidden_size']}x{cfg.llm.config['num_hidden_layers']}; "
          f"{args.new_tokens} new tokens per turn; threads={torch.get_num_threads()}")
    rows = []
    for k, ((tc, sc, pc), (tb, sb, pb)) in enumerate(zip(cached, baseline), 1):
        rates = ["n/a (1 token)"] * 3 if math.isnan(sc) or math.isnan(sb) else [f"{sc:.1f}", f"{sb:.1f}", f"{sc / sb:.2f}x"]
        rows.append([str(k), f"{pc} / {pb}", f"{tc * 1e3:.1f}", f"{tb * 1e3:.1f}", f"{tb / tc:.2f}x", *rates])
    print(markdown_table(["turn", "prefill tokens cached / full", "TTFT cached ms", "TTFT full ms", "TTFT ratio",
                          "tok/s cached", "tok/s full", "tok/s ratio"], rows))
    tc = sum(x[0] for x in cached[1:]) / max(1, len(cached) - 1)
    tb = sum(x[0] for x in baseline[1:]) / max(1, len(baseline) - 1)
    print(f"\nturns 2..{args.turns}: mean TTFT cached {tc * 1e3:.1f} ms vs full {tb * 1e3:.1f} ms ({tb / tc:.2f}x)")
    if cut := budget.note():
        print(cut)


if __name__ == "__main__":
    sys.exit(run_script(main))
