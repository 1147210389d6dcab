"""Review of the model library, stop 72 round 2: 'no stem for modality' suggests the modality another word means
only where the model has a stem for it ('thermal' to a model without an ir stem was told "did you mean 'ir'?")."""

from __future__ import annotations

import numpy as np
import pytest


def test_no_stem_suggests_only_a_modality_the_model_has(tiny_vlm):
    from rsvlm.model import ImageInput

    model, processor = tiny_vlm
    grey = np.random.default_rng(0).random((1, 32, 32), dtype=np.float32)
    with pytest.raises(ValueError, match=r"no stem for modality 'thermal' \(did you mean 'ir'\?\)"):
        processor.prepare_image(ImageInput(grey, "thermal"))
    held = processor.stems.pop("ir"), model.cfg.stems.pop("ir", None)  # a model without an ir stem
    try:
        for refuse in (processor.prepare_image, lambda im: model.encode_images([im])):
            with pytest.raises(ValueError, match="no stem for modality 'thermal'") as e:
                refuse(ImageInput(grey, "thermal"))
            assert "did you mean" not in str(e.value), e.value
    finally:
        processor.stems["ir"] = held[0]
        if held[1] is not None:
            model.cfg.stems["ir"] = held[1]
