"""Reading and band-matching notes said where they are shown: their advice names predict's options
(``--modality sar``, ``--bands R,G,B,NIR``, ``--missing-bands copy or mean``) and, for the bands, a record's field
too (``stem.NAME_BANDS``). On the command line only the option fits (``for_cli``); in a chat, the ``/image`` command
that takes the same words (``for_chat``); in Python, the argument or attribute (``for_python``); in training, the
config key (``for_config``; a record's fields: ``rsvlm.data.records.as_record_fields``).
A question's four pixel numbers where a ``<box>`` belongs: the box to write for them (``pixel_box_hint``).

    for_chat("1 unnamed band taken as VV (name it with --bands, or …)", "vv.tif", "sar")
    # '1 unnamed band taken as VV (name it with /image vv.tif sar NAME,NAME,…)'
"""

from __future__ import annotations

import re
import shlex

# the tail of stem.NAME_BANDS ("--bands" + RECORD_TOO), defined here, where no torch is imported
RECORD_TOO = ', or "bands" in a record\'s image'
LIBRARY_TOO = ", or read_image(..., modality=...)"  # io.band_evidence.elevation_error's advice to a caller of the library
MODALITY = re.compile(r"--modality (\w+)((?: or \w+)*)")  # "--modality sar or ir"
MODALITY_ALONE = re.compile(r"--modality(?! \w)")  # "give the modality (--modality) if it is imagery"
# "--bands B1,B2", "--bands b2,b3,b4" (Landsat's), "name them with --bands"; before one lower-case word it is prose
BANDS = re.compile(r"--bands(?: ([A-Z0-9]\w*(?:,\w+)*|\w+(?:,\w+)+))?")  # ("--bands names them")
FILL = "--missing-bands copy or mean"  # stem.match_bands' way out of a missing band (fill="error")
MISSING_BANDS = re.compile(r"--missing-bands (\w+)((?: or \w+)*)")  # "--missing-bands copy or mean"


def _others(m: re.Match, quote: str = "") -> str:
    """The alternatives after a MODALITY / MISSING_BANDS match's first word: " (or 'ir')"; "" where none."""
    others = [f"{quote}{w}{quote}" for w in re.findall(r"\w+", m[2]) if w != "or"]
    return f" (or {' or '.join(others)})" if others else ""


def for_cli(note: str) -> str:
    """``note`` as predict and chat say it of an ``--image``: the option alone, without the record's field
    or ``read_image``'s argument."""
    return note.replace("--bands" + RECORD_TOO, "--bands").replace("--modality" + LIBRARY_TOO, "--modality")


def for_chat(note: str, path: str, modality: str | None, bands: str | None = None) -> str:
    """``note`` about an image loaded with ``/image path [modality] [bands]`` (``modality``: the one read or
    given, None where unknown; ``bands``: the bands word given, kept where a modality is advised), its
    ``--modality`` / ``--bands`` advice said as the ``/image`` command that takes it."""
    q = shlex.quote(path)

    def modality_said(m: re.Match) -> str:
        return f"/image {q} {m[1]}{f' {bands}' if bands else ''}" + _others(m)

    def bands_said(m: re.Match) -> str:
        return f"/image {q} {modality or '[modality]'} {m[1] or 'NAME,NAME,…'}"

    named = MODALITY.sub(modality_said, for_cli(note))
    named = MODALITY_ALONE.sub(lambda m: f"/image {q} MODALITY{f' {bands}' if bands else ''}", named)
    named = MISSING_BANDS.sub(lambda m: f"rsvlm chat {m[0]}, given when it starts", named)
    return BANDS.sub(bands_said, named)


def for_python(note: str, fill: str = "processor.missing_bands = '{}'") -> str:
    """``note``'s advice to give ``--modality`` / ``--bands`` / ``--missing-bands`` said as the Python argument or
    attribute that takes it: ``ImageInput(..., modality='sar')``, ``ImageInput(..., bands=['VV', 'VH'])``,
    ``fill`` of the fill mode (the processor's attribute, or where no processor reads the image, its call)."""
    def bands(m: re.Match) -> str:
        return "ImageInput(..., bands=[" + (", ".join(f"'{b}'" for b in m[1].split(",")) if m[1] else "...") + "])"

    note = for_cli(note)
    note = MODALITY.sub(lambda m: f"ImageInput(..., modality='{m[1]}')" + _others(m, "'"), note)
    note = MISSING_BANDS.sub(lambda m: fill.format(m[1]) + _others(m, "'"), note)
    return BANDS.sub(bands, MODALITY_ALONE.sub("ImageInput(..., modality=...)", note))


def for_config(note: str) -> str:
    """``note``'s advice to give ``--missing-bands`` said as training's config key (``data.missing_bands: copy``);
    its ``--modality`` / ``--bands`` advice is a record's field, said by ``rsvlm.data.records.as_record_fields``."""
    return MISSING_BANDS.sub(lambda m: f"data.missing_bands: {m[1]}{_others(m)} in the training config", note)


def pixel_box_hint(question: str, img) -> str:
    """Where ``question`` holds four numbers X1,Y1,X2,Y2 that fit ``img`` (a pair's later image, whose
    pixels shapes are read in) as pixels, as ``predict --region`` takes them: the box to write for them
    ("; 10,10,50,50 as pixels of a.tif (600x600) is <box>…</box>"); "" otherwise."""
    from rsvlm import inference as inf  # here: inference imports rsvlm.data, whose records import this module

    num = r"(\d+(?:\.\d+)?)"
    if not (m := re.search(rf"(?<![\w.]){num}\s*,\s*{num}\s*,\s*{num}\s*,\s*{num}(?!\w|\.\d)", question)):
        return ""
    if not (box := inf.pixel_box(list(map(float, m.groups())), img)):
        return ""
    w, h = inf.scene_wh(img)
    return f"; {m.group(0)} as pixels of {inf.image_label(img)} ({w}x{h}) is {box}"
