"""Review of stop 81's model loading (RA): a cached hub name is read by merge-lora and compare_weights as by chat;
the snapshot read is the one refs/main names, or an @revision's; a cache holding part of a checkpoint, or an LLM,
says what to do rather than 'give that folder'; a local folder that hides a cached checkpoint says so; a SigLIP2,
DINOv2 or InternViT tower is named as one."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import hub_cache

REPO = Path(__file__).resolve().parents[1]


def linked_cache(root: Path, repo_id: str, folder: Path, revs: dict[str, str]) -> Path:
    """``folder`` as huggingface_hub caches it (files linked into blobs/) under snapshot ``rev`` for each ref: rev."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    for ref, rev in revs.items():
        for f in (p for p in folder.rglob("*") if p.is_file()):
            data = f.read_bytes()
            blob = repo / "blobs" / hashlib.sha256(data + rev.encode()).hexdigest()
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_bytes(data)
            link = repo / "snapshots" / rev / f.relative_to(folder)
            link.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.symlink(os.path.relpath(blob, link.parent), link)
            except OSError:  # no symlinks here (Windows without the right): huggingface_hub copies then too
                link.write_bytes(data)
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / ref).write_text(rev)
    return repo / "snapshots"


def test_merge_lora_and_compare_weights_read_a_cached_hub_name(tmp_path, monkeypatch, ckpt):
    """`rsvlm merge-lora --model acme/x` was refused as 'no such folder … the Hugging Face cache holds acme/x at
    SNAP: give that folder' while chat loaded it from there; so was compare_checkpoints.py."""
    from rsvlm.cli import main
    from rsvlm.model.weights import compare_weights

    monkeypatch.chdir(tmp_path)
    hub_cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", ckpt)
    assert main(["merge-lora", "--model", "acme/rsvlm-tiny", "--out", str(tmp_path / "merged")]) == 0
    assert (tmp_path / "merged" / "config.yaml").is_file()
    rows = compare_weights("acme/rsvlm-tiny", ckpt)
    assert rows and all(r["status"] == "same" for r in rows)
    with pytest.raises(FileNotFoundError, match="acme/other: no such checkpoint folder or file; rsvlm reads"):
        compare_weights("acme/other", ckpt)  # one the cache does not hold is still refused, naming it


def test_the_snapshot_read_is_refs_mains_or_the_named_revisions(tmp_path, monkeypatch, ckpt):
    """Two snapshots, linked into blobs/ as huggingface_hub writes them: --model acme/x reads the one refs/main
    names, acme/x@v1 (a tag) and acme/x@<commit> the one they name; an @revision the cache lacks was '(no such
    folder)' alone, and now says how to fetch that revision."""
    import huggingface_hub.constants

    from rsvlm.loading import resolve_model_dir

    monkeypatch.chdir(tmp_path)
    snaps = linked_cache(tmp_path / "hub", "acme/rsvlm-tiny", ckpt, {"v1": "aaaa1111", "main": "bbbb2222"})
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    assert resolve_model_dir("acme/rsvlm-tiny") == snaps / "bbbb2222"
    assert resolve_model_dir("acme/rsvlm-tiny@v1") == snaps / "aaaa1111"
    assert resolve_model_dir("acme/rsvlm-tiny@bbbb2222") == snaps / "bbbb2222"
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir("acme/rsvlm-tiny@v9")
    assert "(hf download acme/rsvlm-tiny --revision v9 --local-dir DIR) and give DIR)" in str(e.value)
    (tmp_path / "hub" / "models--acme--rsvlm-tiny" / "refs" / "main").unlink()  # refs/main gone: no snapshot chosen
    with pytest.raises(FileNotFoundError, match="were it a Hugging Face hub name"):
        resolve_model_dir("acme/rsvlm-tiny")


