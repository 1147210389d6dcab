"""Reading tour 62: a dB SAR scene's undeclared 0 fill, mixed nodata across band files, a thermal file's
declared kelvin scale, the single-band type guess's wording, and the class-map note on quantised photos."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
from conftest import photo  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io.read import read_image  # noqa: E402


def write_geotiff(path, arr, nodata=None, scale=None, offset=None):
    """A georeferenced GeoTIFF of ``arr`` (C, H, W), with a nodata value and GDAL scale / offset if given."""
    c, h, w = arr.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=arr.dtype, nodata=nodata,
                       crs="EPSG:32631", transform=from_origin(600000, 5800000, 10, 10)) as ds:
        ds.write(arr)
        if scale is not None:
            ds.scales, ds.offsets = (scale,) * c, (offset,) * c
    return path


def _db(seed=0):
    return np.random.default_rng(seed).uniform(-25, 5, (1, 64, 64)).astype(np.float32)  # (1, H, W) dB


def test_db_sar_zero_fill_declared_is_masked_undeclared_is_noted(tmp_path):
    a = _db()
    a[:, :, :20] = 0.0  # a collar filled with 0, which is 0 dB (bright) to a reader
    img = read_image(write_geotiff(tmp_path / "declared.tif", a, nodata=0.0), modality="sar")
    assert img.valid is not None and int((~img.valid).sum()) == 64 * 20
    img = read_image(write_geotiff(tmp_path / "undeclared.tif", a), modality="sar")
    note = [n for n in img.notes if "exactly 0" in n]
    assert note and "31.2% of the pixels" in note[0] and "gdal_edit.py -a_nodata 0" in note[0], img.notes


def test_db_sar_own_zero_values_are_not_called_fill(tmp_path):
    a = np.round(_db(1), 1)  # dB to 0.1: 0.0 is one level among many near it, no fill
    img = read_image(write_geotiff(tmp_path / "rounded.tif", a), modality="sar")
    assert (a == 0).any() and not any("exactly 0" in n for n in img.notes), img.notes


def test_band_files_with_mixed_nodata_each_mask_their_band_and_are_noted(tmp_path):
    rng = np.random.default_rng(2)
    paths = []
    for col, (band, nd) in enumerate((("B02", 0), ("B03", 65535), ("B04", None))):
        a = rng.integers(500, 4000, (1, 16, 16)).astype(np.uint16)
        a[:, :, col] = 0 if nd is None else nd  # B04's 0s are declared by no one: data
        paths.append(write_geotiff(tmp_path / f"T31UDP_{band}.tif", a, nodata=nd))
    img = read_image(paths)
    assert img.bands == ["B02", "B03", "B04"]
    assert (~img.valid).sum(axis=0).tolist() == [16, 16] + [0] * 14  # B02's and B03's own fill, in all bands
    note = [n for n in img.notes if n.startswith("band files declare different nodata")]
    assert note and "T31UDP_B02.tif 0, T31UDP_B03.tif 65535, T31UDP_B04.tif none" in note[0], img.notes
    same = read_image([write_geotiff(tmp_path / f"S_{b}.tif", np.ones((1, 8, 8), np.uint16), nodata=0) for b in ("B02", "B03")])
    assert not any("different nodata" in n for n in same.notes), same.notes


@pytest.mark.parametrize("name, scale, offset, dn", [
    ("thermal_k.tif", 0.01, 0.0, (28000, 32000)),  # a thermal product's DN × 0.01 K
    ("LC09_L2SP_016037_20220813_20220815_02_T1_ST_B10.TIF", 0.00341802, 149.0, (40000, 48000)),  # Landsat ST
    ("st_b10_renamed.tif", 0.00341802, 149.0, (40000, 48000)),  # the same band, its Landsat name lost
])
def test_thermal_declared_kelvin_scale_is_applied_before_the_stretch(tmp_path, name, scale, offset, dn):
    a = np.random.default_rng(3).integers(*dn, (1, 16, 16)).astype(np.uint16)
    img = read_image(write_geotiff(tmp_path / name, a, scale=scale, offset=offset), modality="ir")
    stretch = [n for n in img.notes if n.startswith("stretch")]
    assert stretch and ", K)" in stretch[0], img.notes  # in kelvin, 280-320 K, not DN
    lo, hi = (float(x) for x in stretch[0].split("[")[1].rstrip("]").split(","))
    assert 250 < lo < hi < 350, stretch
    assert not any("not applied" in n for n in img.notes), img.notes  # Landsat's was said applied and not applied


def test_thermal_declared_scale_that_is_no_kelvin_is_left_and_said(tmp_path):
    a = np.random.default_rng(4).integers(100, 3000, (1, 16, 16)).astype(np.uint16)
    img = read_image(write_geotiff(tmp_path / "radiance.tif", a, scale=0.001, offset=0.1), modality="ir")  # 0.2-3 W/(m² sr µm)
    assert any("not applied: ir is read from the DN" in n for n in img.notes), img.notes
    assert not any(", K)" in n for n in img.notes), img.notes


def test_single_integer_band_guess_says_what_was_assumed_and_how_to_override(tmp_path):
    # deci-kelvin counts (2900-3100): 200-900 spread wider than its median now reads as a pan band (b8236d8)
    a = np.random.default_rng(5).integers(2900, 3100, (1, 16, 16)).astype(np.uint16)
    img = read_image(write_geotiff(tmp_path / "grey.tif", a))
    note = next(n for n in img.notes if n.startswith("modality inferred as ir from 1 band uint16"))
    assert "a guess from its type alone, read as thermal infrared;" in note, note  # it did not say what ir was
    assert "photo: --modality optical" in note and "SAR: --modality sar" in note, note


@pytest.mark.parametrize("colours", [8, 32])
def test_photo_quantised_to_a_small_palette_is_no_class_map(tmp_path, colours):
    from PIL import Image

    Image.fromarray(photo(96)).quantize(colors=colours).save(p := tmp_path / f"photo{colours}.png")
    notes = read_image(p).notes
    assert not any("class map" in n for n in notes), notes


def test_paletted_label_of_regions_is_still_a_class_map(tmp_path):
    from PIL import Image

    classes = np.zeros((64, 64), np.uint8)
    classes[:, 20:] = 1
    classes[30:, 40:] = 2  # three regions, as a land-cover tile's
    im = Image.fromarray(classes, mode="L").convert("P")
    im.putpalette([0, 100, 0, 0, 90, 10, 10, 110, 0] + [0] * 253 * 3)  # near colours: by its regions alone
    im.save(p := tmp_path / "labels.png")
    assert any("uses 3 colours: if it is a class map" in n for n in read_image(p).notes)


def test_thermal_declared_kelvin_zero_fill_colder_than_any_surface_is_nodata(tmp_path):
    a = np.random.default_rng(7).integers(40000, 48000, (1, 32, 32)).astype(np.uint16)  # 286-313 K
    a[:, :, :10] = 0  # the collar: 149 K by the declared offset
    img = read_image(write_geotiff(tmp_path / "st.tif", a, scale=0.00341802, offset=149.0), modality="ir")
    assert img.valid is not None and int((~img.valid).sum()) == 32 * 10
    assert any("DN 0 (149 K, colder than any surface), 31.2% of the pixels, read as nodata" in n for n in img.notes)
    stretch = next(n for n in img.notes if n.startswith("stretch"))
    assert float(stretch.split("[")[1].split(",")[0]) > 280, stretch  # it was stretched from 149 K


def test_folder_hint_quotes_paths_with_spaces(tmp_path):
    """The folder hint's example and its comma-separated band files were unquoted: pasted, a path with a
    space became two words ('my scenes/s_B02.png,my' and 'scenes/…'). Each is quoted as a shell word now."""
    import shlex

    from PIL import Image

    from rsvlm.io.checks import check_image_path

    folder = tmp_path / "my scenes"
    folder.mkdir()
    for b in ("B02", "B03", "B04"):
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / f"s_{b}.png")
    with pytest.raises(FileNotFoundError) as e:
        check_image_path(folder)
    files = [str(folder / f"s_{b}.png") for b in ("B02", "B03", "B04")]
    example, listed = str(e.value).split("e.g. ", 1)[1].split(", or,")[0], str(e.value).rsplit("comma-separated: ", 1)[1]
    assert shlex.split(example) == files[:1] and shlex.split(listed) == [",".join(files)], str(e.value)
    (folder / "s_B03.png").unlink(), (folder / "s_B04.png").unlink()
    with pytest.raises(FileNotFoundError) as e:  # one image: named alone, quoted as well
        check_image_path(folder)
    assert shlex.split(str(e.value).rsplit("give its image: ", 1)[1]) == files[:1], str(e.value)
