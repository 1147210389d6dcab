"""Reading tour 62b: one decimated read for a thermal file's declared kelvin and its stretch, a dB SAR
scene filled with 0 in only some of its bands, and an image's files as a list."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import from_origin  # noqa: E402
from test_read_tour62 import write_geotiff  # noqa: E402

from rsvlm.io import sources  # noqa: E402
from rsvlm.io.read import SceneReader, read_image  # noqa: E402


def test_thermal_declared_kelvin_decodes_the_scene_once(tmp_path, monkeypatch):
    """declared_kelvin read its own 256-px sample, then the stretch read the scene again at 1024 px: a large
    file without overviews was decoded whole twice (8000² uint16: 1.14 s to open, 0.47 s now)."""
    a = np.random.default_rng(3).integers(28000, 31000, (1, 300, 300)).astype(np.uint16)  # 280-310 K
    a[:, :, :60] = 0  # a collar: 0 K by the declared offset, fill
    path = write_geotiff(tmp_path / "lst.tif", a, scale=0.01, offset=0.0)
    calls = []
    read = sources.RasterioSource.read_decimated
    monkeypatch.setattr(sources.RasterioSource, "read_decimated",
                        lambda self, *args: calls.append(args[0]) or read(self, *args))
    with SceneReader(path, modality="ir") as scene:
        img = scene.read()
    assert calls == [1024], calls
    assert any("DN 0 (0 K, colder than any surface), 20.0% of the pixels, read as nodata" in n for n in img.notes)
    assert int((~img.valid).sum()) == 300 * 60  # the collar is nodata in the stretch's sample and the read
    stretch = next(n for n in img.notes if n.startswith("stretch"))
    lo, hi = (float(x) for x in stretch.split("[")[1].split("]")[0].split(","))
    assert 280 < lo < hi < 311, stretch  # stretched in kelvin without the 0 K collar


def test_declared_nodata_differing_from_the_first_sample_reads_again(tmp_path):
    """A given nodata masks the sample as it did when each check read its own."""
    a = np.random.default_rng(4).integers(28000, 31000, (1, 64, 64)).astype(np.uint16)
    a[:, :8] = 65535
    img = read_image(write_geotiff(tmp_path / "lst.tif", a, scale=0.01, offset=0.0), modality="ir",
                     scaling={"nodata": 65535})
    assert int((~img.valid).sum()) == 8 * 64
    assert not any("DN 0" in n for n in img.notes), img.notes  # a nodata was given: 0 is not called fill


def _dual_pol(path, fill_vv=0, fill_vh=0):
    """A VV, VH float32 dB scene; the first ``fill_vv`` / ``fill_vh`` columns of a band hold exactly 0."""
    a = np.random.default_rng(5).uniform(-25, 5, (2, 64, 64)).astype(np.float32)  # (2, H, W) dB
    a[0, :, :fill_vv], a[1, :, :fill_vh] = 0.0, 0.0
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=2, dtype="float32",
                       crs="EPSG:32631", transform=from_origin(600000, 5800000, 10, 10)) as ds:
        ds.write(a)
        ds.descriptions = ("VV", "VH")
    return path


def test_db_sar_zero_fill_in_one_band_only_is_named(tmp_path):
    """VV filled with 0, VH not: the dB-zero note needed 0 in every band, so the collar read as 0 dB (bright)
    in VV without a word; a nodata cannot mask it (it needs every band to hold it), and the note says so."""
    img = read_image(_dual_pol(tmp_path / "s1.tif", fill_vv=16), modality="sar")
    note = [n for n in img.notes if "exactly 0" in n]
    assert len(note) == 1 and note[0].startswith("band VV at 25.0% of the pixels holds exactly 0"), img.notes
    assert "masks only pixels where every band holds it" in note[0] and "VH" not in note[0]
    both = read_image(_dual_pol(tmp_path / "both.tif", fill_vv=16, fill_vh=16), modality="sar")
    note = [n for n in both.notes if "exactly 0" in n]  # the fill of both bands: nodata fixes it, as before
    assert len(note) == 1 and note[0].startswith("25.0% of the pixels hold exactly 0"), both.notes
    assert not any("exactly 0" in n for n in read_image(_dual_pol(tmp_path / "none.tif"), modality="sar").notes)


def test_image_files_are_a_list_a_comma_in_a_name_does_not_split(tmp_path):
    """RSImage.path joins band files with ", ", so a file named "a, b.png" read as two files to code splitting
    it (inference.image_label said "a…b.png (2 files)"); ``files`` lists them as given."""
    from PIL import Image

    one = tmp_path / "scene 3, clipped.png"
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(one)
    img = read_image(one)
    assert img.files == [str(one)] and img.path == str(one)
    bands = [tmp_path / f"T31UDP_{b}.tif" for b in ("B02", "B03", "B04")]
    for b in bands:
        write_geotiff(b, np.full((1, 8, 8), 900, np.uint16))
    with SceneReader(bands) as scene:
        for got in (scene.read(), scene.read((0, 0, 4, 4)), scene.read_shrunk(4), scene.read_overview(4)):
            assert got.files == [str(b) for b in bands], got.files
    from rsvlm.io.read import RSImage

    assert RSImage(np.zeros((3, 4, 4), np.float32), "optical", ["R", "G", "B"], path="x, y.png").files == ["x, y.png"]


def test_sentinel2_band_files_renamed_by_bands_keep_their_zero_fill(tmp_path):
    """B02.jp2 … B08.jp2 read with bands="blue,green,red,nir": the Sentinel-2 fill rule looked only at the
    names given, so the tile's DN 0 collar (37 % of the real 19UDP sample) was read as data, unsaid."""
    a = np.random.default_rng(8).integers(500, 4000, (1, 16, 16)).astype(np.uint16)
    a[:, :, :4] = 0  # the collar outside the swath
    files = [write_geotiff(tmp_path / f"{b}.tif", a) for b in ("B02", "B03", "B04", "B08")]
    for bands in (None, "blue,green,red,nir"):
        img = read_image(files, bands=bands)
        assert img.valid is not None and int((~img.valid).sum()) == 16 * 4, (bands, img.notes)
        assert any(n.startswith("Sentinel-2 fill: DN 0 read as nodata") for n in img.notes), img.notes
    other = [write_geotiff(tmp_path / f"scene_{b}.tif", a) for b in ("blue", "green", "red", "nir")]
    assert read_image(other, modality="msi").valid is None  # no Sentinel-2 name: 0 is data, as before


def test_a_path_starting_with_tilde_is_said_not_expanded(tmp_path, monkeypatch):
    """read_image("~/scenes/a.png") said "image not found" of a file that is there: the ~ is the shell's."""
    from PIL import Image

    monkeypatch.setenv("HOME", str(tmp_path))
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    with pytest.raises(FileNotFoundError) as e:
        read_image("~/a.png")
    assert f"give {tmp_path / 'a.png'} (os.path.expanduser)" in str(e.value), str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        read_image("~/missing.png")
    assert str(e.value) == "image not found: ~/missing.png"


def test_a_path_starting_with_an_unknown_users_tilde_is_not_found():
    # Path.expanduser raised RuntimeError ("Could not determine home directory") for ~nosuchuser: not the
    # FileNotFoundError eval and predict take as the record's or the image's error
    with pytest.raises(FileNotFoundError) as e:
        read_image("~nosuchuser62b/a.png")
    assert str(e.value) == "image not found: ~nosuchuser62b/a.png"
