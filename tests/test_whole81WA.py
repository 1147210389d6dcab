"""Whole-stop review 81 (WA): a Hugging Face cache holding part of an rsvlm checkpoint (a download cut short: its
config.yaml and vision.safetensors, not yet its llm/ weights) was read as whole by ``--model NAME``, then refused
as "LLM base 'llm' not found …: point llm.name_or_path in …/snapshots/…/config.yaml at the base model's folder",
a file of the cache to edit; it is now said not whole, naming what it lacks and how to fetch it."""

import os
import shutil

import pytest
from conftest import hub_cache


@pytest.mark.parametrize("cut, said", [
    ("llm/model.safetensors", "llm/model.safetensors"),
    ("llm", "llm/"),
    ("tokenizer", "tokenizer/"),
    ("adapter/adapter_model.safetensors", "adapter/adapter_model.safetensors"),
    ("vision.safetensors", "vision.safetensors"),
])
def test_a_cache_cut_short_is_not_read_as_whole(tmp_path, monkeypatch, ckpt, cut, said):
    from rsvlm.loading import resolve_model_dir
    from rsvlm.model.ckpt_files import cached_checkpoint
    from rsvlm.model.weights import compare_weights

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", ckpt)
    assert cached_checkpoint("acme/rsvlm-tiny") == snap  # whole: read there
    gone = snap / cut
    shutil.rmtree(gone) if gone.is_dir() else gone.unlink()
    assert cached_checkpoint("acme/rsvlm-tiny") is None
    tail = (f"the Hugging Face cache holds acme/rsvlm-tiny at {snap} but not whole (no {said}): fetch it whole on a "
            "connected machine (hf download acme/rsvlm-tiny) and give acme/rsvlm-tiny again")
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir("acme/rsvlm-tiny")
    assert str(e.value).endswith(tail + ")")
    with pytest.raises(FileNotFoundError) as e:
        compare_weights("acme/rsvlm-tiny", ckpt)
    assert str(e.value).endswith(tail)


def test_a_symlinked_blob_never_fetched_is_a_part_lacking(tmp_path, monkeypatch, ckpt):
    """huggingface_hub links a snapshot's files into blobs/: a link whose blob is missing is no file."""
    from rsvlm.loading import resolve_model_dir

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", ckpt)
    blobs = snap.parents[1] / "blobs"
    blobs.mkdir()
    for f in [p for p in snap.rglob("*") if p.is_file()]:
        blob = blobs / f"b{len(list(blobs.iterdir()))}"
        f.rename(blob)
        try:
            os.symlink(os.path.relpath(blob, f.parent), f)
        except OSError:
            pytest.skip("no symlinks here")
    assert resolve_model_dir("acme/rsvlm-tiny") == snap  # whole through its links
    (snap / "llm" / "model.safetensors").resolve().unlink()
    with pytest.raises(FileNotFoundError, match=r"but not whole \(no llm/model.safetensors\)"):
        resolve_model_dir("acme/rsvlm-tiny")


def test_merged_fine_tunes_differing_in_lora_token_rows_average(tmp_path):
    """lora_token_rows (whether LoRA trained the new tokens' rows) shapes no weight once merged, as lora_r does not:
    two merged fine-tunes, one of a later stage trained with it off, were refused as 'config.yaml differs
    (llm.lora_token_rows: true → false)'; where the LLM still trains LoRA it is compared."""
    from pathlib import Path

    import torch
    import yaml

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, save_pretrained
    from rsvlm.model.weights import average_checkpoints

    tiny = Path(__file__).resolve().parents[1] / "configs/model/tiny.yaml"
    for mode, refused in (("frozen", False), ("full", True)):
        torch.manual_seed(0)
        model, _ = create_model(load_config(VLMConfig, tiny, [f"trainable.llm={mode}"]))
        a, b = tmp_path / mode / "a", tmp_path / mode / "b"
        save_pretrained(model, a)
        save_pretrained(model, b)
        cfg = yaml.safe_load((b / "config.yaml").read_text())
        assert cfg["llm"]["lora_token_rows"] is True
        cfg["llm"]["lora_token_rows"] = False
        (b / "config.yaml").write_text(yaml.safe_dump(cfg))
        if refused:
            with pytest.raises(ValueError, match=r"\(llm.lora_token_rows: True → False\)"):
                average_checkpoints([a, b], tmp_path / f"avg-{mode}", progress=False)
        else:
            out = average_checkpoints([a, b], tmp_path / f"avg-{mode}", progress=False)
            assert (out / "config.yaml").read_bytes() == (a / "config.yaml").read_bytes()
