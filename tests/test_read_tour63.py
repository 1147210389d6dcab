"""Reading tour 63: a class-map look judged on valid pixels only, SAR asked of a file whose bands are colours,
an integer file's impossible nodata, and thermal values in °C."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from conftest import photo  # noqa: E402
from test_read_tour62 import write_geotiff  # noqa: E402

from rsvlm.io.read import read_image  # noqa: E402


@pytest.mark.parametrize("collar", [0.8, 0.9])
def test_paletted_photo_with_transparent_collar_is_no_class_map(tmp_path, collar):
    """The neighbours-alike test counted the collar's pairs: 80 % of a photo's pixels transparent made it 'a class map'."""
    from PIL import Image

    im = Image.fromarray(photo()).quantize(colors=16)
    a = np.array(im)  # (H, W) colour indices 0-15
    a[:, : int(128 * collar)] = 16  # a collar of one index, transparent
    out = Image.fromarray(a, mode="P")
    out.putpalette(im.getpalette()[:48] + [0, 0, 0] * 240)
    out.save(p := tmp_path / "photo_collar.png", transparency=16)
    img = read_image(p)
    assert img.valid is not None and not img.valid[:, :100].any()  # the collar is nodata
    assert not any("class map" in n for n in img.notes), img.notes


def _rgbn(tmp_path):
    """A 4-band uint8 GeoTIFF whose first three bands the file says are red, green and blue (as RapidEye's RGBN)."""
    from rasterio.enums import ColorInterp

    a = np.random.default_rng(1).integers(1, 255, (4, 32, 32)).astype(np.uint8)  # (C, H, W)
    p = write_geotiff(tmp_path / "rgbn.tif", a)
    with rasterio.open(p, "r+") as ds:
        ds.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.undefined]
    return p


def test_sar_asked_of_rgbn_file_is_refused_naming_file_and_colours(tmp_path):
    """--modality sar on an R, G, B, NIR file was read as quad-pol SAR without a word."""
    p = _rgbn(tmp_path)
    with pytest.raises(ValueError, match=r"rgbn\.tif: 4 bands \(colours R, G, B, none by the file's colour "
                                         r"interpretation\) cannot be read as sar"):
        read_image(p, modality="sar")
    assert read_image(p).modality == "msi"  # inferred as before


def test_sar_asked_of_msi_band_files_is_refused_but_polarisation_files_read(tmp_path):
    a = np.random.default_rng(2).integers(1, 4000, (1, 32, 32)).astype(np.uint16)
    files = [write_geotiff(tmp_path / f"{b}.tif", a + i) for i, b in enumerate(["B04", "B08"])]
    with pytest.raises(ValueError, match=r"B04\.tif, .*B08\.tif: 2 bands \(files named B04, B08\) cannot be read as sar"):
        read_image(files, modality="sar")
    pols = [write_geotiff(tmp_path / f"scene_{p}.tif", a + i) for i, p in enumerate(["VV", "VH"])]
    assert read_image(pols, modality="sar").bands == ["VV", "VH"]


@pytest.fixture
def no_rasterio(monkeypatch):
    """Reading as where rasterio is not installed (or GDAL cannot open the TIFF): tifffile reads it."""
    from rsvlm.io import sources

    monkeypatch.setattr(sources, "RasterioSource", lambda *a, **k: (_ for _ in ()).throw(ImportError("rasterio")))


def _s2_with_nodata_tag(tmp_path, tag):
    """A uint16 Sentinel-2 band file whose GDAL_NODATA tag says ``tag`` and whose DN 0 collar is undeclared."""
    import tifffile

    a = np.random.default_rng(3).integers(1, 5000, (64, 64)).astype(np.uint16)  # (H, W)
    a[:, :16] = 0  # ESA's fill
    p = tmp_path / "T32TQM_20210613T101559_B02_10m.tif"
    tifffile.imwrite(p, a, photometric="minisblack", extratags=[(42113, "s", 0, tag, True)])
    return p


@pytest.mark.parametrize("reader", ["rasterio", "tifffile"])
@pytest.mark.parametrize("tag", ["nan", "-9999"])
def test_integer_file_declaring_impossible_nodata_is_said_and_its_fill_still_found(tmp_path, request, reader, tag):
    """nodata=NaN on uint16: rasterio drops it without a word (all pixels valid, unsaid); tifffile took it as
    declared, which masked nothing and kept the Sentinel-2 0 fill from being looked for."""
    if reader == "tifffile":
        request.getfixturevalue("no_rasterio")
    img = read_image(_s2_with_nodata_tag(tmp_path, tag))
    said = [n for n in img.notes if "declares nodata" in n]
    assert said and said[0].startswith(f"T32TQM_20210613T101559_B02_10m.tif declares nodata '{tag}', which no "
                                       "uint16 pixel can hold"), img.notes
    assert img.valid is not None and not img.valid[:, :16].any() and img.valid[:, 16:].all()  # the 0 collar: ESA fill
    assert not any("GDAL_NODATA tag raised" in n for n in img.notes), img.notes  # tifffile's own log, said once by us


