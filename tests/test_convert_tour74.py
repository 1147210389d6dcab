"""Tour 74 of the converters: an unpaired GeoJSON's features counted streamed (ijson), not parsed whole; a zip member
that is not there said as a missing file naming the zip and the member; llava's network names in the reader's words;
rsivqa's help in words, not "(s)"."""

import json
import random
import zipfile

import pytest
from PIL import Image

from data_gen.convert.text import geojson_feature_count


def _random_value(rng, depth=0):
    """JSON of every kind, with strings holding the bytes the scan looks at: quotes, backslashes, brackets, keys."""
    r = rng.random()
    if depth > 3 or r < 0.3:
        bits = ['"features": [', "\\", '"', "[", "]", "{", "}", ",", '"type": "Feature"', " ", "\n", "é", "\\\\"]
        return rng.choice([1, -2.5e-3, None, True, "".join(rng.choice(bits) for _ in range(rng.randint(0, 6)))])
    if r < 0.6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["features", "type", "x", 'a"b', "features\\"]): _random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 3))}


def test_geojson_feature_count_agrees_with_json_on_random_files(tmp_path, monkeypatch):
    """Strings full of quotes, backslashes, brackets and fake keys; a lone Feature; keys in any order. Each counted
    streamed: the whole parse it falls back to is not there to agree for it."""
    from data_gen.convert import text as text_module

    monkeypatch.setattr(text_module, "read_json", lambda p: pytest.fail(f"{p} parsed whole"))
    rng = random.Random(74)
    path = tmp_path / "f.geojson"
    for _ in range(300):
        top = {k: _random_value(rng) for k in rng.sample(["a", "type", "crs", "b\\"], rng.randint(0, 3))}
        top["features"] = [_random_value(rng) for _ in range(rng.randint(0, 6))]
        if rng.random() < 0.2:
            top["type"] = "Feature"
        items = list(top.items())
        rng.shuffle(items)
        text = json.dumps(dict(items), ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
        path.write_text(text, encoding="utf-8")
        data = json.loads(text)
        want = 1 if data.get("type") == "Feature" else len(data["features"])
        assert geojson_feature_count(path) == want, text


@pytest.mark.parametrize(("text", "want"), [
    ('{"type": "FeatureCollection", "features": []}', 0),
    ('{"features": [ \n ] }', 0),
    ('\ufeff{"features": [{"type": "Feature"}, null]}', 2),  # a UTF-8 BOM
    ('{"type": "Feature", "geometry": null}', 1),
    ('{"geometry": null, "features": [1, 2], "type": "Feature"}', 1),  # its "type" last
    ('{"name": "\\"features\\": [1, 2, 3]", "features": [{}]}', 1),  # the key inside a string value is no key
    ('{"a": {"features": [1, 2]}}', 0),  # not the top level's
    ('{"features": {"a": 1}}', 0),  # no list
    ("[1, 2]", 0),
    ('{"features": [{"p": NaN}, {"p": Infinity}, {}]}', 3),  # json reads them, ijson does not: parsed whole
    ("", None),
    ('{"features": [{"a": 1}, {"b": [2, 3', None),  # cut short
])
def test_geojson_feature_count_on_edge_cases(tmp_path, text, want):
    (tmp_path / "f.json").write_text(text, encoding="utf-8")
    assert geojson_feature_count(tmp_path / "f.json") == want


def test_an_unpaired_geojson_is_counted_without_being_parsed(tmp_path, monkeypatch):
    """A GeoJSON whose GeoTIFF is missing was parsed whole to count its features (111 MB: 32 s, 710 MB); now
    streamed. A UTF-16 one, which ijson cannot read, is still parsed whole and counted."""
    from data_gen.__main__ import main
    from data_gen.convert import text

    (tmp_path / "img").mkdir()
    (tmp_path / "lab").mkdir()
    feats = [{"type": "Feature", "properties": {"name": "features"}, "geometry": None} for _ in range(5)]
    (tmp_path / "lab" / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    (tmp_path / "lab" / "b.geojson").write_text(json.dumps({"features": feats[:2]}), encoding="utf-16")
    parsed = []
    real = text.read_json
    monkeypatch.setattr(text, "read_json", lambda p: (parsed.append(p.name), real(p))[1])
    assert main(["convert", "geojson", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                 "--out", str(tmp_path / "o"), "--no-progress"]) == 2  # no records written
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped"]["missing_image"] == 2 and stats["notes"]["objects_unchecked_image_missing"] == 5 + 2
    assert parsed == ["b.geojson"]


def _llava(tmp_path, name):
    from data_gen.__main__ import main

    src = tmp_path / "src"
    src.mkdir()
    Image.new("RGB", (12, 8)).save(src / "a.png")
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.write(src / "a.png", "scenes/a.png")
    turns = [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A field."}]
    (tmp_path / "l.json").write_text(json.dumps([{"id": "r0", "image": name, "conversations": turns}]))
    return main(["convert", "llava", "--src", str(tmp_path / "l.json"), "--images", str(src), "--out",
                 str(tmp_path / "out"), "--no-progress", "--strict"])


def test_a_zip_member_that_is_not_there_is_a_missing_image_naming_the_zip_and_member(tmp_path, capsys):
    """It was unreadable_image, GDAL's "'/vsizip/…/b.png' does not exist in the file system, and is not recognized as
    a supported dataset name"."""
    assert _llava(tmp_path, "/vsizip/pack.zip/scenes/b.png") == 2
    err = capsys.readouterr().err
    assert "missing_image" in err and "unreadable_image" not in err
    assert f"{tmp_path / 'src' / 'pack.zip'} holds no scenes/b.png (it holds scenes/a.png)" in err


def test_a_zip_member_that_is_there_still_converts(tmp_path):
    assert _llava(tmp_path, "/vsizip/pack.zip/scenes/a.png") == 0
    assert json.loads((tmp_path / "out" / "stats.json").read_text())["records"] == 1


def test_missing_member_leaves_nested_archives_and_plain_files_to_gdal(tmp_path):
    from data_gen.convert.images import missing_member

    with zipfile.ZipFile(tmp_path / "outer.zip", "w") as z:
        z.writestr("inner.zip", b"PK")
        z.writestr("dir/", b"")
    assert missing_member(f"/vsizip/{tmp_path}/outer.zip/inner.zip/x.tif") is None
    assert missing_member(tmp_path / "outer.zip") is None
    assert "holds no dir/x.tif (it holds inner.zip)" in missing_member(f"/vsizip/{tmp_path}/outer.zip/dir/x.tif")
    assert "GTIFF_DIR:2:" in missing_member(f"GTIFF_DIR:2:/vsizip/{tmp_path}/outer.zip/y.tif")


def test_llava_network_names_are_said_in_the_readers_words(tmp_path, capsys):
    """llava repeated rsvlm.io.checks.check_image_path's network test and wording; it now calls it."""
    assert _llava(tmp_path, "https://example.com/a.png") == 2
    err = capsys.readouterr().err
    assert "missing_image (https://example.com/a.png: a URL, and rsvlm reads local files only; download it first" in err


def test_rsivqa_help_says_files_in_words(capsys):
    from data_gen.convert import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["rsivqa", "--help"])
    out = capsys.readouterr().out
    assert "(s)" not in out and "files, or folders of them" in " ".join(out.split())


def test_a_truncated_geotiff_label_says_what_gdal_said(tmp_path):
    """masks (and levir-cd, through labelread) said "cannot read label (Read failed. See previous exception for
    details.)" of a GeoTIFF label cut short; now GDAL's own line, naming the file."""
    import numpy as np
    import rasterio

    from data_gen.__main__ import main

    for k in ("img", "lab"):
        (tmp_path / k).mkdir()
    Image.new("RGB", (64, 64)).save(tmp_path / "img" / "a.png")
    mask = np.zeros((1, 64, 64), np.uint8)
    mask[0, 8:40, 8:40] = 1
    with rasterio.open(tmp_path / "lab" / "full.tif", "w", driver="GTiff", width=64, height=64, count=1,
                       dtype="uint8") as ds:
        ds.write(mask)
    (tmp_path / "lab" / "a.tif").write_bytes((tmp_path / "lab" / "full.tif").read_bytes()[:2000])
    (tmp_path / "lab" / "full.tif").unlink()
    assert main(["convert", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                 "--binary", "tree", "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    said = json.loads((tmp_path / "o" / "stats.json").read_text())["skipped_examples"]["unreadable_label"]
    assert f"{tmp_path / 'lab' / 'a.tif'}: unreadable_label (cannot read label (" in said
    assert "previous exception" not in said and "IReadBlock" in said


def test_geojson_names_an_images_or_labels_path_that_is_not_there(tmp_path, capsys):
    """--images a.tif that is not there (a typo) was taken for an empty folder: each GeoJSON a missing_image telling
    to give --match."""
    from data_gen.__main__ import main

    (tmp_path / "a.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    assert main(["convert", "geojson", "--images", str(tmp_path / "a.tiff"), "--labels", str(tmp_path / "a.geojson"),
                 "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"--images {tmp_path / 'a.tiff'}: no such file or folder" in err and "--match" not in err


def test_the_footprints_of_a_geotiff_without_georeference_are_counted(tmp_path):
    """A GeoTIFF without a CRS or transform (a GRD of GCPs only) was skipped as no_georeference, its footprints lost
    without a count, as a missing or unreadable image's are not."""
    import numpy as np
    import rasterio

    from data_gen.__main__ import main

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=32, height=32, count=1, dtype="uint8") as ds:
        ds.write(np.zeros((1, 32, 32), np.uint8))
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    feats = [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}] * 3
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    assert main(["convert", "geojson", "--images", str(tmp_path / "a.tif"), "--labels", str(tmp_path / "a.geojson"),
                 "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped"] == {"no_georeference": 1}
    assert stats["notes"]["objects_unchecked_image_not_georeferenced"] == 3
