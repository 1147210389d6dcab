"""open_clip encoder path: custom ViT, weights from a saved open_clip state dict, layer choice,
position-embedding interpolation; projector pooling."""

import pytest
import torch

from rsvlm.model.projector import Projector, ProjectorConfig
from rsvlm.model.vision import OpenClipEncoder, VisionConfig, interpolate_pos_embed


def _full_clip_state(tmp_path, fmt):
    """A small open_clip CLIP (custom config dict) saved as a full state dict, as RemoteCLIP files are."""

    torch.manual_seed(0)
    cfg = {"embed_dim": 32,
           "vision_cfg": {"image_size": 32, "layers": 3, "width": 64, "head_width": 16, "patch_size": 8},
           "text_cfg": {"context_length": 16, "vocab_size": 100, "width": 32, "heads": 2, "layers": 1}}
    from open_clip.model import CLIP

    clip = CLIP(**cfg).eval()
    sd = {f"module.{k}": v for k, v in clip.state_dict().items()}  # DDP-style prefix, as in many files
    if fmt == "safetensors":
        from safetensors.torch import save_file

        path = tmp_path / "clip.safetensors"
        save_file({k: v.contiguous() for k, v in sd.items()}, str(path))
    else:
        path = tmp_path / "clip.pt"
        torch.save({"state_dict": sd, "epoch": 3}, path)
    return clip, path


