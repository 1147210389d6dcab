"""Weight files: reading safetensors whose failure names the file, the dtypes they store, and what
works on whole checkpoints tensor by tensor (``average_checkpoints``, ``compare_weights``).
Nothing here unpickles: a weight file that is not safetensors is refused.
"""

from __future__ import annotations

import contextlib
import math
import re
import shutil
from pathlib import Path

import torch

from rsvlm.config import load_yaml
from rsvlm.progress import counted

PEFT_KEY = re.compile(r"(lora_[A-Za-z_]+|trainable_tokens_delta)\.")  # a LoRA / trainable-token adapter's tensor
PROVENANCE = ("train_config.yaml", "training_data.json")  # beside a model: what it was trained on
MERGED = "merged_lora.json"  # beside a merged model (rsvlm merge-lora): the SHA-256 of each adapter merged in


def merged_adapters(root: Path) -> set[str]:
    """The SHA-256s of the adapter files merged into checkpoint ``root``'s weights, as its ``MERGED`` file records
    them (``rsvlm merge-lora``, ``average_checkpoints``); empty where there is none or it cannot be read."""
    import json

    try:
        said = json.loads((Path(root) / MERGED).read_text()).get("adapter_sha256")
    except (OSError, ValueError, AttributeError):  # none, cut, or no JSON object
        return set()
    return {h for h in ([said] if isinstance(said, str) else said if isinstance(said, list) else []) if isinstance(h, str)}


def record_merged(out: Path, hashes: set[str]) -> None:
    """Write ``out``'s ``MERGED`` file naming ``hashes`` (sorted); nothing where there are none."""
    import json

    if hashes:
        (out / MERGED).write_text(json.dumps({"adapter_sha256": sorted(hashes)}) + "\n")


_SAFETENSORS_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def saved_dtypes(files: list[Path]) -> dict[str, torch.dtype]:
    """The floating dtype each tensor of the safetensors ``files`` is stored in, from the headers only."""
    out = {}
    for f in files:
        with open_safetensors(f) as h:
            out.update({k: _SAFETENSORS_DTYPES[d] for k in h.keys() if (d := h.get_slice(k).get_dtype()) in _SAFETENSORS_DTYPES})
    return out


def most_saved_dtype(files: list[Path]) -> torch.dtype | None:
    """The floating dtype most tensors of the safetensors ``files`` are stored in (``saved_dtypes``; a tie: the
    first in the files' order, not a set's, which could differ from run to run); None where they hold none."""
    from collections import Counter

    stored = Counter(saved_dtypes(files).values())
    return stored.most_common(1)[0][0] if stored else None


def named_dtype(conf) -> torch.dtype | None:
    """The floating dtype a transformers config.json (``conf``, as read) names, ``dtype`` or the older
    ``torch_dtype``; None where it names none."""
    named = getattr(torch, str(conf.get("dtype") or conf.get("torch_dtype") or ""), None) if isinstance(conf, dict) else None
    return named if isinstance(named, torch.dtype) and named.is_floating_point else None


