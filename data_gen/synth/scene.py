"""Scene graphs: a scene class, land cover and placed objects, one frame or a bi-temporal pair.

``generate_scene`` is a pure function of its generator: same seed, same graph. A pair's
second frame keeps the land cover and the objects that stay (same instance ids), removes
some (departed vehicles and ships, demolished buildings), adds new ones (arrivals, new
buildings) and changes the sun. Storage tanks and pools never change.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from data_gen.synth.classes import MAT, SCENE_CLASSES
from data_gen.synth.layout import Background, Placer, make_background
from data_gen.synth.objects import SceneObject
from data_gen.synth.raster import fill_convex, rect_corners

# scene class -> [(object class, zone, (min, max) count, angle mode, jitter deg)]
# angle mode: "free" (any), "along" (the scene's dominant direction), "across" (+90 deg)
RECIPES = {
    "airport": [("plane", "apron", (1, 4), "free", 0), ("small vehicle", "apron", (0, 3), "free", 0),
                ("large vehicle", "apron", (0, 2), "free", 0), ("building", "grass", (0, 1), "along", 3)],
    "harbour": [("ship", "water", (1, 5), "along", 30), ("storage tank", "quay", (0, 3), "free", 0),
                ("large vehicle", "quay", (0, 3), "along", 10), ("building", "land", (0, 2), "along", 3)],
    "parking lot": [("small vehicle", "lot", (4, 14), "across", 4), ("large vehicle", "lot", (0, 3), "across", 4),
                    ("small vehicle", "road", (0, 2), "along", 4)],
    "residential": [("building", "lawn", (3, 7), "along", 6), ("swimming pool", "lawn", (0, 3), "along", 6),
                    ("small vehicle", "road", (0, 4), "along", 4)],
    "industrial": [("building", "yard", (2, 4), "along", 4), ("storage tank", "yard", (1, 6), "free", 0),
                   ("large vehicle", "yard", (0, 4), "free", 0), ("small vehicle", "yard", (0, 3), "free", 0)],
    "farmland": [("building", "field", (0, 2), "along", 5), ("large vehicle", "field", (0, 1), "along", 5)],
    "forest": [("building", "clearing", (0, 1), "free", 0)],
    "river": [("ship", "water", (0, 3), "along", 15)],
    "lake": [("ship", "water", (0, 2), "free", 0), ("building", "land", (0, 3), "free", 0),
             ("swimming pool", "land", (0, 1), "free", 0)],
    "bare land": [("large vehicle", "land", (0, 2), "free", 0), ("building", "land", (0, 2), "free", 0),
                  ("small vehicle", "land", (0, 2), "free", 0)],
}
MOVABLE = ("plane", "ship", "large vehicle", "small vehicle")


@dataclass
class Frame:
    bg: Background
    objects: list[SceneObject]
    sun_azimuth: float  # degrees, direction shadows are cast towards (image frame)
    sun_length: float  # shadow length per px of height


@dataclass
class SceneGraph:
    scene_id: str
    scene_class: str
    size: int
    frames: list[Frame]  # one, or two in time order
    changes: list[dict] = field(default_factory=list)  # {"type", "class", "id"} for pairs
    too_small: Counter = field(default_factory=Counter)  # class -> objects left out: under 3 px drawn
    not_fitted: Counter = field(default_factory=Counter)  # class -> objects left out: no room found in the zone

    @property
    def is_pair(self) -> bool:
        return len(self.frames) == 2


def _place_recipe(placer: Placer, bg: Background, recipe, rng, max_objects: int, scale_counts: float = 1.0):
    """Place each recipe line's drawn count times ``scale_counts``, a half rounding up (a pair's
    arrivals are half a draw: one drawn, one arrives; Python's round(0.5) is 0)."""
    for cls, zone, (lo, hi), mode, jitter in recipe:
        n = math.floor(rng.integers(lo, hi + 1) * scale_counts + 0.5)
        n = min(n, max_objects - len(placer.objects))
        angle = None if mode == "free" else bg.angle + (90 if mode == "across" else 0)
        placer.place(cls, zone, n, angle=angle, jitter=jitter if mode != "free" else 180)


SIZES = (16, 4096)  # the scene sides in px that synth makes (smaller: no room; larger: minutes a scene)


