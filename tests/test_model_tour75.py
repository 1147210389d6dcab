"""Stop 75, model vocabulary: rsvlm's added tokens on a base's spare embedding rows (Qwen2.5: 151,936 rows for
151,665 tokenizer entries) kept those untrained rows; they now start at the mean of the base's own rows, as
transformers' mean resizing starts new ones, and a token the base had (a converted LLaVA's ``<image>``) keeps its
trained row. The base's size is recorded (``llm.base_vocab``) so an adapter-only load starts them alike."""

import pytest
import torch
import yaml
from conftest import REPO

SPARE = 40  # rows past the base tokenizer, as Qwen2.5 has 271
JUNK = 100.0  # what the spare rows hold: far from any trained row


def spare_base(path, extra_tokens=()):
    """A tiny untied Qwen2 (and its byte tokenizer, ``extra_tokens`` added) saved in ``path``, with ``SPARE`` embedding
    and head rows past the tokenizer holding ``JUNK``; returns the tokenizer's length."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from rsvlm.model.llm import byte_tokenizer

    tok = byte_tokenizer()
    if extra_tokens:
        tok.add_special_tokens({"additional_special_tokens": list(extra_tokens)})
    n = len(tok)
    torch.manual_seed(0)
    llm = Qwen2ForCausalLM(Qwen2Config(vocab_size=n + SPARE, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                       num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=False))
    with torch.no_grad():
        llm.model.embed_tokens.weight[n:] = JUNK
        llm.lm_head.weight[n:] = JUNK
    llm.save_pretrained(path)
    tok.save_pretrained(path)
    return n


@pytest.fixture(scope="module")
def qwen_base(tmp_path_factory):
    path = tmp_path_factory.mktemp("spare-base")
    return path, spare_base(path)


def tables(llm):
    return llm.get_input_embeddings().weight.detach(), llm.get_output_embeddings().weight.detach()


def test_rsvlm_tokens_on_a_bases_spare_rows_start_at_the_mean_of_its_own_rows(qwen_base):
    from transformers import AutoModelForCausalLM

    from rsvlm.model.llm import LLMConfig, build_llm

    path, n = qwen_base
    llm, tok, ids = build_llm(LLMConfig(name_or_path=str(path)))
    assert ids.base == n and min(ids.added) == n  # the first SPARE of them on the spare rows
    saved = tables(AutoModelForCausalLM.from_pretrained(path))
    for table, old in zip(tables(llm), saved):
        assert table.shape[0] == len(tok)
        assert torch.equal(table[:n], old[:n])  # the base's own rows as trained
        assert (table[n:] - old[:n].mean(0)).abs().max() < 1e-3  # was JUNK on the first SPARE rows


def test_a_token_the_base_had_keeps_its_trained_row(tmp_path):
    """A converted LLaVA's ``<image>`` (id below the base's size): a mean fill that reset it was backed out at stop 74."""
    from rsvlm.model.llm import LLMConfig, build_llm

    n = spare_base(tmp_path, ["<image>"])
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tmp_path)
    with torch.no_grad():
        base.model.embed_tokens.weight[n - 1] = 7.0  # <image>'s trained row
        base.lm_head.weight[n - 1] = -7.0
    base.save_pretrained(tmp_path)
    llm, tok, ids = build_llm(LLMConfig(name_or_path=str(tmp_path)))
    assert ids.image == n - 1 and ids.base == n
    emb, head = tables(llm)
    assert torch.all(emb[ids.image] == 7.0) and torch.all(head[ids.image] == -7.0)
    assert (emb[n:] - emb[:n].mean(0)).abs().max() < 1e-3 and (head[n:] - head[:n].mean(0)).abs().max() < 1e-3


def test_a_wrong_recorded_base_size_is_refused_naming_the_key(qwen_base):
    from rsvlm.model.llm import LLMConfig, build_llm

    with pytest.raises(ValueError, match=r"llm.base_vocab 99999: .* 1286 entries"):
        build_llm(LLMConfig(name_or_path=str(qwen_base[0]), base_vocab=99999))


def lora_model(path, *extra):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                      [f"llm.name_or_path={path}", "llm.config=null", *extra])
    return create_model(cfg)[0]


def test_an_adapter_only_checkpoint_records_the_base_size_and_loads_its_rows_as_built(qwen_base, tmp_path):
    """``lora_token_rows: false``: the added rows are the build's, not the adapter's; a checkpoint without the size
    (saved before stop 75) loads as it did: its tokens on the spare rows as the base holds them."""
    from rsvlm.model import load_pretrained

    path, n = qwen_base
    model = lora_model(path, "llm.lora_token_rows=false")
    assert model.cfg.llm.base_vocab == n
    model.save_pretrained(tmp_path / "ck", adapter_only=True)
    assert yaml.safe_load((tmp_path / "ck/config.yaml").read_text())["llm"]["base_vocab"] == n
    loaded, _ = load_pretrained(tmp_path / "ck")
    for built, again in zip(tables(model.llm), tables(loaded.llm)):
        assert torch.equal(built, again)
    raw = yaml.safe_load((tmp_path / "ck/config.yaml").read_text())
    del raw["llm"]["base_vocab"]  # as saved before stop 75
    (tmp_path / "ck/config.yaml").write_text(yaml.safe_dump(raw))
    old, _ = load_pretrained(tmp_path / "ck")
    assert old.cfg.llm.base_vocab is None
    assert torch.all(tables(old.llm)[0][n:n + SPARE] == JUNK)


def test_a_full_checkpoint_keeps_its_trained_token_rows(qwen_base, tmp_path):
    from rsvlm.model import load_pretrained

    path, n = qwen_base
    model = lora_model(path, "trainable.llm=full")
    with torch.no_grad():
        model.llm.get_input_embeddings().weight[n + 5] = 3.0  # a trained <loc_N>
    model.save_pretrained(tmp_path / "ck")
    assert yaml.safe_load((tmp_path / "ck/config.yaml").read_text())["llm"]["base_vocab"] == n
    loaded, _ = load_pretrained(tmp_path / "ck")
    assert torch.all(loaded.llm.get_input_embeddings().weight[n + 5] == 3.0)


def test_an_old_checkpoints_auto_map_note_says_it_was_trained_so_and_how_to_stop_it(ckpt, tmp_path):
    """A checkpoint saved before stop 74 kept its base's auto_map: every run said "check that it tokenises text as
    the model's own tokenizer does", though it was trained with the very class loaded. Deleting the entry, as the
    note says, silences it."""
    import json
    import shutil
    import warnings

    from rsvlm.model import load_pretrained

    shutil.copytree(ckpt, tmp_path / "old")
    conf_file = tmp_path / "old/tokenizer/tokenizer_config.json"
    conf = json.loads(conf_file.read_text())
    conf_file.write_text(json.dumps({**conf, "auto_map": {"AutoTokenizer": ["tokenization_qwen.QWenTokenizer", None]}}))
    with pytest.warns(UserWarning, match=r"tokenizer_config.json: its auto_map names its base's tokenizer code "
                      r"\(tokenization_qwen.QWenTokenizer\), which rsvlm never runs, nor ran at training.*delete the "
                      r"\"auto_map\" entry from that file") as said:
        load_pretrained(tmp_path / "old")
    assert not [w for w in said if "check that it tokenises" in str(w.message)]
    conf_file.write_text(json.dumps(conf))  # the entry deleted
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        load_pretrained(tmp_path / "old")
    assert not [w for w in said if "auto_map" in str(w.message)]


def test_a_full_checkpoint_named_onto_another_llm_is_refused_naming_both(tmp_path):
    """A full checkpoint whose config.yaml's llm.name_or_path was edited from its own llm/ to another model of the
    same shapes loaded that model without a word, its own trained LLM unused; a copy of llm/ still loads."""
    import dataclasses
    import shutil
    import warnings

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, load_pretrained
    from rsvlm.model.llm import build_llm

    llm_cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml").llm
    llm, tok, _ = build_llm(dataclasses.replace(llm_cfg, seed=1))
    llm.save_pretrained(tmp_path / "other")
    tok.save_pretrained(tmp_path / "other")
    torch.manual_seed(0)
    create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", ["trainable.llm=full"]))[0].save_pretrained(
        tmp_path / "ck")
    config = tmp_path / "ck/config.yaml"
    raw = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**raw, "llm": {**raw["llm"], "name_or_path": str(tmp_path / "other")}}))
    with pytest.raises(ValueError, match=rf"{tmp_path / 'ck'}: holds its own LLM \({tmp_path / 'ck/llm'}, fingerprint "
                       rf"\w+\) but its config.yaml names the LLM {tmp_path / 'other'} \(fingerprint \w+\), other "
                       r"weights.*set llm.name_or_path: llm in .*any_base=True"):
        load_pretrained(tmp_path / "ck")
    with pytest.warns(UserWarning, match="holds its own LLM"):
        model, _ = load_pretrained(tmp_path / "ck", any_base=True)
    assert torch.equal(model.llm.get_input_embeddings().weight, llm.get_input_embeddings().weight)
    shutil.copytree(tmp_path / "ck/llm", tmp_path / "copy")
    config.write_text(yaml.safe_dump({**raw, "llm": {**raw["llm"], "name_or_path": str(tmp_path / "copy")}}))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        load_pretrained(tmp_path / "ck")
    assert not [w for w in said if "own LLM" in str(w.message)]
