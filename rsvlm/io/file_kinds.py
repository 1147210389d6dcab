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
# an ISO media file's major brand (bytes 8-12, after "ftyp", compared lower-case) → its kind; a brand not here is
# said by name (``ISO_MEDIA``): a Canon CR3 raw ("crx "), an audio file ("M4A ") had been called "MP4/MOV video".
# HEIF's brands (ISO/IEC 23008-12) by codec, image then sequence: HEVC (heic heix heim heis, hevc hevx hevm hevs), any
# (mif1 mif2, msf1), AVC (avci avcs), JPEG (jpeg jpgs), JPEG 2000 (j2ki j2is), VVC (vvic vvis); AVIF's avif avio avis
FTYP_BRANDS = {**dict.fromkeys(("heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"), "HEIC"),
               **dict.fromkeys(("mif1", "mif2", "msf1", "avci", "avcs", "jpeg", "jpgs", "j2ki", "j2is", "vvic",
                                "vvis"), "HEIF"),
               **dict.fromkeys(("avif", "avio", "avis"), "AVIF")}
VIDEO = "MP4/MOV video"
# cameras' own video brands (ExifTool's list): Canon "CAEP", Casio "caqv", Panasonic "pana", Sony MQV "mqt ", SD
# card video "sdv " (a Motion JPEG 2000 file starts with JPEG 2000's signature box, its "mjp2" brand after it)
VIDEO_BRANDS = frozenset({"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9", "mp41", "mp42",
                          "mp71", "avc1", "qt", "m4v", "m4vh", "m4vp", "3gp4", "3gp5", "3gp6", "3gp7", "3gg6",
                          "3g2a", "3g2b", "3g2c", "dash", "f4v", "mmp4", "msnv", "xavc", "caep", "caqv", "pana",
                          "mqt", "sdv"})
ISO_MEDIA = "ISO base media file"  # held_format's "ISO base media file (brand 'crx ')" starts so
UNREAD = ("HEIC", "HEIF", VIDEO, "PDF")  # kinds no reader here reads (AVIF where PIL has no AVIF), and ``ISO_MEDIA``'s


def unread(held: str | None) -> bool:
    """Whether ``held`` (``held_format``'s) is a kind no reader here reads: ``UNREAD``'s or an ISO media file of a
    brand not known here."""
    return held in UNREAD or (held or "").startswith(ISO_MEDIA)


def _brand(raw: bytes) -> str:
    """An ISO media brand as said: its four characters where printable ASCII, else their hex bytes."""
    return raw.decode("ascii") if all(32 <= b < 127 for b in raw) else raw.hex(" ")


def held_format(path) -> str | None:
    """The format ``path``'s first bytes start: ``MAGIC``'s (TIFF, PNG, JPEG, JPEG 2000, GIF, PDF), BMP, WebP, or an
    ISO media file's (HEIC, HEIF, AVIF, ``VIDEO`` for a video brand, else "ISO base media file (brand 'crx ')");
    None where they start none of these or it is no file here (a GDAL archive path, a URL). The major brand alone is
    read: a file whose compatible brands alone say HEIF is named by its major brand."""
    try:
        with open(path, "rb") as f:
            start = f.read(16)
    except (OSError, ValueError):
        return None
    if start[4:8] == b"ftyp":
        brand = start[8:12].decode("latin-1").strip().lower()
        if brand in FTYP_BRANDS:
            return FTYP_BRANDS[brand]
        return VIDEO if brand in VIDEO_BRANDS else f"{ISO_MEDIA} (brand '{_brand(start[8:12])}')"
    if start[:4] == b"RIFF" and start[8:12] == b"WEBP":
        return "WebP"
    if start[:2] == b"BM" and len(start) >= 14 and start[6:10] == b"\x00" * 4:  # its two reserved words are zero
        return "BMP"
    return next((fmt for magic, fmt in MAGIC if start.startswith(magic)), None)


def unread_kind(path) -> str | None:
    """What to say of ``path`` (which GDAL and PIL would not read) where its first bytes are of a kind no reader here
    reads: HEIC/HEIF (AVIF where this PIL has no AVIF), a video, another ISO media file, a PDF (GDAL's PDF driver
    here writes, not reads), with a command converting it; None otherwise. Named as given: "a HEIC named .jpg" where
    its name says another."""
    held = held_format(path)
    if held == "AVIF":
        from PIL import features

        if "avif" in features.get_supported_modules():  # PIL reads it: a damaged one is said so, its kind added
            # (check("avif") warned "Unknown feature 'avif'" on stderr under a pillow older than 11.2, pyproject's >=10)
            return None
    if not unread(held) and held != "AVIF":
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
    if held.startswith(ISO_MEDIA):  # no brand known here: what it holds (a raw photo, audio, a video) is unsaid
        return (f"{p}: an {held}{named}, which neither GDAL nor PIL here reads (not a video or HEIF/AVIF brand "
                "known here); give the image it holds as a GeoTIFF, PNG or JPEG")
    if held == "PDF":  # pdftoppm adds .png: scan.png's own name would be written over the PDF it reads
        page = p.with_name(f"{p.stem}-page") if suffix == ".png" else p.with_suffix("")
        return (f"{p}: a PDF{named}, not an image (GDAL here does not read PDFs); give the image it was made from, or "
                f"render its page (e.g. pdftoppm -png -r 300 -singlefile {given} {shlex.quote(str(page))})")
    kind = f"an AVIF{named} (an AV1 photo format)" if held == "AVIF" else f"a {held}{named} (a phone's photo format)"
    return (f"{p}: {kind}, which neither GDAL nor PIL here reads: convert it (e.g. magick {given} {out}) and give the "
            "converted file")
