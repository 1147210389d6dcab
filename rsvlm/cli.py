"""The ``rsvlm`` command line (DESIGN.md "Command line").

Each subcommand's work lives in its own module, imported only when that subcommand runs, so
``rsvlm --help`` is instant and needs no torch.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import shlex
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from rsvlm.argparsing import Parser
from rsvlm.cli_parser import IN_PREDICT, IN_THE_CHAT, TASK_CHOICES, TTA_MODES, build_parser  # noqa: F401  (re-exported)
from rsvlm.progress import counted

_OTHERS_OPTIONS = {"chat": ("predict's options; in the chat ", IN_THE_CHAT), "predict": ("chat's options; ", IN_PREDICT)}
GOES_ON = ("train", "merge-lora", "convert-llava")  # commands that write on where their stdout or stderr reader left


def run_train(args) -> int:
    from rsvlm.train import main as train_main

    return int(train_main([w for c in args.config for w in ("--config", c)] + args.overrides) or 0)


def run_merge_lora(args) -> int:
    from rsvlm.config import ConfigError, load_yaml
    from rsvlm.model import merge_lora
    from rsvlm.model.ckpt_files import cached_checkpoint  # a hub name merge_lora reads: its note was lost

    src = given if (given := Path(args.model)).exists() else cached_checkpoint(args.model) or given
    try:  # encoder LoRA lives in vision.safetensors and is merged too
        encoder = (load_yaml(src / "config.yaml").get("trainable") or {}).get("encoder", "frozen")
    except (OSError, ConfigError, AttributeError):
        encoder = None  # merge_lora names what is wrong with it
    no_lora = not (src / "adapter").is_dir() and (src / "config.yaml").is_file() and encoder not in (None, "lora")
    try:
        written = merge_lora(args.model, args.out, any_base=args.force)
    except (ValueError, FileExistsError, OSError) as e:  # a bad checkpoint or --out: one line, not a traceback
        return _fail(args.command, e)  # no note first: a folder that is no checkpoint had weights "written"
    except KeyboardInterrupt:  # merge_lora has removed what it wrote
        print(f"rsvlm {args.command}: interrupted; nothing written to {args.out}", file=sys.stderr)
        return 130
    if no_lora:
        print(f"note: {args.model}{'' if src == given else f' (in the Hugging Face cache at {src})'} holds "
              "no LoRA adapter (no adapter/, no encoder LoRA): its weights were written as they are")
    print(f"wrote {written}")
    return 0


def run_convert_llava(args) -> int:
    from rsvlm.model import convert_llava

    try:
        print(f"wrote {convert_llava(args.src, args.out, vision_tower=args.vision_tower)}")
    except (ValueError, FileExistsError, OSError) as e:
        return _fail(args.command, e)
    return 0


def _fail(command: str, e: Exception) -> int:
    """One line naming the error's kind where its message alone would not (exit 2)."""
    # by name, as ConfigError: out_folder's NotWritable is not imported for it (its import loads torch)
    plain = isinstance(e, (FileNotFoundError, FileExistsError)) or type(e).__name__ in (
        "ValueError", "ConfigError", "NotWritable")
    print(f"rsvlm {command}: {e if plain else f'{type(e).__name__}: {e}'}", file=sys.stderr)
    return 2


