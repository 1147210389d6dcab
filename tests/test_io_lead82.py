"""Review of b55953b6 (RC): a nodata tag of a whole number past 64 bits ('100000000000000000000') was read as a
Python int, which numpy's isfinite and isnan refuse: both backends raised TypeError where the note "no pixel can
hold" (uint16) or the mask (float32) had been."""

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
tifffile = pytest.importorskip("tifffile")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from rsvlm.io.read import read_image  # noqa: E402
from rsvlm.io.tiff import tifffile_source  # noqa: E402

BIG = "100000000000000000000"  # 1e20 written whole


def test_a_whole_nodata_past_64_bits_on_an_integer_band_is_said(tmp_path):
    p = tmp_path / "u16.tif"
    tifffile.imwrite(p, np.full((8, 8), 7, np.uint16), extratags=[(42113, "s", 0, BIG, True)])
    assert any(f"declares nodata '{BIG}', which no uint16 pixel can hold" in n for n in read_image(p).notes)
    tifffile_source(p, "read by tifffile").read((0, 0, 8, 8), [0], None)  # raised TypeError


def test_a_whole_nodata_past_64_bits_on_a_float_band_masks_its_pixels(tmp_path):
    p = tmp_path / "f32.tif"
    a = np.full((8, 12), 3.5, np.float32)
    a[:, :4] = 1e20
    tifffile.imwrite(p, a, extratags=[(42113, "s", 0, BIG, True)])
    r = read_image(p)
    assert r.valid[:, :4].sum() == 0 and r.valid[:, 4:].all()
    _, valid = tifffile_source(p, "read by tifffile").read((0, 0, 12, 8), [0], None)
    assert not valid[:, :4].any() and valid[:, 4:].all()


def _vrt(path, sources):
    bands = "".join(f'<VRTRasterBand dataType="UInt16" band="{k}"><SimpleSource><SourceFilename relativeToVRT="1">{f}'
                    f"</SourceFilename><SourceBand>{b}</SourceBand></SimpleSource></VRTRasterBand>"
                    for k, (f, b) in enumerate(sources, 1))
    path.write_text(f'<VRTDataset rasterXSize="40" rasterYSize="30">{bands}</VRTDataset>')
    return path


def test_a_vrt_band_taken_from_a_many_band_file_is_no_band_file(tmp_path):
    """9636ba7e named a VRT's bands after their files: band 3 of rgbn.tif was named 'rgbn' (RC)."""
    from rsvlm.io.bandnames import vrt_band_files

    assert vrt_band_files(_vrt(tmp_path / "a.vrt", [("T31_B02.tif", 1), ("T31_B03.tif", 1)]), 2) == ["B02", "B03"]
    assert vrt_band_files(_vrt(tmp_path / "b.vrt", [("rgbn.tif", 3), ("nir.tif", 1)]), 2) is None
    assert vrt_band_files(_vrt(tmp_path / "c.vrt", [("rgbn.tif", 4), ("T31_B02.tif", 1)]), 2) is None


def test_an_uncompressed_ycbcr_tiff_subsampled_gets_no_layout_note(tmp_path):
    """Photometric 6 is chroma-subsampled 2x2 unless told otherwise: 1.5 bytes a pixel, not 3; layout_note said
    a valid file's 'size fields was likely written over' (RC)."""
    import struct

    from rsvlm.io.tiff_layout import layout_note

    W, H, R = 200, 160, 16
    strip = bytes(W * R * 3 // 2)
    buf = bytearray(b"II*\x00" + b"\0" * 4)
    offs = []
    for _ in range(H // R):
        offs.append(len(buf))
        buf += strip
    bps, so = len(buf), len(buf) + 6
    buf += struct.pack("<3H", 8, 8, 8) + struct.pack(f"<{H // R}I", *offs)
    sc = len(buf)
    buf += struct.pack(f"<{H // R}I", *[len(strip)] * (H // R))
    short = lambda v: struct.pack("<HH", v, 0)  # noqa: E731
    tags = [(256, 3, 1, short(W)), (257, 3, 1, short(H)), (258, 3, 3, struct.pack("<I", bps)), (259, 3, 1, short(1)),
            (262, 3, 1, short(6)), (273, 4, H // R, struct.pack("<I", so)), (277, 3, 1, short(3)),
            (278, 3, 1, short(R)), (279, 4, H // R, struct.pack("<I", sc)), (284, 3, 1, short(1))]
    struct.pack_into("<I", buf, 4, len(buf))
    buf += struct.pack("<H", len(tags)) + b"".join(struct.pack("<HHI", c, k, n) + v for c, k, n, v in tags) + bytes(4)
    (p := tmp_path / "ycbcr.tif").write_bytes(bytes(buf))
    assert layout_note(p) is None
    p.write_bytes(bytes(buf).replace(struct.pack("<HHI", 262, 3, 1) + short(6), struct.pack("<HHI", 262, 3, 1) + short(2)))
    assert "disagrees with its pixel data" in layout_note(p)  # the same bytes called RGB: half what 3 bytes a pixel needs
