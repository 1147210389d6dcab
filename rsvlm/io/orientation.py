"""Notes on how a georeferenced image lies on the map, which the reader adds to ``RSImage.notes``: not north-up
(an affine transform rotated, mirrored or south-up: ``orientation_note``; ground control points, through an affine
fitted to them: ``gcp_orientation_note``) or with pixels far from square on the ground (longitude and latitude
away from the equator: ``degree_pixels_note``). Cannot: tell the orientation of a swath the GCPs bend (an affine is
fitted to them), or of one centred on a pole.
"""

from __future__ import annotations

import numpy as np

__all__ = ["orientation_note", "gcp_orientation_note", "degree_pixels_note", "geographic", "NOT_NORTH_UP",
           "GCPS_DIFFER", "GCPS_UNCHECKED", "GUESS_ARC"]

# GCPs with no CRS are taken as longitude and latitude only within this many degrees of arc of their centre: a
# satellite granule's are (Sentinel-1's some 2°, MODIS's 5-minute swath some 15°, VIIRS's some 20°)
GUESS_ARC = 30.0
NOT_NORTH_UP = "the image is not north-up: "  # orientation_note's opening, which overlays look for (output_options)
# gcp_orientation_note's words where it cannot tell the orientation, which overlays look for too (output_options)
GCPS_DIFFER = "read as longitude and latitude or as a local grid (in metres) they differ"
GCPS_UNCHECKED = "fit an orientation to: not checked that its top is north"


def orientation_note(t, what: str = "transform") -> str | None:
    """A note where an affine transform ``t`` (a, b, c, d, e, f) does not put north up: its rows run south to north
    (e > 0: the image is upside down on a map), it is mirrored, or rotated; the model reads the pixels as they lie,
    so 'top' and 'left' in its answers are not north and west. None for a north-up transform, or one rotated less
    than 1° (rotation terms of 1e-14, a writer's rounding, were "rotated -5.73e-14°"). ``what`` names ``t``."""
    said = _turned(t, what)
    return None if said is None else (
        f"{NOT_NORTH_UP}{said}; its pixels are read as they lie, so top and left in answers are not "
        "north and west (map coordinates are right)")