def average_checkpoints(src_dirs: list[str | Path], out_dir: str | Path, weights: list[float] | None = None,
                        progress: bool = True, names: list[str] | None = None) -> Path:
    """Weight-average full checkpoints of one architecture (a model soup): every floating tensor of
    every ``*.safetensors`` file becomes the weighted mean (computed in float32, stored in its own
    dtype); everything else is copied from the first, but for ``PROVENANCE`` (each input's training
    config and data, which differ between fine-tunes): the card names the inputs instead, and ``MERGED``
    (each merged input's adapter): the average records all of them, each still in its weights. Only
    meaningful for models fine-tuned from one starting point. Refuses LoRA factors (an adapter/ or
    encoder LoRA: averaging A and B apart is not averaging their product; ``rsvlm merge-lora``
    first), differing configs (naming the settings) or tokenizers, tensors that differ in name,
    shape or dtype, or (non-floating) in value, and a zero weight (leave that input out instead).
    ``progress``: a bar per weight file, on a terminal or not (a 7B soup written to a log file reads for minutes).
    ``names``: the inputs as the card names them (a hub name as given), one per folder; default the folders."""
    from safetensors.torch import save_file

    from rsvlm.progress import bar as progress_bar

    roots = [Path(d) for d in src_dirs]
    if len(roots) < 2:
        raise ValueError("averaging needs at least two checkpoints")
    w = [1.0 / len(roots)] * len(roots) if weights is None else [float(x) for x in weights]
    if len(w) != len(roots) or not all(0 <= x < float("inf") for x in w) or sum(w) <= 0:  # NaN, inf: a NaN model
        raise ValueError(f"weights {weights}: need one finite non-negative weight per checkpoint, not all zero")
    if zero := [str(r) for r, x in zip(roots, w) if x == 0]:  # 1, 0: a copy of the first, written as an average
        raise ValueError(f"weights {weights}: {', '.join(zero)} would get weight 0; leave it out instead")
    w = [x / sum(w) for x in w]
    if names is not None and len(names) != len(roots):
        raise ValueError(f"names {names}: {len(names)} for {len(roots)} checkpoints; give one per checkpoint")
    for r in roots:
        if not (r / "config.yaml").is_file():
            raise FileNotFoundError(f"{r}: not an rsvlm checkpoint (no config.yaml)")
        if (r / "adapter").is_dir():
            raise ValueError(f"{r}: holds an unmerged LoRA adapter; run `rsvlm merge-lora` on it first")

    def files(r: Path) -> dict[str, Path]:  # the model's files: not its card, nor what each was trained on
        return {rel: p for p in sorted(r.rglob("*")) if p.is_file()
                and (rel := str(p.relative_to(r))) not in ("README.md", MERGED, *PROVENANCE)}

    first = files(roots[0])
    if not any(rel.endswith(".safetensors") for rel in first):
        raise ValueError(f"{roots[0]}: no .safetensors weights to average")
    for r in roots[1:]:
        other = files(r)
        if set(other) != set(first):  # was 'files differ from A: [llm/model.safetensors]', not saying whose it is
            lacks, extra = (sorted(set(a) - set(b)) for a, b in ((first, other), (other, first)))
            says = [f"{which} {names[:5]}{' …' if len(names) > 5 else ''}" for which, names in
                    ((f"lacks what {roots[0]} holds:", lacks), (f"holds what {roots[0]} has not:", extra)) if names]
            raise ValueError(f"{r}: {'; '.join(says)}; only checkpoints saved alike can be averaged (a file cut out?)")
        for rel, p in first.items():
            if (not rel.endswith(".safetensors") and p.read_bytes() != other[rel].read_bytes()
                    and not _same_settings(p, other[rel])):  # a comment or key order: was refused, naming nothing
                raise ValueError(f"{r / rel} differs from {p}{_config_changes(p, other[rel])}"
                                 ": only checkpoints of one config and tokenizer can be averaged")
    out = Path(out_dir)
    if out.resolve() in {r.resolve() for r in roots}:
        raise ValueError(f"{out}: the output must not be one of the inputs")
    out.mkdir(parents=True, exist_ok=True)
    for rel, p in first.items():
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not rel.endswith(".safetensors"):
            shutil.copyfile(p, dest)
            continue
        handles = [open_safetensors(r / rel) for r in roots]
        keys = set(handles[0].keys())
        for r, h in zip(roots[1:], handles[1:]):
            if set(h.keys()) != keys:
                raise ValueError(f"{r / rel}: tensor names differ from {p}: {sorted(set(h.keys()) ^ keys)[:5]}")
        if lora := sorted(k for k in keys if PEFT_KEY.search(k + ".")):  # e.g. encoder LoRA in vision.safetensors
            raise ValueError(f"{p}: holds LoRA factors ({lora[0]}, {len(lora)} in all), and averaging A and B apart "
                             "is not averaging their product; run `rsvlm merge-lora` on each checkpoint first")
        merged = {}
        for k in progress_bar(sorted(keys), desc=f"averaging {rel}", unit="tensor", leave=False, disable=not progress):
            ts = [h.get_tensor(k) for h in handles]
            if any(t.shape != ts[0].shape or t.dtype != ts[0].dtype for t in ts):
                raise ValueError(f"{rel}: tensor {k!r} differs in shape or dtype: " + ", ".join(  # naming whose
                    f"{r / rel} {tuple(t.shape)} {str(t.dtype).removeprefix('torch.')}" for r, t in zip(roots, ts)))
            if ts[0].is_floating_point():
                if bad := next((r for r, t in zip(roots, ts) if not all_finite(t)), None):  # was: averaged, NaN out
                    raise ValueError(f"{bad / rel}: tensor {k!r} holds NaN or inf (a diverged run's?), and so would "
                                     "the average: leave that checkpoint out, or take an earlier step of its run")
                merged[k] = sum(x * t.float() for x, t in zip(w, ts)).to(ts[0].dtype).contiguous()
            elif all(torch.equal(t, ts[0]) for t in ts):
                merged[k] = ts[0]
            else:
                raise ValueError(f"{rel}: non-floating tensor {k!r} differs between checkpoints")
        save_file(merged, str(dest), metadata=handles[0].metadata())
    # a merged input's adapter is in the average too (weighted): put back beside it, it would count again
    record_merged(out, set().union(*(merged_adapters(r) for r, x in zip(roots, w) if x > 0)))
    card = (roots[0] / "README.md").read_text() if (roots[0] / "README.md").is_file() else ""
    kept = [n for n in PROVENANCE if any((r / n).is_file() for r in roots)]
    (out / "README.md").write_text(card + "\nWeight average of: " + ", ".join(
        f"{n} ({x:.3f})" for n, x in zip(names or map(str, roots), w)) + "\n" + (
        f"\nWhat each was trained on ({', '.join(kept)}) is in its own folder, not copied here.\n" if kept else ""))
    return out


