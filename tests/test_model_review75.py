"""Review of stop 75's model vocabulary (A): ``llm.base_vocab`` redrew the token rows of another rsvlm checkpoint's
trained ``llm/`` when a checkpoint was loaded on it (``any_base``, or its own ``llm/`` removed, as the refusal
advises); the mean fill is transformers' mean resizing in distribution, seeded apart from the global RNG."""

import copy
import shutil
import warnings

import pytest
import torch
import yaml
from test_model_tour75 import lora_model


@pytest.fixture(scope="module")
def two_full(tmp_path_factory):
    """Two full checkpoints on one spare-row base (``llm.base_vocab`` recorded), A's row ``n + 5`` trained to 3.0."""
    from test_model_tour75 import spare_base

    root = tmp_path_factory.mktemp("two-full")
    n = spare_base(root / "base")
    for name, value in (("a", 3.0), ("b", -3.0)):
        model = lora_model(root / "base", "trainable.llm=full")
        with torch.no_grad():
            model.llm.get_input_embeddings().weight[n + 5] = value
        model.save_pretrained(root / name)
    return root, n


@pytest.mark.parametrize("how", ["any_base", "own llm/ removed"])
def test_another_checkpoints_llm_keeps_its_trained_token_rows(two_full, tmp_path, how):
    from rsvlm.model import load_pretrained

    root, n = two_full
    shutil.copytree(root / "b", tmp_path / "b")
    config = tmp_path / "b/config.yaml"
    raw = yaml.safe_load(config.read_text())
    assert raw["llm"]["base_vocab"] == n
    config.write_text(yaml.safe_dump({**raw, "llm": {**raw["llm"], "name_or_path": str(root / "a/llm")}}))
    if how != "any_base":
        shutil.rmtree(tmp_path / "b/llm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # any_base's own-LLM warning
        model, _ = load_pretrained(tmp_path / "b", any_base=how == "any_base")
    mine, _ = load_pretrained(root / "a")
    assert torch.all(model.llm.get_input_embeddings().weight[n + 5] == 3.0)  # was redrawn at the base's mean
    assert torch.equal(model.llm.get_input_embeddings().weight, mine.llm.get_input_embeddings().weight)


def test_a_copy_naming_the_original_llm_and_an_averaged_pair_load_without_a_flag(two_full, tmp_path):
    """A full checkpoint copied with its config naming the original's llm/ (the same weights) is no other LLM."""
    from conftest import load_script

    from rsvlm.model import load_pretrained

    root, n = two_full
    shutil.copytree(root / "a", tmp_path / "copy")
    config = tmp_path / "copy/config.yaml"
    raw = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**raw, "llm": {**raw["llm"], "name_or_path": str(root / "a/llm")}}))
    assert torch.all(load_pretrained(tmp_path / "copy")[0].llm.get_input_embeddings().weight[n + 5] == 3.0)
    assert not load_script("average_checkpoints").main([str(root / "a"), str(root / "b"), "--out", str(tmp_path / "avg")])
    table = load_pretrained(tmp_path / "avg")[0].llm.get_input_embeddings().weight
    assert torch.allclose(table[n + 5], torch.zeros(()), atol=1e-6)  # (3 + -3) / 2, its own llm/ loaded


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_the_mean_fill_draws_as_transformers_mean_resizing_does(dtype):
    """Same input, both fills: rows at the same mean, of about the same spread, in the table's dtype; the draw is
    fixed by ``seed`` alone (the global RNG neither read nor advanced)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from rsvlm.model.llm import init_added_rows

    rows, width, added = 600, 24, 200
    torch.manual_seed(0)
    base = Qwen2ForCausalLM(Qwen2Config(vocab_size=rows, hidden_size=width, intermediate_size=32, num_hidden_layers=1,
                                        num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=False))
    with torch.no_grad():  # columns of other scales, off zero: a mean and covariance to follow
        for w in (base.model.embed_tokens.weight, base.lm_head.weight):
            w.copy_(torch.randn(rows, width) * torch.linspace(0.1, 2, width) + 0.5)
    base = base.to(dtype)
    theirs, mine, again = copy.deepcopy(base), copy.deepcopy(base), copy.deepcopy(base)
    theirs.resize_token_embeddings(rows + added, mean_resizing=True)
    for model in (mine, again):
        model.resize_token_embeddings(rows + added, mean_resizing=False)
    state = torch.get_rng_state()
    init_added_rows(mine, range(rows, rows + added), rows, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(99)
    init_added_rows(again, range(rows, rows + added), rows, seed=3)
    for name in ("model.embed_tokens.weight", "lm_head.weight"):
        a, b = dict(theirs.named_parameters())[name].detach(), dict(mine.named_parameters())[name].detach()
        assert b.dtype == dtype and torch.equal(a[:rows], b[:rows])
        assert torch.equal(b, dict(again.named_parameters())[name].detach())
        a, b = a[rows:].float(), b[rows:].float()
        ulp = 2 ** -7 * 2.5 if dtype == torch.bfloat16 else 1e-5  # bf16's step near the largest means
        assert (a.mean(0) - b.mean(0)).abs().max() < ulp
        if dtype == torch.float32:  # bf16 rounds the 1e-9 covariance's spread away
            spread = b.std(0).mean() / a.std(0).mean()
            assert 0.8 < spread < 1.25, spread
