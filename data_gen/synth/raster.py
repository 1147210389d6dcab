"""Vectorised rasterisation of convex polygons and discs onto small windows of a pixel grid.

Pixel (row i, col j) covers [j, j+1) x [i, i+1); it belongs to a shape when its centre
(j + 0.5, i + 0.5) lies inside. Shapes must be convex (compose non-convex objects from parts).
"""

from __future__ import annotations

import math

import numpy as np

Window = tuple[slice, slice, np.ndarray]  # (rows, cols, bool mask of the window)


def _window(x_min: float, y_min: float, x_max: float, y_max: float, h: int, w: int):
    x0, y0 = max(0, math.floor(x_min)), max(0, math.floor(y_min))
    x1, y1 = min(w, math.ceil(x_max)), min(h, math.ceil(y_max))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def fill_convex(poly: np.ndarray, h: int, w: int) -> Window | None:
    """Window mask of a convex polygon ``poly`` (N, 2) in pixel (x, y); None when off-image."""
    win = _window(poly[:, 0].min(), poly[:, 1].min(), poly[:, 0].max(), poly[:, 1].max(), h, w)
    if win is None:
        return None
    x0, y0, x1, y1 = win
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5  # (w',)
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5  # (h', 1)
    p = poly.astype(np.float32)
    q = np.roll(p, -1, axis=0)
    area2 = float(np.sum(p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]))
    sign = 1.0 if area2 >= 0 else -1.0
    inside = np.ones((y1 - y0, x1 - x0), dtype=bool)
    for (ax, ay), (bx, by) in zip(p, q):
        # cross((b - a), (pt - a)) >= 0 for every edge of a positively oriented polygon
        inside &= sign * ((bx - ax) * (ys - ay) - (by - ay) * (xs - ax)) >= 0
    return slice(y0, y1), slice(x0, x1), inside


def fill_disc(cx: float, cy: float, r: float, h: int, w: int) -> Window | None:
    win = _window(cx - r, cy - r, cx + r, cy + r, h, w)
    if win is None:
        return None
    x0, y0, x1, y1 = win
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5 - cx
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
    return slice(y0, y1), slice(x0, x1), xs * xs + ys * ys <= r * r


def rect_corners(cx: float, cy: float, length: float, width: float, angle_deg: float) -> np.ndarray:
    """(4, 2) corners of a rotated rectangle; ``angle`` turns the length axis from +x towards +y."""
    a = math.radians(angle_deg)
    d = np.array([math.cos(a), math.sin(a)]) * (length / 2)
    n = np.array([-math.sin(a), math.cos(a)]) * (width / 2)
    c = np.array([cx, cy])
    return np.stack([c - d - n, c + d - n, c + d + n, c - d + n])


def pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates ``xx, yy`` (H, W) as float32."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    return xx, yy


def rotated_coords(xx: np.ndarray, yy: np.ndarray, cx: float, cy: float, angle_deg: float):
    """(u, v) of every pixel in a frame centred on (cx, cy) whose u axis points along ``angle``."""
    a = math.radians(angle_deg)
    dx, dy = xx - cx, yy - cy
    return dx * math.cos(a) + dy * math.sin(a), -dx * math.sin(a) + dy * math.cos(a)


def smooth_noise(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    """Value noise in about [-1, 1] (H, W), bilinearly interpolated from a grid of ``cell`` px."""
    gh, gw = int(h / cell) + 2, int(w / cell) + 2
    g = rng.uniform(-1, 1, size=(gh, gw)).astype(np.float32)
    ys = (np.arange(h, dtype=np.float32) + 0.5) / cell
    xs = (np.arange(w, dtype=np.float32) + 0.5) / cell
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)  # smoothstep
    a, b = g[y0][:, x0], g[y0][:, x0 + 1]
    c, d = g[y0 + 1][:, x0], g[y0 + 1][:, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def shift(a: np.ndarray, dy: int, dx: int, fill: float = 0.0) -> np.ndarray:
    """``out[y, x] = a[y - dy, x - dx]`` with ``fill`` where that falls outside."""
    out = np.full_like(a, fill)
    h, w = a.shape
    if abs(dy) >= h or abs(dx) >= w:
        return out
    ys_dst = slice(max(dy, 0), h + min(dy, 0))
    xs_dst = slice(max(dx, 0), w + min(dx, 0))
    ys_src = slice(max(-dy, 0), h + min(-dy, 0))
    xs_src = slice(max(-dx, 0), w + min(-dx, 0))
    out[ys_dst, xs_dst] = a[ys_src, xs_src]
    return out
