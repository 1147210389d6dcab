"""The GDAL backend behind ``sources.open_source``: ``RasterioSource``, one rasterio dataset or several single-band
ones on one grid (band files, a TIFF's pages), read in windows or decimated, with its nodata, alpha and band names;
``open_raster``, rasterio's open as every reader here opens a file. ``sources.py`` re-exports them."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from rsvlm.io.aux_sidecar import sidecar_notes
from rsvlm.io.bandnames import band_name_from_file, same_band
from rsvlm.io.checks import (
    ImageReadError,
    damaged,
    gdal_message,
    gdal_path,
    mixed_types,
    not_readable,
    raw_cut_short,
)
from rsvlm.io.fills import FILL_VALUES, nodata_valid
from rsvlm.io.pil_source import exif_note, misnamed_notes, with_misnamed
from rsvlm.io.pngcheck import check_whole_png
from rsvlm.io.quality import mask_among_bands

# formats GDAL decodes whole, without raising at a cut (PNG and JPEG past PIL's pixel limit, with a
# world file, 16-bit colour): RasterioSource decodes them whole at each open to find a truncated file
WHOLE_DECODED = ("PNG", "JPEG", "GIF", "WEBP")


def open_raster(path, mode: str = "r", **kwargs):
    """``rasterio.open`` without its NotGeoreferencedWarning: a plain TIFF (no CRS, no transform) is
    a fine image here (``RSImage.georeferenced`` says whether there is a CRS), and the warning named
    no file. Read with ``GDAL_DISABLE_READDIR_ON_OPEN=TRUE`` (unless the user sets it, in the
    environment or a ``rasterio.Env`` around the call, which a bare check of ``os.environ`` had
    overridden): GDAL then asks for each sidecar by name (``.aux.xml``, ``.ovr``, a world file, an
    ENVI ``.hdr``) instead of listing the file's whole folder, which took seconds on a folder of
    thousands of files or a network drive, at every open. A GDAL archive path a ``Path`` folded is read as written
    (``gdal_path``: ``/vsizip//data/a.zip/…``)."""
    import warnings

    import rasterio
    from rasterio.env import get_gdal_config
    from rasterio.errors import NotGeoreferencedWarning

    readdir = {} if mode != "r" or get_gdal_config("GDAL_DISABLE_READDIR_ON_OPEN") is not None else {
        "GDAL_DISABLE_READDIR_ON_OPEN": "TRUE"}  # (GDAL's config falls back to the environment variable)
    with warnings.catch_warnings(), rasterio.Env(**readdir):
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(gdal_path(path) if mode == "r" and isinstance(path, (str, Path)) else path, mode, **kwargs)


def read_failed(name: str, err: BaseException) -> ImageReadError:
    """The error for a failed GDAL read of ``name``: a file it refers to that is missing (a VRT's, a band
    file's sidecar) is said so; it was 'file truncated or corrupt' of a whole VRT."""
    why = gdal_message(err)
    if "No such file or directory" in why:
        return ImageReadError(f"{name}: read failed: a file it refers to is missing ({why})")
    return damaged(with_misnamed(ImageReadError(f"{name}: read failed, file truncated or corrupt ({why})"), [name]))


def _one_fill(files: list, masked: list[bool], any_value: bool = False) -> float | None:
    """The one nodata value ``files`` (datasets; ``masked``: each masks pixels) declare, where some declare none: a
    fill value (``fills.FILL_VALUES``: no band holds it as data), or any number with ``any_value``; else None."""
    vals = {d.nodata for d, m in zip(files, masked) if m and d.nodata is not None}
    if len(vals) != 1 or all(d.nodata is not None for d in files) or np.isnan(fill := vals.pop()):
        return None
    return fill if any_value or fill in FILL_VALUES else None


def _nodata_said(ds, masked: bool) -> str:
    """A rasterio dataset's nodata as a note says it: its value, "an internal mask", or "none" (``masked`` False:
    a GDAL_NODATA tag that is no number, which GDAL reads as 0)."""
    if not masked:
        return "none"
    if ds.nodata is not None:
        return f"{ds.nodata:g}"
    return "an internal mask" if any(f.name != "all_valid" for fl in ds.mask_flag_enums for f in fl) else "none"


class RasterioSource:
    """One GDAL dataset, or several single-band datasets on one grid (bands in separate files, or a TIFF's
    pages of one band each: ``tiff.page_datasets``)."""

    def __init__(self, names: list[str], gdal_cache_mb: int = 64, png_checked: set | None = None):
        import rasterio
        from rasterio._err import CPLE_BaseError
        from rasterio.errors import RasterioIOError

        from rsvlm.io.tiff import first_page_note, page_datasets

        self._cache = gdal_cache_mb * 1024 * 1024
        self.paths, self.datasets, self.notes = list(names), [], []  # names as given, for messages
        self.fill_in_any_band = True  # a -9999 masks a pixel where any band holds it (``fills.masks_any_band``)
        # in an Env GDAL's messages go to rasterio's loggers (``library_messages``), not to stderr as
        # "ERROR 1: …", and an error GDAL met listing a damaged TIFF's pages is not raised later by
        # an unrelated call (colorinterp) as a CPLE_AppDefinedError naming no file
        with rasterio.Env(GDAL_CACHEMAX=self._cache):
            try:
                for p in names:  # as written, not as Path folds them
                    try:
                        self.datasets.append(open_raster(p))
                    except RasterioIOError as e:
                        raise not_readable(p, "not a readable raster, truncated or corrupt", gdal_message(e)) from e
                    if self.datasets[-1].driver in WHOLE_DECODED:
                        # GDAL 3.10 fills a truncated PNG's missing rows with zeros on a whole read, unsaid; the
                        # checksum raises where the file is cut. Its sequential decode also fills the block cache
                        # that this dataset's reads then use: skipping it on a file checked before (once per
                        # process) made each later open of a 4000x4000 PNG read whole take 1.7 s instead of 0.8 s.
                        # An open costs one decode while the image fits the cache (ReadConfig.gdal_cache_mb): read a
                        # scene through one open SceneReader (run_tiled takes one) rather than opening it again
                        try:
                            self.datasets[-1].checksum(1)
                        except (RasterioIOError, CPLE_BaseError) as e:
                            raise ImageReadError(f"{p}: read failed, file truncated or corrupt (GDAL could not decode "
                                                 f"all its rows: {gdal_message(e)})") from e
                    if self.datasets[-1].driver == "PNG":  # the checksum let a cut PNG through in one CI run (and
                        check_whole_png(p, png_checked)  # 14 of 90 opens of a short stream): the stream's count is sure
                        # (its inflate is about 40% of a 2048 px PNG's open, 0.19 of 0.47 s; a walk of the chunks'
                        # CRCs, ~1%, would miss a short stream under good CRCs the checksum passes: test_read_lead79)
                    if err := raw_cut_short(p, self.datasets[-1]):  # its missing rows were read as 0
                        raise err
                    if self.datasets[-1].count == 0:  # a NetCDF / HDF container: its rasters are subdatasets
                        subs = self.datasets[-1].subdatasets
                        raise ImageReadError(f"{p}: holds no raster of its own" + (
                            f" but {len(subs)} subdatasets; give one as the image, e.g. {', '.join(subs[:3])}"
                            if subs else ""))
                    if subs := self.datasets[-1].subdatasets:  # a multi-page TIFF: GDAL opens its first page
                        if len(names) == 1:  # its pages, one band each of one size and dtype, are its bands
                            pages, note = page_datasets(self.datasets[-1], subs)
                            self.datasets += pages
                            self.notes.append(note)
                        else:
                            self.notes.append(first_page_note(subs))
                self.notes += misnamed_notes([(Path(p), d.driver) for p, d in zip(names, self.datasets)])  # .jp2 TIFFs
                self._check_grid()
                try:
                    described = self._describe()
                except CPLE_BaseError:  # an error GDAL met listing a damaged TIFF's pages, raised by the next
                    described = self._describe()  # call that checks (colorinterp); already a note (library_messages)
                self.notes += described  # the failed try's notes are dropped with it, not said twice
                self.notes += sidecar_notes(self.datasets)  # a stray .aux.xml (aux_sidecar.py)
            except CPLE_BaseError as e:
                self.close()
                raise ImageReadError(f"{self.paths[0]}: not a readable raster, truncated or corrupt ({e})") from e
            except UnicodeDecodeError as e:  # rasterio decodes band names and tags as UTF-8 (a Latin-1 .aux.xml)
                self.close()
                raise ImageReadError(f"{self.paths[0]}: a band name or tag GDAL read for it is not UTF-8 ({e}); "
                                     "where a .aux.xml sidecar is beside it, save that as UTF-8 or remove it") from e
            except BaseException:
                self.close()
                raise

    def _describe(self) -> list[str]:
        """Size, dtype, georeferencing, band names and colours, nodata: the datasets' metadata; returns
        its notes (kept by the caller once the call succeeds: a retry would have said them twice)."""
        from rsvlm.io.bandnames import vrt_band_files
        from rsvlm.io.georef import prj_beside
        from rsvlm.io.tiff import gdal_nodata, tifffile_bands
        from rsvlm.io.tiff_layout import layout_note

        ds, notes = self.datasets[0], []
        notes += [n for f in dict.fromkeys(self._files()) if (n := layout_note(f))]  # SamplesPerPixel 4 edited to 3
        self.width, self.height = ds.width, ds.height
        self.count = sum(d.count for d in self.datasets)
        # GDAL's CInt16 (Sentinel-1 SLC) has no numpy dtype; rasterio reads it as complex64
        self.dtype = "complex64" if ds.dtypes[0] == "complex_int16" else ds.dtypes[0]
        self.crs = ds.crs.to_string() if ds.crs else None
        self.transform = None if ds.transform.is_identity else tuple(ds.transform)[:6]
        gcps, gcp_crs = ds.gcps
        self.gcps = list(gcps) if gcps and self.transform is None else None
        if self.gcps and self.crs is None and gcp_crs is not None:
            self.crs = gcp_crs.to_string()
        if self.crs is None and self.transform is not None and (prj := prj_beside(ds.files)):
            self.crs, said = prj  # a PNG's .pgw + .prj: GDAL reads the world file only
            notes.append(said)
        self.rpcs = self.transform is None and not self.gcps and ds.rpcs is not None  # a satellite L1 product (WorldView L1B)
        if self.rpcs:
            notes.append("georeferenced by RPCs (rational polynomial coefficients), which rsvlm does not use: "
                         "no map coordinates; orthorectify it first (gdalwarp -rpc -t_srs EPSG:…)")
        src = [getattr(d, "src_dataset", d) for d in self.datasets]  # a band file resampled on read: its file's word
        self.descriptions = [d for ds_ in src for d in ds_.descriptions]
        self.units = [u or None for ds_ in src for u in ds_.units]  # "K", "dB" where the file says
        if len(set(self._files())) == 1 and not any(self.descriptions):  # one file (its pages as bands too)
            named = tifffile_bands(ds.tags().get("TIFFTAG_IMAGEDESCRIPTION"), self.count)
            if named:
                self.descriptions = named
                notes.append(f"bands named {', '.join(named)} from the TIFF's JSON metadata")
        if ds.driver == "VRT" and len(src) == 1 and not any(self.descriptions) and (
                named := vrt_band_files(ds.name, self.count)):  # gdalbuildvrt -separate B02.tif …: was b1 … b4
            self.descriptions = named
            notes.append(f"bands named {', '.join(named)} from the VRT's source files, one a band")
        from rasterio.enums import ColorInterp

        from rsvlm.io.wavelengths import named_by_wavelength

        # (GDAL leaves an ENVI header's "wavelength units = Index" or "Unknown" out of each band's tags: the header's)
        unit = [{k: v for k, v in ds_.tags(ns="ENVI").items() if k == "wavelength_units"} for ds_ in src]
        self.descriptions, said = named_by_wavelength(  # an ENVI header's wavelengths: blue, nir …
            self.descriptions, [{**u, **ds_.tags(b + 1, "IMAGERY"), **ds_.tags(b + 1)}
                                for ds_, u in zip(src, unit) for b in range(ds_.count)])
        notes += said

        ci = [c for ds_ in src for c in ds_.colorinterp]
        if len(src) == 1 and ds.tags(ns="IMAGE_STRUCTURE").get("SOURCE_COLOR_SPACE") == "CMYK" and ci[3:] == [
                ColorInterp.alpha]:  # GDAL reads a CMYK TIFF as RGB + an opaque alpha the file has not: 3 bands
            ci, self.count, self.descriptions, self.units = ci[:3], 3, self.descriptions[:3], self.units[:3]
            notes.append("a CMYK TIFF: its cyan, magenta, yellow and black inks read as R, G, B (GDAL converts them)")
        inks = [ColorInterp.cyan, ColorInterp.magenta, ColorInterp.yellow, ColorInterp.black]
        self._ink_alpha = None  # the band of a CMYK file's alpha, whose 0s are nodata (GDAL's mask: all valid)
        extra = ci[4:]  # an alpha or an unspecified extra sample: it had read as 5-band msi b1 … b5
        self._inks = len(src) == 1 and ci[:4] == inks and np.dtype(self.dtype).kind == "u" and all(  # GDAL converts
            c in (ColorInterp.alpha, ColorInterp.undefined) for c in extra)  # 8-bit only
        if self._inks:  # a 16-bit CMYK TIFF had been read as 4-band msi b1 … b4 with a PlanetScope --bands hint
            ci, self.count = [ColorInterp.red, ColorInterp.green, ColorInterp.blue], 3
            self.descriptions, self.units = [None] * 3, [None] * 3
            self._ink_alpha = 4 + extra.index(ColorInterp.alpha) if ColorInterp.alpha in extra else None
            left = [f"band {5 + i} ({'alpha: its mask' if c == ColorInterp.alpha else 'an extra sample: no colour'})"
                    for i, c in enumerate(extra)]
            notes.append(f"a CMYK TIFF: its cyan, magenta, yellow and black inks read as R, G, B (converted as GDAL "
                         "converts 8-bit ones: (max − ink)(max − black) / max rounded down, max "
                         f"{np.iinfo(self.dtype).max})" + (f"; {', '.join(left)} not read as a band" if left else ""))
        self.alpha_index = ci.index(ColorInterp.alpha) if ColorInterp.alpha in ci else None
        k = self.alpha_index
        # a band file (one band a file, several files) is named by its file: B08.tif cut by gdal_translate -b 4 out of
        # an RGBN file keeps its alpha flag, and had been left out as the list's alpha (then refused: 1 band of msi)
        as_file = k is not None and len(src) == self.count > 1 and not self.descriptions[k]
        if k is not None and same_band(said := (band_name_from_file(Path(src[k].name)) if as_file
                                                else self.descriptions[k] or "")):
            # rasterio's and GDAL's default for a 4-band uint8 GeoTIFF flags the 4th alpha: an RGBN file's NIR,
            # described so, was dropped as transparency and the image read as optical
            notes.append(f"{Path(src[k].name).name} is flagged alpha but named {said}: read as {said}, no alpha "
                         "(a band cut out of a file whose 4th band GDAL flagged alpha keeps the flag)" if as_file else
                         f"band {k + 1} is flagged alpha but described {said}: read as {said}, "
                         "no alpha (GDAL flags a 4th uint8 band alpha unless told otherwise)")
            self.alpha_index, misflagged = None, True
        else:
            misflagged = False
        rgb = {ColorInterp.red: "R", ColorInterp.green: "G", ColorInterp.blue: "B"}
        self.colour_names = [rgb.get(c) for c in ci]  # "R"/"G"/"B" where the file says so, else None
        self._palette = None  # (256, 3) uint8: the colours of a paletted band's indices
        if ci == [ColorInterp.palette] and self.dtype == "uint8":  # colours as indices (as PIL's "P" mode)
            lut = np.zeros((256, 3), np.uint8)
            for k, rgba in ds.colormap(1).items():
                lut[k] = rgba[:3]
            self._palette, self.count, self.colour_names = lut, 3, ["R", "G", "B"]
            self.descriptions, self.units = [None] * 3, [None] * 3
            notes.append("palette colours expanded to R, G, B (the file holds colour indices)")
        self.paletted = self._palette is not None
        files = self._files()
        self._masked, said = gdal_nodata(files, src)  # "n/a" GDAL read as 0 masks nothing, said
        if misflagged and len(src) == 1 and ds.nodata is None and all(  # GDAL's mask is that band's: none (an
                {"alpha", "all_valid"} & {f.name for f in flags} for flags in ds.mask_flag_enums):  # internal one kept)
            self._masked = [False]
        elif misflagged and len(src) == self.count > 1 and src[k].nodata is None and {"alpha", "all_valid"} & {
                f.name for f in src[k].mask_flag_enums[0]}:  # a band file's, as one file's: its GDAL mask is none
            self._masked = [m and j != k for j, m in enumerate(self._masked)]
        # a band file of a list flagged alpha (named as no band): left out as the list's alpha, but its own GDAL mask is
        # all valid, so its 0s masked nothing (``_read``)
        self._list_alpha = self.alpha_index is not None and len(src) == self.count > 1 and self._palette is None
        self.declares_nodata = any(self._masked) or self._list_alpha or self._ink_alpha is not None  # a nodata value
        # or an internal mask in any file, or an alpha
        notes += said
        if len(set(files)) > 1 and len(set(said := [_nodata_said(d, m) for d, m in zip(
                src, self._masked)])) > 1:
            notes.append("band files declare different nodata (" + ", ".join(  # B02 0, B03 65535, B04 none: unsaid
                f"{Path(f).name} {x}" for f, x in zip(files, said)) + "): each masks its own band's, and a "
                "pixel masked in any band is nodata in all; a file that declares none masks nothing"
                + (f" but the {fill:g} the others declare (a fill no band holds as data)" if (fill := _one_fill(
                    src, self._masked)) is not None else ""))
        # an alpha band beside a declared nodata: GDAL's mask takes the nodata of every band, the alpha's too
        # (rasterio's unnamed NodataShadowWarning on stderr), so the alpha's 255 kept nodata pixels valid and its 0
        # masked nothing: both mask (``_read``)
        self._alpha_too = self.alpha_index is not None and len(src) == 1 and ds.nodata is not None and self._masked[0]
        if self._alpha_too:
            notes.append(f"{Path(files[0]).name} declares nodata {ds.nodata:g} and has an alpha band: a pixel is nodata "
                         "where either says so (GDAL's mask had let the one hide the other)")
        self.bilevel = any(d.tags(1, "IMAGE_STRUCTURE").get("NBITS") == "1" for d in src)  # a mask's 1 bit
        notes += exif_note(ds.tags().get("EXIF_Orientation"))  # a JPEG GDAL reads (too large for PIL, or named .tif)
        return notes

    def _files(self) -> list[str]:
        """The file of each dataset (a TIFF page's ``GTIFF_DIR:k:f.tif`` is ``f.tif``)."""
        return [d.files[0] if d.files else d.name for d in self.datasets]

    def _check_grid(self):
        from rsvlm.io.regrid import onto_finest

        first = self.datasets[0]
        masks = [said for p, d in zip(self.paths, self.datasets) if len(self.paths) > 1
                 and (said := mask_among_bands(Path(p), d.count, d.dtypes[0]))]
        if masks:  # a Planet UDM2 beside its scene had been told to cut out one band (or its scene, first, had)
            raise ImageReadError(masks[0])
        for p, d in zip(self.paths, self.datasets):
            if len(self.datasets) > 1 and d.count != 1:
                raise ValueError(f"{p}: has {d.count} bands; files given one per band must hold 1 band each: give it "
                                 f"alone, or one of its bands as a file of its own (gdal_translate -b 1 {p} "
                                 f"{Path(p).with_name(Path(p).stem + '_b1.tif')})")
            if d.dtypes[0] != first.dtypes[0]:
                raise ValueError(f"{p}: dtype {d.dtypes[0]} differs from {self.paths[0]} ({first.dtypes[0]}); band "
                                 "files given one per band must share one dtype, as they are read as one image: write "
                                 "them alike (float reflectance beside uint16 DN: one of them converted, scale and all)")
        self.band_files = len(self.datasets) > 1 and len(self.paths) == len(self.datasets)  # one file a band
        if self.band_files:  # (a page stack shares one grid)
            self.datasets, said = onto_finest(self.paths, self.datasets)  # coarser files read on the finest's grid
            self.notes += said

    def _band_map(self, indexes: list[int], datasets: list):
        """0-based global band indexes → [(dataset of ``datasets``, 1-based index)]."""
        flat = [(d, i + 1) for d in datasets for i in range(d.count)]
        return [flat[i] for i in indexes]

    def _read(self, indexes, nodata, window=None, out_shape=None, datasets=None):
        datasets = datasets or self.datasets  # (``read_stored``'s stand in for self.datasets, one for one)
        import warnings

        import rasterio
        from rasterio._err import CPLE_BaseError
        from rasterio.errors import NodataShadowWarning, RasterioIOError

        bands, valid, masked_done = [], None, set()
        with rasterio.Env(GDAL_CACHEMAX=self._cache):  # bounded block cache: peak memory independent of scene
            converted = self._palette is not None or self._inks  # one file's bands → R, G, B, whole
            if converted:
                try:
                    if self._palette is not None:  # one band of indices → the colours asked for
                        idx = self.datasets[0].read(1, window=window, out_shape=out_shape)  # (h, w)
                        rgb = np.moveaxis(self._palette[idx], -1, 0)  # (3, h, w)
                    else:  # C, M, Y, K → R, G, B as GDAL's 8-bit conversion: (max − ink)(max − K) // max
                        cmyk = self.datasets[0].read(window=window, out_shape=out_shape).astype(np.uint64)  # (4+, h, w)
                        top = np.uint64(np.iinfo(self.dtype).max)  # rounded down as libtiff's 8-bit (np.rint: 1 off)
                        rgb = ((top - cmyk[:3]) * (top - cmyk[3]) // top).astype(self.dtype)  # (3, h, w)
                        valid = None if self._ink_alpha is None else cmyk[self._ink_alpha] > 0  # (h, w)
                except (RasterioIOError, CPLE_BaseError) as e:
                    raise read_failed(self.paths[0], e) from e
                bands = list(rgb[indexes])  # (C, h, w)
                if self._masked[0]:
                    m = self.datasets[0].dataset_mask(window=window, out_shape=out_shape) > 0  # (h, w)
                    valid = m if valid is None else valid & m
            # a run of bands of one file in one read: band by band, a PNG's rows were decoded once per band
            runs = itertools.groupby(self._band_map(indexes, datasets) if not converted else [], key=lambda db: db[0])
            for d, run in runs:
                try:
                    run = [bi for _, bi in run]
                    if len({d.dtypes[bi - 1] for bi in run}) > 1:  # a VRT of mixed types (those left out may differ)
                        raise mixed_types(getattr(d, "src_dataset", d).name, d.dtypes)
                    bands.extend(d.read(run, window=window, out_shape=out_shape))  # (k, h, w)
                    j = datasets.index(d)
                    if self._masked[j] and j not in masked_done:
                        masked_done.add(j)
                        if self._alpha_too:  # the colour bands' nodata, and the alpha: GDAL's mask took the
                            # nodata of every band, the alpha's 255 too, so neither masked a pixel
                            colour = [k + 1 for k in range(d.count) if k != self.alpha_index]
                            with warnings.catch_warnings():  # said once, as a note naming the file
                                warnings.simplefilter("ignore", NodataShadowWarning)
                                m = (d.read_masks(colour, window=window, out_shape=out_shape) > 0).any(axis=0)
                            m &= d.read(self.alpha_index + 1, window=window, out_shape=out_shape) > 0  # (h, w)
                        else:
                            m = d.dataset_mask(window=window, out_shape=out_shape) > 0  # (h, w)
                        valid = m if valid is None else valid & m
                except (RasterioIOError, CPLE_BaseError) as e:
                    raise read_failed(getattr(d, "src_dataset", d).name, e) from e  # not 'WarpedVRT(B8A.tif)'
            if self._list_alpha:  # its 0s are the other bands' transparent pixels
                d = datasets[self.alpha_index]
                try:
                    m = d.read(1, window=window, out_shape=out_shape) > 0  # (h, w)
                except (RasterioIOError, CPLE_BaseError) as e:
                    raise read_failed(getattr(d, "src_dataset", d).name, e) from e
                valid = m if valid is None else valid & m
        raw = np.stack(bands)  # (C, h, w)
        return raw, nodata_valid(self, raw, valid, nodata)

    def read(self, window, indexes: list[int], nodata: float | None):
        from rasterio.windows import Window

        x0, y0, w, h = window
        return self._read(indexes, nodata, window=Window(x0, y0, w, h))

    def read_decimated(self, max_side: int, indexes: list[int], nodata: float | None, datasets=None, settled=None):
        """Whole scene at most ``max_side`` pixels a side (GDAL uses overviews where present). A multi-band
        GeoTIFF is read in strips of about 512 rows: whole, GDAL decompressed every block once per band
        where the blocks outgrow its cache (a 6000 px 4-band scene's read took 8 s, not 2); same pixels. So is a
        one-band one whose block row outgrows half the cache (a 6000 px float32 one with a 2 MiB cache: 7.6 s, not 0.7).
        ``datasets``: read instead of ``self.datasets`` (one for one; ``read_stored``'s). ``settled(raw, valid)``:
        read in strips, stopping at the first strip it is true of, which is returned alone (``read_unblended``)."""
        from rasterio.windows import Window

        step = max(1.0, max(self.width, self.height) / max_side)
        h, w = max(1, round(self.height / step)), max(1, round(self.width / step))
        if h == self.height or settled is None and not any(
                d.driver == "GTiff" and (d.count > 1 or d.width * d.block_shapes[0][0] * np.dtype(d.dtypes[0]).itemsize
                                         > self._cache / 2) for d in datasets or self.datasets):
            return self._read(indexes, nodata, out_shape=(h, w), datasets=datasets)
        ry, n = self.height / h, max(1, int(512 * h / self.height))  # source rows an output row; output rows a strip
        rx, m = self.width / w, self._chunk_columns(n * ry, w, datasets or self.datasets)  # output columns a chunk
        strips, cols = range(0, h, n), range(0, w, m)

        def chunk(j: int, i: int):  # (C, n, m), (n, m) or None: output rows j … j + n, columns i … i + m
            return self._read(indexes, nodata, out_shape=(min(h, j + n) - j, min(w, i + m) - i), datasets=datasets,
                              window=Window(i * rx, j * ry, (min(w, i + m) - i) * rx, (min(h, j + n) - j) * ry))

        if settled is not None:  # a strip's chunks in turn, the strip whole (C, n, w) before the next
            parts = []
            for j in strips:
                parts.append(_joined([chunk(j, i) for i in cols], axis=-1))
                if settled(*parts[-1]):
                    return parts[-1]
            return _joined(parts, axis=-2)
        read = {(j, i): chunk(j, i) for i in cols for j in strips}  # a chunk's strips in turn: the block row two
        # strips share stays cached
        return _joined([_joined([read[j, i] for i in cols], axis=-1) for j in strips], axis=-2)  # (C, h, w), (h, w)

    def _chunk_columns(self, rows: float, w: int, datasets) -> int:
        """Output columns of a strip read at once (``read_decimated``): as many as keep the blocks under them (the
        strip's ``rows`` and a block row either side, every band of the files) within half GDAL's block cache. Across
        the whole width, a 20000 px 4-band deflate GeoTIFF's strip held 80 MiB of blocks over the 64 MiB cache, and
        each output row decompressed them all again: 30 s a strip, 20 min to open the scene; 0.2 s chunked. A striped
        file's blocks span the width: no chunk is narrower (its output columns one a read: 82000 reads of a 20000 px one)."""
        bw = max(d.block_shapes[0][1] for d in datasets)
        if bw >= self.width:  # a strip, a PNG's row: each read of a chunk decodes the whole width again
            return w
        per_col = sum(d.count * np.dtype(d.dtypes[0]).itemsize * (rows + 2 * d.block_shapes[0][0]) for d in datasets)
        cols = self._cache / 2 / per_col - bw  # source columns
        return max(1, min(w, int(cols * w / self.width)))

    def read_unblended(self, max_side: int, indexes: list[int], nodata: float | None):
        """(raw (C, h, w), valid) for the checks of which values a band holds, from full resolution, not overviews
        (``unblended.read_unblended``); None where no file read has overviews."""
        from rsvlm.io.unblended import read_unblended

        return read_unblended(self, max_side, indexes, nodata)

    def declared_fill(self) -> float | None:
        """The nodata value that band files given one per band declare, where those that declare one all declare the
        same number (not NaN) and some declare none; else None. For the files that declare none: a -9999 masks
        their pixels too (``fills.FILL_VALUES``, the reader), any such value is left out of their resampling."""
        return _one_fill([getattr(d, "src_dataset", d) for d in self.datasets], self._masked, True) \
            if self.band_files else None

    def read_stored(self, max_side: int, indexes: list[int], nodata: float | None):
        """``read_decimated`` with band files resampled on read (``regrid.onto_finest``) taken by nearest neighbour
        (``regrid.as_stored``): each value one its file holds, for the reader's checks and stretch. Read bilinear, a
        20 m band's undeclared -9999 or 65535 fill lay between fill and data along its edge, and was not found."""
        from rsvlm.io.regrid import as_stored

        stored = as_stored(self.datasets)
        try:
            return self.read_decimated(max_side, indexes, nodata, stored)
        finally:
            for d, s in zip(self.datasets, stored):
                if s is not d:
                    s.close()

    def resample_fill(self, nodata: float) -> list[str]:
        """Band files resampled onto the finest's grid (``regrid.onto_finest``) that declare no nodata read with
        ``nodata`` left out of the bilinear weights: the fill the reader takes (found: Sentinel-2's or Landsat's
        undeclared DN 0, an undeclared -9999; given; the one the other files declare; NaN in float files, the
        reader's ``_fill_out_of_resampling``); the names of the files that were."""
        from rsvlm.io.regrid import with_fill

        self.datasets, before = with_fill(self.datasets, nodata), self.datasets
        return [Path(p).name for p, a, b in zip(self.paths, before, self.datasets) if a is not b]

    def close(self):
        for d in self.datasets:
            d.close()
            if (f := getattr(d, "src_dataset", None)) is not None:  # the file behind a resampled band's VRT
                f.close()
        self.datasets = []


def _joined(parts, axis: int):
    """(raw (C, h, w), valid (h, w) or None) reads joined along ``axis`` (-1 columns, -2 rows)."""
    valid = None if parts[0][1] is None else np.concatenate([v for _, v in parts], axis=axis)
    return np.concatenate([r for r, _ in parts], axis=axis), valid
