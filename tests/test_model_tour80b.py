"""Stop 80 (P5): a SigLIP folder given as convert-llava's --vision-tower is named as one before its weights are read."""

import pytest


@pytest.mark.parametrize("whole", [False, True])
def test_a_siglip_vision_tower_is_refused_by_its_model_type(tmp_path, tiny_llava, whole):
    """A SigLIP folder (its vision model, or the whole SigLIP with a vision_config) was read as a CLIP's config and
    refused late on its weights: 'position_embedding (16, 32) expected (10, 32)'; it is named by its model_type."""
    import torch
    from conftest import write_llava
    from transformers import SiglipConfig, SiglipModel, SiglipVisionConfig, SiglipVisionModel

    from rsvlm.model import convert_llava

    sd, conf, _, tok = tiny_llava
    src = write_llava(tmp_path / "llava", sd, conf, tok)
    vcfg = SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                              image_size=32, patch_size=8)
    torch.manual_seed(0)
    sig = tmp_path / "siglip"
    if whole:
        SiglipModel(SiglipConfig(vision_config=vcfg.to_dict(), text_config={
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
            "vocab_size": 64})).save_pretrained(sig)
        kind = "siglip"
    else:
        SiglipVisionModel(vcfg).save_pretrained(sig)
        kind = "siglip_vision_model"
    with pytest.raises(ValueError) as e:
        convert_llava(src, tmp_path / "out", vision_tower=sig)
    assert str(e.value).startswith(f"vision tower {sig}: a SigLIP tower (model_type {kind}"), str(e.value)
    assert "--vision-tower takes a CLIP ViT" in str(e.value)
    assert not (tmp_path / "out").exists()
