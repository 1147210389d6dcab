"""``--dtype`` of chat, predict and eval: the model was always loaded in float32, so a bf16 7B checkpoint (14 GB)
took 28 GB and fit no 24 GB GPU."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO, eval_record, usage_error, write_jsonl

from rsvlm import inference as inf
from rsvlm import loading
from rsvlm.cli import build_parser, main
from rsvlm.model import ImageInput


def head_dtypes(model) -> set:
    """The dtypes of the LLM's output head (peft's wrapper included, a tied embedding being the same weight):
    float32 under a half body since stop 68 (``rsvlm.model.half``: rounded logits tied the location bins)."""
    return {p.dtype for p in model.llm.get_output_embeddings().parameters()}


def weight_dtypes(model) -> set:
    """The dtypes of ``model``'s weights, but for the LLM's LoRA adapters: peft keeps those in float32
    (``autocast_adapter_dtype``) under a half base, for stability, at a few MB; and but for the output head
    (``head_dtypes``), kept float32."""
    head = {id(p) for p in model.llm.get_output_embeddings().parameters()}
    return {p.dtype for n, p in model.named_parameters()
            if id(p) not in head and "lora_" not in n and "trainable_tokens" not in n}


@pytest.fixture(scope="module")
def bf16_ckpt(ckpt, tmp_path_factory):
    """The tiny checkpoint saved in bfloat16, as a bf16 7B is."""
    model, _ = inf.load_model(str(ckpt), "cpu", dtype="bfloat16")
    return model.save_pretrained(tmp_path_factory.mktemp("bf16"))


@pytest.mark.parametrize("command", ["chat", "predict", "eval"])
@pytest.mark.parametrize("given, meant", [("BF16", "bfloat16"), ("torch.float16", "float16"), ("half", "float16"),
                                          ("fp32", "float32"), ("auto", "auto")])
def test_dtype_is_an_option_of_chat_predict_and_eval_in_any_spelling(command, given, meant):
    args = {"chat": [], "predict": ["--image", "a.png", "--task", "cls"], "eval": ["--data", "t", "--out", "p"]}
    parsed = build_parser().parse_args([command, *args[command], "--dtype", given])
    assert parsed.dtype == meant
    assert build_parser().parse_args([command, *args[command]]).dtype == "auto"


def test_a_dtype_rsvlm_does_not_load_in_is_a_usage_error_naming_the_choices(capsys):
    err = usage_error(["predict", "--image", "a.png", "--task", "cls", "--dtype", "int8"], capsys)
    assert "argument --dtype: 'int8' is not a dtype rsvlm loads a model in: auto, float32, bfloat16, float16" in err


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_the_model_loads_in_the_dtype_asked_and_answers_with_images_reaching_the_encoder_in_it(ckpt, dtype):
    """Every weight in the dtype (half float32's bytes; LoRA's and the LM head's aside), the pixels cast to it on
    their way into the encoder, and a greedy answer under the grammar, end to end on the CPU."""
    model, processor = inf.load_model(str(ckpt), "cpu", dtype=dtype)
    assert weight_dtypes(model) == {getattr(torch, dtype)} and head_dtypes(model) == {torch.float32}
    seen = []
    for encoder in model.encoders.values():
        encoder.register_forward_pre_hook(lambda module, args: seen.append(args[0].dtype))
    image = ImageInput(np.random.default_rng(0).random((3, 40, 40)).astype(np.float32))  # (C,H,W)
    messages = [[{"role": "user", "content": inf.user_text("[det] Detect all ships.", [image], True)}]]
    (answer,) = inf.generate_answers(model, processor, messages, [[image]], max_new_tokens=12)
    assert seen == [getattr(torch, dtype)] and answer.cut  # 12 tokens: it wrote on to the limit


def test_auto_is_float32_on_a_cpu_and_the_checkpoints_own_dtype_on_a_gpu(ckpt, bf16_ckpt, monkeypatch):
    assert loading.dtype_of("auto", "cpu", bf16_ckpt) == torch.float32  # every CPU op has float32 kernels
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (8, 0))  # an A100
    assert loading.dtype_of("auto", "cuda", bf16_ckpt) == torch.bfloat16
    assert loading.dtype_of("auto", "cuda", ckpt) == torch.float32
    assert loading.dtype_of("float16", "cuda", bf16_ckpt) == torch.float16
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 0))  # a V100: no bf16
    assert loading.dtype_of("auto", "cuda:0", bf16_ckpt) == torch.float16


def test_auto_reads_an_adapter_only_checkpoints_dtype_from_the_base_it_names(tmp_path, base_dir, monkeypatch):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                                        [f"llm.name_or_path={base_dir}", "llm.config=null"]))
    folder = model.save_pretrained(tmp_path / "ad", adapter_only=True)
    assert not (folder / "llm").exists()
    half_base = tmp_path / "half"
    model.llm.get_base_model().to(torch.float16).save_pretrained(half_base)
    (folder / "config.yaml").write_text((folder / "config.yaml").read_text().replace(str(base_dir), str(half_base)))
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    assert loading.saved_dtype(folder) == torch.float16
    assert loading.dtype_of("auto", "cuda", folder) == torch.float16


def test_with_a_quantised_llm_the_dtype_is_that_of_the_parts_left_unquantised(ckpt):
    model, processor = inf.load_model(str(ckpt), "cpu", load_8bit=True, dtype="bfloat16")
    assert {p.dtype for p in model.encoders.parameters()} == {torch.bfloat16}
    assert model.llm.get_input_embeddings().weight.dtype == torch.bfloat16
    assert torch.int8 in {p.dtype for p in model.llm.parameters()}


def test_a_half_dtype_on_a_cpu_without_its_instructions_is_warned_of_as_slow(ckpt):
    """oneDNN limited to AVX2 (a CPU before AVX512-BF16/AMX): bf16 matrix products ran 8x slower than float32."""
    code = ("import warnings, sys; from rsvlm.loading import load_dtype\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always'); load_dtype('bfloat16', 'cpu', sys.argv[1])\n"
            "print('|'.join(str(x.message) for x in w))")
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"}
    out = subprocess.run([sys.executable, "-c", code, str(ckpt)], env=env, capture_output=True, text=True, check=True)
    assert "--dtype bfloat16: this CPU has no bfloat16 instructions for matrix products (oneDNN), so the model runs " \
           "several times slower than in float32, in half the memory" in out.stdout


def _eval_argv(tmp_path, ckpt, *extra):
    from PIL import Image

    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "a.png")
    data = write_jsonl(tmp_path / "test.jsonl", [eval_record("a", "cls", "[cls] What scene?", "lake")])
    return ["eval", "--data", data, "--out", str(tmp_path / "p.jsonl"), "--model", str(ckpt), "--device", "cpu",
            "--max-new-tokens", "4", *extra]


def test_eval_answers_in_the_dtype_asked_and_stamps_it_so_a_resume_in_another_is_refused(tmp_path, ckpt,
                                                                                         monkeypatch, capsys):
    loaded, load = [], inf.load_model

    def kept(*a, **k):
        model, processor = load(*a, **k)
        loaded.append(model)
        return model, processor

    monkeypatch.setattr(inf, "load_model", kept)
    assert main(_eval_argv(tmp_path, ckpt, "--dtype", "bf16")) == 0
    assert weight_dtypes(loaded[0]) == {torch.bfloat16} and head_dtypes(loaded[0]) == {torch.float32}
    stamp = json.loads((tmp_path / "p.jsonl.run.json").read_text())
    assert stamp["options"]["dtype"] == "bfloat16"
    assert main(_eval_argv(tmp_path, ckpt)) == 2  # auto: float32 on this CPU
    assert "answers given with other options (--dtype bfloat16 → float32)" in capsys.readouterr().err


def test_eval_resumes_an_older_runs_answers_in_float32_the_dtype_it_gave_them_in(tmp_path, ckpt, monkeypatch, capsys):
    """A run.json written before --dtype names none: its answers were float32's, resumed so, not refused."""
    assert main(_eval_argv(tmp_path, ckpt, "--limit", "1")) == 0
    side = tmp_path / "p.jsonl.run.json"
    stamp = json.loads(side.read_text())
    assert stamp["options"].pop("dtype") == "float32"
    side.write_text(json.dumps(stamp))
    monkeypatch.setattr(inf, "load_model", lambda *a, **k: pytest.fail("every record is answered"))
    assert main(_eval_argv(tmp_path, ckpt, "--dtype", "float32")) == 0
    side.write_text(json.dumps(stamp))
    assert main(_eval_argv(tmp_path, ckpt, "--dtype", "bfloat16")) == 2
    assert "answers given with other options (--dtype" in capsys.readouterr().err


def test_loc_error_measures_in_float32_whatever_the_checkpoint_stores(tmp_path, monkeypatch):
    """load_model's auto takes a bf16 checkpoint's own dtype on a GPU: a learning curve would change precision."""
    from eval import loc_error
    from eval.common import ScoreError

    asked = []

    def refuse(*a, **k):
        asked.append(k.get("dtype"))
        raise ValueError("stand-in: no model here")

    monkeypatch.setattr(inf, "load_model", refuse)
    data = write_jsonl(tmp_path / "t.jsonl", [eval_record("a", "ground", "[ground] the ship", "<box>…</box>")])
    with pytest.raises(ScoreError, match="stand-in"):
        loc_error.main(["--data", data, "--tasks", "ground", "--device", "cpu"])
    assert asked == ["float32"]
