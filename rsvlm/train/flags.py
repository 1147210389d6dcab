"""``rsvlm train``'s command line: recipe keys typed as flags (``--max_steps=3``, ``--optim.lr 1e-4``, as Hugging
Face's Trainer takes them) are read as the ``key=value`` overrides they mean.

    flag_overrides(["--config", "x.yaml", "--max_steps=3", "--overwrite"])
    # ["--config", "x.yaml", "max_steps=3", "overwrite=true"]
    flag_overrides(["x.yaml", "max_steps=3"])  # ["--config", "x.yaml", "max_steps=3"]
"""

from __future__ import annotations

# rsvlm train's own options, left to argparse (those with a value take the next word)
OPTIONS = {"--config": True, "--local_rank": True, "--local-rank": True, "--help": False, "-h": False}
TRUTHS = ("true", "false", "yes", "no", "on", "off", "1", "0")


def config_key(key: str):
    """(whether ``key`` is a dotted ``TrainConfig`` key, whether it is a boolean one); a key under a mapping
    (``data.task_weights.cls``, ``model.encoders.default.pretrained``) counts, whatever follows."""
    from rsvlm.train.config import TrainConfig

    node = TrainConfig()
    for part in key.split("."):
        if isinstance(node, dict):
            return True, False
        if not part or part.startswith("_") or not hasattr(node, part) or callable(getattr(node, part)):
            return False, False
        node = getattr(node, part)
    return True, isinstance(node, bool)


def recipe_words(argv: list[str]) -> list[str]:
    """``argv`` (``flag_overrides``' words) with each bare .yaml/.yml word, no override (no "=") nor an option's
    value, read as ``--config`` it: a recipe given without ``--config`` (``rsvlm train configs/train/x.yaml
    max_steps=3``) was refused "required: --config", one beside ``--config y.yaml`` (or after it) "override
    'x.yaml' is not of the form key=value"; now the first trains and the second is refused as two recipes.
    Words after ``--`` are left as they are (argparse reads them as overrides)."""
    out, i = [], 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return out + argv[i:]
        if OPTIONS.get(word) or word[2:] and "--config".startswith(word):  # --config x.yaml, --local_rank 0, a --conf
            # slip's value ("" and "-" are prefixes of --config too: they took the recipe after them as their value)
            out += argv[i:i + 2]
            i += 2
            continue
        bare = "=" not in word and not word.startswith("-") and word.lower().endswith((".yaml", ".yml"))
        out += ["--config", word] if bare else [word]
        i += 1
    return out


def flag_overrides(argv: list[str]) -> list[str]:
    """``argv`` with each ``--key=value`` and ``--key value`` (hyphens in the key read as underscores) as
    ``key=value``, and a boolean key's bare ``--key`` as ``key=true``. An unknown key so given is named by the
    config's loader, with the valid ones and the section it may belong in (``--lr 1e-4``: ``optim.lr``?). The
    options of ``OPTIONS`` and anything else (a bare unknown ``--flag``: argparse names it) are left as they are;
    a recipe given without ``--config`` is read as given with it (``recipe_words``)."""
    out, i = [], 0
    while i < len(argv):
        word = argv[i]
        name, eq, value = word.partition("=")
        if word == "--":  # what follows is positional
            return recipe_words(out + argv[i:])
        if not word.startswith("--") or name in OPTIONS or "--config".startswith(name):  # --conf: argparse's hint
            takes = OPTIONS.get(word, False)  # "--config x.yaml": the path is no flag
            out += argv[i:i + 1 + takes]
            i += 1 + takes
            continue
        key = name[2:].replace("-", "_")
        if eq:
            out.append(f"{key}={value}")
            i += 1
            continue
        known, boolean = config_key(key)
        after = argv[i + 1] if i + 1 < len(argv) else None
        if known and boolean and (after is None or after.lower() not in TRUTHS):  # --overwrite
            out.append(f"{key}=true")
        elif after is not None and not after.startswith("--"):  # --max_steps 3; --lr 1e-4: the loader names it
            out.append(f"{key}={after}")
            i += 1
        else:
            out.append(word)
        i += 1
    return recipe_words(out)


