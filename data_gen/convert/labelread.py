"""Reading a ``masks`` or ``levir-cd`` label file to its array: which pixels are no class and why.

``read_label`` reads a label PNG / JPEG / GeoTIFF as a palette's colours or grey levels, or as a binary mask;
its helpers say what is no class (a transparent pixel, an alpha band, a GeoTIFF nodata, a collar of it), how an
indexed label's colour table is read (``_indexed_grey``, ``_colormap``) and when a grey palette's label is in fact
a colour one (``_one_grey``). ``read_binary_label`` is ``masks --binary``'s and ``levir-cd``'s reader: the array
as read, its mask and its void (``data_gen.convert.binmask``).
"""

from __future__ import annotations

from pathlib import Path

from data_gen.convert.binmask import lossy_file, mask_and_void
from data_gen.convert.common import ConversionError, Output
from data_gen.convert.images import open_raster


def _collar(none) -> bool:
    """Whether the pixels ``none`` (H, W) bool, a label's nodata, are a collar: each patch of them touches the border
    (a footprint's outside), none an island inside, as a 0/255 mask's objects are."""
    import numpy as np
    from scipy import ndimage

    patches, n = ndimage.label(none)  # (H, W) int, 0 outside
    on_border = set(np.unique(np.concatenate([patches[0], patches[-1], patches[:, 0], patches[:, -1]])).tolist())
    return n > 0 and len(on_border - {0}) == n


