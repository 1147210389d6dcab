"""Whether a read fits in the memory the machine has free, asked before it is made.

Linux hands out memory it does not have (overcommit): a scene whose read needs more than is free
was allocated, then filled until the kernel killed the process, with no message and no file named.
``check_fits`` raises ``MemoryError`` first, which ``large.out_of_memory`` turns into
``SceneTooLarge`` naming the file, its size, and ``--tile``. The memory free is the kernel's
``MemAvailable``, or a memory cgroup's where that leaves less: the process's own (a limit set on a job
or a nested container), or any above it to the container's root. Cannot: see anything where
/proc/meminfo and the cgroups are absent (not Linux), nor a cgroup v1 hierarchy mounted elsewhere, nor
a move of the process to another cgroup once it has read (its cgroups are read once per process).
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

import numpy as np

from rsvlm.io.scaling import MODALITIES

SCALED_BYTES = 12  # per pixel and band beside the raw values: float32 values, the stretch's temporary, its result
PREPARE_BYTES = 5  # per pixel and band of the window the processor prepares: stem.prepare's float32 stack, isfinite's mask
BLOCK_CACHE = 64 * 2**20  # GDAL's block cache a scene's reads fill (sources.RasterioSource's gdal_cache_mb)

SELF_CGROUP = "/proc/self/cgroup"
UNLIMITED = 2**60  # a cgroup v1 limit at or past this is none (9223372036854771712)


CGROUP_FILES = {  # (limit, usage, stat, the stat's inactive page cache) of a memory cgroup, by version
    "v2": ("memory.max", "memory.current", "memory.stat", "inactive_file"),
    "v1": ("memory.limit_in_bytes", "memory.usage_in_bytes", "memory.stat", "total_inactive_file"),
}


def available_bytes(meminfo: str = "/proc/meminfo", cgroup: str = "/sys/fs/cgroup",
                    self_cgroup: str = SELF_CGROUP) -> int | None:
    """``MemAvailable`` of ``meminfo`` in bytes, or less where a memory cgroup the process is in leaves
    less: its limit less its usage, with its inactive page cache counted free; None where nothing says
    (not Linux). The cgroups are the process's own (``self_cgroup``) and each above it up to the root
    ``cgroup`` (v2, or v1's ``memory`` hierarchy), the least left of all: a container's MemAvailable
    is the host's, and past a cgroup's limit, the container's or one set below it (a job's slice), the
    kernel killed the process as unsaid as past the machine's."""
    return memory_left(meminfo, cgroup, self_cgroup)[0]


def memory_left(meminfo: str = "/proc/meminfo", cgroup: str = "/sys/fs/cgroup",
                self_cgroup: str = SELF_CGROUP) -> tuple[int | None, str]:
    """(``available_bytes``, what sets it: "MemAvailable", or the limit of the cgroup folder that leaves least)."""
    free, where = None, "MemAvailable"
    with _unreadable():
        free = int(_field(meminfo, "MemAvailable:")) * 1024  # kB
    for folder, version in cgroup_folders(cgroup, self_cgroup):
        limit, usage, stat, cache = CGROUP_FILES[version]
        with _unreadable():
            top = int(Path(folder, limit).read_text())  # "max" (v2, no limit): ValueError
            if top < UNLIMITED:
                left = top - int(Path(folder, usage).read_text())
                with _unreadable():  # no memory.stat, or no such line: none of its cache counted free
                    left += int(_field(str(Path(folder, stat)), cache + " "))
                if free is None or max(0, left) < free:
                    free, where = max(0, left), f"the memory cgroup limit of {top / 2**30:.3g} GiB in {folder / limit}"
    return free, where


def cgroup_folders(cgroup: str, self_cgroup: str) -> list[tuple[Path, str]]:
    """[(folder, "v2" | "v1")]: the memory cgroup folders under the root ``cgroup`` that hold this
    process, its own first, then each above it up to the root; from the lines of ``self_cgroup``
    ("0::/a/b" in v2, "4:memory:/a/b" in v1; a line of another form is passed over). The roots alone
    where ``self_cgroup`` cannot be read; a folder that is not there (a container sees its own cgroup as
    the root) is skipped by the reader. This process's own (``SELF_CGROUP``) are read once per process:
    a read of every window walked them again (about 160 µs of its 450)."""
    if self_cgroup == SELF_CGROUP:
        return list(_own_cgroup_folders(cgroup, os.getpid()))  # the pid: a forked worker reads its own
    return _cgroup_folders(cgroup, self_cgroup)


@functools.lru_cache(maxsize=4)
def _own_cgroup_folders(cgroup: str, pid: int) -> tuple[tuple[Path, str], ...]:
    return tuple(_cgroup_folders(cgroup, SELF_CGROUP))


def _cgroup_folders(cgroup: str, self_cgroup: str) -> list[tuple[Path, str]]:
    own = {"v2": "", "v1": ""}
    lines = []
    with _unreadable():
        lines = Path(self_cgroup).read_text().splitlines()
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3:  # an empty or odd line: it stopped the reading of those after it
            continue
        _, controllers, path = fields
        version = "v2" if not controllers else "v1" if "memory" in controllers.split(",") else None
        if version:
            own[version] = path
    out = []
    for version, root in (("v2", Path(cgroup)), ("v1", Path(cgroup, "memory"))):
        parts = [q for q in Path(own[version]).parts if q not in ("/", ".", "..")]
        out += [(root.joinpath(*parts[:k]), version) for k in range(len(parts), -1, -1)]  # own → root
    return out


