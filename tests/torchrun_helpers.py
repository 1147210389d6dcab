"""The launcher's torchrun shell for a test: one rank script on a free local port (needs torchrun beside Python);
the free port alone for the tests that start torchrun themselves."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest


def torchrun_shell(launch, folder: Path, rank_code: str, args: str = "") -> tuple[str, Path]:
    """``launch.launcher_shell`` running ``rank_code`` (written to FOLDER/rank.py, given ARGS) under torchrun, one
    process on a free port; the test is skipped where no torchrun is beside this Python. Returns (shell, rank)."""
    exe = launch.launcher_path("torchrun")
    if exe is None:
        pytest.skip("no torchrun beside this Python")
    rank = folder / "rank.py"
    rank.write_text(rank_code)
    return launch.launcher_shell(exe, f" --nproc_per_node 1 --master_port {free_port()} {rank}{args}"), rank


def free_port() -> int:
    """A TCP port on 127.0.0.1 free when asked (another process may take it before the test binds it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
