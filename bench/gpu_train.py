"""GPU training of a real-scale recipe with random weights: tokens/s, peak memory and MFU.

    python bench/gpu_train.py [--recipe configs/train/recipes/qwen2.5-1.5b-sft.yaml] [--llm lora|full]
        [--steps 30] [--batch-size 16] [--answer-tokens 512] [--profile-steps 3] [--out DIR]

The recipe's model (its DeepSpeed config, precision and gradient checkpointing included) is built
from its architecture values with random weights: no weight file and no tokenizer file. The
tokenizer is a byte-level one padded to the base LLM's vocabulary (scripts/memory_plan.py's
``TOKENIZER_LEN``, 151,665 for Qwen2.5), so the embeddings and LM head have their real size; a
recipe whose LLM is not listed there is refused unless ``--base-vocab N`` gives its tokenizer length.
Every record is one random optical image and an answer of exactly ``--answer-tokens`` bytes (one
token each), so every sample has the same length and the same FLOPs.

Training runs under ``torchrun --standalone --nproc_per_node N -m rsvlm.train`` (N = GPUs seen; one
CPU process without a GPU). Throughput is read from ``metrics.jsonl`` over the steps after the
profiled ones (the first steps warm up, the profiled ones are slowed by the profiler).

MFU = model FLOPs per sample (``rsvlm.flops.train_flops``: forward + backward without the
checkpointing recompute; tests/test_flops.py checks it against torch's FlopCounterMode) × samples/s
÷ (peak × N). The baseline runs in the same process: the peak is the mean rate of bf16 8192³
matrix products on this card (``--peak-tflops`` overrides it). Peak memory is torch's
``max_memory_allocated`` on rank 0. ``--profile-steps`` writes the run's profile.txt (top kernels,
device-busy share of the wall time). Limits: one image per sample; no sequence packing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import markdown_table, run_script, steady

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser

REPO = Path(__file__).resolve().parents[1]
WORDS = "field river road roof ship harbour forest runway tank bridge".split()


def make_data(root: Path, n: int, image_size: int, answer_tokens: int, seed: int = 0) -> Path:
    """``n`` caption records over 16 random images; every answer is exactly ``answer_tokens`` bytes."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    for i in range(16):
        img = rng.integers(0, 255, (image_size, image_size, 3), dtype=np.uint8)
        Image.fromarray(img).save(root / "images" / f"{i}.png")
    lines = []
    for i in range(n):
        answer = " ".join(rng.choice(WORDS, answer_tokens))[:answer_tokens].ljust(answer_tokens, ".")
        lines.append({"id": str(i), "task": "cap",
                      "images": [{"path": f"images/{i % 16}.png", "modality": "optical"}],
                      "conversations": [{"from": "human", "value": "<image>\n[cap] Describe the image."},
                                        {"from": "gpt", "value": answer}]})
    path = root / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def measured_peak_tflops(n: int = 8192, reps: int = 10) -> float:
    """Mean bf16 rate of n³ matrix products after 3 warm-ups (fp32 1024³ on CPU)."""
    import torch

    cuda = torch.cuda.is_available()
    dev, dt, n = ("cuda", torch.bfloat16, n) if cuda else ("cpu", torch.float32, 1024)
    a, b = (torch.randn(n, n, device=dev, dtype=dt) for _ in range(2))
    for _ in range(3):
        a @ b
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync()
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e12


def memory_plan():
    """scripts/memory_plan.py as a module (scripts are not a package)."""
    sys.path.insert(0, str(REPO / "scripts"))
    import memory_plan

    return memory_plan


def flops_per_sample(cfg, seq_len: int, answer_len: int) -> dict:
    """train_flops of the run's model, built on the meta device."""
    import torch

    from rsvlm.flops import train_flops
    from rsvlm.model import create_model

    with torch.device("meta"):
        model, _ = create_model(cfg.model)
    return train_flops(model, seq_len, answer_len)


