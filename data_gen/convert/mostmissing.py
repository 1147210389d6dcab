"""One warning where most of a run's inputs name an image not under ``--images`` (a wrong folder, not a few gaps),
shared by the converters that match labels or records to images by name: rsivqa, llava, voc, dota, geojson, masks,
coco.

Each counts its own unit (lines, records, XML files, label files, GeoJSON files, label images, image entries); the skips stay
counted as ``missing_image``. The other way round, a run that finds no label file at all says how many images it
found without one, naming the first (``unlabelled_said``: a lone image's missing label was "no labelTxt files" of the
folder alone). Cannot: tell a partial download from a wrong folder, nor see a folder that holds
the images under other names (``--match``, ``--label-suffix`` say so in their own skips).
"""

from __future__ import annotations

from rsvlm.progress import counted


def warn_most_missing(out, missing: int, named: int, unit: str, names: list[str], images, whose: str,
                      option: str | None = "--images") -> None:
    """``out.warn`` once where ``missing`` of the ``named`` units (``unit``: one's word) miss their image, over half
    and at least 2, naming the first three ``names`` (``…`` where more names, not more units, are missing: RSIVQA
    asks several questions of an image) and asking whether ``option`` is the folder of ``whose`` images (``option``
    None: the images folder was not given but found under --src; the warning then says to give it)."""
    if missing < 2 or 2 * missing <= named:
        return
    names = list(dict.fromkeys(names))  # two labels of one image (a mask beside its image in --labels): once
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    where = f"{option} {images}" if option else str(images)
    ask = (f"is {option} the folder" if option else "give --images the folder") + f" of the whole dataset ({whose})"
    out.warn(f"{missing} of {counted(named, unit)} name an image not under {where} ({shown}), skipped as "
             f"missing_image: {ask}{'?' if option else ''}")


def unlabelled_said(images, folder, what: str, progress: bool = True) -> str:
    """``"; 2 images under FOLDER (a.png, b.png) have no WHAT"`` for the files ``images`` (paths, each counted once),
    the first three names given; ``"3 images (2 distinct names)"`` where folders share a name (the distinct names
    alone counted two folders' a.png as one image). "" where there are none. Said where a converter finds no
    ``what`` at all. A mask beside its image (``lookup.masks_beside``) is said apart, not as an image, unless its
    pixels say it is one (``lookup.photos_among``: many are read under a bar, none where ``progress`` is False)."""
    from pathlib import Path

    from data_gen.convert.lookup import masks_beside, photos_among

    files = sorted({Path(p).parent.resolve() / Path(p).name for p in images})
    if not files:
        return ""
    # SIRST's Misc_100_pixels0.png was said as a second image without a label; a photo so named is an image
    named = masks_beside(files)
    photos = photos_among(named, progress)
    if masks := {p: im for p, im in named.items() if p not in photos}:
        files = [p for p in files if p not in masks]
        first = min(masks)
        whose = "its image" if len(masks) == 1 else "their images"
        beside = f", and {counted(len(masks), 'mask')} beside {whose} ({first.name} by {masks[first]})"
    else:
        beside = ""
    names = sorted({p.name for p in files})
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    distinct = f" ({counted(len(names), 'distinct name')})" if len(names) < len(files) else ""
    return (f"; {counted(len(files), 'image')}{distinct} under {folder} ({shown}) "
            f"{'has' if len(files) == 1 else 'have'} no {what}{beside}")
