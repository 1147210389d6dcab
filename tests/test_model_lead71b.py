"""Stop 71's lead: ``RSVLM.generate`` and ``forward`` take the images the processor takes (an array, a path), their
units checked as the processor checks them; they failed on ``.modality`` of anything but an ImageInput."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import REPO

HARBOUR = REPO / "rsvlm/assets/samples/harbour_optical.png"


@pytest.fixture(scope="module")
def tiny(tiny_vlm):
    return tiny_vlm


def test_generate_takes_an_array_or_a_path_as_the_processor_reads_them(tiny):
    from rsvlm.io import read_image
    from rsvlm.model import ImageInput

    model, proc = tiny
    arr = read_image(str(HARBOUR)).data  # (3,H,W) float32 in [0, 1]
    batch = proc("<image>\n[cls] What scene?", [ImageInput(arr)])
    ids = {k: batch[k] for k in ("input_ids", "attention_mask")}
    want = model.generate(**batch, max_new_tokens=6).tokens
    for given in ([[arr]], [arr], arr, [[str(HARBOUR)]]):  # nested, flat, one array; a path read by the reader
        assert model.generate(**ids, images=given, max_new_tokens=6).tokens == want, type(given)


def test_generate_refuses_float_counts_naming_the_image(tiny):
    from PIL import Image

    model, proc = tiny
    counts = np.asarray(Image.open(HARBOUR).convert("RGB")).transpose(2, 0, 1).astype(np.float32)  # 0-255
    ids = {k: v for k, v in proc("<image>\n[cls] What scene?", [counts / 255]).items() if k != "images"}
    with pytest.raises(ValueError, match=r"images\[0\]\[0\]: band R averages .*divide by 255"):
        model.generate(**ids, images=[[counts]], max_new_tokens=4)


def test_eval_reads_a_hyphenated_word_opening_a_question_as_a_tag_it_does_not_know():
    # tokens.tagged refuses [change-detection] (963926c2); eval's reading of a record's turns did not see it as a
    # bracketed word at all, so such a record was asked as plain text with no note
    from rsvlm.eval_answers import tagged_record

    rec = {"id": "a", "conversations": [{"from": "human", "value": "<image>\n[change-detection] What changed?"},
                                        {"from": "gpt", "value": "x"}]}
    assert tagged_record(rec)[1] == "[change-detection]"
