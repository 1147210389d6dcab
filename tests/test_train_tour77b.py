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


def test_llm_config_by_names_the_source_of_an_hfconfigerror_alone(tmp_path):
    from rsvlm.model.llm_files import HFConfigError
    from rsvlm.train.flags import llm_config_by

    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: {llm: {config: {model_type: llama, hidden_sise: 8}}}\n")
    said = "model.llm.config.hidden_sise is not a LlamaConfig field"
    assert llm_config_by(HFConfigError(said, "model.llm.config.hidden_sise"), str(recipe), []) == f"{recipe}: "
    over = ["model.llm.config.hidden_sise=8"]
    assert llm_config_by(HFConfigError(said, "model.llm.config.hidden_sise"), str(recipe), over) == \
        "override 'model.llm.config.hidden_sise=8': "
    assert llm_config_by(ValueError(said), str(recipe), []) == ""  # the words alone no longer count
    tower = "model.encoders.default.hf_config.hidden_sise"  # another transformers config: left as it was
    assert llm_config_by(HFConfigError(f"{tower} is not …", tower), str(recipe), []) == ""
