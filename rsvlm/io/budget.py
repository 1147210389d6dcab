"""Whether a read fits in the memory the machine has free, asked before it is made.

Linux hands out memory it does not have (overcommit): a scene whose read needs more than is free
was allocated, then filled until the kernel killed the process, with no message and no file named.
``check_fits`` raises ``MemoryError`` first, which ``large.out_of_memory`` turns into
``SceneTooLarge`` naming the file, its size, and ``--tile``. Cannot: see memory limits other than
the kernel's ``MemAvailable`` (a cgroup's, a container's), nor anything where /proc/meminfo is absent.
"""

from __future__ import annotations

import numpy as np

SCALED_BYTES = 12  # per pixel and band beside the raw values: float32 values, the stretch's temporary, its result


def available_bytes() -> int | None:
    """``MemAvailable`` of /proc/meminfo in bytes; None where there is none (not Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


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
