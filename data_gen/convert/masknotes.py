"""What ``masks`` says of its labels beyond skips: what an image's nodata hides of each class (``over_nodata``), and
why labels holding no class gave no record (``no_class_said``)."""

from __future__ import annotations

from data_gen.convert.common import Output


def over_nodata(out: Output, masks: dict, nodata) -> None:
    """Count what the image's nodata ``nodata`` (H, W) bool hides of the class masks ``masks`` (class -> (H, W) bool),
    left out of the records: per class its pixels there (``class_pixels_over_nodata: CLASS``) and its 4-connected
    instances lying wholly there (``objects_over_nodata: CLASS``, and in all ``objects_over_nodata``, the detection
    converters' key), and the image once (``images_with_class_over_nodata``). An instance partly on data is kept,
    its part there."""
    import numpy as np

    from rsvlm.geometry.masks import instances

    touched = False
    for c, m in masks.items():
        if not (pixels := int((m & nodata).sum())):
            continue
        touched = True
        out.note(f"class_pixels_over_nodata: {c}", pixels)
        lab, n = instances(m)  # (H, W) int32, 0 = none
        on_data = np.bincount(lab[~nodata], minlength=n + 1)[1:]  # (n,) each instance's pixels on data
        if gone := int((on_data == 0).sum()):
            out.note(f"objects_over_nodata: {c}", gone)
            out.note("objects_over_nodata", gone)
    if touched:
        out.note("images_with_class_over_nodata")


def no_class_said(args, classes: dict, ignored: list, seen: set) -> str:
    """Why labels gave no record under ``--preset`` or ``--palette`` (under ``--binary`` all-zero masks are empty,
    nothing to say), a note read as a sentence: the values they hold, the class map's values (those it
    ignores apart), and ``--binary`` for a 0/1 or 0/255 mask: ``--preset loveda`` on a 0/1 mask said only "no records
    written (1 images_without_objects_not_read)", its 1 being LoveDA's background."""
    given = f"--preset {args.preset}" if args.preset else f"--palette {args.palette}"
    shown = sorted(seen)  # grey levels, or [r, g, b] tuples: one kind a run
    values = ", ".join(map(str, shown[:12])) + (f" … ({len(shown)} values)" if len(shown) > 12 else "")
    said = (f"no label holds a class of {given}: they hold {values}; its classes are "
            + ", ".join(f"{c} {v}" for c, v in classes.items())
            + (f" (ignored: {', '.join(map(str, ignored))})" if ignored else ""))
    if len(seen) <= 2:  # 0/1, 0/255: a binary mask
        return said + "; a mask of 0 and one other value is read by --binary CLASS (e.g. --binary building)"
    return said + "; give the map of these values with --palette FILE"
