"""Reading and band-matching notes said where they are shown: their advice names predict's options
(``--modality sar``, ``--bands R,G,B,NIR``) and, for the bands, a record's field too (``stem.NAME_BANDS``).
On the command line only the option fits; in a chat, the ``/image`` command that takes the same words.
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
BANDS = re.compile(r"--bands(?: ([A-Z0-9]\w*(?:,\w+)*))?")  # "--bands B1,B2", "name them with --bands"


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
        others = [w for w in re.findall(r"\w+", m[2]) if w != "or"]
        return f"/image {q} {m[1]}{f' {bands}' if bands else ''}" + (f" (or {' or '.join(others)})" if others else "")

    def bands_said(m: re.Match) -> str:
        return f"/image {q} {modality or '[modality]'} {m[1] or 'NAME,NAME,…'}"

    named = MODALITY.sub(modality_said, for_cli(note))
    named = MODALITY_ALONE.sub(lambda m: f"/image {q} MODALITY{f' {bands}' if bands else ''}", named)
    return BANDS.sub(bands_said, named)


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
