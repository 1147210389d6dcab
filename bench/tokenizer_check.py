"""build_llm's check that a tokenizer's ids fit the LLM: the way rsvlm does it now against the way before 21d7fc8f,
on a synthetic vocabulary (no download).

    .venv/bin/python bench/tokenizer_check.py [--size 152064] [--repeats 3] [--tokenizer DIR]

The vocabulary is ``--size`` plain entries (``tok_0`` ...) followed by rsvlm's special tokens, as a checkpoint's
tokenizer lists them. Both ways compute the verdict ``build_llm`` compares with the LLM's rows: one past the highest
id that is not one of rsvlm's tokens. **now** is ``rsvlm.tokens.base_vocab_end``, which ``build_llm`` calls;
**old (before 21d7fc8f)** is re-implemented here as it was, the set rebuilt for every vocabulary entry. Prints CPU
milliseconds (``time.process_time``, best of ``--repeats``; the old way runs once: it lists rsvlm's 1026 tokens per
entry, about 0.15 ms each, 22 s at the default size) and the ratio; a smaller ``--size`` for a quick run.
``--tokenizer DIR`` adds a row for a real tokenizer folder's vocabulary (``rsvlm/assets/default_model/tokenizer``:
the bundled model's, 2026 entries).
"""

from __future__ import annotations

import sys
import time

from common import markdown_table, run_script

from rsvlm.argparsing import Parser
from rsvlm.tokens import all_special_tokens, base_vocab_end


def synthetic_vocab(size: int) -> dict[str, int]:
    """``size`` plain entries, then rsvlm's tokens at the following ids."""
    names = [f"tok_{i}" for i in range(size)] + all_special_tokens()
    return {t: i for i, t in enumerate(names)}


own_now = base_vocab_end  # build_llm's own check (21d7fc8f): rsvlm's tokens listed once


def own_old(vocab: dict[str, int]) -> int:
    """OLD WAY, before 21d7fc8f, kept only as this bench's baseline: the set rebuilt once per vocabulary entry."""
    return max((i for t, i in vocab.items() if t not in set(all_special_tokens())), default=-1) + 1


def cpu_ms(fn, vocab: dict[str, int], repeats: int) -> tuple[float, int]:
    """Best CPU milliseconds of ``repeats`` calls of ``fn(vocab)``, and its verdict."""
    best, got = float("inf"), -1
    for _ in range(repeats):
        t = time.process_time()
        got = fn(vocab)
        best = min(best, (time.process_time() - t) * 1000)
    return best, got


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=152064,
                   help="plain vocabulary entries (default 152064, Qwen2.5's vocabulary; the old way takes about "
                        "0.15 CPU ms an entry, 22 s at the default)")
    p.add_argument("--repeats", type=int, default=3, help="calls of the new way, the best kept (default 3)")
    p.add_argument("--tokenizer", metavar="DIR",
                   help="also time a real tokenizer folder's vocabulary (rsvlm/assets/default_model/tokenizer: the "
                        "bundled model's)")
    a = p.parse_args(argv)
    for name in ("size", "repeats"):
        if getattr(a, name) < 1:
            p.error(f"--{name} {getattr(a, name)}: give 1 or more")
    vocabs = {f"synthetic, {a.size:,} entries + {len(all_special_tokens())} rsvlm tokens": synthetic_vocab(a.size)}
    if a.tokenizer:
        from rsvlm.tokenizer import load_tokenizer

        try:
            vocab = load_tokenizer(a.tokenizer).get_vocab()
        except (OSError, ValueError) as e:  # FileNotFoundError names the folder and where its tokenizer is
            p.error(f"--tokenizer {a.tokenizer}: {e}")
        vocabs[f"{a.tokenizer}, {len(vocab):,} entries"] = vocab
    rows = []
    for name, vocab in vocabs.items():
        old, old_own = cpu_ms(own_old, vocab, 1)
        now, now_own = cpu_ms(own_now, vocab, a.repeats)
        if old_own != now_own:
            raise SystemExit(f"tokenizer_check: the two ways disagree on {name} ({old_own} vs {now_own}); the bench "
                             "is wrong")
        rows.append([name, str(now_own), f"{old:.1f}", f"{now:.2f}", f"{old / max(now, 1e-6):.0f}x"])
    print(markdown_table(["vocabulary", "ids checked up to", "old (before 21d7fc8f) CPU ms", "now CPU ms",
                          "ratio (old/now)"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
