"""Write a training step folder as a model folder, to score, chat with or start a stage from a
checkpoint taken mid-run.

    python scripts/export_step.py runs/X/STAGE/checkpoints/step_002500 --out runs/X/step_002500

A step folder of the LM loop on the plain engine is written as that run's final/ would have been at
that step; the paths its train_config.yaml starts from (``init_from``, ``model.llm.name_or_path``) must
still hold what they held during training. A DeepSpeed step folder is written so too, at any ZeRO stage
and number of processes (DeepSpeed's zero_to_fp32 gathers its weights; its files are read with
weights_only=True); one an older rsvlm saved in torch's legacy file format is refused, saying what to do.
A step folder of contrastive pretraining (objective clip) gives its encoder, as that run's
final/ would: DIR/encoder.safetensors (open_clip visual.* keys), for
model.encoders.default.pretrained=DIR/encoder.safetensors. --out must be a new or empty folder, not
inside the step folder nor named step_N beside it (ckpt.keep would delete it with the steps). A step_N.tmp
(a save stopped before its rename) or step_N.old (set aside to be deleted) is exported with a warning saying so.

A step folder that records its LLM base's fingerprint (STEP/rsvlm_base.json, as adapter/rsvlm_base.json)
is refused where model.llm.name_or_path now holds other weights (re-downloaded, another revision, converted):
the step's trained weights would be paired with a base they never saw; --force exports on it anyway, with a
warning, the export's adapter/rsvlm_base.json recording the base it trained on (copied from the step), so loading
it on this base is refused in turn until that file is removed. rsvlm train writes the file into each step folder
where the LLM is frozen or LoRA on model.llm.name_or_path. One that records none (older runs) is exported on the
base as it is now, said on stderr where the export's adapter/rsvlm_base.json then records that base.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from rsvlm.argparsing import Parser


def main(argv: list[str] | None = None) -> int:
    ap = Parser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", help="a checkpoints/step_N folder of rsvlm train (the LM loop, on the plain engine or "
                                 "DeepSpeed, or contrastive pretraining: its encoder)")
    ap.add_argument("--out", required=True, help="the folder to write (new or empty, outside the step folder, not "
                                                 "named step_N beside it)")
    ap.add_argument("--force", action="store_true", help="export on model.llm.name_or_path even where it holds "
                                                         "other weights than the step recorded training on")
    args = ap.parse_args(argv)
    if not args.out.strip():  # `--out "$DIR"` with DIR unset: Path('') is '.', the current folder exported into
        ap.error(f"--out {args.out!r}: names no folder (an unset shell variable?); give a new or empty folder")
    # bitsandbytes warns on import (peft imports it) that it cannot fetch an optional CPU kernel from
    # the hub; the built-in fallback runs and nothing is downloaded (as in rsvlm.cli)
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    out = Path(args.out)
    fresh = not out.exists() or out.is_dir() and not any(out.iterdir())  # only then is a half-export ours to remove
    step = Path(args.step)
    from rsvlm.train.checkpoint import STEP_RE

    # what STEP is, first: a model folder or no folder with --out inside it was called 'the step folder'
    if (step / "config.yaml").is_file() and (step / "vision.safetensors").is_file():  # e.g. a run's final/
        print(f"error: {step}: not a step folder but a model folder already (config.yaml, vision.safetensors); "
              "use it as it is", file=sys.stderr)
        return 2
    from rsvlm.train.renames import unfinished_save

    if said := unfinished_save(step, "export"):  # was exported without a word, as if that step's finished save
        print(f"warning: {said}", file=sys.stderr)
    if fresh and not (step / "train_config.yaml").is_file():  # was: 'no train_config.yaml' for a step not there
        from rsvlm.train.checkpoint import not_a_step_folder, step_before

        damaged = (step / "trainer_state_rank0.json").is_file()
        why = f"a half-written or damaged step folder{step_before(step, 'export')}" if damaged else (
            not_a_step_folder(step))
        if step.is_dir() and any((step / name).exists() for name in STEP_FILES):  # was: 'not a step folder' alone
            why = f"{why}; {copy_config(step)}" if damaged else copy_config(step)
        print(f"error: {step}: {why if not step.exists() else f'no train_config.yaml; {why}'}", file=sys.stderr)
        return 2
    if fresh and (step.resolve() == out.resolve() or step.resolve() in out.resolve().parents):  # else: 'not empty'
        print(f"error: --out {out}: inside the step folder {step}, which ckpt.keep deletes, the export with it, "
              "once the run saves past it; export into a folder outside it", file=sys.stderr)
        return 2
    if fresh and out.resolve().parent == step.resolve().parent and STEP_RE.match(out.name):
        print(f"error: --out {out}: named as a step folder beside {step}, where ckpt.resume=auto would take it "
              "for the latest step and ckpt.keep delete it; export into a folder outside it", file=sys.stderr)
        return 2
    from rsvlm.model.checkpoint import script_write
    from rsvlm.train.loop import export_step

    undone = f", what it wrote to {out} removed" if fresh else ""
    # a half-written folder passed for a model, and blocked the rerun (--out must be new or empty)
    return script_write(lambda: _exported(export_step, step, out, args.force), out, fresh, f"nothing exported{undone}",
                        f"interrupted; nothing exported{undone}")


# what a step folder of either loop holds besides train_config.yaml (checkpoint.py's module docstring)
STEP_FILES = ("trainer_state_rank0.json", "trainable.safetensors", "deepspeed", "model.safetensors",
              "sampler.safetensors", "optimizer.safetensors")


def copy_config(step: Path) -> str:
    """What to do with step folder ``step`` that lacks its train_config.yaml, which the export builds the model
    from: copy in its run's, the one in the run folder above ``checkpoints/`` where there is one (written at the
    run's last start: its model settings must be those the step trained with)."""
    run = step.parent.parent if step.parent.name == "checkpoints" else None
    if run is not None and (run / "train_config.yaml").is_file():
        import shlex

        return (f"if only that file is missing, copy the run's into it: "
                f"{shlex.join(['cp', str(run / 'train_config.yaml'), f'{step}/'])} "
                "(written at that run's last start or resume: its model settings and seed must be those the step "
                "trained with)")
    return ("if only that file is missing, copy into it the train_config.yaml of the run that saved it (its "
            "out_dir's, or a step folder's of that run)")


