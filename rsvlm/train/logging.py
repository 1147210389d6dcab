"""Training metrics: a tqdm bar, ``metrics.jsonl``, optional TensorBoard; loss per task and per modality.

Per-sample losses (mean over each sample's assistant tokens) are summed by task and by modality
between log lines and gathered from all ranks, so a task that gets worse while the total falls
shows up. ``tokens_per_s`` counts real (non-pad) tokens of all ranks. A line over steps without a
sample has ``"loss": null`` (and no per-task keys): nothing was measured, which 0.0 read as perfect.
Losses are kept as tensors until a log line: reading them back each micro-step would make the host
wait for the GPU.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import torch


def _step_of(line: str) -> float:
    """A metrics line's step; infinite for a line that is not a JSON object (cut short by a kill)."""
    try:
        rec = json.loads(line)
    except ValueError:
        return float("inf")
    return rec.get("step", 0) if isinstance(rec, dict) else float("inf")


def trim_metrics(out_dir: Path, step: int) -> int:
    """Drop the ``metrics.jsonl`` lines past ``step`` (written after the checkpoint a run resumes
    from) and any line cut short, so the resumed run's lines follow on without repeating steps; how
    many were dropped."""
    path = Path(out_dir) / "metrics.jsonl"
    if not path.is_file():
        return 0
    lines = path.read_text().splitlines(keepends=True)
    keep = [ln for ln in lines if ln.strip() and _step_of(ln) <= step]
    if len(keep) != len(lines):
        path.write_text("".join(keep))
    return len(lines) - len(keep)


