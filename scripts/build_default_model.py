"""Build the bundled default model from nothing (issue 8), through the project's own commands.

    python scripts/build_default_model.py [--out runs/default_model] [--budget-minutes 110]
        [--only STAGE …] [--ship] [--curve] [--config build.yaml] [key=value …]

Stages, each a config in configs/default/ and each skipped once its ``DONE`` marker exists
(delete ``OUT/STAGE/DONE`` to redo one; training stages also resume mid-way from their last
checkpoint; a redone data stage keeps the files made with the same settings and makes the others
again, and a done one skipped names the splits made with other settings; Ctrl-C or ``kill`` on the
build stops the running stage with it). A stage whose inputs are missing and made by no earlier
stage of the run is refused before any stage runs:

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
``reference_minutes`` in configs/default/build.yaml), and a warm-up the scaled steps would not run
past by the same factor (said once). A split too small for a later stage's batch stops the build
right after the data stage. ``--ship`` copies OUT/final into rsvlm/assets/default_model with the
model card and training_data.json (its training scenes, for rsvlm eval's overlap warning).
Limits: one build at a time per OUT (a second is refused: OUT/.build.lock); the step counts are
calibrated on a 2-core CPU, so a faster machine finishes early rather than training longer.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # its sibling modules, however it is started
    sys.path.insert(0, str(Path(__file__).resolve().parent))

# build_stages: the stages that make the model; build_report: those that score it, its card, the curve
# and --ship. Names that tests use through this module are imported here too.
from build_checks import RecordReads, TrainStage, short_batches  # noqa: E402, F401
from build_report import (  # noqa: E402, F401
    answer_and_score,
    fresh,
    learning_curve,
    ship,
    stage_eval,
    stage_eval_tta,
    write_card,
)
from build_stages import (  # noqa: E402, F401
    CONFIGS,
    ROOT,
    TRAIN_STAGES,
    BuildConfig,
    check_extra,
    check_settings,
    data_changed,
    done_value,
    extra_sources,
    log,
    make_merge,
    maker_of,
    relocate,
    run,
    stage_data,
    stage_inputs,
    stage_overrides,
    stage_steps,
    stage_tokenizer,
)

from rsvlm.argparsing import Parser
from rsvlm.progress import counted, plural


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
    """The stages that wrote ``name``'s inputs after it finished: an input file newer than its DONE,
    or for a folder, its maker's DONE newer (a redone data stage that kept a file is not named)."""
    done = (out / name / "DONE").stat().st_mtime

    def newer(path: Path, maker: str) -> bool:
        mark = path if path.is_file() else out / maker / "DONE"
        return mark.is_file() and mark.stat().st_mtime > done

    makers = {}
    for p in stage_inputs(name, out, bc):
        maker = maker_of(p, out)
        makers[maker] = makers.get(maker, False) or newer(p, maker)
    return [m for m, changed in makers.items() if changed and (out / m / "DONE").is_file()]


STAGES = {"data": stage_data, "tokenizer": stage_tokenizer,
          **{n: TrainStage(n) for n in TRAIN_STAGES[:-1]}, "merge": make_merge("sft_multisensor", "merged"),
          "sft_chat": TrainStage("sft_chat"), "merge_chat": make_merge("sft_chat", "final"),
          "eval": stage_eval, "eval_tta": stage_eval_tta}


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of minutes above 0")
    return value