@dataclass
class WarningLines:
    """Python warnings of a CLI run said as ``rsvlm CMD: warning: …`` on one line (the raw form named a
    library's file and line, and repeated its source line); a warning repeated with other numbers
    ("ran 82 token(s) …", "ran 90 …") is said once, and ``summary`` counts the repeats at the end."""

    command: str
    seen: dict[tuple, list] = field(default_factory=dict)  # (category, message with numbers as N) -> [n, text]

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        """``warnings.showwarning``'s signature."""
        text = " ".join(str(message).split())
        kind = "" if category is UserWarning else f" ({category.__name__})"
        key = (category, re.sub(r"\d+", "N", text))
        if key in self.seen:
            self.seen[key][0] += 1
            return
        self.seen[key] = [1, text]
        self._say(f"rsvlm {self.command}: warning{kind}: {text}")

    def summary(self) -> None:
        for n, text in self.seen.values():
            if n > 1:
                self._say(f"rsvlm {self.command}: the warning \"{text[:100]}{'…' if len(text) > 100 else ''}\" "
                          f"came {n} times in all")

    @staticmethod
    def _say(line: str) -> None:
        from tqdm import tqdm

        # above a progress bar, which a plain print would break; a closed stderr (2>&-) is the null device here
        # (cli.main runs within closed_stderr_to_null): tqdm.write(file=None) wrote to stdout, after the JSON
        tqdm.write(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` names. With standard error closed (``2>&-``), what would be said there is dropped:
    ``print(file=None)`` and argparse's usage wrote the refusals to stdout (before ``predict --out -``'s JSON)."""
    from rsvlm.closed_pipes import closed_stderr_to_null

    with closed_stderr_to_null():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    ap = build_parser()
    argv = typed = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:  # --max_steps=3 (as HF Trainer takes it) is the override max_steps=3, not an error
        from rsvlm.train.flags import flag_overrides

        argv = ["train", *flag_overrides(argv[1:])]
    for parser in (ap, *ap.commands.values()):  # for Parser.error's hints: as typed (train --conf x.yaml, not conf=x.yaml)
        parser.argv = tuple(typed)
    args, extra = ap.parse_known_args(argv)
    if extra:  # said by the command's parser, with its usage (was rsvlm's: "usage: rsvlm [-h] COMMAND")
        _stray(ap.commands.get(args.command, ap), args.command, extra)
    if args.command == "predict" and args.task is None and args.region is None and \
            not re.match(r"\s*\[\w+\]|\s*$", "x" if args.prompt is None else args.prompt):  # a tag or --region names
        # it (predict_question.settle_task); an empty one is said so there (was "--task required", as if none were given)
        # after the stray words: --promt '[det] …' is the typo to hear of, not a --task wanted
        ap.commands["predict"].error("the following arguments are required: --task (or a --prompt that opens "
                                     "with its task tag: --prompt '[det] Detect all ships.')")
    if not getattr(args, "handler", None):
        ap.print_help()
        return 0
    # bitsandbytes warns on import (peft imports it) that it cannot fetch an optional CPU kernel
    # from the hub; the built-in fallback runs, and rsvlm never downloads, so the line is noise
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    if getattr(args, "load_8bit", False):  # logged for every layer at every token, in the middle of an answer
        logging.getLogger("bitsandbytes.autograd._functions").setLevel(logging.ERROR)
    if getattr(args, "min_objects", 0) and getattr(args, "free_decoding", False):  # was ignored without a word
        print(f"rsvlm {args.command}: --min-objects works through the geometry grammar, which --free-decoding "
              "turns off; drop one of them", file=sys.stderr)
        return 2
    if getattr(args, "model", None) is not None and not args.model.strip():  # --model "$M", M unset: the bundled one ran
        print(f"rsvlm {args.command}: --model is empty; give a checkpoint folder"
              + ("" if args.command == "merge-lora" else ", or leave --model out for the bundled default model"),
              file=sys.stderr)
        return 2
    if args.command == "train":  # its ranks say their warnings themselves
        return _run(args)
    lines = WarningLines(args.command)
    with warnings.catch_warnings():  # showwarning and the filters as they were once the run ends
        warnings.showwarning = lines.show
        warnings.filterwarnings("always", category=UserWarning, append=True)  # each counted, not the first alone
        try:
            return _run(args)
        finally:
            lines.summary()


def _stray(parser: argparse.ArgumentParser, command: str | None, extra: list[str]) -> None:
    """A usage error for arguments no option takes; where they are files after ``--image`` (a shell glob,
    ``--image a.tif b.tif``), say that each takes its own ``--image`` and how to answer many."""
    cut = extra.index("--") if "--" in extra else len(extra)
    before, after = extra[:cut], extra[cut + 1:]  # after "--" a word is no option, nor a typo of one
    message = f"unrecognized arguments: {' '.join(extra)}"
    heads = [a.split("=", 1)[0] for a in before if a.startswith("-")]
    # chat --task det was asked "did you mean --tta?": the other command's options are said as this one does them
    lead, instead = _OTHERS_OPTIONS.get(command, ("", {}))
    if said := dict.fromkeys(instead[h] for h in heads if h in instead):
        message += f" ({lead}{'; '.join(said)})"
        parser.explained = tuple(h for h in heads if h in instead)  # not "--task: did you mean --tta?"
    elif isinstance(parser, Parser):  # options are not abbreviated (--reg for --region): say the one meant
        message += "".join(dict.fromkeys(parser.meant(a) for a in before if a.startswith("-")))
    if after and command not in (None, "train"):  # was "--tile is no option: … did you mean --tile?"
        message += _after_end(parser, command, after)
    files = [a for a in before + after if a != "--" and not a.startswith("-") and Path(a).exists()]
    argv = list(getattr(parser, "argv", ()))
    images = tuple(b for a, b in zip(argv, argv[1:]) if a == "--image") + tuple(a[8:] for a in argv if a.startswith("--image="))
    files, again = _once(files, images)  # "*.tif *.TIF" where globs ignore case: scene_a.tif twice, advised as a pair of it
    if command == "chat" and files and not any(a.split("=", 1)[0] == "--image" for a in getattr(parser, "argv", ())):
        message = (f"give {'it' if len(files) == 1 else 'each'} as --image PATH (rsvlm chat --image "  # rsvlm chat IMAGE,
                   f"{' --image '.join(map(shlex.quote, files))}): {message}")  # as predict's missing --image says
    if command in ("predict", "chat") and files:
        message += (f" ({counted(len(files), 'path')}: each image takes its own --image, --image BEFORE --image AFTER for a "
                    "change pair, band files comma-separated in one; "
                    + ("a chat is about one image or a pair" if command == "chat" else
                       "predict answers one image or pair a run: for many, run it once per file "
                       "(for f in *.tif; do rsvlm predict --image \"$f\" … --out \"$f.json\"; done) or answer "
                       "a JSONL of records with rsvlm eval") + ")")
    if again:
        message += f" ({'; '.join(again)}: the same file again, counted once)"
    parser.error(message)


def _once(paths: list[str], given: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """``paths`` with each file kept once (``./a.tif`` is ``a.tif``; a link, its target), and "B is A" for each
    dropped, or "A given N times" (``given``: the ``--image`` values, ``--image a.tif a.tif a.tif`` 3 times)."""
    kept, said = {}, {}  # (device, inode) → the path that named it first; what is said of each, in order
    for p in paths:
        if (key := ((st := Path(p).stat()).st_dev, st.st_ino)) in kept:
            if p == kept[key]:  # the count so far: its first, its --image value, each repeat
                said[p] = said.get(p, 1 + given.count(p)) + 1
            else:
                said.setdefault(f"{p} is {kept[key]}", None)
        kept.setdefault(key, p)
    again = [w if n is None else f"{w} given {'twice' if n == 2 else f'{n} times'}" for w, n in said.items()]
    return list(kept.values()), again


def _after_end(parser: argparse.ArgumentParser, command: str, after: list[str]) -> str:
    """What ``rsvlm CMD … -- WORDS`` meant: "--" ends the options, and no command but train takes other words."""
    options = [a for a in after if a.split("=", 1)[0] in parser._option_string_actions]
    said = f" ('--' ends the options, and rsvlm {command} takes no other words: "
    if options:
        return said + f"put {' '.join(dict.fromkeys(options))} before '--', or leave '--' out)"
    if command in ("chat", "predict") and any(Path(a).exists() for a in after):  # not --prompt=scene.tif
        return said + "an image is given as --image PATH before '--')"
    if command not in ("chat", "predict"):  # eval, merge-lora, convert-llava: a path starting with '-' is --out=-x
        if dashed := next((a for a in after if a.startswith("-")), None):
            return said + f"a value starting with '-' is given joined to its option, e.g. {shlex.quote('--out=' + dashed)})"
        return said + "a value goes after its option, before '--')"  # was "starting with '-' … e.g. --out=test.jsonl"
    if command == "chat":
        return said + "a question is typed in the chat or piped in, even one starting with '-': " \
                      f"echo {shlex.quote(' '.join(after))} | rsvlm chat …)"
    return said + f"the question is --prompt's, even one starting with '-': {shlex.quote('--prompt=' + ' '.join(after))})"


def _run(args) -> int:
    """The subcommand's handler on ``args``; a missing path, a closed stdout or a Ctrl-C the handler
    did not catch itself (importing it, loading the model) said in one line. Handlers catch a Ctrl-C
    themselves only where they have more to say (what was kept, or a chat that goes on): one line either way."""
    module, func = args.handler.split(":")
    try:
        try:  # importing it is in the Ctrl-C's reach too (a traceback out of `import torch`)
            handler = getattr(importlib.import_module(module), func)
        except (ImportError, AttributeError) as e:
            print(f"rsvlm {args.command}: not available in this installation ({e})", file=sys.stderr)
            return 2
        if args.command not in GOES_ON:  # chat ends with its reader; predict and eval guard their own streams
            return int(handler(args) or 0)
        from rsvlm.closed_pipes import readers_may_close

        # a progress line to a closed pipe (… 2>&1 | head -1) ended it early; which stream is said at the end,
        # as predict says its --out - cut short
        with readers_may_close(f"rsvlm {args.command}") as closed:  # a failed run said so, not gone on to its end
            return closed.ended(handler(args))
    except FileNotFoundError as e:  # a path the user gave: say which, without a traceback
        return _fail(args.command, e)
    except KeyboardInterrupt:  # before the handler's own Ctrl-C handling (loading the model): no traceback
        print(f"\nrsvlm {args.command}: stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # a reader gone where no command catches it (chat, predict and eval do): end quietly
        from rsvlm.closed_pipes import stdout_to_null

        stdout_to_null()  # no second error when Python flushes it
        return 0


if __name__ == "__main__":
    sys.exit(main())