def check_tensorboard() -> None:
    """ValueError, before the model is built, where ``log.tensorboard`` could not write (no tensorboard package)."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError as e:
        raise ValueError(f"log.tensorboard=true needs the tensorboard package (pip install tensorboard), or set "
                         f"log.tensorboard=false: {e}") from None


class Metrics:
    def __init__(self, out_dir: Path, rank: int, world_size: int, total_steps: int, start_step: int = 0,
                 progress: bool = True, tensorboard: bool = False):
        self.rank, self.world_size = rank, world_size
        self.path = Path(out_dir) / "metrics.jsonl"
        self.bar = None
        self.tb = None
        if rank == 0:
            if progress:
                from rsvlm.progress import bar

                self.bar = bar(total=total_steps, initial=start_step, desc="train", unit="step",
                               dynamic_ncols=True)
            if tensorboard:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(str(Path(out_dir) / "tensorboard"))
        self._reset()

    def _reset(self) -> None:
        self.losses: list[torch.Tensor] = []  # 0-d batch losses, on the training device
        self.per_sample: list[torch.Tensor] = []  # (B,) per-sample losses
        self.keys: list[tuple[str, str]] = []  # (task, modality) of each per-sample loss
        self.real, self.slots = 0, 0
        self.t0 = time.perf_counter()

    def add_batch(self, loss: torch.Tensor, per_sample: torch.Tensor, tasks: list[str], modalities: list[str],
                  n_real: int, n_slots: int) -> None:
        if per_sample.numel() != len(tasks) or len(tasks) != len(modalities):
            raise ValueError(f"{per_sample.numel()} per-sample losses for {len(tasks)} tasks, "
                             f"{len(modalities)} modalities")
        self.losses.append(loss.detach().float().reshape(()))
        self.per_sample.append(per_sample.detach().float().flatten())
        self.keys.extend(zip(tasks, modalities))
        self.real += n_real
        self.slots += n_slots

    def _local(self) -> tuple[dict, float, int, int, int]:
        """This rank's sums since the last log line, read back from the device in one transfer."""
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])  # key → [loss sum, samples]
        if not self.losses:
            return dict(sums), 0.0, 0, self.real, self.slots
        values = torch.cat([torch.stack(self.losses), *self.per_sample]).tolist()
        n = len(self.losses)
        for v, (t, m) in zip(values[n:], self.keys):
            for key in (f"loss/task/{t}", f"loss/modality/{m}"):
                sums[key][0] += v
                sums[key][1] += 1
        return dict(sums), sum(values[:n]), n, self.real, self.slots

    def _gather(self) -> tuple[dict, float | None, int, int, float]:
        local = self._local()
        import torch.distributed as dist

        if self.world_size == 1 or not dist.is_initialized():
            parts = [local]
        else:
            parts = [None] * self.world_size
            dist.all_gather_object(parts, local)
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        loss_sum = loss_n = real = slots = 0
        for s, ls, ln, r, sl in parts:
            for k, (v, n) in s.items():
                sums[k][0] += v
                sums[k][1] += n
            loss_sum, loss_n, real, slots = loss_sum + ls, loss_n + ln, real + r, slots + sl
        return sums, (loss_sum / loss_n if loss_n else None), real, slots, loss_n

    def step(self) -> None:
        """An optimizer step is done: the bar moves on (its loss, LR and throughput change at log lines)."""
        if self.bar is not None:
            self.bar.update(1)

    def log(self, step: int, lr: float, extra: dict | None = None) -> dict:
        """Aggregate since the last call (all ranks take part), write a line on rank 0, reset. A window
        without a sample (every one of its micro-batches a zero-weight stand-in: all its images
        unreadable) logs ``"loss": null``, which TensorBoard and the bar leave out (0.0 read as perfect)."""
        sums, loss, real, slots, _ = self._gather()
        dt = max(1e-9, time.perf_counter() - self.t0)
        rec = {"step": step, "loss": loss, "lr": lr, "tokens_per_s": real / dt, "tokens": real, "seconds": dt,
               "non_pad_fraction": real / max(1, slots), **(extra or {})}
        rec.update({k: v / max(1, n) for k, (v, n) in sorted(sums.items())})
        if self.rank == 0:
            with self.path.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            if self.tb is not None:
                for k, v in rec.items():
                    if k != "step" and isinstance(v, (int, float)):
                        self.tb.add_scalar(k, v, step)
            if self.bar is not None:  # the epoch as metrics.jsonl has it (the LM loop's, counted from 1)
                self.bar.set_postfix(**({"epoch": rec["epoch"]} if "epoch" in rec else {}),
                                     loss="n/a" if loss is None else f"{loss:.4f}", lr=f"{lr:.2e}",
                                     tok_s=f"{rec['tokens_per_s']:.0f}", non_pad=f"{rec['non_pad_fraction']:.2f}")
        self._reset()
        return rec

    def write(self, text: str) -> None:
        """A log line that does not break the progress bar (rank 0 only)."""
        if self.rank != 0:
            return
        if self.bar is not None:
            self.bar.write(text)
        else:
            print(text, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.tb is not None:
            self.tb.close()


class StepProfiler:
    """torch.profiler over ``active`` optimizer steps after ``wait`` (+1 warm-up); rank 0 writes
    ``profile.txt``: the profiled wall time, the device-busy share of it, and the top operators by
    self device time (CPU time without a GPU). Profiling syncs the device at each step boundary and
    slows the profiled steps; their throughput is not representative. ``close`` (also where the run
    stops early) stops it; stopped inside the profiled steps, profile.txt holds those, marked as cut."""

    def __init__(self, out_dir: Path, active: int, rank: int, cuda: bool, wait: int = 5):
        import torch

        self.path, self.rank, self.first, self.cuda = Path(out_dir) / "profile.txt", rank, wait + 1, cuda
        self.active = active
        acts = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if self.cuda else [])
        self.times: list[float] = []
        self.prof = torch.profiler.profile(
            activities=acts, schedule=torch.profiler.schedule(wait=wait, warmup=1, active=active, repeat=1),
            on_trace_ready=self._write)
        self.prof.start()

    def step(self) -> None:
        """Call after each optimizer step."""
        import torch

        if self.cuda:
            torch.cuda.synchronize()
        self.times.append(time.perf_counter())
        self.prof.step()

    def _write(self, prof) -> None:
        import torch

        if self.rank != 0:
            return
        stats = prof.key_averages()
        wall = self.times[-1] - self.times[self.first - 1]  # the active steps, end to end
        key = "self_device_time_total" if self.cuda else "self_cpu_time_total"
        done = len(self.times) - self.first
        cut = "" if done >= self.active else (f" of the {self.active} asked (cut short: the run stopped after step "
                                              f"{len(self.times)}; the table also holds what ran after it)")
        lines = [f"profiled steps: {done}{cut}, wall {wall * 1e3:.1f} ms"]
        if self.cuda:
            kernels = [e for e in stats if e.device_type == torch.autograd.DeviceType.CUDA
                       and not e.key.startswith("ProfilerStep")]  # kernels, not the ops or step marks above them
            busy = sum(e.self_device_time_total for e in kernels) / 1e6
            lines.append(f"device busy (sum of {len(kernels)} kernels' time): {busy * 1e3:.1f} ms = "
                         f"{busy / max(wall, 1e-9):.1%} of wall")
        lines += ["", stats.table(sort_by=key, row_limit=30)]
        self.path.write_text("\n".join(lines) + "\n")

    def close(self) -> None:
        """Stop profiling (again: nothing); inside the profiled steps, profile.txt is written with those done."""
        if self.prof is not None:
            prof, self.prof = self.prof, None
            prof.stop()