def _parsed(f: Path):
    """A .yaml / .json file's content, parsed; None where it is neither or cannot be read as its kind."""
    import json

    if f.suffix not in (".yaml", ".json"):
        return None
    try:
        return (json.loads(f.read_text()) if f.suffix == ".json" else load_yaml(f)) or {}
    except (OSError, ValueError):
        return None


def _same_settings(a: Path, b: Path) -> bool:
    """Whether two config files differing in bytes hold the same settings (a comment, key order, indent), LoRA
    settings of a part both leave frozen aside (merged fine-tunes': their rank shapes no weight)."""
    old, new = _weighed(_parsed(a), _parsed(b))
    return old is not None and old == new


LORA_KEYS = ("lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "target_modules",
             "lora_token_rows")  # whether LoRA trained the new tokens' rows: no weight's shape either


def _weighed(a, b):
    """Two config.yaml's settings without the LoRA ones of a part both leave ``trainable: frozen`` (after
    ``merge-lora`` the adapters are in the weights: fine-tunes of other ranks average alike); other files as
    they are."""
    def trainable(cfg) -> dict:
        return cfg.get("trainable") if isinstance(cfg, dict) and isinstance(cfg.get("trainable"), dict) else {}

    frozen = {k for k, v in trainable(a).items() if v == "frozen" and trainable(b).get(k) == "frozen"}

    def without(cfg):
        out = dict(cfg)
        if "llm" in frozen and isinstance(cfg.get("llm"), dict):
            out["llm"] = {k: v for k, v in cfg["llm"].items() if k not in LORA_KEYS}
        if "encoder" in frozen and isinstance(cfg.get("encoders"), dict):
            out["encoders"] = {n: {k: v for k, v in e.items() if k not in LORA_KEYS} if isinstance(e, dict) else e
                               for n, e in cfg["encoders"].items()}
        return out

    return (without(a), without(b)) if frozen else (a, b)