def _lst(tmp_path, name, values, dtype="float32", unit=None, tags=None, scale=None, offset=None):
    """A one-band thermal GeoTIFF of ``values`` (H, W) with a GDAL unit, band tags or scale / offset if given."""
    p = write_geotiff(tmp_path / name, values.astype(dtype)[None], scale=scale, offset=offset)
    with rasterio.open(p, "r+") as ds:
        if unit:
            ds.set_band_unit(1, unit)
        if tags:
            ds.update_tags(1, **tags)
    return p


@pytest.mark.parametrize("how", ["unit", "units tag", "declared °C × 100", "declared offset -273.15"])
def test_thermal_band_in_celsius_is_said_and_read_as_kelvin_for_a_kelvin_range(tmp_path, how):
    """A band in °C had ir_kelvin_range refused and no word of its unit; a netCDF-style units tag of 'celsius'
    was not even seen (the band inferred as SAR in dB). A K band given --modality ir had the range refused too."""
    c = np.random.default_rng(4).uniform(-5, 35, (48, 48))  # (H, W) °C
    kelvin = _lst(tmp_path, "lst_k.tif", c + 273.15, unit="K")
    celsius = {"unit": lambda: _lst(tmp_path, "lst.tif", c, unit="celsius"),
               "units tag": lambda: _lst(tmp_path, "lst.tif", c, tags={"units": "celsius"}),
               "declared °C × 100": lambda: _lst(tmp_path, "lst.tif", np.round(c * 100), "int16", unit="degC",
                                                 scale=0.01, offset=0.0),
               "declared offset -273.15": lambda: _lst(tmp_path, "lst.tif", np.round((c + 273.15) / 0.02), "uint16",
                                                       scale=0.02, offset=-273.15)}[how]()
    fixed = {"ir_kelvin_range": [260.0, 320.0]}
    for scaling in (fixed, None):
        want = read_image(kelvin, modality="ir", scaling=scaling)  # a K band given --modality ir: was refused this range
        for modality in ("ir", None):
            img = read_image(celsius, modality=modality, scaling=scaling)
            assert img.modality == "ir", img.notes
            said = [n for n in img.notes if n.startswith("values in ") and " °C (" in n]
            assert said and ("read as kelvin (+ 273.15) for ir_kelvin_range" in said[0] if scaling
                             else "stretched as they are" in said[0]), img.notes
            assert not scaling or not any("not applied" in n for n in img.notes), img.notes  # its scale applied
            assert np.allclose(img.data, want.data, atol=0.002)  # 0.02 K DN: within a step of 60 K's range


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_geotiff_named_as_photo_reads_all_bands_and_georef(tmp_path, suffix):
    """An R, G, B, NIR GeoTIFF saved as .png went to PIL, which read 3 bands as RGB: NIR, CRS and nodata dropped unsaid."""
    import shutil

    shutil.copy(_rgbn(tmp_path), p := tmp_path / f"scene{suffix}")
    img = read_image(p)
    assert img.modality == "msi" and img.data.shape[0] == 4 and img.georeferenced, (img.modality, img.notes)
    assert f"a TIFF named {suffix}: scene{suffix} read as one" in img.notes


def test_geotiff_named_as_photo_without_rasterio_is_read_by_tifffile(tmp_path, no_rasterio):
    import shutil

    shutil.copy(_rgbn(tmp_path), p := tmp_path / "scene.png")
    img = read_image(p)
    assert img.data.shape[0] == 4 and "a TIFF named .png: scene.png read as one" in img.notes[0], img.notes


def test_sar_asked_of_bands_described_b1_b2_still_reads(tmp_path):
    """Descriptions b1, b2 name no colour: a dual-pol file so described is not refused as multispectral."""
    a = np.random.default_rng(5).integers(1, 4000, (2, 32, 32)).astype(np.uint16)
    p = write_geotiff(tmp_path / "dual.tif", a)
    with rasterio.open(p, "r+") as ds:
        ds.descriptions = ("b1", "b2")
    assert read_image(p, modality="sar").modality == "sar"


