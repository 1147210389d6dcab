"""What a torch file (``.bin``, ``.pt``) pickles besides tensors, read from its pickle opcodes (``pickletools.genops``)
and never unpickled: the classes and functions its GLOBAL / STACK_GLOBAL opcodes name (``pickled_globals``) and
the first one not of torch's own tensor rebuilding (``foreign_global``), so a refusal of ``torch.load(weights_only=
True)`` is told apart from a cut file without reading torch's error wording. Limits: a STACK_GLOBAL whose module or
name comes from the memo (not pushed just before it) is named ``?``; TorchScript is told by its archive's members."""

from __future__ import annotations

import io
import pickletools
import zipfile
from pathlib import Path

# what a plain state dict's pickle names: torch's tensor and storage rebuilding (torch.FloatStorage, torch.Size,
# torch.float32, torch._utils._rebuild_tensor_v2 …), OrderedDict, a few builtins; torch.nn.modules.… is a pickled model
_PLAIN_MODULES = ("torch", "torch._utils", "torch._tensor", "torch.storage")
_PLAIN = tuple(f"{m}.{n}" for m in ("builtins", "__builtin__") for n in ("set", "frozenset", "bytearray", "slice",
                                                                         "complex")) + ("collections.OrderedDict",
                                                                                        "_codecs.encode")
_LEGACY_PICKLES = 5  # legacy torch.save: magic number, protocol, sys info, the object, its storage keys; then bytes


def _globals_in(stream, pickles: int) -> list[str]:
    """The globals named by the first ``pickles`` pickles in ``stream``, one after another."""
    found: list[str] = []
    for _ in range(pickles):
        texts: list[str] = []
        for op, arg, _pos in pickletools.genops(stream):  # stops at STOP; raises on a cut or foreign stream
            if op.name in ("GLOBAL", "INST"):
                found.append(str(arg).replace(" ", ".", 1))
            elif op.name == "STACK_GLOBAL":
                found.append(".".join(texts[-2:]) if len(texts) >= 2 else "?")
            texts = [*texts[-1:], arg] if isinstance(arg, str) and "UNICODE" in op.name else texts
    return found


def is_torchscript(path: Path) -> bool:
    """Whether ``path`` is a TorchScript archive (a zip holding ``code/`` or ``constants.pkl``)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any("/code/" in n or n.endswith("/constants.pkl") for n in z.namelist())


def pickled_globals(path: Path) -> list[str]:
    """The ``module.name`` of every GLOBAL / STACK_GLOBAL in torch file ``path``'s pickle(s): ``data.pkl`` of a zip
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


def foreign_global(path: Path) -> str | None:
    """The first class or function ``path`` pickles that is no part of a plain tensor state dict (``mymodule.Net``,
    ``argparse.Namespace``, a pickled ``torch.nn.modules.linear.Linear``), else None (also where the file cannot be read: ``pickled_globals``)."""
    try:
        names = pickled_globals(path)
    except ValueError:
        return None
    return next((n for n in names if n.rpartition(".")[0] not in _PLAIN_MODULES and n not in _PLAIN), None)
