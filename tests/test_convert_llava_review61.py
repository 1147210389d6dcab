"""Review 61: the config key typo checks of convert-llava (105b6d0) take the keys transformers 4 wrote into every
config (a full nested vision_config, as openai/clip-vit-large-patch14-336's config.json holds one)."""

from __future__ import annotations

import json
import shutil

import pytest

# what transformers 4's PretrainedConfig.to_dict() wrote beside a model's own fields (its generation and base keys)
V4_KEYS = {"add_cross_attention": False, "bad_words_ids": None, "begin_suppress_tokens": None, "bos_token_id": None,
           "chunk_size_feed_forward": 0, "cross_attention_hidden_size": None, "decoder_start_token_id": None,
           "diversity_penalty": 0.0, "do_sample": False, "early_stopping": False, "encoder_no_repeat_ngram_size": 0,
           "eos_token_id": None, "exponential_decay_length_penalty": None, "finetuning_task": None,
           "forced_bos_token_id": None, "forced_eos_token_id": None, "is_decoder": False, "is_encoder_decoder": False,
           "length_penalty": 1.0, "max_length": 20, "min_length": 0, "no_repeat_ngram_size": 0, "num_beam_groups": 1,
           "num_beams": 1, "num_return_sequences": 1, "output_attentions": False, "output_hidden_states": False,
           "output_scores": False, "pad_token_id": None, "prefix": None, "problem_type": None, "pruned_heads": {},
           "remove_invalid_values": False, "repetition_penalty": 1.0, "return_dict": True,
           "return_dict_in_generate": False, "sep_token_id": None, "suppress_tokens": None,
           "task_specific_params": None, "temperature": 1.0, "tf_legacy_loss": False, "tie_encoder_decoder": False,
           "tie_word_embeddings": True, "tokenizer_class": None, "top_k": 50, "top_p": 1.0, "torch_dtype": None,
           "torchscript": False, "typical_p": 1.0, "use_bfloat16": False}


@pytest.mark.filterwarnings("ignore:.*holds no vision tower weights")
def test_a_tower_config_written_by_transformers_4_converts(tmp_path, tiny_llava):
    """openai/clip-vit-large-patch14-336 (LLaVA-1.5's and GeoChat's tower) keeps a full vision_config, with
    tie_encoder_decoder among transformers 4's keys: 'tower/config.json: vision_config.tie_encoder_decoder is not a
    CLIPVisionConfig field; did you mean vision_config.is_encoder_decoder?' refused the conversion. A typo of a real
    field is still named."""
    from conftest import write_llava

    from rsvlm.model import convert_llava

    sd, conf, tower, tok = tiny_llava
    full = shutil.copytree(tower, tmp_path / "tower")
    own = json.loads((full / "config.json").read_text())
    vision = {**V4_KEYS, **own, "model_type": "clip_vision_model"}
    (full / "config.json").write_text(json.dumps({"model_type": "clip", "vision_config": vision,
                                                  "text_config": {**V4_KEYS, "model_type": "clip_text_model"}}))
    src = write_llava(tmp_path / "orig", sd, conf, tok)
    convert_llava(src, tmp_path / "out", vision_tower=full)
    assert (tmp_path / "out" / "vision.safetensors").is_file()

    vision["patch_sise"] = vision.pop("patch_size")
    (full / "config.json").write_text(json.dumps({"model_type": "clip", "vision_config": vision}))
    with pytest.raises(ValueError, match=r"vision_config\.patch_sise is not a CLIPVisionConfig field; did you mean "
                                         r"vision_config\.patch_size\?"):
        convert_llava(src, tmp_path / "out2", vision_tower=full)


def test_an_llm_config_with_transformers_4_keys_is_no_typo():
    """sep_token_id (a key transformers 4 wrote into every config.json) was taken for a typo of pad_token_id."""
    from rsvlm.model.llm_files import unknown_config_keys

    assert [k for k, close in unknown_config_keys("llama", dict(V4_KEYS)) if close] == []
    assert unknown_config_keys("llama", {"hidden_sise": 64}) == [("hidden_sise", ["hidden_size"])]
