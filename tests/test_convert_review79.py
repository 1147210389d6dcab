"""Stop 79's review of the converter tour: CMYK and YCCK JPEG collar levels against PIL at several qualities, a
JSON trailing comma told from a bracket that closes the wrong thing, and a run's own --out left out of the
unlabelled count."""

from __future__ import annotations

import io
import json

import pytest


def _as_ycck(jpeg: bytes) -> bytes:
    """``jpeg`` (PIL's CMYK save) with its Adobe marker's transform byte set to 2: its first component read as Y,
    the next two as Cb and Cr (stored inverted: give them 127 for 128)."""
    data = bytearray(jpeg)
    at = data.find(b"\xff\xee")
    end = at + 2 + int.from_bytes(data[at + 2:at + 4], "big")
    assert data[at + 4:at + 9] == b"Adobe" and data[end - 1] == 0
    data[end - 1] = 2
    return bytes(data)


def _flat_cmyk(cmyk: tuple, ycck: bool = False, **save):
    """PIL's open JPEG of a flat 64 px CMYK image (``ycck``: made YCCK, ``_as_ycck``)."""
    from PIL import Image

    b = io.BytesIO()
    Image.new("CMYK", (64, 64), cmyk).save(b, "JPEG", **save)
    return Image.open(io.BytesIO(_as_ycck(b.getvalue()) if ycck else b.getvalue()))


@pytest.mark.parametrize("quality", [5, 15, 20, 53, 75])
def test_cmyk_flat_levels_are_what_pil_decodes_at_each_quality(quality):
    from data_gen.convert.collar import jpeg_flat_levels

    for ink, which in (((0, 0, 0, 0), 1), ((255, 255, 255, 0), 0)):
        im = _flat_cmyk(ink, quality=quality)
        assert tuple(jpeg_flat_levels(im)[which]) == im.convert("RGB").getpixel((20, 20)), (ink, quality)


def test_cmyk_levels_read_each_components_own_table():
    from data_gen.convert.collar import jpeg_flat_levels

    im = _flat_cmyk((0, 0, 0, 0), qtables=[[6] * 64, [40] * 64, [20] * 64, [33] * 64])
    assert [c[3] for c in im.layer] == [0, 1, 2, 3]
    assert jpeg_flat_levels(im)[1] == im.convert("RGB").getpixel((20, 20)) == (255, 253, 255)


@pytest.mark.parametrize("quality", [5, 15, 20, 53])
def test_a_ycck_jpegs_levels_are_what_pil_decodes(quality):
    # YCCK's Y holds the ink itself: its white at 20 decodes to 253, where the CMYK sum said 251 (2 off: missed)
    from data_gen.convert.collar import jpeg_flat_levels

    for ink, which in ((0, 1), (255, 0)):
        im = _flat_cmyk((255 - ink, 127, 127, 0), ycck=True, quality=quality)
        assert im.info.get("adobe_transform") == 2
        assert tuple(jpeg_flat_levels(im)[which]) == im.convert("RGB").getpixel((20, 20)), (ink, quality)


def test_a_ycck_jpegs_white_collar_is_found(tmp_path):
    import numpy as np
    from PIL import Image

    from data_gen.tiling import constant_border

    ink = np.random.default_rng(0).integers(60, 200, (96, 128), dtype=np.uint8)
    ink[:, :16], ink[:12] = 0, 0  # a white collar on two sides
    c = np.stack([255 - ink, np.full_like(ink, 127), np.full_like(ink, 127), np.zeros_like(ink)], -1)
    b = io.BytesIO()
    Image.fromarray(c, "CMYK").save(b, "JPEG", quality=20)
    (tmp_path / "y.jpg").write_bytes(_as_ycck(b.getvalue()))
    with Image.open(tmp_path / "y.jpg") as im:
        assert im.info["adobe_transform"] == 2 and im.convert("RGB").getpixel((0, 0)) == (253, 253, 253)
    found = constant_border(tmp_path / "y.jpg")
    assert found is not None and found[0] == (253, 253, 253) and 0.19 < found[1] / found[2] < 0.25


@pytest.mark.parametrize(("text", "comma"), [
    ('{"a": [1, 2,}', False),  # the list is never closed: dropping the comma leaves it broken
    ('{"a": 1,]', False),
    ('{"k": [1,]}', True),
    ('[{"a": 1},\n]', True),
])
def test_a_trailing_comma_is_told_from_a_bracket_closing_the_wrong_thing(text, comma):
    from data_gen.convert.text import json_problem

    with pytest.raises(json.JSONDecodeError) as e:
        json.loads(text)
    said = json_problem(e.value)
    assert ("a comma after the last item" in said) is comma and said.startswith(str(e.value)), said


@pytest.mark.parametrize("fmt", ["dota", "voc"])
def test_unlabelled_count_leaves_out_the_runs_own_out_folder(tmp_path, capsys, fmt):
    # every_image without the run's Output counted a tiled run's images under --out inside --src: 4 images, not 1
    import numpy as np
    from PIL import Image

    from data_gen.__main__ import main

    src = tmp_path / "s"
    (src / "o" / "images").mkdir(parents=True)
    scene = Image.fromarray(np.random.default_rng(7).integers(60, 200, (32, 32, 3)).astype(np.uint8))
    scene.save(src / "a.png")
    for i in range(3):
        scene.save(src / "o" / "images" / f"a_{i}.png")
    assert main(["convert", fmt, "--src", str(src), "--out", str(src / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"; 1 image under {src} (a.png) has no " in err, err
