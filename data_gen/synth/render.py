"""From a scene frame to per-pixel layers, and from layers to the four modalities.

``rasterise`` draws land cover and objects once into material, instance, semantic, shade and
height maps; each renderer is then a table lookup plus a few whole-image operations:

- optical: tone-mapped visible reflectance with texture and cast shadows, uint8 (H, W, 3).
- msi: reflectance x 10000 in bands B02 B03 B04 B08 B11 B12, uint16 (6, H, W).
- sar: backscatter amplitude, sqrt of linear sigma0 power (dB = 20 log10), VV and VH, float32 (2, H, W);
  the sensor looks from the left (-x): double bounce lights the ground in front of walls,
  radar shadow darkens the far side, gamma speckle with ``looks`` looks.
- ir: brightness temperature in centi-kelvin, uint16 (H, W) (29315 = 20 degC).

No atmosphere, no terrain, no layover; spectra and temperatures are plausible, not measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from data_gen.synth.classes import (
    MAT,
    MATERIAL_SEMANTIC,
    MATERIALS,
    ROOF_COLOURS,
    SEMANTIC_ID,
    VEHICLE_COLOURS,
)
from data_gen.synth.raster import fill_convex, fill_disc, shift, smooth_noise
from data_gen.synth.scene import Frame

# per material: reflectance B02 B03 B04 B08 B11 B12 | sigma0 VV | VH/VV | temperature K | texture
_TABLE = {
    "soil":        ((0.08, 0.11, 0.15, 0.22, 0.30, 0.27), 0.030, 0.12, 306, 0.10),
    "sand":        ((0.20, 0.24, 0.29, 0.34, 0.40, 0.36), 0.012, 0.10, 309, 0.06),
    "grass":       ((0.04, 0.08, 0.05, 0.35, 0.22, 0.12), 0.050, 0.22, 298, 0.10),
    "crop_green":  ((0.03, 0.08, 0.04, 0.45, 0.23, 0.11), 0.080, 0.28, 296, 0.06),
    "crop_ripe":   ((0.07, 0.10, 0.14, 0.28, 0.31, 0.23), 0.060, 0.20, 302, 0.06),
    "tree":        ((0.02, 0.05, 0.03, 0.32, 0.15, 0.07), 0.120, 0.35, 294, 0.15),
    "water":       ((0.06, 0.05, 0.03, 0.010, 0.005, 0.003), 0.003, 0.05, 289, 0.03),
    "asphalt":     ((0.07, 0.08, 0.09, 0.11, 0.13, 0.12), 0.004, 0.10, 314, 0.05),
    "concrete":    ((0.22, 0.23, 0.25, 0.28, 0.31, 0.29), 0.020, 0.10, 308, 0.05),
    "roof_tile":   ((0.08, 0.10, 0.20, 0.28, 0.35, 0.30), 0.300, 0.10, 317, 0.03),
    "roof_metal":  ((0.26, 0.27, 0.28, 0.30, 0.28, 0.25), 0.500, 0.08, 320, 0.02),
    "paint":       ((0.10, 0.10, 0.10, 0.25, 0.20, 0.15), 0.800, 0.10, 322, 0.02),
    "plane_paint": ((0.55, 0.57, 0.58, 0.60, 0.50, 0.45), 0.600, 0.10, 305, 0.02),
    "ship_deck":   ((0.10, 0.11, 0.12, 0.14, 0.12, 0.10), 2.000, 0.10, 301, 0.03),
    "tank_metal":  ((0.45, 0.46, 0.47, 0.48, 0.42, 0.38), 1.000, 0.08, 303, 0.02),
    "pool_water":  ((0.22, 0.32, 0.30, 0.05, 0.02, 0.01), 0.003, 0.05, 292, 0.02),
    "glass":       ((0.03, 0.03, 0.03, 0.04, 0.04, 0.03), 0.800, 0.10, 318, 0.01),
}
_REFL = np.array([_TABLE[m][0] for m in MATERIALS], np.float32)  # (M, 6)
_SIGMA = np.array([_TABLE[m][1] for m in MATERIALS], np.float32)  # (M,)
_XPOL = np.array([_TABLE[m][2] for m in MATERIALS], np.float32)  # (M,)
_TEMP = np.array([_TABLE[m][3] for m in MATERIALS], np.float32)  # (M,)
_TEXTURE = np.array([_TABLE[m][4] for m in MATERIALS], np.float32)  # (M,)
_TINTED = np.array([m in ("paint", "roof_tile") for m in MATERIALS])  # visible bands from object colour
_WALLS = np.array([m in ("roof_tile", "roof_metal", "tank_metal") for m in MATERIALS])
_LAND_SEM = np.array(MATERIAL_SEMANTIC, np.uint8)
_GAMMA = 0.6  # optical tone curve: rgb = 255 * (3 * reflectance) ** 0.6


def colour_to_reflectance(rgb) -> np.ndarray:
    """Inverse of the optical tone curve: the visible reflectance (B04, B03, B02) of an RGB colour."""
    return (np.asarray(rgb, np.float32) / 255.0) ** (1 / _GAMMA) / 3.0


@dataclass
class Layers:
    material: np.ndarray  # (H, W) uint8
    inst: np.ndarray  # (H, W) int32 instance id, 0 = none
    sem: np.ndarray  # (H, W) uint8 semantic id
    shade: np.ndarray  # (H, W) float32
    height: np.ndarray  # (H, W) float32 px
    shadow: np.ndarray  # (H, W) float32 in [0, 1]
    tint: np.ndarray  # (H, W, 3) float32 visible reflectance of tinted pixels (R, G, B order)
    warm: np.ndarray  # (H, W) float32 per-object temperature offset
    texture: np.ndarray  # (H, W) float32 noise in about [-1, 1]
    scale: float = 1.0  # object heights' px per nominal px (objects.SIZE_RANGES at 128 px): size / 128 x object_scale


def rasterise(frame: Frame, size: int, rng: np.random.Generator, object_scale: float = 1.0) -> Layers:
    """Per-pixel layers of ``frame``; ``object_scale`` is the one its objects were drawn at
    (``generate_scene``): with ``size`` it sets the heights that count as walls in SAR."""
    bg = frame.bg
    mat = bg.material.copy()
    inst = np.zeros((size, size), np.int32)
    sem = _LAND_SEM[mat]
    shade = bg.shade.copy()
    height = bg.canopy.copy()
    tint = np.zeros((size, size, 3), np.float32)
    warm = np.zeros((size, size), np.float32)
    for o in frame.objects:
        colours = ROOF_COLOURS if o.cls == "building" else VEHICLE_COLOURS
        refl = colour_to_reflectance(colours.get(o.colour, (128, 128, 128)))
        for kind, geom, m_id, part_shade in o.parts():
            win = fill_disc(*geom, size, size) if kind == "disc" else fill_convex(geom, size, size)
            if win is None:
                continue
            ys, xs, m = win
            inst[ys, xs][m] = o.id
            mat[ys, xs][m] = m_id
            sem[ys, xs][m] = SEMANTIC_ID[o.cls]
            shade[ys, xs][m] = part_shade
            height[ys, xs][m] = o.height
            tint[ys, xs][m] = refl
            warm[ys, xs][m] = o.temp_offset
    texture = 0.6 * rng.standard_normal((size, size), dtype=np.float32) + 0.8 * smooth_noise(rng, size, size, 6)
    scale = size / 128 * object_scale
    # heights scale with the scene and objects: so does a shadow's reach (never past the image; 10 x a huge
    # object_scale is inf)
    reach = max(10, math.ceil(min(size, 10 * max(scale, size / 128))))
    return Layers(mat, inst, sem, shade, height, cast_shadow(height, frame.sun_azimuth, frame.sun_length, reach),
                  tint, warm, texture, scale)


def _offsets(reach: int, most: int = 64):
    """Pixel offsets 1…``reach``: every one up to ``most`` of them, else ``most`` spread evenly (gaps
    of reach / most px, narrower than any object at the scene sizes that need that many)."""
    if reach <= most:
        return range(1, reach + 1)
    return np.unique(np.round(np.linspace(1, reach, most)).astype(int)).tolist()


def cast_shadow(height: np.ndarray, azimuth: float, length: float, steps: int = 10) -> np.ndarray:
    """1 where something taller lies up-sun within ``steps`` px and its shadow reaches here, else 0 (H, W)."""
    a = math.radians(azimuth)
    dx, dy = math.cos(a), math.sin(a)
    shadow = np.zeros_like(height)
    top = float(height.max())
    if top <= 0:
        return shadow
    for k in _offsets(min(steps, int(math.ceil(top / length)) + 1)):
        src = shift(height, int(round(k * dy)), int(round(k * dx)))  # height of the pixel k steps up-sun
        shadow = np.maximum(shadow, (src - k * length > height + 0.3).astype(np.float32))
    return shadow


def _surface(material, tint, shade, texture, shadow) -> np.ndarray:
    """Illuminated reflectance (..., 6) of pixels given by their layers' values (any same shape ...)."""
    refl = _REFL[material]  # (..., 6)
    tinted = _TINTED[material]
    refl[tinted, :3] = tint[tinted][:, ::-1]  # tint is R,G,B; bands are B02(blue),B03,B04(red)
    light = shade * (1 + _TEXTURE[material] * texture) * (1 - 0.6 * shadow)
    return refl * light[..., None]


