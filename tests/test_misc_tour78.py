"""Stop 78, items routed between areas: the CLI's refusal of an --out no folder can be made in, a data_gen
override named as typed, and the hint for a folder of images given as one image."""

from __future__ import annotations

from pathlib import Path

import pytest
from setup_helpers import folder_error


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (a folder no one can make folders in)")
@pytest.mark.parametrize("argv, verb", [
    (["merge-lora", "--model", "{tmp}/no_model", "--out", "/proc/rsvlm_x/merged"], "merge"),
    (["convert-llava", "--src", "{tmp}/llava", "--out", "/proc/rsvlm_x/converted"], "convert"),
])
def test_an_out_folder_nothing_can_be_written_in_is_said_without_a_class_name(tmp_path, capsys, argv, verb):
    """``rsvlm merge-lora --out /proc/x`` said "rsvlm merge-lora: NotWritable: /proc/x/merged: cannot write in
    /proc …": a Python class name a user need not see, beside a message that says it all."""
    from rsvlm.cli import main

    (tmp_path / "llava").mkdir()
    (tmp_path / "llava" / "config.json").write_text("{}")
    command = argv[0]
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rsvlm {command}: /proc/rsvlm_x/") and "NotWritable" not in err, err
    assert err.rstrip().endswith(f"{verb} into a folder you can write") and err.count("\n") == 1, err


def _png(path: Path, h: int, w: int, bands: int = 1) -> Path:
    import numpy as np
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (h, w) if bands == 1 else (h, w, bands)
    Image.fromarray(np.zeros(shape, np.uint8)).save(path)
    return path


def _geotiff(path: Path, size: int, pixel: float, west: float = 500000.0) -> Path:
    """A single-band UTM GeoTIFF ``size`` px a side of ``pixel`` m, its north-west corner at (``west``, 5000000)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint16",
                       crs="EPSG:32632", transform=from_origin(west, 5000000.0, pixel, pixel)) as dst:
        dst.write(np.ones((1, size, size), np.uint16))
    return path


def test_a_folder_of_separate_images_is_answered_with_a_loop_not_a_band_join(tmp_path, capsys):
    """``rsvlm predict --image fold`` (an RGB good.png, a grey good2.png twice its height) was told to join them as
    band files, 'fold/good2.png,fold/good.png', which the reader then refused (other sizes), good2 first."""
    import shlex

    from rsvlm.cli import main

    fold = tmp_path / "my scenes"
    _png(fold / "good.png", 20, 30, 3)
    _png(fold / "good2.png", 40, 30)
    assert main(["predict", "--model", str(tmp_path / "no_model"), "--image", str(fold), "--task", "cls"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rsvlm predict: {fold} is a folder, not an image file; give one of its images, e.g. "
                          f"{shlex.quote(str(fold / 'good.png'))}; they are 2 separate images (1- and 3-band, of 2 "
                          "sizes), not band files of one scene: run rsvlm predict once per file (for f in "), err
    assert "comma-separated" not in err and "rsvlm eval --data" in err and err.count("\n") == 1, err
    loop = err.split("(for f in ", 1)[1].split("; do", 1)[0]
    assert shlex.split(loop) == [f"{fold}/*.png"], loop  # the folder's space quoted, the glob left to the shell
    assert 'do rsvlm predict --image "$f" ' in err


@pytest.mark.parametrize("make, why", [
    (lambda d: [_png(d / f"rgb{k}.png", 16, 16, 3) for k in range(3)], "3-band"),  # photos of one size
    (lambda d: [_png(d / f"b{k}.png", 16 * (k + 1), 16) for k in range(3)], "of 3 sizes"),  # grey, not on one grid
    (lambda d: [_png(d / f"b{k}.png", 8, 8) for k in range(25)], "more than 24"),
])
def test_what_cannot_be_one_scenes_band_files_is_said_and_why(tmp_path, make, why):
    make(tmp_path)
    said = folder_error(tmp_path)
    assert f"separate images ({why}), not band files of one scene" in said and "comma-separated" not in said, said


def test_band_files_of_one_scene_keep_the_join_hint_in_natural_order(tmp_path):
    """Single-band files of one size, and georeferenced ones of other resolutions on one footprint (Sentinel-2's 10
    and 20 m bands, resampled on read), are offered joined; a 3-band TCI among them is left out of the join."""
    for name in ("B10", "B9", "B2", "B1"):
        _png(tmp_path / "grey" / f"s_{name}.png", 8, 8)
    assert folder_error(tmp_path / "grey").endswith("comma-separated: " + ",".join(
        str(tmp_path / "grey" / f"s_{b}.png") for b in ("B1", "B2", "B9", "B10")))
    s2 = tmp_path / "s2"
    s2.mkdir()
    _geotiff(s2 / "B02.tif", 64, 10.0), _geotiff(s2 / "B05.tif", 32, 20.0), _png(s2 / "TCI.png", 64, 64, 3)
    assert folder_error(s2).endswith(f"comma-separated: {s2 / 'B02.tif'},{s2 / 'B05.tif'}")
    _geotiff(s2 / "B05.tif", 32, 20.0, west=600000.0)  # another footprint: no band file of B02's scene
    assert "separate images (1- and 3-band, of 2 sizes)" in folder_error(s2)


def test_names_sort_as_numbers_and_the_shorter_name_first(tmp_path):
    for name in ("img10", "img9", "good2", "good"):
        _png(tmp_path / f"{name}.png", 8, 8, 3)
    said = folder_error(tmp_path)
    assert f"e.g. {tmp_path / 'good.png'};" in said, said


def test_the_real_folders_get_the_hint_that_fits_them(realdata):
    """msi_s2 holds four band files of one grid; cd_levir an RGB pair and its 1-band change mask (offered as a
    change pair since stop 79: tests/test_chat_tour79.py)."""
    assert folder_error(realdata / "msi_s2").endswith(",".join(str(realdata / "msi_s2" / f"B0{b}.jp2")
                                                                for b in (2, 3, 4, 8)))
    said = folder_error(realdata / "cd_levir")
    assert "1 change pair (*_A before, *_B after; 1 other raster beside them)" in said, said
    assert "comma-separated" not in said, said
