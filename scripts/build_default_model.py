"""Build the bundled default model from nothing (issue 8), through the project's own commands.

    python scripts/build_default_model.py [--out runs/default_model] [--budget-minutes 100] [--ship]

Stages, each a config in configs/default/ and each skipped once its ``DONE`` marker exists
(delete ``OUT/STAGE/DONE`` to redo one; training stages also resume mid-way from their last
checkpoint):

    data              python -m data_gen synth  (train seed 11; held-out test seed 9001)
    tokenizer         rsvlm.tokenizer.train_tokenizer on the training texts (sentencepiece, offline)
    pretrain_encoder  rsvlm train  (contrastive, + dense per-patch semantics where configured)
    align             rsvlm train  (optical; encoder frozen)
    sft_optical       rsvlm train  (optical; everything trained; grounding-heavy)
    sft_multisensor   rsvlm train  (all four modalities; LoRA on the LLM)
    merge             rsvlm merge-lora → OUT/final (no base path needed)
    eval              rsvlm eval + python -m eval.TASK + python -m eval.report → OUT/eval/report.md

``--budget-minutes`` scales every training stage's ``max_steps`` (the YAMLs hold the steps of
``reference_minutes`` in configs/default/build.yaml). ``--ship`` copies OUT/final into
rsvlm/assets/default_model with the model card. Limits: one process at a time per OUT; the
step counts are calibrated on a 2-core CPU, so a faster machine finishes early rather than
training longer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs" / "default"
TRAIN_STAGES = ("pretrain_encoder", "align", "sft_optical", "sft_multisensor")
EVAL_TASKS = {"cls": "classification", "vqa": "vqa", "cap": "captioning", "count": "counting",
              "det": "detection", "ground": "grounding", "seg": "segmentation", "change": "change"}


@dataclass
class BuildConfig:
    train_scenes: int = 3000
    train_seed: int = 11
    test_scenes: int = 40
    test_seed: int = 9001  # never used for training
    vocab_size: int = 1000  # sentencepiece pieces before rsvlm's special tokens
    reference_minutes: float = 100.0  # the stage YAMLs' max_steps fit this budget
    eval_batch_size: int = 16
    eval_max_new_tokens: int = 200
    extra: dict[str, list[str]] = field(default_factory=dict)  # stage → extra key=value overrides


def log(msg: str) -> None:
    print(f"[build {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], env_threads: int | None = None) -> None:
    env = dict(os.environ)
    if env_threads:
        env.setdefault("OMP_NUM_THREADS", str(env_threads))
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def py(*args: str) -> list[str]:
    return [sys.executable, *args]


# -- stages -----------------------------------------------------------------------------------
def stage_data(out: Path, bc: BuildConfig, _: float) -> None:
    for split, n, seed, cfg in (("train", bc.train_scenes, bc.train_seed, "data_train.yaml"),
                                ("test", bc.test_scenes, bc.test_seed, "data_test.yaml")):
        if not (out / "data" / split / f"{split}.jsonl").is_file():
            run(py("-m", "data_gen", "synth", "--out", str(out / "data" / split), "--n", str(n),
                   "--seed", str(seed), "--config", str(CONFIGS / cfg), "--no-progress"))
    if bc.train_seed == bc.test_seed:
        raise ValueError("the test seed must differ from the training seed")


LOC = re.compile(r"<[^<>]+>|\[(cls|vqa|cap|count|det|ground|regcap|seg|change)\]")


def stage_tokenizer(out: Path, bc: BuildConfig, _: float) -> None:
    from rsvlm.tokenizer import train_tokenizer

    texts = []
    with open(out / "data" / "train" / "train.jsonl") as f:
        for line in f:
            for turn in json.loads(line)["conversations"]:
                texts.append(LOC.sub(" ", turn["value"]))  # special tokens are added, not learned
    texts += ["optical image:", "SAR image:", "infrared image:", "multispectral image:"] * 50
    tok = train_tokenizer(texts, out / "tokenizer", vocab_size=bc.vocab_size)
    log(f"tokenizer: {len(tok)} tokens ({bc.vocab_size} pieces) from {len(texts)} texts")


def stage_overrides(name: str, out: Path) -> list[str]:
    data = out / "data" / "train" / "train.jsonl"
    prev = {"align": "pretrain_encoder", "sft_optical": "align", "sft_multisensor": "sft_optical"}.get(name)
    ov = [f"out_dir={out / name}", f"data.train={data}", f"model.llm.tokenizer={out / 'tokenizer'}"]
    if name == "align":
        ov.append(f"model.encoders.default.pretrained={out / 'pretrain_encoder/final/encoder.safetensors'}")
    elif prev and name != "align":
        ov += [f"init_from={out / prev / 'final'}", f"model.llm.name_or_path={out / prev / 'final/llm'}",
               f"model.llm.tokenizer={out / prev / 'final/tokenizer'}"]
    return ov


def make_train_stage(name: str):
    def stage(out: Path, bc: BuildConfig, scale: float) -> None:
        from rsvlm.config import load_config
        from rsvlm.train.config import TrainConfig

        cfg_path = CONFIGS / f"{name}.yaml"
        steps = max(10, round(load_config(TrainConfig, cfg_path, []).max_steps * scale))
        run(py("-m", "rsvlm.train", "--config", str(cfg_path), f"max_steps={steps}",
               *stage_overrides(name, out), *bc.extra.get(name, [])), env_threads=2)
    return stage


def stage_merge(out: Path, bc: BuildConfig, _: float) -> None:
    import yaml

    final = out / "final"
    if final.exists():
        shutil.rmtree(final)
    run(py("-m", "rsvlm.cli", "merge-lora", "--model", str(out / "sft_multisensor/final"), "--out", str(final)))
    cfg = yaml.safe_load((final / "config.yaml").read_text())
    for enc in cfg["encoders"].values():
        enc["pretrained"] = None  # its weights are in vision.safetensors; the stage-1 file is not shipped
    cfg["llm"]["loc_init"] = "random"
    (final / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def stage_eval(out: Path, bc: BuildConfig, _: float) -> None:
    ev = out / "eval"
    (ev / "scores").mkdir(parents=True, exist_ok=True)
    gt = out / "data" / "test" / "test.jsonl"
    run(py("-m", "rsvlm.cli", "eval", "--model", str(out / "final"), "--data", str(gt), "--out",
           str(ev / "pred.jsonl"), "--batch-size", str(bc.eval_batch_size),
           "--max-new-tokens", str(bc.eval_max_new_tokens)), env_threads=2)
    present = {json.loads(line)["task"] for line in gt.read_text().splitlines()}
    for task, script in EVAL_TASKS.items():
        if task in present:
            run(py("-m", f"eval.{script}", "--gt", str(gt), "--pred", str(ev / "pred.jsonl"),
                   "--out", str(ev / "scores" / f"{script}.json")))
    run(py("-m", "eval.report", "--dir", str(ev / "scores"), "--out", str(ev / "report.md")))


STAGES = {"data": stage_data, "tokenizer": stage_tokenizer,
          **{n: make_train_stage(n) for n in TRAIN_STAGES}, "merge": stage_merge, "eval": stage_eval}


def ship(out: Path) -> Path:
    """Copy OUT/final into the package (model card from OUT/MODEL_CARD.md where present)."""
    dest = ROOT / "rsvlm" / "assets" / "default_model"
    card = (dest / "README.md").read_text() if (dest / "README.md").is_file() else None
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(out / "final", dest, ignore=shutil.ignore_patterns("train_config.yaml"))
    src_card = out / "MODEL_CARD.md"
    if src_card.is_file():
        shutil.copy(src_card, dest / "README.md")
    elif card is not None:
        (dest / "README.md").write_text(card)
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    if size > 50 * 2**20:
        raise RuntimeError(f"{dest}: {size / 2**20:.1f} MB exceeds the 50 MB limit")
    log(f"shipped {dest} ({size / 2**20:.1f} MB)")
    return dest


def main(argv: list[str] | None = None) -> int:
    from rsvlm.config import load_config

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs/default_model", help="work folder (default runs/default_model)")
    p.add_argument("--budget-minutes", type=float, default=None,
                   help="scale training steps to this many minutes (default: build.yaml's reference)")
    p.add_argument("--config", default=str(CONFIGS / "build.yaml"))
    p.add_argument("--only", nargs="*", choices=list(STAGES), help="run just these stages (others untouched)")
    p.add_argument("--ship", action="store_true", help="copy the final model into rsvlm/assets/default_model")
    p.add_argument("overrides", nargs="*", help="key=value overrides of build.yaml")
    a = p.parse_args(argv)
    bc = load_config(BuildConfig, a.config, a.overrides)
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    scale = (a.budget_minutes or bc.reference_minutes) / bc.reference_minutes
    names = a.only or list(STAGES)
    t0 = time.perf_counter()
    for k, name in enumerate(names, 1):
        done = out / name / "DONE"
        if done.is_file():
            log(f"stage {k}/{len(names)} {name}: done before, skipped ({done})")
            continue
        log(f"stage {k}/{len(names)} {name} …")
        t = time.perf_counter()
        STAGES[name](out, bc, scale)
        minutes = (time.perf_counter() - t) / 60
        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_text(json.dumps({"minutes": round(minutes, 2), "scale": scale}) + "\n")
        log(f"stage {name} finished in {minutes:.1f} min (total {(time.perf_counter() - t0) / 60:.1f} min)")
    if a.ship:
        ship(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
