"""Write one scene graph to disk: images per modality (and time), masks, and the ground-truth JSON.

Layout under the output folder (paths in the JSON are relative to it)::

    images/<scene>_<modality>[_t0|_t1].png|tif   optical PNG; msi, sar, ir TIFF (see render.py)
    masks/<scene>[_t0|_t1]_sem.png               semantic ids (classes.SEMANTIC_CLASSES), uint8
    masks/<scene>[_t0|_t1]_inst.png              instance ids (0 = none), uint8 (uint16 above 255)
    masks/<scene>_change.png                     pairs: 255 changed, 0 unchanged
    scenes/<scene>.json                          the scene graph as ground truth
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from data_gen.synth.classes import MODALITY_BANDS, MODALITY_EXT, SEMANTIC_CLASSES
from data_gen.synth.render import (
    Layers,
    reflectance,
    render_ir,
    render_msi,
    render_optical,
    render_sar,
    shown_colours,
)
from data_gen.synth.scene import SceneGraph

MODALITY_INDEX = {"optical": 0, "msi": 1, "sar": 2, "ir": 3}


def _png(path: Path, arr: np.ndarray, level: int) -> None:
    Image.fromarray(arr).save(path, compress_level=level)


def _tif(path: Path, arr: np.ndarray, modality: str) -> None:
    meta = {"bands": list(MODALITY_BANDS[modality]),
            "units": {"msi": "reflectance x 10000", "sar": "amplitude = sqrt(linear sigma0); dB = 20 log10", "ir": "brightness temperature x 100 K"}[modality]}
    planar = "separate" if arr.ndim == 3 else None
    gdal = "".join(f'<Item name="DESCRIPTION" sample="{i}" role="description">{b}</Item>'
                   for i, b in enumerate(meta["bands"]))  # band descriptions GDAL, rasterio and QGIS show
    tifffile.imwrite(path, arr, photometric="minisblack", planarconfig=planar, metadata=meta,
                     extratags=[(42112, "s", 0, f"<GDALMetadata>{gdal}</GDALMetadata>", True)])


def render_frame_images(layers: Layers, modalities, rngs: dict, sar_looks: int) -> dict[str, np.ndarray]:
    """Arrays per modality for one frame; optical and msi share one reflectance cube."""
    out = {}
    refl = reflectance(layers) if ("optical" in modalities or "msi" in modalities) else None
    for m in modalities:
        if m == "optical":
            out[m] = render_optical(layers, rngs[m], refl)
        elif m == "msi":
            out[m] = render_msi(layers, rngs[m], refl)
        elif m == "sar":
            out[m] = render_sar(layers, rngs[m], sar_looks)
        elif m == "ir":
            out[m] = render_ir(layers, rngs[m])
        else:
            raise ValueError(f"unknown modality {m!r} (optical, msi, sar, ir)")
    return out


def object_gt(o, area: int, colour: str | None = None) -> dict:
    """One object's ground truth; ``colour`` is the word its optical pixels show (``render.shown_colours``:
    "" where they show another than its paint), ``o.colour`` when None. ``paint`` is always ``o.colour``."""
    from rsvlm.geometry import canonical_quad

    r = lambda v: round(float(v), 2)  # noqa: E731
    return {
        "id": o.id, "class": o.cls,
        "hbox": [r(v) for v in o.hbox()],
        "obb": [[r(x), r(y)] for x, y in canonical_quad(o.quad().tolist())],
        "center": [r(o.cx), r(o.cy)], "length": r(o.length), "width": r(o.width), "angle": r(o.angle % 360),
        "height": r(o.height), "area": int(area),
        "attributes": {"size": o.size, "colour": o.colour if colour is None else colour,
                       "orientation": o.orientation(), "paint": o.colour},
    }


def write_scene(graph: SceneGraph, layers: list[Layers], images: list[dict[str, np.ndarray]], out: Path,
                png_level: int = 1, split: str = "train") -> tuple[dict, dict[str, np.ndarray]]:
    """Write everything of one scene; return its ground-truth dict and masks by name."""
    sid, size = graph.scene_id, graph.size
    times = ["t0", "t1"] if graph.is_pair else [""]
    frames, masks = [], {}
    for t, frame, lay, imgs in zip(times, graph.frames, layers, images):
        suf = f"_{t}" if t else ""
        entry = {"time": t, "images": {}, "sem_mask": f"masks/{sid}{suf}_sem.png", "inst_mask": f"masks/{sid}{suf}_inst.png"}
        for m, arr in imgs.items():
            rel = f"images/{sid}_{m}{suf}.{MODALITY_EXT[m]}"
            (_png(out / rel, arr, png_level) if MODALITY_EXT[m] == "png" else _tif(out / rel, arr, m))
            entry["images"][m] = rel
        inst = lay.inst.astype(np.uint8 if lay.inst.max() < 256 else np.uint16)
        _png(out / entry["sem_mask"], lay.sem, png_level)
        _png(out / entry["inst_mask"], inst, png_level)
        masks[f"sem{suf}"], masks[f"inst{suf}"] = lay.sem, lay.inst
        areas = np.bincount(lay.inst.ravel(), minlength=max([o.id for o in frame.objects], default=0) + 1)
        shown = shown_colours(lay, frame.objects)
        entry["objects"] = [object_gt(o, areas[o.id], shown.get(o.id)) for o in frame.objects]
        frames.append(entry)
    gt = {"scene": sid, "scene_class": graph.scene_class, "split": split, "width": size, "height": size, "pair": graph.is_pair,
          "frames": frames, "changes": [], "change_mask": "",
          "bands": {m: list(MODALITY_BANDS[m]) for m in images[0]}, "semantic_classes": list(SEMANTIC_CLASSES)}
    if graph.is_pair:
        change = np.zeros((size, size), bool)
        by_id = [{o["id"]: o for o in f["objects"]} for f in frames]
        for ev in graph.changes:
            k = 0 if ev["type"] in ("departed", "demolished") else 1
            change |= layers[k].inst == ev["id"]
            o = by_id[k][ev["id"]]
            gt["changes"].append({**ev, "time": times[k], "hbox": o["hbox"], "obb": o["obb"], "area": o["area"]})
        gt["change_mask"] = f"masks/{sid}_change.png"
        _png(out / gt["change_mask"], (change * 255).astype(np.uint8), png_level)
        masks["change"] = change
    (out / "scenes" / f"{sid}.json").write_text(json.dumps(gt, separators=(",", ":")))
    return gt, masks
