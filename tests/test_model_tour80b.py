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


def _trained_lora(tmp_path):
    """A tiny rsvlm (configs/model/tiny.yaml, LLM LoRA) after six AdamW steps on one batch, saved; and that batch's
    maker. Six steps move lora_B off its zero init (|B| ~0.3), as a real run does."""
    import torch
    from test_model_checkpoint import TINY, make_batch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY))
    batch = make_batch(proc)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-2)
    ids = batch["input_ids"]
    model.train()
    for _ in range(6):
        logits = model(**batch).logits
        loss = torch.nn.functional.cross_entropy(logits[0, -ids.shape[1]:-1], ids[0, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert max(p.abs().max().item() for n, p in model.named_parameters() if "lora_B" in n) > 0.05
    return model.save_pretrained(tmp_path / "ck")


def test_merge_lora_round_trip_of_a_trained_lora_in_bf16_refusals_and_chat(tmp_path, monkeypatch, capsys):
    """The LoRA merge other forks break, end to end through the CLI. fp32 equality is pinned by
    test_model_checkpoint's test_adapter_only_round_trip_and_merge (1e-5) and test_lora_tour58 (1e-4); this pins
    a bf16 checkpoint's merge (stays bf16; logits within bf16 rounding: 0.04 of a 9-logit scale measured, argmax
    equal), a second merge into the same --out refused in one line, a merged model merged again giving equal
    weights with a note, and chat on the merged folder answering as on the LoRA one."""
    import io

    import torch
    from test_model_checkpoint import logits_of, make_batch

    from rsvlm.cli import main
    from rsvlm.model import load_pretrained
    from rsvlm.model.weights import saved_dtypes

    ck = _trained_lora(tmp_path)
    bf = load_pretrained(ck, dtype=torch.bfloat16)[0].save_pretrained(tmp_path / "bf16")
    assert main(["merge-lora", "--model", str(bf), "--out", str(tmp_path / "m")]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'm'}"
    assert set(saved_dtypes(sorted((tmp_path / "m" / "llm").glob("*.safetensors"))).values()) == {torch.bfloat16}
    lora, p1 = load_pretrained(bf, dtype=torch.bfloat16)
    merged, p2 = load_pretrained(tmp_path / "m", dtype=torch.bfloat16)
    a, b = logits_of(lora, make_batch(p1)).float(), logits_of(merged, make_batch(p2)).float()
    assert (a - b).abs().max().item() < 0.15 and torch.equal(a.argmax(-1), b.argmax(-1))

    assert main(["merge-lora", "--model", str(bf), "--out", str(tmp_path / "m")]) == 2  # would mix two models
    assert capsys.readouterr().err.strip() == (f"rsvlm merge-lora: {tmp_path / 'm'}: already exists and is not "
                                               "empty; merge into a new folder")
    assert main(["merge-lora", "--model", str(tmp_path / "m"), "--out", str(tmp_path / "m2")]) == 0
    assert "holds no LoRA adapter (no adapter/, no encoder LoRA): its weights were written as they are" in \
        capsys.readouterr().out
    again, p3 = load_pretrained(tmp_path / "m2", dtype=torch.bfloat16)
    assert torch.equal(logits_of(again, make_batch(p3)).float(), b)

    def chat(folder):
        monkeypatch.setattr("sys.stdin", io.StringIO("[cls] scene?\n"))
        assert main(["chat", "--model", str(folder), "--image", str(scene), "--max-new-tokens", "6",
                     "--device", "cpu"]) == 0
        return capsys.readouterr().out

    from PIL import Image

    scene = tmp_path / "scene.png"
    Image.fromarray((torch.rand(32, 32, 3, generator=torch.Generator().manual_seed(0)) * 255).byte().numpy()).save(scene)
    assert main(["merge-lora", "--model", str(ck), "--out", str(tmp_path / "m32")]) == 0
    capsys.readouterr()
    said = chat(ck)
    assert "[cls] scene?" in said and said == chat(tmp_path / "m32")  # greedy: the same words, fp32 merged