@pytest.mark.parametrize("fmt", ["safetensors", "pt"])
def test_loads_open_clip_weights_and_returns_penultimate_patch_tokens(tmp_path, fmt):
    clip, path = _full_clip_state(tmp_path, fmt)
    enc = OpenClipEncoder(VisionConfig(width=64, layers=3, heads=4, patch_size=8, image_size=32,
                                       pretrained=str(path), feature_layer=-2)).eval()
    x = torch.randn(2, 3, 32, 32)
    v = clip.visual
    # reference: open_clip's own intermediates, block index 1 (= penultimate of 3)
    ref = v.forward_intermediates(x, indices=[1], output_fmt="NLC", intermediates_only=True)
    tokens = enc(x)  # (2,16,64)
    assert tokens.shape == (2, 16, 64)
    torch.testing.assert_close(tokens, ref["image_intermediates"][0], atol=1e-5, rtol=1e-5)
    last = OpenClipEncoder(VisionConfig(width=64, layers=3, heads=4, patch_size=8, image_size=32,
                                        pretrained=str(path), feature_layer=-1)).eval()
    ref_last = v.forward_intermediates(x, indices=[2], output_fmt="NLC", intermediates_only=True)
    torch.testing.assert_close(last(x), ref_last["image_intermediates"][0], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(last(x), tokens)


def test_position_embeddings_interpolate_to_other_sizes(tmp_path):
    clip, path = _full_clip_state(tmp_path, "safetensors")
    # built for 48 px (6x6 grid) from 32 px weights (4x4): the table is resized at load
    enc = OpenClipEncoder(VisionConfig(width=64, layers=3, heads=4, patch_size=8, image_size=48,
                                       pretrained=str(path))).eval()
    assert enc.visual.positional_embedding.shape == (37, 64)
    expect = interpolate_pos_embed(clip.visual.positional_embedding.detach(), (4, 4), (6, 6))
    torch.testing.assert_close(enc.visual.positional_embedding.detach(), expect)
    torch.testing.assert_close(expect[0], clip.visual.positional_embedding[0].detach())  # CLS row kept
    assert enc(torch.randn(1, 3, 48, 48)).shape == (1, 36, 64)
    # and on the fly for an input size other than the configured one
    assert enc(torch.randn(1, 3, 64, 32)).shape == (1, 8 * 4, 64)
    # same size → unchanged; interpolation of a constant grid stays constant
    const = torch.ones(17, 8)
    assert torch.equal(interpolate_pos_embed(const, (4, 4), (4, 4)), const)
    torch.testing.assert_close(interpolate_pos_embed(const, (4, 4), (7, 5)), torch.ones(36, 8))
    # a table that is not a class row plus a square grid is refused, naming the file
    from safetensors.torch import load_file, save_file

    sd = load_file(str(path))
    key = "module.visual.positional_embedding"
    sd[key] = sd[key][:-2].contiguous()  # 15 rows
    save_file(sd, str(tmp_path / "odd.safetensors"))
    with pytest.raises(ValueError, match=r"odd\.safetensors.*not a class row plus a square grid"):
        OpenClipEncoder(VisionConfig(width=64, layers=3, heads=4, patch_size=8, image_size=48,
                                     pretrained=str(tmp_path / "odd.safetensors")))


def test_missing_and_bad_weights_are_reported(tmp_path):
    from safetensors.torch import save_file

    clip, _ = _full_clip_state(tmp_path, "safetensors")
    sd = {k: v.contiguous() for k, v in clip.state_dict().items() if not k.startswith("visual.ln_pre")}
    save_file(sd, str(tmp_path / "partial.safetensors"))
    with pytest.raises(ValueError, match="missing vision keys.*ln_pre"):
        OpenClipEncoder(VisionConfig(width=64, layers=3, heads=4, pretrained=str(tmp_path / "partial.safetensors")))
    with pytest.raises(FileNotFoundError, match=r"encoder pretrained: .*nope\.safetensors not found"):
        OpenClipEncoder(VisionConfig(pretrained=str(tmp_path / "nope.safetensors")))
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pt"):
        OpenClipEncoder(VisionConfig(pretrained=str(tmp_path / "junk.pt")))


def test_named_arch_sincos_and_patch_skip():
    with torch.device("meta"):  # named architecture: sizes only, no memory or init time
        enc = OpenClipEncoder(VisionConfig(arch="ViT-B-32"))
    assert enc.width == 768 and enc.patch_size == 32 and enc.image_size == 224
    del enc
    torch.manual_seed(0)
    sc = OpenClipEncoder(VisionConfig(pos_embed="sincos2d", patch_skip=True))
    assert not sc.visual.positional_embedding.requires_grad
    x = torch.randn(1, 3, 32, 32)
    base = sc(x)
    with torch.no_grad():
        sc.gate.fill_(1.0)
    patches = sc.visual.conv1(x).flatten(2).transpose(1, 2)
    torch.testing.assert_close(sc(x), base + patches)
    old = {k: (v.reshape(()) if k == "gate" else v) for k, v in sc.state_dict().items()}  # a 0-d gate, as first shipped
    again = OpenClipEncoder(VisionConfig(pos_embed="sincos2d", patch_skip=True))
    again.load_state_dict(old)
    assert again.gate.shape == (1,) and again.gate.item() == 1.0


def test_projector_pooling_averages_grid_cells():
    proj = Projector(ProjectorConfig(type="linear", pool=2), 4, 4)
    with torch.no_grad():
        proj.net[0].weight.copy_(torch.eye(4))
        proj.net[0].bias.zero_()
    tokens = torch.arange(16, dtype=torch.float32)[None, :, None].expand(1, 16, 4)  # value = index on a 4x4 grid
    out = proj(tokens, (4, 4))  # (1,4,4)
    torch.testing.assert_close(out[0, :, 0], torch.tensor([2.5, 4.5, 10.5, 12.5]))
    assert proj.n_tokens((4, 4)) == 4
    with pytest.raises(ValueError, match="not divisible by the projector pool 2"):
        proj.n_tokens((5, 4))
    mlp = Projector(ProjectorConfig(type="mlp2x_gelu"), 8, 16)
    assert mlp(torch.randn(2, 9, 8), (3, 3)).shape == (2, 9, 16)
    with pytest.raises(ValueError, match="unknown projector type 'mlp3'"):
        Projector(ProjectorConfig(type="mlp3"), 8, 16)


def test_projector_loc2d_code_tells_each_token_where_it_is():
    """pos_code=loc2d: a token's code is nearest the <loc_N> code of its own cell centre, in x and y."""
    from rsvlm.model.llm import sincos_code
    from rsvlm.model.projector import loc2d_code

    plain = Projector(ProjectorConfig(type="linear"), 8, 32)
    coded = Projector(ProjectorConfig(type="linear", pos_code="loc2d", pos_code_scale=0.5), 8, 32)
    coded.load_state_dict(plain.state_dict())  # no new weights: old checkpoints load as they are
    tokens = torch.randn(2, 16, 8)  # (B,N,D) on a 4x4 grid
    a, b = plain(tokens, (4, 4)), coded(tokens, (4, 4))
    rms = a.pow(2).mean(dim=(1, 2), keepdim=True).sqrt()
    torch.testing.assert_close(b - a, 0.5 * rms * loc2d_code((4, 4), 32).expand(2, -1, -1))
    code = loc2d_code((4, 4), 32)  # (16,32): token k sits in row k // 4, column k % 4
    bins = torch.arange(1000)
    x_tab, y_tab = sincos_code(bins, 16, 1000), sincos_code(bins, 16, 1000)  # (1000,16)
    for k in range(16):
        x_best = (code[k, :16] @ x_tab.T).argmax().item()  # bin whose code matches best
        y_best = (code[k, 16:] @ y_tab.T).argmax().item()
        assert abs(x_best - ((k % 4) + 0.5) * 250) < 60, (k, x_best)
        assert abs(y_best - ((k // 4) + 0.5) * 250) < 60, (k, y_best)
    pooled = Projector(ProjectorConfig(type="linear", pool=2, pos_code="loc2d"), 8, 32)
    assert pooled(tokens, (4, 4)).shape == (2, 4, 32)  # the code follows the pooled 2x2 grid
    with pytest.raises(ValueError, match="pos_code must be 'none' or 'loc2d'"):
        Projector(ProjectorConfig(pos_code="rope"), 8, 32)
    with pytest.raises(ValueError, match="divisible by 4"):
        Projector(ProjectorConfig(pos_code="loc2d"), 8, 30)


def test_named_arch_takes_its_own_size_unless_image_size_is_given():
    import torch

    from rsvlm.model.vision import VisionConfig, build_encoder

    with torch.device("meta"):
        own = build_encoder(VisionConfig(arch="ViT-B-32"))
        bigger = build_encoder(VisionConfig(arch="ViT-B-32", image_size=320))
    assert own.image_size == 224 and bigger.image_size == 320
    assert bigger.visual.positional_embedding.shape[0] == 1 + (320 // 32) ** 2