def main(argv: list[str] | None = None) -> int:
    # the whole docstring: --help is where the stages, the resume rules and the limits are found
    p = Parser(description="\n\n".join(__doc__.split("\n\n", 2)[::2]),
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
    # `kill BUILD` would otherwise leave the running stage training on, orphaned, into the same folder;
    # the caller's handler comes back after (main() called in-process, as tests do, left it installed)
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    try:
        return _build(p, a)
    except (KeyboardInterrupt, SystemExit) as e:  # run_build says its own; this is before its first stage
        if isinstance(e, SystemExit) and e.code != 128 + signal.SIGTERM:
            raise  # p.error's 2, or a stage's own exit
        how = "interrupted" if isinstance(e, KeyboardInterrupt) else "stopped by SIGTERM"
        print(f"build: {how} before its first stage began (reading the settings, checking the inputs): no stage ran and nothing "
              "was saved; run the same command again to start it", file=sys.stderr)  # was exit 143, no word
        return 130 if isinstance(e, KeyboardInterrupt) else 143
    finally:
        signal.signal(signal.SIGTERM, previous)


def _build(p: argparse.ArgumentParser, a: argparse.Namespace) -> int:
    from rsvlm.config import ConfigError, load_config
    from rsvlm.tta import MODES

    try:
        bc = load_config(BuildConfig, a.config, a.overrides, typed_in="command line")
    except ConfigError as e:
        p.error(str(e))
    if bc.eval_tta != "none" and bc.eval_tta not in MODES:  # else found by the last stage, hours later
        p.error(f"eval_tta must be none or one of {sorted(MODES)}, got {bc.eval_tta!r}")
    if err := check_settings(bc) or check_extra(bc):
        p.error(err)
    if not a.out.strip():  # `--out "$OUT"` with OUT unset: was a build into the current folder
        p.error("--out: empty; give a work folder")
    out = Path(a.out).resolve()
    assets = ROOT / "rsvlm" / "assets"
    if out.is_relative_to(assets.resolve()):  # was a build's data in the package; --ship then deleted the build
        p.error(f"--out {a.out}: inside the package's {assets.relative_to(ROOT)} (the bundled model and samples); "
                "give a work folder elsewhere, e.g. runs/default_model (--ship then copies its final model into "
                f"{assets.relative_to(ROOT)}/default_model)")
    if out.exists() and not out.is_dir():
        p.error(f"--out {a.out}: is a file; give a work folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file on the path, no permission, a read-only disk: was a traceback
        p.error(f"--out {a.out}: cannot make the work folder ({e.strerror or e})")
    try:
        lock = lock_folder(out)
    except OSError as e:  # a folder it may not write in, or a folder by the lock's name: was a traceback
        p.error(f"--out {a.out}: cannot write its lock file {out / LOCK} ({e.strerror or e})")
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
        p.error(f"{counted(len(missing), 'input')} not there: " + "; ".join(missing)
                + ". Run those stages first (or name them in --only too)")
    maker = maker_of(out / "final", out)  # build_stages.MAKERS' (was "merge_chat", written out three times)
    if a.ship and maker not in names and not (out / "final" / "config.yaml").is_file():  # was found after them
        p.error(f"--ship: {out / 'final'}: no built model to ship, and {maker}, the stage that makes it, is not "
                f"among those run; run the stages up to {maker} first (or name {maker} in --only too)")
    if scaled := [f"{n} {w} → {ws}" for n in names if n in TRAIN_STAGES and not (out / n / "DONE").is_file()
                  for _, w, ws in [stage_steps(n, scale)] if ws is not None]:  # once, not a warning per stage
        log(f"note: at --budget-minutes {scale * bc.reference_minutes:g} the warm-up of {counted(len(scaled), 'stage')} "
            f"is scaled as their steps are (optim.warmup_steps {', '.join(scaled)}): it would not end below max_steps")
    try:
        build(out, bc, scale, names, a.curve, a.ship)
    except subprocess.CalledProcessError as e:
        cmd = " ".join(map(str, e.cmd))
        if e.returncode == 2:  # a refusal of its arguments or settings: resuming meets it again
            print(f"build: stopped; {cmd} refused its settings (exit status 2; the reason is above): change what it "
                  "names (build.yaml, its extra overrides, or the stage's config in configs/default/), then run the "
                  "same command", file=sys.stderr)
        else:
            print(f"build: stopped; {cmd} exited with status {e.returncode} (its output is above); the same command "
                  "resumes from there", file=sys.stderr)
        return 1
    except (ValueError, OSError) as e:  # OSError: was a traceback for a full disk or a file it may not write
        print(f"build: stopped; {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build: interrupted; the same command resumes from the stage it stopped in", file=sys.stderr)
        return 130
    except SystemExit as e:  # main's SIGTERM handler (kill, a scheduler): was exit 143 without a word
        if e.code != 128 + signal.SIGTERM:
            raise
        print("build: stopped by SIGTERM; the same command resumes from the stage it stopped in", file=sys.stderr)
        return 143
    return 0


def minutes_in(spent: Path) -> float:
    """The minutes an OUT/STAGE/SPENT file holds; 0 without one (or an unreadable one)."""
    try:
        return float(spent.read_text())
    except (OSError, ValueError):
        return 0.0


def build(out: Path, bc: BuildConfig, scale: float, names: list[str], curve: bool, ship_it: bool) -> None:
    t0, reads = time.perf_counter(), RecordReads()  # the batch checks read each records file once a build
    for k, name in enumerate(names, 1):
        done = out / name / "DONE"
        if done.is_file():
            newer, notes, changed = redone_since(out, name, bc), [], []
            if newer:
                notes.append(f"{', '.join(newer)} ran again since, so this stage's result is of the older input")
            then = done_value(done, "scale")
            if name == "data" and (changed := data_changed(out, bc)):  # was skipped unsaid: a stage trained on them
                notes.append(f"its {plural('split', len(changed))} {', '.join(changed)} "
                             f"{'was' if len(changed) == 1 else 'were'} made with other settings than this build "
                             "asks for (redone, it keeps the splits whose settings match)")
            if name in TRAIN_STAGES and then is not None and abs(then - scale) > 1e-9:  # `--budget-minutes` changed
                notes.append(f"it trained at --budget-minutes {then * bc.reference_minutes:g}, this run asks "
                             f"{scale * bc.reference_minutes:g} (it resumes from its last checkpoint)")
            log(f"stage {k}/{len(names)} {name}: done before, skipped ({done})"
                + (f"; note: {'; '.join(notes)}; delete its DONE to redo it" if notes else ""))
            if name == "data" and changed:  # its old splits: one too small for a batch was found stages later
                short_batches(out, bc, scale, names, reads)
            continue
        log(f"stage {k}/{len(names)} {name} …")
        # wall minutes of earlier attempts that stopped (a resumed stage's DONE counted its last part only)
        spent = out / name / "SPENT"
        before = minutes_in(spent)
        t = time.perf_counter()
        try:
            if isinstance(STAGES[name], TrainStage):  # its batch check: files short_batches read, not read again
                STAGES[name](out, bc, scale, reads)
            else:
                STAGES[name](out, bc, scale)
        except BaseException:
            spent.parent.mkdir(parents=True, exist_ok=True)
            spent.write_text(f"{before + (time.perf_counter() - t) / 60:.2f}\n")
            raise
        minutes = before + (time.perf_counter() - t) / 60
        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_text(json.dumps({"minutes": round(minutes, 2), "scale": scale}) + "\n")
        spent.unlink(missing_ok=True)
        if name == "data":  # a split too small for a later stage's batch: said now, not when that stage starts
            short_batches(out, bc, scale, names, reads)
        log(f"stage {name} finished in {minutes:.1f} min"
            + (f", {before:.1f} of them in earlier attempts" if before else "")
            + f" (total {(time.perf_counter() - t0) / 60:.1f} min)")
    if curve:
        learning_curve(out, bc)
    report, gt = out / "eval" / "report.json", out / "data" / "test" / "test.jsonl"
    if report.is_file() and (out / "final" / "config.yaml").is_file() and not fresh(report, out / "final"):
        log(f"note: no model card: {report} holds the scores of an earlier {out / 'final'} (redo the eval "
            f"stage: delete {out / 'eval' / 'DONE'})")
    elif report.is_file() and gt.is_file() and report.stat().st_mtime < gt.stat().st_mtime:
        # was: a card of this test set's size with the scores of the one made before it
        log(f"note: no model card: {report} holds the scores of an earlier {gt} (redo the eval "
            f"stage: delete {out / 'eval' / 'DONE'})")
    elif report.is_file():
        log(f"model card: {write_card(out, bc, STAGES)}")
    if ship_it:
        ship(out, ROOT / "rsvlm" / "assets" / "default_model")
    made = [f"{what} {p}" for what, p in (("model", out / "final"), ("scores", out / "eval" / "report.md"))
            if p.exists()]
    log(f"build: {counted(len(names), 'stage')} in {(time.perf_counter() - t0) / 60:.1f} min"
        + (f"; {', '.join(made)}" if made else ""))


if __name__ == "__main__":
    sys.exit(main())
