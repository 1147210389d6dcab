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


def make_batch(proc):
    rng = np.random.default_rng(0)
    imgs = [ImageInput(rng.random((3, 32, 32), dtype=np.float32)),
            ImageInput(rng.random((2, 32, 32), dtype=np.float32), "sar")]
    return proc(proc.chat_prompt([{"role": "user", "content": f"{IMAGE_TOKEN}{IMAGE_TOKEN}\n[det] ships <loc_3>"}]), imgs)


def perturb_trainables(model, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn(p.shape, generator=g) * 0.05)


def logits_of(model, batch):
    model.eval()
    with torch.no_grad():
        return model(**batch).logits


def test_full_save_load_identical_logits_and_layout(tmp_path):
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY))
    perturb_trainables(model)
    batch = make_batch(proc)
    ref = logits_of(model, batch)
    model.save_pretrained(tmp_path / "ck")
    names = {p.name for p in (tmp_path / "ck").iterdir()}
    assert {"config.yaml", "vision.safetensors", "llm", "adapter", "tokenizer", "README.md"} <= names
    assert not list((tmp_path / "ck").rglob("*.bin")) and not list((tmp_path / "ck").rglob("*.pt"))
    loaded, proc2 = load_pretrained(tmp_path / "ck")
    assert torch.equal(logits_of(loaded, make_batch(proc2)), ref)
    trainable = {n for n, p in loaded.named_parameters() if p.requires_grad}
    assert trainable == {n for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("token_rows", [True, False])
def test_adapter_only_round_trip_and_merge(tmp_path, base_dir, token_rows):
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir}", "llm.config=null",
                                                             f"llm.lora_token_rows={str(token_rows).lower()}"]))
    perturb_trainables(model)
    batch = make_batch(proc)
    ref = logits_of(model, batch)
    model.save_pretrained(tmp_path / "ad", adapter_only=True)
    assert not (tmp_path / "ad" / "llm").exists()
    adapter_cfg = json.loads((tmp_path / "ad" / "adapter" / "adapter_config.json").read_text())
    assert adapter_cfg["base_model_name_or_path"] == str(base_dir)
    loaded, proc2 = load_pretrained(tmp_path / "ad")
    assert torch.equal(logits_of(loaded, make_batch(proc2)), ref)

    (tmp_path / "ad" / "train_config.yaml").write_text("data: {train: runs/x/train.jsonl}\n")  # as training writes
    (tmp_path / "ad" / "training_data.json").write_text('{"scenes": {}}')  # as the build's --ship writes
    merge_lora(tmp_path / "ad", tmp_path / "merged")
    assert (tmp_path / "merged" / "llm").is_dir() and not (tmp_path / "merged" / "adapter").exists()
    assert "runs/x/train.jsonl" in (tmp_path / "merged" / "train_config.yaml").read_text()  # what it learnt from
    assert (tmp_path / "merged" / "training_data.json").read_text() == '{"scenes": {}}'
    merged, proc3 = load_pretrained(tmp_path / "merged")
    torch.testing.assert_close(logits_of(merged, make_batch(proc3)), ref, atol=1e-5, rtol=1e-5)
    assert not any(p.requires_grad for p in merged.llm.parameters())  # merged config says llm: frozen
    with pytest.raises(FileExistsError, match="merged: already exists and is not empty"):
        merge_lora(tmp_path / "ad", tmp_path / "merged")  # would mix two models' files
    # saving merged weights over the adapter checkpoint drops its adapter/, which loading would apply again
    merged.save_pretrained(tmp_path / "ad")
    assert not (tmp_path / "ad" / "adapter").exists()
    again, proc4 = load_pretrained(tmp_path / "ad")
    torch.testing.assert_close(logits_of(again, make_batch(proc4)), ref, atol=1e-5, rtol=1e-5)


def test_adapter_only_needs_a_base_on_disk(tmp_path):
    model, _ = create_model(load_config(VLMConfig, TINY))
    with pytest.raises(ValueError, match="adapter_only save needs llm.name_or_path"):
        model.save_pretrained(tmp_path / "x", adapter_only=True)


