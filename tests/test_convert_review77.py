"""Review of stop 77's converter changes: a JPEG collar whose black fill decodes to 1 is still said; a label PNG past
PIL's pixel limit reads as one under it does (1-bit, 16-bit grey, tRNS); a full disk midway is an error naming
the output folder, not a traceback, and an input's error under ``--out`` is not called a write's."""

import errno
import json

import numpy as np
import pytest
from PIL import Image

from data_gen import tiling
from data_gen.convert import common
from data_gen.convert import main as convert_main
from tests.test_convert_tour77 import dota_folder, scene


@pytest.mark.parametrize("quality", [53, 62, 69])
def test_a_jpeg_collar_whose_black_decodes_to_one_is_still_said(tmp_path, quality):
    """At these qualities a flat black fill decodes to 1 (its DC step): an exact-0 rule missed the collar."""
    Image.fromarray(scene(400, 500)).rotate(45, expand=True).save(tmp_path / "r.jpg", quality=quality)
    found = tiling.constant_border(tmp_path / "r.jpg")
    assert found is not None and found[0] == (1, 1, 1) and 0.3 < found[1] / found[2] < 0.6, found
    shadow = scene(400, 500)
    shadow[200:] = np.random.default_rng(1).integers(0, 7, (200, 500, 3))  # decoded mostly 3 or 4: no collar
    Image.fromarray(shadow).save(tmp_path / "s.jpg", quality=quality)
    assert tiling.constant_border(tmp_path / "s.jpg") is None


def label_files(folder):
    m = np.zeros((64, 80), np.uint8)
    m[10:30, 12:40], m[40:50, 5:60] = 255, 128
    Image.fromarray(m > 0).save(folder / "bits.png")  # 1-bit: GDAL read it 0/1
    Image.fromarray(m.astype(np.uint16) * 257).save(folder / "deep_grey.png")  # GDAL's was not narrowed
    Image.fromarray(m).save(folder / "grey_trns.png", transparency=255)  # GDAL's tRNS grey is a nodata
    p = Image.fromarray((m // 127).astype(np.uint8), "P")
    p.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    p.save(folder / "palette_trns.png", transparency=2)
    Image.fromarray(np.stack([m, m // 2, m * 0], -1)).save(folder / "rgb_trns.png", transparency=(0, 0, 0))
    return sorted(folder.glob("*.png"))


@pytest.mark.parametrize("mode", [{}, {"grey_levels": True}, {"rgb": True}], ids=["binary", "grey levels", "rgb"])
def test_a_label_png_past_pils_limit_reads_as_one_under_it(tmp_path, monkeypatch, mode):
    """Read through GDAL past the limit, a 1-bit mask, a 16-bit grey label and a tRNS colour came out otherwise."""
    from data_gen.convert.labelread import read_label

    def read(path):
        voids = []
        try:
            a = read_label(path, rgb=mode.get("rgb", False), grey_levels=mode.get("grey_levels", False), voids=voids)
        except common.ConversionError as e:  # a colour label under grey levels: refused either way
            return str(e), None
        return a, [int(v.sum()) for v in voids]

    for path in label_files(tmp_path):
        under = read(path)
        with monkeypatch.context() as m:
            m.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 64 x 80 is past twice it
            past = read(path)
        if isinstance(under[0], str):
            assert past == under and (mode, path.name) == ({"grey_levels": True}, "rgb_trns.png"), past
            continue
        assert past[0].dtype == under[0].dtype and past[1] == under[1], (path.name, past[1], under[1])
        np.testing.assert_array_equal(past[0], under[0], err_msg=path.name)


def test_a_full_disk_midway_is_an_error_naming_the_output_not_a_traceback(tmp_path, monkeypatch, capsys):
    """A full disk's error names no file (a write's or a flush's): it was re-raised, a traceback, as before."""
    copy = common.Output.copy_image

    def full(self, image, name=None):
        if image.name == "P1.png":
            raise OSError(errno.ENOSPC, "No space left on device")
        return copy(self, image, name)

    monkeypatch.setattr(common.Output, "copy_image", full)
    out = tmp_path / "o"
    assert convert_main(["dota", "--src", str(dota_folder(tmp_path / "d")), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"error: {out}: cannot write (No space left on device); the run stopped" in err, err
    assert "(its stats.json says what)" in err and json.loads((out / "stats.json").read_text())["records"] == 3


def test_an_inputs_error_under_the_output_folder_is_no_write_error(tmp_path, monkeypatch):
    """An --out above its inputs: an input file's error named a path under --out and was said "cannot write"."""
    src = dota_folder(tmp_path / "o" / "raw")

    def gone(self, image, name=None):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(image))

    monkeypatch.setattr(common.Output, "copy_image", gone)
    with pytest.raises(FileNotFoundError):
        convert_main(["dota", "--src", str(src), "--out", str(tmp_path / "o"), "--no-progress"])
