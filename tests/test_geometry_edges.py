"""Edge cases of the geometry codec found by property testing (tests/test_grammar_encode.py)."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm import geometry


def test_a_zero_area_poly_after_another_is_an_object_of_its_own_not_a_hole():
    # the second ring has zero area on its bins; in pixels its shoelace sum came out -1e-17
    objs = [{"kind": "poly", "label": "a", "coords": [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]},
            {"kind": "poly", "label": "a", "coords": [[0.0, 1.0], [0.0, 0.0], [0.0, 1.0], [1.0, 0.0]]}]
    text = geometry.encode(objs, 1, 1)
    dec = geometry.decode(text, 1, 1)
    assert dec.problems == [] and len(dec.objects) == 2 and "rings" not in dec.objects[0]
    assert geometry.encode(dec.objects, 1, 1) == text


def test_a_poly_smaller_than_a_bin_is_written_with_three_vertices_as_the_grammar_asks():
    w = h = 100000
    tiny = [[50000.0, 50000.0], [50001.0, 50000.0], [50000.0, 50001.0]]  # all in bin (500, 500)
    thin = [[50000.0, 50000.0], [50250.0, 50000.0], [50000.0, 50001.0]]  # bins (500, 500), (502, 500)
    text = geometry.encode([{"kind": "poly", "coords": tiny}, {"kind": "poly", "coords": thin}], w, h)
    assert text == ("<poly>" + "<loc_500>" * 6 + "</poly>"
                    "<poly><loc_500><loc_500><loc_502><loc_500><loc_502><loc_500></poly>")
    dec = geometry.decode(text, w, h)
    assert [len(o["coords"]) for o in dec.objects] == [3, 3] and geometry.encode(dec.objects, w, h) == text
    # a one-pixel mask instance on a big image is such a poly too
    m = np.zeros((3, 3000), bool)
    m[1, 1500] = True
    assert geometry.encode([{"kind": "mask", "mask": m}], 3000, 3).count("<loc_") == 6


@pytest.mark.parametrize("label", ["<image>", "tank [det]", "a <image> b", "[seg]"])
def test_a_label_holding_a_prompt_token_is_refused_naming_the_object(label):
    # the tokenizer reads these as rsvlm's image placeholder / task tag inside the answer
    with pytest.raises(ValueError, match=r"object 1: label .* contains an rsvlm tag"):
        geometry.encode([{"kind": "point", "coords": [1, 1]}, {"kind": "point", "label": label, "coords": [1, 1]}], 4, 4)
    geometry.encode([{"kind": "point", "label": "[Det] a<b", "coords": [1, 1]}], 4, 4)  # not a token: fine


def test_a_poly_with_fewer_than_three_vertices_is_kept_but_reported():
    for n in (1, 2):
        locs = "".join(f"<loc_{100 * (i + 1)}><loc_{200 * (i + 1)}>" for i in range(n))
        out = geometry.decode(f"<ref>pond</ref><poly>{locs}</poly>", 1000, 1000)
        assert [o["kind"] for o in out.objects] == ["poly"] and len(out.objects[0]["coords"]) == n
        assert any("fewer than the grammar's 3" in p for p in out.problems), out.problems
    ok = geometry.decode("<poly><loc_1><loc_1><loc_9><loc_1><loc_9><loc_9></poly>", 1000, 1000)
    assert ok.problems == []


def test_image_sizes_from_numpy_are_taken_as_ints():
    """Sizes read from an array or a table (np.int64) were refused as 'must be a positive int'."""
    import json

    import numpy as np

    from rsvlm import geometry

    w, h = np.int64(100), np.int32(80)
    text = geometry.encode([{"kind": "box", "label": "ship", "coords": [10, 8, 30, 20]}], w, h)
    assert text == geometry.encode([{"kind": "box", "label": "ship", "coords": [10, 8, 30, 20]}], 100, 80)
    parsed = geometry.decode(text, w, h)
    assert parsed.objects == geometry.decode(text, 100, 80).objects and json.dumps(parsed.objects)
    for bad in (10.0, True, np.bool_(True), 0, np.int64(-3)):
        with pytest.raises(ValueError, match="image width must be a positive int"):
            geometry.decode(text, bad, 80)
