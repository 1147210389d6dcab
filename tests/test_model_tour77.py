"""Stop 77's tour of model building: base_vocab errors by type, llm.config keys of other models and non-string
keys, the spare-row warning's words by use."""

import warnings

import pytest
import torch


def test_a_base_vocab_error_is_its_own_valueerror_type(tmp_path):
    """Callers matched the message's first words ('llm.base_vocab '); they catch ``BaseVocabError`` now."""
    from test_model_tour75 import spare_base

    from rsvlm.model.llm import BaseVocabError, LLMConfig, build_llm

    spare_base(tmp_path / "base")
    with pytest.raises(BaseVocabError, match=r"^llm.base_vocab 99999: the base's own vocabulary, between 1 and"):
        build_llm(LLMConfig(name_or_path=str(tmp_path / "base"), base_vocab=99999))
    assert issubclass(BaseVocabError, ValueError)


@pytest.mark.parametrize("key, beside, model", [("video_token_id", "eos_token_id", "qwen2_vl"),
                                                ("moe_intermediate_size", "intermediate_size", "qwen2_moe"),
                                                ("original_max_position_embeddings", "max_position_embeddings", "phi3")])
def test_a_key_of_another_transformers_config_is_no_typo(key, beside, model):
    """Were refused as typos at the 0.8 cutoff (of 'eos_token_id', 'intermediate_size', 'max_position_embeddings');
    a field some transformers config defines, given beside the key it is close to (as a config.json copied whole
    holds them), is warned of, with those models named, and the build goes on. Alone, it is still taken for a typo
    (``test_model_review77``: ``hidden_sizes``, a ResNet's field, built a default-width model)."""
    from rsvlm.model.llm_files import check_config_keys, other_models_field, unknown_config_keys

    assert model in other_models_field(key)
    assert unknown_config_keys("llama", {key: 1, beside: 2}) == [(key, [])]
    with pytest.warns(UserWarning, match=rf"^llm.config.{key} is not a LlamaConfig field \(a field of .*'s config in "
                                         r"transformers, not of this one\); it is stored but no model code reads it"):
        check_config_keys("llama", {key: 1, beside: 2})


def test_a_typo_is_still_refused_and_no_transformers_source_holds_it():
    from rsvlm.model.llm_files import check_config_keys, other_models_field

    assert other_models_field("hidden_sise") == []
    with pytest.raises(ValueError, match=r"^llm.config.hidden_sise is not a LlamaConfig field; did you mean \['hidden_size'\]"):
        check_config_keys("llama", {"hidden_sise": 8})


