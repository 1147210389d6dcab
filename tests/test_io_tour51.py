"""Rough edges of the readers and converters met on odd but legitimate files (tour 51)."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import read_image
from rsvlm.io.read import image_size

rasterio = pytest.importorskip("rasterio")


def test_an_hdf5_subdataset_is_read_by_the_name_the_container_error_gives(tmp_path):
    """``HDF5:file://Band1`` was folded by ``Path`` to ``:/Band1``, which GDAL cannot open: the
    name a container's error suggested could not be read."""
    import rasterio.shutil

    src, nc4 = tmp_path / "one.tif", tmp_path / "scene.nc"
    with rasterio.open(src, "w", driver="GTiff", width=30, height=20, count=1, dtype="float32",
                       crs="EPSG:32631", transform=rasterio.transform.from_origin(0, 20, 1, 1)) as ds:
        ds.write(np.random.default_rng(0).uniform(0.01, 1, (1, 20, 30)).astype(np.float32))
    rasterio.shutil.copy(src, nc4, driver="netCDF", FORMAT="NC4")  # NetCDF-4 is HDF5 inside
    name = f"HDF5:{nc4}://Band1"
    img = read_image(name)
    assert img.data.shape == (1, 20, 30) and img.path == name
    assert image_size(name) == (30, 20)
    assert read_image(f'HDF5:"{nc4}"://Band1').data.shape == (1, 20, 30)


def test_a_multipage_tiff_says_only_its_first_page_is_read_and_another_can_be(tmp_path):
    """A TIFF of several pages (a time series, tifffile's 4-D stack) was read as its first page
    without a word; ``GTIFF_DIR:2:file`` was 'image not found'."""
    tifffile = pytest.importorskip("tifffile")
    path = tmp_path / "pages.tif"
    pages = np.zeros((3, 12, 16, 3), np.uint8)  # (page, H, W, C)
    for k in range(3):
        pages[k, :, :, 0] = 40 * (k + 1)
    tifffile.imwrite(path, pages)
    first = read_image(path, modality="optical")
    assert any("holds 3 images" in n and f"GTIFF_DIR:2:{path}" in n for n in first.notes), first.notes
    second = read_image(f"GTIFF_DIR:2:{path}", modality="optical")
    np.testing.assert_allclose(second.data[0], 80 / 255, atol=1e-6)
    assert not any("holds" in n for n in second.notes)
    assert image_size(f"GTIFF_DIR:3:{path}") == (16, 12)


def test_a_subdataset_name_with_the_file_in_quotes_among_other_fields_finds_the_file(tmp_path):
    """MODIS' ``HDF4_EOS:EOS_GRID:"file.hdf":grid:field`` and the like: the file is whichever field
    (quoted where quotes are given) exists; only a name whose file is absent is 'not found'."""
    from rsvlm.io.sources import _subdataset_file

    f = tmp_path / "MOD09.hdf"
    f.write_bytes(b"")
    assert _subdataset_file(f'HDF4_EOS:EOS_GRID:"{f}":MODIS_Grid:sur_refl_b01') == f
    assert _subdataset_file(f"NETCDF:{f}:VV") == f
    assert _subdataset_file(f"NETCDF:{tmp_path / 'absent.nc'}:VV") is None
    with pytest.raises(FileNotFoundError, match="absent.nc"):
        read_image(f"NETCDF:{tmp_path / 'absent.nc'}:VV")


# ---------------------------------------------------------------- geojson converter

def _utm_tif(path, transform=True, crs="EPSG:32616"):
    from rasterio.transform import from_origin

    kw = {"transform": from_origin(500000, 3700000, 1, 1)} if transform else {}
    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="uint8", crs=crs, **kw) as ds:
        ds.write(np.full((1, 32, 32), 7, np.uint8))
    return path


def _footprints(path, ring, crs=None):
    import json

    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                     "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(fc))
    return path


UTM_RING = [[500002, 3699998], [500010, 3699998], [500010, 3699990], [500002, 3699990], [500002, 3699998]]


def test_geojson_in_map_units_without_a_crs_member_is_skipped_naming_the_fix(tmp_path):
    """A GeoJSON written in the raster's UTM coordinates without a crs member was read as degrees:
    every footprint 'unprojectable_geometry (PROJ: utm: Invalid latitude)', with no word of why."""
    from tests.convert_helpers import convert

    tif, gj = _utm_tif(tmp_path / "a.tif"), _footprints(tmp_path / "a.geojson", UTM_RING)
    stats, records = convert(tmp_path / "o", "geojson", "--images", str(tif), "--labels", str(gj))
    assert records == [] and stats["skipped"] == {"undeclared_crs": 1}
    assert "give --labels-crs (the image's is EPSG:32616)" in stats["skipped_examples"]["undeclared_crs"]
    stats, records = convert(tmp_path / "o2", "geojson", "--images", str(tif), "--labels", str(gj),
                             "--labels-crs", "EPSG:32616")
    assert stats["tasks"] == {"det": 1, "ground": 1, "seg": 1} and stats["skipped"] == {}


