"""Band files of different resolutions on one footprint (Sentinel-2's 10 m B02 beside its 20 m B05, Landsat's
15 m pan beside 30 m bands): the coarser ones are read through a GDAL warped VRT onto the finest file's grid
(bilinear), for ``sources.RasterioSource``; a nodata value the reader takes for a file that declares none
(Sentinel-2's DN 0 collar) is then left out of their bilinear weights (``with_fill``); the reader finds such a
fill in the values as the files hold them (``as_stored``: nearest neighbour, no fill blended into the data).
Files of one resolution on different grids, or in different CRSs, are refused naming both and the ``gdalwarp``
command that puts one on the other's grid."""

from __future__ import annotations

from pathlib import Path

__all__ = ["onto_finest", "grid_refusal", "with_fill", "as_stored"]


def _pixel(d) -> tuple[float, float]:
    """A dataset's pixel size (x, y) in its CRS's units."""
    t = d.transform
    return abs(t.a) + abs(t.b), abs(t.d) + abs(t.e)


def _res(d) -> str:
    """A dataset's pixel size as said: ``20 m``, ``0.0001°``, else in its CRS's units."""
    unit = (d.crs.linear_units if d.crs and d.crs.is_projected else "°" if d.crs else "") or ""
    unit = " m" if unit.lower() in ("metre", "meter", "m") else unit if unit == "°" else f" {unit}".rstrip()
    return f"{_pixel(d)[0]:g}{unit}"


def _same_footprint(a, b) -> bool:
    """Whether ``a`` and ``b`` (one CRS) cover one extent, to within a pixel of the coarser."""
    tol = max(*_pixel(a), *_pixel(b))
    return all(abs(x - y) <= tol for x, y in zip(a.bounds, b.bounds))


def _onto(f, grid, resampling, **fill):
    """The file ``f`` read through a warped VRT onto ``grid``'s (a dataset's CRS, transform and size), with
    ``fill`` (``src_nodata``, ``nodata``) where given."""
    from rasterio.vrt import WarpedVRT

    return WarpedVRT(f, crs=grid.crs, transform=grid.transform, width=grid.width, height=grid.height,
                     resampling=resampling, **fill)


def _bounds(d) -> str:
    """A dataset's bounds (left bottom right top) in full: ``500000 4999360 500640 5000000``."""
    return " ".join(f"{v:.12g}" for v in d.bounds)


def grid_refusal(p: str, first_path: str, attr: str, d, first) -> ValueError:
    """The refusal of band file ``p`` whose ``attr`` (``crs``, or ``footprint``: its bounds, for a coarser file or
    one of the finest's pixel size on another grid) differs from ``first_path``'s: with the command that fixes it."""
    if first.crs is None or d.crs is None:  # gdalwarp takes no "-t_srs None" and warps no file without a CRS
        bare = first_path if first.crs is None else p
        fix = f"give {bare} its CRS (gdal_edit.py -a_srs EPSG:<code> {bare})" + (
            ", or give a georeferenced band file first" if first.crs is None else "")
    else:
        fix = (f"gdalwarp -t_srs {first.crs} -tr {_pixel(first)[0]:.12g} {_pixel(first)[1]:.12g} -te "
               f"{_bounds(first)} -r bilinear {p} {Path(p).with_name(Path(p).stem + '_on_grid.tif')}")
    said = {"crs": lambda x: x.crs, "footprint": lambda x: f"bounds {_bounds(x)}"}[attr]
    return ValueError(f"{p}: {attr} ({said(d)}) differs from {first_path}'s ({said(first)}); band files "
                      f"must share one grid (only files of different resolutions on one footprint and CRS are "
                      f"resampled on read); put it on {Path(first_path).name}'s grid first: {fix}")


def onto_finest(paths: list[str], datasets: list) -> tuple[list, list[str]]:
    """``datasets`` (single-band files, one each of ``paths``) with those coarser than the finest read through a
    bilinear warped VRT onto its grid (the VRT's ``src_dataset`` is the file), and the note saying which were
    resampled from what size; ``datasets`` as given where all share one grid. Raises ``grid_refusal`` where a
    file is in another CRS, covers another footprint, or has the finest's pixel size on another grid."""
    from rasterio.enums import Resampling

    fine_i = min(range(len(datasets)), key=lambda i: _pixel(datasets[i])[0] * _pixel(datasets[i])[1])
    fine = datasets[fine_i]
    coarse = [(d.width, d.height, d.transform) != (fine.width, fine.height, fine.transform) for d in datasets]
    for p, d, c in zip(paths, datasets, coarse):  # every file checked before any VRT is opened
        if d.crs != fine.crs:
            raise grid_refusal(p, paths[fine_i], "crs", d, fine)
        if c and (_pixel(d) == _pixel(fine) or not _same_footprint(d, fine)):  # one resolution, yet another grid
            raise grid_refusal(p, paths[fine_i], "footprint", d, fine)
    if not any(coarse):
        return datasets, []
    out = [_onto(d, fine, Resampling.bilinear) if c else d for d, c in zip(datasets, coarse)]
    said = [f"{Path(p).name} ({d.width}x{d.height}, {_res(d)})" for p, d, c in zip(paths, datasets, coarse) if c]
    return out, [f"band files of different resolutions: {', '.join(said)} resampled (bilinear) onto "
                 f"{Path(paths[fine_i]).name}'s grid ({fine.width}x{fine.height}, {_res(fine)}) on read"]


def with_fill(datasets: list, nodata: float) -> list:
    """``datasets`` with each resampled band's VRT (``onto_finest``'s) whose file declares no nodata made anew with
    ``nodata`` as its fill, so that bilinear weights leave the fill out: a Sentinel-2 20 m band's DN 0 collar had
    been blended into the valid pixels along its edge (half-dark DN) and spread half a coarse pixel into it. The
    VRTs replaced are closed (their files are kept)."""
    out = []
    for d in datasets:
        f = getattr(d, "src_dataset", None)
        if f is None or f.nodata is not None or d.src_nodata is not None:
            out.append(d)
            continue
        out.append(_onto(f, d, d.resampling, src_nodata=nodata, nodata=nodata))  # onto the VRT's own grid
        d.close()
    return out


def as_stored(datasets: list) -> list:
    """``datasets`` with each resampled band's VRT (``onto_finest``'s) made anew by nearest neighbour, its fill kept:
    each pixel a value its file holds, for finding a fill the files do not declare (a 20 m band's -9999 collar
    read bilinear lay at -5000 … along its edge, which hid it). Close the new VRTs after use (not the files)."""
    from rasterio.enums import Resampling

    out = []
    for d in datasets:
        f = getattr(d, "src_dataset", None)
        fill = {} if f is None or d.src_nodata is None else {"src_nodata": d.src_nodata, "nodata": d.nodata}
        out.append(d if f is None else _onto(f, d, Resampling.nearest, **fill))
    return out