def check_size(size, name: str = "size") -> None:
    """ValueError naming ``size`` unless it is a whole number of px in ``SIZES``."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not SIZES[0] <= size <= SIZES[1]:
        raise ValueError(f"{name} {size!r} must be between {SIZES[0]} and {SIZES[1]} (a whole number of px)")


def generate_scene(scene_id: str, rng: np.random.Generator, size: int = 128, pair: bool = False,
                   scene_class: str | None = None, max_objects: int = 20,
                   scene_weights: dict[str, float] | None = None, object_scale: float = 1.0,
                   min_object_px: float = 0.0) -> SceneGraph:
    """Sample a scene graph (and, with ``pair``, its changed second frame). ``object_scale``
    multiplies the objects' nominal sizes; ``min_object_px`` grows small objects towards that
    length (``objects.sample_dims``). Larger objects crowd out some of a recipe's count."""
    check_size(size)
    if object_scale <= 0 or min_object_px < 0:
        raise ValueError(f"need object_scale > 0 and min_object_px >= 0, got {object_scale}, {min_object_px}")
    sizing = {"object_scale": object_scale, "min_object_px": min_object_px}
    if scene_class is None:
        names = list(SCENE_CLASSES)
        p = np.array([(scene_weights or {}).get(n, 1.0) for n in names], float)
        if p.sum() <= 0:
            raise ValueError("scene_weights give every scene class zero weight")
        scene_class = names[int(rng.choice(len(names), p=p / p.sum()))]
    if scene_class not in RECIPES:
        raise ValueError(f"unknown scene class {scene_class!r}; known: {', '.join(SCENE_CLASSES)}")
    bg = make_background(scene_class, rng, size)
    placer = Placer(bg, rng, size, **sizing)
    _place_recipe(placer, bg, RECIPES[scene_class], rng, max_objects)
    f0 = Frame(bg, placer.objects, float(rng.uniform(0, 360)), float(rng.uniform(0.6, 1.2)))
    graph = SceneGraph(scene_id, scene_class, size, [f0], too_small=placer.too_small.copy(),
                       not_fitted=placer.not_fitted.copy())
    if pair:
        f1, changes, placer1 = _change(f0, placer, scene_class, rng, size, max_objects, sizing)
        graph.frames.append(f1)
        graph.changes = changes
        graph.too_small.update(placer1.too_small)
        graph.not_fitted.update(placer1.not_fitted)
    return graph


def _change(f0: Frame, placer0: Placer, scene_class: str, rng, size: int, max_objects: int,
            sizing: dict[str, float]):
    """Second frame, the list of change events, and the placer of the arrivals (what it left out)."""
    bg1 = copy.deepcopy(f0.bg)
    changes: list[dict] = []
    keep: list[SceneObject] = []
    static = rng.uniform() < 0.1  # some pairs only differ in light and season
    for o in f0.objects:
        if not static and o.cls in MOVABLE and rng.uniform() < 0.3:
            changes.append({"type": "departed", "class": o.cls, "id": o.id})
        elif not static and o.cls == "building" and rng.uniform() < 0.25:
            changes.append({"type": "demolished", "class": o.cls, "id": o.id})
            _paint_soil(bg1, o)
        else:
            keep.append(copy.copy(o))
    placer = Placer(bg1, rng, size, first_id=placer0.next_id, occupied=placer0.occ, **sizing)
    if not static:
        recipe = [r for r in RECIPES[scene_class] if r[0] in MOVABLE or r[0] == "building"]
        _place_recipe(placer, bg1, recipe, rng, max(0, max_objects - len(keep)), scale_counts=0.5)
        if not changes and not placer.objects and f0.objects:
            o = f0.objects[int(rng.integers(len(f0.objects)))]
            if o.cls in MOVABLE or o.cls == "building":
                keep = [k for k in keep if k.id != o.id]
                kind = "departed" if o.cls in MOVABLE else "demolished"
                changes.append({"type": kind, "class": o.cls, "id": o.id})
                if kind == "demolished":
                    _paint_soil(bg1, o)
    for o in placer.objects:
        changes.append({"type": "built" if o.cls == "building" else "arrived", "class": o.cls, "id": o.id})
        if o.cls == "building" and rng.uniform() < 0.5:
            _paint_soil(f0.bg, o)  # a construction site before
    if scene_class == "farmland":  # season: some fields ripen or get ploughed
        m = bg1.material
        green = m == MAT["crop_green"]
        m[green & (rng.uniform() < 0.5)] = MAT["crop_ripe"]
    f1 = Frame(bg1, keep + placer.objects, float(rng.uniform(0, 360)), float(rng.uniform(0.6, 1.2)))
    return f1, changes, placer


def _paint_soil(bg: Background, o: SceneObject) -> None:
    win = fill_convex(rect_corners(o.cx, o.cy, o.length + 2, o.width + 2, o.angle), *bg.material.shape)
    if win is not None:
        ys, xs, m = win
        bg.material[ys, xs][m] = MAT["soil"]
        bg.canopy[ys, xs][m] = 0
        bg.shade[ys, xs][m] = 1.0
