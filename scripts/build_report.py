"""The stages of scripts/build_default_model.py that score the built model, and what it writes from
the scores: the model card, the learning curve, and the copy shipped into the package."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from build_stages import (
    CONFIGS,
    MAKERS,
    TRAIN_STAGES,
    BuildConfig,
    done_value,
    log,
    py,
    run,
    stop_on_turn_end,
)

from rsvlm.progress import counted

EVAL_TASKS = {"cls": "classification", "vqa": "vqa", "cap": "captioning", "count": "counting",
              "det": "detection", "ground": "grounding", "seg": "segmentation", "change": "change"}


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
        many = sum(unscored.values())
        log(f"note: {counted(many, 'record')} of {gt} {'is' if many == 1 else 'are'} of no task a scoring script "
            "reads, answered but not scored: "
            + ", ".join(f"{t or 'no task'} {n}" for t, n in sorted(unscored.items(), key=str)))
    ev, tag = out / "eval", tag if tag is not None else "_tta" if tta else ""
    (ev / f"scores{tag}").mkdir(parents=True, exist_ok=True)
    pred = ev / f"pred{tag}.jsonl"
    if pred.is_file() and not fresh(pred, out / "final", gt):
        pred.unlink()  # answers of an older model or test set; a newer partial file is resumed by rsvlm eval
    run(py("-m", "rsvlm.cli", "eval", "--model", str(out / "final"), "--data", str(gt), "--out", str(pred),
           "--batch-size", str(bc.eval_batch_size), "--max-new-tokens", str(bc.eval_max_new_tokens),
           *(("--tta", tta) if tta else ())), env_threads=2)
    for task, script in EVAL_TASKS.items():
        if task in tasks:
            run(py("-m", f"eval.{script}", "--gt", str(gt), "--pred", str(pred),
                   "--out", str(ev / f"scores{tag}" / f"{script}.json")))
    run(py("-m", "eval.report", "--dir", str(ev / f"scores{tag}"), "--out", str(ev / f"report{tag}.md")))
    return json.loads((ev / f"report{tag}.json").read_text())


def fresh(result: Path, ckpt: Path, *inputs: Path) -> bool:
    """Whether ``result`` was written after the checkpoint ``ckpt`` was, and after the ``inputs`` it was
    made from (a test set made again), so re-running can keep it."""
    return result.is_file() and all(result.stat().st_mtime > p.stat().st_mtime
                                    for p in (ckpt / "config.yaml", *inputs))


def location_error(ckpt: Path, gt: Path, dest: Path) -> dict:
    """Teacher-forced location error of ``ckpt`` on the ground and det records of ``gt``, with the right
    images (DEST.json) and with other scenes' images (DEST_shuffled.json, ``--shuffle-images 0``):
    {"real": ..., "shuffled": ...} of the "all" groups. Up-to-date files are reused."""
    res = {}
    for kind, extra in (("real", ()), ("shuffled", ("--shuffle-images", "0"))):
        f = dest.with_name(dest.name + ("_shuffled" if extra else "") + ".json")
        if not fresh(f, ckpt, gt):
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


def write_card(out: Path, bc: BuildConfig, stages: Iterable[str]) -> Path:
    """OUT/MODEL_CARD.md from configs/default/model_card.md with the scores and build facts filled in
    (``stages``: the build's stage names, in order, for their minutes)."""
    import yaml

    report = json.loads((out / "eval" / "report.json").read_text())
    minutes = {n: done_value(out / n / "DONE", "minutes") for n in stages if (out / n / "DONE").is_file()}
    if unknown := [n for n, m in minutes.items() if m is None]:  # was: a JSON error, no card, after the build
        log(f"note: the DONE of {', '.join(unknown)} records no minutes (marked done by hand?): '?' in the card")
    files = [p for p in (out / "final").rglob("*") if p.is_file() and p.name != "train_config.yaml"]
    from rsvlm.model.weights import open_safetensors

    n_params = 0
    for f in files:
        if f.suffix == ".safetensors":  # a cut file: a ValueError naming it (was a bare SafetensorError, no card)
            with open_safetensors(f) as st:
                n_params += sum(_numel(st.get_slice(k).get_shape()) for k in st.keys())
    steps = {n: yaml.safe_load((out / n / "train_config.yaml").read_text())["max_steps"]
             for n in TRAIN_STAGES if (out / n / "train_config.yaml").is_file()}
    tta, chat = out / "eval" / "report_tta.json", out / "eval" / "report_chat.json"
    chat_gt = out / "data" / "test" / "chat.jsonl"

    def records(path: Path, task: str | None = None) -> str:  # "1248", or "–" without the file
        if not path.is_file():
            return "–"
        n = 0
        with open(path) as f:  # blank lines are no record; a bad one is named (was: a bare JSON error)
            for i, line in enumerate(f, 1):
                if not line.strip() or task is None:
                    n += bool(line.strip())
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    raise ValueError(f"{path}:{i}: not valid JSON ({e}); no model card") from None
                n += isinstance(rec, dict) and rec.get("task") == task
        return str(n)

    facts = {"scores": scores_table(report),
             "scores_tta": scores_table(json.loads(tta.read_text())) if tta.is_file() else "(not scored)\n",
             "scores_chat": scores_table(json.loads(chat.read_text())) if chat.is_file() else "(not scored)\n",
             "n_chat": records(chat_gt) if chat_gt.is_file() else "0",
             "tta_mode": bc.eval_tta,
             "stage_minutes": ", ".join(f"{k} {'?' if v is None else f'{v:.1f}'}" for k, v in minutes.items()),
             "train_minutes": f"{sum(v or 0.0 for k, v in minutes.items() if k in TRAIN_STAGES):.1f}"
                              + (" + ?" if any(minutes[k] is None for k in minutes if k in TRAIN_STAGES) else ""),
             "size_mb": f"{sum(p.stat().st_size for p in files) / 2**20:.1f}", "params_m": f"{n_params / 1e6:.2f}",
             "n_test": records(out / "data" / "test" / "test.jsonl"),
             "test_scenes": str(bc.test_scenes), "test_seed": str(bc.test_seed),
             "n_warmup": records(out / "data" / "warmup" / "train.jsonl", "ground"),
             "n_multi": records(out / "data" / "multi" / "train.jsonl", "ground"),
             "steps": ", ".join(f"{n} {steps[n]}" for n in TRAIN_STAGES if n in steps),
             # the recipe's figures as this build ran it (was: build 19's typed into the template)
             **{f"steps_{n}": str(steps.get(n, "–")) for n in TRAIN_STAGES}, "vocab_size": str(bc.vocab_size),
             **{k: _count(getattr(bc, k)) for k in ("train_scenes", "warmup_scenes", "multi_scenes")},
             **{k: str(getattr(bc, k)) for k in ("train_seed", "warmup_seed", "multi_seed")}}
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
        log(f"warning: the model card's template has {counted(len(left), 'key')} the build does not fill, left as "
            f"they are: {', '.join(left)} (facts: {', '.join(facts)})")
    (out / "MODEL_CARD.md").write_text(text)
    return out / "MODEL_CARD.md"


def _count(n: int) -> str:
    """3000, 18 000: the card's way of writing a count."""
    return f"{n:,}".replace(",", " ") if n >= 10_000 else str(n)


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


CURVE_TASKS = ("cls", "count", "vqa", "ground")


def learning_curve(out: Path, bc: BuildConfig) -> Path:
    """Score every finished stage's checkpoint on the short-answer and grounding tasks of the test set,
    plus the teacher-forced location error on its ground and det records (``eval.loc_error``: mean
    |expected bin − true bin|, with the right images and with other scenes', against always answering
    the centre); OUT/curve/curve.md (and curve.json): metrics against cumulative CPU minutes (wall minutes of the stages on
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
        if (spent := done_value(done, "minutes")) is None:
            log(f"note: {done} records no minutes: the curve's cpu_minutes leave {name} out")
        minutes += spent or 0.0
        if name == "pretrain_encoder":
            continue
        if (out / name / "final" / "llm").is_dir():
            stop_on_turn_end(out / name / "final")  # as the merge stage does for the shipped model
        pred, sc = out / "curve" / f"{name}.jsonl", out / "curve" / name
        sc.mkdir(exist_ok=True)
        if not fresh(pred, out / name / "final", gt_all):  # answers of this checkpoint and test set are kept
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


def ship(out: Path, dest: Path) -> Path:
    """Copy OUT/final and its model card OUT/MODEL_CARD.md to ``dest`` (the package's default model),
    with ``training_data.json``: the scenes it was trained on, for ``rsvlm eval``'s overlap warning
    (its train_config.yaml, whose paths mean nothing elsewhere, is left out)."""
    from rsvlm.data.overlap import TRAINING_DATA, training_data

    if not (out / "final" / "config.yaml").is_file():  # checked before the bundled model is deleted
        raise FileNotFoundError(f"{out / 'final'}: no built model to ship (run the stages up to {MAKERS['final']} first)")
    weights = sum(p.stat().st_size for p in (out / "final").rglob("*") if p.is_file() and p.name != "train_config.yaml")
    if weights > 50 * 2**20:  # so is this: it was found after the copy, with the bundled model gone
        raise ValueError(f"{out / 'final'}: {weights / 2**20:.1f} MB exceeds the package's 50 MB limit; not shipped")
    card = out / "MODEL_CARD.md"
    if not fresh(card, out / "final"):  # was: the bundled model's card kept, or an older build's shipped
        raise FileNotFoundError(f"{card}: " + ("none" if not card.is_file() else f"older than {out / 'final'}")
                                + "; the shipped card would describe another model: run the eval stage "
                                "(it writes the card) first; not shipped")
    try:  # read before the bundled model is deleted too: without it, eval could not flag a test set of its scenes
        scenes = training_data(out / "final")
    except (FileNotFoundError, ValueError) as e:
        raise ValueError(f"cannot record the training scenes ({TRAINING_DATA}): {e}; not shipped") from None
    new, old = dest.with_name(f".{dest.name}.new"), dest.with_name(f".{dest.name}.old")
    shutil.rmtree(new, ignore_errors=True)
    try:  # copied beside it first: a copy that fails (a full disk) leaves the bundled model as it was
        shutil.copytree(out / "final", new, ignore=shutil.ignore_patterns("train_config.yaml", TRAINING_DATA))
        shutil.copy(card, new / "README.md")
        (new / TRAINING_DATA).write_text(json.dumps(scenes, indent=1) + "\n")
    except OSError as e:
        shutil.rmtree(new, ignore_errors=True)
        raise ValueError(f"copying {out / 'final'} to {new} failed ({e}); {dest} left as it was; not shipped") from None
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    new.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    seeds = ", ".join(f"seed {s}: {n}" for s, n in scenes["synthetic"].items()) or "none"
    log(f"training scenes recorded in {dest / TRAINING_DATA}: synthetic {seeds}; {len(scenes['scenes'])} others"
        + "".join(f"; {counted(n, what)}{rest}, not recorded" for what, rest, n in (
            ("training record", " without meta.scene", scenes["records_without_scene"]),
            ("malformed training line", "", scenes["malformed_lines"])) if n))
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    log(f"shipped {dest} ({size / 2**20:.1f} MB)")
    return dest


if __name__ == "__main__":  # run by hand, it did nothing and said nothing (exit 0)
    import sys

    sys.exit(f"{__file__}: a module of scripts/build_default_model.py, which runs its stages: "
             "python scripts/build_default_model.py --help")