def read_label(path: Path, rgb: bool, grey_levels: bool = False, out: Output | None = None,
               voids: list | None = None, nodata_at: list | None = None, levels: set | None = None):
    """Label array (H, W) or (H, W, 3); raises ConversionError naming the file. ``grey_levels``:
    its values are class codes (a grey-level palette), so a label whose colour bands differ is an
    error (a GeoTIFF's first band, or PIL's luminance of an RGB label, was taken for the codes, and
    every colour came out as an unknown grey level). A binary label's (neither ``rgb`` nor ``grey_levels``)
    GeoTIFF nodata pixels (a colour one's, where every band is it) are 0, no class, counted in ``out``'s notes as
    ``label_pixels_nodata`` (a 0/1 mask's 65535 was taken as the class, its 1s lost), and appended as (H, W) bool to
    ``voids`` where given
    (``read_binary_label``'s void). A binary label's colour table (an
    indexed PNG's palette, a GeoTIFF's colormap) is read by its greys where black is at an index other than 0
    (``_indexed_grey``); under an [r, g, b] palette (``rgb``) a one-band GeoTIFF's colormap gives its colours, as an
    indexed PNG's palette does (it was read (1, 1, 1), every class unknown), a grey palette its indices; an indexed
    PNG's transparent index (tRNS), as an alpha channel's 0, is no class, and so is a GeoTIFF colour-table entry's
    (an .aux.xml's): such a binary label is read by its colours' greys under that alpha (``_by_alpha``). A palette's
    label (``rgb`` or ``grey_levels``) is read by its colours, its transparent pixels (alpha 0: an alpha channel or
    band, a transparent index or GeoTIFF colour-table entry, ``_see_through``) and those under a GDAL mask band each appended as (H, W) bool to ``voids`` where
    given and any are (no class: their colour is none drawn, ``run``, nor checked by ``_one_grey``), an alpha band
    left out of its colour bands, and its GeoTIFF nodata other than 0 appended to ``nodata_at`` as (value, (H, W)
    bool) where given and any pixel is it (read by a colormap: the value's [r, g, b] colour). A 16-bit colour PNG
    (``_deep_png``; PIL reads its high byte) is read
    through GDAL at 16 bits, a palette's 8-bit one widened to 16 as its 8-bit values (``_eight_bit``), as is a 16-bit
    grey PNG (PIL reads it at 16 bits), unless ``levels`` (a grey palette's values, its classes' and ``_ignore``'s)
    name its pixels as read, as many as in 8 bits (codes 256 and 512 are no widened 1 and 2, a stray 768 or not)."""
    import numpy as np

    if path.is_file() and path.stat().st_size == 0:  # was PIL's "cannot identify image file"
        raise ConversionError(f"{path}: cannot read label (empty file, 0 bytes)")
    try:
        if deep := _deep_png(path):
            from rsvlm.io.pngcheck import check_png_data

            check_png_data(path)  # GDAL reads its bands at 16 bits (PIL's RGB kept the high byte: a 0/1 mask read 0)
        if path.suffix.lower() in (".tif", ".tiff") or deep:
            with open_raster(path) as ds:
                a, nodata = ds.read(), ds.nodata  # (bands, h, w)
                table = _colormap(ds) if ds.count == 1 else None  # (colours (N, 3), alpha (N,)) or None
                colormap = table[0] if table is not None and (rgb or not grey_levels) else None
                alpha = [i for i, c in enumerate(ds.colorinterp) if c.name == "alpha"]
                masked = _mask_band(ds)  # (h, w) a GDAL mask band's, 0 where masked out (beside an alpha band too)
            if deep and (rgb or grey_levels):
                a = _eight_bit(a, alpha, out, levels)
            clear = opacity = dead = None  # clear: (h, w) bool, a palette label's no-class pixels, alpha's and mask
            # band's; dead: a binary label's pixels made 0 (mask band, nodata)
            if alpha and len(alpha) < len(a):  # an RGBA label: its alpha is no colour ("4 bands that differ")
                opacity = a[alpha[0]]  # (h, w)
                a = np.delete(a, alpha, axis=0)
            if opacity is not None and (see := opacity == 0).any() and (rgb or grey_levels):
                clear = see
                if voids is not None:
                    voids.append(see)
            if masked is not None and (see := masked == 0).any():  # a mask band (.msk, internal): no data there
                if voids is not None:  # no class, as a palette label's transparent pixel or a binary one's nodata
                    voids.append(see)
                if rgb or grey_levels:
                    clear = see if clear is None else clear | see
                else:
                    a, dead = np.where(see, np.zeros((), a.dtype), a), see  # (bands, h, w) its pixels under the mask 0
                    if out is not None:
                        out.note("label_pixels_masked", int(np.count_nonzero(see)))
            see = _see_through(a[0], table[1], nodata) if (rgb or grey_levels) and table is not None else None
            if see is not None:  # (h, w) a transparent colour-table entry's pixels (an .aux.xml's table)
                clear = see if clear is None else clear | see
                if voids is not None:  # is no class, as an indexed PNG's transparent index
                    voids.append(see)
            found = False  # whether nodata_at got this label's nodata
            if nodata_at is not None and nodata not in (None, 0) and not np.isnan(nodata):
                if found := bool((none := (a == nodata).all(axis=0)).any()):  # (h, w)
                    nodata_at.append((nodata, none))
            if binary_nodata := not (rgb or grey_levels) and nodata not in (None, 0) and not np.isnan(nodata):
                none = (a[:3] == nodata).all(axis=0) if len(a) >= 3 else a[0] == nodata  # (h, w) every colour at it
            if not (rgb or grey_levels) and len(a) >= 3:  # a colour binary label: not 0 where any band is not
                a = a[:3].max(axis=0, keepdims=True)  # (1, h, w) its red band alone read a green or blue mask empty
            if binary_nodata:  # a green (0, 255, 0) class under nodata 255 was nodata by its brightest band
                if n := int(np.count_nonzero(none)):
                    if nodata > 0 and n < none.size and not np.any(a[0][~none]) and not _collar(none):
                        # 0 and nodata alone: the class read as none (a negative nodata, -9999 by 0s, is no class,
                        # nor is a collar along the border: an empty mask's, a 0/1 label's tile with no 1)
                        raise ConversionError(
                            f"{path}: its only value besides 0 is {nodata:g}, its GeoTIFF nodata: read so, its {n} "
                            f"{'pixel is' if n == 1 else 'pixels are'} no data and the mask empty; if {nodata:g} marks "
                            "the class, unset the "
                            f"nodata (gdal_edit.py -unsetnodata {path}) and convert again")
                    a = np.where(none, np.zeros((), a.dtype), a[0])[None]  # (1, h, w)
                    dead = none if dead is None else dead | none
                    if out is not None:
                        out.note("label_pixels_nodata", n)
                    if voids is not None:
                        voids.append(none)
            if not (rgb or grey_levels) and table is not None and len(a) == 1 and (
                    see := _see_through(a[0], table[1], nodata)) is not None:  # a transparent entry: no class,
                grey = table[0][np.clip(a[0], 0, len(table[0]) - 1)].max(axis=-1)  # (H, W) as an indexed PNG's
                if dead is not None:  # tRNS is: by its colours' greys; nodata and masked pixels stay 0
                    grey = np.where(dead, np.uint8(0), grey)
                return _by_alpha(grey, np.where(see, np.uint8(0), np.uint8(255)), out)
            if colormap is not None and not rgb and (grey := _indexed_grey(a[0], colormap)) is not None:
                _greys_said(out, path, grey)
                return grey  # (H, W) its greys: by index, a 1-black colormap's background was the class
            if opacity is not None and not (rgb or grey_levels):
                return _by_alpha(a[0], opacity, out)
            if rgb and len(a) < 3 and colormap is not None and a[0].max(initial=0) < len(colormap):
                a = np.moveaxis(colormap[a[0]], -1, 0)  # (3, h, w) its colours, as an indexed PNG's (by index: (1, 1, 1))
                if found and float(nodata).is_integer() and 0 <= nodata < len(colormap):  # its nodata's colour too,
                    nodata_at[-1] = (colormap[int(nodata)].tolist(), nodata_at[-1][1])  # which a class may claim
            elif rgb and len(a) < 3:  # a grey label under an [r, g, b] palette: (v, v, v), as PIL's convert("RGB")
                a = np.repeat(a[:1], 3, axis=0)
            if not rgb and grey_levels:
                _one_grey(path, a, clear)
            return np.moveaxis(a[:3], 0, -1) if rgb else a[0]
        from PIL import Image

        from rsvlm.io.pngcheck import check_png_data, is_png

        if is_png(path):  # PIL decodes a stream that ends early without a word, the rows it lacks 0: no change
            check_png_data(path)
        with _open_png_past_limit(path) if _png_past_pil_limit(path) else Image.open(path) as im:
            im.load()
            clear = _transparent(im) if rgb or grey_levels else None
            if clear is not None and voids is not None:
                voids.append(clear)
            if (rgb or grey_levels) and im.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey, as GDAL's is:
                grey = _eight_bit(np.asarray(im)[None], [], out, levels)[0]  # (H, W) 0/65535 read 0/255
                # (H, W, 3) (v, v, v), as a grey GeoTIFF's: PIL's RGB clipped 1000 to 255
                return np.repeat(grey[..., None], 3, axis=-1) if rgb else grey
            if rgb:
                return np.asarray(im.convert("RGB"))
            if im.mode == "P" and not grey_levels and "transparency" in im.info:
                im = im.convert("RGBA")  # its transparent index (tRNS) is no class, as an alpha channel's 0
            if im.mode == "P" and not grey_levels and (grey := _indexed_grey(
                    np.asarray(im), np.asarray(im.getpalette() or [], np.uint8).reshape(-1, 3))) is not None:
                _greys_said(out, path, grey)
                return grey
            if im.mode in ("L", "P", "I", "I;16"):  # class codes as they are (P: palette indices)
                return np.asarray(im)
            if grey_levels and im.mode in ("RGB", "RGBA", "CMYK", "YCbCr"):
                _one_grey(path, np.moveaxis(np.asarray(im.convert("RGB")), -1, 0), clear)
            # (H, W) a colour binary label's brightest channel, as a GeoTIFF's brightest band: by luminance a 0/1
            # pure-blue (0, 0, 1) mask read empty
            colour = len([b for b in im.getbands() if b != "A"]) >= 3
            grey = np.asarray(im.convert("RGB")).max(axis=-1) if colour else np.asarray(im.convert("L"))
            if not grey_levels and "A" in im.getbands():
                return _by_alpha(grey, np.asarray(im.getchannel("A")), out)
            return grey
    except ConversionError:
        raise
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad input file
        from PIL import Image

        from rsvlm.io.library_log import gdal_message

        if isinstance(e, Image.DecompressionBombError):  # a JPEG or BMP label past PIL's limit (a PNG is read)
            raise ConversionError(f"{path}: cannot read label: past PIL's pixel limit ({e}); save it as a PNG or "
                                  "GeoTIFF, which are read past it, or cut it into tiles") from e
        # (rasterio's "Read failed. See previous exception for details." alone said nothing)
        raise ConversionError(f"{path}: cannot read label ({gdal_message(e)})") from e


