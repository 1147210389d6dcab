"""Whole reads through predict's and chat's reader (inference.read_spec) are refused before the stretch."""

from __future__ import annotations

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")


def _tif(path, data):
    c, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=data.dtype) as ds:
        ds.write(data)
    return path


def test_read_spec_of_a_whole_scene_too_large_is_refused_before_its_stretch(tmp_path, monkeypatch):
    """read_image refused such a scene before the stretch's sample read (9965dab); read_spec, which predict
    and chat use, read the sample first (32 s of a sparse 100000 x 80000 RGB) and only then refused."""
    from rsvlm import inference as inf
    from rsvlm.io import budget
    from rsvlm.io import scaling as sc
    from rsvlm.io.large import SceneTooLarge

    p = _tif(tmp_path / "big.tif", np.random.default_rng(4).integers(0, 4000, (3, 64, 96)).astype(np.uint16))
    stretched = []
    compute_stretch = sc.compute_stretch
    monkeypatch.setattr(sc, "compute_stretch", lambda *a: stretched.append(1) or compute_stretch(*a))
    monkeypatch.setattr(budget, "available_bytes", lambda: 64 * 48 * 3 * 14)  # a 64 x 48 window fits
    spec = inf.ImageSpec([str(p)])
    with pytest.raises(SceneTooLarge, match=r"big\.tif: not enough memory to read the whole scene"):
        inf.read_spec(spec)
    assert not stretched
    assert inf.read_spec(spec, max_side=32).data.shape[0] == 3  # a shrunk read needs no whole-scene memory
    assert inf.read_spec(spec, window=(0, 0, 64, 48)).data.shape == (3, 48, 64)
