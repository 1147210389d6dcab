"""The stages of scripts/build_default_model.py that make the model: its settings (``BuildConfig``),
the commands it runs, what each stage reads under OUT, and the data, tokenizer, training and merge
stages themselves."""

from __future__ import annotations

import dataclasses
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
TRAIN_STAGES = ("pretrain_encoder", "align", "ground_warmup", "ground_multi", "sft_optical", "sft_multisensor",
                "sft_chat")
STAGE_DATA = {"ground_warmup": "warmup", "ground_multi": "multi"}  # training stage → OUT/data/<split>; else train


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
    """``cmd`` from the checkout, its output into the build's."""
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


def done_value(done: Path, key: str) -> float | None:
    """What a stage's DONE marker records under ``key`` ("minutes", "scale"); None for one without it
    (``touch OUT/STAGE/DONE`` to mark a stage done by hand) or an unreadable one."""
    try:
        return float(json.loads(done.read_text())[key])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def py(*args: str) -> list[str]:
    return [sys.executable, *args]


# -- stages -----------------------------------------------------------------------------------
def made_with(target: Path, args: dict, known: dict | None = None) -> bool:
    """Whether ``target`` is there and was made with ``args`` (its ``.args.json``, written after it was
    made); says why it is made again when it was made with other ones. A file of a build from before
    the arguments were recorded is compared by what is ``known`` of them (a subset of ``args``), and
    kept, with a note, when that matches."""
    record = target.with_name(target.name + ".args.json")
    if not target.is_file():
        return False
    try:
        then = json.loads(record.read_text()) if record.is_file() else None
    except (OSError, ValueError):
        then = None
    if then is None and known is not None and all(known.get(k) == args[k] for k in known):
        log(f"note: {target} kept: made before the build recorded its arguments; "
            + (f"its {', '.join(known)} match, the rest is unchecked" if known else "unchecked")
            + " (delete it to make it again)")
        return True
    if then == args:
        return True
    was = then if isinstance(then, dict) else known or {}
    diff = [k for k in args if (k in was or then is not None) and was.get(k) != args[k]]
    log(f"{target}: made with other {', '.join(diff) or 'arguments'} than this build's; made again")
    return False


