"""Review of stop 74's config and tag refusals: what they must not refuse (a value YAML's own tag makes a number,
quoted text where text is wanted, a bracketed phrase that a ``]`` closes), and synth's one scene_weights check."""

import pytest

from data_gen.synth.config import SynthConfig
from rsvlm.config import ConfigError, from_dict, load_config
from rsvlm.tokens import tagged, unclosed_tag
from rsvlm.train.config import TrainConfig


def _load(tmp_path, cls, text):
    (tmp_path / "c.yaml").write_text(text)
    return load_config(cls, tmp_path / "c.yaml")


def test_a_quoted_value_with_yamls_own_tag_is_taken_as_that_tag_says(tmp_path):
    # !!float "1e-4" is YAML's way to write a float PyYAML would read as text unquoted; it was refused as
    # 'optim.lr: "1e-4" (line 2): a number in quotes, which YAML reads as text'
    cfg = _load(tmp_path, TrainConfig, 'optim:\n  lr: !!float "1e-4"\nmax_steps: !!int "3"\n')
    assert (cfg.optim.lr, cfg.max_steps) == (1e-4, 3)
    cfg = _load(tmp_path, SynthConfig, "render:\n  sar_looks: !!int '4'\ninstructions:\n  all_tasks: !!bool 'yes'\n")
    assert (cfg.render.sar_looks, cfg.instructions.all_tasks) == (4, True)
    with pytest.raises(ConfigError, match=r'optim\.lr: "1e-4" \(line 2\): a number in quotes'):
        _load(tmp_path, TrainConfig, 'optim:\n  lr: "1e-4"\n')  # without the tag it is text, refused


def test_quoted_text_that_looks_like_a_number_is_kept_where_text_is_wanted(tmp_path):
    cfg = _load(tmp_path, TrainConfig, 'out_dir: "123"\ndata:\n  train: "1.0"\n  augment: \'no\'\n')
    assert (cfg.out_dir, cfg.data.train, cfg.data.augment) == ("123", "1.0", "no")


@pytest.mark.parametrize("question", [
    "[change detection] compare the two images",
    "[ground truth: 3 ships] is that right?",
    "[count: 3] is that right?",
    "[Ground truth] says 3 ships",
])
def test_a_bracketed_phrase_a_bracket_closes_is_free_chat_as_before(question):
    # each was refused with a suggestion that kept the stray ']': "write [change] detection] compare the two images"
    assert unclosed_tag(question) is None
    assert tagged(question) == question


def test_synth_check_config_says_a_bad_scene_weight_of_a_config_built_in_python():
    from data_gen.synth.run import check_config

    cfg = from_dict(SynthConfig, {"scene": {"scene_weights": {"Harbour": 1, "forest": -1}}})
    with pytest.raises(ValueError) as e:
        check_config(cfg)
    assert str(e.value).startswith("scene.scene_weights {'Harbour': 1.0, 'forest': -1.0}: weights >= 0, not all 0, "
                                   "for scene classes airport,")
    assert str(e.value).endswith("(unknown: ['Harbour']; meant: 'Harbour' is 'harbour')")
