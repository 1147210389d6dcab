"""Running the launcher ``scripts/launch.py`` built (deepspeed or torchrun): the shell line that starts it, and
waiting for it, with what a Ctrl-C or a scheduler's SIGTERM on the way means for the run and where to continue."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

TORCHRUN = """import sys
if sys.path and sys.path[0] == "":  # -c put the working directory first, where the console script had its bin/
    del sys.path[0]
sys.argv[0] = "torchrun"  # its usage and errors named '-c'
try:  # its process name, as its console script had (pgrep/pkill torchrun, ps -C, top): was python's
    import ctypes
    ctypes.CDLL(None).prctl(15, b"torchrun", 0, 0, 0)  # PR_SET_NAME (Linux)
except (OSError, AttributeError, TypeError):
    pass
from torch.distributed.run import main
try:
    from torch.distributed.elastic.multiprocessing.api import SignalException
except ImportError:  # a torch that moved it: its traceback, as its console script printed it
    SignalException = ()
try:
    main()
except SignalException as e:
    sys.exit(128 + int(e.sigval))"""


def script_python(text: str) -> list[str] | None:
    """The Python (and its options) a console script's ``text`` runs under: its shebang's (``#!/venv/bin/python``),
    the second line's of the ``#!/bin/sh`` form pip and uv write where that path is too long for a shebang or holds
    a space (``'''exec' "/a long/path/python" "$0" "$@"``; taken for the Python, /bin/sh ran the Python code as
    a shell script and torchrun never started), or ``#!/usr/bin/env python3``'s on PATH; None for anything else."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("#!"):
        return None
    words = lines[0][2:].split()
    if words in (["/bin/sh"], ["/usr/bin/sh"]) and len(lines) > 1 and lines[1].startswith("'''exec' "):
        try:
            words = shlex.split(lines[1])[1:]
        except ValueError:
            return None
        words = words[:words.index("$0")] if "$0" in words else []
    elif len(words) == 2 and Path(words[0]).name == "env":
        words = [shutil.which(words[1]) or ""]
    if not words or not Path(words[0]).name.startswith("python") or not Path(words[0]).is_file():
        return None
    return words


def launcher_shell(exe: str, args: str) -> str:
    """The shell line running launcher ``exe`` with ``args`` (already quoted). torchrun's console script is run as
    its own ``main`` under the script's Python (``TORCHRUN``, ``script_python``), so that a signal it passes on to
    its ranks (SIGTERM, Ctrl-C) ends it with status 128 + the signal, not the ~30-line ``SignalException``
    traceback it printed before the launcher's line; a rank's failure still ends in its ``ChildFailedError``
    summary (exit status 1). Any other file, or a script whose Python is not found, is run as it is."""
    try:
        text = Path(exe).read_text(errors="replace")[:2000]
    except OSError:
        text = ""
    if "from torch.distributed.run import main" in text and (python := script_python(text)):
        return f"exec {shlex.join(python)} -c {shlex.quote(TORCHRUN)}{args}"
    return f"exec {shlex.quote(exe)}{args}"


def wait_for(start, plan) -> int:
    """The exit status of the launcher ``start()`` starts, after saying where to continue from when it failed.
    Ctrl-C (which the launcher gets too) waits for it to stop its ranks (a second kills it), then says where to
    continue from as the last line, status 130; SIGTERM
    (a scheduler's notice, sent to this process alone) is passed on to it, which passes it on to the ranks (they
    stop at a step boundary, saving), and waited for, status 143. The handler is in place before the launcher
    starts: a notice in between killed this process and left the launcher and its ranks running."""
    import signal

    from rsvlm.train.checkpoint import finish_mark, resume_hint, stopped_hint

    name, termed, started, passed, before = plan.command[0], [], [], [], finish_mark(plan.out_dir)

    def pass_on(signum, _frame):
        termed.append(signum)
        if started:
            passed.append(signum)
            started[0].send_signal(signum)

    previous = signal.signal(signal.SIGTERM, pass_on)  # was: this process died, the launcher ran on unseen
    try:
        proc = start()
        started.append(proc)
        if termed and not passed:  # came while it started: passed on now it can be
            passed.append(termed[0])
            proc.send_signal(termed[0])
        status = proc.wait()
    except KeyboardInterrupt:  # the launcher got Ctrl-C too: let it stop its ranks (subprocess.call killed it)
        if not started:  # before it started
            return 130
        proc = started[0]
        print(f"launch: interrupted; waiting for {name} to stop (Ctrl-C again kills it)", file=sys.stderr)
        try:
            proc.wait()
        except KeyboardInterrupt:
            proc.kill()
        # the last line, below the launcher's and the ranks' (which the launcher prints as they come)
        print(f"launch: interrupted; {stopped_hint(plan.out_dir, before)}", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if termed:
        print(f"launch: SIGTERM passed on to {name}, which stopped with status {status}; "
              f"{stopped_hint(plan.out_dir, before)}", file=sys.stderr)
        return 143
    if status:  # a rank failed (or was killed) and the launcher stopped the others: its report ends in a traceback
        print(f"launch: {name} exited with status {status}; {resume_hint(plan.out_dir)} (its cause is in the output "
              "above)", file=sys.stderr)
    return status
