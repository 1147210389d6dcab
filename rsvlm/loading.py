"""Finding and loading the model chat, predict and eval answer with: its folder (``--model``, else the
bundled one), the device (``--device``) and the dtype its weights are loaded in (``--dtype``).
``rsvlm.inference`` re-exports the finding and loading ones (``inf.load_model``, ``inf.resolve_model_dir``,
``inf.check_device``, ``inf.bundled_model_dir``)."""

from __future__ import annotations

import warnings
from pathlib import Path

from rsvlm.progress import counted

DTYPES = ("auto", "float32", "bfloat16", "float16")  # --dtype's choices; names, not torch's: the CLI parses torch-free
DTYPE_ALIASES = {"fp32": "float32", "float": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16"}


class DtypeError(ValueError, TypeError):
    """``load_pretrained``'s ``dtype`` that is no dtype rsvlm loads in, a name (``"int4"``) or an object (``3``,
    ``torch.int8``) alike: either ``except`` catches it (a bad name was a ValueError, a bad object a TypeError)."""


def dtype_name(text: str) -> str:
    """``--dtype``'s value as one of ``DTYPES``: any case, ``torch.`` before it or a short name (``bf16``, ``fp16``,
    ``half``, ``fp32``) taken; ValueError for another."""
    if (name := _normal(text)) not in DTYPES:
        raise ValueError(f"{text!r} is not a dtype rsvlm loads a model in: {', '.join(DTYPES)} (or bf16, fp16, fp32)")
    return name


def _normal(text: str) -> str:
    """``text`` as ``DTYPES`` would name it, where it is one (any case, ``torch.`` before it, a short name)."""
    name = text.strip().lower().removeprefix("torch.")
    return DTYPE_ALIASES.get(name, name)


def bundled_model_dir() -> Path:
    """The default model shipped inside the package (``rsvlm/assets/default_model``)."""
    return Path(__file__).resolve().parent / "assets" / "default_model"


def model_arg_problem(model: str | None) -> str | None:
    """Why ``--model`` names no checkpoint (empty: ``--model "$M"`` with M unset read the bundled one unsaid; a
    missing or other folder), worded for a parser's error; None where it is fine or not given."""
    if model is None:
        return None
    if not model.strip():
        return "--model is empty; give a checkpoint folder, or leave --model out for the bundled default model"
    try:
        resolve_model_dir(model)
    except FileNotFoundError as e:
        return f"--model {e}"
    return None


def resolve_model_dir(model: str | None) -> Path:
    """The checkpoint folder ``--model`` names (the bundled one without it), or where no such folder is, the Hugging
    Face cache's snapshot of the hub name it is, where that holds a whole checkpoint (``cached_checkpoint``);
    FileNotFoundError saying why it is none: missing, a file (its config.yaml, a weights file) rather than the
    folder, or a folder of something else."""
    path = Path(model).expanduser() if model else bundled_model_dir()
    if model and not path.exists():  # a hub name the Hugging Face cache holds a whole checkpoint of: read there,
        from rsvlm.model.ckpt_files import cached_checkpoint

        path = cached_checkpoint(model) or path  # nothing fetched (was refused, naming that very folder)
    if not (path / "config.yaml").is_file():
        if model is None:
            raise FileNotFoundError(
                f"no bundled default model in this installation ({path}); pass --model DIR "
                "(a checkpoint from `rsvlm train` or `rsvlm convert-llava`)")
        from rsvlm.model.checkpoint import no_checkpoint  # missing, a file, a run's out_dir, …
        from rsvlm.model.ckpt_files import cached_checkpoint

        hidden = path.exists() and not path.is_absolute() and cached_checkpoint(model)  # was "(no config.yaml)" alone
        raise FileNotFoundError(no_checkpoint(path) + (f"; the Hugging Face cache holds a checkpoint of {model} at "
                                                       f"{hidden}, which this local folder of that name comes before: "
                                                       "give that folder" if hidden else ""))
    return path


def load_model(model: str | None, device: str | None = None, load_4bit: bool = False, load_8bit: bool = False,
               dtype: str | None = None):
    """(model, processor) in eval mode; device defaults to CUDA when there is one, ``dtype`` (``DTYPES``;
    None is auto) to ``load_dtype``'s choice."""
    from rsvlm.model import load_pretrained

    path = resolve_model_dir(model)
    device = pick_device(device)
    torch_dtype = load_dtype(dtype or "auto", device, path)
    m, processor = load_pretrained(path, device=device, dtype=torch_dtype, load_in_4bit=load_4bit,
                                   load_in_8bit=load_8bit)
    return m.eval(), processor


def pick_device(device: str | None) -> str:
    """``device`` checked (``check_device``), or without one CUDA where there is one, else the CPU."""
    import torch

    return check_device(device) if device else ("cuda" if torch.cuda.is_available() else "cpu")


def check_device(device, python: bool = False):
    """``device`` if this machine has it; else a ValueError saying why (torch's own errors are
    tracebacks from deep inside the model's loading), as ``--device``, or with ``python`` as ``device=``
    (``load_pretrained``'s, which may also be a GPU's number, 0 for cuda:0, or a torch.device; another
    object is a TypeError)."""
    import numbers

    import torch

    def said(d: str) -> str:
        return f"device={d!r}" if python else f"--device {d}"

    if isinstance(device, numbers.Integral) and not isinstance(device, bool):
        device = int(device)  # numpy's too
    if isinstance(device, bool) or not isinstance(device, (str, int, torch.device)):  # torch: "invalid combination"
        raise TypeError(f"{said(device)} is not a device: 'cpu', 'cuda', 'cuda:1', 'mps', a GPU's number or a "
                        "torch.device")
    if isinstance(device, int) and device < 0:  # torch: "Device index must not be negative"
        raise ValueError(f"{said(device)} is not a device: a GPU's number is 0 or more (0 is cuda:0); or 'cpu', "
                         "'cuda', 'cuda:1', 'mps'")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):  # ValueError: a GPU's number past a long long (torch's "Overflow when …")
        meant = " (did you mean cuda?)" if str(device).split(":")[0] in ("gpu", "nvidia") else ""
        shown = said(device) if python else f"--device {device!r}"
        raise ValueError(f"{shown} is not a device{meant}: cpu, cuda, cuda:1, mps") from None
    if dev.type not in ("cpu", "cuda", "mps"):  # xpu, hpu, meta: a traceback from deep inside the model's loading
        raise ValueError(f"{said(device)}: rsvlm runs on cpu, cuda, cuda:N or mps, not {dev.type}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{said(device)}: no CUDA GPU is usable here; use {said('cpu')}")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"{said(device)}: this machine has {counted(torch.cuda.device_count(), 'CUDA device')}")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{said(device)}: MPS (Apple GPU) is not available here; use {said('cpu')}")
    return device


