"""Build the bundled default model from nothing (issue 8), through the project's own commands.

    python scripts/build_default_model.py [--out runs/default_model] [--budget-minutes 110]
        [--only STAGE …] [--ship] [--curve] [--config build.yaml] [key=value …]

Stages, each a config in configs/default/ and each skipped once its ``DONE`` marker exists
(delete ``OUT/STAGE/DONE`` to redo one; training stages also resume mid-way from their last
checkpoint; Ctrl-C or ``kill`` on the build stops the running stage with it). A stage whose
inputs are missing and made by no earlier stage of the run is refused before any stage runs:

    data              python -m data_gen synth  (train seed 11; held-out test seed 9001), then
                      python -m data_gen chat  (each image's questions as 2–4-turn conversations)
    tokenizer         rsvlm.tokenizer.train_tokenizer on the training texts (sentencepiece, offline)
    pretrain_encoder  rsvlm train  (contrastive, + dense per-patch semantics where configured)
    align             rsvlm train  (optical; encoder frozen)
    ground_warmup     rsvlm train  (single-object optical grounding only; encoder frozen)
    ground_multi      rsvlm train  (optical grounding on scenes of 1–3 objects; encoder frozen)
    sft_optical       rsvlm train  (optical-led, grounding-heavy; encoder frozen)
    sft_multisensor   rsvlm train  (all four modalities; LoRA on the LLM; encoder frozen)
    merge             rsvlm merge-lora → OUT/merged (no base path needed)
    sft_chat          rsvlm train  (LoRA on the merged LLM; a quarter of the draws multi-turn conversations)
    merge_chat        rsvlm merge-lora → OUT/final
    eval              rsvlm eval + python -m eval.TASK + python -m eval.report → OUT/eval/report.md,
                      + python -m eval.loc_error with the right and with shuffled images
    eval_tta          the same with rsvlm eval --tta (build.yaml eval_tta: dihedral) → OUT/eval/report_tta.md;
                      scoring only, after the model is built (none skips it)

``--budget-minutes`` scales every training stage's ``max_steps`` (the YAMLs hold the steps of
``reference_minutes`` in configs/default/build.yaml). ``--ship`` copies OUT/final into
rsvlm/assets/default_model with the model card. Limits: one build at a time per OUT (a second
is refused: OUT/.build.lock); the step counts are calibrated on a 2-core CPU, so a faster
machine finishes early rather than training longer.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs" / "default"
TRAIN_STAGES = ("pretrain_encoder", "align", "ground_warmup", "ground_multi", "sft_optical", "sft_multisensor",
                "sft_chat")
STAGE_DATA = {"ground_warmup": "warmup", "ground_multi": "multi"}  # training stage → OUT/data/<split>; else train
EVAL_TASKS = {"cls": "classification", "vqa": "vqa", "cap": "captioning", "count": "counting",
              "det": "detection", "ground": "grounding", "seg": "segmentation", "change": "change"}


@dataclass
class BuildConfig:
    train_scenes: int = 3000
    train_seed: int = 11
    test_scenes: int = 40
    test_seed: int = 9001  # never used for training
    warmup_scenes: int = 6000  # single-object optical scenes of the ground_warmup stage
    warmup_seed: int = 12
    multi_scenes: int = 18000  # optical scenes of at most 3 objects of the ground_multi stage (6000 before build 16, 12 000 in builds 16–17)
    multi_seed: int = 13
    vocab_size: int = 1000  # sentencepiece pieces before rsvlm's special tokens
    reference_minutes: float = 110.0  # the stage YAMLs' max_steps fit this budget
    eval_batch_size: int = 16
    eval_max_new_tokens: int = 200
    eval_tta: str = "dihedral"  # also score with `rsvlm eval --tta` this (none | flip | dihedral)
    chat_turns: int = 3  # data/{train,test}/chat.jsonl: each image's questions chained, 2 to this many turns
    extra: dict[str, list[str]] = field(default_factory=dict)  # stage → extra key=value overrides ("data": every synth call)


def log(msg: str) -> None:
    print(f"[build {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], env_threads: int | None = None) -> None:
    env = dict(os.environ)
    if env_threads:
        env.setdefault("OMP_NUM_THREADS", str(env_threads))
    log("$ " + " ".join(cmd))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        rc = proc.wait()
    except BaseException:  # Ctrl-C, or SIGTERM (main makes it SystemExit): stop the stage with the build
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    if rc:
        raise subprocess.CalledProcessError(rc, cmd)


def py(*args: str) -> list[str]:
    return [sys.executable, *args]


# -- stages -----------------------------------------------------------------------------------
def stage_data(out: Path, bc: BuildConfig, _: float) -> None:
    if bc.test_seed in (bc.train_seed, bc.warmup_seed, bc.multi_seed):
        raise ValueError("the test seed must differ from the training seeds")
    for split, file, n, seed, cfg in (("train", "train", bc.train_scenes, bc.train_seed, "data_train.yaml"),
                                      ("warmup", "train", bc.warmup_scenes, bc.warmup_seed, "data_warmup.yaml"),
                                      ("multi", "train", bc.multi_scenes, bc.multi_seed, "data_multi.yaml"),
                                      ("test", "test", bc.test_scenes, bc.test_seed, "data_test.yaml")):
        if not (out / "data" / split / f"{file}.jsonl").is_file():
            run(py("-m", "data_gen", "synth", "--out", str(out / "data" / split), "--n", str(n),
                   "--seed", str(seed), "--config", str(CONFIGS / cfg), *bc.extra.get("data", [])))  # with its bar
    for split, seed in (("train", bc.train_seed), ("test", bc.test_seed)):  # multi-turn records (rsvlm chat)
        if not (out / "data" / split / "chat.jsonl").is_file():
            run(py("-m", "data_gen", "chat", "--src", str(out / "data" / split / f"{split}.jsonl"),
                   "--out", str(out / "data" / split / "chat.jsonl"), "--turns", str(bc.chat_turns),
                   "--seed", str(seed)))


def stage_tokenizer(out: Path, bc: BuildConfig, _: float) -> None:
    """Sentencepiece on the training conversations as the model sees them (chat template, system
    prompt, sensor words), with rsvlm's special tokens cut out: they are added whole afterwards."""
    from rsvlm.data.conversation import record_messages
    from rsvlm.data.records import read_records
    from rsvlm.model.templates import render
    from rsvlm.tokenizer import train_tokenizer
    from rsvlm.tokens import all_special_tokens

    special = re.compile("|".join(re.escape(t) for t in sorted(all_special_tokens(), key=len, reverse=True)))
    texts = [special.sub(" ", render(record_messages(rec), "rsvlm"))  # a bad line: RecordError naming file:line
             for rec in read_records(out / "data" / "train" / "train.jsonl")]
    tok = train_tokenizer(texts, out / "tokenizer", vocab_size=bc.vocab_size)
    log(f"tokenizer: {len(tok)} tokens ({bc.vocab_size} pieces) from {len(texts)} conversations")


