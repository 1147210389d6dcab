"""The model as a Python library, round 2 (stop 71): images given as a path, PIL image, RSImage or tensor read as
the reader reads them, integer tensors and float 0-255 arrays refused (both were read as if scaled), ChatSession
taking them too; a task word in a tag's place told the tag it means; band-name counts said in the singular; the llm/
NaN scan counting a tied head once and saying a float16 overflow."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from tests.conftest import REPO, photo

HARBOUR = REPO / "rsvlm/assets/samples/harbour_optical.png"


@pytest.fixture(scope="module")
def tiny(tiny_vlm):
    return tiny_vlm


@pytest.fixture(scope="module")
def scaled():
    """The harbour sample as rsvlm.io reads it: (3,H,W) float32 in [0, 1], and its uint8 (H,W,3)."""
    from PIL import Image

    from rsvlm.io import read_image

    rgb = np.asarray(Image.open(HARBOUR).convert("RGB"))
    return read_image(str(HARBOUR)).data, rgb


@pytest.mark.parametrize("bands, channels, said", [
    (["VV"], 2, "1 band name ['VV'] given for 2 channels"),
    (["A", "B"], 1, "2 band names ['A', 'B'] given for 1 channel"),
])
def test_a_band_name_count_off_the_channels_is_said_in_the_right_number(tiny, bands, channels, said):
    """It said '1 band names ['VV'] for 2 channels', and not what to give."""
    from rsvlm.model import ImageInput

    _, proc = tiny
    with pytest.raises(ValueError) as e:
        proc.prepare_image(ImageInput(np.random.rand(channels, 8, 8).astype(np.float32), "sar", bands))
    assert said in str(e.value) and "give one name per channel" in str(e.value), e.value


def test_predict_suggests_the_tag_a_task_word_means(capsys):
    """'[detection] Detect all ships.' was refused with the list of tags alone."""
    from rsvlm.cli import main

    assert main(["predict", "--image", str(HARBOUR), "--prompt", "[detection] Detect all ships."]) == 2
    err = capsys.readouterr().err
    assert "--prompt: unknown task tag [detection]: did you mean [det]? The tags are [cls]" in err, err


@pytest.mark.parametrize("word, tag", [
    ("detection", "det"), ("Classification", "cls"), ("segmentation", "seg"), ("grounding", "ground"),
    ("counting", "count"), ("caption", "cap"), ("change-detection", "change"), ("region_caption", "regcap"),
    ("dte", "det"), ("segmnt", "seg"), ("note", None), ("image", None),
])
def test_tag_meant(word, tag):
    from rsvlm.tokens import tag_meant

    assert tag_meant(word) == tag


def test_a_hyphenated_tag_is_refused_not_asked_as_free_chat():
    """'[change-detection] …' did not read as a tag at all: asked as free chat, unsaid."""
    from rsvlm.tokens import tagged

    with pytest.raises(ValueError, match=r"unknown task tag \[change-detection\]: did you mean \[change\]\?"):
        tagged("[change-detection] What changed?")
    with pytest.raises(ValueError, match=r"unknown task tag \[note\]: the tags are"):  # no near tag: none said
        tagged("[note] hello")


@pytest.mark.parametrize("how", ["path", "pathlib", "pil", "rs_image", "tensor", "image_input_of_path",
                                 "image_input_of_pil"])
def test_an_image_given_as_a_file_pil_or_tensor_is_read_as_the_reader_reads_it(tiny, scaled, how):
    """A path failed as 'could not convert string to float', a PIL image as (H,W,C), an RSImage as not numbers."""
    from PIL import Image

    from rsvlm.io import read_image
    from rsvlm.model import ImageInput

    _, proc = tiny
    data, _ = scaled
    given = {"path": lambda: str(HARBOUR), "pathlib": lambda: HARBOUR,
             "pil": lambda: Image.open(HARBOUR), "rs_image": lambda: read_image(str(HARBOUR)),
             "tensor": lambda: torch.from_numpy(data).requires_grad_(),
             "image_input_of_path": lambda: ImageInput(str(HARBOUR)),
             "image_input_of_pil": lambda: ImageInput(Image.open(HARBOUR).convert("RGB"))}[how]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a path's reader notes (modality inferred) are warned
        got = proc.prepare_image(given).tensor
    assert torch.allclose(got, proc.prepare_image(data).tensor, atol=1e-6)


def test_an_integer_tensor_is_refused_as_raw_counts(tiny, scaled):
    """A torch uint8 (C,H,W) went through np.asarray(dtype=float32): 0-255 read as if scaled, unsaid."""
    _, proc = tiny
    with pytest.raises(ValueError, match=r"images\[0\]: pixel values of dtype uint8 are raw counts"):
        proc("<image>\n[cls] What scene?", [torch.from_numpy(scaled[1].transpose(2, 0, 1).copy())])


@pytest.mark.parametrize("factor", [1.0, 0.1])  # a dark image's counts too
def test_float_counts_are_refused_naming_the_band_and_the_fix(tiny, scaled, factor):
    """A float (C,H,W) array of 0-255 values was read as if in [0, 1]: every answer about another image."""
    _, proc = tiny
    counts = scaled[1].transpose(2, 0, 1).astype(np.float32) * factor
    with pytest.raises(ValueError) as e:
        proc.prepare_image(counts)
    said = str(e.value)
    assert said.startswith("image: band R averages") and "divide by 255" in said, said
    proc.prepare_image(counts / 255 / factor)  # scaled, it is taken


def test_sar_in_db_and_ir_in_kelvin_are_refused_as_other_units(tiny):
    from rsvlm.model import ImageInput

    _, proc = tiny
    rng = np.random.default_rng(0)
    for arr, modality in ((rng.uniform(-25, 0, (2, 16, 16)), "sar"), (rng.uniform(280, 310, (1, 16, 16)), "ir")):
        with pytest.raises(ValueError, match="standard deviations from the"):
            proc.prepare_image(ImageInput(arr.astype(np.float32), modality))


def test_an_hwc_count_array_is_told_both_fixes_at_once(tiny, scaled):
    """np.asarray(pil) was told to transpose, then, transposed, refused as counts."""
    _, proc = tiny
    with pytest.raises(ValueError, match=r"images\[0\]\[0\]: shape \(96, 96, 3\) looks like \(H,W,C\).*"
                                         r"arr\.transpose\(2, 0, 1\) / 255"):
        proc(["<image>\n[cls] a", "<image>\n[cls] b"], [[scaled[1]], [scaled[0]]])


@pytest.mark.parametrize("given, said", [
    (None, "images[0] is None: pass a (C,H,W) float array"),
    ({"a": 1}, "images[0]: a dict is no image: pass"),
    ("no/such.png", "images[0]: no file 'no/such.png'"),
])
def test_what_is_no_image_is_refused_naming_the_argument(tiny, given, said):
    _, proc = tiny
    with pytest.raises((ValueError, FileNotFoundError)) as e:
        proc("<image>\n[cls] What scene?", [given])
    assert said in str(e.value), e.value


def test_a_pil_image_without_a_fixed_scale_or_with_transparent_pixels_is_refused(tiny, scaled):
    from PIL import Image

    _, proc = tiny
    with pytest.raises(ValueError, match=r"mode 'I;16' has no fixed scale: read its file with rsvlm.io.read_image"):
        proc.prepare_image(Image.fromarray(scaled[1][..., 0].astype(np.uint16) * 257))
    rgba = Image.fromarray(scaled[1]).convert("RGBA")
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    with pytest.raises(ValueError, match="transparent pixels"):
        proc.prepare_image(rgba)
    grey = proc.prepare_image(Image.fromarray(scaled[1]).convert("L")).tensor  # grey: into R, G, B, as the reader
    assert grey.shape[0] == 3


@pytest.mark.parametrize("as_given", ["list_of_array", "array", "pil", "path"])
def test_chat_session_takes_what_the_processor_takes(tiny, scaled, as_given):
    """ChatSession.ask(images=[array]) failed with AttributeError 'modality'; images=array with 'truth value of an
    array is ambiguous'; a path or PIL image with AttributeError."""
    from PIL import Image

    from rsvlm.model import ChatSession

    model, proc = tiny
    images = {"list_of_array": [scaled[0]], "array": scaled[0], "pil": Image.fromarray(photo()),
              "path": str(HARBOUR)}[as_given]
    chat = ChatSession(model, proc, max_new_tokens=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chat.ask("[cls] What scene?", images=images)
    assert chat.stats[0]["images_encoded"] == 1


def test_chat_session_reads_the_task_tag_as_chat_does(tiny, scaled):
    """'[detection] …' was asked as free text (no [det] grammar), '[DET]' likewise."""
    from rsvlm.model import ChatSession

    model, proc = tiny
    chat = ChatSession(model, proc, max_new_tokens=2)
    with pytest.raises(ValueError, match=r"unknown task tag \[detection\]: did you mean \[det\]\?"):
        chat.ask("[detection] Detect all ships.", images=[scaled[0]])
    chat.ask("[DET]Detect all ships.", images=[scaled[0]])
    assert chat.messages[-2]["content"].endswith("\n[det] Detect all ships.")


def _tiny_llm(folder, dtype=torch.float32, tied=False):
    """A one-layer Llama saved in ``folder``; the model as loaded."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    conf = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                       num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=tied)
    LlamaForCausalLM(conf).to(dtype).save_pretrained(folder)
    return LlamaForCausalLM.from_pretrained(folder, dtype=dtype)


def test_the_llm_nan_scan_counts_a_tied_head_once(tmp_path, monkeypatch):
    """A tied head and its embeddings (one tensor) counted twice toward SCAN_VALUES: an LLM under the limit was not
    scanned, and one scanned read the shared table twice."""
    import rsvlm.model.ckpt_files as ckpt_files

    llm = _tiny_llm(tmp_path, tied=True)
    assert llm.lm_head.weight is llm.model.embed_tokens.weight
    unique = sum(p.numel() for p in llm.parameters())  # parameters() lists a shared tensor once
    with torch.no_grad():
        llm.model.layers[0].mlp.up_proj.weight[0, 0] = float("nan")
    seen = []
    real = ckpt_files.all_finite
    monkeypatch.setattr(ckpt_files, "all_finite", lambda t: seen.append(t.data_ptr()) or real(t))
    monkeypatch.setattr(ckpt_files, "SCAN_VALUES", unique)
    with pytest.raises(ValueError, match="1 weight holds NaN or inf"):
        ckpt_files.check_llm_values(tmp_path, llm)
    assert len(seen) == len(set(seen))  # each tensor scanned once


def test_an_llm_loaded_in_float16_past_its_range_is_said_to_overflow(tmp_path):
    """A float32 llm/ with values past 65504 loaded in float16 was refused as 'a diverged run?'."""
    from transformers import LlamaForCausalLM

    import rsvlm.model.ckpt_files as ckpt_files

    llm = _tiny_llm(tmp_path)
    with torch.no_grad():
        llm.model.layers[0].mlp.up_proj.weight[0, 0] = 1e5
    llm.save_pretrained(tmp_path)
    half = LlamaForCausalLM.from_pretrained(tmp_path, dtype=torch.float16)
    with pytest.raises(ValueError) as e:
        ckpt_files.check_llm_values(tmp_path, half)
    said = str(e.value)
    assert "model.layers.0.mlp.up_proj.weight holds values up to 1e+05 as stored (float32), past what float16" in said
    assert "load it in bfloat16 or float32" in said and "diverged" not in said, said
    with torch.no_grad():  # stored NaN: still a diverged run's
        llm.model.layers[0].mlp.up_proj.weight[0, 0] = float("nan")
    llm.save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="diverged run"):
        ckpt_files.check_llm_values(tmp_path, LlamaForCausalLM.from_pretrained(tmp_path, dtype=torch.float16))


def test_load_pretrained_takes_a_dtype_by_name(ckpt):
    """dtype="bfloat16" (as --dtype takes it) failed as a TypeError from .to() deep in the load."""
    from rsvlm.model import load_pretrained

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, _ = load_pretrained(ckpt, dtype="bf16")
    assert model.llm.get_input_embeddings().weight.dtype == torch.bfloat16
    with pytest.raises(ValueError, match=r"'int4' is not a dtype rsvlm loads a model in: auto, float32"):
        load_pretrained(ckpt, dtype="int4")


def test_chat_session_refuses_a_change_question_about_other_than_two_images(tiny, scaled):
    """'[change] What changed?' about one image was answered: a made-up change (chat and predict refuse it)."""
    from rsvlm.model import ChatSession

    model, proc = tiny
    chat = ChatSession(model, proc, max_new_tokens=2)
    with pytest.raises(ValueError, match=r"\[change\] compares two images, and this conversation has 1: ask it with "
                                         r"images=\[before, after\]$"):
        chat.ask("[change] What changed?", images=[scaled[0]])
    assert not chat.stats  # nothing asked
    chat.ask("[change] What changed?", images=[scaled[0], scaled[0]])
    with pytest.raises(ValueError, match=r"has 3: ask it with images=\[before, after\] after reset\(\)"):
        chat.ask("[change] And now?", images=[scaled[0]])


def test_16_bit_counts_are_told_how_to_scale_them(tiny):
    """A uint16 array was told only '8-bit optical: array / 255'."""
    from rsvlm.model import ImageInput

    _, proc = tiny
    with pytest.raises(ValueError, match=r"dtype uint16 are raw counts.*other counts: read the file with "
                                         r"rsvlm\.io\.read_image, which .* msi DN to reflectance \(/ 10000\)"):
        proc.prepare_image(ImageInput(np.full((4, 8, 8), 1200, np.uint16), "msi"))