def test_geojson_bad_labels_crs_is_a_usage_error(tmp_path):
    from data_gen.convert.common import ConversionError
    from tests.convert_helpers import convert

    tif, gj = _utm_tif(tmp_path / "a.tif"), _footprints(tmp_path / "a.geojson", UTM_RING)
    with pytest.raises(ConversionError, match="--labels-crs 'EPSG:99999': not a CRS"):
        convert(tmp_path / "o", "geojson", "--images", str(tif), "--labels", str(gj), "--labels-crs", "EPSG:99999")


def test_geojson_footprints_all_off_the_image_are_one_skip_naming_both_bounds(tmp_path):
    """Footprints in the wrong UTM zone landed 600 km off the image: each was a bare 'outside_image'
    as if the annotations were bad; the file's mistake (its CRS, or its pairing) went unsaid."""
    from tests.convert_helpers import convert

    tif = _utm_tif(tmp_path / "a.tif")
    gj = _footprints(tmp_path / "a.geojson", UTM_RING, crs="EPSG:32617")
    stats, records = convert(tmp_path / "o", "geojson", "--images", str(tif), "--labels", str(gj))
    assert records == [] and stats["skipped"] == {"all_outside_image": 1}
    msg = stats["skipped_examples"]["all_outside_image"]
    assert "all 1 footprints lie outside a.tif" in msg and "the image's 0..32, 0..32" in msg and "EPSG:32617" in msg


def test_geojson_raster_without_a_transform_is_no_georeference(tmp_path, recwarn):
    """A GeoTIFF with a CRS but no transform was mapped through the identity: every footprint
    'outside_image', after a NotGeoreferencedWarning on stderr."""
    from tests.convert_helpers import convert

    tif = _utm_tif(tmp_path / "a.tif", transform=False)
    gj = _footprints(tmp_path / "a.geojson", UTM_RING, crs="EPSG:32616")
    recwarn.clear()  # writing the TIFF warns; reading it must not
    stats, records = convert(tmp_path / "o", "geojson", "--images", str(tif), "--labels", str(gj))
    assert records == [] and stats["skipped"] == {"no_georeference": 1}
    assert stats["skipped_examples"]["no_georeference"].endswith("(no affine transform)")
    assert not [str(w.message) for w in recwarn if "geotransform" in str(w.message)]


# ---------------------------------------------------------------- non-finite coordinates

def test_nan_and_inf_coordinates_are_counted_not_a_geos_traceback(tmp_path):
    """``float`` reads 'nan' in a DOTA line and Python's JSON reads NaN / Infinity in a COCO file:
    such an object reached shapely and the whole run died with a GEOSException."""
    import json

    from tests.convert_helpers import convert, png

    png(tmp_path / "d" / "P1.png", 64, 48)
    (tmp_path / "d" / "P1.txt").write_text("10 10 30 10 30 20 10 20 ship 0\n"
                                          "nan 10 30 10 30 20 10 20 ship 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"))
    assert records and stats["skipped"] == {"non_finite_coordinates": 1}
    assert "P1.txt:2: non_finite_coordinates" in stats["skipped_examples"]["non_finite_coordinates"]

    coco = {"images": [{"id": 1, "file_name": "P1.png", "width": 64, "height": 48}],
            "categories": [{"id": 1, "name": "ship"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 5, 5]},
                            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [20, 20, 5, 5],
                             "segmentation": [[20, 20, 25, 20, 25, float("inf")]]}]}
    (tmp_path / "c.json").write_text(json.dumps(coco))  # writes Infinity, as Python tools do
    stats, records = convert(tmp_path / "o2", "coco", "--ann", str(tmp_path / "c.json"), "--images", str(tmp_path / "d"))
    assert records and stats["skipped"] == {"non_finite_coordinates": 1}


def test_a_nan_footprint_among_good_ones_is_counted_and_the_rest_kept(tmp_path):
    """One NaN vertex made the file's bounds NaN, and the whole file read as all_outside_image."""
    from tests.convert_helpers import convert

    tif, gj = _utm_tif(tmp_path / "a.tif"), _footprints(tmp_path / "a.geojson", UTM_RING, crs="EPSG:32616")
    fc = __import__("json").loads(gj.read_text())
    bad = [[float("nan"), 3699998]] + UTM_RING[1:]
    fc["features"].insert(0, {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [bad]}})
    gj.write_text(__import__("json").dumps(fc))
    stats, records = convert(tmp_path / "o", "geojson", "--images", str(tif), "--labels", str(gj))
    assert stats["tasks"] == {"det": 1, "ground": 1, "seg": 1} and stats["skipped"] == {"non_finite_coordinates": 1}


