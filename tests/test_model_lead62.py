"""A prompt past the LLM's context names the fix that applies: fewer images only where there are several."""
from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model
from rsvlm.model.llm import context_length

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


def test_too_long_prompt_says_fewer_images_only_for_several():
    model, _ = create_model(load_config(VLMConfig, TINY, ["trainable.llm=frozen"]))
    ctx, img, word = context_length(model.llm), model.special.image, 5
    one = [img] * 4 + [word] * ctx
    with pytest.raises(ValueError, match=r"; use a shorter text$") as e:
        model.check_context(one)
    assert "fewer images" not in str(e.value) and "(4 of them for images)" in str(e.value)
    two = [img] * 4 + [word] * 3 + [img] * 4 + [word] * ctx
    with pytest.raises(ValueError, match=r"; use fewer images or a shorter text$"):
        model.check_context(two)
    with pytest.raises(ValueError, match=r"; give a shorter --prompt$"):
        model.check_context(one, fix="; give a shorter --prompt")