def _field(path: str, key: str) -> str:
    """The value after ``key`` on the line of ``path`` that starts with it; "" where none does."""
    with open(path) as f:
        return next((line.split()[1] for line in f if line.startswith(key)), "")


def _unreadable():
    """Leaves what an absent or unexpected file (no such cgroup, not Linux) would have said."""
    return contextlib.suppress(OSError, ValueError, IndexError)


def check_fits(width: int, height: int, bands: int, dtype: str, available: int | None = None, *,
               scaled: bool = True, copies: int = 1, scaled_bytes: int = SCALED_BYTES) -> None:
    """MemoryError where reading ``bands`` bands of ``width`` x ``height`` ``dtype`` pixels (``copies``
    of them at once; 0: held already, which the memory free counts spent) and, where ``scaled``, scaling them to
    float32 (``scaled_bytes`` a value: ``scaling_bytes``) needs more than ``available``
    bytes (default: ``available_bytes()``). A file decoded whole at open (PIL, tifffile) is checked
    unscaled: the reader scales it a window at a time."""
    check_need(width * height * bands * (np.dtype(dtype).itemsize * copies + scaled_bytes * scaled), available)


def scaling_bytes(dtype: str, modality: str, ir_kelvin=None) -> int:
    """Bytes a value that ``read.SceneReader._scaled`` takes at its peak beside the raw values, one band read
    (tracemalloc): ``SCALED_BYTES``; ir turned into kelvin in float64 3 more, through Planck's law (``ir_kelvin``'s
    four numbers) 13 more; sar or float values 2 more, their (h, w) masks. Counted as 12, a held float32 or sar scene
    (13-14) or a thermal one (15, 25) was let through where it did not fit."""
    if modality == "ir" and ir_kelvin is not None and np.dtype(dtype).kind != "c":
        return SCALED_BYTES + (13 if len(ir_kelvin) == 4 else 3)
    return SCALED_BYTES + 2 * (modality == "sar" or np.dtype(dtype).kind in "fc")


def most_scaling_bytes(dtype: str, modality: str | None = None, ir_kelvin=None, planck: bool = False,
                       kelvin: bool = True) -> int:
    """The most ``scaling_bytes`` a read of ``dtype`` may take once what is still unknown is resolved: the modality
    (None: the guess may give any) and, for ir, its kelvin (None: a guess from the values or a declared scale gives
    two numbers; ``planck``, a Landsat-named band, the four of its _MTL.txt; ``kelvin`` False: nothing may make it
    kelvin, an unsigned band declaring no scale or unit and not Landsat-named). What a read held before then counts
    (``SceneReader``'s shared read): a float32 scene held at sar's 14 (18 bytes a pixel with its raw values), then
    guessed ir in kelvin (15: 19), was held, then refused. Cannot: tell the modality itself; a scene the guess makes
    cheaper is not held in that band, and is read (decoded again) as without a shared read."""
    ir = ir_kelvin or (([1.0, 0.0, 1.0, 1.0] if planck else [1.0, 0.0]) if kelvin else None)
    return max(scaling_bytes(dtype, m, ir) for m in ([modality] if modality else MODALITIES))


def batch_bytes(width: int, height: int, bands: int, dtype: str, batch: int, strip_width: int = 0,
                views: bool = False, scaled_bytes: int = SCALED_BYTES) -> int:
    """Bytes ``run_tiled`` holds at once for a batch of ``batch`` windows of ``width`` x ``height`` px, the more
    of: while the last is read, those read before it, scaled (float32, 4 bytes a pixel and band), and the last's
    raw values and the stretch's temporaries (``scaled_bytes`` a value: ``scaling_bytes`` of the scene's modality,
    as each window's read counts them; 12, the least, where not given; ``strip_width``: that read is a strip so
    wide, for a file decoded from its start, read a row of windows at a time: ``rows.RowReader``, which keeps the
    strip, scaled, while its windows are asked); while the model runs, the batch scaled, one window's ``PREPARE_BYTES``,
    and with ``views`` (``--tta``) two mirror copies of each window (``tta.fused_answers`` holds one view's for the
    whole batch at a time since 4e2808f6; the second is slack a PNG read by GDAL with --tta flip needs:
    bench/tile_memory.py measured 331 MiB where one copy says 318) and the first tile's, kept for a note; and GDAL's block
    cache (``BLOCK_CACHE``). Peak RSS measured over 8 windows of 2000x2000x3: uint8 487 MiB, uint16 499, uint16
    with --tta flip 1183 (this says 533, 545, 1266; the count before said 732 for the last, too low)."""
    window = width * height * bands  # values of one window
    strip = max(width, strip_width) * height * bands
    read = (batch - 1) * window * 4 + strip * (np.dtype(dtype).itemsize + scaled_bytes)
    model = (batch * window * 4 * (3 if views else 1) + window * (PREPARE_BYTES + 4 * views)
             + strip * 4 * (strip > window))  # a strip kept while its windows are asked
    return max(read, model) + BLOCK_CACHE


def check_need(need: int, available: int | None = None) -> None:
    """MemoryError where ``need`` bytes are more than ``available`` (default: ``available_bytes()``)."""
    free = available_bytes() if available is None else available
    if free is not None and need > free:
        left, where = memory_left() if available is None else (None, "")
        by = f" (left by {where})" if left == free and where != "MemAvailable" else ""  # a job's limit, not the machine's
        raise MemoryError(f"the read needs about {need / 2**30:.3g} GiB, {free / 2**30:.3g} GiB is available{by}")
