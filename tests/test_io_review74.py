"""Review of tour 74's readers: ``archives.member_text`` reads a tar up to the member only and survives one cut
short, is bounded in a zip; a TIFF page's quoted file is unquoted unless a file is so named; a lone ``i.tif`` given
as sar is still half an I/Q pair, and a pair in one folder still pairs."""
import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rasterio")

from rsvlm.io.archives import gtiff_page, member_text  # noqa: E402
from rsvlm.io.checks import ImageReadError  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402


@pytest.fixture
def cut_tgz(tmp_path):
    """p.tar.gz holding a_MTL.txt then 4 MB of noise, its last 2 MB cut off (a download that stopped)."""
    (tmp_path / "a_MTL.txt").write_text("SUN_ELEVATION = 40.5\n")
    (tmp_path / "big.bin").write_bytes(os.urandom(4 << 20))
    with tarfile.open(tmp_path / "whole.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "a_MTL.txt", arcname="a_MTL.txt")
        tar.add(tmp_path / "big.bin", arcname="big.bin")
    data = (tmp_path / "whole.tar.gz").read_bytes()
    (tmp_path / "p.tar.gz").write_bytes(data[: len(data) - (2 << 20)])
    return tmp_path / "p.tar.gz"


def test_member_text_reads_a_cut_tar_gz_up_to_its_member(cut_tgz):
    """``tar.extractfile(name)`` read every header first: a whole .tar.gz decompressed to find an MTL at its start,
    and one cut short raised a bare EOFError out of the reader."""
    assert member_text(Path(f"/vsitar/{cut_tgz}/a_MTL.txt")) == "SUN_ELEVATION = 40.5\n"
    assert member_text(Path(f"/vsitar/{cut_tgz}/b_MTL.txt")) is None  # past the cut: none, no EOFError


def test_a_cut_tar_gz_given_as_the_image_is_refused_naming_it(cut_tgz):
    """It was a bare EOFError (archive_names listing it for the error's 'rasters it holds')."""
    for name in (str(cut_tgz), f"/vsitar/{cut_tgz}/x.tif"):
        with pytest.raises(ImageReadError, match=f"^{name}: "):
            read_image(name)


def test_member_text_is_bounded_and_reads_no_file_a_tar_link_names(tmp_path):
    """A zip bomb's member is read to ``most`` bytes only; a tar's symlink out of it (../../etc/passwd) is no text."""
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a_MTL.txt", b"\0" * (8 << 20))
    assert len(member_text(Path(f"/vsizip/{tmp_path}/bomb.zip/a_MTL.txt"), most=4096)) == 4096
    link = tarfile.TarInfo("a_MTL.txt")
    link.type, link.linkname = tarfile.SYMTYPE, "../../../../etc/hostname"
    with tarfile.open(tmp_path / "l.tar", "w") as tar:
        tar.addfile(link)
    assert member_text(Path(f"/vsitar/{tmp_path}/l.tar/a_MTL.txt")) is None


def test_a_quoted_page_file_is_unquoted_unless_a_file_is_so_named(tmp_path, monkeypatch):
    """GDAL reads all after GTIFF_DIR:2: as the file, quotes too: a file named "p.tif" (quotes in its name) is
    read as GDAL reads it; a quoted p.tif is unquoted."""
    tifffile = pytest.importorskip("tifffile")
    monkeypatch.chdir(tmp_path)
    for name in ('"p.tif"', "q.tif"):
        with tifffile.TiffWriter(tmp_path / name) as w:
            w.write(np.full((8, 8), 10, np.uint8))
            w.write(np.full((16, 16), 200, np.uint8))
    assert gtiff_page('GTIFF_DIR:2:"p.tif"') == ("GTIFF_DIR:2:", '"p.tif"')
    assert gtiff_page('GTIFF_DIR:2:"q.tif"') == ("GTIFF_DIR:2:", "q.tif")
    for name in ('GTIFF_DIR:2:"p.tif"', 'GTIFF_DIR:2:"q.tif"'):
        assert read_image(name, modality="optical").data.shape[1:] == (16, 16), name


def _grey(path: Path, seed: int):
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="float32") as w:
        w.write(np.random.default_rng(seed).normal(0, 100, (1, 32, 32)).astype("float32"))


def test_a_lone_i_tif_given_as_sar_is_still_half_a_pair_and_a_folders_pair_pairs(tmp_path):
    """The lone-file rule (real.jp2's false note) also silenced ``--modality sar i.tif``, half of a pair given alone;
    an i.tif, q.tif pair given together is still one complex band."""
    _grey(tmp_path / "i.tif", 0)
    _grey(tmp_path / "q.tif", 1)
    assert any("i named as I or Q parts" in n for n in read_image(tmp_path / "i.tif", "sar").notes)
    assert not any("I or Q" in n for n in read_image(tmp_path / "i.tif").notes)
    img = read_image([tmp_path / "i.tif", tmp_path / "q.tif"], "sar")
    assert img.data.shape[0] == 1 and any("i + q read as 1 complex band" in n for n in img.notes), img.notes
