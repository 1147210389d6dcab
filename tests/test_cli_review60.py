"""Review 60 of the command line: parser hints, chat's /image refusal of options, advice said where it is
shown, and chat's GeoJSON written as predict's."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import usage_error

from rsvlm.cli import main


def test_a_value_left_out_before_a_misspelt_option_is_not_told_to_be_quoted(capsys):
    """``--region --promt hi`` was told "a value starting with '-' is given as --region=--promt"."""
    err = usage_error(["predict", "--image", "a.tif", "--task", "regcap", "--region", "--promt", "hi"], capsys)
    assert "--region=--promt" not in err, err
    assert "argument --region: expected one argument (--promt is no option: did you mean --prompt?)" in err, err


def test_a_negative_value_is_still_told_how_to_be_given(capsys):
    err = usage_error(["predict", "--image", "a.tif", "--task", "regcap", "--region", "-5,0,5,5"], capsys)
    assert "(a value starting with '-' is given as --region=-5,0,5,5)" in err, err


def test_a_word_after_the_end_of_options_is_no_typo_of_one(capsys):
    """After ``--`` a word is no option (a file named --regoin): "required: --task" offered --region for it."""
    err = usage_error(["predict", "--image", "a.tif", "--", "--regoin"], capsys)
    # the stray words are said before a --task wanted (015b766d): '--' and the word after it, as no option
    assert "'--' ends the options" in err and "did you mean" not in err, err


@pytest.mark.parametrize("words, meant", [
    (["a.tif", "--bands", "VV,VH", "--modality", "sar"], "/image a.tif sar VV,VH"),  # was /image a.tif VV,VH sar
    (["a.tif", "sar", "--bands", "VV,VH"], "/image a.tif sar VV,VH"),
    (["a.tif", "--bands=VV,VH", "--modality=sar"], "/image a.tif sar VV,VH"),
    (["a.tif", "--modality", "sar", "VV,VH"], "/image a.tif sar VV,VH"),
])
def test_image_options_are_said_as_the_command_in_its_order(words, meant):
    """/image takes PATH [modality] [bands]: the command said must read the modality first, or it is refused."""
    from rsvlm.chat_commands import option_words

    assert option_words(words) == f"/image takes the modality and bands without option names: {meant}"


def test_an_option_chat_does_not_take_is_not_called_one_of_chats():
    """``/image a.tif --region 0,0,5,5`` said --region "is an option of rsvlm chat, given when it starts"."""
    from rsvlm.chat_commands import option_words

    assert option_words(["a.tif", "--region", "0,0,5,5"]) == \
        "/image takes PATH [modality] [bands], no options (--region)"
    assert option_words(["a.tif", "--tta", "flip", "--region", "1"]) == (
        "/image takes PATH [modality] [bands], no options (--tta, --region): --tta is an option of rsvlm chat, "
        "given when it starts")


def test_a_file_named_like_an_option_is_still_an_image_path():
    from rsvlm.chat_commands import option_words

    assert option_words(["--x.tif"]) is None and option_words(["--x.tif", "sar"]) is None


def test_chat_advice_names_the_image_command_for_a_bare_modality_and_no_library_call():
    from rsvlm.advice import for_chat, for_cli
    from rsvlm.io.band_evidence import elevation_error

    dem = str(elevation_error("dem.tif", "band 1's unit 'm'"))
    assert "give the modality (--modality) to read it" in for_cli(dem) and "read_image" not in for_cli(dem)
    chat = for_chat(dem, "my dem.tif", None)
    assert "give the modality (/image 'my dem.tif' MODALITY) to read it" in chat and "--modality" not in chat, chat
    note = "the file name says 'dem': … give the modality (--modality) if it is imagery"
    assert for_chat(note, "a.tif", "ir", "T") == "the file name says 'dem': … give the modality (/image a.tif MODALITY T) " \
                                                 "if it is imagery"


def _dem(path):
    import rasterio
    from rasterio.transform import from_origin

    heights = np.random.default_rng(0).uniform(150, 400, (32, 32)).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="float32",
                       crs="EPSG:32633", transform=from_origin(500000.0, 4000000.0, 30, 30)) as ds:
        ds.write(heights, 1)
        ds.units = ["m"]
    return path


def test_predict_refusing_a_dem_names_its_option_not_the_library_call(tmp_path, capsys):
    """predict's read error said "give the modality (--modality, or read_image(..., modality=...))"."""
    p = _dem(tmp_path / "dem.tif")
    assert main(["predict", "--image", str(p), "--task", "cap", "--model", str(tmp_path / "no-model")]) == 2
    err = capsys.readouterr().err
    assert "holds elevation (a DEM)" in err and "give the modality (--modality) to read it" in err, err
    assert "read_image" not in err, err


def test_chat_refusing_a_dem_names_its_option_not_the_library_call(tmp_path, capsys):
    p = _dem(tmp_path / "dem.tif")
    assert main(["chat", "--image", str(p), "--model", str(tmp_path / "no-model")]) == 2
    err = capsys.readouterr().err
    assert "holds elevation (a DEM)" in err and "read_image" not in err, err


def test_chat_geojson_is_written_without_binary_noise(tmp_path):
    """predict --geojson went through jsonable (8351c75); chat's /geojson still wrote 12.303310000000002."""
    import rasterio
    from rasterio.transform import from_origin

    from rsvlm.chat_commands import Commands
    from rsvlm.io import read_image

    p = tmp_path / "wgs.tif"
    with rasterio.open(p, "w", driver="GTiff", width=64, height=64, count=3, dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(12.3, 45.6, 0.0001, 0.0001)) as ds:
        ds.write(np.random.default_rng(0).integers(0, 255, (3, 64, 64), dtype=np.uint8))
    said = []
    repl = SimpleNamespace(say=said.append, images=[read_image(p)],
                           last={"objects": [{"label": "ship", "kind": "box", "coords": [10.3, 20.7, 33.1, 41.3]},
                                             {"label": "ship", "kind": "box", "coords": [1.7, 2.9, 5.3, 6.1]}], "question": "q"})
    out = tmp_path / "new" / "a.geojson"
    Commands(repl).write_geojson([str(out)])
    assert said and said[-1].startswith(f"wrote {out}"), said
    text = out.read_text()
    numbers = re.findall(r"-?\d+\.\d+", text)
    assert numbers and all(len(n.lstrip("-").replace(".", "").lstrip("0")) <= 12 for n in numbers), text
    coords = json.loads(text)["features"][0]["geometry"]["coordinates"][0]
    assert [12.30331, 12.30103] == sorted({x for x, _ in coords}, reverse=True), coords  # was 12.303310000000002