def test_unreadable_safetensors_are_named(tmp_path):
    from rsvlm.model.checkpoint import average_checkpoints, compare_weights

    model, _ = create_model(load_config(VLMConfig, TINY))
    model.save_pretrained(tmp_path / "ck")
    f = tmp_path / "ck" / "vision.safetensors"
    f.write_bytes(f.read_bytes()[:100])  # cut short, as by a full disk
    with pytest.raises(ValueError, match=r"ck/vision.safetensors: not a readable safetensors file"):
        load_pretrained(tmp_path / "ck")
    with pytest.raises(ValueError, match=r"ck/vision.safetensors: not a readable safetensors file"):
        compare_weights(f, f)
    for name in ("a", "b"):  # config and tokenizer but no weights: nothing to average
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.yaml").write_text("{}\n")
    with pytest.raises(ValueError, match=r"a: no .safetensors weights to average"):
        average_checkpoints([tmp_path / "a", tmp_path / "b"], tmp_path / "avg")
    assert not (tmp_path / "avg").exists()


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
    ref = logits_of(model, make_batch(proc))
    q, qproc = load_pretrained(tmp_path / "ad", load_in_4bit=bits == 4, load_in_8bit=bits == 8)
    import bitsandbytes as bnb

    kind = bnb.nn.Linear4bit if bits == 4 else bnb.nn.Linear8bitLt
    quantised = [n for n, m in q.llm.named_modules() if isinstance(m, kind)]
    assert len(quantised) == 2 * 7  # every q,k,v,o,gate,up,down of both layers; lm_head left out
    batch = make_batch(qproc)
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
    batch = make_batch(proc)
    model.eval()
    assert int(model(**batch).logits[0, -1].argmax()) >= n_tok  # the padded rows do win the raw argmax
    out = model.generate(batch["input_ids"], batch["attention_mask"], images=batch["images"], max_new_tokens=5,
                         constrain=False)
    assert out.tokens[0] and all(t < n_tok for t in out.tokens[0])
    model.save_pretrained(tmp_path / "ck")
    loaded, proc2 = load_pretrained(tmp_path / "ck")
    assert loaded.llm.get_input_embeddings().weight.shape[0] == rows
    assert torch.equal(logits_of(loaded, make_batch(proc2)), logits_of(model, batch))


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
        perturb_trainables(model, seed)
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
    assert torch.isfinite(logits_of(avg_model, make_batch(avg_proc))).all()
    with pytest.raises(ValueError, match="unmerged LoRA adapter.*merge-lora"):
        average_checkpoints([dirs[0], tmp_path / "lora1"], tmp_path / "bad")
    other = tmp_path / "other"
    shutil.copytree(dirs[1], other)
    text = (other / "config.yaml").read_text()
    assert "lora_r: 4" in text and "pool: 1" in text
    # merged (trainable frozen): another LoRA rank shapes no weight, and averages (tests/test_weights_lead81.py)
    (other / "config.yaml").write_text(text.replace("lora_r: 4", "lora_r: 2", 1).replace("pool: 1", "pool: 2", 1))
    with pytest.raises(ValueError, match=r"config.yaml differs.* \(projector.pool: 1 → 2\): only"):  # lora_r unsaid
        average_checkpoints([dirs[0], other], tmp_path / "bad")
    script = Path(__file__).resolve().parents[1] / "scripts" / "average_checkpoints.py"
    r = subprocess.run([sys.executable, str(script), str(dirs[0]), "--out", str(tmp_path / "bad")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "at least two checkpoints" in r.stderr


def test_compare_weights_finds_every_kind_of_difference(tmp_path):
    """Two copies of a checkpoint compare equal; a changed value, a changed shape, a tensor or a
    file on one side only are each reported by file and name, and the script's exit status says
    whether the weights are identical."""
    import shutil
    import subprocess
    import sys

    from safetensors.torch import load_file, save_file

    from rsvlm.model.checkpoint import compare_weights

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY))
    a = model.save_pretrained(tmp_path / "a")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    rows = compare_weights(a, b)
    assert rows and {r["status"] for r in rows} == {"same"}
    assert {r["file"] for r in rows} == {str(f.relative_to(a)) for f in a.rglob("*.safetensors")}
    assert "vision.safetensors" in {r["file"] for r in rows} and len({r["file"] for r in rows}) > 1
    script = Path(__file__).resolve().parents[1] / "scripts" / "compare_checkpoints.py"
    r = subprocess.run([sys.executable, str(script), str(a), str(b)], capture_output=True, text=True)
    assert r.returncode == 0 and "identical" in r.stdout

    sd = load_file(str(b / "vision.safetensors"))
    name = sorted(k for k in sd if sd[k].is_floating_point() and sd[k].numel() > 1)[0]
    sd[name] = sd[name].clone()
    sd[name].view(-1)[0] += 0.5
    shape_name = sorted(k for k in sd if k != name and sd[k].dim() == 2)[0]
    sd[shape_name] = sd[shape_name][:-1].contiguous()
    gone = sorted(k for k in sd if k not in (name, shape_name))[0]
    del sd[gone]
    sd["extra.weight"] = torch.zeros(3)
    save_file(sd, str(b / "vision.safetensors"))
    save_file({"x": torch.ones(2)}, str(b / "more.safetensors"))
    got = {(r["file"], r["name"]): r for r in compare_weights(a, b) if r["status"] != "same"}
    assert got[("vision.safetensors", name)]["status"] == "differs"
    assert got[("vision.safetensors", name)]["max_abs"] == pytest.approx(0.5, abs=1e-6)
    assert got[("vision.safetensors", shape_name)]["status"] == "shape"
    assert got[("vision.safetensors", gone)]["status"] == "only in A"
    assert got[("vision.safetensors", "extra.weight")]["status"] == "only in B"
    assert got[("more.safetensors", "x")]["status"] == "only in B"
    assert len(got) == 5  # nothing else reported: the other files are untouched
    r = subprocess.run([sys.executable, str(script), str(a), str(b), "--show", "2"], capture_output=True, text=True)
    assert r.returncode == 1 and "5 of" in r.stdout and name in r.stdout  # the largest difference listed first

    single = compare_weights(a / "vision.safetensors", b / "vision.safetensors")
    assert {r["file"] for r in single} == {"vision.safetensors"} and len(single) == len(sd) + 1
    with pytest.raises(ValueError, match="two folders or two files"):
        compare_weights(a, b / "vision.safetensors")
    with pytest.raises(FileNotFoundError, match="nope"):
        compare_weights(a, tmp_path / "nope")


def test_a_missing_local_llm_or_tokenizer_folder_is_named_not_taken_for_a_hub_id(tmp_path, monkeypatch):
    """transformers calls a missing folder a malformed repo id; rsvlm names the config key."""
    import dataclasses

    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()  # so runs/nothing is a local path, not the hub's org 'runs'

    cfg = load_config(VLMConfig, Path(__file__).resolve().parents[1] / "configs/model/tiny.yaml").llm
    for key, path in (("tokenizer", "runs/nowhere/tokenizer"), ("tokenizer", str(tmp_path / "tok")),
                      ("name_or_path", "./llm"), ("name_or_path", "runs/nothing")):
        with pytest.raises(FileNotFoundError, match=rf"llm\.{key}: .* not found \(a local folder"):
            build_llm(dataclasses.replace(cfg, **{key: path}))
