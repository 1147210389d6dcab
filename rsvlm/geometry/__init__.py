"""The geometry-token codec: shapes <-> ``<ref>/<box>/<obb>/<point>/<poly>/<mask>`` text.

    from rsvlm import geometry
    text = geometry.encode([{"kind": "box", "label": "ship", "coords": [x1, y1, x2, y2]}], width=W, height=H)
    parsed = geometry.decode(text, width=W, height=H)   # .objects, .problems, .text

The grammar, canonical orders and the grid run-length mask form are documented in
docs/geometry.md and in the docstrings of ``codec``, ``shapes`` and ``grid``.
"""

from rsvlm.geometry.codec import KINDS, Decoded, decode, encode
from rsvlm.geometry.masks import (
    DEFAULT_MASK_BUDGET,
    DEFAULT_MASK_FORM,
    MASK_FORMS,
    mask_iou,
    mask_offset,
    mask_to_objects,
    objects_to_mask,
)
from rsvlm.geometry.shapes import (
    box_iou,
    canonical_quad,
    canonical_ring,
    dequantize,
    object_ring,
    ordered_box,
    polygon_iou,
    quantize,
    rbox_to_quad,
    untangle_quad,
)

__all__ = [
    "KINDS", "Decoded", "decode", "encode", "quantize", "dequantize", "rbox_to_quad", "canonical_quad", "untangle_quad",
    "canonical_ring", "object_ring", "ordered_box", "mask_to_objects", "objects_to_mask", "mask_offset", "box_iou", "polygon_iou", "mask_iou",
    "DEFAULT_MASK_FORM", "DEFAULT_MASK_BUDGET", "MASK_FORMS",
]
