"""One scene given as one file per band (Sentinel-2's ``T33UUP_…_B02.jp2``, ``scene_b03.tif``): the
band files of a scene grouped into one multispectral image (a record's ``band_files``), for the
``folder`` converter, which took each band file for an image of class ``b`` (``scene_b02`` less its
trailing number).

A file is a band file where a ``_``-separated part of its name names a band like ``B02`` / ``b8a``
(``rsvlm.io.bandnames.band_name_from_file``, as the reader names bands); its scene is its folder and
its name less that part (``T33UUP_20200101_B04_10m`` → ``T33UUP_20200101_10m``, so that 10 m and
20 m bands, on different grids, are different scenes), and where its header says it holds one band
(``one_band``): ``photo_b2.jpg`` in RGB is a plain image, as are all plain images.
"""

from __future__ import annotations

import re
from pathlib import Path


def band_part(path: Path) -> str | None:
    """The band ``path``'s name gives (``scene_b02.tif`` → ``b02``), None for a plain image."""
    from rsvlm.io.bandnames import band_name_from_file
    from rsvlm.io.modality import MSI_BAND  # B02, B8A

    band = band_name_from_file(Path(path))
    return band if re.fullmatch(MSI_BAND, band) else None


def one_band(path: Path) -> bool:
    """Whether ``path``'s header says one band (PIL's bands for a PNG, JPEG…, GDAL's count for a GeoTIFF or
    JP2; a paletted image is colour, not one band); True where the header cannot be read, so that the scene
    reader names the damaged file. Two RGB photos ``img_b2.png``, ``img_b3.png`` were one scene, refused."""
    from PIL import Image, UnidentifiedImageError

    from data_gen.convert.images import open_raster

    try:
        if Path(path).suffix.lower() in (".tif", ".tiff", ".jp2", ".j2k", ".img", ".vrt"):
            with open_raster(path) as ds:  # a multi-band uint16 TIFF, which PIL may not open
                return ds.count == 1
        with Image.open(path) as im:  # the header alone: nothing decoded
            return im.mode != "P" and len(im.getbands()) == 1
    except (OSError, UnidentifiedImageError, ValueError):  # rasterio's RasterioIOError is an OSError
        return True


def scene_name(path: Path) -> str:
    """``path``'s stem less its band part (``scene_b02`` → ``scene``; ``B02`` → ``""``)."""
    parts = Path(path).stem.split("_")
    band = band_part(path)
    # the part band_name_from_file chose: the last such (an ESPA name's band4 for B4)
    k = max(i for i, x in enumerate(parts) if x == band or x.lower() == f"band{band[1:]}")
    return "_".join(parts[:k] + parts[k + 1 :])


def band_order(path: Path) -> tuple[int, str]:
    """Sort key of a band file by its band: B02 < B03 < B08 < B8A < B11 (not as text, B11 < B2)."""
    m = re.fullmatch(r"[Bb](\d{1,2})([Aa]?)", band_part(path) or "")
    return (int(m[1]), m[2].lower()) if m else (999, "")


def group_band_files(files: list[Path]) -> tuple[list[Path], list[tuple[Path, str, list[Path]]]]:
    """``files`` split into plain images and scenes ``(folder, scene name, band files in band order)``,
    in the order of their first file. A scene of one band file is a scene too: its class comes from
    its scene name, not from its band (``forest_b02.tif`` was class ``forest b``)."""
    plain: list[Path] = []
    scenes: dict[tuple[Path, str, str], list[Path]] = {}
    for p in files:
        if band_part(p) is None or not one_band(p):  # photo_b2.jpg in RGB is a photo
            plain.append(p)
        else:  # one suffix a scene: a B02.jp2 beside a B02.tif is two scenes, not a band given twice
            scenes.setdefault((p.parent, scene_name(p), p.suffix.lower()), []).append(p)
    return plain, [(folder, name, sorted(ps, key=band_order)) for (folder, name, _), ps in scenes.items()]


def repeated_bands(paths: list[Path]) -> list[str]:
    """The bands named by more than one of ``paths``, one entry a band, its spellings joined by "/" (``B02/b2`` for
    ``scene_B02.tif`` and ``scene_b2.tif``): the count is of bands, not of names."""
    from rsvlm.io.bandnames import band_key

    keys = [band_key(band_part(p) or "") for p in paths]
    return sorted("/".join(sorted({band_part(p) or "" for p, k in zip(paths, keys, strict=True) if k == key}))
                  for key in {k for k in keys if keys.count(k) > 1})


def scene_modality(paths: list[Path], modality: str | None) -> str:
    """The modality ``rsvlm.io.read`` reads the band files ``paths`` as one scene with (``modality`` where
    given); ``WrongBands`` (naming the files and what they read as) where they cannot be read so, and
    ``ConversionError`` where they cannot be read together (different sizes, a damaged file)."""
    from data_gen.convert.common import ConversionError
    from data_gen.convert.images import WrongBands, guessed_hint
    from rsvlm.io.read import SceneReader
    from rsvlm.io.sources import ImageReadError

    try:
        with SceneReader([str(p) for p in paths], modality) as reader:
            return reader.modality
    except ImageReadError as e:
        raise ConversionError(str(e)) from e
    except ValueError as e:  # the band count, the dtype, the grids do not fit
        if modality is None:
            raise ConversionError(str(e)) from e
        why = str(e)
    try:  # what they read as, as images.check_bands says of one file
        with SceneReader([str(p) for p in paths]) as reader:
            why = guessed_hint(why, "they read as", reader.modality)
    except ValueError:
        pass
    raise WrongBands(why)
