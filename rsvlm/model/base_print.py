"""Which base LLM an adapter-only checkpoint's LoRA was trained on: a fingerprint of the base's weight files,
saved beside the adapter (``adapter/rsvlm_base.json``) and compared when the checkpoint is loaded.

A LoRA loaded on another base of the same shapes (another random tiny model of one config, Qwen2.5-0.5B for
Qwen2.5-0.5B-Instruct) loaded and merged without a word. The fingerprint hashes the stored bytes of the base's
safetensors files, those transformers reads (``llm_files.weight_files``: one file or the shards its index lists,
alike), hashing every tensor's name, dtype and shape and the first bytes of a few tensors; so it does not depend
on the dtype or quantisation the base is loaded in; a copy of the base converted to another dtype counts as
another base (``rsvlm merge-lora --force``, ``load_pretrained(any_base=True)``). Older checkpoints have no
fingerprint: the base's name recorded by peft is compared instead.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from rsvlm.model.llm_files import weight_files
from rsvlm.model.weights import safetensors_header

FINGERPRINT = "rsvlm_base.json"
SAMPLED = 8  # tensors whose first bytes are hashed, spread over the sorted names
HEAD_BYTES = 1 << 16


def _tensor_entry(v) -> bool:
    """Whether the header entry ``v`` has the dtype, shape and two ordered offsets a tensor's has."""
    offsets = v.get("data_offsets") if isinstance(v, dict) else None
    return (isinstance(v, dict) and isinstance(v.get("dtype"), str) and isinstance(v.get("shape"), list)
            and isinstance(offsets, list) and len(offsets) == 2 and all(type(x) is int for x in offsets)
            and 0 <= offsets[0] <= offsets[1])


def _headers(files: list[Path]) -> dict[str, tuple[Path, int, dict]]:
    """Tensor name → (file, offset of its data section, its header entry), read from the files' JSON headers."""
    out = {}
    for f in files:
        size, header = safetensors_header(f)
        if header is None:
            raise ValueError(f"{f}: cut inside its header")
        if odd := next((k for k, v in header.items() if not _tensor_entry(v)), None):  # edited: was a TypeError
            raise ValueError(f"{f}: its header entry {odd!r} is no tensor's (dtype, shape, data_offsets)")
        out.update({k: (f, 8 + size, v) for k, v in header.items()})
    return out


