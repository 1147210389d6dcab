"""Stop 69, training: one wording for a stem's broken link (check_links is vlm.check_stem_links plus the near
name), …"""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig, check_links

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


@pytest.mark.parametrize("override", ["model.stems.ir.encoder=thermal", "model.stems.ir.modality=tir"])
def test_a_broken_stem_link_reads_as_the_models_own_check_says_it(override):
    """check_links said "is not among model.encoders (default, sar)", check_stem_links "['default', 'sar']"."""
    from rsvlm.model.vlm import check_stem_links

    cfg = load_config(TrainConfig, SFT, [override])
    with pytest.raises(ValueError) as own:
        check_stem_links(cfg.model, "model.")
    with pytest.raises(ValueError) as train:
        check_links(cfg.model)
    assert str(train.value).startswith(str(own.value)), (str(train.value), str(own.value))
