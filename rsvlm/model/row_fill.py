"""How rsvlm's token rows that sit on a base's spare embedding rows were filled, recorded in a training step folder.

Qwen2.5 has 271 embedding rows past its tokenizer; rsvlm's first added tokens land there. Before stop 75 those rows
kept what the base held there; since, they start at the mean of the base's own rows (``llm.init_added_rows``). A
final model records ``llm.base_vocab`` in its config.yaml, but a step folder saves the config as given, so one
saved before stop 75 with rows that do not train (a frozen LLM, or ``llm.lora_token_rows: false``) resumed with
the new mean-filled rows where it trained against the old ones, and nothing told them apart. ``record_fill``
writes ``ROW_FILL`` into a step folder; ``unrecorded_fill_note`` is the warning for a folder without it.
Limits: it cannot restore the old rows (a resume gets the mean fill); it says so once, naming the folder.
"""

from __future__ import annotations

import json
from pathlib import Path

ROW_FILL = "token_rows.json"
MEAN = "mean of the base's own rows"  # the fill since stop 75 (``init_added_rows``)
KEPT = "as the base held them"  # before stop 75, or where no base size is known: the base's spare rows as they were
# what those rows' other start means, by what is done with the step folder (``unrecorded_fill_note``'s ``use``)
FILL_USES = {"resume": "so its loss may jump at the resume",
             "export": "so the exported model may answer worse than that run's step did (its other layers learned "
                       "against those rows)"}


def fill_record(llm_cfg) -> dict:
    """What ``ROW_FILL`` records for a model built with ``llm_cfg`` (its ``model.cfg.llm``, ``base_vocab`` set by
    ``create_model``): the fill of the rows from ``base_vocab`` on, and the seed that drew them."""
    built = bool(llm_cfg.name_or_path) and llm_cfg.base_vocab is not None
    return {"added_rows": MEAN if built else KEPT, "base_vocab": llm_cfg.base_vocab, "seed": llm_cfg.seed}


def record_fill(folder: Path, llm_cfg) -> None:
    """Write ``folder``/``ROW_FILL`` (``fill_record``)."""
    (Path(folder) / ROW_FILL).write_text(json.dumps(fill_record(llm_cfg)) + "\n")


def spare_rows(llm_cfg) -> int:
    """How many of rsvlm's added rows sit on the base's spare rows: its config.json's ``vocab_size`` past
    ``base_vocab`` (0 where either is unknown, or the base is neither a local folder nor a cached hub name: a
    Qwen2.5 named by its hub name was not warned of)."""
    from rsvlm.model.ckpt_files import base_folder

    if not llm_cfg.name_or_path or llm_cfg.base_vocab is None or (folder := base_folder(llm_cfg.name_or_path)) is None:
        return 0
    try:
        size = json.loads((folder / "config.json").read_text()).get("vocab_size")
    except (OSError, ValueError, AttributeError):
        return 0
    return max(0, size - llm_cfg.base_vocab) if isinstance(size, int) else 0


def unrecorded_fill_note(folder: Path, llm_cfg, mode: str, use: str = "resume") -> str | None:
    """The warning for resuming (``use`` "resume") or exporting ("export") step ``folder`` with a model built from
    ``llm_cfg`` whose LLM trains as ``mode`` (``trainable.llm``), where the folder has no ``ROW_FILL`` and rows rsvlm
    added on the base's spare rows do not train (so are the build's, not the folder's); None otherwise. A recorded
    fill other than today's is said too. The consequence said fits ``use`` (an export's loss does not jump)."""
    if use not in FILL_USES:
        raise ValueError(f"use {use!r}: one of {', '.join(FILL_USES)}")
    frozen = mode == "frozen" or (mode == "lora" and not llm_cfg.lora_token_rows)
    n = spare_rows(llm_cfg)
    if not frozen or not n:
        return None
    path = Path(folder) / ROW_FILL
    if path.is_file():
        try:
            said = json.loads(path.read_text()).get("added_rows")
        except (OSError, ValueError, AttributeError):
            said = None
        if said == MEAN:
            return None
        was = f"{path} records {said!r}" if said else f"{path} cannot be read"
    else:
        was = f"{folder} has no {ROW_FILL} (saved before stop 76), so it may have trained with them {KEPT}"
    return (f"{was}: the {n} of rsvlm's token rows on {llm_cfg.name_or_path}'s spare embedding rows (ids "
            f"{llm_cfg.base_vocab}-{llm_cfg.base_vocab + n - 1}) do not train here (trainable.llm {mode}"
            f"{', llm.lora_token_rows false' if mode == 'lora' else ''}) and start at the {MEAN}, as rsvlm now "
            f"builds them; a run started before stop 75 trained against other rows, {FILL_USES[use]}")
