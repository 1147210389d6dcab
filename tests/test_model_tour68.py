"""Stop 68, model: half precision. A model answering in bf16/fp16 rounded its logits to that dtype, so the
1,000 near-tied location bins tied and the argmax took the lowest (bundled model: detection mAP50 0.420 →
0.338 in bf16); the LM head now computes in float32 (``rsvlm.model.half``)."""

import pytest
import torch
from conftest import REPO

from rsvlm import inference as inf
from rsvlm.model.half import float32_head
from rsvlm.model.weights import saved_dtypes


def tiny_bf16_llama(tie: bool):
    """A one-layer Llama in bfloat16 (vocabulary 64), its head tied to its input embedding or not."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    conf = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                       num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=tie)
    return LlamaForCausalLM(conf).to(torch.bfloat16).eval()


def tiny_lora_ckpt(path, tie: bool):
    """``path``: a checkpoint of configs/model/tiny.yaml (its LoRA's token rows under peft's wrapper), tied or not."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml", [f"llm.config.tie_word_embeddings={str(tie).lower()}"])
    create_model(cfg)[0].save_pretrained(path)
    return path


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_a_model_loaded_in_a_half_dtype_gives_float32_logits_from_its_half_body(ckpt, dtype):
    model, _ = inf.load_model(str(ckpt), "cpu", dtype=str(dtype).removeprefix("torch."))
    head = model.llm.get_output_embeddings()
    assert head.weight.dtype == torch.float32
    assert model.llm.get_input_embeddings().weight.dtype == dtype  # the body stays half
    ids = torch.tensor([[5, 9, 17, 33, 2]])  # (1,5)
    with torch.no_grad():
        out = model.llm(input_ids=ids, output_hidden_states=True)
    hidden = out.hidden_states[-1]  # (1,5,D) the final norm's output, in the body's dtype
    assert hidden.dtype == dtype and out.logits.dtype == torch.float32
    exact = hidden.float() @ head.weight.T  # (1,5,V) not rounded to the half dtype
    assert torch.allclose(out.logits, exact, atol=1e-5)
    assert not torch.equal(out.logits, exact.to(dtype).float())  # what the half head gave


def test_a_half_model_saved_again_stores_its_head_in_the_dtype_it_was_loaded_in(ckpt, tmp_path):
    model, _ = inf.load_model(str(ckpt), "cpu", dtype="bfloat16")
    model.save_pretrained(tmp_path / "again")
    stored = saved_dtypes(sorted((tmp_path / "again" / "llm").glob("*.safetensors")))
    assert set(stored.values()) == {torch.bfloat16}, stored


def test_a_float32_model_is_left_as_it_is(ckpt):
    model, _ = inf.load_model(str(ckpt), "cpu", dtype="float32")
    assert float32_head(model.llm) is False
    assert not model.llm.get_output_embeddings()._forward_pre_hooks


def test_a_tied_head_stays_tied_and_its_embedding_feeds_the_half_body():
    """Qwen2.5-0.5B and others tie the head to the input embedding: one weight, now float32, whose
    embedding output is cast back to the body's dtype (a float32 input failed in the bf16 layers)."""
    llm = tiny_bf16_llama(tie=True)
    assert float32_head(llm) is True
    emb, head = llm.get_input_embeddings(), llm.get_output_embeddings()
    assert emb.weight is head.weight and head.weight.dtype == torch.float32
    ids = torch.tensor([[1, 7, 9]])
    assert emb(ids).dtype == torch.bfloat16
    with torch.no_grad():
        logits = llm(input_ids=ids).logits  # (1,3,64)
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
    assert llm.state_dict()["model.embed_tokens.weight"].dtype == torch.bfloat16


def test_the_bundled_model_answers_a_detection_in_bf16():
    """End to end through the grammar: the float32 head under a bf16 body decodes boxes."""
    from rsvlm.io.read import read_image
    from rsvlm.model import ImageInput

    model, processor = inf.load_model(None, "cpu", dtype="bfloat16")
    im = read_image(REPO / "rsvlm/assets/samples/harbour_optical.png", "optical")
    image = ImageInput(im.data, "optical", im.bands)
    messages = [[{"role": "user", "content": inf.user_text("[det] Detect all ships.", [image], True)}]]
    ((text, scores),) = inf.generate_answers(model, processor, messages, [[image]], max_new_tokens=40)
    assert ("<box>" in text or "<obb>" in text) and scores, text


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_a_4bit_load_computes_in_the_dtype_asked(ckpt, dtype):
    """``--load-4bit --dtype D``: the 4-bit layers' matmuls ran in bf16 on a GPU with it, else float32,
    whatever ``--dtype`` said (``--dtype float16`` mixed fp16 activations with bf16 matmuls)."""
    bnb = pytest.importorskip("bitsandbytes")
    model, _ = inf.load_model(str(ckpt), "cpu", load_4bit=True, dtype=dtype)
    computes = {m.compute_dtype for m in model.llm.modules() if isinstance(m, bnb.nn.Linear4bit)}
    assert computes == {getattr(torch, dtype)}
    ids = torch.tensor([[5, 9, 17]])
    with torch.no_grad():
        assert torch.isfinite(model.llm(input_ids=ids).logits).all()


def test_a_tied_lora_checkpoint_loaded_in_bf16_answers_and_saves_back_in_bf16(tmp_path):
    """A tied head under peft's token-row wrapper (``lora_token_rows``): the shared weight goes float32 once,
    the embedding feeds the bf16 body, the logits are float32, and a save stores bf16 as loaded."""
    model, _ = inf.load_model(str(tiny_lora_ckpt(tmp_path / "tied", tie=True)), "cpu", dtype="bfloat16")
    ids = torch.tensor([[5, 9, 17]])
    assert model.embed_tokens(ids).dtype == torch.bfloat16
    with torch.no_grad():
        logits = model.llm(input_ids=ids).logits  # (1,3,V)
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
    model.save_pretrained(tmp_path / "again")
    stored = saved_dtypes([tmp_path / "again" / "llm" / "model.safetensors"])
    assert set(stored.values()) == {torch.bfloat16}
    assert "lm_head.weight" not in stored  # stored once, as tied (two copies of a tied weight were written)
