"""Tour 74 of the readers: a multi-page TIFF's page named as GDAL names it (``GTIFF_DIR:k:file``) with its file
quoted, holding a ``:``, or in a zip, read and refused naming it; checks.py split by concern, its names kept."""
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDATA, realdata_missing

tifffile = pytest.importorskip("tifffile")
pytest.importorskip("rasterio")

from rsvlm.data.image_names import gdal_container, resolve_name  # noqa: E402
from rsvlm.io.checks import ImageReadError  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402


@pytest.fixture
def pages(tmp_path):
    """p.tif of three pages that differ (8x8 uint8 10, 16x16 uint8 200, 8x8 uint16 30) in a folder named
    ``a:b``, and zipped as x.zip beside it."""
    folder = tmp_path / "a:b"
    folder.mkdir()
    with tifffile.TiffWriter(folder / "p.tif") as w:
        w.write(np.full((8, 8), 10, np.uint8))
        w.write(np.full((16, 16), 200, np.uint8))
        w.write(np.full((8, 8), 30, np.uint16))
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
        z.write(folder / "p.tif", "p.tif")
    return tmp_path


def test_a_page_named_with_its_file_quoted_is_read(pages):
    """GDAL takes all after GTIFF_DIR:2: as the file, quotes and all: a quoted file was 'No such file'."""
    img = read_image(f'GTIFF_DIR:2:"{pages}/a:b/p.tif"', modality="optical")
    assert img.data.shape[1:] == (16, 16)


@pytest.mark.parametrize("name", ["GTIFF_DIR:2:/vsizip/{root}/x.zip/p.tif", "GTIFF_DIR:2:/vsizip//{root}/x.zip/p.tif"])
def test_a_page_of_a_tiff_in_a_zip_is_read_also_where_a_path_folded_it(pages, name):
    """It was 'image not found' (its file taken for one on disk), as a str and as a Path (which folds //)."""
    text = name.format(root=str(pages).lstrip("/"))
    for given in (text, Path(text)):
        assert read_image(given, modality="optical").data.shape[1:] == (16, 16), given


def test_a_page_past_the_last_or_page_0_says_how_many_the_file_holds(pages):
    """Both were 'not a readable raster, truncated or corrupt', then tifffile's 'No such file' of the whole name."""
    for name in (f'GTIFF_DIR:5:"{pages}/a:b/p.tif"', f"GTIFF_DIR:5:/vsizip/{pages}/x.zip/p.tif"):
        with pytest.raises(ImageReadError, match=r"^GTIFF_DIR:5:.*: no such page; .*p\.tif holds 3 \(") as e:
            read_image(name, modality="optical")
        assert "tifffile" not in str(e.value) and "corrupt" not in str(e.value)
    with pytest.raises(ImageReadError, match=r"no page 0; a TIFF's pages count from 1 \(GTIFF_DIR:1:"):
        read_image(f"GTIFF_DIR:0:{pages}/a:b/p.tif", modality="optical")


def test_a_page_whose_file_or_archive_is_missing_is_named_whole(pages):
    """A missing archive was 'image not found' of a name with its // folded; a member the zip lacks now names the
    rasters it holds; a missing file names the page and the file."""
    with pytest.raises(FileNotFoundError, match=r"^GTIFF_DIR:2:/vsizip//\S+/y\.zip/p\.tif: .*its archive \S+y\.zip "
                                                r"is not there"):
        read_image(f"GTIFF_DIR:2:/vsizip/{pages}/y.zip/p.tif")
    with pytest.raises(ImageReadError, match=r"^GTIFF_DIR:2:\S+: no such raster in \S+x\.zip; give one it holds, "
                                             r"e\.g\. \S+x\.zip/p\.tif"):
        read_image(f"GTIFF_DIR:2:/vsizip/{pages}/x.zip/q.tif")
    with pytest.raises(FileNotFoundError, match=r'^GTIFF_DIR:2:"\S+/q\.tif": image not found: \S+a:b/q\.tif$'):
        read_image(f'GTIFF_DIR:2:"{pages}/a:b/q.tif"')


