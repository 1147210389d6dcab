"""The model as a Python library, stop 72 round 2: one band-advice pattern (advice.BANDS) that takes a lower-case
list in chat, record and Python wording alike; a missing band's error says how to fill it, as its caller sets it;
ChatSession taking NumPy integers; scripts ending quietly on a closed pipe; ImageInput of an RSImage taking its
modality and refusing another; tag_meant reading a tag's consonants (cnt: count)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO


def sar_vv(rows: int = 32) -> np.ndarray:
    return np.random.default_rng(0).random((1, rows, rows), dtype=np.float32)  # (1,H,W): a VV-only scene


def test_a_lower_case_band_list_is_said_whole_in_chat_records_and_python():
    """advice.BANDS took a list that starts with a capital only: '(/image x.tif msi NAME,NAME,… b2,b3,b4,b5)'."""
    from rsvlm import advice
    from rsvlm.data.records import as_record_fields
    from rsvlm.model import image_args

    note = "name them by Landsat's numbering (--bands b2,b3,b4,b5)"
    assert advice.for_chat(note, "x.tif", "msi") == "name them by Landsat's numbering (/image x.tif msi b2,b3,b4,b5)"
    assert as_record_fields(note) == 'name them by Landsat\'s numbering ("bands": ["b2", "b3", "b4", "b5"] in the record)'
    assert advice.for_python(note) == "name them by Landsat's numbering (ImageInput(..., bands=['b2', 'b3', 'b4', 'b5']))"
    assert image_args.for_python is advice.for_python  # one owner of the wording
    assert advice.for_chat("(--bands names them)", "x.tif", "msi") == "(/image x.tif msi NAME,NAME,… names them)"


def test_a_missing_band_error_says_how_to_fill_it_for_each_caller():
    """match_bands' missing-band refusal (fill="error") gave no way out; each caller says its own."""
    from rsvlm.advice import for_chat, for_cli, for_config, for_python
    from rsvlm.data.records import as_record_fields
    from rsvlm.model.stem import StemConfig, match_bands

    cfg = StemConfig("sar", ["VV", "VH"], [0.0, 0.0], [1.0, 1.0])
    for bands, n in ((["VV"], 1), (None, 1), (["VV", "HH"], 2)):  # named, one unnamed band, another polarisation
        with pytest.raises(ValueError) as e:
            match_bands(cfg, bands, n, "vv.tif", "error")
        said = str(e.value)
        assert "fill them: --missing-bands copy or mean" in for_cli(said), said
        assert "fill them: rsvlm chat --missing-bands copy or mean, given when it starts" in for_chat(said, "vv.tif", "sar")
        assert "fill them: processor.missing_bands = 'copy' (or 'mean')" in for_python(said)
        assert "fill them: --missing-bands copy or mean" in as_record_fields(said)  # rsvlm eval's option
        assert "fill them: data.missing_bands: copy (or mean) in the training config" in for_config(as_record_fields(said))


def test_the_python_api_says_the_fill_it_takes(tiny_vlm):
    """ChatSession's refusal names processor.missing_bands, which then answers; model's own images, which no processor
    reads, name processor.prepare_image's fill, whose Pixels the model then takes."""
    from rsvlm.model import ChatSession, ImageInput

    model, processor = tiny_vlm
    vv = ImageInput(sar_vv(), "sar", ["VV"], "vv.tif")
    with pytest.raises(ValueError, match=r"vv\.tif: .*missing \['VH'\].*processor\.missing_bands = 'copy' \(or 'mean'\)"):
        ChatSession(model, processor, max_new_tokens=2).ask("[cls] What is this?", images=vv)
    with pytest.raises(ValueError, match=r"processor\.prepare_image\(image, fill='copy'\)"):
        model.encode_images([vv])
    assert model.encode_images([processor.prepare_image(vv, fill="copy")])[0].ndim == 2  # (N, D_llm)
    processor.missing_bands = "copy"
    try:
        assert isinstance(ChatSession(model, processor, max_new_tokens=2).ask("[cls] What is this?", images=vv), str)
    finally:
        processor.missing_bands = "error"


def test_predict_refusing_a_missing_band_names_the_fill_option(ckpt, tmp_path, capsys):
    import rasterio

    from rsvlm.cli import main

    path = tmp_path / "vv.tif"
    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="float32") as ds:
        ds.write(sar_vv())
    status = main(["predict", "--model", str(ckpt), "--image", str(path), "--modality", "sar", "--bands", "VV",
                   "--missing-bands", "error", "--prompt", "[cls] What is this?", "--max-new-tokens", "2"])
    err = capsys.readouterr().err
    assert status != 0 and "missing ['VH']" in err and "fill them: --missing-bands copy or mean" in err, err


def test_the_session_takes_numpy_integers(tiny_vlm):
    """np.int64(3) was refused as 'min_objects must be a whole number >= 0, got np.int64(3)'."""
    from rsvlm.model import ChatSession

    model, processor = tiny_vlm
    chat = ChatSession(model, processor, min_objects=np.int64(3), history=np.int32(2))
    assert (chat.min_objects, chat.history) == (3, 2) and type(chat.min_objects) is int and type(chat.history) is int
    for bad in (True, 2.0, "3", -1):
        with pytest.raises(ValueError, match="min_objects must be a whole number >= 0"):
            ChatSession(model, processor, min_objects=bad)