def reflectance(layers: Layers) -> np.ndarray:
    """Illuminated surface reflectance (6, H, W): material spectra, tints, texture, shade, shadow."""
    refl = _surface(layers.material, layers.tint, layers.shade, layers.texture, layers.shadow)  # (H, W, 6)
    return np.moveaxis(refl, -1, 0)  # (6, H, W)


def shown_colours(layers: Layers, objects) -> dict[int, str]:
    """Object id -> its colour word as the optical image shows it: ``o.colour`` where the noise-free mean
    RGB of its body (its pixels but the windows) is nearest that colour of its palette
    (``classes.VEHICLE_COLOURS`` or ``ROOF_COLOURS``), else "": a truck is its cab's colour over a quarter
    of its length, light bare metal behind, and a white car in a building's shadow reads grey."""
    coloured = [o for o in objects if o.colour]
    if not coloured:
        return {}
    ys, xs = np.nonzero(layers.inst)  # object pixels only: (N,) each
    ids, mat = layers.inst[ys, xs], layers.material[ys, xs]
    vis = _surface(mat, layers.tint[ys, xs], layers.shade[ys, xs], layers.texture[ys, xs], layers.shadow[ys, xs])
    rgb = 255 * np.clip(3 * vis[:, 2::-1], 0, 1) ** _GAMMA  # (N, 3) red, green, blue as render_optical tones it
    top = int(ids.max()) + 1
    out = {}
    for body in (mat != MAT["glass"], np.ones(len(ids), bool)):  # all its pixels where it is all windows
        n = np.bincount(ids[body], minlength=top)
        sums = np.stack([np.bincount(ids[body], rgb[body, c], minlength=top) for c in range(3)], -1)
        for o in coloured:
            if o.id in out or o.id >= top or not n[o.id]:
                continue
            palette = ROOF_COLOURS if o.cls == "building" else VEHICLE_COLOURS
            mean = sums[o.id] / n[o.id]
            near = min(palette, key=lambda c: float(np.sum((np.asarray(palette[c], np.float64) - mean) ** 2)))
            out[o.id] = o.colour if near == o.colour else ""
    return {o.id: out.get(o.id, "") for o in coloured}


