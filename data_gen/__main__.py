"""``python -m data_gen synth …``, ``… convert FORMAT …``, ``… chat …`` and ``… rebuild …``."""

from __future__ import annotations

import json
import os
import sys

from rsvlm.argparsing import Parser


def synth_parser(cls: type[Parser] = Parser) -> Parser:
    """The parser of ``python -m data_gen synth`` (``cls``: scripts/build_stages.py's raises, not exits)."""
    from data_gen.argv import record_values
    from data_gen.instructions.build import TASKS_HELP

    p = record_values(cls(prog="python -m data_gen synth",
                          description="Synthetic multi-modal scenes with ground truth and instruction records."))
    p.add_argument("--out", required=True, help="output folder: scenes/, images/, masks/, train/val/test.jsonl, stats.json "
                   "and the config it resolved, config.yaml")
    p.add_argument("--n", type=int, required=True, help="number of scenes (at least 1)")
    p.add_argument("--seed", type=int, default=0,
                   help="scene ids are s<seed>-<index>; same seed and config give the same bytes (default 0)")
    p.add_argument("--modalities", default=None, help="comma list of optical,sar,ir,msi, any case (default: config)")
    p.add_argument("--size", type=int, default=None, help="scene side in px, 16 to 4096 (default: config, 128; "
                   "4096 takes about 4.2 GB of memory a worker, 5.4 GB for a pair)")
    p.add_argument("--tasks", default=None, help=TASKS_HELP)
    p.add_argument("--pairs-fraction", type=float, default=None, help="fraction of bi-temporal scenes, 0 to 1 (default: config, 0.25)")
    p.add_argument("--config", default=None, help="a data config, configs/data/NAME.yaml (default: the built-in "
                   "defaults)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes (at most --n are started); the output is the same whatever the number (default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (on stderr)")
    p.add_argument("overrides", nargs="*", help="key=value config overrides, e.g. instructions.records_per_image=4")
    return p


SYNTH_FLAGS = {"--size": "scene.size", "--pairs-fraction": "scene.pairs_fraction", "--modalities": "modalities"}


def synth_overrides(a) -> list[str]:
    """The config overrides of parsed synth arguments ``a``: its key=value words, then its flags' (``--tasks``'
    come after them: synth_config)."""
    overrides = list(a.overrides)
    if a.modalities is not None:
        # "Optical, SAR," is fine, as rsvlm's --modality takes any case, and "[sar, ir]", a YAML list as --tasks reads
        # one (it was refused as "'[sar', 'ir]' are not"); a stray bracket, "sar]", is still a name that is none
        given = a.modalities.strip()
        given = given[1:-1] if given.startswith("[") and given.endswith("]") else given
        names = [m.strip().lower() for m in given.split(",") if m.strip()]
        overrides.append(f"modalities={json.dumps(names)}")  # JSON is YAML: any name reaches the check
    if a.size is not None:
        overrides.append(f"scene.size={a.size}")
    if a.pairs_fraction is not None:
        overrides.append(f"scene.pairs_fraction={a.pairs_fraction}")
    return overrides


def synth_config(a, path, source: str | None = "command line"):
    """The SynthConfig of parsed synth arguments ``a`` over the config file ``path`` (None: the defaults), checked
    (``check_config``: a value an option set named by the option, ``--size 8``); a task ``--tasks`` names whose
    weight is 0 there gets 1; ``source``: where ``a``'s key=value words came from (None: the caller says it).
    ConfigError / ValueError naming what is wrong."""
    from data_gen.argv import blaming_config
    from data_gen.instructions.build import load_with_tasks
    from data_gen.synth.run import check_config

    cfg, flags = load_with_tasks(path, synth_overrides(a), a.tasks), given_flags(a)
    # "scene.max_objects -3 is out of range": a file's value named no file
    with blaming_config(path, [*a.overrides, *(f"{k}=" for k in flags)], source):
        check_config(cfg, flags)
    return cfg


def given_flags(a) -> dict[str, str]:
    """Config key → the option of ``SYNTH_FLAGS`` (or ``--tasks``) that set it in parsed synth arguments ``a``
    (``{"scene.size": "--size"}``): errors and the notes after the run name what the user typed."""
    given = {key: flag for flag, key in SYNTH_FLAGS.items()  # argparse's dest of --pairs-fraction: pairs_fraction
             if getattr(a, flag[2:].replace("-", "_")) is not None}
    return given | ({"instructions.task_weights": "--tasks"} if a.tasks is not None else {})  # not SYNTH_FLAGS:
    # --tasks and a task_weights key=value go together (given_twice)


def config_in_out(config: str | None, out: str) -> str:
    """Why ``--config`` cannot be ``--out``'s own config.yaml in a folder no synth run made (a project's
    ``--config proj/config.yaml --out proj``): the run writes its resolved config there (defaults and key=value
    overrides filled in, comments gone), so the file it was given would be replaced; "" where it is not that file.
    In a set synth made (scenes/ beside it) the file is that run's resolved config, and rewriting it is the point."""
    from pathlib import Path

    own = Path(out) / "config.yaml"
    if not config or (Path(out) / "scenes").is_dir() or not own.is_file() or not Path(config).is_file() \
            or not own.samefile(config):
        return ""
    return (f"--config {config}: this run writes the config it resolved to {own} (defaults and overrides "
            f"filled in, comments dropped), replacing the one given: give the set a folder of its own (--out "
            f"{Path(out) / 'data'}), or rename your config (mv {own} {Path(out) / 'data.yaml'}; --config "
            f"{Path(out) / 'data.yaml'})")


