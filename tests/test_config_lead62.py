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


def test_a_list_item_set_by_index_says_to_give_the_whole_list():
    with pytest.raises(ConfigError, match=r"unknown key 'data.extra\[0\]' for DataConfig; .*\(a list's items are not "
                                          r"set one by one: give the whole list, data.extra=\[…\]\)"):
        load_config(TrainConfig, None, ["data.extra[0].path=x.jsonl"])
    with pytest.raises(ConfigError) as e:  # no list of that name: no hint about lists
        load_config(TrainConfig, None, ["data.nosuch[0]=1"])
    assert "a list's items" not in str(e.value)
