"""Scene objects: an oriented footprint plus the convex parts that draw it.

An object's frame has ``u`` along its length (``angle`` degrees from +x towards +y, image
y pointing down) and ``v`` across; parts are given in that frame scaled to [-0.5, 0.5].
Storage tanks are discs and always report ``angle = 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from data_gen.synth.classes import MAT
from data_gen.synth.raster import rect_corners


def _rect(u0, u1, v0, v1):
    return np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]], dtype=np.float64)


# (kind, local geometry, material, shade): later parts paint over earlier ones.
PART_LIBRARY = {
    "small vehicle": [("poly", _rect(-0.5, 0.5, -0.5, 0.5), "paint", 1.0),
                      ("poly", _rect(0.12, 0.3, -0.42, 0.42), "glass", 1.0),
                      ("poly", _rect(-0.38, -0.25, -0.42, 0.42), "glass", 1.0)],
    "large vehicle": [("poly", _rect(0.28, 0.5, -0.5, 0.5), "paint", 1.0),
                      ("poly", _rect(-0.5, 0.24, -0.5, 0.5), "roof_metal", 1.15)],
    "plane": [("poly", _rect(-0.5, 0.46, -0.06, 0.06), "plane_paint", 1.0),
              ("poly", np.array([[0.46, -0.06], [0.5, 0.0], [0.46, 0.06]]), "plane_paint", 1.0),
              ("poly", np.array([[0.18, -0.05], [-0.06, -0.5], [-0.16, -0.5], [-0.04, -0.05]]), "plane_paint", 0.95),
              ("poly", np.array([[0.18, 0.05], [-0.06, 0.5], [-0.16, 0.5], [-0.04, 0.05]]), "plane_paint", 0.95),
              ("poly", np.array([[-0.36, -0.03], [-0.5, -0.2], [-0.5, 0.2], [-0.36, 0.03]]), "plane_paint", 0.9)],
    "ship": [("poly", np.array([[-0.5, -0.5], [0.25, -0.5], [0.5, 0.0], [0.25, 0.5], [-0.5, 0.5]]), "ship_deck", 1.0),
             ("poly", _rect(-0.42, -0.12, -0.32, 0.32), "plane_paint", 1.0)],
    "storage tank": [("disc", 0.5, "tank_metal", 1.0), ("disc", 0.36, "tank_metal", 0.85)],
    "building_gable": [("poly", _rect(-0.5, 0.5, -0.5, 0.0), "roof_tile", 1.08),
                       ("poly", _rect(-0.5, 0.5, 0.0, 0.5), "roof_tile", 0.82)],
    "building_flat": [("poly", _rect(-0.5, 0.5, -0.5, 0.5), "roof_metal", 0.95),
                      ("poly", _rect(-0.42, 0.42, -0.38, 0.38), "roof_metal", 1.05)],
    "swimming pool": [("poly", _rect(-0.5, 0.5, -0.5, 0.5), "concrete", 1.0),
                      ("poly", _rect(-0.38, 0.38, -0.3, 0.3), "pool_water", 1.0)],
}

# Nominal (length, width) ranges at 128 px (scaled with the image size) and height for shadows.
SIZE_RANGES = {
    "plane": ((18, 30), None, 1.5),
    "ship": ((12, 30), (0.28, 0.4), 1.5),
    "large vehicle": ((8, 12), (0.33, 0.42), 1.6),
    "small vehicle": ((4.5, 6.5), (0.45, 0.55), 1.0),
    "storage tank": ((7, 18), None, 4.0),
    "building": ((9, 24), (0.5, 0.9), 5.0),
    "swimming pool": ((5, 9), (0.5, 0.7), 0.0),
}


@dataclass
class SceneObject:
    id: int
    cls: str
    cx: float
    cy: float
    length: float
    width: float
    angle: float  # degrees
    height: float  # px, for shadows and SAR double bounce
    colour: str = ""
    style: str = ""  # building: "gable" | "flat"
    size: str = "medium"  # small | medium | large, relative to the class range
    temp_offset: float = 0.0  # K, per-object thermal variation

    def parts(self) -> list[tuple[str, object, int, float]]:
        """Parts in pixel coordinates: ("poly", (N, 2) array) or ("disc", (cx, cy, r))."""
        key = f"building_{self.style or 'flat'}" if self.cls == "building" else self.cls
        out = []
        a = math.radians(self.angle)
        rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])  # local row-vec -> px
        for kind, geom, mat, shade in PART_LIBRARY[key]:
            if kind == "disc":
                out.append(("disc", (self.cx, self.cy, geom * self.length), MAT[mat], shade))
            else:
                local = geom * np.array([self.length, self.width])
                out.append(("poly", local @ rot + np.array([self.cx, self.cy]), MAT[mat], shade))
        return out

    def quad(self) -> np.ndarray:
        """(4, 2) oriented box corners in pixels."""
        return rect_corners(self.cx, self.cy, self.length, self.width, self.angle)

    def hbox(self) -> list[float]:
        if self.cls == "storage tank":
            r = self.length / 2
            return [self.cx - r, self.cy - r, self.cx + r, self.cy + r]
        pts = np.concatenate([g for k, g, _, _ in self.parts() if k == "poly"])
        return [float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())]

    def orientation(self) -> str:
        if self.cls == "storage tank":
            return "round"
        a = self.angle % 180
        if a < 22.5 or a >= 157.5:
            return "horizontal"
        if 67.5 <= a < 112.5:
            return "vertical"
        return "diagonal"


def sample_dims(cls: str, rng: np.random.Generator, scale: float,
                min_length: float = 0.0) -> tuple[float, float, float, str]:
    """(length, width, height, size word) for a new object of ``cls`` at ``scale`` = size / 128.
    ``min_length`` > 0 is a soft floor: the length becomes hypot(length, min_length), the width
    in proportion, so small objects reach about ``min_length`` px and large ones hardly change
    (the order of sizes, and so the size word, is kept)."""
    (lo, hi), ratio, height = SIZE_RANGES[cls]
    t = rng.uniform()
    length = (lo + t * (hi - lo)) * scale
    if cls == "plane":
        width = length * rng.uniform(0.9, 1.05)
    elif ratio is None:
        width = length
    else:
        width = length * rng.uniform(*ratio)
    if min_length > 0:
        grow = math.hypot(length, min_length) / length
        length, width = length * grow, width * grow
    size = "small" if t < 1 / 3 else "large" if t > 2 / 3 else "medium"
    h = height * scale * (rng.uniform(0.6, 1.6) if cls == "building" else rng.uniform(0.85, 1.15))
    return float(length), float(width), float(h), size
