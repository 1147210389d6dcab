"""Reading tour 77: the shared read's hold counts the most the guess and calibration may make a value's scaling
(a float scene guessed ir in kelvin was held, then refused); the reader's helpers scene_scaling reads through are
public."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm.io import budget  # noqa: E402
from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import SceneReader, read_image  # noqa: E402
from rsvlm.io.shared_read import SharedRead  # noqa: E402
from tests.test_io_tour74b_shared_read import scene_bands, write_geotiff  # noqa: E402

H, W = 300, 400


def _memory_left_of(monkeypatch, limit: int) -> list:
    """Free memory under ``limit`` bytes, less each shared read held; returns the shared reads decoded."""
    held, plain = [], SharedRead._read
    monkeypatch.setattr(SharedRead, "_read", lambda self: held.append(self) or plain(self))
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: limit - sum(
        s.raw.nbytes for s in {id(s): s for s in held}.values() if s.raw is not None))
    return held


def _kelvin_scene(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    return write_geotiff(tmp_path / "k.tif", (290 + 10 * rng.standard_normal((1, H, W))).astype("float32"))


def test_a_float_scene_guessed_ir_in_kelvin_is_refused_before_it_is_held(tmp_path, monkeypatch):
    """Was: held at 18 bytes a pixel (4 raw + sar's 14, the most before the guess), then refused at 19 once guessed
    ir in kelvin (15): decoded whole for nothing. Now the hold counts 19, so it is refused up front, never held."""
    path = _kelvin_scene(tmp_path)
    assert budget.most_scaling_bytes("float32") == budget.scaling_bytes("float32", "ir", [1.0, 0.0]) == 15
    n = H * W
    for per in (18, 19 - 1e-6):
        decoded = _memory_left_of(monkeypatch, int(n * per))
        with pytest.raises(SceneTooLarge, match=re.escape(f"{path}: not enough memory to read the whole scene")):
            read_image(path)
        assert decoded == [], per
    decoded = _memory_left_of(monkeypatch, n * 19)
    img = read_image(path)
    assert img.modality == "ir" and decoded and any("K)" in n for n in img.notes)


def test_a_float_sar_scene_in_that_band_is_read_not_held(tmp_path, monkeypatch):
    """The cost of the count above: a float32 scene guessed sar (18 bytes a pixel) with less than 19 free is not
    held, and is read from the file as without a shared read."""
    path = write_geotiff(tmp_path / "f.tif", scene_bands(c=1, h=H, w=W, dtype="float32"))
    decoded = _memory_left_of(monkeypatch, H * W * 18)
    img = read_image(path)
    assert img.modality == "sar" and decoded == [] and np.isfinite(img.data).all()


@pytest.mark.parametrize(("dtype", "modality", "kelvin", "planck", "most"), [
    ("float32", None, None, False, 15), ("uint16", None, None, False, 15), ("uint16", None, None, True, 25),
    ("uint16", "msi", None, True, 12), ("uint16", "ir", [1.0, 0.0], True, 15), ("complex64", None, None, False, 14),
    ("uint8", "sar", None, False, 14)])
def test_most_scaling_bytes_is_the_most_of_what_may_be_resolved(dtype, modality, kelvin, planck, most):
    assert budget.most_scaling_bytes(dtype, modality, kelvin, planck) == most


def test_scene_scalings_helpers_are_public_and_unchanged(tmp_path):
    """scene_scaling read SceneReader's private _sample, _unblended, _band_labels, _fill_note."""
    path = write_geotiff(tmp_path / "s.tif", scene_bands(c=3, h=64, w=64))
    with SceneReader(path) as scene:
        raw, valid = scene.sample(None)
        assert raw.shape == (3, 64, 64) and valid is None
        assert scene.unblended(None)[0].shape == raw.shape
        assert scene.band_labels() == scene.bands and scene.fill_note is None
        assert not any(hasattr(scene, n) for n in ("_sample", "_unblended", "_band_labels", "_fill_note"))
