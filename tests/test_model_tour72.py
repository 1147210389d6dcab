"""The model as a Python library, stop 72: ChatSession refusing what chat refuses (an empty question, a tag alone,
[regcap] without a box, a box in plain numbers, a typo'd keyword), band advice said as Python arguments, tag_meant
no longer taking any word one letter from a 3-letter tag, min_objects without the grammar refused when built,
ImageInput(path) inferring its modality as a bare path does, load_pretrained naming a missing path or a file."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def session(tiny_vlm):
    from rsvlm.model import ChatSession

    model, processor = tiny_vlm
    return ChatSession(model, processor, max_new_tokens=4)


def image():
    return np.random.default_rng(0).random((3, 32, 32), dtype=np.float32)  # (C,H,W) in [0, 1]


def tif(path, data):
    """``data`` (C,H,W) as a GeoTIFF at ``path``."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                       dtype=data.dtype, crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10, 10)) as ds:
        ds.write(data)
    return path


@pytest.mark.parametrize("question, says", [
    ("", "the question is empty: write one"),
    ("  ", "the question is empty: write one"),
    ("[det]", "[det] alone asks nothing: write the question after it, e.g. '[det] Detect every object.'"),
    ("[COUNT] ", "[count] alone asks nothing"),
    ("[regcap] What is here?", "[regcap] asks about a region, and this question names none: write its box in it, "
                               "<box><loc_X1><loc_Y1><loc_X2><loc_Y2></box>"),
    ("[vqa] What is in <box>10,10,50,50</box>?", "the question's geometry is not written as the model reads it"),
])
def test_the_session_refuses_what_chat_refuses(session, question, says):
    """Each was answered (a tag alone with a box, [regcap] about a box the model drew itself, "" as free chat)."""
    session.reset()
    with pytest.raises(ValueError) as e:
        session.ask(question, images=image())
    assert says in str(e.value), str(e.value)
    assert session.asked == 0 and session.pixels == []  # nothing kept of the refused turn


def test_the_session_still_answers_a_region_and_a_question(session):
    session.reset()
    assert isinstance(session.ask("[regcap] What is in <box><loc_0><loc_0><loc_500><loc_500></box>?",
                                  images=image()), str)
    assert isinstance(session.ask("[vqa] And around it?"), str) and session.asked == 2


def test_the_session_names_a_bad_question_or_keyword(session):
    """ask(None) failed as "'NoneType' is not iterable", ask(image=…) inside GenerationConfig."""
    with pytest.raises(TypeError, match="the question must be a str, got NoneType"):
        session.ask(None, images=image())
    with pytest.raises(TypeError, match=r"ask\(\) got no argument image: it takes text, images \(one image or a list"):
        session.ask("[cls] What scene?", image=image())


def test_band_advice_names_the_python_argument(session, tiny_vlm):
    """A SAR array of 5 bands was told '(--bands, or "bands" in a record's image)': no such option in Python."""
    from rsvlm.model import ImageInput

    five = ImageInput(np.random.default_rng(0).random((5, 32, 32), dtype=np.float32), "sar")
    session.reset()
    with pytest.raises(ValueError) as e:
        session.ask("[cls] What scene?", images=five)
    said = ("name them, 5 names in their order (ImageInput(..., bands=[...]), e.g. ImageInput(..., "
            "bands=['B1', 'B2', 'B3', 'B4', 'B5']) with each band's real name) to pick the model's 2")
    assert said in str(e.value)
    assert "--bands" not in str(e.value) and '"bands"' not in str(e.value)
    _, processor = tiny_vlm
    with pytest.raises(ValueError, match=r"ImageInput\(\.\.\., bands=\[\.\.\.\]\)"):
        processor("<image>\n[cls] What scene?", [five])
    # the CLI's check
    with pytest.raises(ValueError, match=r"\(--bands, or \"bands\" in a record's image, e.g\. --bands B1,"):
        processor.band_notes(five)


def test_a_grey_array_for_optical_is_told_to_repeat_its_band(session):
    """A (1,H,W) or (H,W) grey array was told 'expects 3 band(s), got 1' and no more."""
    session.reset()
    for grey in (image()[:1], image()[0]):
        with pytest.raises(ValueError, match=r"got 1; a grey image is R = G = B, as the readers read one: repeat its "
                                             r"band \(np.stack\(\[a.squeeze\(\)\] \* 3\)\)"):
            session.ask("[cls] What scene?", images=grey)
        assert isinstance(session.ask("[cls] What scene?", images=np.stack([grey.squeeze()] * 3)), str)  # as told
        session.reset()


def test_for_python_says_each_option_as_an_argument():
    from rsvlm.model.image_args import for_python

    assert for_python("these are colours (--modality msi)") == "these are colours (ImageInput(..., modality='msi'))"
    assert for_python("give --modality sar or ir") == "give ImageInput(..., modality='sar') (or 'ir')"
    assert (for_python("give the modality (--modality, or read_image(..., modality=...))")
            == "give the modality (ImageInput(..., modality=...))")
    assert for_python("name them with --bands VV,VH") == "name them with ImageInput(..., bands=['VV', 'VH'])"
    assert for_python("no advice") == "no advice"


