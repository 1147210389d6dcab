"""Tour 76 (DY): one did-you-mean matcher, ``rsvlm.near``, for the options, commands, config keys and task names
rsvlm names back. A name typed in capitals (``rsvlm PREDICT``, ``python -m data_gen SYNTH``, ``--REGION``) got no
hint: difflib compares letters as written, and scored ``PREDICT`` against ``predict`` at 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.near import did_you_mean, near_names, one_slip


def test_a_name_in_another_case_is_that_name_alone():
    assert near_names("DET", ["cls", "det", "detect"]) == ["det"]
    assert near_names("DET", ["cls", "det", "detect"], n=3) == ["det"]  # not det and detect as difflib's next
    assert near_names("det", ["det", "Det"]) == ["det"]  # as written, where it is known


def test_two_names_alike_but_for_case_are_no_hint_unless_n_lets_both_through():
    assert near_names("VAL", ["val", "Val"]) == []
    assert near_names("VAL", ["val", "Val"], n=2) == ["val", "Val"]


def test_without_fold_case_capitals_are_read_as_written():
    assert near_names("DET", ["det"], fold_case=False) == []
    assert near_names("PREDICT", ["predict", "eval"], cutoff=0.5, fold_case=False) == []
    assert near_names("PREDICT", ["predict", "eval"], cutoff=0.5) == ["predict"]
    assert near_names("Predcit", ["predict", "eval"], cutoff=0.5) == ["predict"]  # folded, then difflib


def test_the_cutoff_is_difflibs():
    assert near_names("max_step", ["max_steps", "seed"], cutoff=0.8) == ["max_steps"]
    assert near_names("colour", ["color"], cutoff=0.95, slips=False) == []  # 0.91
    assert near_names("colour", ["color"], cutoff=0.9, slips=False) == ["color"]
    assert near_names("xyz", ["predict", "eval"], cutoff=0.5) == []


def test_a_short_names_one_slip_is_found_under_the_cutoff_unless_slips_is_off():
    # one letter of four wrong is 0.75 to difflib, under 0.8
    assert near_names("sise", ["size", "seed"], cutoff=0.8) == ["size"]
    assert near_names("tset", ["test", "train"], cutoff=0.8) == ["test"]  # two swapped
    assert near_names("SISE", ["size", "seed"], cutoff=0.8) == ["size"]  # folded first
    assert near_names("sise", ["size", "seed"], cutoff=0.8, slips=False) == []
    assert near_names("sise", ["size"], cutoff=0.75, slips=False) == ["size"]


def test_a_slip_near_two_names_is_no_hint():
    assert near_names("vat", ["val", "var", "test"], cutoff=0.8) == []
    assert near_names("vak", ["val", "test"], cutoff=0.8) == ["val"]


def test_n_gives_the_best_first():
    assert near_names("--mode", ["--model", "--modality", "--out"], n=3, cutoff=0.6) == ["--model", "--modality"]
    assert near_names("--mode", ["--model", "--modality", "--out"], n=1, cutoff=0.6) == ["--model"]


def test_known_may_be_any_iterable_of_names_once_each():
    assert near_names("synt", {"synth": 1, "chat": 2}) == ["synth"]
    assert near_names("synt", iter(["synth", "synth"]), n=3) == ["synth"]
    assert near_names("synt", []) == []


@pytest.mark.parametrize("word, kw, want", [
    ("synt", {}, "; did you mean 'synth'?"),
    ("synt", {"lead": " ("}, " (did you mean 'synth'?"),
    ("xyzzy", {}, ""),
    ("a", {"n": 2, "cutoff": 0.1}, "; did you mean 'ad' or 'ac'?"),
    ("a", {"n": 3, "cutoff": 0.1}, "; did you mean 'ad', 'ac' or 'ab'?"),
])
def test_did_you_mean_says_the_near_names_quoted_or_nothing(word, kw, want):
    assert did_you_mean(word, ["synth", "ab", "ac", "ad"], **kw) == want


@pytest.mark.parametrize("typed, key, slip", [
    ("sise", "size", True), ("siz", "size", True), ("sizze", "size", True), ("isze", "size", True),
    ("size", "size", False), ("sz", "size", False), ("sizes_", "size", False), ("zise", "size", False),
    ("ab", "ac", False),
])
def test_one_slip(typed, key, slip):
    assert one_slip(typed, key) is slip


def test_config_hints_near_key_keeps_its_cutoff():
    from rsvlm.config_hints import near_key

    assert near_key("sise", ["size", "seed"]) == "size" and near_key("sise", ["size", "seed"], slips=False) is None
    assert near_key("save_steps", ["max_steps"]) is None  # 0.74: under near_key's 0.8


def test_a_command_in_capitals_gets_its_hint(capsys):
    """``rsvlm PREDICT`` said "invalid choice: 'PREDICT' (choose from …)" with no maybe."""
    from rsvlm.cli import main

    with pytest.raises(SystemExit) as e:
        main(["PREDICT"])
    assert e.value.code == 2 and "invalid choice: 'PREDICT', maybe 'predict'?" in capsys.readouterr().err


def test_an_option_in_capitals_gets_its_hint():
    from rsvlm.argparsing import Parser

    parser = Parser(prog="x")
    parser.add_argument("--region")
    parser.add_argument("--prompt")
    assert parser.meant("--REGION") == " (--REGION is no option: did you mean --region?)"
    assert parser.meant("--regoin=3") == " (--regoin is no option: did you mean --region?)"
    assert parser.meant("--zzz") == ""


def test_a_data_gen_command_in_capitals_gets_its_hint(capsys):
    from data_gen.__main__ import main

    assert main(["SYNTH", "--n", "2"]) == 2
    assert "unknown command 'SYNTH'; did you mean 'synth'?" in capsys.readouterr().err
    assert main(["sytnh"]) == 2 and "did you mean 'synth'?" in capsys.readouterr().err


def test_a_config_file_named_in_capitals_gets_its_hint(tmp_path):
    from rsvlm.config_hints import near_file

    (tmp_path / "sft_tiny.yaml").write_text("{}\n")
    assert near_file(tmp_path / "SFT_TINY.yaml") == f"; did you mean {tmp_path / 'sft_tiny.yaml'}?"
    assert near_file(tmp_path / "sft_tiny.yml") == f"; did you mean {tmp_path / 'sft_tiny.yaml'}?"
    assert near_file(tmp_path / "other.yaml") == ""


def test_a_task_name_keeps_its_matcher():
    from data_gen.instructions.build import task_overrides
    from data_gen.instructions.config import names_meant
    from rsvlm.tokens import MODALITIES, tag_meant

    assert tag_meant("segmnt") == "seg" and tag_meant("cat") is None
    with pytest.raises(ValueError, match=r"'grund' is no task \(did you mean 'ground'\?\)"):
        task_overrides("det,grund")
    assert names_meant(["sarr", "nir"], MODALITIES) == "; did you mean 'sar' for 'sarr'?"


def test_a_counted_noun_one_letter_from_a_short_class_is_no_hint():
    """``closest_class`` keeps difflib's 0.75 alone: with ``one_slip`` "cat" would be taken as the model's cars."""
    from rsvlm.predict_question import closest_class

    assert closest_class("how many cat are there", ["car", "ship"]) == ("cat", None)
    assert closest_class("how many shipss are there", ["car", "ship"]) == ("shipss", "ship")



MODEL_YAML = Path(__file__).resolve().parents[1] / "configs/default/model.yaml"


def model_refusal(*overrides: str) -> str:
    """``check_model_config``'s refusal of the default model config with ``overrides``."""
    from rsvlm.config import load_config
    from rsvlm.model.checks import check_model_config
    from rsvlm.model.vlm import VLMConfig

    with pytest.raises(ValueError) as e:
        check_model_config(load_config(VLMConfig, MODEL_YAML, list(overrides)), prefix="model.")
    return str(e.value)


