"""What a torch file (``.bin``, ``.pt``) pickles besides tensors, read from its pickle opcodes (``pickletools.genops``)
and never unpickled: the classes and functions its GLOBAL / STACK_GLOBAL opcodes name (``pickled_globals``) and
the first one not of torch's own tensor rebuilding (``foreign_global``), so a refusal of ``torch.load(weights_only=
True)`` is told apart from a cut file without reading torch's error wording. A STACK_GLOBAL's module and name are
followed through the memo (protocol 4 pickles a module's name once, then fetches it). Limits: one whose two strings
were not pushed just before it (no pickler writes that) is named ``?``. TorchScript is told by its archive's members
or by the ``__torch__.`` / ``torch.jit.`` classes its data.pkl names; a TorchScript file whose data.pkl is gone as
well as its ``code/`` and ``constants.pkl`` is not told (nor loadable)."""

from __future__ import annotations

import io
import pickle
import pickletools
import struct
import zipfile
from pathlib import Path

# what a plain state dict's pickle names, where torch's own list of what weights_only loads cannot be read (a torch
# without torch._weights_only_unpickler._get_allowed_globals): torch's tensor and storage rebuilding, OrderedDict and
# a few builtins; torch.nn.modules.… is a pickled model
_PLAIN_MODULES = ("torch", "torch._utils", "torch._tensor", "torch.storage")
_PLAIN = tuple(f"builtins.{n}" for n in ("set", "frozenset", "bytearray", "slice", "complex")) + (
    "collections.OrderedDict", "_codecs.encode")
_LEGACY_PICKLES = 5  # legacy torch.save: magic number, protocol, sys info, the object, its storage keys; then bytes


def _globals_in(stream, pickles: int) -> list[str]:
    """The globals named by the first ``pickles`` pickles in ``stream``, one after another."""
    found: list[str] = []
    for _ in range(pickles):
        memo: dict = {}
        last: list = [None, None]  # the two values pushed last, where they are strings (else None)
        for op, arg, _pos in pickletools.genops(stream):  # stops at STOP; raises on a cut or foreign stream
            if op.name in ("GLOBAL", "INST"):
                found.append(str(arg).replace(" ", ".", 1))
            elif op.name == "STACK_GLOBAL":
                found.append(".".join(last) if None not in last else "?")
            if op.name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):  # the memo, as the unpickler keeps it
                memo[len(memo) if op.name == "MEMOIZE" else arg] = last[1]
            elif op.name in ("GET", "BINGET", "LONG_BINGET"):
                last = [last[1], memo.get(arg)]
            elif op.name not in ("PROTO", "FRAME"):
                last = [last[1], arg if isinstance(arg, str) and "UNICODE" in op.name else None]
    return found


_SCRIPTED = ("__torch__.", "torch.jit.")  # what a TorchScript data.pkl names: the scripted classes, torch.jit's


def is_torchscript(path: Path) -> bool:
    """Whether ``path`` is a TorchScript archive: a zip holding ``code/`` or ``constants.pkl``, or whose data.pkl
    names a ``__torch__.`` (scripted) or ``torch.jit.`` class (read from its opcodes, never unpickled)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        if any("/code/" in n or n.endswith("/constants.pkl") for n in z.namelist()):
            return True
        pkl = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
        try:
            data = z.read(pkl) if pkl else b""
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):  # a damaged data.pkl: not told to be TorchScript
            return False
    if b"__torch__" not in data and b"torch.jit" not in data:  # the opcode read is ~4 s on a 300 MB pickle
        return False
    try:  # the opcodes: a string (a state dict's key) that merely holds those words is no class
        return any(n.startswith(_SCRIPTED) for n in _globals_in(io.BytesIO(data), 1))
    except (ValueError, EOFError, IndexError):  # no readable pickle: not told to be TorchScript
        return False


def pickled_globals(path: Path) -> list[str]:
    """The ``module.name`` of every GLOBAL / STACK_GLOBAL in torch file ``path``'s pickles: ``data.pkl`` of a zip
    file (torch's format since 1.6), else the legacy format's leading pickles. ValueError where no pickle can be
    read there (a cut or damaged file, or no torch file)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                name = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
                if name is None:
                    raise ValueError(f"{path}: a zip file holding no data.pkl")
                return _globals_in(io.BytesIO(z.read(name)), 1)
        with open(path, "rb") as f:
            return _globals_in(f, _LEGACY_PICKLES)
    except (ValueError, EOFError, zipfile.BadZipFile, OSError, IndexError) as e:
        raise ValueError(f"{path}: no readable pickle ({type(e).__name__}: {e})") from None


def _unsafe(path: Path) -> frozenset[str] | None:
    """What torch's public ``torch.serialization.get_unsafe_globals_in_checkpoint`` says ``torch.load(weights_only=
    True)`` refuses in ``path``; None where it cannot say: a torch before 2.5, a legacy (not zip) file, a pickle of
    protocol 4 or above (it reads GLOBAL opcodes alone), a TorchScript archive, a damaged file."""
    try:
        from torch.serialization import get_unsafe_globals_in_checkpoint

        return frozenset(get_unsafe_globals_in_checkpoint(str(path)))
    except (ImportError, ValueError, EOFError, RuntimeError, AssertionError, OSError, pickle.UnpicklingError,
            zipfile.BadZipFile, struct.error, IndexError):
        return None


def _allowed() -> frozenset[str] | None:
    """What ``torch.load(weights_only=True)`` loads (``module.name``), from torch's own list; None where this torch
    keeps no such list where it is looked for (a private name)."""
    try:
        from torch._weights_only_unpickler import _get_allowed_globals

        return frozenset(_get_allowed_globals())
    except (ImportError, AttributeError, TypeError):
        return None


def foreign_global(path: Path) -> str | None:
    """The first class or function ``path`` pickles that ``torch.load(weights_only=True)`` refuses (``mymodule.Net``,
    ``argparse.Namespace``, a pickled ``torch.nn.modules.linear.Linear``, ``torch.load``), else None (also where the
    file cannot be read: ``pickled_globals``). Told by torch's public ``get_unsafe_globals_in_checkpoint`` where it
    answers (``_unsafe``), else by torch's own (private) list of what it loads, else by ``_PLAIN``."""
    unsafe = _unsafe(path)
    if unsafe is not None and len(unsafe) < 2:  # one name or none: no order to take from the scan, which read a
        return next(iter(unsafe), None)         # 72 MB data.pkl in 6.3 s after torch's own read of it (1.7 s)
    try:
        raw = pickled_globals(path)
    except ValueError:
        return None
    if unsafe is not None:  # in the scan's order; a name the scan wrote otherwise (``?``) still comes out
        return next((n for n in raw if n in unsafe), min(unsafe))
    names = [n.replace("__builtin__.", "builtins.", 1) for n in raw]
    allowed = _allowed()
    if allowed is not None:
        return next((n for n in names if n not in allowed), None)
    return next((n for n in names if n.rpartition(".")[0] not in _PLAIN_MODULES and n not in _PLAIN), None)
