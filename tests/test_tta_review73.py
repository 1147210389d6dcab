"""Review of stop 73 (area T, tta): objects counted in order (``tta_lines.ordered``) no longer drop every view for "the
first floor", "the first option", "the last survey", "the second ship from the pier" (counted from a thing) or "the
first ship on the left" (a side said: turned as before), and name "the first two ships" whole; "which row of the
containers" is a row of things (kept), as "rows of containers"; ``tta_views.as_arrays`` reads a change pair's two
paths once each and takes a bfloat16 tensor."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm import tta
from rsvlm.tta_lines import counted_lines, ordered
from rsvlm.tta_views import as_arrays
from rsvlm.tta_words import swap_words


@pytest.mark.parametrize("question", [
    "[vqa] How many windows are on the first floor?", "[vqa] Is the first option or the second option correct?",
    "[vqa] What is the first thing you notice?", "[change] What changed since the last survey?",
    "[ground] the second ship from the pier", "[ground] the second ship, counting from the pier",
    "[ground] the first two images"])
def test_an_order_with_no_place_in_the_image_is_asked_of_every_view_as_written(question):
    """Each was taken as objects counted in order: every mirror view and crop dropped, the note asking "say from
    which side" of a floor, an option or a survey (and of a ship counted from the pier, the same in every view)."""
    assert ordered(question) is None
    assert [swap_words(question, v) for v in ("h", "v", "t")] == [question] * 3


@pytest.mark.parametrize("question, flipped", [
    ("[ground] the first ship on the left", "[ground] the first ship on the right"),
    ("[ground] the second tank at the far right", "[ground] the second tank at the far left")])
def test_an_order_among_those_on_a_side_turns_as_before(question, flipped):
    assert ordered(question) is None
    assert swap_words(question, "h") == flipped


@pytest.mark.parametrize("question, found", [
    ("[ground] the first two ships", "the first two ships"), ("[ground] the first 10 ships", "the first 10 ships"),
    ("[ground] the last three planes", "the last three planes")])
def test_objects_counted_in_order_by_a_number_are_named_whole(question, found):
    """"the first 10 ships" was not found (asked of every view as written); "the first two ships" was named "the first
    two" in the note."""
    assert ordered(question).group(0) == found
    assert swap_words(question, "h") is None
    assert f"the question's {found!r} under any mirror view" in tta.skipped_note(["h"], 7, question)


@pytest.mark.parametrize("question, turned", [
    ("Which row of the containers is the longest?", "Which row of the containers is the longest?"),
    ("Which row of their tanks is full?", "Which row of their tanks is full?"),
    ("Which row of the grass field is mowed?", "Which column of the grass field is mowed?"),
    ("Which row of the parking lot has the most cars?", "Which column of the parking lot has the most cars?")])
def test_a_row_of_the_things_is_kept_as_a_row_of_things(question, turned):
    """"of the" made any row a place's: "which row of the containers" was asked of a transpose as "which column of
    the containers", though "rows of containers" is kept."""
    assert swap_words(question, "t") == turned
    assert counted_lines(question) == ("things" if turned == question else "row")


def test_a_change_pair_of_paths_is_read_once_each(tmp_path, monkeypatch):
    from PIL import Image

    from rsvlm.model import image_args
    from rsvlm.model.processor import ImageInput

    paths = []
    for k in range(2):
        Image.fromarray(np.full((20, 30, 3), 50 * k, np.uint8)).save(path := tmp_path / f"t{k}.png")
        paths.append(str(path))
    pair = [ImageInput(p, modality="optical") for p in paths]
    read, real = [], image_args.from_file
    monkeypatch.setattr(image_args, "from_file", lambda path, *a: read.append(path) or real(path, *a))
    out = as_arrays(pair)
    assert read == paths
    assert [o.array.shape for o in out] == [(3, 20, 30)] * 2 and out[1].array.max() == pytest.approx(50 / 255)
    assert as_arrays(out) == out and read == paths  # arrays are not read again


def test_a_path_that_cannot_be_read_is_refused_naming_it(tmp_path):
    from rsvlm.model.processor import ImageInput

    bad = tmp_path / "scene.tif"
    bad.write_text("not a tiff")
    with pytest.raises(ValueError, match="scene.tif"):
        as_arrays([ImageInput(str(bad), modality="optical")])


def test_a_bfloat16_tensor_is_taken():
    """``.numpy()`` of a bfloat16 tensor raised a bare "Got unsupported ScalarType BFloat16"."""
    import torch

    from rsvlm.model.processor import ImageInput

    (out,) = as_arrays([ImageInput(torch.full((3, 20, 30), 0.5, dtype=torch.bfloat16))])
    assert out.array.dtype == np.float32 and out.array.shape == (3, 20, 30) and float(out.array.max()) == 0.5


def test_the_word_patterns_compile_on_python_3_10():
    """``requires-python = ">=3.10"``: a possessive quantifier ("?+") or an atomic group ("(?>") is 3.11's alone, an
    ``re.error`` on importing ``rsvlm.tta`` under 3.10."""
    import re

    from rsvlm import tta_lines, tta_places, tta_senses, tta_tables, tta_words

    eleven = re.compile(r"\(\?>|(?<!\\)[?*+}]\+")
    said = [f"{mod.__name__}.{name}" for mod in (tta_lines, tta_places, tta_senses, tta_tables, tta_words)
            for name, p in vars(mod).items() if isinstance(p, re.Pattern) and eleven.search(p.pattern)]
    assert said == []
