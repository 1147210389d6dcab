"""A comma list given where a list is expected says how a list is written."""
import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig


def test_a_comma_list_override_says_how_a_list_is_written():
    with pytest.raises(ConfigError, match=r"expected a list, got 'q_proj,v_proj' \(a list is written \[q_proj,v_proj\]\)"):
        load_config(TrainConfig, None, ["model.llm.target_modules=q_proj,v_proj"])
    cfg = load_config(TrainConfig, None, ["model.llm.target_modules=[q_proj,v_proj]"])
    assert list(cfg.model.llm.target_modules) == ["q_proj", "v_proj"]


def test_a_word_where_a_list_is_expected_gets_no_comma_hint():
    with pytest.raises(ConfigError, match=r"expected a list, got 'q_proj'$"):
        load_config(TrainConfig, None, ["model.llm.target_modules=q_proj"])