def test_a_cache_holding_part_or_an_llm_says_what_to_do(tmp_path, monkeypatch):
    """A snapshot of config.yaml alone was 'give that folder', which was then refused for its missing
    vision.safetensors; a cached Qwen LLM was the same, then refused as a language model."""
    from rsvlm.loading import resolve_model_dir

    monkeypatch.chdir(tmp_path)
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "config.yaml").write_text("llm: {}\n")
    part = hub_cache(tmp_path / "p", monkeypatch, "acme/part", tmp_path / "part")
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir("acme/part")
    assert str(e.value).endswith(f"the Hugging Face cache holds acme/part at {part} but not whole (no "
                                 "vision.safetensors): fetch it whole on a connected machine (hf download acme/part) "
                                 "and give acme/part again)")
    (tmp_path / "qwen").mkdir()
    (tmp_path / "qwen" / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    llm = hub_cache(tmp_path / "q", monkeypatch, "Qwen/Qwen2-0.5B", tmp_path / "qwen")
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir("Qwen/Qwen2-0.5B")
    assert f"the Hugging Face cache holds Qwen/Qwen2-0.5B at {llm}; it is a Hugging Face language model (qwen2)" \
           in str(e.value)
    assert "give that folder" not in str(e.value)


def test_a_local_folder_hiding_a_cached_checkpoint_says_so(tmp_path, monkeypatch, ckpt):
    """A relative acme/x folder in the working directory comes first (as it should) but was refused as
    '(no config.yaml)' alone, with the checkpoint of that name in the cache unsaid."""
    from rsvlm.loading import resolve_model_dir

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", ckpt)
    (tmp_path / "acme" / "rsvlm-tiny").mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as e:
        resolve_model_dir("acme/rsvlm-tiny")
    assert str(e.value) == ("acme/rsvlm-tiny: not an rsvlm checkpoint (no config.yaml); the Hugging Face cache holds "
                            f"a checkpoint of acme/rsvlm-tiny at {snap}, which this local folder of that name comes "
                            "before: give that folder")
    assert resolve_model_dir(str(snap)) == snap


def test_the_cache_read_is_huggingface_hubs_not_transformers_cache(tmp_path, ckpt):
    """Which cache a hub name is read from, as docs/models.md says: $HF_HUB_CACHE over $HF_HOME/hub; a
    TRANSFORMERS_CACHE at it is not read (transformers 5 reads none either)."""
    linked_cache(tmp_path / "home" / "hub", "acme/rsvlm-tiny", ckpt, {"main": "bbbb2222"})
    code = ("from rsvlm.model.ckpt_files import cached_checkpoint; import sys; "
            "print(cached_checkpoint(sys.argv[1]))")
    clean = {k: v for k, v in os.environ.items()
             if k not in ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE")}

    def found(**env):
        run = subprocess.run([sys.executable, "-c", code, "acme/rsvlm-tiny"], cwd=tmp_path, env={**clean, **env},
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    home = str(tmp_path / "home")
    assert found(HF_HOME=home) == str(tmp_path / "home" / "hub" / "models--acme--rsvlm-tiny" / "snapshots" /
                                      "bbbb2222")
    assert found(HF_HOME=home, HF_HUB_CACHE=str(tmp_path / "elsewhere")) == "None"
    assert found(HF_HOME=str(tmp_path / "none"), TRANSFORMERS_CACHE=str(tmp_path / "home" / "hub")) == "None"


@pytest.mark.parametrize("conf, said", [
    ({"model_type": "siglip2_vision_model", "architectures": ["Siglip2VisionModel"]}, "a SigLIP2 tower"),
    ({"model_type": "dinov2", "architectures": ["Dinov2Model"]}, "a DINOv2 tower"),
    ({"model_type": "intern_vit_6b", "architectures": ["InternVisionModel"]}, "an InternViT tower"),
    ({"model_type": "internlm2", "architectures": ["InternLM2ForCausalLM"]}, "a language model"),
    ({"model_type": "qwen2"}, "a language model"),
    ({"model_type": "siglip_vision_model"}, "a SigLIP tower"),
])
def test_a_non_clip_tower_is_named_as_what_it_is(tmp_path, conf, said):
    """SigLIP2 was called 'a SigLIP tower', a DINOv2 or InternViT 'a tower', an LLM config.json with no
    architectures 'a tower': as an HF LLaVA's vision_config (as --vision-tower, the same words), and given as
    --model."""
    from rsvlm.loading import resolve_model_dir
    from rsvlm.model.convert_llava import not_llava15

    why = not_llava15({"model_type": "llava", "vision_config": conf})
    assert why.startswith(f"its vision_config is {said} (model_type {conf['model_type']}") and why.endswith(
        "not LLaVA-1.5's CLIP ViT")
    if "tower" in said:  # a folder of it as --model: a vision tower rsvlm reads none of, not sent to convert-llava
        (tmp_path / "t").mkdir()
        (tmp_path / "t" / "config.json").write_text(json.dumps(conf))
        with pytest.raises(FileNotFoundError) as e:
            resolve_model_dir(str(tmp_path / "t"))
        assert f"it is a Hugging Face vision tower ({conf['model_type']}) with no language side" in str(e.value)