# top-level keys of files given to --config by mistake, and what each file is for ({path}: the file)
OTHER_FILES = (
    (("zero_optimization", "train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps"),
     "a DeepSpeed config: give a training recipe (configs/train/*.yaml) to --config, and this file as "
     "dist.deepspeed={path}"),
    (("modalities", "scene", "render", "split", "instructions"),
     "a data_gen config, which makes records: python -m data_gen synth --out DIR --config {path}, then train on "
     "DIR/train.jsonl with a recipe of configs/train/"),
    (("train_scenes", "train_seed", "reference_minutes", "vocab_size", "eval_tta"),
     "the default model's build settings: python scripts/build_default_model.py --config {path}"),
)


def other_file(keys: tuple[str, ...], path: str) -> str:
    """What the ``--config`` file ``path`` is, where the unknown top-level ``keys`` its ConfigError names are two
    or more of another kind of file's (``OTHER_FILES``), as the end of that error; "" otherwise."""
    top = {k for k in keys if "." not in k and "[" not in k}
    return next((f"; {path} is {what.format(path=path)}" for marks, what in OTHER_FILES if len(top & set(marks)) >= 2),
                "")


def empty_recipe(path: str, cfg) -> str | None:
    """The refusal of a ``--config`` file that holds nothing (empty, or comments alone) where the overrides do not
    name the training data and the LLM either: it was refused "data.train: no training file given" (or "model.llm
    needs name_or_path"), as if the recipe had keys."""
    from rsvlm.config import load_yaml

    if (cfg.data.train and (cfg.model.llm.name_or_path or cfg.model.llm.config)) or load_yaml(path):
        return None
    return (f"{path}: the config file is empty (nothing but comments or blank lines): no recipe to train; give one "
            "of configs/train/*.yaml, or start the file with 'base: configs/train/sft_tiny.yaml' and the keys that differ")


def key_near(key: str) -> str | None:
    """The one ``TrainConfig`` dotted key ``key`` is a slip from (a section left out, another trainer's name, a
    misspelling: ``lr`` is ``optim.lr``), as the config's loader offers it; None where none or several fit alike."""
    from rsvlm.config import _keys_at  # the loader's own walk of the sections (rsvlm.overrides reads it so)
    from rsvlm.config_hints import leaf_near, near_path
    from rsvlm.train.config import TrainConfig

    path = key.split(".")
    near = near_path(path, lambda at: _keys_at(TrainConfig, at)) or leaf_near(path, lambda at: _keys_at(TrainConfig, at))
    return ".".join(near) if near else None


def set_by(config: str, overrides: list[str], key: str) -> str:
    """What set dotted ``key`` of a run, to begin an error with as ``load_config(typed_in="command line")`` does:
    ``override 'K=V' (command line)`` (every caller's overrides were typed there), the recipe or the ``base:``
    file whose value the merge kept (``config_hints.set_in``), else the recipe."""
    from rsvlm.config_hints import set_in
    from rsvlm.model.own_llm import overriding

    if said := overriding(key, overrides):
        return f"override {said!r} (command line)"
    return set_in(config, key) or config


def llm_config_by(error: Exception, config: str, overrides: list[str]) -> str:
    """``set_by``'s words and ": " to begin ``error`` with where it is the model checks' refusal of a
    ``model.llm.config`` key (``HFConfigError``: a non-string key, a typo, a value transformers refuses), which
    named the key but not the file or override that set it; "" for any other error (a ConfigError names its file
    already; an hf_clip tower's ``hf_config`` is left as it was)."""
    from rsvlm.model.llm_files import HFConfigError
    from rsvlm.overrides import split_override

    if not isinstance(error, HFConfigError) or not f"{error.key}.".startswith("model.llm.config."):
        return ""
    by, path = set_by(config, overrides, error.key), error.key.split(".")
    # the key whole (a head count transformers refuses) where an override set one of its keys: both named
    under = [repr(o) for o in overrides if (at := split_override(o)[0])[:len(path)] == path and len(at) > len(path)]
    also = ", ".join(under) if under and not by.startswith("override") else ""
    return f"{by}{f' with override {also} (command line)' if also else ''}: "


