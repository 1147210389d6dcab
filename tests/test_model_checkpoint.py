"""Checkpoints: full and adapter-only round trips give identical logits; merge-lora; 4/8-bit loads."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.config import load_config
from rsvlm.model import ImageInput, VLMConfig, create_model, load_pretrained, merge_lora
from rsvlm.model.llm import build_llm
from rsvlm.tokens import IMAGE_TOKEN

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


def _batch(proc):
    rng = np.random.default_rng(0)
    imgs = [ImageInput(rng.random((3, 32, 32), dtype=np.float32)),
            ImageInput(rng.random((2, 32, 32), dtype=np.float32), "sar")]
    return proc(proc.chat_prompt([{"role": "user", "content": f"{IMAGE_TOKEN}{IMAGE_TOKEN}\n[det] ships <loc_3>"}]), imgs)


def _perturb_trainables(model, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn(p.shape, generator=g) * 0.05)


def _logits(model, batch):
    model.eval()
    with torch.no_grad():
        return model(**batch).logits


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    """A tiny random Llama + byte tokenizer saved in HF layout: a stand-in for a downloaded base."""
    cfg = load_config(VLMConfig, TINY)
    llm, tok, _ = build_llm(cfg.llm)
    d = tmp_path_factory.mktemp("base")
    llm.save_pretrained(d)
    tok.save_pretrained(d)
    return d


def test_full_save_load_identical_logits_and_layout(tmp_path):
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY))
    _perturb_trainables(model)
    batch = _batch(proc)
    ref = _logits(model, batch)
    model.save_pretrained(tmp_path / "ck")
    names = {p.name for p in (tmp_path / "ck").iterdir()}
    assert {"config.yaml", "vision.safetensors", "llm", "adapter", "tokenizer", "README.md"} <= names
    assert not list((tmp_path / "ck").rglob("*.bin")) and not list((tmp_path / "ck").rglob("*.pt"))
    loaded, proc2 = load_pretrained(tmp_path / "ck")
    assert torch.equal(_logits(loaded, _batch(proc2)), ref)
    trainable = {n for n, p in loaded.named_parameters() if p.requires_grad}
    assert trainable == {n for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("token_rows", [True, False])
def test_adapter_only_round_trip_and_merge(tmp_path, base_dir, token_rows):
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir}", "llm.config=null",
                                                             f"llm.lora_token_rows={str(token_rows).lower()}"]))
    _perturb_trainables(model)
    batch = _batch(proc)
    ref = _logits(model, batch)
    model.save_pretrained(tmp_path / "ad", adapter_only=True)
    assert not (tmp_path / "ad" / "llm").exists()
    adapter_cfg = json.loads((tmp_path / "ad" / "adapter" / "adapter_config.json").read_text())
    assert adapter_cfg["base_model_name_or_path"] == str(base_dir)
    loaded, proc2 = load_pretrained(tmp_path / "ad")
    assert torch.equal(_logits(loaded, _batch(proc2)), ref)

    merge_lora(tmp_path / "ad", tmp_path / "merged")
    assert (tmp_path / "merged" / "llm").is_dir() and not (tmp_path / "merged" / "adapter").exists()
    merged, proc3 = load_pretrained(tmp_path / "merged")
    torch.testing.assert_close(_logits(merged, _batch(proc3)), ref, atol=1e-5, rtol=1e-5)
    assert not any(p.requires_grad for p in merged.llm.parameters())  # merged config says llm: frozen


def test_adapter_only_needs_a_base_on_disk(tmp_path):
    model, _ = create_model(load_config(VLMConfig, TINY))
    with pytest.raises(ValueError, match="adapter_only save needs llm.name_or_path"):
        model.save_pretrained(tmp_path / "x", adapter_only=True)


def test_missing_vision_keys_are_reported(tmp_path):
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY))
    model.save_pretrained(tmp_path / "ck")
    f = tmp_path / "ck" / "vision.safetensors"
    sd = load_file(str(f))
    sd.pop("projectors.default.net.2.bias")
    sd["stems.thermal.mix"] = torch.zeros(3, 1)
    save_file(sd, str(f))
    with pytest.raises(ValueError, match=r"missing keys \['projectors.default.net.2.bias'\]"):
        load_pretrained(tmp_path / "ck")
    sd["projectors.default.net.2.bias"] = torch.zeros(64)
    save_file(sd, str(f))
    with pytest.warns(UserWarning, match="unexpected keys ignored.*stems.thermal.mix"):
        load_pretrained(tmp_path / "ck")


@pytest.mark.parametrize("bits", [4, 8])
def test_quantised_load_runs_on_cpu_and_trains_lora(tmp_path, base_dir, bits):
    pytest.importorskip("bitsandbytes", reason="bitsandbytes not installed")
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir}", "llm.config=null"]))
    model.save_pretrained(tmp_path / "ad", adapter_only=True)
    ref = _logits(model, _batch(proc))
    q, qproc = load_pretrained(tmp_path / "ad", load_in_4bit=bits == 4, load_in_8bit=bits == 8)
    import bitsandbytes as bnb

    kind = bnb.nn.Linear4bit if bits == 4 else bnb.nn.Linear8bitLt
    quantised = [n for n, m in q.llm.named_modules() if isinstance(m, kind)]
    assert len(quantised) == 2 * 7  # every q,k,v,o,gate,up,down of both layers; lm_head left out
    batch = _batch(qproc)
    out = q(**batch, labels=batch["input_ids"])
    assert torch.isfinite(out.loss)
    err = (out.logits.detach() - ref).abs().max().item()
    assert err < 0.5, f"{bits}-bit logits drift {err}"  # quantisation error, not garbage
    out.loss.backward()
    lora_grads = [p.grad for n, p in q.named_parameters() if "lora_B" in n]
    assert lora_grads and all(g is not None for g in lora_grads)
    gen = q.generate(**batch, max_new_tokens=4)
    assert len(gen.tokens[0]) <= 4 and len(gen.text) == 1
    with pytest.raises(ValueError, match="saved adapter_only"):
        q.save_pretrained(tmp_path / "full")


def test_padded_vocab_rows_round_trip_and_are_never_generated(tmp_path):
    """llm.pad_vocab_multiple rounds the embedding rows up; the rows past the tokenizer hold no
    token, so generation must not pick them even where they would win the argmax."""
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, ["llm.pad_vocab_multiple=64", "trainable.llm=frozen"]))
    n_tok, rows = len(model.tokenizer), model.llm.get_input_embeddings().weight.shape[0]
    assert rows % 64 == 0 and n_tok < rows < n_tok + 64
    with torch.no_grad():  # make every padded row the argmax for any input
        head = model.llm.get_output_embeddings().weight
        head[n_tok:] = head[:n_tok].abs().max() * 50 * torch.sign(torch.randn(rows - n_tok, head.shape[1]))
    batch = _batch(proc)
    model.eval()
    assert int(model(**batch).logits[0, -1].argmax()) >= n_tok  # the padded rows do win the raw argmax
    out = model.generate(batch["input_ids"], batch["attention_mask"], images=batch["images"], max_new_tokens=5,
                         constrain=False)
    assert out.tokens[0] and all(t < n_tok for t in out.tokens[0])
    model.save_pretrained(tmp_path / "ck")
    loaded, proc2 = load_pretrained(tmp_path / "ck")
    assert loaded.llm.get_input_embeddings().weight.shape[0] == rows
    assert torch.equal(_logits(loaded, _batch(proc2)), _logits(model, batch))


def test_pad_vocab_multiple_must_be_positive():
    with pytest.raises(ValueError, match="pad_vocab_multiple must be >= 1"):
        create_model(load_config(VLMConfig, TINY, ["llm.pad_vocab_multiple=0"]))


def test_average_checkpoints_is_the_weighted_mean_and_refuses_mismatches(tmp_path):
    """Two merged fine-tunes of one model average tensor by tensor (vision side and LLM) and load;
    an unmerged adapter checkpoint and a checkpoint of another config are refused by name."""
    import shutil
    import subprocess
    import sys

    from safetensors.torch import load_file

    from rsvlm.model.checkpoint import average_checkpoints

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY))
    dirs = []
    for seed in (1, 2):
        _perturb_trainables(model, seed)
        model.save_pretrained(tmp_path / f"lora{seed}")
        dirs.append(merge_lora(tmp_path / f"lora{seed}", tmp_path / f"full{seed}"))
    out = average_checkpoints(dirs, tmp_path / "avg", weights=[1, 3])
    for rel in ("vision.safetensors", "llm/model.safetensors"):
        a, b, m = (load_file(str(d / rel)) for d in (*dirs, out))
        moved = [k for k in a if a[k].is_floating_point() and not torch.equal(a[k], b[k])]
        assert moved, rel  # the two fine-tunes differ, so the mean is not a copy
        for k in a:
            assert torch.allclose(m[k], 0.25 * a[k] + 0.75 * b[k], atol=1e-6), (rel, k)
    avg_model, avg_proc = load_pretrained(out)
    assert torch.isfinite(_logits(avg_model, _batch(avg_proc))).all()
    with pytest.raises(ValueError, match="unmerged LoRA adapter.*merge-lora"):
        average_checkpoints([dirs[0], tmp_path / "lora1"], tmp_path / "bad")
    other = tmp_path / "other"
    shutil.copytree(dirs[1], other)
    text = (other / "config.yaml").read_text()
    assert "lora_r: 4" in text
    (other / "config.yaml").write_text(text.replace("lora_r: 4", "lora_r: 2", 1))
    with pytest.raises(ValueError, match="config.yaml differs"):
        average_checkpoints([dirs[0], other], tmp_path / "bad")
    script = Path(__file__).resolve().parents[1] / "scripts" / "average_checkpoints.py"
    r = subprocess.run([sys.executable, str(script), str(dirs[0]), "--out", str(tmp_path / "bad")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "at least two checkpoints" in r.stderr
