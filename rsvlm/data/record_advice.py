"""A reading note's advice said as a record's fields: ``rsvlm predict``'s ``--modality`` and ``--bands`` (options
rsvlm eval and training have not) as the record's ``"modality"`` and ``"bands"``. Text rewriting alone: it cannot
tell a note that names neither option (kept as it is)."""

from __future__ import annotations

import re

from rsvlm.advice import BANDS, MODALITY, MODALITY_ALONE, RECORD_TOO, for_cli

# rsvlm predict's options, which reading's notes advise; a record says them in its images
_FLAGS = [(MODALITY,  # "--modality sar or ir"
           lambda m: '"modality": ' + " or ".join(f'"{w}"' for w in re.findall(r"\w+", m[0])[1:] if w != "or")),
          (BANDS,  # "--bands B1,B2", "with --bands if not"
           lambda m: '"bands"' + (": [" + ", ".join(f'"{b}"' for b in m[1].split(",")) + "]" if m[1] else ""))]


def as_record_fields(note: str) -> str:
    """A reading note with its advice to give ``--modality`` or ``--bands`` (rsvlm predict's options,
    which rsvlm eval and training have not) said as the record's ``"modality"`` / ``"bands"``; the stem's hint
    that names both (``stem.NAME_BANDS``) and a DEM's or mask's ``read_image`` advice say the record's field alone."""
    # stem.NAME_BANDS as the field alone; advice.for_cli drops a DEM's, a mask's ", or read_image(…)"
    note = for_cli(note.replace("--bands" + RECORD_TOO, '"bands" in the record\'s image'))
    for pattern, said in _FLAGS:
        note = pattern.sub(lambda m, said=said: said(m) + " in the record", note)
    return MODALITY_ALONE.sub('a "modality" in the record\'s image', note)  # "give the modality (--modality)"