def degree_pixels_note(t, crs, width: int, height: int) -> str | None:
    """A note where a north-up image in longitude and latitude (EPSG:4326, an Earth Engine export's default) has pixels
    of unlike ground width and height (equal degrees are narrower east-west away from the equator: at 60° half as
    wide), so its shapes are stretched as the model sees them; None within 10 %, or for any other image."""
    if t is None or crs is None or t[1] or t[3] or not geographic(crs):
        return None
    a, e, f = abs(float(t[0])), abs(float(t[4])), float(t[5])
    lat = f + float(t[4]) * height / 2  # the image's middle row
    if not -90 <= min(f, f + float(t[4]) * height) <= max(f, f + float(t[4]) * height) <= 90:
        return None  # no latitudes: a CRS declared wrong (UTM metres labelled EPSG:4326) had said "latitude 6.65e+06°"
    wide, tall = a * 111320 * np.cos(np.radians(lat)), e * 110574  # metres a pixel, about
    if not wide > 0 or (r := max(wide, tall) / min(wide, tall)) < 1.1:
        return None
    zone = int((float(t[2]) + float(t[0]) * width / 2 + 180) // 6) % 60 + 1  # the middle column's UTM zone
    # UTM reaches 84°N and 80°S; nearer the poles, the Universal Polar Stereographic (had said a UTM zone there)
    srs = 32661 if lat > 84 else 32761 if lat < -80 else 32600 + zone if lat >= 0 else 32700 + zone
    times = f"{r:.2g}" if r < 100 else f"{r:.0f}"  # 2.1×, 12×, 379× (not 3.8e+02×, near a pole)
    return (f"pixels of {a:g}° × {e:g}° at latitude {lat:.3g}° are about {wide:.3g} m wide and {tall:.3g} m tall "
            f"on the ground: shapes look {times}× "
            f"{'wider (east-west)' if tall > wide else 'taller (north-south)'} than they are; for true shapes warp it "
            f"to metres (gdalwarp -t_srs EPSG:{srs} -r bilinear)")


def _turned(t, what: str) -> str | None:
    """How the affine ``t`` turns the image (``orientation_note``'s words), None where it is north-up."""
    if t is None:
        return None
    a, b, _, d, e, _ = (float(v) for v in t[:6])
    angle = float(np.degrees(np.arctan2(d, a)))  # the pixel x axis against map east
    flip = a * e - b * d > 0  # one axis reversed: south-up (e > 0) or east-to-west rows
    if not flip and abs(angle) < 1:
        return None
    how = ("its rows run south to north (upside down on a map)" if b == 0 and d == 0 and a > 0 and e > 0 else
           "mirrored (one axis reversed)" if flip else f"rotated {angle:.3g}°")
    # where its top and right face: "mirrored" alone hid that the SpaceNet-6 tile's top is east, its right north
    top, right = _facing(-b, -e), _facing(a, d)
    return f"{how}, its top facing {top} and its right {right} ({what} {a:g}, {b:g}, {d:g}, {e:g})"


def gcp_orientation_note(gcps, crs) -> str | None:
    """``orientation_note`` for an image georeferenced by ground control points only (Sentinel-1 GRD, in radar
    geometry: a descending pass lies mirrored, its right facing west), by the affine least-squares fitted to them.
    In a geographic CRS (``crs``, or its string) the GCPs are first put on the plane touching the sphere at their
    centre (east and north there, in degrees of arc: ``_east_north``), as longitude and latitude fitted as they are
    read a scene across the antimeridian (179.9° beside -179.9°) as mirrored, and one near a pole any way round.
    GCPs with no CRS whose x and y lie within ±180 and ±90, and within ``GUESS_ARC`` degrees of arc of their centre,
    are taken as longitude and latitude, and the note says so.
    Where no affine can be fitted (under 3 GCPs, all on one line, or centred on a pole) the note says the
    orientation was not checked. None where north-up."""
    if not gcps:
        return None
    unchecked = (f"georeferenced by {len(gcps)} GCP{'s' if len(gcps) > 1 else ''}, too few or all on one line to "
                 + GCPS_UNCHECKED)
    pix = np.array([[g.col, g.row] for g in gcps], dtype=np.float64)  # (n, 2)
    if len(gcps) < 3 or np.linalg.matrix_rank(pix - pix.mean(axis=0), tol=1e-6) < 2:
        return unchecked
    xy = np.array([[g.x, g.y] for g in gcps], dtype=np.float64)  # (n, 2) map x, y
    # GCPs with no CRS (read.py says it) within longitude and latitude's ranges: degrees, as GDAL's writers mean
    # them; fitted raw, a scene across the antimeridian was mirrored and one at 70° N rotated by the wrong angle
    # and within GUESS_ARC of their centre (a MODIS granule's corners lie some 15° from it): a local grid in metres
    # (0-80 m) spans more, and put on the tangent plane as degrees it was rotated wrongly, a whole-Earth grid mirrored
    guessed = crs is None and bool((np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
                                   and _arc_radius(xy) <= GUESS_ARC)
    if guessed or crs is not None and geographic(crs):
        xy = _east_north(xy)
        if xy is None:
            return unchecked
    fit = _affine(pix, xy)
    if fit is None:
        return unchecked
    taken = " (with no CRS, taken as longitude and latitude)" if guessed else ""
    note = orientation_note(fit, f"an affine fitted to its {len(gcps)} GCPs{taken}:")
    # a local grid in metres within GUESS_ARC of its centre (a survey's 0-30 m) reads as degrees too: where the two
    # readings differ (a grid at y 80-90 turned 30° is 55° as degrees there), both are said, not a guess
    own = np.array([[g.x, g.y] for g in gcps], dtype=np.float64)  # (n, 2) as written
    raw = _affine(pix, own) if guessed else None
    if raw is None or _alike(raw, fit) or not _fits_well(pix, own, raw):
        return note
    what = f"an affine fitted to its {len(gcps)} GCPs"
    deg, local = _turned(fit, f"{what} on the tangent plane:"), _turned(raw, f"{what} as they are:")
    return (f"its {len(gcps)} GCPs have no CRS, and {GCPS_DIFFER}: as longitude and latitude the image is "
            f"{f'not north-up: {deg}' if deg else 'north-up'}; "
            f"as a local grid {f'not north-up: {local}' if local else 'north-up'}; its pixels are read as they lie, "
            "so top and left in answers may not be north and west; give the GCPs' CRS to say which (gdal_edit.py "
            "-a_srs EPSG:4326 where they are longitude and latitude)")


def _affine(pix: np.ndarray, xy: np.ndarray) -> tuple | None:
    """(a, b, c, d, e, f) least-squares fitted to pixel (col, row) ``pix`` (n, 2) → map ``xy`` (n, 2); None where
    it is degenerate."""
    design = np.column_stack([pix, np.ones(len(pix))])  # (n, 3): x = a col + b row + c, y = d col + e row + f
    (a, d), (b, e), (c, f) = np.linalg.lstsq(design, xy, rcond=None)[0]
    if not np.isfinite([a, b, d, e]).all() or abs(a * e - b * d) == 0:
        return None
    return a, b, c, d, e, f


def _alike(t, u) -> bool:
    """Whether affines ``t`` and ``u`` turn the pixel axes the same way on the map, within 1° each (what
    ``orientation_note`` tells: a 30° turn read as 55° is not alike)."""
    def turns(v):  # the map directions (degrees) of the pixel x and y axes
        a, b, _, d, e, _ = v
        return np.degrees([np.arctan2(d, a), np.arctan2(e, b)])

    return bool((np.abs((turns(t) - turns(u) + 180) % 360 - 180) < 1).all())


def _fits_well(pix: np.ndarray, xy: np.ndarray, t, tol: float = 0.01) -> bool:
    """Whether the affine ``t`` puts every GCP within ``tol`` of their extent of its place: a local grid's would
    (across the antimeridian, 179.9 beside -179.9, raw numbers fit none)."""
    a, b, c, d, e, f = t
    got = np.column_stack([a * pix[:, 0] + b * pix[:, 1] + c, d * pix[:, 0] + e * pix[:, 1] + f])  # (n, 2)
    return float(np.abs(got - xy).max()) <= tol * max(float(np.ptp(xy, axis=0).max()), 1e-300)


def _unit_vectors(lonlat: np.ndarray) -> np.ndarray:
    """Longitudes and latitudes (n, 2), degrees → (n, 3) unit vectors from the Earth's centre."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _arc_radius(lonlat: np.ndarray) -> float:
    """Degrees of arc from the points' centre (longitudes and latitudes (n, 2)) to the farthest; 180 where the
    centre is the Earth's (points all round it)."""
    v = _unit_vectors(lonlat)
    centre = v.mean(axis=0)
    if np.linalg.norm(centre) < 1e-9:
        return 180.0
    return float(np.degrees(np.arccos(np.clip(v @ (centre / np.linalg.norm(centre)), -1, 1))).max())


def _east_north(lonlat: np.ndarray) -> np.ndarray | None:
    """Longitudes and latitudes (n, 2), degrees → (n, 2) east and north, degrees of arc, on the plane touching the
    sphere at the points' centre; None where that centre is a pole (no east there)."""
    v = _unit_vectors(lonlat)  # (n, 3)
    centre = v.mean(axis=0)
    east = np.cross([0.0, 0.0, 1.0], centre)
    if np.linalg.norm(east) < 1e-9 * max(np.linalg.norm(centre), 1e-300):
        return None
    east /= np.linalg.norm(east)
    north = np.cross(centre / np.linalg.norm(centre), east)
    return np.degrees(np.column_stack([v @ east, v @ north]))


def geographic(crs) -> bool:
    """Whether ``crs`` (a rasterio CRS or its string, as sources keep it) is in degrees of longitude and latitude."""
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        return CRS.from_user_input(crs).is_geographic
    except CRSError:  # a CRS GDAL cannot parse: its axes unknown, taken as equal (no cos(latitude))
        return False


def _facing(dx: float, dy: float) -> str:
    """The compass direction of a map vector (east ``dx``, north ``dy``): "east", or "north-east (41°)" between."""
    bearing = float(np.degrees(np.arctan2(dx, dy))) % 360  # clockwise from north
    names = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")
    k = round(bearing / 45) % 8
    return names[k] if abs((bearing - 45 * k + 180) % 360 - 180) < 1 else f"{names[k]} ({bearing:.0f}°)"
