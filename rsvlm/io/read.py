"""Read remote-sensing images into ``RSImage``: bands, nodata, per-modality scaling, georeferencing.

    img = read_image("scene.tif")                                  # modality inferred, see img.notes
    img = read_image(["B02.jp2", "B03.jp2", "B04.jp2", "B08.jp2"])  # one msi image, 4 bands
    img = read_image("B02.jp2")                                    # one msi band (a Sentinel-2 name)
    with SceneReader("big.tif") as scene:                          # windowed, one stretch for all
        tile = scene.read((x0, y0, 512, 512))

Scaling (``ReadConfig``): optical/ir uint8 /255, other dtypes stretched between percentiles;
msi reflectance (uint16 DN / 10000; float values as they are, or as DN where their 98th
percentile passes 2); sar amplitude → dB → stretched to [0, 1], complex SAR (and an SLC's I and Q
parts stored as bands, ``iq.py``) by its amplitude. The stretch is
computed once per scene from a decimated read, so every window of a scene is scaled alike.
What GDAL or tifffile log about a damaged file while reading it ("TIFFReadDirectory: Bogus
StripByteCounts field", "invalid page offset") becomes one of the image's ``notes``; a TIFF neither
reads is an ``ImageReadError`` naming it, with both reasons. A multi-page TIFF whose pages are one
band each of one size and dtype (``tifffile.imwrite`` of a (C, H, W) array) reads its pages as its
bands; other pages (overviews, thumbnails, images that differ) are not bands (``tiff.py``).

Band files of different resolutions on one footprint are resampled onto the finest's grid (``regrid.py``).
The bands' names, given (``--bands``) or from the file, are ``naming.py``'s (a ``BandNaming`` the reader builds);
the calibration, nodata and stretch they are then read with, ``scene_scaling.py``'s (``resolve_scaling``).
Cannot: reproject band files in different CRSs or footprints onto a common grid, apply
radiometric calibration, or read windows of PNG/JPEG without decoding the whole file.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

import numpy as np

from rsvlm.io import fills as fl
from rsvlm.io import modality as md
from rsvlm.io import products as pr
from rsvlm.io import scaling as sc
from rsvlm.io.budget import SCALED_BYTES, check_fits, most_scaling_bytes, scaling_bytes
from rsvlm.io.checks import band_headers
from rsvlm.io.georef import (
    degree_pixels_note,
    gcp_orientation_note,
    orientation_note,
    scale_gcps,
    shift_gcps,
    shift_transform,
)
from rsvlm.io.image import RSImage, Window, as_paths, file_names, image_size, named_files
from rsvlm.io.iq import as_complex
from rsvlm.io.large import header_size, out_of_memory
from rsvlm.io.naming import BandNaming
from rsvlm.io.scene_scaling import both_valid, resolve_scaling
from rsvlm.io.shared_read import WHOLE_HELD, SharedRead
from rsvlm.io.sources import ImageReadError, library_messages, open_source, read_as_stored
from rsvlm.io.thermal import band_unit, celsius_reading

__all__ = ["RSImage", "SceneReader", "read_image", "read_window", "image_size", "ImageReadError"]


class SceneReader:
    """An open scene: resolves modality, bands and scaling once, then reads windows as ``RSImage``.
    ``bands``: the bands' names, a list or comma-separated (``"B02,B03,B04,B08"``). ``whole``: the
    caller reads the whole scene, so one that does not fit in memory is refused before its stretch, and one of at
    most ``WHOLE_HELD`` px a side is decoded once for its samples and that read (it had been 3 times). ``shrunk``: the
    caller reads it with ``read_shrunk(shrunk)``, so a larger scene is decoded once at that size and the stretch's
    and checks' samples are strides of it (``shared_read.py``: a GeoTIFF without overviews had been decoded 3 times).

    Keeps file handles open; use as a context manager. Peak memory of ``read(window)`` depends on
    the window, not the scene (for rasterio formats; see ``sources.py``).
    """

    def __init__(self, path, modality: str | None = None, bands: list[str] | str | None = None,
                 scaling: sc.ReadConfig | dict | None = None, png_checked: set | None = None, *, whole: bool = False,
                 shrunk: int | None = None):
        as_paths(path)  # none, an empty name, or a file twice: said as given
        # as given: a file named "a, b.png" is one file, which ``name`` cannot tell; an ENVI band set's headers not bands
        self.files, headers = band_headers(file_names(path))
        given, (self.files, headers) = self.files, pr.one_thermal_gain(self.files, headers)
        self._gain_left_out = [Path(f).name for f in given if f not in self.files]  # for a --bands count's error
        self.paths = named_files(self.files)  # a TIFF page's file (GTIFF_DIR:1:x.tif: x.tif), for its names
        self._whole = whole  # the caller reads the whole scene: refused before the stretch where it does not fit
        self.name = ", ".join(self.files)
        self.modality = modality = md.given_modality(modality, self.name)  # "SAR" as the CLI and records take it
        if isinstance(bands, str):  # "B02,B03,B04" as --bands writes it: was taken letter by letter
            bands = [b.strip() for b in bands.split(",")]
        if bands is not None and (empty := [i + 1 for i, b in enumerate(bands) if b is None or not str(b).strip()]):
            raise ValueError(f"{self.name}: band names {list(bands)}: number {', '.join(map(str, empty))} is empty")
        self.cfg = sc.as_config(scaling)  # a copy: resolving fills it in
        sc.check_config(self.cfg)
        with (library_messages(*self.paths) as heard,  # a damaged file's warnings become notes, not unnamed stderr lines
              out_of_memory(self.name, lambda: header_size(self.files[0]), shrunk=shrunk)):  # a PNG decoded whole
            self.src = open_source(self.files, self.cfg.gdal_cache_mb, png_checked)
            self.src.notes[:0] = headers
            try:
                self.src = as_complex(self.src, self.paths, self.cfg.sar_iq, modality, self.name)  # I/Q bands
                self._decimated = None  # the sample _resolve reads, once (``sample``)
                size = max(self.src.width, self.src.height)  # read whole (read_image): held once where small enough
                side = shrunk or (size if whole and size <= WHOLE_HELD else None)
                self._shared = SharedRead.of(self.src, side, True, self._held_scaling_bytes,  # no larger: held whole
                                             self._read_bands)
                self._read_as_stored = self._shared.sample if self._shared else partial(read_as_stored, self.src)
                self._resolve(modality, bands)
            except BaseException:
                self.src.close()
                raise
            finally:
                self._decimated = None  # (C, 1024, 1024) held no longer than the resolving
        self.notes += [n for n in heard if n not in self.notes]

    def _resolve(self, modality, bands):
        src, name = self.src, self.name
        self._check_whole(1, least=True)  # even one band: before the modality's samples (4 s of that sparse RGB)
        g = md.guess_modality(src, self.paths, modality, self.cfg.nodata, self._read_as_stored,
                              self._shared.leave_out if self._shared else None)  # QA, angle bands: not held
        self.notes = [*src.notes, *g.notes]
        self.inferred, self.landsat, self.s2_band = g.inferred, g.landsat, g.s2_band
        modality = g.modality
        if g.ir_kelvin and self.cfg.ir_kelvin is None:  # values in kelvin already
            self.cfg.ir_kelvin = g.ir_kelvin
        self.cfg.ir_kelvin, said = celsius_reading(g.ir_unit, self.cfg.ir_kelvin, self.cfg.ir_kelvin_range)
        self.notes += said  # °C: kelvin for an ir_kelvin_range, else said
        sc.check_dtype(modality, src.dtype, name)  # (a modality given is checked by ``md.given_modality``)
        self.modality = modality
        self.indexes, notes = md.plan(src, g, name, self.cfg.nodata, self._read_as_stored)
        self._left_out = [src.descriptions[i] or f"band {i + 1}" for i in range(src.count) if i not in self.indexes]
        if self._shared:  # a grey image's 3 identical bands: one held
            self._shared.leave_out(set(range(src.count)) - set(self.indexes))
        self.notes += notes
        if modality == "msi" and self.cfg.msi_band_scaling is not None and len(self.cfg.msi_band_scaling) != len(
                self.indexes):  # (msi alone: a config shared with RGB images scales none of them)
            raise ValueError(f"{name}: scaling.msi_band_scaling has {len(self.cfg.msi_band_scaling)} bands, image has "
                             f"{len(self.indexes)}: give one [gain, offset] a band read")
        self._check_whole(len(self.indexes))  # before the stretch's sample read (32 s of a sparse 100000 x 80000 RGB)
        mission = pr.mission_from_names(self.paths)  # (mission, numbering) the file names say, or None
        naming = BandNaming(src, self.indexes, modality, self.paths, name, self.landsat, self.s2_band, self.inferred,
                            self.unblended, self._left_out, self._gain_left_out)  # (its 4th band's 0/255 alpha)
        self.bands, notes = naming.names(bands, mission)
        self.notes += notes
        resolve_scaling(self, g, mission)  # calibration, fill, stretch (scene_scaling.py)
        self.notes += [note] if (note := orientation_note(src.transform)) else []  # south-up: upside down unsaid
        self.notes += [note] if (note := gcp_orientation_note(src.gcps, src.crs)) else []  # S1 GRD: mirrored unsaid
        self.notes += [note] if (note := degree_pixels_note(src.transform, src.crs, src.width, src.height)) else []  # EPSG:4326
        if src.crs is None and (src.transform is not None or src.gcps):  # a world file without its .prj
            self.notes.append("georeferenced without a CRS: answers get no map coordinates and no GeoJSON; give the "
                              "file one (gdal_edit.py -a_srs EPSG:xxxx, or a .prj beside its world file)")

    def sample(self, nodata):
        """The scene decimated to ``stats_max_side`` (raw (C, h, w), valid (h, w) or None), pixels that ``nodata``
        masks invalid (in every band; in any, band files' -9999: ``fills.held_pixels``): read once however many
        checks ask (a thermal file's declared kelvin, then its stretch, had decoded an 8000² file without overviews
        twice). Band files resampled on read give their values as stored (``read_stored``, nearest): bilinear, a
        fill lay blended along its edge."""
        read_with = self._decimated[0] if self._decimated else None
        if self._decimated is None or read_with is not None and nodata != read_with and not (
                nodata is not None and np.isnan(nodata) and np.isnan(read_with)):  # (no pixel to unmask)
            self._decimated = nodata, *self._read_as_stored(self.cfg.stats_max_side, self.indexes, nodata)
        read_with, raw, valid = self._decimated
        if nodata is None or read_with is not None:  # masked as asked already
            return raw, valid
        return raw, both_valid(valid, ~fl.held_pixels(self.src, raw, nodata))

    def unblended(self, nodata):
        """``sample`` for the checks of which values a band holds, read from full resolution where the file has
        overviews (``RasterioSource.read_unblended``; its first strip alone where every band holds a third value there,
        which settles them): ``gdaladdo -r average`` blends a mask's or an alpha's 0/255."""
        read = getattr(self.src, "read_unblended", lambda *_: None)  # (PIL, tifffile: no overviews)
        return read(self.cfg.stats_max_side, self.indexes, nodata) or self.sample(nodata)

    def band_labels(self) -> list[str]:
        """The bands' names for notes: with the file each is read from where band files are given one per band."""
        if len(self.paths) == len(self.bands) > 1:
            return [f"{b} ({p.name})" for b, p in zip(self.bands, self.paths)]
        return list(self.bands)

    def _fill_held(self, raw, whole: bool) -> list[str]:
        """A product's fill note (``fills.product_fill``) the scene did not say, for a read ``raw`` that holds it: a
        stretch was given (no sample to tell it from), or the sample passed over it (a strip thinner than its
        stride); a ``whole`` read's with the share it masks (``fills.unsaid_fill_note``), a window's as it is (one
        note for every window of a tiled run)."""
        if not self.fill_note or not (hold := fl.held_pixels(self.src, raw, self.nodata)).any():
            return []
        note, side = self.fill_note
        return [fl.unsaid_fill_note(note, hold, side) if whole else note]

    def _check_whole(self, bands: int, least: bool = False):
        """Where the caller reads the whole scene (``whole``): SceneTooLarge naming the file unless
        ``bands`` of its bands (``least``: the fewest it may read) fit in the memory free (``budget.check_fits``).
        ``least`` runs at open, before the modality is guessed from samples it must precede: it counts 12 bytes a
        value, the least scaling of any modality (``budget.scaling_bytes``); the check after ``plan`` counts its own."""
        if self._whole:
            w, h, dtype = self.src.width, self.src.height, self.src.dtype
            what = "the whole scene" + (" (even one band of it)" if least and self.src.count > 1 else "")
            with out_of_memory(self.name, lambda: (w, h, bands, dtype), what):
                try:
                    check_fits(w, h, bands, dtype, copies=0 if not least and self._held_whole() else 1,
                               scaled_bytes=SCALED_BYTES if least else self._scaling_bytes(),
                               available=None if least else self._free_with_hold())
                except MemoryError:  # a hold the read copies from (a grey band guessed optical): drop it, ask again
                    if least or not self._shared or self._shared.raw is None or self._held_whole():
                        raise
                    self._shared.release()
                    check_fits(w, h, bands, dtype, scaled_bytes=self._scaling_bytes())

    def _free_with_hold(self) -> int | None:
        """The memory free (``budget.available_bytes``) for the whole read, with the hold's bytes where the read
        copies its values from the hold, which it drops before scaling them (``SharedRead.shrunk``; a grey band read
        as optical, 3 bands of 1): a 2048² pan guessed optical at 42-43 bytes a pixel free had its hold dropped and
        was decoded again, twice (1.0-1.4 s; 0.6 s at 44), and ``read_shrunk`` (predict's) refused it there. None
        (``check_fits`` asks itself) otherwise."""
        s = self._shared
        if not s or not s.full or self._held_whole() or not s.serves(self.indexes):
            return None
        from rsvlm.io import budget  # (its available_bytes as called: a test's or a caller's limit)

        free = budget.available_bytes()
        return None if free is None else free + s.raw.nbytes

    def _held_whole(self) -> bool:
        """Whether the whole read's raw values are held already (``SharedRead.holds``): its memory check counts only
        their scaling, as the free memory counts them spent (a float32 read within 25 % of the limit was refused)."""
        return bool(self._shared and self._shared.full and self._shared.holds(self.indexes))

    def _scaling_bytes(self) -> int:
        """Bytes scaling a value takes beside the raw ones (``budget.scaling_bytes``, 12-25; before the guess: dtype's)."""
        return scaling_bytes(self.src.dtype, self.modality, self.cfg.ir_kelvin)

    def _read_bands(self, held: int) -> int:
        """The bands a read makes of the ``held`` (``SharedRead.made``): the plan's once made; before it, 3 of one
        band read as optical (given, or guessed before the first sample: a Landsat pan's name), else ``held``: a
        grey band whose guess may be sar or ir (the WorldView pan, optical by its values) is counted 1 band."""
        if getattr(self, "indexes", None) is not None:
            return len(self.indexes)
        return 3 if held == 1 and self.modality == "optical" else held

    def _held_scaling_bytes(self) -> int:
        """What the shared read's hold counts a value's scaling, asked at its first sample, maybe before the guess
        or calibration: the most they may make it (``budget.most_scaling_bytes``), so a scene is never held, then
        refused by the exact count after (a float32 scene held at 18 bytes a pixel, then guessed ir in kelvin: 19).
        Kelvin only where something may make it so: a Landsat name, float or signed values, a declared scale or unit
        (an unsigned pan or SAR band counted 15 was no longer held at 14-17 bytes a pixel: read from the file 7 times)."""
        if self.modality not in (None, "ir") or self.cfg.ir_kelvin is not None:
            return self._scaling_bytes()
        src, every = self.src, list(range(self.src.count))
        landsat = (pr.mission_from_names(self.paths) or ("",))[0].startswith("Landsat")
        kelvin = landsat or np.dtype(src.dtype).kind in "fi" or bool(sc.declared_scaling(src, every)) or any(
            band_unit(src, i) for i in every)
        return most_scaling_bytes(src.dtype, self.modality, planck=landsat and len(self.paths) == 1, kelvin=kelvin)

    @property
    def width(self) -> int:
        return self.src.width

    @property
    def height(self) -> int:
        return self.src.height

    @property
    def scaling(self) -> sc.ReadConfig:
        """The resolved config (stretch filled in): pass it on to scale other reads identically."""
        return dataclasses.replace(self.cfg)

    def read(self, window: Window | None = None, tiled: bool = False, share: bool = True) -> RSImage:
        """``window`` (x0, y0, w, h) of the scene, or all of it; ``tiled``: a window of a tiled run (``run_tiled``), whose
        whole read (its one window) is told to give a smaller ``--tile`` where much of it is nodata, not to read it tiled;
        ``share`` False: a whole read says no nodata share (``rows.RowReader``'s strip, cut into windows)."""
        W, H = self.width, self.height
        if window is None:
            window = (0, 0, W, H)
        x0, y0, w, h = (int(v) for v in window)
        if [x0, y0, w, h] != list(window):  # (0.5, 0, 4, 4) was read as (0, 0, 4, 4) unsaid
            raise ValueError(f"{self.name}: window {tuple(window)} (x0, y0, w, h) must be 4 whole pixel numbers")
        if w <= 0 or h <= 0 or x0 < 0 or y0 < 0 or x0 + w > W or y0 + h > H:  # a window 1 px past the edge
            why = ("is empty" if w <= 0 or h <= 0 else "starts before the image's first pixel" if x0 < 0 or y0 < 0
                   else f"reaches past its edge (x0 + w = {x0 + w}, y0 + h = {y0 + h}; at most {W}, {H})")
            raise ValueError(f"{self.name}: window {tuple(window)} (x0, y0, w, h) lies outside the {W}x{H} image: it "
                             f"{why}; a window lies wholly inside it (clip an edge tile's width and height)")
        whole = (x0, y0, w, h) == (0, 0, W, H)
        with library_messages(*self.paths) as heard, out_of_memory(self.name, lambda: (w, h, len(self.indexes), self.src.dtype),
                                                        "the whole scene" if whole else f"window {(x0, y0, w, h)}"):
            in_memory = whole and self._held_whole()  # its raw values: held already, not read again
            check_fits(w, h, len(self.indexes), self.src.dtype, copies=0 if in_memory else 1,  # before a kill
                       scaled_bytes=self._scaling_bytes(), available=self._free_with_hold() if whole else None)
            full = whole and self._shared and self._shared.full  # held: the very pixels, not decoded again
            raw, valid = (self._shared.shrunk if full else self.src.read)(max(W, H) if full else (x0, y0, w, h),
                                                                           self.indexes, self.nodata)
            held, (data, valid) = self._fill_held(raw, whole), self._scaled(raw, valid)  # (C, h, w)
        share = [note] if whole and share and (note := fl.nodata_share_note(valid, tiled)) else []  # a collar: black
        share = held + share
        return RSImage(
            data=data, modality=self.modality, bands=list(self.bands),
            path=self.name, files=list(self.files), valid=valid, crs=self.src.crs,
            transform=shift_transform(self.src.transform, x0, y0),
            gcps=shift_gcps(self.src.gcps, x0, y0), inferred_modality=self.inferred, notes=self._notes(heard) + share,
            window=None if whole else (x0, y0, w, h), scene_size=(W, H), stretch=self._stretch(),
        )

    def read_shrunk(self, max_side: int) -> RSImage:
        """The whole scene, read at most ``max_side`` pixels a side when it is larger (GDAL's
        overviews where the file has them), for a model that shrinks it to its input anyway; its
        ``transform``, ``gcps`` and ``scene_size`` stay the scene's, so answers decoded on
        ``scene_size`` (``inference.locate``) are in scene pixels. Cannot: give the model more
        detail than ``max_side`` pixels hold (``--tile`` reads windows at full resolution)."""
        W, H = self.width, self.height
        step = max(1.0, max(W, H) / max_side)  # read_decimated's: the read's size, for the advice
        shape, side = (max(1, round(W / step)), max(1, round(H / step)), len(self.indexes), self.src.dtype), max(W, H)
        if side <= max_side:
            with out_of_memory(self.name, lambda: shape, "the whole scene", shrunk=side):
                check_fits(*shape, copies=0 if self._held_whole() else 1,  # read whole below; advice: "or shrunk"
                           scaled_bytes=self._scaling_bytes(), available=self._free_with_hold())  # as read's
            return self.read()
        with library_messages(*self.paths) as heard, out_of_memory(self.name, lambda: shape, "the scene shrunk", shrunk=max_side):
            read = self._shared.shrunk if self._shared else self.src.read_decimated  # (the one read, given once)
            raw, valid = read(max_side, self.indexes, self.nodata)
            held, (data, valid) = self._fill_held(raw, True), self._scaled(raw, valid)  # (C, h, w)
        share = [*held, note] if (note := fl.nodata_share_note(valid, scene_size=(W, H))) else held  # a collar the model sees as black
        notes = [*self._notes(heard), *share, f"read shrunk from {W}x{H} to {data.shape[2]}x{data.shape[1]} px (the "
                 "model shrinks it further); shapes are given in the scene's pixels"]
        return RSImage(data=data, modality=self.modality, bands=list(self.bands), path=self.name,
                       files=list(self.files), valid=valid, crs=self.src.crs, transform=self.src.transform,
                       gcps=self.src.gcps, inferred_modality=self.inferred, notes=notes, scene_size=(W, H),
                       stretch=self._stretch())

    def read_overview(self, max_side: int) -> RSImage:
        """The whole scene shrunk to at most ``max_side`` pixels a side (GDAL's overviews where the
        file has them), scaled as every window is; its transform or GCPs are the shrunk grid's (a GCP-referenced
        one's had none, and no CRS: "not georeferenced") (for display: ``draw_overlay(..., object_scale=(overview.width
        / scene width, overview.height / scene height))``: each side is rounded on its own)."""
        with library_messages(*self.paths) as heard:
            data, valid = self._scaled(*self.src.read_decimated(max_side, self.indexes, self.nodata))  # (C, h, w)
        t = self.src.transform
        fx, fy = self.width / data.shape[2], self.height / data.shape[1]
        return RSImage(data=data, modality=self.modality, bands=list(self.bands), path=self.name,
                       files=list(self.files), valid=valid, crs=self.src.crs if t or self.src.gcps else None,
                       transform=(t[0] * fx, t[1] * fy, t[2], t[3] * fx, t[4] * fy, t[5]) if t else None,
                       gcps=scale_gcps(self.src.gcps, fx, fy), inferred_modality=self.inferred, notes=self._notes(heard),
                       scene_size=(self.width, self.height), stretch=self._stretch())

    def _stretch(self) -> list[list[float]] | None:
        """The stretch a read applies (``RSImage.stretch``), a copy per image."""
        return None if self.cfg.stretch is None else [[float(lo), float(hi)] for lo, hi in self.cfg.stretch]

    def _notes(self, heard: list[str]) -> list[str]:
        """The scene's notes and what the libraries said while reading one window (``library_messages``)."""
        return [*self.notes, *(n for n in heard if n not in self.notes)]

    def _scaled(self, raw, valid):
        """Raw band values (C, h, w) and their nodata mask → (scaled float32 data, valid or None)."""
        values, bad, _ = sc.to_physical(raw, self.modality, self.cfg)
        valid = both_valid(valid, None if bad is None else ~bad)
        data = sc.apply_stretch(values, self.cfg.stretch)  # (C, h, w) float32
        if valid is not None:
            data[:, ~valid] = 0.0
            if valid.all():
                valid = None
        return np.ascontiguousarray(data, dtype=np.float32), valid

    def close(self):
        if self._shared:
            self._shared.release()
        self.src.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_image(path, modality: str | None = None, bands: list[str] | str | None = None, window: Window | None = None,
               scaling: sc.ReadConfig | dict | None = None, png_checked: set | None = None) -> RSImage:
    """Read a file (or one file per band) as one ``RSImage``; ``window`` = (x0, y0, w, h) or whole image;
    ``bands`` the bands' names (a list, or ``"B02,B03,B04"``); ``scaling`` a ``ReadConfig`` or a dict of its fields.

    Raises FileNotFoundError (missing), ImageReadError (truncated/corrupt; a ValueError), ValueError
    (wrong band count, dtype or modality, band files on different grids) — each naming the file.
    ``png_checked``: PNGs found whole before, not checked again (``pngcheck.check_whole_png``; training's).
    """
    with SceneReader(path, modality, bands, scaling, png_checked, whole=window is None) as scene:
        return scene.read(window)


def read_window(path, window: Window, modality: str | None = None, bands: list[str] | None = None,
                scaling: sc.ReadConfig | dict | None = None) -> RSImage:
    """One window of a scene. Pass the ``scaling`` of a ``SceneReader`` to scale windows alike;
    without it, the stretch comes from the whole scene (a decimated read) on every call."""
    return read_image(path, modality, bands, window, scaling)
