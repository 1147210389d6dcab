"""Procedural land cover per scene class, and object placement on it.

Land cover is drawn with whole-array numpy operations (strips, half-planes, thresholded
noise); objects are placed by rejection sampling inside a zone mask, never overlapping
(a one-pixel gap is kept) and never cut by the image border.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from data_gen.synth.classes import MAT, ROOF_COLOURS, VEHICLE_COLOURS
from data_gen.synth.objects import SceneObject, sample_dims
from data_gen.synth.raster import (
    fill_convex,
    fill_disc,
    pixel_grid,
    rect_corners,
    rotated_coords,
    smooth_noise,
)


@dataclass
class Background:
    material: np.ndarray  # (H, W) uint8 material ids
    shade: np.ndarray  # (H, W) float32 brightness multiplier (markings, crop rows)
    canopy: np.ndarray  # (H, W) float32 tree height in px
    zones: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (H, W) bool
    angle: float = 0.0  # dominant orientation (roads, runway, shore), degrees


def _canopy(rng, bg: Background, where: np.ndarray, cover: float, scale: float) -> None:
    """Trees where ``where`` and a noise field exceeds the quantile giving ``cover``."""
    h, w = where.shape
    n = smooth_noise(rng, h, w, 14 * scale) + 0.5 * smooth_noise(rng, h, w, 4 * scale)
    thr = np.quantile(n, 1 - cover)
    trees = where & (n > thr)
    crowns = 0.5 + 0.5 * smooth_noise(rng, h, w, 2.2 * scale)  # (H, W) bumpy crowns
    bg.material[trees] = MAT["tree"]
    bg.canopy[trees] = (1.5 + 2.5 * crowns[trees]) * scale
    bg.shade[trees] *= 0.8 + 0.4 * crowns[trees]


def make_background(scene_class: str, rng: np.random.Generator, size: int) -> Background:
    h = w = size
    s = size / 128
    xx, yy = pixel_grid(h, w)
    mat = np.full((h, w), MAT["grass"], np.uint8)
    bg = Background(mat, np.ones((h, w), np.float32), np.zeros((h, w), np.float32))
    soil_patches = smooth_noise(rng, h, w, 30 * s) > 0.45
    angle = float(rng.uniform(0, 180))
    bg.angle = angle
    cx, cy = size / 2 + rng.uniform(-0.15, 0.15) * size, size / 2 + rng.uniform(-0.15, 0.15) * size
    u, v = rotated_coords(xx, yy, cx, cy, angle)

    if scene_class == "airport":
        mat[soil_patches] = MAT["soil"]
        rw = rng.uniform(0.09, 0.13) * size
        runway = np.abs(v) < rw / 2
        side = rng.choice([-1, 1])
        apron = (np.abs(u - rng.uniform(-0.1, 0.1) * size) < 0.32 * size) & (side * v > rw / 2 + 5 * s) & (side * v < rw / 2 + 0.42 * size)
        taxi = (np.abs(u) < 4 * s) & (side * v > 0) & (side * v < rw / 2 + 6 * s)
        mat[runway | taxi] = MAT["asphalt"]
        mat[apron] = MAT["concrete"]
        bg.shade[runway & (np.abs(v) < 0.8 * s) & ((u % (10 * s)) < 5 * s)] = 2.2  # centre line
        bg.zones = {"apron": apron, "grass": ~(runway | apron | taxi)}
    elif scene_class == "harbour":
        water = v > 0
        quay = (v <= 0) & (v > -0.22 * size)
        mat[~water] = MAT["soil"]
        mat[quay] = MAT["concrete"]
        piers = np.zeros_like(water)
        for _ in range(rng.integers(1, 3)):
            pu = rng.uniform(-0.35, 0.35) * size
            piers |= (np.abs(u - pu) < 3 * s) & (v > 0) & (v < rng.uniform(0.15, 0.3) * size)
        mat[water] = MAT["water"]
        mat[piers] = MAT["concrete"]
        bg.zones = {"water": water & ~piers & (v > 3 * s), "land": ~water & ~piers, "quay": quay}
    elif scene_class == "parking lot":
        lot = (np.abs(u) < rng.uniform(0.3, 0.42) * size) & (np.abs(v) < rng.uniform(0.25, 0.38) * size)
        road = np.abs(v - 0.44 * size) < 6 * s
        mat[soil_patches & ~lot] = MAT["soil"]
        mat[lot | road] = MAT["asphalt"]
        bg.shade[lot & ((u % (7 * s)) < 0.8 * s) & (np.abs(np.abs(v) - 0.12 * size) < 0.1 * size)] = 2.0
        bg.zones = {"lot": lot, "road": road, "grass": ~(lot | road)}
    elif scene_class == "residential":
        road = np.abs(v) < 5 * s
        cross = np.abs(u - rng.uniform(-0.3, 0.3) * size) < 5 * s
        roads = road | (cross if rng.uniform() < 0.6 else np.zeros_like(road))
        mat[roads] = MAT["asphalt"]
        yard = ~roads
        bg.zones = {"road": road, "yard": yard}
        _canopy(rng, bg, yard & (np.abs(v) > 10 * s), rng.uniform(0.08, 0.22), s)
        bg.zones["lawn"] = yard & (mat == MAT["grass"])
    elif scene_class == "industrial":
        mat[:] = MAT["concrete"]
        mat[soil_patches] = MAT["soil"]
        road = np.abs(v) < 6 * s
        mat[road] = MAT["asphalt"]
        bg.zones = {"yard": ~road, "road": road}
    elif scene_class == "farmland":
        fu, fv = rng.uniform(25, 50) * s, rng.uniform(20, 45) * s
        iu, iv = np.floor(u / fu).astype(np.int32), np.floor(v / fv).astype(np.int32)
        iu, iv = iu - iu.min(), iv - iv.min()
        field_id = rng.integers(0, 4, size=(iu.max() + 1, iv.max() + 1))[iu, iv]  # (H, W) crop per parcel
        crops = np.array([MAT["crop_green"], MAT["crop_ripe"], MAT["soil"], MAT["grass"]], np.uint8)
        mat[:] = crops[field_id]
        bg.shade *= 1 + 0.12 * np.sin(v * (2 * math.pi / (3.0 * s))) * (field_id < 3)  # crop rows
        edge = ((u % fu) < 1.2 * s) | ((v % fv) < 1.2 * s)
        mat[edge] = MAT["grass"]
        bg.zones = {"field": ~edge}
    elif scene_class == "forest":
        track = np.abs(v) < 3 * s if rng.uniform() < 0.5 else np.zeros((h, w), bool)
        mat[soil_patches] = MAT["soil"]
        mat[track] = MAT["soil"]
        _canopy(rng, bg, ~track, rng.uniform(0.65, 0.9), s)
        bg.zones = {"clearing": mat != MAT["tree"]}
    elif scene_class == "river":
        wavelength = rng.uniform(0.8, 1.6) * size
        centre = 0.12 * size * np.sin(u * 2 * math.pi / wavelength + rng.uniform(0, 6.3))
        water = np.abs(v - centre) < rng.uniform(0.12, 0.2) * size
        bank = (np.abs(v - centre) < 0.36 * size) & ~water
        mat[soil_patches] = MAT["soil"]
        _canopy(rng, bg, bank, 0.35, s)
        mat[water] = MAT["water"]
        bg.canopy[water] = 0
        bg.zones = {"water": water, "land": ~water & (mat != MAT["tree"])}
    elif scene_class == "lake":
        rr = np.hypot(u / rng.uniform(0.28, 0.4), v / rng.uniform(0.22, 0.32)) / size
        water = rr + 0.25 * smooth_noise(rng, h, w, 24 * s) < 1.0
        mat[soil_patches] = MAT["sand"]
        _canopy(rng, bg, ~water, rng.uniform(0.1, 0.3), s)
        mat[water] = MAT["water"]
        bg.canopy[water] = 0
        bg.zones = {"water": water, "land": ~water & (mat != MAT["tree"])}
    elif scene_class == "bare land":
        mat[:] = MAT["soil"]
        mat[smooth_noise(rng, h, w, 20 * s) > 0.2] = MAT["sand"]
        mat[smooth_noise(rng, h, w, 25 * s) > 0.65] = MAT["grass"]
        track = np.abs(v) < 2.5 * s
        bg.shade[track] *= 0.85
        bg.zones = {"land": np.ones((h, w), bool)}
    else:
        raise ValueError(f"unknown scene class {scene_class!r}")
    return bg


class Placer:
    """Places objects by rejection sampling inside zones, keeping them apart."""

    def __init__(self, bg: Background, rng: np.random.Generator, size: int, first_id: int = 1,
                 occupied: np.ndarray | None = None, object_scale: float = 1.0, min_object_px: float = 0.0):
        self.bg, self.rng, self.size, self.scale = bg, rng, size, size / 128
        self.obj_scale = self.scale * object_scale  # objects' size against the nominal 128-px one
        self.min_object_px = min_object_px
        self.occ = np.zeros((size, size), bool) if occupied is None else occupied.copy()
        self.objects: list[SceneObject] = []
        self.next_id = first_id
        self.too_small: Counter = Counter()  # class -> objects left out: each try that was drawn had under 3 px
        self.not_fitted: Counter = Counter()  # class -> objects left out: no try found room in the zone
        self._sizes = [0, 0]  # tries of the current object that were drawn: under 3 px, 3 px or more

    def _footprint(self, obj: SceneObject, grow: float):
        if obj.cls == "storage tank":
            return fill_disc(obj.cx, obj.cy, obj.length / 2 + grow, self.size, self.size)
        q = rect_corners(obj.cx, obj.cy, obj.length + 2 * grow, obj.width + 2 * grow, obj.angle)
        if q.min() < 0.5 or q.max() > self.size - 0.5:
            return None
        return fill_convex(q, self.size, self.size)

    def place(self, cls: str, zone: str, n: int, angle: float | None = None, jitter: float = 180.0,
              tries: int = 30) -> int:
        """Try to add ``n`` objects of ``cls`` in ``zone``; returns how many fit."""
        if n <= 0:
            return 0
        mask = self.bg.zones.get(zone)
        cand = np.flatnonzero(mask) if mask is not None else np.empty(0, np.int64)
        if cand.size == 0:  # a zone this scene lacks (a forest all trees): no room for any
            self.not_fitted[cls] += n
            return 0
        placed = 0
        for _ in range(n):
            self._sizes = [0, 0]
            for _ in range(tries):
                obj = self.propose(cls, cand, angle, jitter)
                if obj is not None and self.accept(obj, mask):
                    placed += 1
                    break
            else:  # counting only: no draw of rng
                (self.too_small if self._sizes[0] and not self._sizes[1] else self.not_fitted)[cls] += 1
        return placed

    def propose(self, cls: str, cand: np.ndarray, angle: float | None, jitter: float) -> SceneObject | None:
        rng = self.rng
        idx = int(cand[rng.integers(cand.size)])
        cy, cx = divmod(idx, self.size)
        length, width, height, size_word = sample_dims(cls, rng, self.obj_scale, self.min_object_px)
        if cls == "storage tank":
            a = 0.0
        elif angle is None:
            a = float(rng.uniform(0, 360))
        else:
            a = float((angle + rng.uniform(-jitter, jitter) + (180 if rng.uniform() < 0.5 else 0)) % 360)
        colour, style = "", ""
        if cls in ("small vehicle", "large vehicle"):
            colour = str(rng.choice(list(VEHICLE_COLOURS)))
        elif cls == "building":
            style = "gable" if (self.bg.zones.get("lawn") is not None and rng.uniform() < 0.85) else "flat"
            colour = str(rng.choice(list(ROOF_COLOURS))) if style == "gable" else "white"  # bare metal, drawn light
        return SceneObject(self.next_id, cls, cx + float(rng.uniform(0, 1)), cy + float(rng.uniform(0, 1)),
                           length, width, a, height, colour, style, size_word, float(rng.normal(0, 1.5)))

    def _parts_px(self, obj: SceneObject) -> int:
        """Pixels the object's parts draw together (``render.rasterise`` draws the same)."""
        flat = []
        for _, geom, _, _ in obj.parts():
            win = fill_convex(geom, self.size, self.size)
            if win is not None:
                ys, xs, m = win
                r, c = np.nonzero(m)
                flat.append((r + ys.start) * self.size + c + xs.start)
        return int(np.unique(np.concatenate(flat)).size) if flat else 0

    def accept(self, obj: SceneObject, zone_mask: np.ndarray) -> bool:
        if not max(obj.length, obj.width) <= 2 * self.size:  # never fits (inf or NaN at object_scale 1e308)
            return False
        pts = np.floor(np.vstack([obj.quad(), [[obj.cx, obj.cy]]])).astype(int)  # corners and centre first
        if pts.min() < 0 or pts.max() >= self.size:  # floor: a corner at -0.8 is off the image (int() made it 0)
            return False
        if not zone_mask[pts[:, 1], pts[:, 0]].all() or self.occ[pts[:, 1], pts[:, 0]].any():
            return False
        win = self._footprint(obj, 0.0)
        grown = self._footprint(obj, 1.0 * max(1.0, self.scale))
        if win is None or grown is None:
            return False
        ys, xs, m = win
        drawn = int(m.sum())
        if drawn < 64 and obj.cls != "storage tank":  # small: the parts (a plane's fuselage and wings,
            drawn = self._parts_px(obj)  # a truck's cab and box) may draw fewer pixels than the box round them
        self._sizes[drawn >= 3] += 1
        if drawn < 3:
            return False
        if not zone_mask[ys, xs][m].all():
            return False
        gys, gxs, gm = grown
        if self.occ[gys, gxs][gm].any():
            return False
        self.occ[gys, gxs] |= gm
        self.objects.append(obj)
        self.next_id += 1
        return True
