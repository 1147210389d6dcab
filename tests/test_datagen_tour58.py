"""Data_gen follow-ups of the morning's helpers: converters meeting an image that does not decode,
objects with coordinates of the wrong shape, config tuples, synth and rebuild nits."""

from __future__ import annotations

from convert_helpers import png


def test_objects_of_the_wrong_shape_are_skipped_and_counted_not_a_traceback(tmp_path):
    """``emit_objects`` checked coordinates with its own copy of ``tiling.finite_coords``, which raised
    numpy's 'inhomogeneous shape' on a ragged obb and 'could not convert string' on words."""
    from data_gen.convert.common import Output
    from data_gen.convert.detection import DetOptions, emit_objects

    img = png(tmp_path / "a.png", 64, 64)
    objects = [{"kind": "obb", "label": "ship", "coords": [[1, 2], [3], [4, 5], [6, 7]], "src": "a.txt:1"},
               {"kind": "box", "label": "ship", "coords": [1, 2, "x", 4], "src": "a.txt:2"},
               {"kind": "box", "label": "ship", "coords": [1, 2, float("nan"), 4], "src": "a.txt:3"},
               {"kind": "box", "label": "plane", "coords": [10, 10, 30, 30], "src": "a.txt:4"}]
    with Output(tmp_path / "o", "test") as out:
        emit_objects(out, rid="a", source="test", file="a.txt", image=img, width=64, height=64,
                     objects=objects, opts=DetOptions())
        stats = out.close()
    assert stats["skipped"] == {"unparsable_geometry": 2, "non_finite_coordinates": 1}
    assert stats["skipped_examples"]["unparsable_geometry"].startswith("a.txt:1: unparsable_geometry (obb ")
    assert stats["tasks"] == {"det": 1, "ground": 1}