def _has_settings(path: str) -> bool:
    """Whether the YAML file ``path`` (read as a config already) sets anything: an empty file, comments only, ``{}``
    or a bare ``---`` does not (read as YAML, as the config was: a test of its lines took the last two for settings)."""
    from rsvlm.config import load_yaml

    return bool(load_yaml(path))


def synth_main(argv: list[str]) -> int:
    from data_gen.argv import error_line, given_twice
    from data_gen.synth.run import synthesize
    from rsvlm.config import ConfigError
    from rsvlm.overrides import warnings_as_lines

    p = synth_parser()
    a = p.parse_args(argv)
    if twice := given_twice(p, argv, a.overrides, SYNTH_FLAGS):
        p.error(twice)  # argparse kept the last, and a flag won over its key=value: neither said
    if not a.out.strip():
        p.error("--out is empty (it would write into the current folder)")
    if clash := config_in_out(a.config, a.out):
        print(f"error: {clash}", file=sys.stderr)
        return 2
    try:
        with warnings_as_lines("synth"):  # scene={size: 32}'s: one line, not Python's two-line UserWarning
            cfg = synth_config(a, a.config)
        if a.config and not _has_settings(a.config):  # a file cut short or saved blank read as the defaults, unsaid
            print(f"note: --config {a.config} holds no settings (empty, or comments only): the built-in defaults are "
                  "used, with any options given", file=sys.stderr)
        synthesize(a.out, a.n, a.seed, cfg, workers=a.workers, progress=not a.no_progress, flags=given_flags(a))
    except BrokenPipeError:
        raise  # a reader that closed stdout (| head) after the work: main() ends quietly
    except (ConfigError, ValueError, OSError) as e:  # OSError: an --out that cannot be written, named in it
        print(error_line(e, a.config), file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # its note: how many scenes were written, where the run had begun
        written = "".join(f"{note}; " for note in getattr(e, "__notes__", ()))
        if not written and os.path.isfile(os.path.join(a.out, "train.jsonl")) \
                and not os.path.exists(os.path.join(a.out, "train.jsonl.partial")):  # after its records were renamed
            print(f"interrupted: {a.out} holds a whole set (train/val/test.jsonl and stats.json written; the report "
                  "and notes after them not printed)", file=sys.stderr)
            return 130
        print(f"interrupted: {a.out} holds an incomplete run ({written}its records only in *.jsonl.partial, no "
              "train/val/test.jsonl; run again to finish)", file=sys.stderr)
        return 130
    return 0


def convert_main(argv: list[str]) -> int:
    from data_gen.convert import main  # another component; imported only when asked for

    return main(argv)


def chat_main(argv: list[str]) -> int:
    from data_gen.instructions.chat import main

    return main(argv)


def rebuild_main(argv: list[str]) -> int:
    from data_gen.instructions.rebuild import main

    return main(argv)


def _done_by(word: str) -> str:
    """Where the work an unknown command ``word`` names is done, as the end of its error line ("" where it names
    none of these): instruction records (synth, rebuild, chat, convert), overlays (the preview module), statistics."""
    word = word.lower()
    if any(w in word for w in ("instruction", "record")):
        return ("; instruction records are written by 'synth' with its scenes, remade in another mix by 'rebuild', "
                "chained into conversations by 'chat', made of a real dataset by 'convert'")
    if any(w in word for w in ("preview", "overlay", "draw", "show")):
        return ("; overlays of a synth set's scenes are drawn by `python -m data_gen.synth.preview --dir DIR --out "
                "FOLDER`")
    if word in ("stats", "statistics", "report"):
        return ("; a set's statistics are printed by synth and rebuild at their end, and kept in DIR/stats.json "
                "(a rebuild's in DIR/PREFIXstats.json)")
    return ""


def commands() -> dict:
    """Each command's function and what it makes, in one table (two tables of the names drifted apart), built at
    the call: a test's stand-in for a module's ``*_main`` is the one run."""
    return {"synth": (synth_main, "draw synthetic scenes in four modalities, with their ground truth and instruction records"),
            "convert": (convert_main, "make instruction records of a real dataset on disk (convert FORMAT --help)"),
            "chat": (chat_main, "chain a record file's questions of one image into multi-turn conversations"),
            "rebuild": (rebuild_main, "make a synth set's records again in another task / modality mix, no re-rendering")}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    table = commands()
    if not argv or argv[0] not in table:
        asked = bool(argv) and argv[0] in ("-h", "--help", "help")  # asked for: stdout, exit 0; else a usage error
        print(f"usage: python -m data_gen {{{','.join(table)}}} …  (--help after a command for its options)",
              file=sys.stdout if asked else sys.stderr)
        if asked or not argv:  # the usage line alone named the commands, not what each makes
            print("\n".join(f"  {c:8} {what}" for c, (_, what) in table.items()), file=sys.stdout if asked else sys.stderr)
        if argv and not asked:
            from rsvlm.near import did_you_mean

            hint = did_you_mean(argv[0], table, cutoff=0.6) or _done_by(argv[0])  # Synth, sytnh: synth
            print(f"error: a command comes before the options ({argv[0]!r})" if argv[0].startswith("-") else
                  f"error: unknown command {argv[0]!r}{hint}",
                  file=sys.stderr)
        return 0 if asked else 2
    rc = 0  # a command's own exit status stays, its error said on stderr, where stdout's reader has gone too
    try:
        rc = int(table[argv[0]][0](argv[1:]) or 0)
        sys.stdout.flush()  # a pipe's buffered lines: its reader gone (| head), here, not "Exception ignored" at exit
    except BrokenPipeError:  # stdout closed by its reader (| head); every command prints after its work is written
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes it
    return rc


if __name__ == "__main__":
    sys.exit(main())
