"""Model internals and the chat session, second tour: a model with a system prompt in chat,
quantised loading of odd-sized layers, checkpointing, the grammar near the token limit,
converting a damaged LLaVA folder."""

import io
from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "model" / "tiny.yaml"


@pytest.fixture(scope="module")
def png(tmp_path_factory):
    from PIL import Image

    d = tmp_path_factory.mktemp("img")
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        Image.fromarray((rng.random((32, 32, 3)) * 255).astype("uint8")).save(d / name)
    return d


@pytest.mark.parametrize("system", ["", "Answer briefly."])
def test_chat_sends_the_image_to_a_model_with_a_system_message(png, system):
    """prompt.system ("" saves the template's default) puts a system message in the session from
    the start; chat took that for an earlier question, so the image was never sent and the first
    /image said the conversation was reset."""
    from rsvlm.chat import ChatREPL

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, ["trainable.llm=frozen", f"prompt.system={system}"]))
    out = io.StringIO()
    repl = ChatREPL(model, proc, out=out, max_new_tokens=3)
    assert repl.load_image([str(png / "a.png")])
    assert "reset" not in out.getvalue()
    repl.handle("[cls] What scene?")
    assert repl.session.stats[-1]["images_encoded"] == 1
    assert repl.session.messages[0]["role"] == "system"
    assert repl.load_image([str(png / "b.png")])  # after a question: a new conversation on the new image
    assert "(new image: conversation reset)" in out.getvalue()
    repl.handle("[cls] And this one?")
    assert repl.session.stats[-1]["images_encoded"] == 1 and repl.session.asked == 1


def _saved_llama(tmp_path, hidden: int, inter: int):
    """A tiny random Llama + byte tokenizer in HF layout: a stand-in for a downloaded base."""
    from rsvlm.model.llm import LLMConfig, build_llm

    llm, tok, _ = build_llm(LLMConfig(config=dict(
        model_type="llama", vocab_size=260, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64)))
    llm.save_pretrained(tmp_path, safe_serialization=True)
    tok.save_pretrained(tmp_path)
    return tmp_path


def test_a_quantised_load_says_which_layers_a_cpu_leaves_unquantised(tmp_path, capfd):
    """bitsandbytes' 4-bit CPU kernel packs weights in blocks of 32 output rows and 64 input
    columns; layers it cannot take stayed fp32 without a word when out_features was odd (an all-odd
    model quantised nothing and transformers said "using eetq"), and an odd in_features was not
    left out at all, so the first no-grad forward failed. 8-bit takes any size: nothing is left out."""
    pytest.importorskip("bitsandbytes")
    import warnings

    import bitsandbytes as bnb

    from rsvlm.model.llm import LLMConfig, build_llm, unquantisable

    base = _saved_llama(tmp_path / "mixed", 64, 80)  # gate/up_proj out 80, down_proj in 80: odd
    with pytest.warns(UserWarning, match=r"load_in_4bit: 3 of 7 linear layers stay unquantised: .*"
                                         r"down_proj \(80->64\), gate_proj \(64->80\), up_proj \(64->80\) are not"):
        q, _, _ = build_llm(LLMConfig(name_or_path=str(base), load_in_4bit=True))
    assert sum(isinstance(m, bnb.nn.Linear4bit) for m in q.modules()) == 4
    x = torch.tensor([[5, 6, 7]])
    with torch.no_grad():  # the CPU kernel's no-grad path is the one that fails on an odd layer
        assert torch.isfinite(q(input_ids=x).logits).all()
    assert unquantisable(str(base), cpu=False) == (["lm_head"], None)  # a GPU takes any size

    capfd.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "stay unquantised" warning for 8-bit
        q, _, _ = build_llm(LLMConfig(name_or_path=str(base), load_in_8bit=True))
    assert sum(isinstance(m, bnb.nn.Linear8bitLt) for m in q.modules()) == 7
    with torch.no_grad():
        assert torch.isfinite(q(input_ids=x).logits).all()

    odd = _saved_llama(tmp_path / "odd", 48, 80)
    with pytest.warns(UserWarning, match=r"load_in_4bit: 7 of 7 .* \(nothing is quantised\)"):
        build_llm(LLMConfig(name_or_path=str(odd), load_in_4bit=True))
    assert "eetq" not in capfd.readouterr().err