def test_a_records_page_name_is_resolved_against_its_root_archive_included(pages):
    """A record's GTIFF_DIR:2:/vsizip/x.zip/p.tif had its archive looked for in the working folder; its container
    was the path in the zip, which a converter copying it could not copy."""
    resolved = resolve_name("GTIFF_DIR:2:/vsizip/x.zip/p.tif", pages)
    assert str(resolved) == f"GTIFF_DIR:2:/vsizip//{str(pages).lstrip('/')}/x.zip/p.tif"
    assert read_image(resolved, modality="optical").data.shape[1:] == (16, 16)
    assert gdal_container("GTIFF_DIR:2:/vsizip/x.zip/p.tif", pages) == (pages / "x.zip", "GTIFF_DIR:2:/vsizip/", "/p.tif")
    quoted = resolve_name('GTIFF_DIR:2:"a:b/p.tif"', pages)
    assert read_image(quoted, modality="optical").data.shape[1:] == (16, 16)


def test_checks_split_keeps_its_names_importable_from_checks_and_sources():
    """checks.py was at 499 lines (the hook's limit 500): its concerns are modules of their own, the names the
    readers, tests and data_gen import from checks.py or sources.py still there and the same objects."""
    import rsvlm.io.archives as archives
    import rsvlm.io.checks as checks
    import rsvlm.io.headers as headers
    import rsvlm.io.library_log as library_log
    import rsvlm.io.sources as sources

    for module, names in ((archives, ["VSI_ARCHIVE", "vsi_archive", "gdal_path", "archive_rasters", "gtiff_page"]),
                          (headers, ["header_data", "header_files", "band_headers", "raw_cut_short"]),
                          (library_log, ["library_messages", "unheard", "gdal_message", "LIBRARY_LOGGERS"])):
        for name in names:
            assert getattr(checks, name) is getattr(module, name), name
    for name in ("ImageReadError", "check_image_path", "header_data", "library_messages", "vsi_archive", "URL"):
        assert getattr(sources, name) is getattr(checks, name), name
    for path in Path(checks.__file__).parent.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 500, path


