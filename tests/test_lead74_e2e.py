"""End-to-end read 74 (Y2): what a new user's `rsvlm predict --task seg` asks the model."""
import pytest

from data_gen.instructions.phrasings import GRID_SUFFIX, POLY_SUFFIX
from rsvlm.inference import DEFAULT_PROMPTS


@pytest.mark.xfail(strict=True, reason="rsvlm/inference.py DEFAULT_PROMPTS['seg'] lacks the shape suffix (Y2 report); "
                   "drop this marker with the fix")
def test_predict_seg_default_prompt_asks_for_a_shape_the_model_was_trained_to_segment_with():
    # Every synthetic [seg] question ends with " Answer with polygons." or " Answer with a grid mask.";
    # asked "[seg] Segment every building." alone, the bundled model answered with <box> (no segmentation).
    assert DEFAULT_PROMPTS["seg"].endswith((POLY_SUFFIX, GRID_SUFFIX)), DEFAULT_PROMPTS["seg"]
