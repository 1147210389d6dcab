"""What ``--min-score`` and ``--rgb-bands`` (``rsvlm.cli_parser._output_args``) do to an answer's output, as
``rsvlm predict`` and ``rsvlm chat`` both take them."""

from __future__ import annotations

# the georef notes' words that turned_line looks for
from rsvlm.io.georef import GCPS_DIFFER, GCPS_UNCHECKED, NOT_NORTH_UP
from rsvlm.progress import counted


def above_min_score(objects: list[dict], min_score: float) -> tuple[list[dict], str | None]:
    """The objects scored ``min_score`` or more (an unscored one is kept: no score says nothing of its
    confidence; a NaN score is dropped; a score "0.8" is compared as the number it names, where it raised a
    TypeError), and the line to say of those dropped (None where ``min_score`` is 0). A ``min_score``
    above 0 on an answer with no objects says that it has nothing to drop."""
    if min_score <= 0:
        return objects, None
    if not objects:  # "0 objects ... dropped" under a word answer
        return objects, f"--min-score {min_score:g} has nothing to drop: the answer has no objects"
    kept = [o for o in objects if o.get("score") is None or float(o["score"]) >= min_score]
    n = sum(o.get("score") is None for o in objects)  # "0 of 2 … dropped" under a table of no score read as a bug
    return kept, (f"{len(objects) - len(kept)} of {counted(len(objects), 'object')} scored below --min-score {min_score:g} "
                  f"dropped{f' ({n} unscored, kept)' if n else ''}")


def unscored_note(objects: list[dict], fused: bool | list[bool] = False) -> str | None:
    """Why objects carry no ``"score"`` (``inference.with_scores`` leaves an answer's shapes unscored where they
    do not match the model's per-shape scores one to one), said where any does not; None where all are scored.
    ``fused``: the answer was fused over ``--tta`` views, whose polygons and masks are pixel votes, unscored by
    design (``fusion_masks.fuse_masks``): said so, not blamed on a mismatch; a list: per object (a tiled run whose
    tiles were fused or kept their plain answer: ``predict_tiles.fused_flags``)."""
    unscored = [o for o in objects if o.get("score") is None]
    if not unscored:
        return None
    flags = fused if isinstance(fused, list) else [fused] * len(objects)
    voted = sum(o.get("score") is None and o.get("kind") in ("poly", "mask") and f for o, f in zip(objects, flags))
    whys = [f"{voted} polygon or mask fused over the --tta views is a pixel vote, which carries no score" if voted == 1
            else f"{voted} polygons or masks fused over the --tta views are pixel votes, which carry no score"] if voted else []
    if rest := len(unscored) - voted:
        others = f"{counted(rest, 'other')}: " if voted else ""
        whys.append(f"{others}the answer's shapes did not match the model's per-shape "
                    "scores one to one (a <poly> decoded as the previous one's hole, or under --free-decoding a "
                    "shape left open or a malformed one left out), so no score is given to them")
    return (f"{len(unscored)} of {counted(len(objects), 'object')} {'has' if len(unscored) == 1 else 'have'} no score: "
            f"{'; '.join(whys)}; --min-score keeps {'it' if len(unscored) == 1 else 'them'}")


def rgb_bands_problem(img, rgb_bands: list[str] | None, label: str, option: str = "--rgb-bands") -> str | None:
    """Why ``rgb_bands`` (three band names, ``cli_values.rgb_bands``) cannot draw ``img`` (an RSImage, called
    ``label``): a name none of its bands has, said with the bands it has, or an ir image (one band,
    drawn through a colour map); None where they can (or none were given). Names match as the overlay
    matches them (``bandnames.band_at``: any case, ``B4`` is ``B04``, ``red`` is ``R``)."""
    from rsvlm.io.bandnames import band_at

    if rgb_bands is None:
        return None
    given = ",".join(rgb_bands)
    if img.modality == "ir":
        return (f"{option} {given}: {label} is an ir image of one band ({img.bands[0]}), drawn through a colour map; "
                "give no band names")  # "leave /vis out.png out" where chat's /vis named them
    unknown = list(dict.fromkeys(b for b in rgb_bands if band_at(list(img.bands), b) is None))  # VV,VH,VV: VV once
    if unknown and len(img.bands) == 1:  # "VV,VV,VV" of an unnamed band the model took as VV: "its bands are b1" alone
        return (f"{option} {given}: {label} ({img.modality}) has one band, {img.bands[0]} (the file's own name for it, "
                "whatever the model read it as), drawn grey: give no band names")
    if unknown:
        return (f"{option} {given}: {label} ({img.modality}) has no band {', '.join(map(repr, unknown))}; its bands "
                f"are {','.join(img.bands)}")
    return None


