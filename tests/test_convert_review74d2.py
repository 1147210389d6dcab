"""Review 74 of D2 (converters round 2): levir-cd's change drawn over A/B nodata, and GeoJSON features counted
without building a deeply nested file's lists."""

import json
import tracemalloc

import numpy as np
import pytest

from data_gen.convert.common import ConversionError
from data_gen.convert.text import geojson_feature_count, geojson_features_before_error, read_json
from tests.test_convert_tour74b import collar_pair, convert_stats

FEATURE = json.dumps({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}})


def test_levir_leaves_out_change_drawn_where_the_pair_holds_no_data(tmp_path):
    """Nodata was void in the share's denominator only: a label changed over the collar said 147.1%."""
    label = np.zeros((1, 64, 128), np.uint8)
    label[0, :, :100] = 255  # changed over the collar and 40 of the 68 columns seen
    src = collar_pair(tmp_path / "src", 60, label)  # columns 0-59: no data
    stats = convert_stats("levir-cd", "--src", str(src), "--out", str(tmp_path / "o"))
    assert stats["notes"]["pairs_with_change_over_nodata"] == 1, stats["notes"]
    said = [json.loads(line)["conversations"][1]["value"] for line in (tmp_path / "o" / "records.jsonl").open()]
    assert said[0] == "1 building area changed, covering 58.8% of the part of the image with data.", said
    assert said[1].startswith("<ref>building</ref><poly><loc_468><loc_0>"), said  # column 60 of 128, not 0


def test_a_json_nested_too_deep_for_python_is_a_conversion_error(tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text('{"features": [' + FEATURE + ", " + "[" * 5000 + "]" * 5000 + "]}")
    with pytest.raises(ConversionError, match="deep.geojson: cannot read JSON \\(nested deeper"):
        read_json(path)  # was a bare RecursionError
    assert geojson_feature_count(path) == 2


def test_a_deeply_nested_geojson_is_counted_without_building_it(tmp_path):
    """ijson.items built the nested lists: 64 MB for 5000 deep, 4 GB for 50000 (a 100 KB file), a kill past that."""
    path = tmp_path / "cut.geojson"
    path.write_text('{"features": [' + FEATURE + ", " + "[" * 5000 + "]" * 5000 + ", " + FEATURE[:-3])
    tracemalloc.start()
    try:
        assert geojson_features_before_error(path) == 2
        assert tracemalloc.get_traced_memory()[1] < 8_000_000
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("text", "n"), [
    ('{"type": "Feature", "geometry": null}', 1), ('{"features": [1, "a", null, [2], {}], "x": {"features": [1]}}', 5),
    ('[{"features": [1]}]', 0), ('{"features": {"a": 1}}', 0), ('{"type": "FeatureCollection", "features": []}', 0),
])
def test_the_streamed_count_is_json_s(tmp_path, text, n):
    path = tmp_path / "g.geojson"
    path.write_bytes(text.encode())
    assert geojson_feature_count(path) == n
    assert geojson_features_before_error(path) == (0 if '"Feature"' in text else n)