def render_optical(layers: Layers, rng: np.random.Generator, refl: np.ndarray | None = None) -> np.ndarray:
    refl = reflectance(layers) if refl is None else refl
    rgb = np.stack([refl[2], refl[1], refl[0]], axis=-1)  # (H, W, 3) red, green, blue
    rgb = 255 * np.clip(3 * rgb, 0, 1) ** _GAMMA + 2.0 * _noise(rng, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def render_msi(layers: Layers, rng: np.random.Generator, refl: np.ndarray | None = None) -> np.ndarray:
    refl = reflectance(layers) if refl is None else refl
    refl = refl + _noise(rng, refl.shape) * (0.01 * refl + 0.002)  # (6, H, W)
    return np.clip(refl * 10000, 0, 65535).astype(np.uint16)


def render_sar(layers: Layers, rng: np.random.Generator, looks: int = 4) -> np.ndarray:
    mat, h = layers.material, layers.height
    vv = _SIGMA[mat] * (1 + 0.8 * _TEXTURE[mat] * layers.texture)  # (H, W)
    xpol = _XPOL[mat]
    # buildings, tanks and trucks have walls (tree crowns do not): 1.2 px tall or more at 128 px, the
    # heights scaling with the scene and objects (a fixed 1.2 px dropped some trucks at 96 px, buildings at 32)
    tall = min(1.2 * layers.scale, 1e38)  # within float32 (the heights'): object_scale may be huge
    walls = _WALLS[mat] & (h > tall)
    wall_ahead = shift(walls, 0, -1, False) & (h < tall * 0.5 / 1.2)  # ground just before a wall, seen from the left
    vv = np.where(wall_ahead, 4.0, vv)
    xpol = np.where(wall_ahead, 0.05, xpol)
    radar_shadow = np.zeros(h.shape, bool)
    reach = max(6, math.ceil(min(h.shape[1], 6 * max(layers.scale, h.shape[1] / 128))))  # heights scale: so does the shadow
    for k in _offsets(min(reach, math.ceil(float(h.max())))):  # incidence ~45 deg: height t shadows t px behind
        radar_shadow |= shift(h, 0, k) - k > h + 0.3
    vv = np.where(radar_shadow, vv * 0.08, vv)
    sigma = np.stack([vv, vv * xpol])  # (2, H, W)
    speckle = rng.standard_gamma(looks, sigma.shape, dtype=np.float32) / looks
    return np.sqrt(sigma * speckle + 1e-4).astype(np.float32)  # amplitude, as GRD products store it


def render_ir(layers: Layers, rng: np.random.Generator) -> np.ndarray:
    t = _TEMP[layers.material] + layers.warm * (layers.inst > 0) - 6.0 * layers.shadow
    t = t + 1.0 * smooth_noise(rng, *t.shape, 10) + 0.6 * _TEXTURE[layers.material] * layers.texture * 10
    t = _blur3(t) + 0.15 * _noise(rng, t.shape)  # thermal optics are softer than optical ones
    return np.clip(np.round(t * 100), 0, 65535).astype(np.uint16)


def _noise(rng: np.random.Generator, shape) -> np.ndarray:
    """Zero-mean unit-variance uniform noise (float32): sensor noise, cheaper than normal draws."""
    return (rng.random(shape, dtype=np.float32) - 0.5) * 3.4641016


def _blur3(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, 1, mode="edge")
    return (4 * a + p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]) / 8


def render_modality(layers: Layers, modality: str, rng: np.random.Generator, sar_looks: int = 4) -> np.ndarray:
    """One modality's image array (layout and dtype as in the module docstring)."""
    if modality == "optical":
        return render_optical(layers, rng)
    if modality == "msi":
        return render_msi(layers, rng)
    if modality == "sar":
        return render_sar(layers, rng, sar_looks)
    if modality == "ir":
        return render_ir(layers, rng)
    raise ValueError(f"unknown modality {modality!r} (optical, msi, sar, ir)")