def load_dtype(choice: str, device: str, path: Path):
    """The torch dtype ``--dtype`` ``choice`` loads the checkpoint at ``path`` in on ``device`` (``dtype_of``); a
    half dtype asked where it runs slowly is warned of (a CPU whose matrix products have no bf16/fp16
    instructions; a GPU without bfloat16): it still halves the memory."""
    import torch

    dtype, kind = dtype_of(choice, device, path), torch.device(device).type
    if choice != "auto" and kind == "cpu" and dtype != torch.float32 and not _cpu_half(dtype):
        warnings.warn(f"--dtype {choice}: this CPU has no {choice} instructions for matrix products (oneDNN), so "
                      "the model runs several times slower than in float32, in half the memory", stacklevel=2)
    if kind == "cuda" and dtype == torch.bfloat16 and not _cuda_bf16(device):
        warnings.warn(f"--dtype bfloat16: {torch.cuda.get_device_name(device)} has no bfloat16 arithmetic (it came "
                      "with Ampere GPUs), so it is emulated, slowly; --dtype float16 runs at full speed", stacklevel=2)
    return dtype


def dtype_of(choice: str, device: str, path: Path):
    """The torch dtype ``--dtype`` ``choice`` (``DTYPES``) means for the checkpoint at ``path`` on ``device``
    (``resolved_dtype_name``: its name).
    ``auto``: on a CUDA GPU the dtype the checkpoint's LLM weights are stored in (``saved_dtype``; a bf16 7B
    takes 14 GB, not float32's 28), float16 for bfloat16 ones where the GPU has no bfloat16 arithmetic
    (before Ampere); float32 on a CPU or MPS, the dtype every operation there has fast kernels for."""
    import torch

    if choice != "auto":
        return getattr(torch, dtype_name(choice))
    if torch.device(device).type != "cuda":
        return torch.float32
    try:
        stored = saved_dtype(path) or torch.float32
    except (OSError, ValueError):  # an unreadable file: load_pretrained's checks name it and what to do
        stored = torch.float32
    return torch.float16 if stored == torch.bfloat16 and not _cuda_bf16(device) else stored