@pytest.mark.parametrize("script, args, status", [
    ("compare_checkpoints", ["A", "B", "--show", "3000"], 1),  # tensors differ: 1
    ("memory_plan", [str(REPO / "configs/model/tiny.yaml")], 0),
])
def test_a_script_whose_reader_went_away_ends_quietly(script, args, status, tmp_path):
    """`python scripts/memory_plan.py … | head` ended in a BrokenPipeError traceback."""
    import torch
    from safetensors.torch import save_file

    save_file({f"t{i}": torch.zeros(2) for i in range(3000)}, tmp_path / "A.safetensors")
    save_file({f"t{i}": torch.ones(2) for i in range(3000)}, tmp_path / "B.safetensors")
    args = [str(tmp_path / f"{a}.safetensors") if a in ("A", "B") else a for a in args]
    p = subprocess.Popen([sys.executable, str(REPO / "scripts" / f"{script}.py"), *args], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # the reader gone before the first line: `| head -0`
    err = p.stderr.read().decode()
    assert p.wait(timeout=300) == status and "Traceback" not in err and "BrokenPipe" not in err, err


def test_an_image_input_of_an_rs_image_takes_its_modality_and_refuses_another():
    """ImageInput(rs_image) said 'optical' of a SAR one; ImageInput(rs_image, "sar") of an optical one was read as
    optical without a word."""
    from rsvlm.io import RSImage
    from rsvlm.model import ImageInput
    from rsvlm.model.image_args import as_image_input

    sar = RSImage(sar_vv(), "sar", ["b1"], "vv.tif")
    assert ImageInput(sar).modality == "sar" and ImageInput(sar, "sar").modality == "sar"
    assert as_image_input(ImageInput(sar, bands=["VV"])).bands == ["VV"]  # names its channels, as an array's
    with pytest.raises(ValueError, match=r"vv\.tif: an RSImage read as 'sar' given modality 'optical'.*"
                                         r"read_image\(path, modality='optical'\)"):
        ImageInput(sar, "optical")
    later = ImageInput(sar)
    later.modality = "ir"  # set after it was made: refused where used
    with pytest.raises(ValueError, match="read as 'sar' given modality 'ir'"):
        as_image_input(later)


@pytest.mark.parametrize("word, tag", [("cnt", "count"), ("CNT", "count"), ("ctn", None), ("grd", None),
                                       ("cnn", None), ("crt", None), ("cls", "cls"), ("dte", "det")])
def test_tag_meant_reads_a_tags_consonants(word, tag):
    from rsvlm.tokens import tag_meant

    assert tag_meant(word) == tag


def test_a_consonant_tag_is_suggested_in_the_refusal():
    from rsvlm.tokens import tagged

    with pytest.raises(ValueError, match=r"unknown task tag \[cnt\]: did you mean \[count\]\?"):
        tagged("[cnt] How many ships?")


def test_load_pretrained_takes_one_override_as_a_str_and_names_a_bad_dtype(ckpt):
    """overrides="k=v" was read letter by letter ("override 'p' is not of the form key=value"); dtype=3 got
    transformers' message, not rsvlm's."""
    import torch

    from rsvlm.model import load_pretrained

    _, processor = load_pretrained(ckpt, overrides="prompt.max_history=3")
    assert processor.prompt.max_history == 3
    for bad in (3, torch.int8):
        with pytest.raises(TypeError, match=r"is not a dtype rsvlm loads a model in: auto, float32"):
            load_pretrained(ckpt, dtype=bad)
    with pytest.raises(TypeError, match=r"overrides must be a list of 'key=value' strings"):
        load_pretrained(ckpt, overrides={"prompt.max_history": 3})


def test_an_image_input_takes_the_clis_words_for_its_modality_and_bands(tiny_vlm):
    """bands="R,G,B" was 5 names ('R', ',', 'G', …); "SAR" had no stem; "rgb" was refused without the one meant."""
    from rsvlm.model import ChatSession, ImageInput

    model, processor = tiny_vlm
    rgb = np.random.default_rng(0).random((3, 32, 32), dtype=np.float32)
    given = ImageInput(rgb, "Optical", "R, G,B")
    assert (given.modality, given.bands) == ("optical", ["R", "G", "B"])
    assert ImageInput(np.stack([rgb[0], rgb[1]]), "SAR").modality == "sar"
    assert isinstance(ChatSession(model, processor, max_new_tokens=2).ask("[cls] What?", images=given), str)
    with pytest.raises(ValueError, match=r"no stem for modality 'rgb' \(did you mean 'optical'\?\)"):
        processor.prepare_image(ImageInput(rgb, "rgb"))
    with pytest.raises(ValueError, match=r"no stem for modality 'radar' \(did you mean 'sar'\?\)"):
        model.encode_images([ImageInput(rgb, "radar")])

