"""Tour 77, round 2 (chat): "/image a.png optical sar" was answered with the command for the second modality alone
("give one (/image a.png sar)"), though the first is where a modality goes and is the one meant as often."""

from __future__ import annotations

import pytest
from test_predict_edges import chat_repl


@pytest.mark.parametrize("given, ways", [
    ("optical SAR", "{p} optical or /image {p} sar"),  # the first, then the second
    ("ir msi", "{p} ir or /image {p} msi"),
    ("sar SAR", "{p} sar"),  # one modality twice: one command
])
def test_two_modalities_to_image_offer_both_the_first_first(ckpt, geotiff, given, ways):
    repl, out = chat_repl(ckpt)
    assert repl.handle(f"/image {geotiff} {given}")
    said = out.getvalue()
    assert f"give one (/image {ways.format(p=geotiff)}), band names after it (R,G,B)" in said, said
    assert not repl.images