def synth_known(folder: Path, seed: int) -> dict:
    """What a ``data_gen synth`` output folder shows of its arguments: its scene count (stats.json)
    and its seed (the first scene's file name); empty where it shows neither."""
    known = {}
    try:
        known["n"] = int(json.loads((folder / "stats.json").read_text())["scenes"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if (folder / "scenes").is_dir():
        known["seed"] = seed if (folder / "scenes" / f"s{seed}-000000.json").is_file() else "another"
    return known


def record_args(target: Path, args: dict) -> None:
    """What ``made_with`` compares, once ``target`` is made."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_name(target.name + ".args.json").write_text(json.dumps(args) + "\n")


def data_splits(bc: BuildConfig) -> list[tuple[str, str, int, int, str]]:
    """The data stage's synth runs: (folder under OUT/data, records file stem, scenes, seed, config file)."""
    return [("train", "train", bc.train_scenes, bc.train_seed, "data_train.yaml"),
            ("warmup", "train", bc.warmup_scenes, bc.warmup_seed, "data_warmup.yaml"),
            ("multi", "train", bc.multi_scenes, bc.multi_seed, "data_multi.yaml"),
            ("test", "test", bc.test_scenes, bc.test_seed, "data_test.yaml")]


def split_args(bc: BuildConfig, n: int, seed: int, cfg: str) -> dict:
    """What a data split is made with (``made_with`` compares it with its ``.args.json``)."""
    return {"n": n, "seed": seed, "config": (CONFIGS / cfg).read_text(), "extra": bc.extra.get("data", [])}


def data_changed(out: Path, bc: BuildConfig) -> list[str]:
    """The splits of a done data stage made with other settings than ``bc`` asks for, each with the settings that
    differ (``warmup (n 20, now 40)``); a split whose ``.args.json`` is missing or unreadable is not named."""
    changed = []
    for split, file, n, seed, cfg in data_splits(bc):
        try:
            then = json.loads((out / "data" / split / f"{file}.jsonl.args.json").read_text())
        except (OSError, ValueError):
            continue
        now = split_args(bc, n, seed, cfg)
        if isinstance(then, dict) and (diff := [k for k in now if then.get(k) != now[k]]):
            said = [f"{k} {then.get(k)}, now {now[k]}" if k in ("n", "seed") else k for k in diff]
            changed.append(f"{split} ({', '.join(said)})")
    return changed


def stage_data(out: Path, bc: BuildConfig, _: float) -> None:
    """The scenes of every split (``data_gen synth``), and the training and test conversations
    (``data_gen chat``); a split already made with the same arguments and config is kept."""
    if bc.test_seed in (bc.train_seed, bc.warmup_seed, bc.multi_seed):
        raise ValueError("the test seed must differ from the training seeds")
    for split, file, n, seed, cfg in data_splits(bc):
        target = out / "data" / split / f"{file}.jsonl"
        args = split_args(bc, n, seed, cfg)
        # was: kept whatever made it, so a redone data stage kept the scenes of other settings
        if not made_with(target, args, synth_known(target.parent, seed)):
            (out / "data" / split / "chat.jsonl").unlink(missing_ok=True)  # made from the old records
            # written again once made; data_gen synth took the old one for another records file of the old scenes
            target.with_name(target.name + ".args.json").unlink(missing_ok=True)
            run(py("-m", "data_gen", "synth", "--out", str(out / "data" / split), "--n", str(n),
                   "--seed", str(seed), "--config", str(CONFIGS / cfg), *bc.extra.get("data", [])))  # with its bar
            record_args(target, args)
    for split, seed in (("train", bc.train_seed), ("test", bc.test_seed)):  # multi-turn records (rsvlm chat)
        target = out / "data" / split / "chat.jsonl"
        if not made_with(target, args := {"turns": bc.chat_turns, "seed": seed}, {}):
            run(py("-m", "data_gen", "chat", "--src", str(out / "data" / split / f"{split}.jsonl"),
                   "--out", str(target), "--turns", str(bc.chat_turns), "--seed", str(seed)))
            record_args(target, args)


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
    resolved config, ``extra`` overrides included, as ``rsvlm.train.inputs.config_inputs`` lists them);
    unknown names read nothing."""
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
    from rsvlm.train.inputs import config_inputs

    path = CONFIGS / f"{name}.yaml"
    cfg = load_config(TrainConfig, path, train_overrides(name, out, bc, load_config(TrainConfig, path, [])))
    return [Path(p) for _, p in config_inputs(cfg) if Path(p).is_relative_to(out)]



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


def check_settings(bc: BuildConfig) -> str | None:
    """What is out of range in the build settings, found before any stage runs (a scene count of 0 was
    found by the data stage's command, "the same command resumes" then failing again; a reference of
    0 minutes was a ZeroDivisionError); None when nothing is."""
    import math

    bad = [f"{k} {getattr(bc, k)} (at least {least})" for k, least in (
        ("train_scenes", 1), ("warmup_scenes", 1), ("multi_scenes", 1), ("test_scenes", 1), ("train_seed", 0),
        ("warmup_seed", 0), ("multi_seed", 0), ("test_seed", 0), ("vocab_size", 1), ("eval_batch_size", 1),
        ("eval_max_new_tokens", 1), ("chat_turns", 2)) if getattr(bc, k) < least]
    if not (bc.reference_minutes > 0 and math.isfinite(bc.reference_minutes)):
        bad.append(f"reference_minutes {bc.reference_minutes} (a number of minutes above 0)")
    if bc.test_seed in (bc.train_seed, bc.warmup_seed, bc.multi_seed):
        bad.append(f"test_seed {bc.test_seed} (must differ from the training seeds)")
    from data_gen.synth.run import MAX_SCENES  # synth's own limit, which its refusal names as --n

    bad += [f"{split}_scenes {n} (at most {MAX_SCENES}: the data stage makes the {split} split in one synth run)"
            for split, _, n, _, _ in data_splits(bc) if n > MAX_SCENES]
    return "out of range: " + "; ".join(bad) if bad else None


def check_extra(bc: BuildConfig) -> str | None:
    """What is wrong with build.yaml's ``extra``, found before any stage runs: a stage name that takes
    no overrides (they were ignored), or an override its config refuses, by key or by value (found when
    the stage ran, hours in, or as a traceback); None when nothing is."""
    from rsvlm.config import ConfigError, load_config

    if unknown := sorted(set(bc.extra) - {"data", *TRAIN_STAGES}):
        return (f"extra: {', '.join(map(repr, unknown))}: no stage of that name takes overrides "
                f"(data: every synth call; {', '.join(TRAIN_STAGES)})")
    for name, values in bc.extra.items():
        try:
            if name == "data":
                if err := check_data_extra(values, bc):
                    return f"extra.data: {err}"
            else:
                # imported here: it takes seconds (torch)
                from rsvlm.train.config import TrainConfig, check_config

                check_config(load_config(TrainConfig, CONFIGS / f"{name}.yaml", values))  # batch_size=0 too
        except (ConfigError, ValueError) as e:
            return f"extra.{name}: {e}"
    return None


def check_data_extra(values: list[str], bc: BuildConfig) -> str | None:
    """What ``data_gen synth`` would refuse in build.yaml's ``extra.data`` (options as well as key=value
    words), for each of the data stage's runs, or an option the build sets itself; None where nothing is.
    Only key=value words were checked, against data_train.yaml: ``--seed 5``, ``--workers 0`` or
    ``scene.size=8`` was refused by the first synth run the stage started."""
    from data_gen.__main__ import SYNTH_FLAGS, synth_config, synth_parser
    from data_gen.argv import given_twice
    from data_gen.synth.run import check_run
    from rsvlm.argparsing import Parser

    class Refusing(Parser):  # its error's message, with Parser's hints (--wokers: did you mean --workers?), raised
        def print_usage(self, file=None):
            pass

        def exit(self, status=0, message=None):
            raise ValueError((message or "").split(": error: ", 1)[-1].strip())

    if "-h" in values or "--help" in values:
        return "--help shows synth's options (python -m data_gen synth --help); it makes no run"
    own = ("--out", "--n", "--seed", "--config")
    if said := next((v for v in values if v.partition("=")[0] in own), None):
        return (f"{said!r}: the build gives each synth run its own --out, --n, --seed and --config (build.yaml's "
                "*_scenes and *_seed, configs/default/data_*.yaml); set those instead")
    p = synth_parser(Refusing)
    words = ["--out", "OUT", "--n", "1", *values]
    a = p.parse_args(words)  # ValueError: check_extra names extra.data
    if twice := given_twice(p, words, a.overrides, SYNTH_FLAGS):
        return twice
    for split, _, _, _, cfg in data_splits(bc):
        try:
            synth_config(a, CONFIGS / cfg, None)  # checks the config, naming an option the user typed by it
            # (None: the words are build.yaml's extra.data, which the refusal names, not the command line)
            # --workers alone: synth's words name the --n and --seed the build sets from build.yaml's *_scenes and
            # *_seed (its refusal said '--n 20000000' to a user who never typed it); check_settings names those keys
            check_run(1, 0, a.workers)
        except ValueError as e:  # a ConfigError is one
            return f"{e} (the {split} run, configs/default/{cfg})"
    return None


def stage_steps(name: str, scale: float) -> tuple[int, int, int | None]:
    """Training stage ``name``'s ``max_steps`` at ``scale`` (at least 10), its YAML's ``optim.warmup_steps``, and
    that warm-up scaled as the steps are where it would not end below them (a tiny ``--budget-minutes``: the whole
    run was warm-up, the trainer warning so at every stage), else None."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, CONFIGS / f"{name}.yaml", [])
    steps, warm = max(10, round(cfg.max_steps * scale)), cfg.optim.warmup_steps
    return steps, warm, (round(warm * steps / cfg.max_steps) if warm and warm >= steps - 1 else None)


def stage_config(name: str, out: Path, bc: BuildConfig, scale: float) -> tuple[Path, list[str], object]:
    """Training stage ``name``'s config file, the overrides the build gives it, and the config they resolve to."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    cfg_path = CONFIGS / f"{name}.yaml"
    steps, _, warm = stage_steps(name, scale)
    overrides = [f"max_steps={steps}", *([f"optim.warmup_steps={warm}"] if warm is not None else []),
                 *train_overrides(name, out, bc, load_config(TrainConfig, cfg_path, []))]
    return cfg_path, overrides, load_config(TrainConfig, cfg_path, overrides)


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
    # was the turn end's names alone: "[2, 261] (['<|'])"
    from rsvlm.progress import plural

    log(f"generation stops at {plural('token', len(gen.eos_token_id))} {gen.eos_token_id} "
        f"({tok.convert_ids_to_tokens(gen.eos_token_id)})")
    return gen.eos_token_id


if __name__ == "__main__":  # run by hand, it did nothing and said nothing (exit 0)
    import sys

    sys.exit(f"{__file__}: a module of scripts/build_default_model.py, which runs its stages: "
             "python scripts/build_default_model.py --help")