def stage_overrides(name: str, out: Path) -> list[str]:
    data = out / "data" / STAGE_DATA.get(name, "train") / "train.jsonl"
    i = TRAIN_STAGES.index(name)
    prev = TRAIN_STAGES[i - 1] if i > 0 else None  # each stage starts from the one before it
    ov = [f"out_dir={out / name}", f"data.train={data}"]
    if name in ("pretrain_encoder", "align"):
        ov.append(f"model.llm.tokenizer={out / 'tokenizer'}")
    if name == "align":
        ov.append(f"model.encoders.default.pretrained={out / 'pretrain_encoder/final/encoder.safetensors'}")
    elif prev:  # the previous stage's final checkpoint: vision side by init_from, LLM and tokenizer by path
        src = out / "merged" if name == "sft_chat" else out / prev / "final"  # sft_multisensor's is an adapter
        ov += [f"init_from={src}", f"model.llm.name_or_path={src / 'llm'}", f"model.llm.tokenizer={src / 'tokenizer'}"]
    return ov


MAKERS = {"merged": "merge", "final": "merge_chat"}  # OUT/<folder> → the stage that writes it, where they differ


def maker_of(path: Path, out: Path) -> str:
    """The stage that writes ``path`` under OUT (by its first folder)."""
    top = path.relative_to(out).parts[0]
    return MAKERS.get(top, top)


def stage_inputs(name: str, out: Path, bc: BuildConfig) -> list[Path]:
    """The files and folders under OUT that stage ``name`` reads (a training stage: the paths of its
    resolved config, ``extra`` overrides included); unknown names read nothing."""
    if name == "tokenizer":
        return [out / "data" / "train" / "train.jsonl"]
    if name in ("merge", "merge_chat"):
        return [out / {"merge": "sft_multisensor", "merge_chat": "sft_chat"}[name] / "final"]
    if name in ("eval", "eval_tta"):
        return [out / "data" / "test" / "test.jsonl", out / "final"]
    if name not in TRAIN_STAGES:
        return []
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    path = CONFIGS / f"{name}.yaml"
    cfg = load_config(TrainConfig, path, train_overrides(name, out, bc, load_config(TrainConfig, path, [])))
    paths = [cfg.data.train, cfg.init_from, cfg.model.llm.tokenizer, cfg.model.llm.name_or_path,
             *(enc.pretrained for enc in cfg.model.encoders.values()), *(src.path for src in cfg.data.extra)]
    return [Path(p) for p in paths if p and Path(p).is_relative_to(out)]