def config_by(error: Exception, config: str, overrides: list[str]) -> str:
    """What set the entries a ``check_links`` refusal names (``LinkError.keys``: a misspelt
    ``model.encoders.defualt``), with ": ", to begin ``error`` with: the overrides that set one or a mapping holding
    it (``model.encoders.defualt.width=8``), else the file that set it (``set_by``); ``llm_config_by``'s words for
    any other error. A stem reading an encoder that no file nor override names (``encoder: defualt``) is the stem's
    slip; one some file names (``default``) was dropped by what set ``model.encoders`` whole (a recipe's mapping
    replaces its base's). Cannot: say that a mapping was replaced, though what replaced it is named."""
    from rsvlm.config_hints import set_in
    from rsvlm.overrides import split_override
    from rsvlm.train.config import LinkError

    if not isinstance(error, LinkError):
        return llm_config_by(error, config, overrides)
    keys = error.keys
    if len(keys) > 1 and not set_in(config, keys[1]) and not any(  # the stem's encoder, named nowhere: its slip
            split_override(o)[0][:len(keys[1].split("."))] == keys[1].split(".") for o in overrides):
        keys = keys[:1]
    paths = [key.split(".") for key in keys]
    hits = [repr(o) for o in overrides if any((at := split_override(o)[0])[:len(p)] == p or p[:len(at)] == at
                                              for p in paths)]
    if hits:
        return f"override{'s' if len(hits) > 1 else ''} {', '.join(hits)} (command line): "
    return f"{set_by(config, [], keys[-1].rsplit('.', 1)[0] if len(keys) > 1 else keys[0])}: "


def recipe_flag(argv: list[str], options, prog: str) -> str | None:
    """The refusal, by ``prog`` (scripts/launch.py), of a recipe key typed as an option (``--max_steps 3``; Hugging
    Face's ``--deepspeed FILE``, which is ``dist.deepspeed``) that is none of ``options``: argparse called it and
    every key=value after it unrecognised. A bare boolean key (``--overwrite``) means ``=true``; a next word that
    is an option or a key=value is none of its value. A flag that is no key but one slip from one (``--lr``,
    ``--learning_rate``: ``key_near``) is refused asking whether that key is meant; ``--config`` (rsvlm train's),
    saying the recipe is the first argument. None where there is none."""
    for i, word in enumerate(argv):
        name, eq, value = word.partition("=")
        if word == "--":
            return None
        key, near = "dist.deepspeed" if name == "--deepspeed" else name[2:].replace("-", "_"), None
        known, boolean = (True, False) if key == "dist.deepspeed" else config_key(key)
        if word.startswith("--") and not known and not any(o.startswith(name) for o in options):
            if key == "config":  # rsvlm train's option: was offered as model.llm.config=RECIPE (leaf_near's)
                return f"--config is no option of {prog}: the recipe is its first argument ({prog} RECIPE [key=value …])"
            if near := key_near(key):  # --lr: argparse's "unrecognized arguments: --lr" named no key
                key, (known, boolean) = near, config_key(near)
        if word.startswith("--") and name not in options and known:
            after = argv[i + 1] if i + 1 < len(argv) else "-"
            if not eq:  # was the next word whatever it was: overwrite=data.train=x, max_steps=--dry-run
                value = "true" if boolean else after if not after.startswith("-") and "=" not in after else "VALUE"
            # a slip is a guess (--dtype: model.projector.type), offered as the loader offers it, not asserted
            return (f"{name} is no option of {prog}; the recipe's keys go as key=value: "
                    + (f"did you mean {key}={value}?" if near else f"{key}={value}"))
    return None
