"""The launcher's environment (torchrun, deepspeed, accelerate), shared by training and ``rsvlm eval``."""

from __future__ import annotations

import os
from collections.abc import Mapping


def env_int(name: str, default: int, low: int = 0, env: Mapping[str, str] | None = None) -> int:
    """The whole-number variable ``name`` of ``env`` (the process environment by default; ``default``
    where unset or empty); ValueError naming it for another value or one below ``low``."""
    env = os.environ if env is None else env
    v = env.get(name, "").strip()
    try:
        n = int(v) if v else default
    except ValueError:
        raise ValueError(f"{name}={env[name]!r} is not a whole number (set by the launcher: torchrun, deepspeed "
                         "or accelerate; unset it to run as one process)") from None
    if n < low:
        raise ValueError(f"{name}={n}: must be {low} or more")
    return n