def test_a_geotiff_of_other_bands_says_the_modality_argument(realdata):
    data = realdata / "msi_rgbn/rgbn_suba.tif"
    if not data.is_file():
        pytest.skip(f"real data absent: {data}")
    from rsvlm.model import ImageInput
    from rsvlm.model.image_args import as_image_input

    with pytest.raises(ValueError) as e:
        as_image_input(ImageInput(str(data), "sar"))
    assert "(ImageInput(..., modality='msi'))" in str(e.value) and "--modality" not in str(e.value), str(e.value)


@pytest.mark.parametrize("word, tag", [
    ("cat", None), ("car", None), ("set", None), ("sex", None), ("map", None), ("bet", None), ("cot", None),
    ("reg", None), ("box", None), ("note", None),
    ("detection", "det"), ("classification", "cls"), ("Change-Detection", "change"), ("dte", "det"),
    ("lcs", "cls"), ("dets", "det"), ("segmnt", "seg"), ("grund", "ground"), ("chnage", "change"),
    ("cont", "count"), ("clasification", "cls"), ("regcpa", "regcap"),
])
def test_tag_meant_suggests_only_a_close_match(word, tag):
    """[cat] was told 'did you mean [cap]?', [set] [seg], [map] [cap]: one letter from a 3-letter tag is no sign."""
    from rsvlm.tokens import tag_meant

    assert tag_meant(word) == tag


def test_an_unknown_short_tag_is_refused_without_a_guess():
    from rsvlm.tokens import tagged

    with pytest.raises(ValueError) as e:
        tagged("[cat] What animal is there?")
    assert "unknown task tag [cat]: the tags are [cls]" in str(e.value) and "did you mean" not in str(e.value)


def test_min_objects_without_the_grammar_is_refused_when_built(tiny_vlm):
    """It was taken, and refused at the first [det] question, naming decode_hooks' min_shapes."""
    from rsvlm.model import ChatSession

    with pytest.raises(ValueError, match="min_objects=3 needs the geometry grammar, which constrain=False turns off"):
        ChatSession(*tiny_vlm, constrain=False, min_objects=3)
    with pytest.raises(ValueError, match="min_objects must be a whole number >= 0, got -1"):
        ChatSession(*tiny_vlm, min_objects=-1)
    free = ChatSession(*tiny_vlm, constrain=False, max_new_tokens=4)  # a [ground] answer's box: a default, not held
    assert isinstance(free.ask("[ground] Where is the harbour?", images=image()), str)


def test_an_image_input_of_a_path_infers_its_modality_as_a_bare_path(tmp_path):
    """ImageInput(path) read a thermal band in kelvin as optical (grey into R, G, B); the bare path, as ir."""
    from rsvlm.model import ImageInput
    from rsvlm.model.image_args import as_image_input

    kelvin = tif(tmp_path / "k.tif", (np.random.default_rng(0).random((1, 32, 32)) * 20 + 280).astype("float32"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare, wrapped = as_image_input(str(kelvin)), as_image_input(ImageInput(str(kelvin)))
        given = as_image_input(ImageInput(str(kelvin), "sar"))
    assert bare.modality == wrapped.modality == "ir" and wrapped.array.shape[0] == 1
    made = ImageInput(str(kelvin))  # inferred when made (its placeholder's modality), its pixels read where used
    assert made.modality == "ir" and made.array == str(kelvin)
    with pytest.warns(UserWarning, match="modality inferred as ir"):  # the read's notes, as a bare path's
        assert as_image_input(made).array.shape == (1, 32, 32)
    assert given.modality == "sar"  # a modality given is read as given
    assert ImageInput(image()).modality == "optical"  # an array's default stays


def test_a_path_read_warns_at_the_callers_line(session, tiny_vlm):
    """The reader's notes pointed inside ChatSession.ask (a fixed stacklevel), and at <string> for ImageInput(path)."""
    from rsvlm.model import ImageInput

    harbour = str(REPO / "rsvlm/assets/samples/harbour_optical.png")
    session.reset()
    for call in (lambda: session.ask("[cls] What scene?", images=harbour),
                 lambda: (session.reset(), session.ask("[cls] What scene?", images=[ImageInput(harbour)])),
                 lambda: tiny_vlm[1]("<image>\n[cls] What scene?", [harbour])):
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            call()
        assert got and {w.filename for w in got} == {__file__}, [(w.filename, w.lineno) for w in got]


def test_load_pretrained_names_a_missing_path_or_a_file(ckpt, tmp_path):
    """Both read 'not an rsvlm checkpoint (no config.yaml)', as a folder of other files does."""
    from rsvlm.model import load_pretrained

    with pytest.raises(FileNotFoundError, match=r"none: not an rsvlm checkpoint \(no such folder\)"):
        load_pretrained(tmp_path / "none")
    with pytest.raises(FileNotFoundError, match=rf"a file; a checkpoint is a folder: give its folder, {ckpt}\)"):
        load_pretrained(ckpt / "config.yaml")


def test_importing_the_session_loads_no_heavy_library():
    code = ("import sys, rsvlm.model.session; print(sorted(m for m in ('deepspeed', 'peft', 'transformers', "
            "'rasterio', 'scipy', 'open_clip') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