def _exported(export_step, step: Path, out: Path, force: bool = False) -> Path:
    """``export_step(step, out)``. Its weights file cut (read once the model was built) or missing is named with
    the step before it to export (``check_exportable``; the loader's own message said to resume from it), a cut
    one before the model is built; a step folder whose train_config.yaml is empty (cut short) named as such: read
    as every default, it failed with 'llm needs name_or_path …', naming no file."""
    from rsvlm.config import load_yaml
    from rsvlm.train.checkpoint import CLIP_STEP_FILES, check_exportable

    if any((step / name).is_file() for name in ("trainable.safetensors", *CLIP_STEP_FILES)):
        check_exportable(step)
    recorded = _same_base(step, force)
    try:
        written = export_step(step, out)
    except (ValueError, FileNotFoundError) as e:
        check_exportable(step)
        if (step / "train_config.yaml").is_file() and not load_yaml(step / "train_config.yaml"):
            raise ValueError(f"{step / 'train_config.yaml'}: empty; a half-written or damaged step folder") from e
        raise
    from rsvlm.model.base_print import FINGERPRINT

    if not recorded and (Path(written) / "adapter" / FINGERPRINT).is_file():  # it vouches for a base unchecked
        print(f"note: {step} records no fingerprint of its LLM base; {Path(written) / 'adapter' / FINGERPRINT} "
              "records the base as it is now: if its weights changed since training, nothing could tell",
              file=sys.stderr)
    return written


def _same_base(step: Path, force: bool) -> bool:
    """Whether ``step`` records its LLM base's fingerprint (``step/rsvlm_base.json``); ValueError where the base
    its train_config.yaml names now holds other weights (a warning with ``force``). Was: exported on whatever the
    folder held now, and the export's adapter/rsvlm_base.json vouched for that base."""
    from rsvlm.config import load_yaml
    from rsvlm.model.base_print import FINGERPRINT, fingerprint, read_record
    from rsvlm.model.ckpt_files import base_folder

    path = step / FINGERPRINT
    if not path.is_file():
        return False
    try:
        was, want = read_record(path)
    except ValueError as e:
        raise ValueError(f"{e}; a damaged step folder") from None
    name = load_yaml(step / "train_config.yaml") or {}
    for key in ("model", "llm", "name_or_path"):  # a malformed config is named by export_step's own load
        name = name.get(key) if isinstance(name, dict) else None
    folder = base_folder(str(name)) if name else None
    got = fingerprint(folder) if folder is not None else None
    if got is not None and got != want:
        why = (f"{step}: trained on the LLM base {was} (fingerprint {want}, {path}), but model.llm.name_or_path "
               f"{name} now holds other weights (fingerprint {got}): the step's trained weights would be paired "
               "with a base they never saw")
        if not force:
            raise ValueError(f"{why}; put that base back, or export on this one anyway with --force")
        print(f"warning: {why}; exported anyway (--force); its adapter/{FINGERPRINT} records the base it trained "
              "on, so chat, eval and merge-lora refuse it on this one until that file is removed (or merge-lora "
              "--force)", file=sys.stderr)
    return True


if __name__ == "__main__":
    from rsvlm.closed_pipes import run_main

    sys.exit(run_main(main, "scripts/export_step.py"))  # `… | head`: goes on, says so