def _by_alpha(grey, alpha, out: Output | None):
    """A binary label's grey values ``grey`` (H, W) under its alpha ``alpha`` (H, W), a PNG's channel or a GeoTIFF's
    band: its transparent pixels (alpha 0) are no class (white ones were); one whose opaque pixels are all black on a
    transparent background (a shape drawn black on an empty layer, read empty so) is its alpha, opaque pixels the
    class, counted in ``out``'s notes as ``labels_read_by_alpha``."""
    import numpy as np

    grey = np.where(alpha == 0, np.zeros((), grey.dtype), grey)  # (H, W)
    if not grey.any() and alpha.any() and not alpha.all():
        if out is not None:
            out.note("labels_read_by_alpha")
        return alpha  # (H, W) the drawn shape
    return grey


def _mask_band(ds):
    """The GDAL mask band (H, W) uint8 of an open GeoTIFF ``ds`` (an internal mask or a ``.msk`` file beside it, one
    for the dataset, rasterio's ``write_mask``), 0 where masked out; None where it has none (its nodata or alpha is
    read apart)."""
    from rasterio.enums import MaskFlags

    if not any(MaskFlags.per_dataset in f and MaskFlags.alpha not in f and MaskFlags.nodata not in f
               for f in ds.mask_flag_enums):
        return None
    return ds.dataset_mask()  # (H, W) 0 or 255


