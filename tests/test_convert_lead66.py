from __future__ import annotations

from convert_helpers import convert, footprints_scene


def test_geojson_building_no_is_filtered_not_an_unknown_class(tmp_path):
    """``--class-property building`` over OpenStreetMap footprints with ``building=no`` (or ``false``) counted
    them as skipped ``unknown_class``, an error key, and ``--strict`` stopped on them; the data says they are
    no building: left out by choice, under ``filtered``."""
    footprints_scene(tmp_path, [{"building": v} for v in ("yes", "no", False, "No")])
    for out, extra in (("out", ()), ("strict", ("--strict",))):
        stats, recs = convert(tmp_path / out, "geojson", "--images", str(tmp_path / "a.tif"), "--labels",
                              str(tmp_path / "a.geojson"), "--class-property", "building", "--no-ground", *extra)
        assert stats["skipped"] == {}, stats["skipped_examples"]
        assert stats["filtered"] == {"--class-property building: property_says_no": 3}
        assert len(recs) == 2 and stats["notes"]["class_property_yes_read_as_its_name"] == 1
