"""The note on a float top-of-atmosphere stack's thermal bands, kept in kelvin beside reflectance (moved out of
``read.py``, which a size limit bounds)."""

from __future__ import annotations

import numpy as np


def kelvin_note(scene, raw: np.ndarray, valid: np.ndarray | None, hot: list[int]) -> str:
    """What becomes of the thermal bands ``hot`` (positions in the read; ``raw`` (C, h, w) the sample) of a
    float top-of-atmosphere stack read by ``scene`` (a ``SceneReader``: its bands, indexes, paths, src): kept in
    kelvin, unscaled beside reflectance (no stretch: reflectance has none), so a model band of that name sees ~300
    where training saw 0-1; the way to their temperatures."""
    names = [scene.bands[i] for i in hot]
    told = []
    for i in hot:
        v = raw[i] if valid is None else raw[i][valid]  # (n,) or (h, w)
        v = v[np.isfinite(v)]
        told.append(f"{scene.bands[i]} median {np.median(v):.4g}" if v.size else scene.bands[i])
    told = ", ".join(told)
    first = scene.indexes[hot[0]]
    how = (f"gdal_translate -b {first + 1} {scene.paths[0].name} tir.tif, then --modality ir" if len(scene.paths) == 1
           else f"give {scene.paths[first].name} alone with --modality ir" if len(scene.paths) == scene.src.count
           else "--modality ir")
    return (f"thermal band{'s' * (len(hot) > 1)} {', '.join(names)} kept as stored beside reflectance (kelvin in a "
            f"top-of-atmosphere export: {told}): not taken for DN of the others, and not scaled: a model whose msi "
            "bands include a thermal band would see these values, far outside reflectance's 0-1 (the default "
            f"model's msi stem has none and leaves them out); for temperatures read a thermal band alone as ir ({how})")