def test_a_normal_build_reads_no_transformers_source(monkeypatch):
    """The source scan runs only for a key close to a defined one: a build with known keys pays nothing."""
    from rsvlm.model import llm_files

    monkeypatch.setattr(llm_files, "other_models_field", lambda key: pytest.fail(f"scanned for {key}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm_files.check_config_keys("llama", {"hidden_size": 8, "num_hidden_layers": 1})
    with pytest.warns(UserWarning, match="my_note is not a LlamaConfig field; it is stored"):  # far from any key
        llm_files.check_config_keys("llama", {"my_note": 1})


@pytest.mark.parametrize("where", ["build", "check"])
def test_a_non_string_llm_config_key_is_refused_naming_it(where):
    """YAML ``llm.config: {1: 2}`` was transformers' 'keywords must be strings' (a TypeError from the build, or
    'model.llm.config: keywords must be strings' from the check), naming no key."""
    from rsvlm.model.checks import check_model_config
    from rsvlm.model.llm import LLMConfig, build_llm
    from rsvlm.model.vlm import VLMConfig

    conf = {1: 2, "model_type": "llama", "vocab_size": 300, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2}
    said = r"config has the key 1 \(int\): its keys are names of transformers config fields, strings"
    if where == "build":
        with pytest.raises(ValueError, match=rf"^llm.{said}"):
            build_llm(LLMConfig(config=conf))
    else:
        from rsvlm.config import load_config

        cfg = load_config(VLMConfig, "configs/model/tiny.yaml")
        cfg.llm.config = conf
        with pytest.raises(ValueError, match=rf"^model.llm.{said}"):
            check_model_config(cfg, prefix="model.")


@pytest.mark.parametrize("use, said", [("resume", "so its loss may jump at the resume"),
                                       ("export", "so the exported model may answer worse than that run's step did")])
def test_the_spare_row_warning_says_what_it_means_for_its_use(tmp_path, use, said):
    """An export was told its 'loss may jump at the resume'."""
    from test_model_tour75 import spare_base

    from rsvlm.model.llm import LLMConfig
    from rsvlm.model.row_fill import unrecorded_fill_note

    cfg = LLMConfig(name_or_path=str(tmp_path / "base"), base_vocab=spare_base(tmp_path / "base"))
    note = unrecorded_fill_note(tmp_path, cfg, "frozen", use)
    assert note.endswith(said) or said in note
    assert ("resume" in note) == (use == "resume")
    with pytest.raises(ValueError, match=r"^use 'train': one of resume, export"):
        unrecorded_fill_note(tmp_path, cfg, "frozen", "train")


def _weights(folder, **changed):
    """A 40-tensor LLM-like safetensors file in ``folder``, ``changed`` tensors' given rows set to 1."""
    from safetensors.torch import save_file

    torch.manual_seed(0)
    t = {f"model.layers.{i}.{n}.weight": torch.randn(64, 300) for i in range(10) for n in ("a", "mlp", "q_proj", "z")}
    t["model.embed_tokens.weight"] = torch.randn(400, 300)
    for name, rows in changed.items():
        t[name.replace("__", ".")][rows] = 1.0
    folder.mkdir()
    save_file(t, folder / "model.safetensors")
    return folder


@pytest.mark.parametrize("changed", [{"model__layers__4__q_proj__weight": slice(None)},
                                     {"model__embed_tokens__weight": slice(390, None)}])
def test_the_own_llm_print_sees_a_tensor_past_the_sample_or_rows_at_the_end(tmp_path, changed):
    """A full save whose LLM differed from the named one only in tensors the 8 samples missed (a LoRA merged on
    q_proj), or in rows past a tensor's first 64 KB (rsvlm's rows appended), had the same fingerprint: loaded
    unsaid. ``ends=True`` hashes every tensor's first and last 64 KB; the recorded (sampled) form is kept."""
    from rsvlm.model.base_print import fingerprint
    from rsvlm.model.own_llm import own_llm_problem

    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b", **changed)
    assert fingerprint(a) == fingerprint(b)  # the sample misses it: adapter records keep this form
    assert fingerprint(a, ends=True) != fingerprint(b, ends=True)
    assert fingerprint(a, ends=True) == fingerprint(_weights(tmp_path / "a2"), ends=True)
    ck = tmp_path / "ck"
    ck.mkdir()
    (ck / "llm").symlink_to(a)
    problem = own_llm_problem(ck, str(b), b, None, None)
    assert problem is not None and str(b) in problem.refusal()


@pytest.mark.parametrize("keep", [0.5, 0.001])
def test_a_cut_safetensors_file_is_said_to_be_cut_and_what_to_do(tmp_path, keep):
    """Was safetensors' 'incomplete metadata, file not fully covered' alone: neither 'cut short' nor what to do."""
    from safetensors.torch import save_file

    from rsvlm.model.weights import load_safetensors, open_safetensors

    path = tmp_path / "vision.safetensors"
    save_file({"w": torch.zeros(100, 100)}, path)
    whole = path.stat().st_size
    path.write_bytes(path.read_bytes()[: max(9, int(whole * keep))])
    for read in (load_safetensors, open_safetensors):
        with pytest.raises(ValueError, match=rf"^{path}: not a readable safetensors file \(.*\); its header promises "
                                             rf"\d+ bytes but it holds {path.stat().st_size}: cut short by an "
                                             "interrupted save, copy or download\\? copy it again from a whole copy"):
            read(path)
    path.write_bytes(b"\x01" * 64)  # no safetensors file at all: not called cut
    with pytest.raises(ValueError, match=r"not a readable safetensors file \([^)]*\)$"):
        load_safetensors(path)


def test_a_label_runs_to_max_label_tokens_then_only_closes_reported_cut(tmp_path):
    """A ``<ref>`` label went on while any shape still fitted: a model could spend its whole budget (thousands of
    tokens) on one label. At ``MAX_LABEL_TOKENS`` only ``</ref>`` is allowed, and where the model wanted more the
    answer is cut (``cut_by_budget``), as a label the budget closes."""
    from rsvlm.model.grammar import MAX_LABEL_TOKENS, GrammarConstraint
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.tokens import add_special_tokens

    tok = byte_tokenizer()
    add_special_tokens(tok)
    vocab, eos = len(tok), tok.eos_token_id
    ref, end_ref = tok.convert_tokens_to_ids(["<ref>", "</ref>"])
    word = tok("a", add_special_tokens=False).input_ids[0]
    on, done = torch.zeros(vocab), torch.zeros(vocab)
    on[word], done[end_ref] = 2.0, 2.0
    for n, closes in [(MAX_LABEL_TOKENS - 1, False), (MAX_LABEL_TOKENS, True)]:
        con = GrammarConstraint(tok, {eos}, 1, 10_000)
        ok = con([[ref, *[word] * n]], vocab)[0]
        assert bool(ok[end_ref]) and bool(ok[word]) != closes
        assert con.cut_by_budget(0, on) == closes and not con.cut_by_budget(0, done)
    con = GrammarConstraint(tok, {eos}, 1, 10_000)  # a second label starts its count anew
    assert bool(con([[ref, *[word] * MAX_LABEL_TOKENS, end_ref, ref, word]], vocab)[0][word])