def _png_past_pil_limit(path: Path) -> bool:
    """Whether ``path`` is a PNG whose header's size is past PIL's decompression-bomb limit (twice
    ``Image.MAX_IMAGE_PIXELS``, where PIL raises; a DOTA-v2 scene's 20000 px label): such a label is read by
    ``_open_png_past_limit`` (it was skipped, ``unreadable_label``, "could be decompression bomb DOS attack")."""
    from PIL import Image

    with open(path, "rb") as f:
        head = f.read(24)  # signature (8), IHDR length and type (8), width, height (8)
    limit = Image.MAX_IMAGE_PIXELS
    return (head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) == 24 and limit is not None
            and int.from_bytes(head[16:20], "big") * int.from_bytes(head[20:24], "big") > 2 * limit)


def _open_png_past_limit(path: Path):
    """The PNG ``path`` opened by PIL's PNG reader past its pixel limit (the check is ``Image.open``'s alone), so
    read as one under it is (through GDAL a 1-bit mask read 0/1, a 16-bit grey one was not narrowed to 8 bits and a
    tRNS colour was nodata, not transparent). Its caller checks its pixel data first; it is held whole in memory."""
    from PIL import PngImagePlugin

    return PngImagePlugin.PngImageFile(path)


def _deep_png(path: Path) -> bool:
    """Whether ``path`` is a 16-bit PNG that PIL reads at 8 bits, its high byte: RGB, RGBA or grey with alpha (its
    IHDR's bit depth 16, colour type 2, 6 or 4; PIL reads a 16-bit grey one at 16 bits)."""
    with open(path, "rb") as f:
        head = f.read(26)  # signature (8), IHDR length and type (8), width, height (8), bit depth, colour type
    return head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) == 26 and head[24] == 16 and head[25] in (2, 4, 6)