@pytest.mark.parametrize("override, said", [
    ("llm.config.model_type=LLAMA", "model.llm.config.model_type 'LLAMA' is not a transformers model type; "
                                    "did you mean ['llama']?"),
    ("encoders.default.arch=vit-b-16", "unknown open_clip architecture 'vit-b-16'; did you mean ['ViT-B-16']?"),
    ("llm.chat_template=LLAVA_V1", "(null: the tokenizer's own); did you mean 'llava_v1'?"),
])
def test_a_model_name_in_another_case_gets_that_name(override, said):
    """Each got no hint (difflib scored LLAMA against llama at 0), or, for vit-b-16, ViT-S-16, ViT-M-16, ViT-L-16."""
    assert said in model_refusal(override)


def test_the_llm_builder_and_the_preflight_say_an_unknown_model_type_alike():
    from rsvlm.model.llm_files import check_model_type

    with pytest.raises(ValueError, match=r"^llm.config.model_type 'lama' is not a transformers model type; "
                                         r"did you mean \['llama'"):
        check_model_type("lama")
    check_model_type("llama")


def test_a_transformers_config_key_in_capitals_is_refused_as_its_key():
    """``HIDDEN_SIZE`` was warned of as a free-form extra, and the model built at the default width."""
    from rsvlm.model.llm_files import unknown_config_keys

    assert unknown_config_keys("llama", {"HIDDEN_SIZE": 8, "hidden_sise": 8, "my_note": 1}) == [
        ("HIDDEN_SIZE", ["hidden_size"]), ("hidden_sise", ["hidden_size"]), ("my_note", [])]


@pytest.mark.parametrize("key", ["fp61", "FP16"])
def test_a_deepspeed_fp16_slip_or_capitals_is_refused_as_fp16(key):
    """``"fp61": {"enabled": true}`` trained in float32, DeepSpeed passing over the key unsaid: 0.75 to difflib,
    under its 0.8; ``FP16`` scored 0."""
    from rsvlm.train.deepspeed_config import check_top_keys

    with pytest.raises(ValueError, match=rf"^{key}: not a key DeepSpeed reads .*did you mean fp16\?"):
        check_top_keys({key: {"enabled": True}, "train_batch_size": 8})
    check_top_keys({key: {"enabled": True}, "fp16": {"enabled": False}})  # beside fp16: no misspelling of it


def test_a_task_weight_in_capitals_is_named_as_its_task():
    from rsvlm.train.config import check_task_names

    with pytest.raises(ValueError, match=r"data.task_weights\['DET'\]: not a task; .*did you mean 'det'\?"):
        check_task_names({"DET": 1.0})