def overlay_title(question: str, answer: str | None, tiled: bool = False, images: tuple = ()) -> str:
    """An overlay's title (``--vis``, chat's ``/vis``): the question, and under it an answer in words alone
    (``answer: harbour``); was the question alone, so a [cls], [cap], [vqa] or [count] overlay said nothing of
    its answer. An answer with geometry is drawn, not written. ``tiled``: ``answer`` is ``--tile``'s tally
    ("answers of 6 tiles: 'lake' x5, …"), written as it is (it read "answer: answers of 6 tiles: …"). ``images``: those
    drawn (RSImages), a last line saying how one that is not north-up lies (``turned_line``)."""
    from rsvlm.geometry.codec import spells_tag

    names = ("before: ", "after: ") if len(images) == 2 else ("",) * len(images)  # a pair's: which one
    turned = [f"{name}{line}" for name, im in zip(names, images) if (line := turned_line(im.notes))]
    if not answer or not answer.strip() or spells_tag(answer):
        return "\n".join([question, *turned])
    return "\n".join([question, f"{'' if tiled else 'answer: '}{answer.strip()}", *turned])


_UNKNOWN_WAY = (  # gcp_orientation_note's words where it cannot tell the image's orientation, and the line for each
    (GCPS_DIFFER, "its GCPs have no CRS, and read as longitude and latitude or as a local grid they lie differently"),
    (GCPS_UNCHECKED, "too few GCPs, or all on one line, to fit one to"),
)


def asked_regions(question: str, img) -> list[dict]:
    """The shapes a question gives (a ``[regcap]`` box, a ``[change]`` or ``[vqa]`` question's), in ``img``'s scene
    pixels (``inference.scene_wh``), labelled "region asked" for ``--vis`` and ``/vis`` to draw beside the answer (a
    region's caption was drawn with no sign of which region it was about). A pair's region is read in the after
    image's pixels (``img``) and drawn on both; ``predict_question.pixel_question`` says so in the title (the label
    once said it, running far past a small box). Cannot place a tiled run's region (read in each tile's own frame)."""
    from rsvlm import geometry
    from rsvlm.inference import scene_wh

    return [{**o, "label": "region asked"} for o in geometry.decode(question, *scene_wh(img)).objects]


def turned_line(notes: list[str]) -> str | None:
    """The overlay's line for an image the reader said is not north-up (``georef.orientation_note``: a Sentinel-1
    GRD's descending pass lies mirrored), drawn as its pixels lie as the model read them: "drawn as read, not
    north-up: mirrored, its top facing north and its right west"; where GCPs leave its orientation unknown, "drawn as
    read, orientation unknown: …" (was no line); None where none said so. It was said on stderr alone, and the
    overlay looked like a map the wrong way round."""
    import re

    note = next((n for n in notes if n.startswith(NOT_NORTH_UP)), None)
    if note is None:  # GCPs whose orientation could not be told (georef.gcp_orientation_note): drawn without a word
        return next((f"drawn as read, orientation unknown: {why}" for n in notes for mark, why in _UNKNOWN_WAY
                     if mark in n), None)
    how = note[len(NOT_NORTH_UP):].split("; ")[0]
    while (plain := re.sub(r" \([^()]*\)", "", how)) != how:  # no "(11°)", no "(transform …)", nor one nested in one:
        how = plain  # "(an affine fitted to its 9 GCPs (with no CRS, taken as longitude and latitude): …)" was left
    return f"drawn as read, not north-up: {how}"


def vis_not_georeferenced(path: str, img, option: str, geojson: str) -> str | None:
    """A note where an overlay of a georeferenced ``img`` is given a GeoTIFF's name (``--vis overlay.tif``): PIL
    writes a plain TIFF, with no map coordinates (nor could it: the title and legend strips and the scaling move its
    pixels), which a GIS would place nowhere, unsaid; ``geojson``: the option that writes the shapes for a GIS."""
    from pathlib import Path

    if Path(path).suffix.lower() not in (".tif", ".tiff") or not img.georeferenced:
        return None
    return (f"{option} {path}: the overlay is a picture with no map coordinates (its title and legend strips and "
            f"its scaling move the pixels), not a GeoTIFF; {geojson} writes the shapes for a GIS")
