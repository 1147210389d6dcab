"""Review of tour 76's ``rsvlm.near`` (RDY): what the shared matcher moved at the call sites besides case."""

from __future__ import annotations

import re

import pytest

from rsvlm.near import did_you_mean, near_names


def test_names_alike_but_for_case_that_difflib_finds_come_closest_as_written_first():
    """The folded forms of Val and val are one; difflib's plain answer (val for vall) was given before, not the
    first of the two in the order known lists them."""
    assert near_names("vall", ["Val", "val"]) == ["val"]
    assert near_names("VALL", ["val", "Val"]) == ["Val"]
    assert near_names("vall", ["Val", "val"], n=2) == ["val", "Val"]


@pytest.mark.parametrize("word", [None, 3, 1.5, True, ["det"], ("det",)])
def test_a_word_that_is_no_string_is_near_none(word):
    """A YAML key 3 or null reached difflib (TypeError), then str.casefold (AttributeError): a traceback in
    place of the refusal naming the key."""
    assert near_names(word, ["det", "3", "none"]) == []
    assert did_you_mean(word, ["det"]) == ""


def test_known_values_that_are_no_strings_are_passed_over():
    assert near_names("dett", ["det", 3, None]) == ["det"]
    assert near_names("3", [3]) == []


def test_a_one_letter_option_is_no_slip_of_another():
    """``--x`` was offered ``--n`` (one letter wrong of three: a slip), where difflib at 0.7 offered none."""
    from rsvlm.argparsing import Parser

    parser = Parser(prog="x")
    parser.add_argument("--n")
    parser.add_argument("--lr")
    assert parser.meant("--x") == ""
    assert parser.meant("--N") == " (--N is no option: did you mean --n?)"
    assert parser.meant("--lt") == " (--lt is no option: did you mean --lr?)"  # 0.75 to difflib


def test_an_int_key_of_llm_config_is_warned_of_not_a_traceback():
    from rsvlm.model.llm_files import unknown_config_keys

    assert unknown_config_keys("llama", {3: 1}) == [(3, [])]


def test_no_name_deepspeed_reads_is_taken_for_a_slip_or_capitals_of_another():
    """Every name in DeepSpeed's runtime constants passes ``check_top_keys`` alone, now that a slip or capitals
    (fp61, FP16) are refused: none is a short top key's one slip (bf61, aoi), and the typos still are."""
    constants = pytest.importorskip("deepspeed.runtime.constants")
    from rsvlm.train.deepspeed_config import check_top_keys

    names = {v for k, v in vars(constants).items() if k.isupper() and isinstance(v, str) and re.fullmatch(r"[a-z]\w*", v)}
    assert len(names) > 40
    for name in sorted(names):
        check_top_keys({name: {}})
    for typo, key in [("bf61", "bf16"), ("BF16", "bf16"), ("aoi", "aio")]:
        with pytest.raises(ValueError, match=rf"^{typo}: not a key DeepSpeed reads .*did you mean {key}\?"):
            check_top_keys({typo: {}})


@pytest.mark.parametrize("key", ["rope_scaling", "use_cache", "tie_word_embeddings", "attn_implementation",
                                 "layer_types", "sliding_window", "max_window_layers", "torch_dtype"])
def test_real_transformers_config_keys_are_not_refused_as_another(key):
    """Folding case made ``HIDDEN_SIZE`` a refusal; no key a real config holds is refused as a typo."""
    from rsvlm.model.llm_files import unknown_config_keys

    for model_type in ("llama", "qwen2"):
        assert all(not close for _, close in unknown_config_keys(model_type, {key: 1})), (model_type, key)
