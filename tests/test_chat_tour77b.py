"""Tour 77, round 2 (chat): "/image a.png optical sar" was answered with the command for the second modality alone
("give one (/image a.png sar)"), though the first is where a modality goes and is the one meant as often."""

from __future__ import annotations

import pytest
from test_predict_edges import chat_repl


@pytest.mark.parametrize("given, why, ways", [
    ("optical SAR", "two modalities given (optical, sar): an image is read as one", "{p} optical or /image {p} sar"),
    ("ir msi", "two modalities given (ir, msi): an image is read as one", "{p} ir or /image {p} msi"),
    ("sar SAR", "sar given twice", "{p} sar"),  # one modality twice: not "two modalities", one command
])
def test_two_modalities_to_image_offer_both_the_first_first(ckpt, geotiff, given, why, ways):
    repl, out = chat_repl(ckpt)
    assert repl.handle(f"/image {geotiff} {given}")
    said = out.getvalue()
    assert f"error: /image: {why}; give one (/image {ways.format(p=geotiff)}), band names after it (R,G,B)" in said, said
    assert not repl.images