def _config_changes(a: Path, b: Path) -> str:
    """The settings two config files (config.yaml, llm/config.json: dtype, tied embeddings) differ in,
    for a message (" (key: old → new; …)"); "" for other files, or where they parse the same."""
    from rsvlm.train.checkpoint import tree_changes

    old, new = _weighed(_parsed(a), _parsed(b))  # None: not readable as its kind: the files alone named
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return ""
    changes = [str(c) for c in tree_changes(old, new)]
    return f" ({'; '.join(changes[:3])}{f'; +{len(changes) - 3} more' if len(changes) > 3 else ''})" if changes else ""


def weights_at(name: str | Path) -> Path:
    """Where checkpoint (or weights file) ``name`` is read: the local path, else the Hugging Face cache's snapshot of
    hub name ``name`` holding a whole checkpoint (``cached_checkpoint``, as chat's ``--model``), else ``Path(name)``
    (which is not there). A hub name is looked up as the string given: str(Path("org/name")) is org\\name on Windows."""
    from rsvlm.model.ckpt_files import cached_checkpoint

    local = Path(name)
    return local if local.exists() else cached_checkpoint(name if isinstance(name, str) else local.as_posix()) or local


def compare_weights(a: str | Path, b: str | Path, progress: bool = False) -> list[dict]:
    """Compare two checkpoints tensor by tensor: two folders (every ``*.safetensors`` under them,
    matched by relative path) or two ``.safetensors`` files. One row per tensor: ``file``, ``name``,
    ``status`` (``same``, ``differs``, ``shape``, ``dtype``, ``only in A`` / ``only in B``) and
    ``max_abs`` (max |a − b| for floating tensors that differ in value or dtype, else 0; NaN/inf at the same places
    on both sides are equal, at other places an infinite gap: ``_value_gap``, whose ``note`` the row then has); a
    ``shape`` row also has ``shape_a`` and ``shape_b`` (tuples: a LoRA of rank 4 against 8 is (4, 16) vs (8, 16)). Exact:
    no tolerance, because the question it answers is whether two runs trained the same weights.
    Files other than safetensors (configs, tokenizers) are not compared; ``progress`` shows a bar
    over the tensors (a 7B pair reads for minutes). Two folders with no weight file in common (one
    empty, or compared at different levels: ``runs/x`` against ``runs/y/final``) are a ValueError. A hub name the
    Hugging Face cache holds a whole checkpoint of is read there (``cached_checkpoint``), as chat's ``--model``."""
    from rsvlm.model.ckpt_files import hub_name_note
    from rsvlm.progress import bar as progress_bar

    pa, pb = weights_at(a), weights_at(b)
    for p, name in ((pa, a), (pb, b)):
        if not p.exists():  # the name as given: str(Path("org/name")) is org\name on Windows
            raise FileNotFoundError(f"{name}: no such checkpoint folder or file{hub_name_note(str(name))}")
    if pa.is_file() != pb.is_file():
        raise ValueError(f"{pa} and {pb}: compare two folders or two files, not one of each")

    if pa.is_file():  # two files: compared whatever their names
        fa, fb = {pa.name: pa}, {pa.name: pb}
    else:
        fa, fb = ({str(f.relative_to(p)): f for f in sorted(p.rglob("*.safetensors")) if f.is_file()} for p in (pa, pb))
    if not fa and not fb:
        raise ValueError(f"{pa} and {pb}: no .safetensors files in either")
    if not set(fa) & set(fb):
        def some(f):
            return ", ".join(sorted(f)[:3]) + (" …" if len(f) > 3 else "") if f else "none"

        raise ValueError(f"{pa} and {pb}: no .safetensors file in common (A has {some(fa)}; B has {some(fb)}); "
                         "compare folders at the same level, e.g. runs/x/final against runs/y/final")
    rows = []
    total = 0
    for rel in set(fa) | set(fb) if progress else ():  # the bar's length, a row each: every header read once more
        keys = set()
        for f in (f for f in (fa.get(rel), fb.get(rel)) if f is not None):
            with contextlib.suppress(ValueError), open_safetensors(f) as h:  # a cut file: named when compared
                keys.update(h.keys())
        total += len(keys)
    with progress_bar(total=total, unit="tensor", desc="compare", disable=not (progress and total)) as bar:  # none where no header reads; closed on an error too
        _compare_files(fa, fb, rows, bar)
    return rows


