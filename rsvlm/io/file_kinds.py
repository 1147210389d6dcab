"""What a file is, told from its first bytes whatever its name (``held_format``), and what to say of a file of a kind
no reader here reads (``unread_kind``): a HEIC photo, a video, a PDF named ``.jpg`` had been told "truncated or
corrupt; get a whole copy", though whole. First bytes cannot tell a cut file from a whole one: a damaged file of a
kind the readers do read is still said to be damaged, its kind added (``pil_source.with_misnamed``)."""

from __future__ import annotations

import shlex
from pathlib import Path

# a file's first bytes → the format they start (a damaged file's format is said from them, as GDAL or PIL could not)
MAGIC = ((b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"II+\x00", "TIFF"), (b"MM\x00+", "TIFF"),
         (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
         (b"\xffO\xffQ", "JPEG 2000"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"%PDF", "PDF"))
# an ISO media file's major brand (bytes 8-12, after "ftyp") → its kind; other brands (isom, mp42, qt) are video
FTYP_BRANDS = {"heic": "HEIC", "heix": "HEIC", "heim": "HEIC", "heis": "HEIC", "hevc": "HEIC", "hevx": "HEIC",
               "mif1": "HEIF", "msf1": "HEIF", "avif": "AVIF", "avis": "AVIF"}
VIDEO = "MP4/MOV video"
UNREAD = ("HEIC", "HEIF", VIDEO, "PDF")  # kinds no reader here reads (AVIF where PIL has no AVIF)


def held_format(path) -> str | None:
    """The format ``path``'s first bytes start: ``MAGIC``'s (TIFF, PNG, JPEG, JPEG 2000, GIF, PDF), BMP, WebP, or an
    ISO media file's (HEIC, HEIF, AVIF, else ``VIDEO``); None where they start none of these or it is no file here
    (a GDAL archive path, a URL)."""
    try:
        with open(path, "rb") as f:
            start = f.read(16)
    except (OSError, ValueError):
        return None
    if start[4:8] == b"ftyp":
        return FTYP_BRANDS.get(start[8:12].decode("latin-1").strip().lower(), VIDEO)
    if start[:4] == b"RIFF" and start[8:12] == b"WEBP":
        return "WebP"
    if start[:2] == b"BM" and len(start) >= 14 and start[6:10] == b"\x00" * 4:  # its two reserved words are zero
        return "BMP"
    return next((fmt for magic, fmt in MAGIC if start.startswith(magic)), None)


def unread_kind(path) -> str | None:
    """What to say of ``path`` (which GDAL and PIL would not read) where its first bytes are of a kind no reader here
    reads: HEIC/HEIF (AVIF where this PIL has no AVIF), a video, a PDF (GDAL's PDF driver here writes, not reads),
    with a command converting it; None otherwise. Named as given: "a HEIC named .jpg" where its name says another."""
    held = held_format(path)
    if held == "AVIF":
        from PIL import features

        if "avif" in features.get_supported_modules():  # PIL reads it: a damaged one is said so, its kind added
            # (check("avif") warned "Unknown feature 'avif'" on stderr under a pillow older than 11.2, pyproject's >=10)
            return None
    if held not in (*UNREAD, "AVIF"):
        return None
    p = Path(str(path))
    suffix = p.suffix.lower()
    named = "" if suffix in (f".{held.lower()}", ".heif", ".heic", ".mp4", ".mov", ".m4v") else \
        f" named {p.suffix}" if p.suffix else " without a suffix"
    out = shlex.quote(str(p.with_name(f"{p.stem}{'.tif' if suffix == '.png' else '.png'}")))
    given = shlex.quote(str(p))
    if held == VIDEO:
        return (f"{p}: an {held}{named}, not an image; take a frame from it (e.g. ffmpeg -i {given} -frames:v 1 "
                f"{out}) and give that")
    if held == "PDF":  # pdftoppm adds .png: scan.png's own name would be written over the PDF it reads
        page = p.with_name(f"{p.stem}-page") if suffix == ".png" else p.with_suffix("")
        return (f"{p}: a PDF{named}, not an image (GDAL here does not read PDFs); give the image it was made from, or "
                f"render its page (e.g. pdftoppm -png -r 300 -singlefile {given} {shlex.quote(str(page))})")
    kind = f"an AVIF{named} (an AV1 photo format)" if held == "AVIF" else f"a {held}{named} (a phone's photo format)"
    return (f"{p}: {kind}, which neither GDAL nor PIL here reads: convert it (e.g. magick {given} {out}) and give the "
            "converted file")
