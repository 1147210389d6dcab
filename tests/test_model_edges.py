"""Rough edges met when bringing one's own LLM: each test pins a clear error or a fixed silent result."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.config import load_config
from rsvlm.model import ChatSession, ImageInput, VLMConfig, create_model, load_pretrained
from rsvlm.model.llm import build_llm
from rsvlm.tokens import IMAGE_TOKEN

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


def test_adapter_only_save_keeps_a_relative_base_path_loadable_from_elsewhere(tmp_path, base_dir, monkeypatch):
    monkeypatch.chdir(base_dir.parent)
    model, _ = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir.name}", "llm.config=null"]))
    model.save_pretrained(tmp_path / "ad", adapter_only=True)
    monkeypatch.chdir(tmp_path)
    loaded, _ = load_pretrained(tmp_path / "ad")
    assert Path(loaded.cfg.llm.name_or_path) == base_dir.resolve()


def test_adapter_only_with_a_moved_base_says_which_key_to_fix(tmp_path, base_dir):
    import shutil

    base = tmp_path / "base"
    shutil.copytree(base_dir, base)
    model, _ = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base}", "llm.config=null"]))
    model.save_pretrained(tmp_path / "ad", adapter_only=True)
    shutil.rmtree(base)
    with pytest.raises(FileNotFoundError, match=r"llm\.name_or_path in .*config\.yaml"):
        load_pretrained(tmp_path / "ad")


def test_a_lora_target_the_llm_lacks_is_named_not_skipped():
    # peft wraps q_proj and silently skips c_attn (GPT-2's name) while one target matches
    with pytest.raises(ValueError, match=r"llm\.target_modules: \['c_attn'\] match no module.*'q_proj'"):
        create_model(load_config(VLMConfig, TINY, ["llm.target_modules=[q_proj,c_attn]"]))


def test_an_encoder_lora_target_the_tower_lacks_is_named():
    with pytest.raises(ValueError, match=r"encoders\.default\.lora_target_modules: \['fc1'\].*'c_fc'"):
        create_model(load_config(VLMConfig, TINY, ["trainable.encoder=lora",
                                                   "encoders.default.lora_target_modules=[c_fc,fc1]"]))


def _short_context_model(n_ctx):
    torch.manual_seed(0)
    return create_model(load_config(VLMConfig, TINY, [f"llm.config.max_position_embeddings={n_ctx}"]))


def _images(n):
    rng = np.random.default_rng(0)
    return [ImageInput(rng.random((3, 32, 32), dtype=np.float32)) for _ in range(n)]


def test_a_prompt_past_the_llm_context_is_an_error_not_garbage():
    model, proc = _short_context_model(128)  # the byte tokenizer spends 100+ tokens on the system prompt
    batch = proc(proc.chat_prompt([{"role": "user", "content": IMAGE_TOKEN + "hi"}]), _images(1))
    with pytest.raises(ValueError, match=r"prompt is \d+ tokens \(16 of them for images\).*context is 128 tokens"):
        model.generate(**batch, max_new_tokens=2)
    chat = ChatSession(model, proc)
    with pytest.raises(ValueError, match=r"conversation is \d+ tokens.*context is 128.*reset"):
        chat.ask(IMAGE_TOKEN + "hi", images=_images(1))
    assert chat.stats == []


def test_a_long_chat_leaves_out_its_oldest_exchanges_and_answers_as_a_fresh_pass_would():
    model, proc = _short_context_model(256)  # the system prompt and the image turn take about half
    model.eval()
    chat = ChatSession(model, proc, max_new_tokens=4)
    image = _images(1)
    chat.ask(IMAGE_TOKEN + "[cls] what scene?", images=image)
    for k in range(12):  # every exchange adds ~20 tokens: the conversation outgrows 256 - 4 of room
        chat.ask(f"question number {k}, and what else?")
    dropped = [s["dropped_turns"] for s in chat.stats]
    assert dropped[:2] == [0, 0] and sum(dropped) > 0  # was a ValueError once past the context
    users = [m["content"] for m in chat.messages if m["role"] == "user"]
    assert IMAGE_TOKEN in users[0] and users[-1] == "question number 11, and what else?"  # the image turn stays
    assert "question number 0," not in " ".join(users)  # the oldest exchanges went first
    prompt = proc.encode(proc.chat_prompt(chat.messages[:-1], add_generation_prompt=True),
                         [proc.prepare_image(im) for im in image])
    assert len(prompt) + 4 <= 256 and chat.token_ids[:len(prompt)] == prompt
    ref = model.generate(torch.tensor([prompt]), images=[image], max_new_tokens=4, stop_strings=proc.stop_strings)
    assert chat.token_ids[len(prompt):] == ref.tokens[0]  # the cache cut at the dropped turn, as a fresh pass
    with pytest.raises(ValueError, match="context is 256"):  # a turn that cannot fit even alone
        chat.ask("word " * 300)


def test_a_chat_shows_the_model_its_max_history_exchanges_the_image_turn_among_them():
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, ["prompt.max_history=2"]))
    model.eval()
    image = _images(1)
    chat = ChatSession(model, proc, max_new_tokens=3)
    chat.ask(IMAGE_TOKEN + "[cls] what scene?", images=image)
    for k in range(3):
        chat.ask(f"question {k}?")
    assert [s["dropped_turns"] for s in chat.stats] == [0, 0, 0, 1]  # question 0 goes when question 2 is asked
    users = [m["content"] for m in chat.messages if m["role"] == "user"]
    assert len(users) == 3 and IMAGE_TOKEN in users[0] and users[1:] == ["question 1?", "question 2?"]
    prompt = proc.encode(proc.chat_prompt(chat.messages[:-1], add_generation_prompt=True),
                         [proc.prepare_image(im) for im in image])
    ref = model.generate(torch.tensor([prompt]), images=[image], max_new_tokens=3, stop_strings=proc.stop_strings)
    assert chat.token_ids[:len(prompt)] == prompt and chat.token_ids[len(prompt):] == ref.tokens[0]
    every = ChatSession(model, proc, max_new_tokens=3, history="all")  # all the context holds
    every.ask(IMAGE_TOKEN + "[cls] what scene?", images=image)
    for k in range(3):
        every.ask(f"question {k}?")
    assert sum(s["dropped_turns"] for s in every.stats) == 0
    for bad in (-1, "some"):
        with pytest.raises(ValueError, match=r"prompt\.max_history\) must be 'all' or >= 0"):
            ChatSession(model, proc, history=bad)


def test_history_0_asks_every_question_afresh_with_the_images_cached():
    model, proc = _short_context_model(512)
    model.eval()
    pair = _images(2)
    chat = ChatSession(model, proc, max_new_tokens=3, history=0)
    chat.ask("[change] what changed?", images=pair)  # placeholders written as the model's prompt says
    later = chat.ask("[cls] what scene?")
    assert chat.stats[1]["images_encoded"] == 0 and chat.stats[1]["dropped_turns"] == 1
    assert chat.stats[1]["reused"] > 2 * 16  # system prompt and both images' tokens kept from the cache
    users = [m["content"] for m in chat.messages if m["role"] == "user"]
    assert len(users) == 1 and users[0].count(IMAGE_TOKEN) == 2 and users[0].endswith("[cls] what scene?")
    fresh = ChatSession(model, proc, max_new_tokens=3, history=0)  # the same question asked first
    assert fresh.ask(users[0], images=pair) == later and fresh.token_ids == chat.token_ids

    again = ChatSession(model, proc, max_new_tokens=3, history=0)
    with pytest.raises(ValueError, match="context is 512"):  # a failed first turn leaves nothing behind
        again.ask("word " * 600, images=pair[:1])
    again.rollback()
    again.ask("[cls] what scene?", images=pair[:1])
    assert again.ask("[vqa] and now?") and again.stats[-1]["images_encoded"] == 0  # one image, as sent


def test_an_answer_running_past_the_context_warns():
    model, proc = _short_context_model(160)
    batch = proc(proc.chat_prompt([{"role": "user", "content": IMAGE_TOKEN + "hi"}]), _images(1))
    room = 160 - batch["input_ids"].shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.generate(**batch, max_new_tokens=room, constrain=False)
    with pytest.warns(UserWarning, match="past the LLM's context of 160"):
        out = model.generate(**batch, max_new_tokens=room + 5, constrain=False)
    assert len(out.tokens[0]) > room


def test_an_unknown_llm_model_type_is_named_with_close_matches():
    with pytest.raises(ValueError, match=r"llm\.config\.model_type 'lama' is not .*did you mean \[.*'llama'"):
        create_model(load_config(VLMConfig, TINY, ["llm.config.model_type=lama"]))


def test_a_misspelt_llm_config_key_is_refused_and_an_unknown_one_warned():
    # transformers stores any key; 'hidden_sise' built a model of Llama's default width without a word
    with pytest.raises(ValueError, match=r"llm\.config\.hidden_sise is not a LlamaConfig field; did you mean \['hidden_size'\]"):
        create_model(load_config(VLMConfig, TINY, ["llm.config.hidden_sise=64"]))
    with pytest.warns(UserWarning, match=r"llm\.config\.my_note is not a LlamaConfig field"):
        model, _ = create_model(load_config(VLMConfig, TINY, ["llm.config.my_note=1"]))
    assert model.llm.config.get_text_config().my_note == 1  # kept, as transformers keeps it


def test_a_tokenizer_of_another_model_is_refused(tmp_path):
    from transformers import AutoModelForCausalLM, LlamaConfig

    from rsvlm.model.llm import LLMConfig, byte_tokenizer

    AutoModelForCausalLM.from_config(LlamaConfig(vocab_size=260, hidden_size=32, intermediate_size=64,
                                                 num_hidden_layers=1, num_attention_heads=2)).save_pretrained(tmp_path / "llm")
    byte_tokenizer().save_pretrained(tmp_path / "llm")  # its own: 260 ids
    byte_tokenizer(size=300).save_pretrained(tmp_path / "tok")  # another model's: 300 ids
    build_llm(LLMConfig(name_or_path=str(tmp_path / "llm")))
    with pytest.raises(ValueError, match=r"llm.tokenizer .*tok: its ids run to 299 but the LLM .* has 260 embedding"):
        build_llm(LLMConfig(name_or_path=str(tmp_path / "llm"), tokenizer=str(tmp_path / "tok")))


@pytest.mark.parametrize("key", ["llm.lora_r", "encoders.default.lora_r"])
def test_a_lora_rank_below_one_names_its_key(key):
    with pytest.raises(ValueError, match=rf"{key} must be >= 1, got 0"):
        create_model(load_config(VLMConfig, TINY, ["trainable.encoder=lora", f"{key}=0"]))


def test_tokenizer_training_and_loading_mistakes_are_value_errors(tmp_path):
    from rsvlm.tokenizer import load_tokenizer, train_tokenizer

    texts = ["a ship in the harbour", "two planes on the runway"] * 20
    with pytest.raises(ValueError, match="no non-empty texts"):  # an empty RuntimeError from sentencepiece
        train_tokenizer(["", "  "], tmp_path / "t0")
    with pytest.raises(ValueError, match=r"vocab_size 100: Vocabulary size is smaller than required_chars"):
        train_tokenizer(texts, tmp_path / "t1", vocab_size=100)
    with pytest.raises(ValueError, match=r"vocab_size 5000: Vocabulary size too high \(5000\). Please set it to a value <="):
        train_tokenizer(texts, tmp_path / "t2", vocab_size=5000)
    with pytest.raises(FileNotFoundError, match=r"tokenizer: .*nope not found"):  # was "Repo id must be in the form"
        load_tokenizer(tmp_path / "nope")


def test_a_tokenizer_with_no_pad_eos_or_unk_gets_a_pad_token():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from rsvlm.tokens import add_special_tokens

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    bare = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(alphabet)}, merges=[]))
    bare.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok = PreTrainedTokenizerFast(tokenizer_object=bare)
    ids = add_special_tokens(tok)
    assert tok.pad_token_id is not None and tok.pad_token_id not in ids.added
    assert tok.pad_token_id >= 256 and len(tok) == tok.pad_token_id + 1