def _eight_bit(a, alpha: list[int], out: Output | None, levels: set | None = None):
    """A 16-bit palette label's bands ``a`` (C, H, W) as read, or their 8-bit values where every colour band is an
    8-bit one widened to 16 bits, stretched (v x 257, ImageMagick's ``-depth 16``: 255 is 65535) or shifted (v x 256,
    ``astype(uint16) << 8``: 255 is 65280, which PIL's high byte read right), counted in ``out``'s notes as
    ``labels_16_bit_read_as_8_bit``; ``alpha``: the alpha bands' indices, left as they are (0 is 0), the colours under
    their 0 not looked at (white there, 65535, is no shifted colour). Read as they are where ``levels``, a grey
    palette's values, name some of its pixels other than 0 as read, and no fewer than in 8 bits (codes 256 and 512
    were read 1 and 2, unknown; one stray code 768 the palette lacks turned them all so)."""
    import numpy as np

    bands = [i for i in range(len(a)) if i not in alpha]
    seen = a[bands][:, (a[alpha] != 0).all(axis=0)] if alpha else a[bands]  # (C, N) a colour under alpha 0 is none
    if seen.max(initial=0) <= 255:
        return a  # its codes or colours as they are: 0/1/2 (PIL's high byte read them all 0)
    step = next((s for s in (257, 256) if not np.any(seen % s)), None)  # only 0 is a multiple of both
    if step is None:
        return a
    if levels:  # the palette's own 16-bit codes (256, 512) as they are, a stray one it lacks or not
        named = [v for v in levels if isinstance(v, int | float) and v]
        if (as_is := np.isin(seen, named).sum()) and as_is >= np.isin(seen // step, named).sum():
            return a
    if out is not None:
        out.note("labels_16_bit_read_as_8_bit")
    a = a.copy()
    a[bands] //= step  # (C, H, W) an alpha band as it is: its 0 alone is read
    return a


def _transparent(im):
    """Where the PIL image ``im``'s alpha is 0, (H, W) bool, from its alpha channel or transparent index or colour
    (tRNS); None where it has none or no pixel is transparent."""
    import numpy as np

    if "A" not in im.getbands() and "transparency" not in im.info:
        return None
    try:
        clear = np.asarray(im.convert("RGBA").getchannel("A")) == 0  # (H, W)
    except (ValueError, OSError):  # a mode PIL cannot give an alpha (a 16-bit grey's colour key): read as it is
        return None
    return clear if clear.any() else None


def read_binary_label(path: Path, out: Output):
    """A binary label's (``masks --binary``, ``levir-cd``) array (H, W) as read, its mask (H, W) bool
    (``mask_and_void``) and its void (H, W) bool or None: a 0/1 label's 255 and its GeoTIFF nodata, unlabelled, not
    background or unchanged (a 0/1 label's nodata 255 was void so before its nodata was read). Raises
    ``NotAMask`` for a photo, ``ConversionError`` for a file that cannot be read."""
    raw = read_label(path, rgb=False, out=out, voids=(nodata := []))
    mask, void = mask_and_void(raw, out, lossy_file(path))
    _one_grey_said(out, path, raw)
    for none in nodata:  # 0 in the label now (its nodata, its mask band's): left out of photo_of_image's look too
        void = none if void is None else void | none
    return raw, mask, void


def _one_grey_said(out: Output, path: Path, raw) -> None:
    """Count in ``out``'s notes a binary label ``raw`` (H, W) of one mid-grey value alone (an eighth to seven eighths
    of 0…1, 255 or 65535, of 65535 from 256 up: a 12-bit photo's 1000 was unsaid), taken whole as the class, naming
    the first: a solid grey JPEG, PNG or TIFF given as the label was the class over the whole image, unsaid (a
    lossless one too: a blank grey tile is no likelier a mask than a JPEG one). A flat photo (a blank tile) and a
    mask of 0/128 wholly the class are alike, so it is kept; a label all 1, 255 or 65535 (a tile wholly the class)
    is not noted, nor an 8-bit one widened to 16 bits (x257, x256: ``_eight_bit``), judged by its 8-bit value (a 0/1
    mask's 256 or 257 was noted as a flat photo)."""
    v = raw.flat[0]
    w = next((v // s for s in (257, 256) if v > 255 and not v % s), v)  # (its 8-bit value, or v)
    top = 1 if w <= 1 else 255 if w <= 255 else 65535
    if (top / 8 if top < 65535 else 255) < w < top * 7 / 8 and (raw == v).all():
        out.note("labels_of_one_grey_value_taken_whole", example=f"{path}: every pixel {v:g}, the whole image the "
                 "class (a flat photo, or a blank image given as the label?)")


def _greys_said(out: Output | None, path: Path, grey) -> None:
    """Count in ``out``'s notes an indexed label read by its greys, not its indices (``_indexed_grey``), where they
    make over half of it the class (``grey`` (H, W) not 0): a black class drawn on white (index 0) was traced as its
    background, the whole scene one polygon, unsaid. Not a white class on black, PIL's ``quantize(2)`` of a mask,
    read right (it was noted too, with the advice to invert it). Cannot: tell a class truly over half the label."""
    import numpy as np

    if out is not None and np.count_nonzero(grey) * 2 > grey.size:
        out.note("indexed_labels_read_by_greys", example=f"{path}: black is not palette index 0, so it is read by its "
                 "greys, the class where it is not black (black objects on white: invert it)")


def _indexed_grey(idx, colours):
    """The grey values (H, W) uint8 of an indexed binary label ``idx`` (H, W) of palette indices whose colour table
    ``colours`` (N, 3) RGB puts black at an index other than 0, its used colours all grey (PIL's ``quantize(2)`` of
    a 0/255 mask: index 0 white, 1 black), else None (its indices are read as they are). Read as indices, 0 was the
    class's white and 1 the black background: ``--binary`` and ``levir-cd`` traced the background."""
    import numpy as np

    used = np.unique(idx)
    if idx.dtype.kind not in "ui" or used[0] < 0 or used[-1] >= len(colours):
        return None
    rgb = colours[used]
    if not (rgb == rgb[:, :1]).all():  # a colour palette: its indices are codes
        return None
    black = used[rgb[:, 0] == 0]
    return colours[:, 0][idx] if len(black) and 0 not in black else None


def _colormap(ds):
    """The colour table of a one-band GeoTIFF ``ds`` (open) as its colours (N, 3) uint8 RGB and their alpha (N,)
    uint8 (N >= 256; an index the table lacks is opaque black), or None where it has none. TIFF's own table holds no
    alpha (GDAL reads it 255); a PAM ``.aux.xml`` beside the file may give one."""
    import numpy as np

    try:
        table = ds.colormap(1)  # {index: (r, g, b, a)}; ValueError where the band has none
    except ValueError:
        return None
    n = max(256, max(table) + 1)
    colours, alpha = np.zeros((n, 3), np.uint8), np.full(n, 255, np.uint8)
    for k, rgba in table.items():
        colours[k], alpha[k] = rgba[:3], rgba[3] if len(rgba) > 3 else 255
    return colours, alpha


def _see_through(index, alpha, nodata=None):
    """Where ``index`` (H, W), a one-band label's colour-table indices, names an entry of ``alpha`` (N,) that is
    transparent (0), (H, W) bool; None where none does (or the band holds no indices). Its GeoTIFF ``nodata`` entry,
    which GDAL gives alpha 0, is not one: the nodata rule reads it (a class may claim it)."""
    import numpy as np

    if nodata is not None and not np.isnan(nodata) and float(nodata).is_integer() and 0 <= nodata < len(alpha):
        alpha = np.where(np.arange(len(alpha)) == int(nodata), np.uint8(255), alpha)  # (N,)
    if not np.issubdtype(index.dtype, np.integer) or not (alpha == 0).any():
        return None
    see = (alpha == 0)[np.clip(index, 0, len(alpha) - 1)] & (index >= 0) & (index < len(alpha))  # (H, W)
    return see if see.any() else None


def _one_grey(path: Path, bands, clear=None) -> None:
    """ConversionError unless every band of ``bands`` (C, H, W) holds the same values, but where ``clear`` (H, W)
    bool, transparent, is (a colour hidden there is none drawn: a grey label's leftovers were "a colour label")."""
    if clear is not None:
        bands = bands[:, ~clear]  # (C, N)
    if len(bands) > 1 and not (bands == bands[:1]).all():
        raise ConversionError(f"{path}: a colour label ({len(bands)} bands that differ) under a palette of grey "
                              "levels: give the classes as [r, g, b] colours (or --binary CLASS)")
