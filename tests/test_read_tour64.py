"""Reading tour 64: a thermal band whose °C is said by its description only, a non-numeric GDAL_NODATA tag,
and the °C reading decided by a pure function."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from test_read_tour62 import write_geotiff  # noqa: E402
from test_read_tour63 import no_rasterio  # noqa: E402, F401  (a fixture)

from rsvlm.io.read import read_image  # noqa: E402
from rsvlm.io.thermal import celsius_reading, described_unit, unit_kelvin  # noqa: E402


def _described(tmp_path, name, values, description):
    """A one-band float32 GeoTIFF of ``values`` (H, W) whose only metadata is its band ``description``."""
    p = write_geotiff(tmp_path / name, values.astype(np.float32)[None])
    with rasterio.open(p, "r+") as ds:
        ds.set_band_description(1, description)
    return p


@pytest.mark.parametrize("description", ["LST (Celsius)", "temperature degC", "BT [C]"])
def test_thermal_band_described_in_celsius_is_said_and_read_as_kelvin_for_a_kelvin_range(tmp_path, description):
    """A band whose only word of °C was its description was stretched as it was without a word, and refused
    ir_kelvin_range; a units tag had been needed."""
    c = np.random.default_rng(5).uniform(-5, 35, (48, 48))  # (H, W) °C
    celsius = _described(tmp_path, "lst.tif", c, description)
    kelvin = write_geotiff(tmp_path / "lst_k.tif", (c + 273.15).astype(np.float32)[None])
    fixed = {"ir_kelvin_range": [260.0, 320.0]}
    want = read_image(kelvin, modality="ir", scaling={**fixed, "ir_kelvin": [1.0, 0.0]})
    img = read_image(celsius, modality="ir", scaling=fixed)
    assert any(f"its band description {description!r}) read as kelvin (+ 273.15)" in n for n in img.notes), img.notes
    assert np.allclose(img.data, want.data, atol=1e-4)
    for modality in ("ir", None):
        img = read_image(celsius, modality=modality)
        assert img.modality == "ir", img.notes
        assert any(n.startswith("values in °C (its band description") and "stretched as they are" in n
                   for n in img.notes), img.notes


@pytest.mark.parametrize("description", ["difference from mean (C)", "LST anomaly °C", "LST", "LST (°C x 100)",
                                         "LST [0.01 °C]"])
def test_difference_or_unitless_description_is_no_celsius(tmp_path, description):
    """A difference in °C is no temperature to add 273.15 to; a bare temperature word names no unit."""
    assert described_unit(description) is None
    p = _described(tmp_path, "d.tif", np.random.default_rng(6).uniform(-5, 5, (48, 48)), description)
    with pytest.raises(ValueError, match="ir_kelvin_range needs the values in kelvin"):
        read_image(p, modality="ir", scaling={"ir_kelvin_range": [260.0, 320.0]})
    assert not any(n.startswith("values in") for n in read_image(p, modality="ir").notes)


def test_integer_band_described_in_celsius_without_a_scale_is_not_read_as_kelvin(tmp_path):
    """int16 DN described °C may be °C × 100: + 273.15 would be wrong, so ir_kelvin_range stays refused there."""
    p = write_geotiff(tmp_path / "lst16.tif", np.full((1, 16, 16), 2500, np.int16))
    with rasterio.open(p, "r+") as ds:
        ds.set_band_description(1, "LST (Celsius)")
    with pytest.raises(ValueError, match="ir_kelvin_range needs the values in kelvin"):
        read_image(p, modality="ir", scaling={"ir_kelvin_range": [260.0, 320.0]})


@pytest.mark.parametrize("description", ["LST (Kelvin)", "brightness temperature K"])
def test_float_band_described_in_kelvin_takes_a_kelvin_range_when_ir_is_given(tmp_path, description):
    """Inferred, such a band was kelvin by its values; given --modality ir, ir_kelvin_range was refused it."""
    k = np.random.default_rng(14).normal(295, 5, (48, 48))  # (H, W) K
    p = _described(tmp_path, "bt.tif", k, description)
    img = read_image(p, modality="ir", scaling={"ir_kelvin_range": [260.0, 320.0]})
    assert np.allclose(img.data[0], np.clip((k - 260) / 60, 0, 1), atol=1e-4), img.notes
    assert described_unit("LST difference (K)") is None and described_unit("LST Kelvin from Celsius") is None


def test_celsius_reading_returns_its_decision_and_leaves_inputs_alone():
    """celsius_note set cfg.ir_kelvin itself, a side effect in a function named for a note."""
    unit = unit_kelvin("celsius", [])
    rng = [260.0, 320.0]
    assert celsius_reading(unit, None, rng) == ([1.0, 273.15], [
        "values in °C (its unit 'celsius') read as kelvin (+ 273.15) for ir_kelvin_range"])
    kelvin, notes = celsius_reading(unit, None, None)
    assert kelvin is None and "stretched as they are" in notes[0]
    assert celsius_reading(unit, [0.5, 1.0], rng) == ([0.5, 1.0], [])  # ir_kelvin given: the caller's stands
    assert celsius_reading(unit_kelvin("K", []), None, rng) == (None, [])
    assert celsius_reading(None, None, rng) == (None, [])


def test_readers_md_says_what_this_tour_changed():
    """docs/readers.md said nothing of a °C band description, nor of a GDAL_NODATA tag that is no number."""
    from pathlib import Path

    doc = " ".join((Path(__file__).resolve().parents[1] / "docs" / "readers.md").read_text().split())
    for said in ("a band description naming °C", "not a difference, anomaly or spread",
                 "a `GDAL_NODATA` tag that is no number", "where pixels are DN 0 in every band",
                 "Thirteen bands numbered `B1 … B13` in order are Sentinel-2's 13",
                 "its GDAL internal mask (a mask page) masks as GDAL's does",
                 "The ESRI `.prj` beside a world file", "A transform that is not north-up",
                 "one naming kelvin, `LST (Kelvin)`", "parser reads as 0 though it is none (`-nan`, `infinity`)",
                 "its top facing east and its right north", "`LST (Kelvin x 0.02)`",
                 "a description whose values cannot be in its unit"):
        assert said in doc, said


@pytest.mark.parametrize("reader", ["rasterio", "tifffile"])
@pytest.mark.parametrize("tag", ["none", "n/a", ""])
def test_gdal_nodata_tag_that_is_no_number_masks_no_zero_pixel(tmp_path, request, reader, tag):
    """GDAL reads a GDAL_NODATA of 'none' or 'n/a' as 0, so every black pixel of a photo was nodata, unsaid."""
    import tifffile

    if reader == "tifffile":
        request.getfixturevalue("no_rasterio")
    a = np.random.default_rng(7).integers(1, 256, (3, 40, 40)).astype(np.uint8)  # (C, H, W)
    a[:, 5:15, 5:15] = 0  # a black shadow: data, not fill
    p = tmp_path / "scene.tif"
    tifffile.imwrite(p, a, photometric="rgb", planarconfig="separate", extratags=[(42113, 2, None, tag, True)])
    img = read_image(p)
    assert img.valid is None or img.valid.all(), img.notes
    assert any(n.startswith(f"scene.tif's GDAL_NODATA tag {tag!r} is no number") and "0 pixels included" in n
               for n in img.notes), img.notes
    assert np.allclose(img.data, a / 255.0)


@pytest.mark.parametrize("count", [4, 13])
def test_unnamed_integer_msi_zero_collar_is_said_and_masked_when_asked(tmp_path, count):
    """An unnamed uint16 stack (a 13-band Sentinel-2 export, a 4-band RGBN clip) with a DN 0 collar in every band
    and no nodata declared had the collar read as black ground without a word."""
    dn = np.random.default_rng(8).integers(1, 5000, (count, 40, 40)).astype(np.uint16)  # (C, H, W)
    dn[:, :, :10] = 0
    p = write_geotiff(tmp_path / "stack.tif", dn)
    img = read_image(p)
    assert img.modality == "msi" and img.valid is None, img.notes  # read as data, as before: only said
    said = [n for n in img.notes if f"25.0% of the pixels are DN 0 in all {count} bands" in n]
    assert said and "ReadConfig.nodata=0" in said[0], img.notes
    masked = read_image(p, scaling={"nodata": 0})
    assert not masked.valid[:, :10].any() and masked.valid[:, 10:].all()
    assert not any("DN 0 in all" in n for n in masked.notes), masked.notes
    dn[:, :, :10] = 1  # no zero pixel: nothing said
    assert not any("DN 0 in all" in n for n in read_image(write_geotiff(tmp_path / "full.tif", dn)).notes)


def test_window_past_the_edge_says_how_far(tmp_path):
    """A window partly past the edge was said to 'lie outside' the image, with nothing to tell which edge or by
    how much (an edge tile of 512 on a 1100 px scene)."""
    from rsvlm.io.read import SceneReader

    raise_for = {(1000, 1000, 512, 512): "reaches past its edge (x0 + w = 1512, y0 + h = 1512; at most 1100, 1100)",
                 (-1, 0, 4, 4): "starts before the image's first pixel", (0, 0, 0, 4): "is empty"}
    p = write_geotiff(tmp_path / "big.tif", np.ones((1, 1100, 1100), np.uint8))
    with SceneReader(p, modality="optical") as scene:
        assert scene.read((1099, 1099, 1, 1)).data.shape[1:] == (1, 1)
        for window, why in raise_for.items():
            with pytest.raises(ValueError, match="big.tif") as e:
                scene.read(window)
            assert f"lies outside the 1100x1100 image: it {why}" in str(e.value)


def test_thirteen_bands_numbered_b1_to_b13_are_sentinel2_in_its_order(tmp_path):
    """A 13-band stack described B1 … B13 (Sentinel-2's L1C bands in their order) had B9 read as B09 (water
    vapour) where it is B8A, and B13 as 'no band': every band from the 9th on went to the wrong wavelength."""
    from rsvlm.io.products import S2_ORDER, band_numbers

    dn = np.random.default_rng(9).integers(1, 5000, (13, 16, 16)).astype(np.uint16)
    p = write_geotiff(tmp_path / "stack.tif", dn)
    with rasterio.open(p, "r+") as ds:
        for i in range(13):
            ds.set_band_description(i + 1, f"B{i + 1}")
    img = read_image(p)
    assert img.bands == list(S2_ORDER), img.notes
    assert any(n.startswith("13 bands numbered B1 … B13 are Sentinel-2's") and "B9 as B8A" in n
               and "nothing in the file names the mission" in n for n in img.notes), img.notes  # (not Sentinel-2's?)
    assert "names the mission" not in band_numbers([f"B{i}" for i in range(1, 14)], ("Sentinel-2", "s2"))[1]
    assert band_numbers([f"B{i}" for i in range(1, 13)], None)[0][8] == "B09"  # 12 numbered: no order to lean on


@pytest.mark.parametrize("reader", ["rasterio", "tifffile"])
def test_gdal_nodata_tag_of_one_value_a_band_masks_its_leading_number(tmp_path, request, reader):
    """'-9999,-9999,-9999' (a value a band): GDAL reads its leading -9999; tifffile's reading called it no number and
    masked nothing, and the no-number rule must not unmask what GDAL masks."""
    import tifffile

    if reader == "tifffile":
        request.getfixturevalue("no_rasterio")
    a = np.random.default_rng(10).uniform(-20, 0, (3, 24, 24)).astype(np.float32)  # (C, H, W)
    a[:, :, :6] = -9999
    p = tmp_path / "fill.tif"
    tifffile.imwrite(p, a, photometric="minisblack", planarconfig="separate",
                     extratags=[(42113, 2, None, "-9999,-9999,-9999", True)])
    img = read_image(p, modality="msi")
    assert img.valid is not None and not img.valid[:, :6].any() and img.valid[:, 6:].all(), img.notes
    assert not any("GDAL_NODATA" in n for n in img.notes), img.notes


def _masked_geotiff(p, seed: int, **profile):
    """A 3-band 32x32 uint8 GeoTIFF at ``p`` with an internal mask (GDAL_TIFF_INTERNAL_MASK) hiding its first 8
    columns; ``profile``: more creation options (``interleave="band"``)."""
    from rasterio.transform import from_origin

    a = np.random.default_rng(seed).integers(1, 255, (3, 32, 32)).astype(np.uint8)  # (C, H, W)
    m = np.full((32, 32), 255, np.uint8)
    m[:, :8] = 0
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            p, "w", driver="GTiff", width=32, height=32, count=3, dtype="uint8", crs="EPSG:32631",
            transform=from_origin(0, 0, 1, 1), **profile) as ds:
        ds.write(a)
        ds.write_mask(m)
    return p


def test_internal_mask_is_kept_when_tifffile_reads_the_geotiff(tmp_path, request):
    """Without rasterio, a GeoTIFF's internal mask (GDAL_TIFF_INTERNAL_MASK) was read as a second image: its
    masked pixels were valid and the file said to hold 2 images, 'as GDAL reads it' (GDAL masks them)."""
    p = _masked_geotiff(tmp_path / "masked.tif", seed=11)
    request.getfixturevalue("no_rasterio")
    img = read_image(p)
    assert any("read by tifffile" in n for n in img.notes), img.notes
    assert img.valid is not None and not img.valid[:, :8].any() and img.valid[:, 8:].all(), img.notes
    assert not any("holds 2 images" in n for n in img.notes), img.notes


@pytest.mark.parametrize("suffix,world", [(".png", ".pgw"), (".jpg", ".jgw")])
def test_prj_beside_a_world_file_gives_the_crs(tmp_path, suffix, world):
    """GDAL reads a PNG's or JPEG's world file but not the .prj beside it, so the image had no CRS, and the note
    told the user to put a .prj beside its world file, which changed nothing."""
    from PIL import Image
    from rasterio.crs import CRS

    p = tmp_path / f"scene{suffix}"
    Image.fromarray(np.random.default_rng(12).integers(0, 255, (16, 16, 3)).astype(np.uint8)).save(p)
    (tmp_path / f"scene{world}").write_text("10\n0\n0\n-10\n600005\n5799995\n")
    img = read_image(p)
    assert img.crs is None and any("georeferenced without a CRS" in n for n in img.notes), img.notes
    (tmp_path / "scene.prj").write_text(CRS.from_epsg(32631).to_wkt(version="WKT1_ESRI"))  # ("WKT1_ESRI" alone:
    # rasterio's morph_to_esri_dialect, ignored with GDAL 3, so GDAL's own flavour was what this wrote)
    img = read_image(p)
    assert img.crs == "EPSG:32631" and not any("without a CRS" in n for n in img.notes), img.notes
    assert "CRS EPSG:32631 from scene.prj beside the world file (GDAL reads none for this format)" in img.notes
    (tmp_path / "scene.prj").write_text("not a CRS")
    img = read_image(p)
    assert img.crs is None and any(n.startswith("scene.prj beside the world file holds no CRS") for n in img.notes)


@pytest.mark.parametrize("transform,said", [((10, 0, 600000, 0, 10, 5800000), "its rows run south to north"),
                                            ((8.660254, 5, 600000, 5, -8.660254, 5800000), "rotated 30°"),
                                            ((-10, 0, 600000, 0, -10, 5800000), "mirrored")])
def test_geotiff_that_is_not_north_up_is_said(tmp_path, transform, said):
    """A south-up GeoTIFF (positive y pixel size) was read upside down without a word, so 'top of the image' in
    answers was south; rotated and mirrored ones alike."""
    from affine import Affine

    a = np.random.default_rng(13).integers(0, 255, (3, 16, 16)).astype(np.uint8)
    p = tmp_path / "s.tif"
    with rasterio.open(p, "w", driver="GTiff", width=16, height=16, count=3, dtype="uint8", crs="EPSG:32631",
                       transform=Affine(*transform)) as ds:
        ds.write(a)
    notes = read_image(p).notes
    assert any(n.startswith("the image is not north-up: " + said) for n in notes), notes
    up = write_geotiff(tmp_path / "up.tif", a)
    assert not any("north-up" in n for n in read_image(up).notes)


@pytest.mark.parametrize("prj,crs", [("\ufeff" + "ESRI", "EPSG:32631"), ('PROJCS["x"]', None),
                                     ('GEOGCS["GCS_WGS_1984"]', None)])
def test_a_prj_with_a_bom_or_damaged_still_lets_the_image_be_read(tmp_path, prj, crs):
    """A .prj GDAL's parser fails on left GDAL's error set; the next rasterio call raised it, so the PNG beside it was
    'not a readable raster, truncated or corrupt'. A .prj saved with a BOM (Notepad) was such a one."""
    from PIL import Image
    from rasterio.crs import CRS

    p = tmp_path / "scene.png"
    Image.fromarray(np.random.default_rng(15).integers(0, 255, (16, 16, 3)).astype(np.uint8)).save(p)
    (tmp_path / "scene.pgw").write_text("10\n0\n0\n-10\n600005\n5799995\n")
    (tmp_path / "scene.prj").write_text(prj.replace("ESRI", CRS.from_epsg(32631).to_wkt(version="WKT1_ESRI")))
    img = read_image(p)
    assert img.crs == crs and img.data.shape == (3, 16, 16), img.notes
    if crs is None:
        assert any(n.startswith("scene.prj beside the world file holds no CRS") for n in img.notes), img.notes
    assert not any("while reading" in n for n in img.notes), img.notes  # the .prj's parse was 'GDAL error while reading'


@pytest.mark.parametrize("tag", ["-nan", "infinity"])
def test_gdal_nodata_tag_gdal_reads_as_zero_masks_no_zero_pixel(tmp_path, tag):
    """GDAL's parser reads '-nan' (C's printf of a negative NaN) and 'infinity' as 0: every 0 pixel was nodata, unsaid
    ('none' and 'n/a' were caught, these not)."""
    import tifffile

    a = np.random.default_rng(16).uniform(1, 5, (1, 24, 24)).astype(np.float32)  # (C, H, W)
    a[:, :, :6] = 0  # data: 0 °C
    p = tmp_path / "t.tif"
    tifffile.imwrite(p, a, extratags=[(42113, 2, None, tag, True)])
    img = read_image(p, modality="ir")
    assert img.valid is None or img.valid.all(), img.notes
    assert any(n.startswith(f"t.tif's GDAL_NODATA tag {tag!r} is read by GDAL as 0") for n in img.notes), img.notes


def test_msvc_infinity_tag_masks_no_pixel_of_one_when_tifffile_reads_it(tmp_path, request):
    """'1.#INF' (MSVC's printf of infinity; GDAL reads inf) was read as 1.0, so tifffile masked every pixel of 1."""
    import tifffile

    from rsvlm.io.tiff import _tag_number

    request.getfixturevalue("no_rasterio")
    a = np.random.default_rng(17).uniform(2, 5, (1, 24, 24)).astype(np.float32)
    a[:, :, :6] = 1.0
    p = tmp_path / "t.tif"
    tifffile.imwrite(p, a, extratags=[(42113, 2, None, "1.#INF", True)])
    assert read_image(p, modality="ir").valid is None
    assert _tag_number("-1.#INF") == -np.inf and np.isnan(_tag_number("-1.#QNAN"))


def test_internal_mask_of_a_band_interleaved_geotiff_is_kept_by_tifffile(tmp_path, request):
    """INTERLEAVE=BAND gives the first page a (C, H, W) shape, so its (H, W) mask page was not matched: masked pixels
    read as valid and 'the file holds 2 images' said, as before f84c7e4."""
    p = _masked_geotiff(tmp_path / "band.tif", seed=18, interleave="band")
    request.getfixturevalue("no_rasterio")
    img = read_image(p)
    assert img.valid is not None and not img.valid[:, :8].any() and img.valid[:, 8:].all(), img.notes
    assert not any("holds 2 images" in n for n in img.notes), img.notes


@pytest.mark.parametrize("description", ["LST (Kelvin x 0.02)", "LST (°C*0.5)", "temperature (C) / 10"])
def test_description_naming_a_factor_other_than_ten_says_no_unit(tmp_path, description):
    """Only × 1x, / 1x and 0.0…1 counted as a factor: 'LST (Kelvin x 0.02)' on float DN was read as kelvin, so
    ir_kelvin_range took 15000 'K' and clipped every pixel to 1."""
    assert described_unit(description) is None
    p = _described(tmp_path, "f.tif", np.random.default_rng(19).uniform(14000, 16000, (48, 48)), description)
    with pytest.raises(ValueError, match="ir_kelvin_range needs the values in kelvin"):
        read_image(p, modality="ir", scaling={"ir_kelvin_range": [260.0, 320.0]})


def test_not_north_up_note_says_where_top_and_right_face(tmp_path):
    """The real SpaceNet-6 tile (columns run north, rows west) was only 'mirrored (one axis reversed)': flipping it
    back left it a quarter turn off, and nothing said which way its top faces."""
    from affine import Affine

    from rsvlm.io.georef import orientation_note

    said = orientation_note(Affine(-0.0285696, -2.49984, 600000, 2.49984, -0.0285696, 5800000))
    assert "its top facing east and its right north" in said, said
    assert "its top facing south and its right east" in orientation_note(Affine(10, 0, 0, 0, 10, 0))
    assert orientation_note(Affine(10, 1e-14, 0, -1e-14, -10, 0)) is None  # a writer's rounding: was "rotated"
    assert orientation_note(Affine(10, 0, 0, 0, -10, 0)) is None
    assert "top facing north-west (330°) and its right north-east (60°)" in orientation_note(
        Affine(8.660254, 5, 0, 5, -8.660254, 0))


@pytest.mark.parametrize("description,values,unit", [("Temperature (C)", 295.0, "°C"), ("LST (Kelvin)", 22.0, "kelvin")])
def test_description_whose_values_cannot_be_in_its_unit_is_not_used(tmp_path, description, values, unit):
    """'Temperature (C)' on values of 295 (kelvin) given --modality ir had 273.15 added: every pixel clipped to 1 by
    ir_kelvin_range, unsaid ('LST (Kelvin)' on 22 °C: every pixel 0); inferred, the first was kelvin by its values."""
    v = np.random.default_rng(20).normal(values, 3, (48, 48))
    p = _described(tmp_path, "c.tif", v, description)
    with pytest.raises(ValueError, match="ir_kelvin_range needs the values in kelvin"):
        read_image(p, modality="ir", scaling={"ir_kelvin_range": [260.0, 320.0]})
    notes = read_image(p, modality="ir").notes
    assert any(n.startswith(f"the band description {description!r} says {unit}, but its values (median")
               for n in notes), notes


def test_prj_of_a_crs_with_no_epsg_code_is_named_not_quoted_whole(tmp_path):
    """A .prj of a CRS with no EPSG code (a local Transverse Mercator) put its whole WKT, 485 characters, in the note."""
    from PIL import Image

    p = tmp_path / "scene.png"
    Image.fromarray(np.random.default_rng(21).integers(0, 255, (16, 16, 3)).astype(np.uint8)).save(p)
    (tmp_path / "scene.pgw").write_text("10\n0\n0\n-10\n600005\n5799995\n")
    (tmp_path / "scene.prj").write_text(
        'PROJCS["Custom_TM",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
        'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
        'PARAMETER["False_Easting",123456.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",7.3],'
        'PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')
    img = read_image(p)
    assert img.crs.startswith('PROJCS["Custom_TM"'), img.crs
    assert "CRS 'Custom_TM' (WKT) from scene.prj beside the world file (GDAL reads none for this format)" in img.notes
