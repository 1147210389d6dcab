from __future__ import annotations

import json

from convert_helpers import convert


def test_geojson_building_no_is_filtered_not_an_unknown_class(tmp_path):
    """``--class-property building`` over OpenStreetMap footprints with ``building=no`` (or ``false``) counted
    them as skipped ``unknown_class``, an error key, and ``--strict`` stopped on them; the data says they are
    no building: left out by choice, under ``filtered``."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=100, height=80, count=1, dtype="uint8",
                       crs="EPSG:32631", transform=from_origin(500000.0, 5800000.0, 2, 2)) as ds:
        ds.write(np.full((1, 80, 100), 7, np.uint8))
    ring = [[500000.0 + 2 * x, 5800000.0 - 2 * y] for x, y in ([10, 10], [40, 10], [40, 30], [10, 30], [10, 10])]
    geom = {"type": "Polygon", "coordinates": [ring]}
    feats = [{"type": "Feature", "properties": {"building": v}, "geometry": geom} for v in ("yes", "no", False, "No")]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32631"}}
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": feats}))
    for out, extra in (("out", ()), ("strict", ("--strict",))):
        stats, recs = convert(tmp_path / out, "geojson", "--images", str(tmp_path / "a.tif"), "--labels",
                              str(tmp_path / "a.geojson"), "--class-property", "building", "--no-ground", *extra)
        assert stats["skipped"] == {}, stats["skipped_examples"]
        assert stats["filtered"] == {"--class-property building: property_says_no": 3}
        assert len(recs) == 2 and stats["notes"]["class_property_yes_read_as_its_name"] == 1