def test_building_a_lora_model_keeps_the_bitsandbytes_kernel_line_off_stderr():
    """peft imports bitsandbytes, which on CPUs with AVX512-BF16 logs "pip install kernels"; every
    script that built a LoRA model silenced it itself. Building one is quiet now, and the logger's
    level is left as it was (scoped, not a global setting)."""
    import subprocess
    import sys

    pytest.importorskip("peft")
    code = ("import logging\nfrom rsvlm.config import load_config\nfrom rsvlm.model import VLMConfig, create_model\n"
            f"m, _ = create_model(load_config(VLMConfig, {str(TINY)!r}, ['trainable.encoder=lora']))\n"
            "import peft\nfrom bitsandbytes.functional import has_avx512bf16\n"
            "assert isinstance(m.llm, peft.PeftModel)\n"
            "print('warns' if has_avx512bf16() else 'quiet cpu', logging.getLogger('bitsandbytes.backends.cpu.ops').level)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    if "quiet cpu" in run.stdout:
        pytest.skip("bitsandbytes does not warn on this CPU")
    assert "gemm_4bit_forward" not in run.stderr and "warns 0" in run.stdout


def test_compare_weights_closes_its_bar_when_a_file_is_unreadable(tmp_path, capsys):
    """An unreadable .safetensors partway left the progress bar open; it drew itself again after
    the caller's 'error:' line when it was collected."""
    import gc

    from safetensors.torch import save_file

    from rsvlm.model.checkpoint import compare_weights

    for side in ("a", "b"):
        (tmp_path / side).mkdir()
        for name in ("1.safetensors", "2.safetensors"):
            save_file({"w": torch.ones(3)}, tmp_path / side / name)
    (tmp_path / "b" / "2.safetensors").write_bytes(b"\x00" * 5)  # B's second file is cut
    with pytest.raises(ValueError, match=r"2.safetensors: not a readable safetensors file") as err:
        compare_weights(tmp_path / "a", tmp_path / "b", progress=True)
    assert "compare" in capsys.readouterr().err  # the bar was drawn
    del err
    gc.collect()
    assert capsys.readouterr().err == ""  # and nothing more once the error is out


@pytest.mark.parametrize("encoder", ["lora", "frozen"])
def test_checkpointing_with_lora_gives_the_same_gradients_and_no_warning(encoder):
    """With LoRA on the LLM (and on the encoder, or a frozen one), recomputation changes no gradient;
    turning it on used transformers' deprecated name (a FutureWarning in every run), and a training
    forward built a KV cache it never used (transformers said so under checkpointing)."""
    import warnings

    from rsvlm.model import ImageInput

    def grads(checkpointing: bool):
        torch.manual_seed(0)
        model, proc = create_model(load_config(VLMConfig, TINY, [f"trainable.encoder={encoder}"]))
        with torch.no_grad():  # LoRA B starts at zero, which leaves A without gradient
            for n, p in model.named_parameters():
                if "lora_B" in n:
                    p.add_(0.1)
        model.train()
        if checkpointing:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                model.enable_gradient_checkpointing()
        img = ImageInput(np.random.default_rng(0).random((3, 32, 32), dtype=np.float32))
        batch = proc("<image>\n[cls] What scene? harbour", [img])
        out = model(**batch, labels=batch["input_ids"].clone())
        assert out.past_key_values is None
        out.loss.backward()
        return {n: p.grad for n, p in model.named_parameters() if p.grad is not None}

    plain, ckpt = grads(False), grads(True)
    assert plain.keys() == ckpt.keys()
    assert sum("llm" in n and "lora_A" in n for n in ckpt) == 14
    assert sum("encoders" in n and "lora_A" in n for n in ckpt) == (2 if encoder == "lora" else 0)
    for n in plain:
        torch.testing.assert_close(plain[n], ckpt[n], rtol=1e-5, atol=1e-6, msg=n)


@pytest.mark.parametrize("layout", [{"vision_config": {}}, {"mm_vision_tower": "openai/clip", "mm_hidden_size": 32}])
def test_convert_llava_names_a_cut_or_missing_weight_shard(tmp_path, layout):
    """An interrupted download: a cut shard was a SafetensorError naming no file, and a shard the
    index lists but the folder lacks was, for the HF layout, transformers' bare 'No such file'
    and, for the original layout, a list of the LLM's missing tensor names."""
    import json

    from safetensors.torch import save_file

    from rsvlm.model import convert_llava

    src = tmp_path / "src"
    src.mkdir()
    (src / "config.json").write_text(json.dumps({"model_type": "llava", **layout}))
    (src / "tokenizer.json").write_text("{}")  # only looked for here: the weights are checked first
    save_file({"a": torch.zeros(2)}, src / "model-00001-of-00002.safetensors")
    (src / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    with pytest.raises(FileNotFoundError, match=r"1 weight shard that model.safetensors.index.json lists "
                                                r"is missing: model-00002-of-00002.safetensors"):
        convert_llava(src, tmp_path / "out")
    (src / "model-00002-of-00002.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")  # cut
    with pytest.raises(ValueError, match=r"model-00002-of-00002.safetensors: not a readable safetensors file"):
        convert_llava(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_answer_cut_by_the_token_limit_is_said(png, monkeypatch):
    """Under the grammar a cut answer reads as a whole one (no shape is left open, nothing for the
    codec to report), so chat said nothing when --max-new-tokens ended an answer."""
    from rsvlm.chat import ChatREPL

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, ["trainable.llm=frozen"]))
    out = io.StringIO()
    repl = ChatREPL(model, proc, out=out, max_new_tokens=3)  # a random model writes on past 3 tokens
    repl.load_image([str(png / "a.png")])
    repl.handle("[det] Detect every ship.")
    assert repl.session.stats[-1]["cut"] and repl.session.stats[-1]["new_tokens"] == 3
    assert "note: the answer reached the token limit (3 tokens); it may be cut: --max-new-tokens" in out.getvalue()
    batch = proc(proc.chat_prompt(repl.session.messages[:-1]), repl.session.pixels)
    assert model.generate(**batch, max_new_tokens=3).finished == [False]

    monkeypatch.setattr(model, "eos_ids", lambda: set(range(len(model.tokenizer))))  # any token ends it
    assert model.generate(**batch, max_new_tokens=3).finished == [True]
    out.truncate(0)
    repl.handle("[cap] Describe the scene.")  # [cls] takes no end before a word (f60d94a); a caption may end at once
    assert not repl.session.stats[-1]["cut"] and "token limit" not in out.getvalue()
