"""Tour 54 of checkpoints: merge-lora, LoRA/merged/bf16 round trips, damaged step folders, export_step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import step_folders
from test_model_checkpoint import TINY, logits_of, make_batch, perturb_trainables

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model, load_pretrained, merge_lora
from rsvlm.model.checkpoint import saved_dtypes


def _lora_ckpt(root: Path, *overrides: str, dtype: torch.dtype | None = None) -> Path:
    """A tiny LoRA checkpoint (llm/ + adapter/) whose trainable weights moved off their start."""
    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY, list(overrides)), dtype=dtype)
    perturb_trainables(model)
    return model.save_pretrained(root)


def test_merging_a_bf16_checkpoint_keeps_bf16_and_its_answers(tmp_path):
    """merge_lora loaded the checkpoint in float32 and wrote it so: a bf16 7B grew from 14 to 28 GB."""
    src = _lora_ckpt(tmp_path / "bf16", dtype=torch.bfloat16)
    merged = merge_lora(src, tmp_path / "merged")
    for rel in ("vision.safetensors", "llm/model.safetensors"):
        assert set(saved_dtypes([merged / rel]).values()) == {torch.bfloat16}, rel
    lora, proc = load_pretrained(src)
    ref = logits_of(lora, make_batch(proc))
    again, proc2 = load_pretrained(merged)
    torch.testing.assert_close(logits_of(again, make_batch(proc2)), ref, atol=0.05, rtol=0.05)  # bf16 rounding of W + BA


class _Boom:
    """A pickle that runs a command when unpickled (weights_only loading refuses it with a traceback)."""

    def __reduce__(self):
        import os

        return os.system, ("true",)


@pytest.mark.parametrize("layout", ["renamed", "shard_missing", "no_config"])
def test_an_llm_folder_without_hf_safetensors_names_is_refused_not_unpickled(tmp_path, monkeypatch, layout):
    """Any *.safetensors in llm/ passed the check, and transformers then read pytorch_model.bin beside it
    (an UnpicklingError traceback); a sharded llm/ with a shard gone was a list of tensor names."""
    import json
    import shutil

    src = _lora_ckpt(tmp_path / "ck")
    llm = src / "llm"
    if layout == "renamed":  # e.g. a user's copy that kept only some file under another name
        (llm / "model.safetensors").rename(llm / "weights.safetensors")
        torch.save({"x": _Boom()}, llm / "pytorch_model.bin")
        says = r"llm: no \*\.safetensors LLM weights under a name .*weights\.safetensors is neither.*pytorch_model\.bin"
    elif layout == "no_config":  # was transformers' 'Unrecognized model in …llm. Should have a model_type key'
        (llm / "config.json").unlink()
        says = r"llm: no config.json \(the LLM's Hugging Face config"
    else:
        shutil.move(llm / "model.safetensors", llm / "model-00001-of-00002.safetensors")
        (llm / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
            "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
        says = r"llm: 1 weight shard that model.safetensors.index.json lists is missing: model-00002-of-00002"
    def unpickled(*a, **k):
        raise AssertionError("torch.load was called: a pickle was read")

    monkeypatch.setattr(torch, "load", unpickled)
    with pytest.raises(FileNotFoundError, match=says):
        merge_lora(src, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


def _load_step(folder: Path, name: str) -> None:
    """Read ``name`` of a ``conftest.step_folders`` folder as the resume does."""
    from rsvlm.train import checkpoint as ckpt

    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters())
    if name.startswith("rng"):
        ckpt.load_rng(folder, 0)
    elif name.startswith("trainer_state"):
        ckpt.load_trainer_state(folder, 0)
    else:
        ckpt.load_plain(folder, model, opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0))


@pytest.mark.parametrize("name", ["trainable.safetensors", "optimizer.safetensors", "optimizer.json", "scheduler.json",
                                  "rng_rank0.json", "rng_rank0.safetensors", "trainer_state_rank0.json"])
def test_a_cut_file_of_a_step_folder_is_named_before_the_resume_starts(tmp_path, name):
    """A resume saw only that the files were there: it built the model, then died on a SafetensorError
    traceback or a JSONDecodeError naming no file (export_step too, on trainable.safetensors)."""
    from rsvlm.train import checkpoint as ckpt

    folder = step_folders(tmp_path / "checkpoints")
    ckpt.check_step_readable(folder, 0, deepspeed=False)  # whole: passes
    (folder / name).write_bytes((folder / name).read_bytes()[:-7])
    ckpt.check_step_folder(folder, 0, deepspeed=False)  # every file is there
    earlier = ckpt.step_dir(tmp_path / "checkpoints", 1)
    with pytest.raises(ValueError, match=rf"step_000002/{name}: .*; resume from the step before it, "
                                         rf"ckpt.resume={earlier}"):
        ckpt.check_step_readable(folder, 0, deepspeed=False)
    with pytest.raises(ValueError, match=rf"step_000002/{name}: .*; resume from the step before it"):
        _load_step(folder, name)  # what the resume reads, once the model is built


def test_export_step_of_a_missing_step_names_the_steps_there(tmp_path, monkeypatch, capsys, ckpt):
    """A step ckpt.keep had pruned was 'no train_config.yaml (not a step folder of rsvlm train)'; a run's
    final/ was 'not a step folder of rsvlm train', though it is the model export_step would write."""
    from script_loader import load_script

    export = load_script("export_step", monkeypatch)
    step_folders(tmp_path / "checkpoints")
    gone = tmp_path / "checkpoints" / "step_000009"
    assert export.main([str(gone), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{gone}: no such folder; {gone.parent} holds step_000001, step_000002" in err, err
    assert not (tmp_path / "out").exists()
    assert export.main([str(ckpt), "--out", str(tmp_path / "out")]) == 2
    assert f"{ckpt}: not a step folder but a model folder already (config.yaml, vision.safetensors); use it as it" \
        in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_failed_merge_leaves_no_half_written_out_and_never_writes_inside_its_source(tmp_path, monkeypatch):
    """A merge that died half-way (a full disk, Ctrl-C) left llm/ and vision.safetensors in --out: a
    model that loads wrong, and the rerun was refused as 'not empty'. --out inside the source nested a
    checkpoint in a checkpoint, which every rglob over the source (averaging, comparing) then met."""
    import rsvlm.model.merge as ck  # merge_lora saves through the name it imported

    src = _lora_ckpt(tmp_path / "ck")
    with pytest.raises(ValueError, match=rf"{src}/merged: inside the checkpoint {src}; merge into a folder outside"):
        merge_lora(src, src / "merged")
    assert not (src / "merged").exists()
    save = ck.save_pretrained

    def disk_full(model, out):
        save(model, out)  # everything written but the provenance copy
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ck, "save_pretrained", disk_full)
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "new", tmp_path / "empty"):
        with pytest.raises(OSError, match="No space left"):
            merge_lora(src, out)
        assert (out == tmp_path / "empty") == out.exists() and not (out.exists() and any(out.iterdir())), out
    monkeypatch.setattr(ck, "save_pretrained", save)
    assert (merge_lora(src, tmp_path / "new") / "vision.safetensors").is_file()  # the rerun is not refused


def test_averaging_merged_fine_tunes_of_two_runs_is_not_refused_for_their_train_configs(tmp_path):
    """merge-lora copies each run's train_config.yaml (and training_data.json) along, and the average
    compared them byte for byte: two fine-tunes of one start (another lr, out_dir) were always 'differs'."""
    from test_scripts_checkpoints import fake_ckpt

    from rsvlm.model.checkpoint import average_checkpoints

    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    (a / "train_config.yaml").write_text("out_dir: runs/a\noptim: {lr: 0.001}\n")
    (b / "train_config.yaml").write_text("out_dir: runs/b\noptim: {lr: 0.0005}\n")
    (b / "training_data.json").write_text("{}")
    out = average_checkpoints([a, b], tmp_path / "avg")
    assert not (out / "train_config.yaml").exists() and not (out / "training_data.json").exists()  # neither's alone
    assert "What each was trained on (train_config.yaml, training_data.json) is in its own folder" in (
        out / "README.md").read_text()
    (b / "config.yaml").write_text("encoders: {x: 1}\nllm: {lora_r: 2}\n")  # the model's own files are compared,
    with pytest.raises(ValueError, match=r"config.yaml differs from .*a/config.yaml \(encoders.x: None → 1; "
                                         r"llm.lora_r: None → 2\): only checkpoints of one config"):  # naming how
        average_checkpoints([a, b], tmp_path / "avg2")


def test_converting_an_fp16_llava_keeps_fp16_and_a_stopped_one_leaves_nothing(tmp_path, monkeypatch):
    """convert_llava built and wrote float32 whatever the source held: GeoChat-7B's 14 GB of fp16 came out
    at 28 GB. The conversion still runs in float32; the weights are written as the source stored them.
    A conversion stopped while writing left its --out half-written."""
    import json

    import test_model_llava as lv
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

    from rsvlm.model import convert_llava
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.tokens import IMAGE_TOKEN

    tok = byte_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    image_id = tok.convert_tokens_to_ids(IMAGE_TOKEN)
    torch.manual_seed(0)
    hf = LlavaForConditionalGeneration(LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                                       image_size=32, patch_size=8, projection_dim=32),
        text_config=LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                num_attention_heads=4, num_key_value_heads=2),
        image_token_id=image_id)).eval()
    hf.to(torch.float16).save_pretrained(tmp_path / "hf16")
    tok.save_pretrained(tmp_path / "hf16")
    hf.float()  # the reference: fp16 weights computed in float32, as load_pretrained runs them
    assert json.loads((tmp_path / "hf16" / "config.json").read_text())["dtype"] == "float16"
    out = convert_llava(tmp_path / "hf16", tmp_path / "ck")
    for rel in ("vision.safetensors", "llm/model.safetensors"):
        assert set(saved_dtypes([out / rel]).values()) == {torch.float16}, rel
    model, proc = load_pretrained(out)
    model.eval()
    _, batch, pixel_values = lv.llava_inputs(proc, 16, image_id)
    with torch.no_grad():
        ours = model(**batch).logits
        theirs = hf(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], pixel_values=pixel_values).logits
    assert (ours[..., : theirs.shape[-1]] - theirs).abs().max().item() <= 1e-4

    import rsvlm.model.checkpoint as ck

    def stopped(model, out):  # Ctrl-C once vision.safetensors and the tokenizer are written
        (out / "tokenizer").mkdir(parents=True)
        (out / "vision.safetensors").write_bytes(b"")
        raise KeyboardInterrupt

    monkeypatch.setattr(ck, "save_pretrained", stopped)
    with pytest.raises(KeyboardInterrupt):
        convert_llava(tmp_path / "hf16", tmp_path / "cut")
    assert not (tmp_path / "cut").exists()  # was left half-written: it loaded as a broken model, and blocked a rerun


def test_merge_lora_folds_the_encoders_lora_in_too_and_averaging_refuses_lora_factors(tmp_path):
    """Encoder LoRA stayed as factors in vision.safetensors after merge-lora, and average_checkpoints
    (which refused only an adapter/) averaged those A and B apart: a model no fine-tune ever was."""
    from rsvlm.model.checkpoint import average_checkpoints, open_safetensors

    src = _lora_ckpt(tmp_path / "ck", "trainable.encoder=lora")  # lora_B moved off zero: the factors count
    lora, proc = load_pretrained(src)
    ref = logits_of(lora, make_batch(proc))
    merged = merge_lora(src, tmp_path / "merged")
    with open_safetensors(merged / "vision.safetensors") as h:
        assert not [k for k in h.keys() if "lora_" in k or "base_layer" in k]
    again, proc2 = load_pretrained(merged)
    assert again.cfg.trainable.encoder == "frozen"
    torch.testing.assert_close(logits_of(again, make_batch(proc2)), ref, atol=1e-5, rtol=1e-5)
    full = _lora_ckpt(tmp_path / "full", "trainable.encoder=lora", "trainable.llm=full")  # no adapter/: was averaged
    with pytest.raises(ValueError, match=r"vision.safetensors: holds LoRA factors \(encoders\..*lora_A.*merge-lora"):
        average_checkpoints([full, _lora_ckpt(tmp_path / "full2", "trainable.encoder=lora", "trainable.llm=full")],
                            tmp_path / "avg")


def test_compare_tells_a_dtype_change_from_a_shape_change_and_says_how_far_values_moved(tmp_path):
    """A bf16 copy of a float32 checkpoint was 'shape' for every tensor, with |Δ| 0: as if nothing of it
    could be compared, though every tensor has the same shape and values within bf16 rounding."""
    from safetensors.torch import save_file

    from rsvlm.model.checkpoint import compare_weights

    t = torch.tensor([1.0, 1.0 + 2 ** -10, 3.0])  # the middle value is not a bf16 number
    save_file({"w": t, "s": torch.ones(2, 2)}, str(tmp_path / "a.safetensors"))
    save_file({"w": t.bfloat16(), "s": torch.ones(4)}, str(tmp_path / "b.safetensors"))
    rows = {r["name"]: r for r in compare_weights(tmp_path / "a.safetensors", tmp_path / "b.safetensors")}
    assert rows["w"]["status"] == "dtype" and rows["w"]["max_abs"] == pytest.approx(2 ** -10)
    assert rows["s"]["status"] == "shape" and rows["s"]["max_abs"] == 0.0


def test_an_adapter_only_save_over_a_full_one_drops_its_stale_llm_but_never_the_base(tmp_path, base_dir):
    """The older llm/ stayed beside an adapter that names another base: a second LLM (7B: 14 GB) that
    averaging and comparing read as part of the model; a base that is that llm/ must stay."""
    full = _lora_ckpt(tmp_path / "ck")
    assert (full / "llm").is_dir()
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir}", "llm.config=null"]))
    model.save_pretrained(full, adapter_only=True)
    assert not (full / "llm").exists()
    loaded, _ = load_pretrained(full)
    torch.testing.assert_close(logits_of(loaded, make_batch(proc)), logits_of(model, make_batch(proc)))
    own = _lora_ckpt(tmp_path / "own")  # loaded, its base is own/llm: saving adapter-only back keeps it
    again, _ = load_pretrained(own)
    again.save_pretrained(own, adapter_only=True)
    assert (own / "llm" / "model.safetensors").is_file() and load_pretrained(own)


def test_a_run_out_dir_or_step_folder_given_as_a_model_says_where_the_model_is(tmp_path):
    """`rsvlm merge-lora --model runs/x` (or chat, eval) said only 'not an rsvlm checkpoint (no config.yaml)'."""
    step = step_folders(tmp_path / "run" / "checkpoints")
    (tmp_path / "run" / "final").mkdir()
    (tmp_path / "run" / "final" / "config.yaml").write_text("{}\n")
    with pytest.raises(FileNotFoundError, match=rf"run: not an rsvlm checkpoint \(no config.yaml\); it is a training "
                                                rf"run's out_dir, whose model is {tmp_path / 'run' / 'final'}"):
        merge_lora(tmp_path / "run", tmp_path / "merged")
    with pytest.raises(FileNotFoundError, match=r"step_000002: not an rsvlm checkpoint \(no config.yaml\); it is a "
                                                r"training step folder: write it as a model with scripts/export_step"):
        load_pretrained(step)


def test_a_tensor_averaging_cannot_mix_names_each_checkpoint_with_its_shape_and_dtype(tmp_path):
    """'vision.safetensors: tensor 'v' differs in shape or dtype ([((2, 3), 'torch.float32'), …])' named
    neither checkpoint: which of five inputs is the bf16 one?"""
    from safetensors.torch import save_file
    from test_scripts_checkpoints import fake_ckpt

    from rsvlm.model.checkpoint import average_checkpoints

    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    save_file({"v": torch.ones(2, 3, dtype=torch.bfloat16)}, str(b / "vision.safetensors"))
    with pytest.raises(ValueError, match=rf"tensor 'v' differs in shape or dtype: {a}/vision.safetensors \(2, 3\) "
                                         rf"float32, {b}/vision.safetensors \(2, 3\) bfloat16"):
        average_checkpoints([a, b], tmp_path / "avg")


@pytest.mark.parametrize("bits", [4, 8])
def test_merging_an_adapter_whose_config_says_quantised_merges_into_the_full_precision_base(tmp_path, base_dir, bits):
    """A config.yaml with llm.load_in_4bit: true (hand-set, or another tool's) made merge-lora load the base
    quantised and fail on 'only Tensors of floating point dtype can require gradients'."""
    pytest.importorskip("bitsandbytes", reason="bitsandbytes not installed")
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir}", "llm.config=null"]))
    perturb_trainables(model)
    src = model.save_pretrained(tmp_path / "ad", adapter_only=True)
    text = (src / "config.yaml").read_text()
    assert f"load_in_{bits}bit: false" in text
    (src / "config.yaml").write_text(text.replace(f"load_in_{bits}bit: false", f"load_in_{bits}bit: true"))
    merged, proc2 = load_pretrained(merge_lora(src, tmp_path / "merged"))
    torch.testing.assert_close(logits_of(merged, make_batch(proc2)), logits_of(model, make_batch(proc)), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("bits", [4, 8])
def test_a_full_fine_tune_loads_4_or_8_bit_to_answer(tmp_path, bits):
    """`rsvlm chat --model FULL --load-4bit` on a checkpoint trained with trainable.llm: full (or merged from
    one that was) failed: 'a 4/8-bit LLM cannot be trained full'. Loaded to answer, its LLM is frozen."""
    pytest.importorskip("bitsandbytes", reason="bitsandbytes not installed")
    src = _lora_ckpt(tmp_path / "full", "trainable.llm=full")
    ref, proc = load_pretrained(src)
    q, qproc = load_pretrained(src, load_in_4bit=bits == 4, load_in_8bit=bits == 8)
    assert q.cfg.trainable.llm == "frozen" and not any(p.requires_grad for p in q.llm.parameters())
    err = (logits_of(q, make_batch(qproc)) - logits_of(ref, make_batch(proc))).abs().max().item()
    assert err < 0.5, f"{bits}-bit logits drift {err}"  # quantisation error, not garbage


def test_merge_lora_cli_notes_no_adapter_only_where_nothing_is_merged_and_ctrl_c_is_one_line(tmp_path, monkeypatch,
                                                                                              capsys):
    """The note 'holds no LoRA adapter' was said of a checkpoint whose encoder LoRA merge-lora folds in."""
    from rsvlm import model as rsvlm_model
    from rsvlm.cli import main

    enc = _lora_ckpt(tmp_path / "enc", "trainable.encoder=lora", "trainable.llm=full")  # no adapter/
    assert main(["merge-lora", "--model", str(enc), "--out", str(tmp_path / "m1")]) == 0
    assert "holds no LoRA adapter" not in capsys.readouterr().out
    plain = merge_lora(enc, tmp_path / "m2")  # merged: nothing left to merge
    assert main(["merge-lora", "--model", str(plain), "--out", str(tmp_path / "m3")]) == 0
    assert "holds no LoRA adapter (no adapter/, no encoder LoRA)" in capsys.readouterr().out

    def interrupted(src, out, **_):
        raise KeyboardInterrupt

    monkeypatch.setattr(rsvlm_model, "merge_lora", interrupted)
    assert main(["merge-lora", "--model", str(enc), "--out", str(tmp_path / "m4")]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"rsvlm merge-lora: interrupted; nothing written to {tmp_path / 'm4'}"], err