def load_args(dtype, overrides, device, path) -> tuple:
    """``load_pretrained``'s ``dtype`` and ``overrides`` as it uses them: a dtype name as ``--dtype`` takes it
    (``dtype_of``: "bf16", "auto"; was a TypeError in ``.to``), a floating torch dtype or None, another refused
    naming it, a bad name and a bad object alike (``DtypeError``; 3 was transformers' message); one override
    given as a str is one (each of its letters was refused: "override 'e' is not of the form key=value"), a
    mapping refused; ``path`` not a str or Path, or a ``device`` this machine lacks (``check_device``), refused."""
    import os

    import torch

    if not isinstance(path, (str, os.PathLike)):  # None, 3: "expected str, bytes or os.PathLike object"
        raise TypeError(f"load_pretrained takes a checkpoint folder (a str or Path), got {path!r}; the bundled "
                        "model's is rsvlm.loading.bundled_model_dir()")
    if device is not None:  # "gpu", or cuda without a GPU: torch's errors from deep inside the load
        device = check_device(device, python=True)
    device = None if device is None else str(torch.device(device)) if isinstance(device, int) else str(device)
    if isinstance(dtype, str) and _normal(dtype) in DTYPES:  # another name is refused as an object is
        dtype = dtype_of(dtype, device or "cpu", Path(path))  # device 0 is cuda:0 here too (was read as no device)
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise DtypeError(f"dtype={dtype!r} is not a dtype rsvlm loads a model in: {', '.join(DTYPES)} (or bf16, "
                         "fp16, fp32), or a floating torch dtype (torch.bfloat16)")
    if isinstance(overrides, dict):  # its keys alone were read, each refused as no key=value
        raise TypeError(f"overrides must be a list of 'key=value' strings (['encoders.default.image_size=448']), "
                        f"got a dict: {overrides!r}")
    return dtype, [overrides] if isinstance(overrides, str) else overrides


def resolved_dtype_name(choice: str, device: str, path: Path) -> str:
    """``dtype_of``'s dtype by ``DTYPES``' name (``bfloat16``): what ``rsvlm eval`` stamps and loads in."""
    return str(dtype_of(choice, device, path)).removeprefix("torch.")


def saved_dtype(path: Path):
    """The floating torch dtype most of the checkpoint's LLM weights are stored in (its ``llm/``, or for
    an adapter-only checkpoint the base it names), from the safetensors headers; else the LLM's
    config.json ``dtype``; else that of ``vision.safetensors``; None where none says."""
    import json

    from rsvlm.config import load_yaml
    from rsvlm.model.checkpoint import resolve_in
    from rsvlm.model.ckpt_files import base_folder
    from rsvlm.model.weights import most_saved_dtype, named_dtype

    def most(files: list[Path]):  # those there: vision.safetensors may not be
        return most_saved_dtype([f for f in files if f.is_file()])

    section = load_yaml(path / "config.yaml").get("llm")  # a string there: load_pretrained names the fault
    llm = section.get("name_or_path") if isinstance(section, dict) else None
    folder = base_folder(resolve_in(llm, path)) if isinstance(llm, str) and llm else None
    if folder is not None and (stored := most(sorted(folder.glob("*.safetensors")))):
        return stored
    if folder is not None and (folder / "config.json").is_file() and \
            (named := named_dtype(json.loads((folder / "config.json").read_text()))):
        return named
    return most([path / "vision.safetensors"])


def _cpu_half(dtype) -> bool:
    """Whether this CPU multiplies ``dtype`` (bfloat16, float16) matrices in hardware through oneDNN
    (AVX512-BF16 / AMX, AVX512-FP16): without, torch's fallback is several times slower than float32."""
    import torch

    ops = torch.ops.mkldnn
    probe = ops._is_mkldnn_bf16_supported if dtype == torch.bfloat16 else ops._is_mkldnn_fp16_supported
    try:
        return bool(probe())
    except (AttributeError, RuntimeError):  # a torch without the probe: said nothing
        return True


def _cuda_bf16(device: str) -> bool:
    """Whether the CUDA ``device`` has bfloat16 arithmetic (compute capability 8, Ampere, or later)."""
    import torch

    return torch.cuda.get_device_capability(device)[0] >= 8
