"""Review of stop 72's library fixes: ImageInput(path) infers its modality when made but reads its pixels where it
is used (read whole when made, a list of them held every scene in memory); for_python says a lower-case band list
(Landsat's b2,b3,b4,b5) as the list it is; a refused turn after an answered one leaves the session as it was."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tests.conftest import REPO

HARBOUR = str(REPO / "rsvlm/assets/samples/harbour_optical.png")


def test_an_image_input_of_a_path_holds_no_pixels_until_used(monkeypatch, tiny_vlm):
    from rsvlm.io import read as io_read
    from rsvlm.model import ImageInput
    from rsvlm.model.image_args import as_image_input

    reads = []
    whole = io_read.SceneReader.read
    monkeypatch.setattr(io_read.SceneReader, "read", lambda self, *a, **k: reads.append(self.name) or whole(self, *a, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        made = [ImageInput(HARBOUR) for _ in range(3)]
        assert reads == [] and {m.array for m in made} == {HARBOUR} and {m.modality for m in made} == {"optical"}
        assert as_image_input(made[0]).array.shape[0] == 3 and reads == [HARBOUR]  # read once, where used
        _, processor = tiny_vlm
        assert processor.band_notes(made[1]) == []  # the CLI's check reads it too (it took .array.shape of the path)
        made[2].modality = "sar"  # set after it was made: read as given, not as inferred when made
        with pytest.raises(ValueError, match="3 bands cannot be read as sar"):
            as_image_input(made[2])


def test_an_image_input_of_a_missing_or_bad_path_is_refused_when_made(tmp_path):
    from rsvlm.model import ImageInput

    with pytest.raises(FileNotFoundError, match=r"image: no file .*none\.tif"):
        ImageInput(str(tmp_path / "none.tif"))
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="junk.png"):
        ImageInput(str(tmp_path / "junk.png"))


@pytest.mark.parametrize("note, said", [
    ("name them by Landsat's numbering (--bands b2,b3,b4,b5)", "(ImageInput(..., bands=['b2', 'b3', 'b4', 'b5']))"),
    ("for Landsat 8/9 (--bands coastal,B,G,R)", "(ImageInput(..., bands=['coastal', 'B', 'G', 'R']))"),
    ("(e.g. --bands B02,B03), or give none", "(e.g. ImageInput(..., bands=['B02', 'B03'])), or give none"),
    ("(--bands names them otherwise)", "(ImageInput(..., bands=[...]) names them otherwise)"),
    ("name them with --bands", "name them with ImageInput(..., bands=[...])"),
])
def test_for_python_says_a_band_list_of_any_case(note, said):
    """A lower-case example was left behind the argument: '(ImageInput(..., bands=[...]) b2,b3,b4,b5)'."""
    from rsvlm.model.image_args import for_python

    assert said in for_python(note), for_python(note)


def test_a_refused_turn_after_an_answer_leaves_the_session_as_it_was(tiny_vlm):
    from rsvlm.model import ChatSession

    chat = ChatSession(*tiny_vlm, max_new_tokens=4)
    chat.ask("[cls] What scene?", images=np.random.default_rng(0).random((3, 32, 32), dtype=np.float32))
    before = (list(chat.messages), list(chat.token_ids), chat.cache_len, len(chat.pixels), chat.asked)
    for question, kwargs in (("[det]", {}), ("[regcap] What is here?", {}), ("", {}), ("[cls] And?", {"image": 1}),
                             ("[change] What changed?", {})):
        with pytest.raises((ValueError, TypeError)):
            chat.ask(question, **kwargs)
        assert (list(chat.messages), list(chat.token_ids), chat.cache_len, len(chat.pixels), chat.asked) == before


def test_a_grey_array_is_told_to_repeat_its_band_only_for_an_rgb_stem():
    """An optical stem of R, G, B, NIR was told to repeat the grey band 3 times: a count it refuses again."""
    from rsvlm.model.stem import StemConfig, match_bands

    rgbn = StemConfig(bands=["R", "G", "B", "NIR"], mean=[0.5] * 4, std=[0.2] * 4)
    with pytest.raises(ValueError) as e:
        match_bands(rgbn, None, 1, "images[0]", "error")
    assert "expects 4 bands" in str(e.value) and "repeat" not in str(e.value), str(e.value)
    with pytest.raises(ValueError, match=r"got 1; a grey image is R = G = B"):
        match_bands(StemConfig(), None, 1, "images[0]", "error")


def test_the_model_s_own_image_path_names_the_python_argument(tiny_vlm):
    """RSVLM.generate(images=[[ImageInput]]) / encode_images were told the CLI's '(--bands, or "bands" in a record's
    image)': the processor and ChatSession said bands=, the model's own path (_pixels) did not."""
    import torch

    from rsvlm.model import ImageInput

    model, _ = tiny_vlm
    five = ImageInput(np.random.default_rng(0).random((5, 32, 32), dtype=np.float32), "sar")
    for call in (lambda: model.encode_images([five]),
                 lambda: model.generate(torch.tensor([[1, 2]]), images=[[five]], max_new_tokens=1)):
        with pytest.raises(ValueError) as e:
            call()
        said = ("name them, 5 names in their order (ImageInput(..., bands=[...]), e.g. ImageInput(..., "
                "bands=['B1', 'B2', 'B3', 'B4', 'B5']) with each band's real name) to pick the model's 2")
        assert said in str(e.value), str(e.value)
        assert "--bands" not in str(e.value)


def test_an_archive_s_raster_or_a_url_goes_to_the_reader(tmp_path):
    """/vsizip/… (read by rsvlm.io.read_image) and a URL were refused as 'no file …: pass an existing file'."""
    import zipfile

    from rsvlm.model import ImageInput
    from rsvlm.model.image_args import as_image_input

    with zipfile.ZipFile(tmp_path / "h.zip", "w") as z:
        z.write(HARBOUR, "h.png")
    inside = f"/vsizip/{tmp_path}/h.zip/h.png"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert as_image_input(inside).array.shape[0] == 3 and ImageInput(inside).modality == "optical"
    with pytest.raises(FileNotFoundError, match="a URL, and rsvlm reads local files only; download it first"):
        ImageInput("https://example.com/scene.tif")
