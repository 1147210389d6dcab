"""What ``scripts/launch.py`` checks and changes before it starts any process: the model section, as ``rsvlm
train``'s preflight checks it, the DeepSpeed file, and the deepspeed launcher's own log level."""

from __future__ import annotations

from pathlib import Path


def check_model(cfg, recipe: str, overrides: list[str]) -> None:
    """The model section's checks ``rsvlm train``'s preflight runs (``check_model_config``, then ``run``'s
    ``check_model_paths`` and ``check_model_build``: its files, a pickled LoRA base, the LoRA targets and
    ``init_from`` on a meta build), before any process starts; a refusal opened with what set its key, as
    ``rsvlm train`` opens it. A tokenizer not here is left to the ranks (it may be on the nodes alone)."""
    from dataclasses import replace

    from rsvlm.config_bases import value_blamed
    from rsvlm.model.checks import check_model_config
    from rsvlm.train.flags import config_by
    from rsvlm.train.run import check_model_build, check_model_paths

    tok = cfg.model.llm.tokenizer
    if tok and not Path(tok).expanduser().exists():  # may be on the nodes alone: left to the ranks, as check_data_plan
        cfg = replace(cfg, model=replace(cfg.model, llm=replace(cfg.model.llm, tokenizer=None)))
    scans: dict = {}  # another model's config fields, looked up once
    try:
        check_model_config(cfg.model, lm=cfg.objective != "clip", scans=scans)
        check_model_paths(cfg)
        check_model_build(cfg, scans)
    except (ValueError, FileNotFoundError) as e:
        if type(e) in (ValueError, FileNotFoundError) and str(e).startswith("model."):
            raise type(e)(value_blamed(str(e), recipe, overrides)) from None
        if by := config_by(e, recipe, overrides):  # LinkError, HFConfigError: what set them
            raise ValueError(f"{by}{e}") from None
        raise


def check_deepspeed(recipe, cfg, world: int) -> None:
    """``dist.deepspeed``'s file: its batch numbers and ZeRO stage, checked before any process starts; its
    errors name the recipe and the key (were the file's alone)."""
    if not cfg.dist.deepspeed:
        return
    from rsvlm.train.deepspeed_config import load_deepspeed_config

    try:
        load_deepspeed_config(cfg.dist.deepspeed, cfg, world)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{recipe}: dist.deepspeed: {e}") from None
    except ValueError as e:  # not type(e): UnicodeDecodeError's takes five arguments
        raise ValueError(f"{recipe}: dist.deepspeed: {e}") from None


def quiet_deepspeed(command: list[str], verbose: bool = False) -> list[str]:
    """``command`` with ``--log_level=warning`` after ``deepspeed`` unless ``verbose``: its launcher printed a dozen
    INFO lines (hosts, world info, environment) before the ranks' first. Only where this Python's DeepSpeed
    launcher takes the option (recent ones; older ones refuse it, and their INFO lines stay); another launcher's
    command as it is."""
    import importlib.util

    if verbose or command[:1] != ["deepspeed"]:
        return command
    try:
        spec = importlib.util.find_spec("deepspeed")  # found, not imported (seconds)
        runner = Path(spec.origin).parent / "launcher" / "runner.py" if spec and spec.origin else None
        takes = runner is not None and '"--log_level"' in runner.read_text(errors="replace")
    except (OSError, ValueError, ImportError):
        takes = False
    return [command[0], "--log_level=warning", *command[1:]] if takes else command