def _compare_files(fa: dict[str, Path], fb: dict[str, Path], rows: list[dict], bar) -> None:
    """``compare_weights``' rows for the files of A (``fa``) and B (``fb``) by relative path."""
    for rel in sorted(set(fa) | set(fb)):
        if rel not in fb or rel not in fa:
            side, p = ("A", fa[rel]) if rel in fa else ("B", fb[rel])
            with open_safetensors(p) as h:
                rows += [{"file": rel, "name": k, "status": f"only in {side}", "max_abs": 0.0} for k in sorted(h.keys())]
                bar.update(len(h.keys()))
            continue
        with open_safetensors(fa[rel]) as ha, open_safetensors(fb[rel]) as hb:
            ka, kb = set(ha.keys()), set(hb.keys())
            for k in sorted(ka | kb):
                if k not in kb or k not in ka:
                    rows.append({"file": rel, "name": k, "status": "only in " + ("A" if k in ka else "B"), "max_abs": 0.0})
                    bar.update()
                    continue
                x, y = ha.get_tensor(k), hb.get_tensor(k)
                if x.shape != y.shape:  # both shapes kept: the row said 'shape' and not which
                    rows.append({"file": rel, "name": k, "status": "shape", "max_abs": 0.0,
                                 "shape_a": tuple(x.shape), "shape_b": tuple(y.shape)})
                    bar.update()
                    continue
                row = {"file": rel, "name": k, "status": "same", "max_abs": 0.0}
                floating = x.is_floating_point() and y.is_floating_point()
                if not (x.dtype == y.dtype and (torch.equal(x, y) or _same_bits(x, y))):  # NaN != NaN in torch.equal
                    # other values, or another dtype (a bf16 copy of float32 weights): how far they moved
                    row["max_abs"], row["note"] = _value_gap(x, y) if floating and x.numel() else (0.0, None)
                    row["status"] = "dtype" if x.dtype != y.dtype else "differs" if row["max_abs"] or not floating else "same"
                elif floating and not all_finite(x):  # the same bits: NaN/inf there are no difference, but said
                    row["note"] = f"non-finite values at {counted(int((~x.isfinite()).sum()), 'place')} on both sides"
                if row.get("note") is None:
                    row.pop("note", None)
                rows.append(row)
                bar.update()


def _value_gap(x: torch.Tensor, y: torch.Tensor) -> tuple[float, str | None]:
    """(max |x − y|, a note or None) for two floating tensors of one shape that are not bit for bit equal. NaN and
    inf at the same places on both sides (NaN against NaN, inf against inf of one sign) are equal there: the gap is
    that of the finite values (was NaN, inf − inf, for a tensor equal but for a NaN's payload or its dtype); at
    other places they differ by an infinite gap (was NaN where one side held a NaN), the note saying how many."""
    a, b = x.double(), y.double()
    gaps = (a - b).abs_()  # NaN or inf wherever either side is not finite (float32/bf16 values cannot overflow here)
    if math.isfinite(gap := float(gaps.max())):  # all finite: the passes of before stop 76 (the masks took 3.5x)
        return gap, None
    odd_a, odd_b = ~a.isfinite(), ~b.isfinite()
    both = odd_a & odd_b & ((a == b) | (a.isnan() & b.isnan()))  # the same non-finite value on both sides
    unmatched = int((odd_a | odd_b).sum()) - int(both.sum())
    gap = float(gaps.masked_fill_(odd_a | odd_b, 0.0).max())
    if unmatched:
        return float("inf"), (f"non-finite values at {counted(int(odd_a.sum()), 'place')} in A and "
                              f"{int(odd_b.sum())} in B, {unmatched} not matched on the other side")
    return gap, f"non-finite values at {counted(int(both.sum()), 'place')} on both sides" if both.any() else None