@pytest.mark.parametrize("beside", ["scene.jgw", None])
def test_exif_orientation_is_said_when_gdal_reads_the_jpeg_too(tmp_path, beside):
    """A JPEG with a world file (or named .tif) is read by GDAL, whose reading said nothing of its EXIF turn; PIL's did."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° to show
    name = "scene.jpg" if beside else "scene.tif"
    Image.fromarray(photo(64)).save(p := tmp_path / name, format="JPEG", exif=exif.tobytes())
    if beside:
        (tmp_path / beside).write_text("0.5\n0\n0\n-0.5\n600000\n5800000\n")
    img = read_image(p)
    assert any(n.startswith("EXIF orientation 6 ignored") for n in img.notes), img.notes


@pytest.mark.parametrize("modality", ["ir", None])
def test_kelvin_band_with_declared_scale_keeps_its_note_and_zero_fill(tmp_path, modality):
    """A uint16 band in K × 0.02 (MODIS LST: unit K, GDAL scale 0.02) lost its 'kelvin as the file declares it'
    note and its DN 0 fill's when its unit K was taken as kelvin before the declared scale was looked at."""
    k = np.random.default_rng(7).uniform(270, 310, (64, 64))  # (H, W) K
    dn = np.round(k / 0.02)
    dn[:, :16] = 0  # fill, undeclared
    img = read_image(_lst(tmp_path, "MOD11A1_LST.tif", dn, "uint16", unit="K", scale=0.02, offset=0.0),
                     modality=modality)
    said = [n for n in img.notes if n.startswith("kelvin as the file declares it")]
    assert said and "DN 0 (0 K, colder than any surface), 25.0% of the pixels, read as nodata" in said[0], img.notes
    assert img.valid is not None and not img.valid[:, :16].any() and img.valid[:, 16:].all()


@pytest.mark.parametrize("bigtiff", [False, True])
def test_gdal_nodata_tag_is_read_without_touching_tifffile_logging(tmp_path, monkeypatch, caplog, bigtiff):
    """The tag was read by opening the file in tifffile with its logger switched off for a moment: a warning
    another thread logged then was lost. It is read from the first IFD now, with no logging state changed."""
    import logging

    import tifffile

    from rsvlm.io.tiff import gdal_nodata_tag

    log, changed = logging.getLogger("tifffile"), []

    class Watched(type(log)):
        def __setattr__(self, key, value):
            changed.append(key)
            super().__setattr__(key, value)

    p = tmp_path / "nan.tif"
    tifffile.imwrite(p, np.ones((8, 8), np.uint16), bigtiff=bigtiff, extratags=[(42113, "s", 0, "nan", True)])
    caplog.set_level(logging.WARNING, logger="tifffile")
    monkeypatch.setattr(log, "__class__", Watched)
    assert gdal_nodata_tag(str(p)) == "nan"
    assert not changed and not caplog.records, (changed, caplog.records)
    tifffile.imwrite(q := tmp_path / "none.tif", np.ones((8, 8), np.uint16), bigtiff=bigtiff)
    assert gdal_nodata_tag(str(q)) is None and gdal_nodata_tag(str(tmp_path / "missing.tif")) is None
    (bad := tmp_path / "bad.tif").write_bytes(b"II*\x00\xff\xff\xff\x7f")  # its first IFD past the end
    assert gdal_nodata_tag(str(bad)) is None and not changed


def test_geotiff_named_as_photo_that_gdal_cannot_open_is_read_by_tifffile(tmp_path, monkeypatch):
    """A TIFF named .png went to GDAL only: where GDAL could not open it the read failed, though a .tif falls
    back to tifffile (and PIL had read it before)."""
    import shutil

    from rsvlm.io import sources
    from rsvlm.io.checks import ImageReadError

    shutil.copy(_rgbn(tmp_path), p := tmp_path / "scene.png")

    def gdal_fails(names, *a, **k):
        raise ImageReadError(f"{names[0]}: not a readable raster (a compression GDAL lacks)")

    monkeypatch.setattr(sources, "RasterioSource", gdal_fails)
    img = read_image(p)
    assert img.data.shape[0] == 4, img.notes
    assert any("read by tifffile" in n and "a TIFF named .png: scene.png read as one" in n for n in img.notes), img.notes


def test_readers_md_says_what_this_tour_changed():
    """docs/readers.md said nothing of °C read as kelvin for ir_kelvin_range, sar refused for colour bands, a
    TIFF named .png read by GDAL, or an integer file's impossible nodata."""
    from pathlib import Path

    doc = " ".join((Path(__file__).resolve().parents[1] / "docs" / "readers.md").read_text().split())
    for said in ("netCDF-style `units` band tag", "where `ir_kelvin_range` asks for kelvin it is read as kelvin",
                 "declared offset of −273.15", "is `K` is read in kelvin whether `ir` is inferred or given",
                 "except `sar` asked of two or more bands", "`a TIFF named .png: scene.png read as one`",
                 "NaN or −9999 declared on a uint16 GeoTIFF", "only pairs of valid pixels count"):
        assert said in doc, said