def test_readers_md_opens_with_what_is_read_and_links_sections_that_exist():
    """docs/readers.md opened on a table whose GDAL cell ran to 3,700 characters; it now opens with one table of
    formats, bands, values, nodata, georeferencing and errors, each linking a section of the page, and its
    georeferencing sits under its own heading instead of inside the nodata bullet."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "readers.md").read_text()
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[0] == "At a glance" and "Georeferencing" in headings
    slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
    glance = text.split("## At a glance\n", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in glance.splitlines() if r.startswith("| ") and not r.startswith(("| what", "| ---"))]
    assert [r.split(" ")[1] for r in rows] == ["formats", "bands", "values", "nodata", "georeferencing", "errors"]
    links = re.findall(r"\]\(#([\w-]+)\)", glance)
    assert len(links) >= 6 and set(links) <= slugs, set(links) - slugs
    geo = text.split("## Georeferencing\n", 1)[1].split("\n## ", 1)[0]
    assert "An image with a geotransform but no CRS" in geo and "its top facing east and its right" in geo
    assert "GTIFF_DIR:2:/vsizip/pack.zip/p.tif" in " ".join(text.split())
    formats = text.split("## Formats and readers\n", 1)[1].split("\n### ", 1)[0]
    rows = [r for r in formats.splitlines() if r.startswith("| ")]  # its GDAL cell was 3,758 characters, and the
    assert len(rows) == 6 and all(len(r) < 200 and r.endswith(" |") for r in rows)  # list's row broke over 2 lines
    for heading in ("GDAL rasters", "PNG and JPEG", "TIFFs GDAL cannot open", "Band files"):
        assert f"\n### {heading}\n" in text and f"(#{heading.lower().replace(' ', '-')})" in formats, heading


REAL = REALDATA
B10 = REAL / "ir_landsat8" / "LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF"


@pytest.mark.skipif(not B10.is_file(), reason=realdata_missing(B10))
@pytest.mark.parametrize("page", ["GTIFF_DIR:1:{}", 'GTIFF_DIR:1:"{}"'])
def test_a_landsat_band_read_as_its_page_keeps_its_mtl_kelvin(page):
    """Named as a page, the real B10 found no _MTL.txt (looked for in the folder 'GTIFF_DIR:1:/…') and was stretched
    as DN [19129, 27563] with a note that none was beside it; it is now in kelvin, as read by its file name."""
    whole, paged = read_image(B10), read_image(page.format(B10))
    assert paged.stretch == whole.stretch and 270 < paged.stretch[0][0] < paged.stretch[0][1] < 300
    assert any("brightness temperature from the _MTL.txt" in n for n in paged.notes), paged.notes
    assert not any("beside it" in n for n in paged.notes) and np.array_equal(paged.data, whole.data)
    assert paged.files == [page.format(B10)]


@pytest.mark.skipif(not B10.is_file(), reason=realdata_missing(B10))
def test_a_landsat_band_read_from_its_tar_or_zip_finds_the_mtl_in_it(tmp_path):
    """A Landsat product is shipped as a tar: its B10 read as /vsitar/…/…_B10.TIF was stretched as DN, its note saying
    no _MTL.txt was beside it, though the tar held it; it is read in kelvin as the unpacked file is."""
    import tarfile

    mtl = B10.with_name(B10.name.replace("_B10.TIF", "_MTL.txt"))
    with tarfile.open(tmp_path / "LC08.tar", "w") as tar:
        for f in (B10, mtl):
            tar.add(f, arcname=f.name)
    with zipfile.ZipFile(tmp_path / "LC08.zip", "w") as z:
        for f in (B10, mtl):
            z.write(f, f.name)
    whole = read_image(B10)
    for name in (f"/vsitar/{tmp_path}/LC08.tar/{B10.name}", f"GTIFF_DIR:1:/vsizip/{tmp_path}/LC08.zip/{B10.name}"):
        img = read_image(name)
        assert img.stretch == whole.stretch, (name, img.notes)
        assert any("brightness temperature from the _MTL.txt" in n for n in img.notes), img.notes


def test_member_text_reads_a_file_or_an_archives_member_and_none_where_there_is_none(tmp_path):
    """``member_text`` is what a sidecar lookup reads: a disk file, a zip or tar member by its GDAL path; None for a
    member, archive or file that is not there, and for a folder."""
    import tarfile

    from rsvlm.io.archives import member_text

    (tmp_path / "a_MTL.txt").write_text("SUN_ELEVATION = 40.5\n")
    with zipfile.ZipFile(tmp_path / "p.zip", "w") as z:
        z.write(tmp_path / "a_MTL.txt", "in/a_MTL.txt")
    with tarfile.open(tmp_path / "p.tar", "w") as tar:
        tar.add(tmp_path / "a_MTL.txt", arcname="a_MTL.txt")
    for p in (tmp_path / "a_MTL.txt", Path(f"/vsizip/{tmp_path}/p.zip/in/a_MTL.txt"), Path(f"/vsitar//{tmp_path}/p.tar/a_MTL.txt")):
        assert member_text(p) == "SUN_ELEVATION = 40.5\n", p
    for p in (tmp_path / "b_MTL.txt", Path(f"/vsizip/{tmp_path}/p.zip/a_MTL.txt"), Path(f"/vsitar/{tmp_path}/q.tar/a_MTL.txt"),
              tmp_path):
        assert member_text(p) is None, p


@pytest.mark.parametrize("stem", ["real", "q", "im"])
def test_a_lone_file_named_as_a_bare_complex_part_is_no_half_of_an_iq_pair(tmp_path, stem):
    """A grey image named real.tif (or q.tif) got the note that its band 'named as I or Q parts of complex SAR does
    not pair up'; a lone file's name is a part only with its polarisation (i_VV.tif), as band files' names are."""
    import rasterio

    with rasterio.open(tmp_path / f"{stem}.tif", "w", driver="GTiff", width=16, height=16, count=1,
                       dtype="uint16") as w:
        w.write(np.arange(256, dtype=np.uint16).reshape(1, 16, 16) * 10)
    img = read_image(tmp_path / f"{stem}.tif")
    assert not any("I or Q" in n for n in img.notes), img.notes
    (tmp_path / f"{stem}.tif").rename(tmp_path / "i_VV.tif")
    assert any("i_VV named as I or Q parts" in n for n in read_image(tmp_path / "i_VV.tif", "sar").notes)
