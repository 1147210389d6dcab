"""An ISO media file (``ftyp`` at byte 4) of a brand no reader here knows had been called "an MP4/MOV video" and told
to ``ffmpeg … -frames:v 1``: a Canon CR3 raw photo ("crx "), an M4A audio file. Its brand is now named."""

import struct
from pathlib import Path

import pytest

from rsvlm.io.file_kinds import held_format, unread_kind
from rsvlm.io.image import ImageReadError
from rsvlm.io.read import read_image


def _ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\0\0\0\0" + b"isom" + brand + bytes(range(256)) * 4


@pytest.mark.parametrize("brand, held", [
    (b"crx ", "ISO base media file (brand 'crx ')"), (b"M4A ", "ISO base media file (brand 'M4A ')"),
    (b"\x01\x02zz", "ISO base media file (brand '01 02 7a 7a')"),
    (b"isom", "MP4/MOV video"), (b"qt  ", "MP4/MOV video"), (b"3gp5", "MP4/MOV video"), (b"M4V ", "MP4/MOV video"),
    (b"heic", "HEIC"), (b"mif1", "HEIF"), (b"avif", "AVIF"),
])
def test_held_format_names_an_unknown_iso_brand(tmp_path, brand, held):
    p = tmp_path / "x"
    p.write_bytes(_ftyp(brand))
    assert held_format(p) == held


def test_an_unknown_brand_named_jpg_is_said_by_its_brand_not_as_a_video(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = Path("shot.jpg")
    p.write_bytes(_ftyp(b"crx "))
    with pytest.raises(ImageReadError) as e:
        read_image(p)
    msg = str(e.value)
    assert msg.startswith("shot.jpg: an ISO base media file (brand 'crx ') named .jpg"), msg
    assert "MP4/MOV" not in msg and "ffmpeg" not in msg and "get a whole copy" not in msg, msg
    assert "give the image it holds" in msg


def test_an_unknown_brand_named_tif_is_not_tried_as_a_tiff(tmp_path):
    """sources.py's tifffile fallback is skipped for a kind no reader reads (as for a HEIC named .tif)."""
    p = tmp_path / "a.tif"
    p.write_bytes(_ftyp(b"M4A "))
    with pytest.raises(ImageReadError) as e:
        read_image(p)
    assert "ISO base media file (brand 'M4A ') named .tif" in str(e.value)
    assert "tifffile" not in str(e.value) and "get a whole copy" not in str(e.value), str(e.value)


def test_a_video_brand_is_still_a_video(tmp_path):
    p = tmp_path / "clip.png"
    p.write_bytes(_ftyp(b"mp42"))
    assert "an MP4/MOV video named .png" in unread_kind(p)
