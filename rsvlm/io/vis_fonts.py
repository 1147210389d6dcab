"""The fonts an overlay (``rsvlm.io.vis``) writes its labels, legend and title in: a system font that has their
characters (DejaVu Sans, Noto, Arial …; Noto CJK, WenQuanYi, Microsoft YaHei … for Chinese, Japanese, Korean), else
Pillow's own (ASCII), each text in the first that draws all of it (``fit``).

Cannot: download a font; a character no font found has is drawn unaccented ("é" → "e") or as its code ("U+5EFA").
"""

from __future__ import annotations

import contextlib
import functools

# fonts looked up by file name where the system keeps them (PIL's truetype search): one with accents, Greek and
# Cyrillic first, then ones with Chinese, Japanese and Korean; Pillow's own (ASCII only) where none is found
FONT_FILES = ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "Arial Unicode.ttf", "arial.ttf", "Arial.ttf",
              "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "wqy-microhei.ttc", "wqy-zenhei.ttc",
              "msyh.ttc", "PingFang.ttc", "AppleSDGothicNeo.ttc")


@functools.cache
def font_paths() -> tuple[str, ...]:
    """Where the fonts of ``FONT_FILES`` lie on this system, those found: looked up once (each name not found
    walks the system's font folders)."""
    from PIL import ImageFont

    found = []
    for name in FONT_FILES:
        with contextlib.suppress(OSError):  # not on this system (or no FreeType)
            found.append(ImageFont.truetype(name, 12).path)
    return tuple(dict.fromkeys(found))  # "Arial Unicode.ttf" may be found as a Latin and as a CJK font


def label_fonts(size: int) -> list:
    """The fonts a label may be drawn in, at ``size`` px: those of ``FONT_FILES`` found, else Pillow's default."""
    from PIL import ImageFont

    found = [ImageFont.truetype(path, size) for path in font_paths()]
    if not found:
        try:
            found.append(ImageFont.load_default(size=size))
        except TypeError:  # Pillow built without FreeType
            found.append(ImageFont.load_default())
    return found


def lacks(font, ch: str, notdef: dict) -> bool:
    """Whether ``font`` draws ``ch`` as its missing-glyph box (the glyph of an unassigned code point); ASCII never.
    A bitmap font (Pillow's own without FreeType, or before 10.1) lacks every other: it raised UnicodeEncodeError."""
    from PIL import ImageFont

    if ch < "\x80":
        return False
    if not isinstance(font, ImageFont.FreeTypeFont):
        return True
    if ch.isspace():
        return False
    if font not in notdef:
        notdef[font] = bytes(font.getmask("\U0010fffd"))
    return bytes(font.getmask(ch)) == notdef[font]


def fit(text: str, fonts: list, notdef: dict) -> tuple:
    """(font, text): the first of ``fonts`` that draws every character of ``text``; else the first, each character
    it lacks written as its unaccented letter ("é" → "e") or its code ("U+5EFA"). Was: Pillow's default font drew
    "é" and "建筑" as boxes, so two labels in Chinese looked alike."""
    if text.isascii():
        return fonts[0], text
    for font in fonts:
        if not any(lacks(font, ch, notdef) for ch in text):
            return font, text
    import unicodedata

    out, coded = "", False  # coded: the last character was written as its code
    for ch in text:
        was, ch = ch, (unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
                       if lacks(fonts[0], ch, notdef) else ch)
        code = not ch and not unicodedata.combining(was)  # a lone accent mark no font has: dropped
        if code:  # codes one apart: U+5EFA U+7B51 (was run together past 4 digits: U+1F600U+1F601)
            ch = (" " if coded else "") + f"U+{ord(was):04X}"
        out, coded = out + ch, code
    return fonts[0], out
