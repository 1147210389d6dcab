"""Training: stage recipes (configs/train/*.yaml), plain torch or DeepSpeed ZeRO, exact resume.

    rsvlm train --config configs/train/sft_tiny.yaml max_steps=10
    torchrun --nproc_per_node 2 -m rsvlm.train --config … dist.deepspeed=configs/deepspeed/zero2.json

Nothing heavy is imported until ``main`` runs.
"""

from __future__ import annotations


def main(argv: list[str] | None = None, entry: bool | None = None) -> int:
    """``--config FILE [key=value …]`` → train; returns the exit code: 2 when the run is refused before it
    builds or writes anything (``run.preflight``; ``inputs.RefusedData``: records too few, too many malformed or
    unfit, or that fill no batch as asked; ``resume.OutDirRefused``: an out_dir that cannot be made; a
    ``model.llm.base_vocab`` the LLM's build refuses, named by the file or override that set it), 1 when it
    fails after, 130 on Ctrl-C, 143 on SIGTERM
    (which stops at the next step boundary once the steps have begun, saving a step folder where
    ``ckpt.every`` is set). A stop while the processes meet ends the process at once where ``entry`` (None:
    ``stopping.cli_entry``, whether an rsvlm command line is the main program); otherwise (a notebook) the
    ``KeyboardInterrupt`` or ``Terminated`` is raised to the caller, once said."""
    import argparse
    import logging
    import sys

    from rsvlm.config import ConfigError, load_config
    from rsvlm.config_bases import value_blamed
    from rsvlm.overrides import warnings_as_lines

    # as rsvlm.cli: bitsandbytes (imported by peft) logs that it cannot fetch an optional CPU kernel
    # from the hub; its built-in fallback runs and nothing is downloaded (torchrun starts here)
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

    from rsvlm.argparsing import Parser

    # no abbreviations, and a typo answered with the option meant, as every rsvlm command line
    parser = Parser(prog="rsvlm train", description="Train an rsvlm model from a YAML recipe.")
    parser.add_argument("--config", required=True, action="append", help="configs/train/NAME.yaml (one)")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. optim.lr=1e-4 (--optim.lr=1e-4 "
                                                     "and --optim.lr 1e-4, as Hugging Face's Trainer takes them, too)")
    from rsvlm.train.flags import config_by, empty_recipe, flag_overrides, other_file, set_by
    from rsvlm.train.stopping import launcher_says

    typed = sys.argv[1:] if argv is None else list(argv)
    parser.argv = tuple(typed)  # the hints read it as typed: --conf x.yaml, not the override conf=x.yaml
    args = parser.parse_args(flag_overrides(typed))
    if len(args.config) > 1:  # was: the last kept, the others dropped unsaid (key=value overrides set keys, in turn)
        parser.error(f"--config given {len(args.config)} times ({', '.join(args.config)}): a run has one recipe; "
                     "to build one on another, start it with 'base: OTHER.yaml' and the keys that differ, or set "
                     "single keys as key=value")
    args.config = args.config[0]
    import os
    from pathlib import Path

    from rsvlm.processes import SameOnEveryRank, StopOnTerm, Terminated
    from rsvlm.train.checkpoint import latest_checkpoint, resume_hint
    from rsvlm.train.config import TrainConfig, global_batch_note
    from rsvlm.train.resume import OutDirRefused
    from rsvlm.train.run import exit_if_meeting, lost_group, lost_group_line, meeting, preflight
    from rsvlm.train.stopping import cli_entry

    # under a launcher every rank runs this; what all ranks reach alike is said by the first only
    rank, several = os.environ.get("RANK", "0"), os.environ.get("WORLD_SIZE", "1") not in ("", "1")
    first = not (rank.strip().isdigit() and int(rank) > 0)  # a RANK that is no number: preflight names it
    who = f"rsvlm train{f' (rank {rank})' if several else ''}"
    cfg = None
    with StopOnTerm() as stop:
        try:
            # exit 2: refused before anything was built or written (the config, a file it names, out_dir, the
            # launcher's variables, the step folder to resume from); 1: failed once the run started
            try:
                with warnings_as_lines("rsvlm train", first):  # an override's warning: one line, rank 0
                    cfg = load_config(TrainConfig, args.config, args.overrides, typed_in="command line")
                if why := empty_recipe(args.config, cfg):  # was "data.train: no training file given"
                    raise ValueError(why)
                recipe_values(cfg, args.config, args.overrides)  # preflight's first check, its refusal blamed
                scans: dict = {}  # its checks' transformers-source lookups, for the build (one lookup a key)
                try:
                    shapes = preflight(cfg, scans, expanded=True)  # its meta LLM, for the build
                except (ValueError, FileNotFoundError) as e:  # model.stems.optical.bands=[R,G]: unblamed, as was
                    # a model path's refusal (a pickled LoRA base) naming the key alone where an override set it
                    if type(e) not in (ValueError, FileNotFoundError) or not str(e).startswith("model."):
                        raise  # LinkError, HFConfigError: config_by names what set them; ckpt.resume's its file
                    raise type(e)(value_blamed(str(e), None, args.overrides)) from None
            except (ConfigError, ValueError, FileNotFoundError, FileExistsError, PermissionError) as e:
                if first:  # a DeepSpeed JSON or a data_gen YAML given as the recipe: said what it is
                    print(f"rsvlm train: {config_by(e, args.config, args.overrides)}{e}"
                          f"{other_file(e.keys, args.config) if isinstance(e, ConfigError) else ''}", file=sys.stderr)
                return 2
            if first and several and (note := global_batch_note(cfg, args.config, int(os.environ["WORLD_SIZE"]))):
                print(f"[rsvlm.train] note: {note}", file=sys.stderr)  # was: plain torchrun doubled it, unsaid
            from rsvlm.train.loop import train

            train(cfg, checked=True, stop=stop, shapes=shapes, scans=scans)  # preflight ran above
        except SameOnEveryRank as e:  # a verdict every rank reaches alike, with the same words
            from rsvlm.train.inputs import RefusedData

            if first:
                print(f"rsvlm train: {type(e).__name__}: {e}", file=sys.stderr)
            # bad input: records too few, too many malformed or unfit, or that fill no batch as asked (found
            # before the model is built or out_dir written)
            return 2 if isinstance(e, RefusedData) else 1
        except OutDirRefused as e:  # rank 0's, sent to every rank: out_dir could not be made, nothing written
            if first:
                print(f"rsvlm train: {e}", file=sys.stderr)
            return 2
        except (ValueError, OSError) as e:  # OSError: a full disk, a file it may not write; may be one rank's
            from rsvlm.model.llm import BaseVocabError

            if isinstance(e, BaseVocabError):  # the build's: named no file
                if first:  # every rank's alike, before out_dir is written: refused as load_config refuses a key
                    print(f"rsvlm train: {set_by(args.config, args.overrides, 'model.llm.base_vocab')}: model.{e}",
                          file=sys.stderr)
                return 2
            print(f"{who}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        except RuntimeError as e:
            if not lost_group(e):  # a fault of ours: its traceback
                raise
            print(f"{who}: {lost_group_line(e, cfg.out_dir)}", file=sys.stderr)  # was gloo's traceback
            return 1
        except (KeyboardInterrupt, Terminated) as e:
            if first and not launcher_says():  # scripts/launch.py's last line says it: it was said twice
                how = "interrupted" if isinstance(e, KeyboardInterrupt) else "stopped by SIGTERM"
                saved = " (its step saved on the way out)" if getattr(e, "saved", None) else ""
                # before the loop began, or before this run's first step was done, with no step folder in
                # out_dir: nothing to continue from (it said "ckpt.every sets how often", as if it had)
                trained = getattr(e, "trained_steps", None)  # the loops': steps this run trained
                early = (cfg is None or not latest_checkpoint(Path(cfg.out_dir) / "checkpoints")) and (
                    not stop.deferring or trained == 0)
                when = ("before its first step (reading the config and data, building the model)"
                        if not stop.deferring else "during its first step")
                hint = (f"{when}: nothing was trained or saved; run the same command again to start it" if early
                        else resume_hint(cfg.out_dir))
                print(f"\nrsvlm train: {how}{saved}; {hint}", file=sys.stderr)
            # in the rendezvous, whose helper thread cannot be stopped: the CLI exits at once; an in-process
            # caller gets the stop raised, its process going on (os._exit ended a notebook's kernel)
            if meeting() and not (entry if entry is not None else cli_entry()):
                raise
            exit_if_meeting(130 if isinstance(e, KeyboardInterrupt) else 143)
            return 130 if isinstance(e, KeyboardInterrupt) else 143
    return 0


def recipe_values(cfg, config: str, overrides: list[str]) -> None:
    """The recipe's value checks (``check_config``, which ``preflight`` runs again: pure and cheap), a refusal
    opened with what set its key (``value_blamed``: ``override 'precision=fp17' (command line): precision must be
    …``, else ``r.yaml: precision must be … (line 4 of r.yaml)``; it said neither; a refusal of two keys, with the
    override typed for the second where none set the first). Its other kinds (``LinkError``: ``config_by`` names
    what set them) pass as raised; a key a default set is blamed on no one."""
    from rsvlm.config_bases import value_blamed
    from rsvlm.train.config import check_config, expand_home

    try:
        expand_home(cfg)  # as preflight, before the check: its words name the paths as preflight's did
        check_config(cfg)
    except ValueError as e:
        if type(e) is not ValueError:
            raise
        raise ValueError(value_blamed(str(e), config, overrides)) from None
