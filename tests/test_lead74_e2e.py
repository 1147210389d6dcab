"""End-to-end read 74 (Y2): what a new user's `rsvlm predict --task seg` asks the model."""
import json

from data_gen.instructions.phrasings import GRID_SUFFIX, POLY_SUFFIX
from rsvlm.cli import main as rsvlm_main
from rsvlm.inference import DEFAULT_PROMPTS


def test_predict_seg_default_prompt_asks_for_a_shape_the_model_was_trained_to_segment_with(tmp_path):
    """Every synthetic [seg] question ends with " Answer with polygons." or " Answer with a grid mask."; asked
    "[seg] Segment every building." alone, the bundled model answered with <box>: no segmentation (Y2)."""
    assert DEFAULT_PROMPTS["seg"].endswith((POLY_SUFFIX, GRID_SUFFIX)), DEFAULT_PROMPTS["seg"]
    out = tmp_path / "seg.json"
    assert rsvlm_main(["predict", "--image", "rsvlm/assets/samples/harbour_optical.png", "--task", "seg", "--out", str(out)]) in (0, None)
    answer = json.loads(out.read_text())["answer"]
    assert "<box>" not in answer and ("<poly>" in answer or "<mask>" in answer or answer == "None."), answer