def _same_bits(x: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether two tensors of one dtype and shape hold the same bytes (a diverged run's NaN equals itself)."""
    return torch.equal(x.contiguous().reshape(-1).view(torch.uint8), y.contiguous().reshape(-1).view(torch.uint8))


def pickled_note(path: Path) -> str:
    """"; it is a pickled torch.save file …" where ``path``'s first bytes are a zip (torch.save) or a pickle's,
    else "": such a file named .safetensors was 'not readable (header too large)', not saying what it is.
    Reads 9 bytes; nothing is unpickled. A safetensors file's 9th byte opens its JSON header ("{"): a cut one whose
    header size's first byte is 0x80 (one in 32 sizes) is no pickle."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError:
        return ""
    if head[8:9] == b"{":
        return ""
    if head[:4] == b"PK\x03\x04" or (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")):
        return ("; it is a pickled torch.save file named .safetensors, which rsvlm never unpickles: re-save its "
                "tensors with safetensors.torch.save_file")
    return ""


MAX_HEADER = 100 << 20  # safetensors' own limit: a damaged file's first 8 bytes read as a size read the whole file


def safetensors_header(path: Path) -> tuple[int, dict | None]:
    """(the JSON header's length, its tensor entries less ``__metadata__``) of the safetensors file ``path``, read
    alone; None for the entries where the file ends inside the header. ValueError where the first 8 bytes are no
    header size (over ``MAX_HEADER``) or the header is no JSON object; OSError, struct.error where it cannot be read
    or is under 8 bytes. The one reader of ``cut_note`` and ``base_print``'s fingerprint."""
    import json
    import struct

    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        if n > MAX_HEADER:
            raise ValueError(f"{path}: a header of {n} bytes")
        raw = f.read(n)
    if len(raw) < n:
        return n, None
    header = json.loads(raw)
    if not isinstance(header, dict):
        raise ValueError(f"{path}: its header is no JSON object")
    return n, {k: v for k, v in header.items() if k != "__metadata__"}


def cut_note(path: Path) -> str:
    """"; its header promises N bytes but it holds M: cut short …" where ``path``'s safetensors header (read, bounded)
    says the file is longer than it is, else "": safetensors' own words ('incomplete metadata, file not fully
    covered') said neither that nor what to do. Reads the header only (``safetensors_header``)."""
    import struct

    try:
        size = Path(path).stat().st_size
        n, header = safetensors_header(path)
        want = 8 + n + max((int(v["data_offsets"][1]) for v in header.values()), default=0) if header is not None \
            else 8 + n
    except (OSError, ValueError, struct.error, KeyError, TypeError, IndexError, AttributeError):
        return ""
    return (f"; its header promises {want} bytes but it holds {size}: cut short by an interrupted save, copy or "
            "download? copy it again from a whole copy") if want > size else ""


def load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """``safetensors.torch.load_file`` whose failure on a truncated or foreign file names it (ValueError)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except SafetensorError as e:  # truncated by a full disk or an interrupted copy
        raise ValueError(f"{path}: not a readable safetensors file ({e}){pickled_note(path) or cut_note(path)}") from e


def open_safetensors(path: Path):
    """``safetensors.safe_open`` whose failure on a truncated or foreign file names it (ValueError)."""
    from safetensors import SafetensorError, safe_open

    try:
        return safe_open(str(path), framework="pt")
    except SafetensorError as e:
        raise ValueError(f"{path}: not a readable safetensors file ({e}){pickled_note(path) or cut_note(path)}") from e


def all_finite(t: torch.Tensor) -> bool:
    """Whether the floating tensor ``t`` holds no NaN or inf: its min and max, which carry either (one pass; was
    ``isfinite(t).all()``, 7x slower on bf16 on a CPU: 1.6 s against 0.2 s for a rank-64 LoRA of a 7B model, 168M
    values, one thread, at each adapter load)."""
    if t.numel() == 0:
        return True
    try:
        lo, hi = torch.aminmax(t)
    except RuntimeError:  # a dtype it lacks (float8)
        return bool(torch.isfinite(t).all())
    return bool(torch.isfinite(lo)) and bool(torch.isfinite(hi))


def odd_values(path: Path, state: dict[str, torch.Tensor], params: dict[str, torch.Tensor]) -> str | None:
    """Why the tensors ``state`` read from ``path`` cannot be the model's parameters ``params`` (name → built
    tensor) though names and shapes fit, else None: integers where a weight is floating point (torch cast them
    without a word: a foreign or edited file), or NaN/inf in a weight (a diverged run's: every answer garbage)."""
    ints = [k for k, t in state.items() if k in params and params[k].is_floating_point() and not t.is_floating_point()]
    if ints:
        return integers_note(path, ints, str(state[ints[0]].dtype).removeprefix("torch."))
    bad = [k for k, t in state.items() if k in params and t.is_floating_point() and not all_finite(t)]
    return nan_note(path, bad) if bad else None


def integers_note(path: Path, names: list[str], dtype: str) -> str:
    """Why the weights ``names`` of ``path``, stored as integers (the first as ``dtype``), are refused."""
    return (f"{path}: {counted(len(names), 'weight')} stored as integers where the model's are floating point (first: "
            f"{names[0]} {dtype}); not weights rsvlm saved (edited?)")


def nan_note(path: Path, names: list[str]) -> str:
    """Why the weights ``names`` of ``path``, holding NaN or inf, are refused."""
    return (f"{path}: {counted(len(names), 'weight')} hold{'s' * (len(names) == 1)} NaN or inf (first: {', '.join(names[:3])}): the weights of a "
            "diverged run? such a model answers nothing useful; take an earlier step's")


_LORA_A = re.compile(r"lora_(embedding_)?A\.")
_LORA_B = re.compile(r"lora_(embedding_)?B\.")


def lora_note(rows: list[dict], file_of) -> str | None:
    """A plain-words line where ``compare_weights``' differing ``rows`` are all a LoRA adapter's tensors
    (``PEFT_KEY``), else None: an adapter on one side only (unmerged), adapters that differ on the same weights,
    or only lora_A differing while every lora_B is zero (peft's start: untrained adapters, which add nothing).
    ``file_of(rel)``: A's path of the row's file, to read lora_B. Was: a list of lora_A/lora_B names, unexplained."""
    bad = [r for r in rows if r["status"] != "same"]
    if not bad or not all(PEFT_KEY.search(r["name"]) for r in bad):
        return None
    sides = {r["status"] for r in bad}
    if sides <= {"only in A", "only in B"}:
        side = "A" if sides == {"only in A"} else "B" if sides == {"only in B"} else "one side or the other"
        return (f"only LoRA adapter tensors differ, {len(bad)} held by {side} alone; every other weight is the "
                "same: an unmerged adapter against none; merge it (rsvlm merge-lora --model X --out DIR) and "
                "compare the merged models")
    if all(_LORA_A.search(r["name"]) for r in bad):
        b_names: dict[str, list[str]] = {}  # each file's lora_B tensors: the file opened once, not once a tensor
        for r in rows:
            if _LORA_B.search(r["name"]):
                b_names.setdefault(r["file"], []).append(r["name"])
        zero = bool(b_names)
        for rel, names in b_names.items():
            with open_safetensors(file_of(rel)) as h:
                if any(h.get_tensor(name).any() for name in names):
                    zero = False
                    break
        if zero:
            return ("only lora_A differs and every lora_B is zero (peft's start): untrained adapters, which add "
                    "nothing; the two models compute the same, and neither adapter learned anything (a LoRA stage "
                    "that ran no step, or a frozen lora_B?)")
        return ("only lora_A differs, every lora_B and every other weight the same: adapters started from other "
                "seeds whose lora_B did not train (frozen?)")
    return (f"only LoRA adapter tensors differ ({len(bad)}); every other weight is the same: the models differ by "
            "their unmerged adapters alone, trained on the same base; merge them (rsvlm merge-lora --model X "
            "--out DIR) to compare the weights they make")
