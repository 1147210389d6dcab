"""Review of stop 67's ``--dtype``: an older run stamp's answers read as float32's in check_stamp itself (rsvlm eval
special-cased it, and the refusal said ``--dtype None``); ``--image`` band lists with an empty entry; auto's pick of
a checkpoint's dtype where its LLM files hold two in equal numbers."""

import json

import pytest
import torch
from conftest import usage_error

from rsvlm import inference as inf
from rsvlm import loading
from rsvlm.predictions import check_stamp, stamp_path


def _answered(tmp_path, options: dict):
    """``p.jsonl`` with one answer, and its run stamp of ``options``."""
    out = tmp_path / "p.jsonl"
    out.write_text('{"id": "a", "task": "cls", "answer": "lake"}\n')
    stamp_path(out).write_text(json.dumps({"model": "m", "weights": {"config.yaml": "1:ab"}, "options": options}))
    return out


def test_a_stamp_from_before_dtype_is_read_as_float32_answers(tmp_path):
    """A run.json written before --dtype names none: resumed in float32, refused in another saying float32 (the
    refusal read "--dtype None → bfloat16")."""
    out = _answered(tmp_path, {"tta": "none"})
    now = {"model": "m", "weights": {"config.yaml": "1:ab"}, "options": {"tta": "none", "dtype": "float32"}}
    assert check_stamp(out, now) is None
    err = check_stamp(out, {**now, "options": {"tta": "none", "dtype": "bfloat16"}})
    assert "answers given with other options (--dtype float32 → bfloat16)" in err, err


def test_a_stamp_naming_its_dtype_is_compared_as_written(tmp_path):
    out = _answered(tmp_path, {"dtype": "bfloat16"})
    assert check_stamp(out, {"weights": {"config.yaml": "1:ab"}, "options": {"dtype": "bfloat16"}}) is None
    err = check_stamp(out, {"weights": {"config.yaml": "1:ab"}, "options": {"dtype": "float32"}})
    assert "(--dtype bfloat16 → float32)" in err, err


@pytest.mark.parametrize("command", [["predict", "--task", "cls"], ["chat"]])
@pytest.mark.parametrize("files, said", [("B02.jp2,,B03.jp2", "band file 2 of 3 is empty"),
                                         ("B02.jp2, ,B03.jp2", "band file 2 of 3 is empty"),
                                         ("B02.jp2,B03.jp2,", "band file 3 of 3 is empty"),
                                         (",B02.jp2", "band file 1 of 2 is empty")])
def test_an_image_band_list_with_an_empty_entry_is_a_usage_error_naming_it(command, files, said, capsys):
    """It was dropped without a word: the image read a band short (or, a trailing comma, as typed)."""
    err = usage_error([*command, "--image", files], capsys)
    assert f"argument --image: image {files!r}: {said} (two commas together, or one at an end); give one file " \
           "per band, comma-separated" in err, err


def test_chats_image_command_and_the_library_refuse_an_empty_band_file_too(tmp_path):
    with pytest.raises(ValueError, match=r"image 'a.tif,,b.tif': band file 2 of 3 is empty"):
        inf.ImageSpec.parse("a.tif,,b.tif")
    odd = tmp_path / "scene,,2020.tif"  # a file whose own name holds the commas is that one file
    odd.write_bytes(b"")
    assert inf.band_files(str(odd)) == [str(odd)]
    assert inf.band_files(" a.tif , b.tif ") == ["a.tif", "b.tif"]
    with pytest.raises(ValueError, match="names no file"):  # as before: predict and chat say it
        inf.band_files(" , ")


def test_auto_takes_the_first_stored_dtype_where_two_are_equally_many(tmp_path):
    """Counted through a set, a tie went whichever way its order fell in that process (eval stamps what auto
    picks, so a resume or another rank could differ); now the first in the files' order, as convert-llava's."""
    from safetensors.torch import save_file

    (tmp_path / "llm").mkdir()
    (tmp_path / "config.yaml").write_text("llm:\n  name_or_path: llm\n")
    save_file({"a": torch.zeros(2, dtype=torch.bfloat16), "b": torch.zeros(2)}, tmp_path / "llm" / "model.safetensors")
    assert loading.saved_dtype(tmp_path) == torch.bfloat16
    (tmp_path / "config.yaml").write_text("llm: llm\n")  # no section: an AttributeError traceback on a GPU
    assert loading.dtype_of("auto", "cuda", tmp_path) == torch.float32
