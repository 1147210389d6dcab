"""Stop 74, a base whose embedding table has rows past its tokenizer's ids (Qwen2.5: 151,936 rows for 151,665
tokens): rsvlm's first tokens landed on those unused rows, never trained, where the appended ones got the mean."""

from __future__ import annotations

import pytest
import torch


def gap_base(folder, tie: bool, rows: int = 320):
    """A tiny Qwen2 of ``rows`` rows for the 260-token byte tokenizer, its own rows far from the unused ones."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from rsvlm.model.llm import byte_tokenizer

    torch.manual_seed(0)
    conf = Qwen2Config(vocab_size=rows, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                       tie_word_embeddings=tie)
    llm = Qwen2ForCausalLM(conf)
    with torch.no_grad():
        llm.get_input_embeddings().weight[:260] += 1.0
        if not tie:
            llm.get_output_embeddings().weight[:260] -= 1.0
    llm.save_pretrained(folder)
    byte_tokenizer().save_pretrained(folder)
    return folder


@pytest.mark.parametrize("tie, rows", [(True, 320), (False, 320), (True, 2000)])
def test_rsvlm_tokens_in_a_bases_unused_rows_start_at_its_own_tokens_mean(tmp_path, tie, rows):
    """<image> and <loc_0..> at ids 260-319 kept the base's unused rows (8.0 from the mean, L2), the appended
    ones sat 1.5 from it (the mean taken over the unused rows too); now all at the mean of ids 0-259. A table of
    2000 rows, cut to the 1286 tokens, left every rsvlm token on an unused row."""
    from rsvlm.model.llm import LLMConfig, build_llm

    llm, tok, ids = build_llm(LLMConfig(name_or_path=str(gap_base(tmp_path / "base", tie, rows))))
    assert len(tok) == llm.get_input_embeddings().num_embeddings == 1286 and 260 <= ids.image < 320
    for m in {id(x): x for x in (llm.get_input_embeddings(), llm.get_output_embeddings())}.values():
        w = m.weight.detach()
        gap = (w[260:] - w[:260].mean(0)).norm(dim=1)
        assert gap.max() < 1e-4, (type(m).__name__, gap.max())


def test_a_saved_llm_keeps_its_rows_and_an_adapter_only_load_rebuilds_the_same_ones(tmp_path):
    """The fill runs on a base's own table only: a checkpoint's llm/ (rows trained) loads as saved, and an
    adapter-only checkpoint's base, resized at load, gets the rows it got at training."""
    import dataclasses

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, load_pretrained
    from rsvlm.model.checkpoint import save_pretrained
    from tests.conftest import REPO

    base = gap_base(tmp_path / "base", tie=True)
    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml")
    # lora_token_rows off: the adapter holds no rows, so the load's own resize must rebuild training's
    cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, name_or_path=str(base), config=None,
                                                           lora_token_rows=False))
    model, proc = create_model(cfg)
    ids = torch.tensor([[1, 2, proc.tokenizer.convert_tokens_to_ids("<loc_5>"), 300, 900]])
    with torch.no_grad():
        want = model.llm(input_ids=ids).logits
    save_pretrained(model, tmp_path / "ao", adapter_only=True)
    with torch.no_grad():  # a full save's llm/ holds rows of its own: they must not be reset on load
        model.llm.get_base_model().get_input_embeddings().weight[300] += 3.0
    save_pretrained(model, tmp_path / "full")
    again, _ = load_pretrained(tmp_path / "ao")
    with torch.no_grad():
        assert torch.allclose(again.llm(input_ids=ids).logits, want, atol=1e-5)
    full, _ = load_pretrained(tmp_path / "full")
    row = full.llm.get_base_model().get_input_embeddings().weight[300]
    assert torch.allclose(row, model.llm.get_base_model().get_input_embeddings().weight[300])


def test_a_tokenizer_asking_for_its_own_code_is_loaded_without_it_and_said(tmp_path, base_dir):
    """A tokenizer_config.json auto_map (ChatGLM's, InternLM's) was taken without a word: transformers built a
    tokenizer from tokenizer.json, which may not tokenise as the model's own code did; its code never ran."""
    import json
    import shutil

    from rsvlm.model.llm import LLMConfig, build_llm

    folder = tmp_path / "base"
    shutil.copytree(base_dir, folder)
    conf = json.loads((folder / "tokenizer_config.json").read_text())
    conf["auto_map"] = {"AutoTokenizer": ["tokenization_own.OwnTokenizer", None]}
    (folder / "tokenizer_config.json").write_text(json.dumps(conf))
    (folder / "tokenization_own.py").write_text("raise SystemExit('the folder\'s code ran')\n")
    with pytest.warns(UserWarning, match=r"llm.tokenizer .*base: its tokenizer_config.json asks for code of its own "
                                         r"\(tokenization_own.OwnTokenizer\), which rsvlm never runs"):
        _, tok, _ = build_llm(LLMConfig(name_or_path=str(folder)))
    assert tok("ship", add_special_tokens=False)["input_ids"]
