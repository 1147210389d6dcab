"""The words an overlay (``rsvlm.io.vis``) draws besides its caller's title: each object's label, and a title line
naming the bands drawn as red, green and blue."""

from __future__ import annotations


def object_text(obj: dict) -> str:
    """``obj``'s label as drawn on it: its label and score (``ship 0.91``); an unlabelled one's score alone, and ""
    (no label drawn) where it has neither, as ``tables.objects_table``'s label column says "-". Was its kind
    ("box 0.06"), which read as a class the table did not give."""
    from rsvlm.io.vis_objects import _label_text
    from rsvlm.tables import score_text

    text = _label_text(obj.get("label"), "")
    return text if obj.get("score") is None else f"{text} {score_text(obj['score'])}".lstrip()


def titled(title: str | None, img, rgb_bands) -> str | None:
    """``title`` with a last line naming the bands of ``img`` that ``rgb_bands`` draws as red, green and blue, by the
    image's own names (``b08,b04,b03`` asked of a Sentinel-2 image: ``drawn in B08,B04,B03 as red, green, blue``);
    ``title`` as it is where ``rgb_bands`` is None (the image's own colours). A false-colour overlay said nothing of
    its bands: vegetation red read as a red roof."""
    if rgb_bands is None:
        return title
    from rsvlm.io.vis import _display_bands

    line = f"drawn in {','.join(str(img.bands[i]) for i in _display_bands(img, rgb_bands))} as red, green, blue"
    return f"{title}\n{line}" if title else line
