"""Reading tour 65: the orientation of an image georeferenced by GCPs only (Sentinel-1 GRD lies mirrored)."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rasterio.control import GroundControlPoint  # noqa: E402

from rsvlm.io.georef import gcp_orientation_note  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402


def _gcp_tiff(path, gcps, crs="EPSG:4326"):
    """A 64×64 uint16 one-band GeoTIFF georeferenced by ``gcps`` [(row, col, x, y)] only (no geotransform)."""
    dn = np.random.default_rng(3).integers(100, 4000, (1, 64, 64)).astype(np.uint16)  # (C, H, W)
    points = [GroundControlPoint(row=r, col=c, x=x, y=y) for r, c, x, y in gcps]
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1, dtype="uint16") as ds:
        ds.write(dn)
        ds.gcps = (points, rasterio.crs.CRS.from_user_input(crs))
    return path


def _grid(lon_per_col, lat_per_row, lon0=10.0, lat0=60.0):
    """GCPs on a 3×3 grid of an image whose column steps ``lon_per_col`` east and row steps ``lat_per_row`` north."""
    return [(r, c, lon0 + c * lon_per_col, lat0 + r * lat_per_row) for r in (0, 32, 64) for c in (0, 32, 64)]


def test_a_gcp_georeferenced_image_that_lies_mirrored_is_said_so(tmp_path):
    """A GCP-only GeoTIFF got no orientation note where a rotated or mirrored geotransform got one, so a
    descending-pass Sentinel-1 GRD (rows north to south, columns east to west: mirrored) had 'left' read as west."""
    mirrored = _gcp_tiff(tmp_path / "desc.tif", _grid(-0.001, -0.0005))  # columns run west
    notes = read_image(mirrored, modality="sar").notes
    said = [n for n in notes if n.startswith("the image is not north-up: mirrored")]
    assert said and "its top facing north and its right west" in said[0], notes
    assert "an affine fitted to its 9 GCPs" in said[0], said
    north_up = _gcp_tiff(tmp_path / "north.tif", _grid(0.001, -0.0005))
    assert not any("north-up" in n or "GCPs, too few" in n for n in read_image(north_up, modality="sar").notes)


def test_gcp_orientation_in_degrees_counts_a_degree_east_as_shorter():
    """At 60° N a degree of longitude is half as long as one of latitude: a grid of square pixels turned 30° on the
    ground, fitted in plain degrees, comes out turned 16° (atan(tan 30° / 2)); it must be said as 30°."""
    step, turn = 0.001, np.radians(30)  # a pixel's side in degrees of latitude; columns turned 30° clockwise
    k = np.cos(np.radians(60.0))
    gcps = []
    for r in (0, 32, 64):
        for c in (0, 32, 64):
            east = c * step * np.cos(turn) - r * step * np.sin(turn)
            north = -c * step * np.sin(turn) - r * step * np.cos(turn)
            gcps.append(GroundControlPoint(row=r, col=c, x=10 + east / k, y=60 + north))
    note = gcp_orientation_note(gcps, "EPSG:4326")
    assert note is not None and note.startswith("the image is not north-up: rotated -30°"), note


@pytest.mark.parametrize("points", [[(0, 0, 10.0, 60.0), (64, 64, 10.1, 59.9)],
                                    [(0, 0, 10.0, 60.0), (32, 32, 10.05, 59.95), (64, 64, 10.1, 59.9)]])
def test_too_few_gcps_to_orient_are_said_unchecked(points):
    """Two GCPs, or three on one line, fit no affine: said, not taken for north-up."""
    note = gcp_orientation_note([GroundControlPoint(row=r, col=c, x=x, y=y) for r, c, x, y in points], "EPSG:4326")
    assert note == (f"georeferenced by {len(points)} GCPs, too few or all on one line to fit an orientation to: "
                    "not checked that its top is north")


def test_the_real_sentinel1_grd_is_said_mirrored_its_right_west(realdata):
    """The real S1A IW GRD fixture (a descending pass over India) lies mirrored: its right faces west."""
    notes = read_image(realdata / "sar_s1grd" / "iw-vv.tiff").notes
    said = [n for n in notes if n.startswith("the image is not north-up: mirrored")]
    assert said and "its top facing north (11°) and its right west (281°)" in said[0], notes


@pytest.mark.parametrize("mission", [None, ("Sentinel-2", "s2")])
def test_twelve_bands_numbered_b1_to_b12_are_read_by_number_with_the_level2a_reading_said(mission):
    """12 bands numbered B1 … B12 are a TOA stack by number (sen2r's, B10 cirrus kept) or a Level-2A one renumbered
    (B10 dropped, B8A 9th: ChaBuD's, Earth Engine's S2_SR without its names): read by number as before, but the note
    said nothing of the L2A reading, where B9 is B8A and B10 B09, nor how to name it."""
    from rsvlm.io.products import band_numbers

    out, note = band_numbers([f"B{i}" for i in range(1, 13)], mission)
    assert out[8:10] == ["B09", "B10"], out
    assert ("may instead be a Level-2A stack, which has no B10 (cirrus) and B8A 9th: then B9 is B8A and B10 B09 "
            "(--bands B01,B02,B03,B04,B05,B06,B07,B08,B8A,B09,B11,B12 says so)") in note, note
    assert "Level-2A" not in band_numbers([f"B{i}" for i in range(1, 12)], mission)[1]  # 11: no such reading


def test_band_numbers_offer_no_landsat_naming_that_landsat_has_no_band_for():
    """Numbers no mission names were told 'name them by wavelength for Landsat 8/9 (--bands …,TIR2,B12)': Landsat
    8/9 has no band 12 (nor 4/5/7 a band 9), so that naming left a band unnamed; it is offered where it has them all."""
    from rsvlm.io.products import band_numbers

    note = band_numbers([f"B{i}" for i in range(1, 13)], None)[1]
    assert "Landsat" not in note and "Name them zero-padded for Sentinel-2 (--bands B01," in note, note
    oli_only = band_numbers(["B2", "B3", "B4", "B10"], None)[1]
    assert "Landsat 8/9 (--bands B,G,R,TIR)" in oli_only and "4/5/7" not in oli_only, oli_only
    both = band_numbers(["B4", "B3", "B2"], None)[1]
    assert "Landsat 8/9 (--bands R,G,B) or Landsat 4/5/7 (--bands NIR,R,G)" in both, both


@pytest.mark.parametrize("description, values", [("K", (285.0, 305.0)), ("(C)", (5.0, 30.0)), ("LST", (285.0, 305.0))])
def test_a_description_of_only_a_unit_letter_is_no_unit_and_the_refusal_says_so(tmp_path, description, values):
    """A band described only 'K' or '(C)' is taken for no unit (a band letter, or radar's C / K band, as much as a
    unit: 273.15 added to a band letter's DN is worse than a refusal); ir_kelvin_range was then refused asking for
    ir_kelvin with no word of the 'K' the user sees on the band, who took it for a bug."""
    from rsvlm.io.thermal import described_unit

    assert described_unit(description) is None
    p = tmp_path / "t.tif"
    t = np.random.default_rng(21).uniform(*values, (1, 32, 32)).astype(np.float32)  # (C, H, W)
    with rasterio.open(p, "w", driver="GTiff", width=32, height=32, count=1, dtype="float32") as ds:
        ds.write(t)
        ds.set_band_description(1, description)
    with pytest.raises(ValueError, match="ir_kelvin_range needs the values in kelvin") as e:
        read_image(p, modality="ir", scaling={"ir_kelvin_range": [260.0, 320.0]})
    said = f"(its band description {description!r} alone is taken for no unit: as likely a band letter)"
    assert (said in str(e.value)) is (description != "LST"), str(e.value)


def test_band_descriptions_that_are_a_writers_default_name_no_band(tmp_path):
    """GDAL's ENVI writer (and ENVI itself) describes bands 'Band 1', 'Band 2', …: read as names, an RGB ENVI file's
    bands were 'Band 1 …', and the model's optical stem refused it ('missing R, G, B among Band 1, Band 2, Band 3').
    Read as unnamed, with a note; a number that is not the band's own place ('Band 4' first) is kept as a name."""
    from rasterio.shutil import copy

    from rsvlm.model.stem import StemConfig, match_bands

    rgb = np.random.default_rng(22).integers(0, 255, (3, 24, 24)).astype(np.uint8)  # (C, H, W)
    tif = tmp_path / "rgb.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=24, height=24, count=3, dtype="uint8") as ds:
        ds.write(rgb)
    copy(tif, tmp_path / "rgb.img", driver="ENVI")
    with rasterio.open(tmp_path / "rgb.img") as ds:
        assert ds.descriptions == ("Band 1", "Band 2", "Band 3")  # what GDAL's ENVI writer gives
    img = read_image(tmp_path / "rgb.img")
    assert img.modality == "optical" and img.bands == ["R", "G", "B"], img.notes
    assert "band descriptions Band 1, Band 2, Band 3 are a writer's default" in " ".join(img.notes), img.notes
    assert match_bands(StemConfig(), img.bands, 3, "rgb.img").index == [0, 1, 2]
    for names in (["Band 4", "Band 3", "Band 2"], ["Band_1", "NIR", "Band_3"]):
        with rasterio.open(tif, "r+") as ds:
            for i, d in enumerate(names):
                ds.set_band_description(i + 1, d)
        assert read_image(tif, modality="msi").bands == names


def test_an_envi_header_given_for_its_image_reads_the_data_file_beside_it(tmp_path):
    """Given scene.hdr (the file an ENVI user picks: it is the text one), GDAL refused it 'not a readable raster,
    truncated or corrupt (… the data file should be selected instead …)', naming no data file; the data file beside
    it is read, with a note, and a header alone names the data files looked for."""
    from rasterio.shutil import copy

    from rsvlm.io.sources import ImageReadError

    dn = np.random.default_rng(23).integers(100, 4000, (3, 20, 20)).astype(np.uint16)  # (C, H, W)
    tif = tmp_path / "src.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=20, height=20, count=3, dtype="uint16") as ds:
        ds.write(dn)
    copy(tif, tmp_path / "scene.img", driver="ENVI")
    by_header, by_data = read_image(tmp_path / "scene.hdr"), read_image(tmp_path / "scene.img")
    assert np.array_equal(by_header.data, by_data.data) and by_header.bands == by_data.bands
    assert "scene.hdr is a raster header: read its data file scene.img" in by_header.notes, by_header.notes
    (tmp_path / "SCENE2.IMG").write_bytes((tmp_path / "scene.img").read_bytes())  # written on Windows, upper case
    (tmp_path / "SCENE2.HDR").write_text((tmp_path / "scene.hdr").read_text())
    assert np.array_equal(read_image(tmp_path / "SCENE2.HDR").data, by_data.data)
    (tmp_path / "lone.hdr").write_text((tmp_path / "scene.hdr").read_text())
    with pytest.raises(ImageReadError, match=r"lone.hdr: a raster header, not the image, and no data file beside it "
                                             r"\(lone, lone.img, lone.dat"):
        read_image(tmp_path / "lone.hdr")


@pytest.mark.parametrize("names", [["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B11", "B12"],
                                   ["B2", "B3", "B4", "b8a"]])
def test_bare_numbers_beside_b8a_are_sentinel2s_without_landsat_advice(names):
    """Earth Engine's S2_SR export describes its 12 bands B1 … B8, B8A, B9, B11, B12: the note said 'band numbers name
    no mission (nothing in the file says which)' and offered Landsat namings ('--bands B,G,R,B8A'), though B8A is
    Sentinel-2's alone (Landsat has no 8A)."""
    from rsvlm.io.products import band_numbers

    out, note = band_numbers(names, None)
    assert out[:3] == ["B01", "B02", "B03"] or out[:3] == ["B02", "B03", "B04"], out
    assert note.startswith(f"band numbers read by Sentinel-2's numbering ({names[-1] if len(names) == 4 else 'B8A'} "
                           "beside them is Sentinel-2's alone): "), note
    assert "Landsat" not in note and "no mission" not in note, note


@pytest.mark.parametrize("angle", ["angle", "local_incidence_angle", "LIA"])
def test_an_earth_engine_s1_export_reads_its_polarisations_and_leaves_the_angle_band_out(tmp_path, angle):
    """Earth Engine's COPERNICUS/S1_GRD export holds VV, VH (dB) and 'angle' (incidence, 30-46°): it was read as an
    optical 'SAR colour composite', the angle stretched as the blue band, and --modality sar refused its 3 bands."""
    rng = np.random.default_rng(24)
    db = rng.normal(-15, 4, (2, 32, 32))  # (C, H, W) VV, VH in dB
    bands = np.concatenate([db, rng.uniform(30, 46, (1, 32, 32))]).astype(np.float32)
    p = tmp_path / "s1.tif"
    with rasterio.open(p, "w", driver="GTiff", width=32, height=32, count=3, dtype="float32") as ds:
        ds.write(bands)
        for i, d in enumerate(["VV", "VH", angle]):
            ds.set_band_description(i + 1, d)
    for modality in (None, "sar"):
        img = read_image(p, modality=modality)
        assert img.modality == "sar" and img.bands == ["VV", "VH"], img.notes
        assert f"band {angle} (the incidence angle, in degrees: no backscatter) left out of the read" in img.notes
    as_two = tmp_path / "vv_vh.tif"
    with rasterio.open(as_two, "w", driver="GTiff", width=32, height=32, count=2, dtype="float32") as ds:
        ds.write(bands[:2])
        for i, d in enumerate(["VV", "VH"]):
            ds.set_band_description(i + 1, d)
    assert np.array_equal(read_image(as_two).data, img.data)
    assert read_image(p, modality="optical").bands == ["VV", "VH", angle]  # asked as a composite: as before


def test_stac_common_band_names_meet_the_models_swir_bands(tmp_path):
    """A stack exported from Planetary Computer or Earth Search (stackstac, odc-stac) names its bands by STAC's
    eo:common_name: blue … nir, swir16, swir22. The reader kept those names, and the bundled msi stem refused the
    file, 'missing [B11, B12]'; swir16 is B11 and swir22 B12 (nir08, Sentinel-2's B8A, stays out of B08)."""
    from rsvlm.model.stem import StemConfig, match_bands

    names = ["coastal", "blue", "green", "red", "nir", "nir08", "swir16", "swir22"]
    dn = np.random.default_rng(25).integers(500, 5000, (8, 16, 16)).astype(np.uint16)  # (C, H, W)
    p = tmp_path / "stac.tif"
    with rasterio.open(p, "w", driver="GTiff", width=16, height=16, count=8, dtype="uint16") as ds:
        ds.write(dn)
        for i, d in enumerate(names):
            ds.set_band_description(i + 1, d)
    img = read_image(p)
    assert img.modality == "msi" and img.bands == names, img.notes
    stem = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08", "B11", "B12"], mean=[0.0] * 6, std=[1.0] * 6)
    m = match_bands(stem, img.bands, 8, "stac.tif")
    assert m.index == [1, 2, 3, 4, 6, 7], m.notes
    assert "band swir16 read as B11" in m.notes and "band swir22 read as B12" in m.notes, m.notes
    from rsvlm.io.bandnames import band_at

    assert band_at(["lwir11"], "TIR") == 0 and band_at(["nir08"], "B08") is None  # Landsat's thermal; B8A is no B08


def test_two_bands_described_by_stac_names_are_multispectral_not_a_polarisation_pair(tmp_path):
    """Two uint16 bands are guessed a SAR pair unless their descriptions name multispectral bands; 'nir08, swir16'
    (STAC's common names, for an NDMI-like pair) were not counted as such and were read as dual-polarisation SAR."""
    p = tmp_path / "pair.tif"
    with rasterio.open(p, "w", driver="GTiff", width=16, height=16, count=2, dtype="uint16") as ds:
        ds.write(np.random.default_rng(26).integers(500, 5000, (2, 16, 16)).astype(np.uint16))
        ds.set_band_description(1, "nir08")
        ds.set_band_description(2, "swir16")
    img = read_image(p)
    assert img.modality == "msi" and img.bands == ["nir08", "swir16"], img.notes


def _on_sphere(col, row, lat0, lon0, step=2.0):
    """(lon, lat) of pixel (col, row) of a 100×100 north-up image centred at (lon0, lat0), ``step`` km a pixel."""
    east_km, north_km = (col - 50) * step, (50 - row) * step
    la, lo = np.radians(lat0), np.radians(lon0)
    centre = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    east = np.array([-np.sin(lo), np.cos(lo), 0.0])
    north = np.array([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    v = centre + (east_km * east + north_km * north) / 6371.0
    v /= np.linalg.norm(v)
    return float(np.degrees(np.arctan2(v[1], v[0]))), float(np.degrees(np.arcsin(v[2])))


@pytest.mark.parametrize("lat0, lon0", [(10.0, 179.9), (88.5, 179.0), (89.5, 30.0), (-89.5, 30.0)])
def test_gcp_orientation_across_the_antimeridian_and_near_a_pole(lat0, lon0):
    """The affine was fitted to longitude and latitude as read: a north-up scene across the antimeridian (179.9°
    beside -179.9°) was said mirrored and a mirrored one said nothing; near a pole longitudes turn any way round.
    The GCPs are put on the plane touching the sphere at their centre first."""
    grid = [(c, r) for r in range(0, 101, 25) for c in range(0, 101, 25)]

    def gcps(mirror):
        return [GroundControlPoint(row=r, col=c, x=x, y=y)
                for c, r in grid for x, y in [_on_sphere(100 - c if mirror else c, r, lat0, lon0)]]

    assert gcp_orientation_note(gcps(False), "EPSG:4326") is None
    note = gcp_orientation_note(gcps(True), "EPSG:4326")
    assert note is not None and note.startswith("the image is not north-up: mirrored (one axis reversed), its top "
                                                "facing north and its right west"), note


def test_the_angle_band_left_out_is_the_angle_where_an_alpha_band_comes_first(tmp_path):
    """incidence_bands counted bands with the alpha left out, so with the alpha first ('mask, VV, VH, angle') it
    named VH (source band 2) as the angle: VH was dropped, the angle read, and the file refused as optical."""
    from rasterio.enums import ColorInterp

    rng = np.random.default_rng(27)
    bands = np.concatenate([np.full((1, 32, 32), 255.0), rng.normal(-15, 4, (2, 32, 32)),
                            rng.uniform(30, 46, (1, 32, 32))]).astype(np.float32)  # (C, H, W) alpha, VV, VH, angle
    p = tmp_path / "alpha_first.tif"
    with rasterio.open(p, "w", driver="GTiff", width=32, height=32, count=4, dtype="float32") as ds:
        ds.write(bands)
        for i, d in enumerate(["mask", "VV", "VH", "angle"]):
            ds.set_band_description(i + 1, d)
        ds.colorinterp = [ColorInterp.alpha, ColorInterp.gray, ColorInterp.undefined, ColorInterp.undefined]
    img = read_image(p, modality="sar")
    assert img.bands == ["VV", "VH"], img.notes
    assert "band angle (the incidence angle, in degrees: no backscatter) left out of the read" in img.notes


def test_an_envi_header_with_dots_in_its_name_or_several_data_files_beside_it(tmp_path):
    """header_data replaced the header's last suffix, so scene_2020.06.13.hdr looked only for 'scene_2020.06.13' and
    was refused beside its scene_2020.06.13.img; with several data files beside one header (scene and scene.img)
    the first was read and the others not said."""
    from rasterio.shutil import copy

    dn = np.random.default_rng(28).integers(100, 4000, (3, 20, 20)).astype(np.uint16)  # (C, H, W)
    tif = tmp_path / "src.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=20, height=20, count=3, dtype="uint16") as ds:
        ds.write(dn)
    copy(tif, tmp_path / "scene_2020.06.13.img", driver="ENVI")
    img = read_image(tmp_path / "scene_2020.06.13.hdr")
    assert "scene_2020.06.13.hdr is a raster header: read its data file scene_2020.06.13.img" in img.notes, img.notes
    copy(tif, tmp_path / "two.img", driver="ENVI")
    (tmp_path / "two.dat").write_bytes((tmp_path / "two.img").read_bytes())
    notes = read_image(tmp_path / "two.hdr").notes
    assert ("two.hdr is a raster header: read its data file two.img (also beside it: two.dat; give the data file "
            "meant)") in notes, notes


def test_one_band_described_by_a_writers_default_is_said_in_the_singular(tmp_path):
    """A one-band ENVI file's note read 'band descriptions Band 1 are a writer's default … the bands are read as
    unnamed'; its SAR band is then named from its file name (VV), as a band with no description is."""
    from rasterio.shutil import copy

    tif = tmp_path / "src.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=24, height=24, count=1, dtype="uint16") as ds:
        ds.write(np.random.default_rng(29).integers(100, 4000, (1, 24, 24)).astype(np.uint16))
    copy(tif, tmp_path / "s1_vv.img", driver="ENVI")
    img = read_image(tmp_path / "s1_vv.img", modality="sar")
    assert ("band description Band 1 is a writer's default (GDAL's ENVI writes it): no name, the band is read as "
            "unnamed") in img.notes, img.notes
    assert img.bands == ["VV"], img.notes