def test_a_grey_tiff_label_under_an_rgb_palette_is_counted_not_a_reshape_traceback(tmp_path):
    """``--preset hrsid`` (colours) over a one-band GeoTIFF mask (detectree's 0/1 response) was
    'ValueError: cannot reshape array of size 7000 into shape (120,175)'."""
    from tests.convert_helpers import convert, png

    png(tmp_path / "a_img.png", 20, 10)
    lab = np.zeros((1, 10, 20), np.uint8)
    lab[0, 2:6, 3:9] = 1
    with rasterio.open(tmp_path / "a_mask.tif", "w", driver="GTiff", width=20, height=10, count=1,
                       dtype="uint8", crs="EPSG:32631", transform=rasterio.transform.from_origin(0, 10, 1, 1)) as ds:
        ds.write(lab)
    from data_gen.convert.common import ConversionError

    with pytest.raises(ConversionError, match=r"unknown_label_value \(value \(1, 1, 1\) on 24 pixels\)"):
        convert(tmp_path / "o", "masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--preset", "hrsid",
                "--strict")
    stats, records = convert(tmp_path / "o2", "masks", "--images", str(tmp_path), "--labels", str(tmp_path),
                             "--palette", str(_palette(tmp_path, {"ship": [1, 1, 1]})))
    assert len(records) == 1 and stats["skipped"] == {}


def _palette(tmp_path, table):
    (tmp_path / "pal.json").write_text(__import__("json").dumps(table))
    return tmp_path / "pal.json"


def test_rsivqa_src_folder_stands_for_its_text_files(tmp_path):
    """RSIVQA ships one .txt per source dataset in its own folder; ``--src RSIVQA/`` was
    '…/RSIVQA: no such file' though the folder was there."""
    from data_gen.convert.common import ConversionError
    from tests.convert_helpers import convert, png

    png(tmp_path / "imgs" / "00433.jpg", 16, 16)
    (tmp_path / "RSIVQA" / "AID").mkdir(parents=True)
    (tmp_path / "RSIVQA" / "AID" / "rsicd_vqa.txt").write_text("00433.jpg:is there a plane?no\n")
    stats, records = convert(tmp_path / "o", "rsivqa", "--src", str(tmp_path / "RSIVQA"), "--images", str(tmp_path / "imgs"))
    assert len(records) == 1 and records[0]["id"] == "rsivqa-AID-rsicd_vqa-1"
    with pytest.raises(ConversionError, match="imgs: a folder without RSIVQA .txt files"):
        convert(tmp_path / "o2", "rsivqa", "--src", str(tmp_path / "imgs"), "--images", str(tmp_path / "imgs"))


def test_an_exif_orientation_is_said_not_silently_ignored(tmp_path):
    """A drone JPEG tagged 'rotate 90°' was read as stored without a word, while every photo viewer
    shows it turned: shapes drawn on what the user saw would not match."""
    from PIL import Image

    a = np.zeros((12, 20, 3), np.uint8)
    a[:4, :6] = (200, 30, 30)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(a).save(tmp_path / "drone.jpg", exif=exif.tobytes(), quality=95)
    Image.fromarray(a).save(tmp_path / "plain.jpg", quality=95)
    img = read_image(tmp_path / "drone.jpg")
    assert img.data.shape == (3, 12, 20) and img.data[0, 1, 1] > 0.6  # as stored, not turned
    assert any(n.startswith("EXIF orientation 6 ignored") for n in img.notes), img.notes
    assert not any("EXIF" in n for n in read_image(tmp_path / "plain.jpg").notes)


def test_voc_xml_size_other_than_the_images_is_noted(tmp_path):
    """A VOC file annotated on a resized copy, or on a photo turned by its EXIF orientation, put its
    boxes on an image of another size without a word."""
    from tests.convert_helpers import convert, png

    src = tmp_path / "in"  # the outputs go beside the inputs, not under them
    png(src / "a.png", 40, 30)
    png(src / "b.png", 40, 30)
    xml = ("<annotation><filename>{f}</filename><size><width>{w}</width><height>{h}</height></size>"
           "<object><name>ship</name><bndbox><xmin>2</xmin><ymin>2</ymin><xmax>12</xmax><ymax>9</ymax></bndbox>"
           "</object></annotation>")
    (src / "a.xml").write_text(xml.format(f="a.png", w=30, h=40))  # turned
    (src / "b.xml").write_text(xml.format(f="b.png", w=40, h=30))  # right
    stats, records = convert(tmp_path / "o", "voc", "--src", str(src), "--images", str(src))
    assert stats["notes"] == {"xml_size_differs_from_image_swapped": 1} and len(records) == 4
    (src / "b.xml").write_text(xml.format(f="b.png", w=80, h=60))  # a resized copy's
    stats, _ = convert(tmp_path / "o2", "voc", "--src", str(src), "--images", str(src))
    assert stats["notes"] == {"xml_size_differs_from_image_swapped": 1, "xml_size_differs_from_image": 1}