def missing_inputs(out: Path, names: list[str], bc: BuildConfig) -> list[str]:
    """What the stages to run would read under OUT but is not there and no earlier stage of this run
    makes (``--only align`` in a new folder): found before any stage runs, not by its own command."""
    problems, gone = [], []
    for i, name in enumerate(names):
        if (out / name / "DONE").is_file():
            continue
        for path in stage_inputs(name, out, bc):
            maker = maker_of(path, out)
            if path.exists() or any(path.is_relative_to(g) for g in gone):
                continue
            if maker not in names[:i] or (out / maker / "DONE").is_file():
                gone.append(path)
                problems.append(f"{name} reads {path}, " + (f"made by stage {maker}" if maker in STAGES
                                                            else "which no stage makes"))
    return problems


def redone_since(out: Path, name: str, bc: BuildConfig) -> list[str]:
    """The stages that wrote ``name``'s inputs and finished after it did (their DONE is newer)."""
    done = (out / name / "DONE").stat().st_mtime
    makers = dict.fromkeys(maker_of(p, out) for p in stage_inputs(name, out, bc))
    return [m for m in makers if (out / m / "DONE").is_file() and (out / m / "DONE").stat().st_mtime > done]


def extra_sources(extra: list, out: Path) -> list[str]:
    """``data.extra`` as an override, with its ``runs/default_model/`` paths moved under ``out``."""
    if not extra:
        return []
    moved = [{**dataclasses.asdict(src), "path": relocate(src.path, out),
              "root": relocate(src.root, out) if src.root else None} for src in extra]
    return ["data.extra=" + json.dumps(moved)]  # JSON is YAML flow syntax


def relocate(path: str, out: Path) -> str:
    default = "runs/default_model/"
    return str(out / path[len(default):]) if path.startswith(default) else path


def train_overrides(name: str, out: Path, bc: BuildConfig, cfg) -> list[str]:
    """What a training stage overrides in its config ``cfg`` (besides ``max_steps``): OUT's paths,
    ``data.extra`` moved under OUT, and build.yaml's ``extra`` for the stage."""
    return [*stage_overrides(name, out), *extra_sources(cfg.data.extra, out), *bc.extra.get(name, [])]


def make_train_stage(name: str):
    def stage(out: Path, bc: BuildConfig, scale: float) -> None:
        from rsvlm.config import load_config
        from rsvlm.train.config import TrainConfig

        cfg_path = CONFIGS / f"{name}.yaml"
        cfg = load_config(TrainConfig, cfg_path, [])
        steps = max(10, round(cfg.max_steps * scale))
        run(py("-m", "rsvlm.train", "--config", str(cfg_path), f"max_steps={steps}",
               *train_overrides(name, out, bc, cfg)), env_threads=2)
    return stage


