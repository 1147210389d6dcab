"""Whether a read fits in the memory the machine has free, asked before it is made.

Linux hands out memory it does not have (overcommit): a scene whose read needs more than is free
was allocated, then filled until the kernel killed the process, with no message and no file named.
``check_fits`` raises ``MemoryError`` first, which ``large.out_of_memory`` turns into
``SceneTooLarge`` naming the file, its size, and ``--tile``. The memory free is the kernel's
``MemAvailable``, or a container's memory cgroup's where that leaves less. Cannot: see a limit set on
a cgroup below the container's own root, nor anything where /proc/meminfo is absent.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

SCALED_BYTES = 12  # per pixel and band beside the raw values: float32 values, the stretch's temporary, its result

UNLIMITED = 2**60  # a cgroup v1 limit at or past this is none (9223372036854771712)


def available_bytes(meminfo: str = "/proc/meminfo", cgroup: str = "/sys/fs/cgroup") -> int | None:
    """``MemAvailable`` of ``meminfo`` in bytes, or less where the container's memory cgroup
    (``cgroup``, v2 or v1) leaves less: its limit less its usage, with its inactive page cache
    counted free; None where neither says (not Linux). A container's MemAvailable is the host's,
    and past its cgroup's limit the kernel killed the process as unsaid as past the machine's."""
    free = None
    with _unreadable():
        free = int(_field(meminfo, "MemAvailable:")) * 1024  # kB
    for limit, usage, stat, cache in (("memory.max", "memory.current", "memory.stat", "inactive_file"),
                                      ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes",
                                       "memory/memory.stat", "total_inactive_file")):
        with _unreadable():
            top = int(Path(cgroup, limit).read_text())  # "max" (v2, no limit): ValueError
            if top < UNLIMITED:
                left = top - int(Path(cgroup, usage).read_text()) + int(_field(f"{cgroup}/{stat}", cache + " "))
                free = max(0, left) if free is None else min(free, max(0, left))
            break
    return free


def _field(path: str, key: str) -> str:
    """The value after ``key`` on the line of ``path`` that starts with it; "" where none does."""
    with open(path) as f:
        return next((line.split()[1] for line in f if line.startswith(key)), "")


def _unreadable():
    """Leaves what an absent or unexpected file (no such cgroup, not Linux) would have said."""
    return contextlib.suppress(OSError, ValueError, IndexError)


def check_fits(width: int, height: int, bands: int, dtype: str, available: int | None = None, *,
               scaled: bool = True, copies: int = 1) -> None:
    """MemoryError where reading ``bands`` bands of ``width`` x ``height`` ``dtype`` pixels (``copies``
    of them at once) and, where ``scaled``, scaling them to float32 needs more than ``available``
    bytes (default: ``available_bytes()``). A file decoded whole at open (PIL, tifffile) is checked
    unscaled: the reader scales it a window at a time."""
    free = available_bytes() if available is None else available
    need = width * height * bands * (np.dtype(dtype).itemsize * copies + SCALED_BYTES * scaled)
    if free is not None and need > free:
        raise MemoryError(f"the read needs about {need / 2**30:.3g} GiB, {free / 2**30:.3g} GiB is available")