def main(argv: list[str] | None = None) -> dict:
    p = Parser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default=str(REPO / "configs/train/recipes/qwen2.5-1.5b-sft.yaml"),
                   help="training recipe (default configs/train/recipes/qwen2.5-1.5b-sft.yaml)")
    p.add_argument("--llm", choices=("lora", "full", "recipe"), default="recipe", help="LLM trainability: LoRA, fully trained, or as the recipe says (default recipe)")
    p.add_argument("--steps", type=int, default=30, help="training steps; at least 8 + --profile-steps (default 30)")
    p.add_argument("--batch-size", type=int, default=16, help="micro-batch per GPU, grad_accum 1 (default 16)")
    p.add_argument("--answer-tokens", type=int, default=512, help="answer tokens per sample (default 512)")
    p.add_argument("--records", type=int, default=1024, help="synthetic records made (default 1024)")
    p.add_argument("--profile-steps", type=int, default=3, help="steps profiled after 6 warm-up steps, into profile.txt (0: off; default 3)")
    p.add_argument("--base-vocab", type=int, default=None,
                   help="default: the base LLM's tokenizer length (needed for an LLM that scripts/memory_plan.py's "
                   "TOKENIZER_LEN does not list)")
    p.add_argument("--peak-tflops", type=float, default=None, help="default: measured here")
    p.add_argument("--out", default=None,
                   help="output folder, kept (default: a new gpu_train_* folder in the system's temporary folder, "
                        "named on stderr)")
    p.add_argument("overrides", nargs="*", help="more key=value overrides of the recipe")
    a = p.parse_args(argv)
    require_at_least_one(p, a, ("batch_size", "answer_tokens", "records", "base_vocab"))
    if a.profile_steps < 0:
        p.error(f"--profile-steps {a.profile_steps}: give 0 (off) or more")
    if a.peak_tflops is not None and not a.peak_tflops > 0:
        p.error(f"--peak-tflops {a.peak_tflops}: give a rate above 0")
    if a.steps < 8 + a.profile_steps:  # else found after the whole run, by steady()
        p.error(f"--steps {a.steps}: give at least {8 + a.profile_steps} (6 warm-up steps, {a.profile_steps} "
                "profiled and 1 settling come before the measured ones)")
    if a.out and Path(a.out).exists() and not Path(a.out).is_dir():
        p.error(f"--out {a.out}: is a file; give a folder")

    import torch

    from rsvlm.config import ConfigError, load_config, save_config
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.config import TrainConfig

    gpus = max(1, torch.cuda.device_count())
    try:
        recipe = load_config(TrainConfig, a.recipe, a.overrides, typed_in="command line")  # before any file is written
    except ConfigError as e:
        p.error(str(e))
    base = Path(str(recipe.model.llm.name_or_path or "")).name  # "" for a recipe whose LLM is built from its config
    known = memory_plan().TOKENIZER_LEN
    vocab = a.base_vocab or known.get(base, 0)
    if base and not vocab:  # else the byte tokenizer's 260 rows stood in for the LLM's: FLOPs, memory and MFU off
        p.error(f"--recipe {a.recipe}: no known tokenizer length for its LLM {base!r}; give --base-vocab N "
                f"(known: {', '.join(known)})")
    if not torch.cuda.is_available():  # it went on for many minutes with the 1.5B recipe, nothing said of why
        print(f"gpu_train: note: no CUDA device: the run trains on the CPU ({recipe.precision}), a check of the "
              f"script, not a GPU figure{'; --recipe configs/train/sft_tiny.yaml checks it quickly' if base else ''}",
              file=sys.stderr)
    out = Path(a.out or tempfile.mkdtemp(prefix="gpu_train_"))  # after the usage errors: none leaves a folder
    print(f"gpu_train: the run's files (data, config, result, profile) go to {out}", file=sys.stderr)
    tok_dir = out / "tokenizer"
    byte_tokenizer(vocab).save_pretrained(tok_dir)
    data = make_data(out / "data", a.records, 336, a.answer_tokens)  # the stems resize to the encoder
    run_dir = out / f"run_{a.llm}"
    overrides = [
        "model.llm.name_or_path=null", f"model.llm.tokenizer={tok_dir}", "init_from=null",
        *[f"model.encoders.{k}.pretrained=null" for k in recipe.model.encoders],
        f"data.train={data}", f"data.max_length={a.answer_tokens + 1024}",
        f"data.num_workers={4 if torch.cuda.is_available() else 0}",
        f"out_dir={run_dir}", "overwrite=true",  # a rerun into the same --out replaces the last one
        f"max_steps={a.steps}", f"batch_size={a.batch_size}", "grad_accum=1",
        "ckpt.every=0", "log.every=1", "log.progress=false", f"log.profile_steps={a.profile_steps}",
        *([f"model.trainable.llm={a.llm}"] if a.llm != "recipe" else []), *a.overrides]
    cfg = load_config(TrainConfig, a.recipe, overrides, typed_in="command line")
    cfg_path = out / f"config_{a.llm}.yaml"
    save_config(cfg, cfg_path)

    peak = a.peak_tflops or measured_peak_tflops()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.setdefault("OMP_NUM_THREADS", "1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={gpus}",
           "-m", "rsvlm.train", "--config", str(cfg_path)]
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    if rc := subprocess.run(cmd, env=env).returncode:
        raise SystemExit(f"gpu_train: training exited with status {rc} (its output is above)")
    wall = time.perf_counter() - t0

    summary = json.loads((run_dir / "summary.json").read_text())
    seq = summary["tokens"] / summary["samples"]  # every sample has this length (non-pad fraction 1)
    answer = a.answer_tokens + 1  # the answer and its end-of-turn token: the loop keeps their logits
    flops = flops_per_sample(cfg, round(seq), answer)
    st = steady(run_dir / "metrics.jsonl", 6 + a.profile_steps + 1)
    samples_s = st["tokens_per_s"] / seq
    achieved = flops["total"] * samples_s / 1e12
    res = {"recipe": Path(a.recipe).name, "llm": cfg.model.trainable.llm, "gpus": gpus,
           "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
           "deepspeed": cfg.dist.deepspeed, "precision": cfg.precision,
           "gradient_checkpointing": cfg.gradient_checkpointing, "micro_batch": a.batch_size,
           "seq_len": seq, "vocab_rows": vocab, "steady_steps": st["steps"],
           "tokens_per_s": st["tokens_per_s"], "samples_per_s": samples_s,
           "step_s": st["seconds"] / st["steps"], "gflops_per_sample": {k: v / 1e9 for k, v in flops.items()},
           "model_tflops_per_s": achieved, "peak_tflops": peak, "mfu": achieved / (peak * gpus),
           "peak_memory_gib": summary.get("peak_memory_gib"), "peak_reserved_gib": summary.get("peak_reserved_gib"),
           "wall_s": wall, "profile": str(run_dir / "profile.txt") if a.profile_steps else None}
    (out / f"result_{a.llm}.json").write_text(json.dumps(res, indent=1))
    mem = f"{res['peak_memory_gib']:.1f}" if res["peak_memory_gib"] is not None else "n/a"
    print(f"\n{res['recipe']} (LLM {res['llm']}), {gpus} × {res['device']}, {cfg.dist.deepspeed}, "
          f"{cfg.precision}, micro-batch {a.batch_size}, {seq:.0f} tokens/sample")
    print(markdown_table(  # was: plain columns, unlike every other bench
        ["tokens/s", "samples/s", "step s", "GFLOP/sample", "TFLOP/s", "peak TFLOP/s", "MFU", "peak GiB"],
        [[f"{res['tokens_per_s']:.0f}", f"{samples_s:.2f}", f"{res['step_s']:.3f}", f"{flops['total'] / 1e9:.4g}",
          f"{achieved:.1f}", f"{peak:.1f}", f"{res['mfu']:.1%}", mem]]))
    if a.profile_steps:
        print("\n" + "\n".join((run_dir / "profile.txt").read_text().splitlines()[:24]))
    return res


if __name__ == "__main__":
    sys.exit(run_script(main))