def fingerprint(folder: Path, ends: bool = False) -> str | None:
    """A hash of the weights ``folder`` stores, in the safetensors files transformers reads (None where it has none
    or they cannot be read): every tensor's name, dtype and shape, and the first ``HEAD_BYTES`` of ``SAMPLED``
    tensors (the form adapter-only checkpoints record: kept, so theirs still match). ``ends``: the first and last
    ``HEAD_BYTES`` of every tensor instead (``own_llm``'s compare of two folders, recorded nowhere), so a merged LoRA
    on some modules (q_proj, v_proj: a 1 in 4 chance that none of 8 samples met one) or rows appended to the
    embeddings count: a Qwen2.5-0.5B-sized file (1 GB, 290 tensors) takes 60 ms (15 ms the shipped default model's),
    where hashing it whole took 2.1 s (per folder, at every load; a 7B's 15 GB, ~30 s). Cannot: see a change only
    in a tensor's middle (a few embedding rows of tokens the base had; a LoRA full save named back at its base is
    compared whole after the build, ``differing_tensor``)."""
    try:
        heads = _headers([Path(folder) / name for name in weight_files(Path(folder))])
    except (OSError, ValueError, struct.error):  # a cut or foreign file: the load names it
        return None
    if not heads:
        return None
    names = sorted(heads)
    digest = hashlib.sha256()
    for name in names:
        digest.update(f"{name}:{heads[name][2]['dtype']}:{heads[name][2]['shape']};".encode())
    for name in names if ends else names[:: max(1, len(names) // SAMPLED)][:SAMPLED]:
        file, start, entry = heads[name]
        begin, end = entry["data_offsets"]
        with file.open("rb") as h:
            h.seek(start + begin)
            digest.update(h.read(min(end - begin, HEAD_BYTES)))
            if ends and end - begin > HEAD_BYTES:  # the last bytes too (none of the head again)
                h.seek(start + max(begin + HEAD_BYTES, end - HEAD_BYTES))
                digest.update(h.read(end - max(begin + HEAD_BYTES, end - HEAD_BYTES)))
    return digest.hexdigest()[:32]


def base_record(name: str, folder: Path | None) -> str | None:
    """rsvlm_base.json's text for the base ``name`` (its files in ``folder``): the name and the files' fingerprint;
    None without one. Training computes it once and writes it into each step folder (``loop.save_checkpoint``)."""
    if folder is not None and (print_ := fingerprint(folder)) is not None:
        return json.dumps({"base": name, "fingerprint": print_}, indent=1) + "\n"
    return None


def base_moved(step: Path, text: str | None) -> str | None:
    """Where the step folder ``step`` records another base fingerprint (rsvlm_base.json) than this run's ``text``
    (``base_record``'s): a note that its base changed since that step (a resume on it trains its adapter against
    weights it was not trained with); None where either records none or they agree."""
    try:
        was = json.loads((Path(step) / FINGERPRINT).read_text())
        now = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    if not isinstance(was, dict) or not now or was.get("fingerprint") in (None, now["fingerprint"]):
        return None
    return (f"the LLM base {now['base']} holds other weights (fingerprint {now['fingerprint']}) than {step} was "
            f"trained on ({was.get('base')}, fingerprint {was['fingerprint']}, {Path(step) / FINGERPRINT}): the "
            "run goes on with its trained weights on this base; put that base back to resume the same run")


def record_base(adapter: Path, name: str, folder: Path | None) -> str | None:
    """Write ``adapter``/rsvlm_base.json: the base ``name`` and its files' fingerprint. Without one (a base of
    ``.bin`` files alone, none in safetensors; a hub name not cached): nothing written, and a note saying so."""
    if (text := base_record(name, folder)) is not None:
        (Path(adapter) / FINGERPRINT).write_text(text)
        return None
    if folder is not None and (pickles := sorted(p.name for p in Path(folder).glob("*.bin"))):
        # was told only that another base would go uncaught: chat, eval and merge-lora refuse this one (check_files)
        more = f" and {len(pickles) - 2} more" if len(pickles) > 2 else ""  # a sharded base's: was two, uncounted
        return (f"{Path(adapter)}: no {FINGERPRINT} written: the base {name} has no safetensors weights to fingerprint, "
                f"only pickled ones ({', '.join(pickles[:2])}{more}), which rsvlm chat, eval and merge-lora do not load: "
                "they refuse this checkpoint until that base is re-saved with safetensors (save_pretrained), which "
                "also has it recorded")
    why = "has no safetensors weights to fingerprint" if folder is not None else "is no folder here nor in the hub cache"
    return (f"{Path(adapter)}: no {FINGERPRINT} written: the base {name} {why}, so loading or merging this adapter on "
            "another base of the same shapes will not be caught; re-save that base with safetensors (save_pretrained) "
            "to have it recorded")


def read_record(path: Path) -> tuple[str, str]:
    """(base, fingerprint) that the rsvlm_base.json ``path`` records; ValueError "PATH: unreadable (…)" where it is
    no such record (cut, edited)."""
    try:
        saved = json.loads(Path(path).read_text())
        return str(saved["base"]), str(saved["fingerprint"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: unreadable ({type(e).__name__}: {e})") from None


def other_base(adapter: Path, name: str, folder: Path | None) -> tuple[str | None, str | None]:
    """(error, warning) for the adapter in folder ``adapter`` loaded on base ``name`` (files in ``folder``):
    an error where its recorded fingerprint is another base's; a warning where it has none and peft's
    recorded base name is another's (a folder moved keeps its name; a renamed one is only warned of)."""
    recorded = Path(adapter) / FINGERPRINT
    if recorded.is_file():
        try:
            was, want = read_record(recorded)
        except ValueError as e:
            return f"{e}; remove it to load without the base check", None
        got = fingerprint(folder) if folder is not None else None
        if got is not None and got != want:
            return (f"{Path(adapter)}: a LoRA adapter trained on the base {was}, but {name} holds other weights "
                    f"(its files' fingerprint {got}, recorded {want}): the adapter's deltas would be added to weights "
                    f"they were not trained with; point llm.name_or_path at {was}, or, to use this base anyway "
                    f"(the same model in another dtype): rsvlm merge-lora --force merges on it "
                    f"(load_pretrained(..., any_base=True)), and chat, predict and eval load it once {recorded} "
                    "is removed"), None
        return None, None
    try:
        was = json.loads((Path(adapter) / "adapter_config.json").read_text()).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError):  # the load names a cut adapter_config.json
        return None, None
    if was and Path(str(was).rstrip("/")).name != Path(str(name).rstrip("/")).name:
        return None, (f"{Path(adapter)}: peft recorded the base {was}, but it is loaded on {name}; if that is "
                      "another model of the same shapes, the adapter loads without error and answers wrongly")
    return None, None
