"""The files and folders a training config reads, and the refusal of an ``overwrite=true`` that would remove one
of them with the previous run's outputs before the run reads it."""

from __future__ import annotations

from pathlib import Path


def config_inputs(cfg) -> list[tuple[str, str]]:
    """(key, path) of every file or folder ``cfg`` names to read: records and image roots, ``init_from``, the
    LLM and tokenizer paths, each encoder's ``pretrained``, the DeepSpeed JSON (unset ones left out; a hub
    name is listed too, as a path that is not there)."""
    d, llm = cfg.data, cfg.model.llm
    keys = [("data.train", d.train), ("data.root", d.root),
            *((f"data.extra[{i}].path", s.path) for i, s in enumerate(d.extra)),
            *((f"data.extra[{i}].root", s.root) for i, s in enumerate(d.extra)),
            ("init_from", cfg.init_from), ("model.llm.name_or_path", llm.name_or_path),
            ("model.llm.tokenizer", llm.tokenizer),
            *((f"model.encoders.{n}.pretrained", e.pretrained) for n, e in cfg.model.encoders.items()),
            ("dist.deepspeed", cfg.dist.deepspeed)]
    return [(k, str(p)) for k, p in keys if p]


def check_overwrite_inputs(cfg, removed: list[Path]) -> None:
    """FileExistsError, before anything is removed, where a path ``cfg`` reads lies in one of ``removed`` (the
    previous run's outputs ``overwrite=true`` clears from ``out_dir``): ``init_from=runs/a/final`` with
    ``out_dir=runs/a overwrite=true`` removed that model, then failed for want of it (exit 1, the model lost)."""
    gone = [p.resolve() for p in removed]
    for key, path in config_inputs(cfg):
        at = Path(path).resolve()
        if hit := next((g for g in gone if at == g or g in at.parents), None):
            raise FileExistsError(f"{key}={path} lies in {hit}, which overwrite=true removes from out_dir "
                                  f"{cfg.out_dir} (a previous run's outputs) before the run reads it; write this "
                                  "run to another out_dir, or copy that input out of it first")
