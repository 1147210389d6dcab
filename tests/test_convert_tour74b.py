"""Tour 74 (D2) of the converters: a GeoJSON skipped as unparsable_labels or undeclared_crs has its footprints
counted; levir-cd skips an unreadable B image at B's path; masks size-checks an empty label."""

import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from data_gen.__main__ import main


def convert_stats(*argv) -> dict:
    """Run ``data_gen convert ARGV`` and return its stats.json (test_convert_review74d2 uses it too)."""
    out = argv[argv.index("--out") + 1]
    main(["convert", *argv, "--no-progress"])
    with open(f"{out}/stats.json") as f:
        return json.load(f)


def _utm_tif(path):
    import rasterio
    from rasterio.transform import Affine

    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="uint8", crs="EPSG:32616",
                       transform=Affine(1, 0, 500000, 0, -1, 4000032)) as ds:
        ds.write(np.full((1, 32, 32), 9, np.uint8))


def _feature(x=500004, y=4000004):
    ring = [[x, y], [x + 8, y], [x + 8, y + 8], [x, y + 8], [x, y]]
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


@pytest.mark.parametrize(("extra", "cut", "reason", "note", "n"), [
    ({}, 0, "undeclared_crs", "objects_unchecked_undeclared_crs", 3),  # UTM metres read as degrees
    ({"crs": {"type": "name"}}, 0, "unparsable_labels", "objects_unchecked_unparsable_labels", 3),  # no name
    ({}, 30, "unparsable_labels", "objects_unchecked_unparsable_labels", 2),  # cut short in its third feature
])
def test_a_skipped_geojsons_footprints_are_counted(tmp_path, extra, cut, reason, note, n):
    """They were lost unsaid, where a missing, unreadable or unmapped image's footprints are counted."""
    _utm_tif(tmp_path / "a.tif")
    text = json.dumps({"type": "FeatureCollection", **extra, "features": [_feature()] * 3})
    (tmp_path / "a.geojson").write_text(text[:len(text) - cut] if cut else text)
    stats = convert_stats("geojson", "--images", str(tmp_path / "a.tif"), "--labels", str(tmp_path / "a.geojson"),
                     "--out", str(tmp_path / "o"))
    assert stats["skipped"] == {reason: 1}
    assert stats["notes"][note] == n, stats["notes"]


def _levir(src, b_bytes=None):
    src.mkdir()
    rng = np.random.default_rng(0)
    for tag in ("A", "B"):
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(src / f"x_{tag}.png")
    label = np.zeros((64, 64), np.uint8)
    label[8:24, 8:24] = 255
    Image.fromarray(label).save(src / "x_label.png")
    if b_bytes is not None:
        (src / "x_B.png").write_bytes(b_bytes(src / "x_B.png"))


def _bad_filter(path) -> bytes:
    """The PNG ``path`` re-written with a filter type no PNG has (7) on its first row, its CRCs right: it inflates
    whole (image_size passes) but does not decode."""
    with Image.open(path) as im:
        w, h, rows = im.width, im.height, np.asarray(im.convert("RGB"))
    raw = b"".join(bytes([7 if y == 0 else 0]) + rows[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("b_bytes", "tile"), [
    (lambda p: p.read_bytes()[:2000], None),  # cut short: image_size says so
    (_bad_filter, "32"),  # decodes only when tiled (cropper)
])
def test_levir_skips_an_unreadable_b_image_at_b(tmp_path, b_bytes, tile):
    """It was skipped at the label's path, while its message named B."""
    _levir(tmp_path / "src", b_bytes)
    stats = convert_stats("levir-cd", "--src", str(tmp_path / "src"), "--out", str(tmp_path / "o"),
                     *(["--tile", tile] if tile else []))
    assert stats["skipped"] == {"unreadable_image": 1}, stats
    example = stats["skipped_examples"]["unreadable_image"]
    assert example.startswith(str(tmp_path / "src" / "x_B.png") + ": unreadable_image"), example


def test_masks_size_checks_an_empty_label(tmp_path):
    """An empty label (no class) of another size than its image passed unsaid as images_without_objects_not_read;
    one of a class present was size_mismatch."""
    for name, shape in (("a", (40, 50)), ("b", (40, 50))):
        Image.fromarray(np.full((*shape, 3), 90, np.uint8)).save(tmp_path / f"{name}.png")
    Image.fromarray(np.zeros((40, 48), np.uint8)).save(tmp_path / "a_mask.png")  # 2 px narrower, empty
    Image.fromarray(np.zeros((40, 50), np.uint8)).save(tmp_path / "b_mask.png")  # its size, empty
    stats = convert_stats("masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "tree",
                     "--out", str(tmp_path / "o"))
    assert stats["skipped"] == {"size_mismatch": 1}, stats
    assert stats["skipped_examples"]["size_mismatch"] == f"{tmp_path / 'a_mask.png'}: size_mismatch (label 48x40 px, image 50x40 px)"
    assert stats["notes"]["images_without_objects_not_read"] == 1


def collar_pair(src, collar: int, label):
    """``src``/x_A.tif and x_B.tif, a 128x64 uint8 GeoTIFF pair declaring nodata 0 in its first ``collar`` columns,
    and x_label.tif holding ``label`` (1, 64, 128); ``src``."""
    import rasterio
    from rasterio.transform import Affine

    src.mkdir()
    image = np.full((3, 64, 128), 120, np.uint8)
    image[:, :, :collar] = 0
    profile = {"driver": "GTiff", "width": 128, "height": 64, "dtype": "uint8", "crs": "EPSG:32618",
               "transform": Affine(30, 0, 300000, 0, -30, 4000000)}
    for tag in ("A", "B"):
        with rasterio.open(src / f"x_{tag}.tif", "w", count=3, nodata=0, **profile) as ds:
            ds.write(image)
    with rasterio.open(src / "x_label.tif", "w", count=1, **profile) as ds:
        ds.write(label)
    return src


def test_levir_gives_no_record_of_a_tile_where_the_pair_holds_no_data(tmp_path):
    """A GeoTIFF pair's nodata collar (Landsat's) was tiled into "No change." records of pixels nobody saw."""
    label = np.zeros((1, 64, 128), np.uint8)
    label[0, 40:56, 100:116] = 255
    src = collar_pair(tmp_path / "src", 64, label)  # the left half: no data
    stats = convert_stats("levir-cd", "--src", str(src), "--out", str(tmp_path / "o"), "--tile", "64")
    assert stats["notes"]["windows_mostly_nodata"] == 1 and stats["notes"]["tiles"] == 1, stats["notes"]
    records = [json.loads(line) for line in (tmp_path / "o" / "records.jsonl").read_text().splitlines()]
    assert {r["meta"]["tile"][0] for r in records} == {64}
    stats = convert_stats("levir-cd", "--src", str(src), "--out", str(tmp_path / "whole"))  # the share: of pixels seen
    said = [json.loads(line)["conversations"][1]["value"] for line in (tmp_path / "whole" / "records.jsonl").open()]
    assert said[0] == "1 building area changed, covering 6.2% of the part of the image with data.", said
