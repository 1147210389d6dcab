"""Training, tour 77 (b): a model.llm.config refusal is told apart by its type (``HFConfigError``, with the key it
names), not by the words its message begins with."""
import pytest


def test_llm_config_refusals_are_hfconfigerrors_naming_their_key():
    from rsvlm.model.checks import check_model_config
    from rsvlm.model.llm_files import HFConfigError, check_config_keys
    from rsvlm.model.vlm import VLMConfig

    with pytest.raises(HFConfigError) as e:
        check_config_keys("llama", {"hidden_sise": 8}, "model.llm.config")
    assert e.value.key == "model.llm.config.hidden_sise" and str(e.value).startswith("model.llm.config.hidden_sise is")
    with pytest.raises(HFConfigError) as e:
        check_config_keys("llama", {1: 8}, "model.llm.config")
    assert e.value.key == "model.llm.config" and str(e.value).startswith("model.llm.config has the key 1 (int)")
    cfg = VLMConfig()
    for conf, key in (({"model_type": "lama"}, "model.llm.config.model_type"), ({"hidden_size": 8}, "model.llm.config"),
                      ({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 5}, "model.llm.config")):
        cfg.llm.name_or_path, cfg.llm.config = None, conf
        with pytest.raises(HFConfigError) as e:
            check_model_config(cfg)
        assert e.value.key == key and str(e.value).startswith(key), e.value
    from rsvlm.model.llm import build_llm

    cfg.llm.config = {"hidden_size": 8}
    with pytest.raises(HFConfigError, match=r"^llm.config needs a model_type") as e:  # the builder's own, unprefixed
        build_llm(cfg.llm)
    assert e.value.key == "llm.config"


def test_llm_config_by_names_the_source_of_an_hfconfigerror_alone(tmp_path):
    from rsvlm.model.llm_files import HFConfigError
    from rsvlm.train.flags import llm_config_by

    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: {llm: {config: {model_type: llama, hidden_sise: 8}}}\n")
    said = "model.llm.config.hidden_sise is not a LlamaConfig field"
    assert llm_config_by(HFConfigError(said, "model.llm.config.hidden_sise"), str(recipe), []) == f"{recipe}: "
    over = ["model.llm.config.hidden_sise=8"]
    assert llm_config_by(HFConfigError(said, "model.llm.config.hidden_sise"), str(recipe), over) == \
        "override 'model.llm.config.hidden_sise=8' (command line): "
    assert llm_config_by(ValueError(said), str(recipe), []) == ""  # the words alone no longer count
    tower = "model.encoders.default.hf_config.hidden_sise"  # another transformers config: left as it was
    assert llm_config_by(HFConfigError(f"{tower} is not …", tower), str(recipe), []) == ""


def _captions(n: int) -> list[str]:
    """``n`` varied captions: ASCII, accents, combining marks, CJK, emoji, controls, the byte tokenizer's special
    tokens' texts and rsvlm's, whole and in part."""
    import random

    rng = random.Random(77)
    pieces = ["field", " ", "  ", "\n", "\t", "road,", "é", "e\u0301", "中文", "道路", "🙂", "🛰️", "Ω", "ß", "\x00", "\x7f",
              "<s>", "</s>", "<pad>", "<unk>", "<s", "s>", "<image>", "<loc_12>", "<", ">", "ÿ", "\u200b", "👩‍🌾"]
    caps = ["", " ", "<s>", "<s><s>"]
    while len(caps) < n:
        k = rng.randint(1, 30)
        caps.append("".join(rng.choice(pieces) if rng.random() < 0.4 else chr(rng.randint(32, 0x2FFF)) for _ in range(k)))
    return caps


@pytest.mark.parametrize("kind", ["byte", "byte_padded", "byte_with_rsvlm_tokens_saved"])
def test_a_byte_tokenizers_counts_are_utf8_lengths_without_running_it(kind, tmp_path):
    """The caption-length pass tokenized the whole pool on one process (100k captions: ~12 s here); for a byte
    tokenizer each count is the caption's UTF-8 length, the tokenizer run only where an added token's text is in
    it: equal to tokenizing on 3000 varied captions."""
    from transformers import AutoTokenizer

    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.clip_data import byte_lengths, token_counts

    tok = byte_tokenizer(300 if kind == "byte_padded" else 0)
    if kind == "byte_with_rsvlm_tokens_saved":
        from rsvlm.tokens import add_special_tokens

        add_special_tokens(tok)
        tok.save_pretrained(tmp_path)
        tok = AutoTokenizer.from_pretrained(tmp_path)
    caps = _captions(3000)
    added = byte_lengths(tok)
    assert added is not None
    assert token_counts(tok, caps, added) == [len(t) for t in tok(caps, add_special_tokens=False)["input_ids"]]
    assert token_counts(tok, ["<s>"], added) == [1]

    class Counting:  # the tokenizer, counting the captions it is run on
        backend_tokenizer, seen = tok.backend_tokenizer, []

        def __call__(self, texts, **kw):
            self.seen += texts
            return tok(texts, **kw)

    assert token_counts(Counting(), ["a road é", "<s>ship", "中文"], added) == [9, 5, 6]
    assert Counting.seen == ["<s>ship"]


def test_other_tokenizers_are_run_and_a_lone_surrogate_is_still_refused():
    from pathlib import Path

    from transformers import AutoTokenizer

    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.clip_data import byte_lengths, pool_cuts
    from rsvlm.train.inputs import RefusedData

    bundled = AutoTokenizer.from_pretrained(Path(__file__).parents[1] / "rsvlm/assets/default_model/tokenizer")
    assert byte_lengths(bundled) is None
    pairs = [({"id": "a"}, "field", Path()), ({"id": "b"}, "x\ud800y", Path())]
    with pytest.raises(RefusedData, match=r"^record b: its caption cannot be tokenized \(it holds a lone surrogate, U\+D800"):
        pool_cuts(pairs, byte_tokenizer(), 8)