def make_merge(stage: str, dest: str):
    """A stage that folds ``stage``'s LoRA adapter into its base → OUT/``dest``."""

    def merge(out: Path, bc: BuildConfig, _: float) -> None:
        import yaml

        final = out / dest
        if final.exists():
            shutil.rmtree(final)
        run(py("-m", "rsvlm.cli", "merge-lora", "--model", str(out / stage / "final"), "--out", str(final)))
        cfg = yaml.safe_load((final / "config.yaml").read_text())
        for enc in cfg["encoders"].values():
            enc["pretrained"] = None  # its weights are in vision.safetensors; the stage-1 file is not shipped
        cfg["llm"]["loc_init"] = "random"
        (final / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        stop_on_turn_end(final)

    return merge


def stop_on_turn_end(ckpt: Path) -> list[int]:
    """Make the first token of the template's turn end ("<|end|>") an EOS id of the LLM's generation
    config, so every caller's greedy decoding stops after the answer (rsvlm predict/eval pass no
    stop strings). Only safe because answers never contain that token: it is checked on answers
    that end in plain text and in a geometry tag."""
    from transformers import AutoTokenizer, GenerationConfig

    from rsvlm.model.templates import TEMPLATES, render

    tok = AutoTokenizer.from_pretrained(ckpt / "tokenizer")
    ids = set()
    for answer in ("lake", "3", "<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>"):
        head = tok(render([{"role": "user", "content": "q"}, {"role": "assistant", "content": answer}], "rsvlm")
                   .removesuffix(TEMPLATES["rsvlm"]["assistant_suffix"]), add_special_tokens=False)["input_ids"]
        full = tok(render([{"role": "user", "content": "q"}, {"role": "assistant", "content": answer}], "rsvlm"),
                   add_special_tokens=False)["input_ids"]
        if full[: len(head)] != head:
            raise ValueError(f"turn end merges with the answer {answer!r}; cannot stop on a token")
        ids.add(full[len(head)])
    gen = GenerationConfig.from_pretrained(ckpt / "llm")
    gen.eos_token_id = sorted({tok.eos_token_id, *ids})
    gen.save_pretrained(ckpt / "llm")
    log(f"generation stops at token(s) {gen.eos_token_id} ({tok.convert_ids_to_tokens(sorted(ids))})")
    return gen.eos_token_id


def stage_eval(out: Path, bc: BuildConfig, _: float) -> None:
    """Answer and score the test set (eval/pred.jsonl, eval/scores, eval/report.md) and the location error."""
    gt = out / "data" / "test" / "test.jsonl"
    report = answer_and_score(out, bc, gt, "")
    log("scores against the issue-8 targets:\n" + scores_table(report))
    err = location_error(out / "final", gt, out / "eval" / "loc_error")
    log(f"location error (bins): {err['real']['mae_expected_bins']} with the right images, "
        f"{err['shuffled']['mae_expected_bins']} with other scenes' (centre {err['real']['centre_mae_bins']})")
    chat = out / "data" / "test" / "chat.jsonl"
    if chat.is_file():  # the last turn of each chained conversation, the earlier ones as recorded
        log("later turns of a chat:\n" + scores_table(answer_and_score(out, bc, chat, "", "_chat")))


def stage_eval_tta(out: Path, bc: BuildConfig, _: float) -> None:
    """The test set again with ``rsvlm eval --tta eval_tta`` (eval/pred_tta.jsonl, eval/scores_tta,
    eval/report_tta.md): scoring only, after the model is built; ``eval_tta: none`` skips it."""
    from rsvlm.tta import MODES

    if bc.eval_tta == "none":
        log("eval_tta: none, no test-time augmentation scores")
        return
    if bc.eval_tta not in MODES:
        raise ValueError(f"eval_tta must be none or one of {sorted(MODES)}, got {bc.eval_tta!r}")
    report = answer_and_score(out, bc, out / "data" / "test" / "test.jsonl", bc.eval_tta)
    log(f"with --tta {bc.eval_tta}:\n" + scores_table(report))


def answer_and_score(out: Path, bc: BuildConfig, gt: Path, tta: str, tag: str | None = None) -> dict:
    """``rsvlm eval`` of OUT/final on ``gt`` (with ``--tta tta`` if given) and every task's scores,
    in eval/pred{tag}.jsonl, eval/scores{tag}/ and eval/report{tag}.json (tag: "_tta" with tta); the report."""
    from rsvlm.data.records import read_records

    # read first: a bad line names file:line before the answers, a record without a task is counted
    tasks = Counter(rec["task"] for rec in read_records(gt))
    unscored = {t: n for t, n in tasks.items() if t not in EVAL_TASKS and t != "regcap"}  # regcap: captioning's
    if unscored:
        log(f"note: {sum(unscored.values())} record(s) of {gt} are of no task a scoring script reads, answered "
            "but not scored: " + ", ".join(f"{t or 'no task'} {n}" for t, n in sorted(unscored.items(), key=str)))
    ev, tag = out / "eval", tag if tag is not None else "_tta" if tta else ""
    (ev / f"scores{tag}").mkdir(parents=True, exist_ok=True)
    pred = ev / f"pred{tag}.jsonl"
    if pred.is_file() and pred.stat().st_mtime < (out / "final" / "config.yaml").stat().st_mtime:
        pred.unlink()  # answers of an older model; a newer partial file is resumed by rsvlm eval
    run(py("-m", "rsvlm.cli", "eval", "--model", str(out / "final"), "--data", str(gt), "--out", str(pred),
           "--batch-size", str(bc.eval_batch_size), "--max-new-tokens", str(bc.eval_max_new_tokens),
           *(("--tta", tta) if tta else ())), env_threads=2)
    for task, script in EVAL_TASKS.items():
        if task in tasks:
            run(py("-m", f"eval.{script}", "--gt", str(gt), "--pred", str(pred),
                   "--out", str(ev / f"scores{tag}" / f"{script}.json")))
    run(py("-m", "eval.report", "--dir", str(ev / f"scores{tag}"), "--out", str(ev / f"report{tag}.md")))
    return json.loads((ev / f"report{tag}.json").read_text())


def fresh(result: Path, ckpt: Path) -> bool:
    """Whether ``result`` was written after the checkpoint ``ckpt`` was (so re-running can keep it)."""
    return result.is_file() and result.stat().st_mtime > (ckpt / "config.yaml").stat().st_mtime


def location_error(ckpt: Path, gt: Path, dest: Path) -> dict:
    """Teacher-forced location error of ``ckpt`` on the ground and det records of ``gt``, with the right
    images (DEST.json) and with other scenes' images (DEST_shuffled.json, ``--shuffle-images 0``):
    {"real": ..., "shuffled": ...} of the "all" groups. Up-to-date files are reused."""
    res = {}
    for kind, extra in (("real", ()), ("shuffled", ("--shuffle-images", "0"))):
        f = dest.with_name(dest.name + ("_shuffled" if extra else "") + ".json")
        if not fresh(f, ckpt):
            run(py("-m", "eval.loc_error", "--model", str(ckpt), "--data", str(gt), "--tasks", "ground,det",
                   *extra, "--out", str(f)), env_threads=2)
        res[kind] = json.loads(f.read_text())["all"]
    return res


TARGETS = (("classification", "accuracy", 0.95, "Classification (accuracy)"),
           ("counting", "accuracy", 0.80, "Counting (exact)"), ("vqa", "accuracy", 0.90, "VQA (accuracy)"),
           ("grounding", "acc50", 0.80, "Grounding (acc@0.5)"), ("detection", "mAP50", 0.60, "Detection hbb (mAP@0.5)"),
           ("detection", "mAP50_obb", 0.50, "Detection obb (mAP@0.5)"),
           ("segmentation", "mIoU", 0.60, "Segmentation (mIoU)"), ("change", "IoU_change", 0.50, "Change (IoU)"))
MODALITIES = ("optical", "sar", "ir", "msi")


def scores_table(report: dict) -> str:
    """Markdown table: issue-8 targets against the scores of report.json (all and per modality)."""
    rows = {(r["task"], r["metric"]): r for r in report["metrics"]}
    lines = ["| Task | Target | all | " + " | ".join(MODALITIES) + " | all − target |",
             "|---|---|---|" + "---|" * len(MODALITIES) + "---|"]
    for task, metric, target, label in TARGETS:
        r = rows.get((task, metric), {})
        vals = [r.get(m) for m in ("all", *MODALITIES)]
        cells = ["–" if v is None else f"{v:.3f}" for v in vals]
        gap = "–" if vals[0] is None else f"{vals[0] - target:+.3f}"
        lines.append(f"| {label} | ≥ {target:.2f} | " + " | ".join(cells) + f" | {gap} |")
    return "\n".join(lines) + "\n"


def write_card(out: Path, bc: BuildConfig) -> Path:
    """OUT/MODEL_CARD.md from configs/default/model_card.md with the scores and build facts filled in."""
    import yaml

    report = json.loads((out / "eval" / "report.json").read_text())
    minutes = {n: json.loads((out / n / "DONE").read_text()).get("minutes", 0.0) for n in STAGES if (out / n / "DONE").is_file()}
    files = [p for p in (out / "final").rglob("*") if p.is_file() and p.name != "train_config.yaml"]
    from safetensors import safe_open

    n_params = 0
    for f in files:
        if f.suffix == ".safetensors":
            with safe_open(str(f), "pt") as st:
                n_params += sum(_numel(st.get_slice(k).get_shape()) for k in st.keys())
    tta, chat = out / "eval" / "report_tta.json", out / "eval" / "report_chat.json"
    chat_gt = out / "data" / "test" / "chat.jsonl"

    def records(path: Path, task: str | None = None) -> str:  # "1248", or "–" without the file
        if not path.is_file():
            return "–"
        with open(path) as f:
            return str(sum(1 for line in f if task is None or json.loads(line).get("task") == task))

    facts = {"scores": scores_table(report),
             "scores_tta": scores_table(json.loads(tta.read_text())) if tta.is_file() else "(not scored)\n",
             "scores_chat": scores_table(json.loads(chat.read_text())) if chat.is_file() else "(not scored)\n",
             "n_chat": records(chat_gt) if chat_gt.is_file() else "0",
             "tta_mode": bc.eval_tta,
             "stage_minutes": ", ".join(f"{k} {v:.1f}" for k, v in minutes.items()),
             "train_minutes": f"{sum(v for k, v in minutes.items() if k in TRAIN_STAGES):.1f}",
             "size_mb": f"{sum(p.stat().st_size for p in files) / 2**20:.1f}", "params_m": f"{n_params / 1e6:.2f}",
             "n_test": records(out / "data" / "test" / "test.jsonl"),
             "test_scenes": str(bc.test_scenes), "test_seed": str(bc.test_seed),
             "n_warmup": records(out / "data" / "warmup" / "train.jsonl", "ground"),
             "n_multi": records(out / "data" / "multi" / "train.jsonl", "ground"),
             "steps": ", ".join(f"{n} {yaml.safe_load((out / n / 'train_config.yaml').read_text())['max_steps']}"
                                for n in TRAIN_STAGES if (out / n / "train_config.yaml").is_file())}
    for kind, name in (("real", "loc_error.json"), ("shuffled", "loc_error_shuffled.json")):
        f = out / "eval" / name
        err = json.loads(f.read_text())["all"] if f.is_file() else {}
        facts[f"loc_{kind}"] = str(err.get("mae_expected_bins", "–"))
        if kind == "real":
            facts["loc_centre"] = str(err.get("centre_mae_bins", "–"))
    text = (CONFIGS / "model_card.md").read_text()
    for k, v in facts.items():
        text = text.replace("{{" + k + "}}", v)
    left = sorted(set(re.findall(r"\{\{(\w+)\}\}", text)))
    if left:  # a template key no fact fills was shipped as "{{key}}"
        log(f"warning: the model card's template has {len(left)} key(s) the build does not fill, left as "
            f"they are: {', '.join(left)} (facts: {', '.join(facts)})")
    (out / "MODEL_CARD.md").write_text(text)
    return out / "MODEL_CARD.md"


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


STAGES = {"data": stage_data, "tokenizer": stage_tokenizer,
          **{n: make_train_stage(n) for n in TRAIN_STAGES[:-1]}, "merge": make_merge("sft_multisensor", "merged"),
          "sft_chat": make_train_stage("sft_chat"), "merge_chat": make_merge("sft_chat", "final"),
          "eval": stage_eval, "eval_tta": stage_eval_tta}


CURVE_TASKS = ("cls", "count", "vqa", "ground")


def learning_curve(out: Path, bc: BuildConfig) -> Path:
    """Score every finished stage's checkpoint on the short-answer and grounding tasks of the test set,
    plus the teacher-forced location error on its ground and det records (``eval.loc_error``: mean
    |expected bin − true bin|, with the right images and with other scenes', against always answering
    the centre); OUT/curve.md: metrics against cumulative CPU minutes (wall minutes of the stages on
    2 cores). Answers and errors newer than their checkpoint are reused."""
    from rsvlm.data.records import read_records

    gt_all = out / "data" / "test" / "test.jsonl"
    gt = out / "curve" / "test_subset.jsonl"
    gt.parent.mkdir(parents=True, exist_ok=True)
    gt.write_text("".join(json.dumps(rec) + "\n" for rec in read_records(gt_all) if rec["task"] in CURVE_TASKS))
    shutil.copytree(gt_all.parent / "images", gt.parent / "images", dirs_exist_ok=True)
    rows, minutes = [], 0.0
    for name in TRAIN_STAGES:
        done = out / name / "DONE"
        if not done.is_file():
            break
        minutes += json.loads(done.read_text())["minutes"]
        if name == "pretrain_encoder":
            continue
        if (out / name / "final" / "llm").is_dir():
            stop_on_turn_end(out / name / "final")  # as the merge stage does for the shipped model
        pred, sc = out / "curve" / f"{name}.jsonl", out / "curve" / name
        sc.mkdir(exist_ok=True)
        if not fresh(pred, out / name / "final"):  # answers of this checkpoint are kept on a re-run
            run(py("-m", "rsvlm.cli", "eval", "--model", str(out / name / "final"), "--data", str(gt),
                   "--out", str(pred), "--batch-size", str(bc.eval_batch_size), "--max-new-tokens", "120"),
                env_threads=2)
        row = {"stage": name, "cpu_minutes": round(minutes, 1)}
        for task in CURVE_TASKS:
            script = EVAL_TASKS[task]
            run(py("-m", f"eval.{script}", "--gt", str(gt), "--pred", str(pred), "--out", str(sc / f"{script}.json")))
            s = json.loads((sc / f"{script}.json").read_text())
            key = {"ground": "acc50"}.get(task, "accuracy")
            row[f"{task} {key}"] = s.get(key)
            for m in MODALITIES:
                row[f"{task} {key} {m}"] = s.get("by_modality", {}).get(m, {}).get(key)
        # teacher-forced: moves before acc@0.5 does; the shuffled-image control tells whether the image moved it
        err = location_error(out / name / "final", gt_all, out / "curve" / f"{name}_loc_error")
        row["loc mae (bins)"] = err["real"]["mae_expected_bins"]
        row["loc mae, other scenes' images"] = err["shuffled"]["mae_expected_bins"]
        row["loc centre baseline"] = err["real"]["centre_mae_bins"]
        rows.append(row)
    (out / "curve" / "curve.json").write_text(json.dumps(rows, indent=1))
    keys = (["stage", "cpu_minutes"] + [f"{t} {'acc50' if t == 'ground' else 'accuracy'}" for t in CURVE_TASKS]
            + ["loc mae (bins)", "loc mae, other scenes' images", "loc centre baseline"])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        lines.append("| " + " | ".join("–" if r.get(k) is None else (f"{r[k]:.3f}" if isinstance(r[k], float) and k != "cpu_minutes" else str(r[k])) for k in keys) + " |")
    (out / "curve" / "curve.md").write_text("\n".join(lines) + "\n")
    log("learning curve:\n" + "\n".join(lines))
    return out / "curve" / "curve.md"


def ship(out: Path) -> Path:
    """Copy OUT/final and its model card OUT/MODEL_CARD.md into the package."""
    dest = ROOT / "rsvlm" / "assets" / "default_model"
    if not (out / "final" / "config.yaml").is_file():  # checked before the bundled model is deleted
        raise FileNotFoundError(f"{out / 'final'}: no built model to ship (run the stages up to merge_chat first)")
    weights = sum(p.stat().st_size for p in (out / "final").rglob("*") if p.is_file() and p.name != "train_config.yaml")
    if weights > 50 * 2**20:  # so is this: it was found after the copy, with the bundled model gone
        raise ValueError(f"{out / 'final'}: {weights / 2**20:.1f} MB exceeds the package's 50 MB limit; not shipped")
    card = out / "MODEL_CARD.md"
    if not fresh(card, out / "final"):  # was: the bundled model's card kept, or an older build's shipped
        raise FileNotFoundError(f"{card}: " + ("none" if not card.is_file() else f"older than {out / 'final'}")
                                + "; the shipped card would describe another model: run the eval stage "
                                "(it writes the card) first; not shipped")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(out / "final", dest, ignore=shutil.ignore_patterns("train_config.yaml"))
    shutil.copy(card, dest / "README.md")
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    log(f"shipped {dest} ({size / 2**20:.1f} MB)")
    return dest


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of minutes above 0")
    return value


def main(argv: list[str] | None = None) -> int:
    from rsvlm.config import ConfigError, load_config
    from rsvlm.tta import MODES

    # the whole docstring: --help is where the stages, the resume rules and the limits are found
    p = argparse.ArgumentParser(description="\n\n".join(__doc__.split("\n\n", 2)[::2]),
                                usage="%(prog)s [options] [key=value …]",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/default_model", help="work folder (default runs/default_model)")
    p.add_argument("--budget-minutes", type=positive, default=None,
                   help="scale training steps to this many minutes (default: build.yaml's reference)")
    p.add_argument("--config", default=str(CONFIGS / "build.yaml"),
                   help="build settings: data sizes, seeds, budget, evaluation (default configs/default/build.yaml)")
    # nargs="+": a bare --only used to mean every stage, a two-hour build
    p.add_argument("--only", nargs="+", metavar="STAGE",
                   help="run just these stages, in the order above whatever the order given (others untouched)")
    p.add_argument("--ship", action="store_true", help="copy the final model into rsvlm/assets/default_model")
    p.add_argument("--curve", action="store_true",
                   help="also score each stage's checkpoint on the test set's cls/count/vqa/ground records")
    p.add_argument("overrides", nargs="*", help="key=value overrides of build.yaml")
    a = p.parse_args(argv)
    if a.only:  # nargs="+" also takes the key=value overrides after it: `--only eval eval_tta=none`
        a.overrides += [s for s in a.only if "=" in s]
        a.only = [s for s in a.only if "=" not in s]
        if not a.only:
            p.error("argument --only: expected at least one stage")
        for s in a.only:
            if s not in STAGES:
                p.error(f"argument --only: invalid choice: {s!r} (choose from {', '.join(STAGES)})")
    # `kill BUILD` would otherwise leave the running stage training on, orphaned, into the same folder
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    try:
        bc = load_config(BuildConfig, a.config, a.overrides)
    except ConfigError as e:
        p.error(str(e))
    if bc.eval_tta != "none" and bc.eval_tta not in MODES:  # else found by the last stage, hours later
        p.error(f"eval_tta must be none or one of {sorted(MODES)}, got {bc.eval_tta!r}")
    out = Path(a.out).resolve()
    if out.exists() and not out.is_dir():
        p.error(f"--out {a.out}: is a file; give a work folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file on the path, no permission, a read-only disk: was a traceback
        p.error(f"--out {a.out}: cannot make the work folder ({e.strerror or e})")
    lock = lock_folder(out)
    if lock is None:  # two builds trained into the same stage folders, each resuming the other's checkpoints
        p.error(f"--out {a.out}: another build is running in it (pid {(out / LOCK).read_text().strip() or '?'}); "
                "wait for it, stop it, or give another --out")
    with lock:
        return run_build(p, a, out, bc)


LOCK = ".build.lock"


def lock_folder(out: Path):
    """OUT/.build.lock opened and locked (flock, released when the process ends) with this pid in it;
    None when another process holds it."""
    import fcntl

    f = open(out / LOCK, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    f.truncate(0)
    f.write(f"{os.getpid()}\n")
    f.flush()
    return f


def run_build(p: argparse.ArgumentParser, a: argparse.Namespace, out: Path, bc: BuildConfig) -> int:
    """The stages ``a`` asks for, with their missing inputs a usage error; the exit status."""
    scale = (a.budget_minutes or bc.reference_minutes) / bc.reference_minutes
    names = [n for n in STAGES if n in (a.only or STAGES)]  # `--only tokenizer data` ran the tokenizer first
    missing = missing_inputs(out, names, bc)
    if missing:  # else the stage's own command fails, and "the same command resumes" would fail again
        p.error(f"{len(missing)} input(s) not there: " + "; ".join(missing)
                + ". Run those stages first (or name them in --only too)")
    try:
        build(out, bc, scale, names, a.curve, a.ship)
    except subprocess.CalledProcessError as e:
        print(f"build: stopped; {' '.join(map(str, e.cmd))} exited with status {e.returncode} (its output is "
              "above); the same command resumes from there", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as e:
        print(f"build: stopped; {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build: interrupted; the same command resumes from the stage it stopped in", file=sys.stderr)
        return 130
    return 0


def done_scale(done: Path) -> float | None:
    """The budget scale a DONE marker records; None for an unreadable one or one without it."""
    try:
        return float(json.loads(done.read_text())["scale"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def minutes_in(spent: Path) -> float:
    """The minutes an OUT/STAGE/SPENT file holds; 0 without one (or an unreadable one)."""
    try:
        return float(spent.read_text())
    except (OSError, ValueError):
        return 0.0


def build(out: Path, bc: BuildConfig, scale: float, names: list[str], curve: bool, ship_it: bool) -> None:
    t0 = time.perf_counter()
    for k, name in enumerate(names, 1):
        done = out / name / "DONE"
        if done.is_file():
            newer, notes = redone_since(out, name, bc), []
            if newer:
                notes.append(f"{', '.join(newer)} ran again since, so this stage's result is of the older input")
            then = done_scale(done)
            if name in TRAIN_STAGES and then is not None and abs(then - scale) > 1e-9:  # `--budget-minutes` changed
                notes.append(f"it trained at --budget-minutes {then * bc.reference_minutes:g}, this run asks "
                             f"{scale * bc.reference_minutes:g} (it resumes from its last checkpoint)")
            log(f"stage {k}/{len(names)} {name}: done before, skipped ({done})"
                + (f"; note: {'; '.join(notes)}; delete its DONE to redo it" if notes else ""))
            continue
        log(f"stage {k}/{len(names)} {name} …")
        # wall minutes of earlier attempts that stopped (a resumed stage's DONE counted its last part only)
        spent = out / name / "SPENT"
        before = minutes_in(spent)
        t = time.perf_counter()
        try:
            STAGES[name](out, bc, scale)
        except BaseException:
            spent.parent.mkdir(parents=True, exist_ok=True)
            spent.write_text(f"{before + (time.perf_counter() - t) / 60:.2f}\n")
            raise
        minutes = before + (time.perf_counter() - t) / 60
        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_text(json.dumps({"minutes": round(minutes, 2), "scale": scale}) + "\n")
        spent.unlink(missing_ok=True)
        log(f"stage {name} finished in {minutes:.1f} min"
            + (f", {before:.1f} of them in earlier attempts" if before else "")
            + f" (total {(time.perf_counter() - t0) / 60:.1f} min)")
    if curve:
        learning_curve(out, bc)
    report = out / "eval" / "report.json"
    if report.is_file() and (out / "final" / "config.yaml").is_file() and not fresh(report, out / "final"):
        log(f"note: no model card: {report} holds the scores of an earlier {out / 'final'} (redo the eval "
            f"stage: delete {out / 'eval' / 'DONE'})")
    elif report.is_file():
        log(f"model card: {write_card(out, bc)}")
    if ship_it:
        ship(out)
    made = [f"{what} {p}" for what, p in (("model", out / "final"), ("scores", out / "eval" / "report.md"))
            if p.exists()]
    log(f"build: {len(names)} stage(s) in {(time.perf_counter() - t0) / 60:.1f} min"
        + (f"; {', '.join(made)}" if made else ""))

if __name__ == "__main__":
    sys.exit(main())
