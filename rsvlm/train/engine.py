"""Two interchangeable engines behind one small interface: plain torch (one process) and DeepSpeed.

    engine.forward(**batch)   → model output            engine.micro_step(loss) → True at an optimizer step
    engine.save(folder)       engine.load(folder)       engine.module (the RSVLM)  engine.lr

``micro_step`` does backward and, every ``grad_accum`` micro-batches, clipping, the optimizer and
the LR schedule. The DeepSpeed engine delegates all of it (and gradient accumulation, ZeRO
partitioning, checkpoint sharding) to ``deepspeed.initialize``'s engine, and gives the process groups
DeepSpeed makes for ZeRO ``dist.timeout_s`` (``zero_groups``): ``deepspeed.init_distributed(timeout=…)``
reaches the default group only, and DeepSpeed's ``new_group`` calls take torch's default (30 minutes on
gloo, 10 on nccl).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import torch

from rsvlm.train import checkpoint as ckpt


class PlainEngine:
    def __init__(self, model, optimizer, scheduler, grad_accum: int, max_grad_norm: float,
                 autocast_dtype: torch.dtype | None = None):
        self.module, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.grad_accum, self.max_grad_norm, self.autocast_dtype = grad_accum, max_grad_norm, autocast_dtype
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.micro = 0

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def forward(self, **batch):
        device = self.params[0].device
        ctx = (torch.autocast(device.type, dtype=self.autocast_dtype) if self.autocast_dtype
               else contextlib.nullcontext())
        with ctx:
            return self.module(**batch)

    def micro_step(self, loss: torch.Tensor) -> bool:
        (loss / self.grad_accum).backward()
        self.micro += 1
        if self.micro % self.grad_accum:
            return False
        if self.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return True

    def save(self, folder: Path) -> None:
        ckpt.save_plain(folder, self.module, self.optimizer, self.scheduler)

    def load(self, folder: Path) -> None:
        ckpt.load_plain(folder, self.module, self.optimizer, self.scheduler)

    def gathered(self):
        return contextlib.nullcontext()


def zero_groups(engine) -> list:
    """The process groups a DeepSpeed engine holds for ZeRO, each once: its data-parallel group (DeepSpeed's clone
    of the world group), the sequence-data-parallel one, the ZeRO optimizer's and (ZeRO-3) each parameter's."""
    found = [getattr(engine, "data_parallel_group", None), getattr(engine, "seq_data_parallel_group", None),
             getattr(engine.optimizer, "dp_process_group", None),
             *(getattr(p, "ds_process_group", None) for p in engine.module.parameters())]
    groups: list = []
    for group in found:
        if group is not None and not any(group is g for g in groups):
            groups.append(group)
    return groups


def set_timeouts(groups: list, timeout_s: float) -> None:
    """Every collective on ``groups`` waits ``timeout_s`` seconds before it fails."""
    import torch.distributed as dist

    # an older torch: its earlier name
    set_timeout = getattr(dist, "set_timeout", None) or dist.distributed_c10d._set_pg_timeout
    for group in groups:
        set_timeout(timedelta(seconds=timeout_s), group)


class DeepSpeedEngine:
    """``deepspeed.initialize`` with torch AdamW and our schedule as client optimizer/scheduler; ``timeout_s``
    (``dist.timeout_s``): how long its ZeRO groups wait at a collective."""

    def __init__(self, model, optimizer, scheduler, ds_config: dict, timeout_s: float | None = None):
        import warnings

        import deepspeed

        from rsvlm.train.deepspeed_config import weights_only_checkpoint_engine, zero3_external_parameters

        # DeepSpeed's ZeRO calls torch's deprecated all_gather_into_tensor (and, ZeRO-3, reduce_scatter_tensor): a
        # FutureWarning per call site and rank (several lines in a 2-step 2-process run), none of them the user's
        # to act on. Process-wide from here on: torch names its own c10d_logger as the warning's module
        # whoever calls it, and a catch_warnings around each call would reset every other warning's once-per-place
        # record at every step (a warning said once a run would be said every step)
        warnings.filterwarnings("ignore", message=r".*(all_gather_into_tensor|reduce_scatter_tensor).* is deprecated",
                                category=FutureWarning)

        self.stage = int(ds_config.get("zero_optimization", {}).get("stage", 0))
        if self.stage == 3:
            for owner, param in zero3_external_parameters(model):
                deepspeed.zero.register_external_parameter(owner, param)
        self.engine, self.optimizer, _, self.scheduler = deepspeed.initialize(
            model=model, optimizer=optimizer, lr_scheduler=scheduler, config=ds_config)
        # the format DeepSpeed's config gives its own engine (zip by default), which zero_to_fp32 reads
        zipfile = getattr(self.engine.checkpoint_engine, "zipfile_serialization", True)
        self.engine.checkpoint_engine = weights_only_checkpoint_engine(zipfile)
        if timeout_s is not None:
            set_timeouts(zero_groups(self.engine), timeout_s)
        self.module = self.engine.module

    @property
    def lr(self) -> float:
        return self.engine.get_lr()[0]

    def forward(self, **batch):
        return self.engine(**batch)

    def micro_step(self, loss: torch.Tensor) -> bool:
        self.engine.backward(loss)  # DeepSpeed scales by 1/grad_accum itself
        boundary = self.engine.is_gradient_accumulation_boundary()
        self.engine.step()
        return boundary

    def save(self, folder: Path) -> None:
        # all ranks: DeepSpeed writes each rank's shard
        self.engine.save_checkpoint(str(folder / "deepspeed"), tag="state", save_latest=False)

    def load(self, folder: Path) -> None:
        path, _ = self.engine.load_checkpoint(str(folder / "deepspeed"), tag="state", load_optimizer_states=True,
                                              load_lr_scheduler_states=True)
        if path is None:
            raise FileNotFoundError(f"{folder}/deepspeed: DeepSpeed found no checkpoint to resume")

    def gathered(self):
        """Context in which every rank sees full parameters (ZeRO-3 gathers them; read-only)."""
        if self.stage != 3:
            return contextlib.nullcontext()
        import deepspeed

        return deepspeed.zero.GatheredParameters(list(self.module.parameters()), modifier_rank=None)
