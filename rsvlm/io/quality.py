"""Landsat quality and ancillary band files, which hold no image: bit flags (``…_QA_PIXEL.TIF``, Collection 1's
``…_pixel_qa.tif``, ``…_BQA.TIF``) or surface-temperature by-products (``…_ST_QA.TIF``: an uncertainty, not a
temperature). ``modality.guess_modality`` refuses them unless a modality is given."""

from __future__ import annotations

import re
from pathlib import Path

from rsvlm.io.products import landsat_mission

# bit flags: Collection 2's, Collection 1's (its BQA; ESPA's pixel_qa, radsat_qa, sr_aerosol, sr_cloud_qa)
LANDSAT_QA = re.compile(r"_(QA_PIXEL|QA_RADSAT|SR_QA_AEROSOL|QA_AEROSOL|SR_CLOUD_QA|BQA|PIXEL_QA|RADSAT_QA|SR_AEROSOL)$")
# Collection 2 Level-2's surface-temperature ancillary bands: no temperature (ST_QA had been read as thermal)
LANDSAT_ST_AUX = {"ST_QA": "the surface temperature's uncertainty (K × 0.01), not a temperature",
                  "ST_EMIS": "emissivity (× 0.0001)", "ST_EMSD": "the emissivity's standard deviation (× 0.0001)",
                  "ST_ATRAN": "atmospheric transmittance (× 0.0001)", "ST_CDIST": "the distance to cloud (km × 0.01)",
                  "ST_TRAD": "thermal radiance (× 0.001)", "ST_URAD": "upwelled radiance (× 0.001)",
                  "ST_DRAD": "downwelled radiance (× 0.001)"}
LANDSAT_ST_AUX_NAME = re.compile(rf"_({'|'.join(LANDSAT_ST_AUX)})$")


def landsat_qa(p: Path) -> str | None:
    """The quality or ancillary band a Landsat Collection band file is (``…_QA_PIXEL.TIF`` → ``QA_PIXEL``: bit flags
    for fill, cloud, shadow, snow, saturation; ``…_ST_QA.TIF`` → ``ST_QA``: ``LANDSAT_ST_AUX``; no image); None for
    any other file."""
    stem = p.stem.upper()
    m = LANDSAT_QA.search(stem) or LANDSAT_ST_AUX_NAME.search(stem)
    return m.group(1) if m and landsat_mission(p) else None


def qa_what(q: str) -> str:
    """What a ``landsat_qa`` band holds, said in its refusal: bit flags, or an ``LANDSAT_ST_AUX`` quantity."""
    if q in LANDSAT_ST_AUX:
        return f"a Landsat surface-temperature ancillary band ({q}): {LANDSAT_ST_AUX[q]}"
    return f"a Landsat quality band ({q}): bit flags saying what each pixel is (fill, cloud, shadow, saturation …)"


def qa_asked(q: str) -> str:
    """What a ``landsat_qa`` band is, in the note of one read with a modality given."""
    if q in LANDSAT_ST_AUX:
        return f"a surface-temperature ancillary band ({q}: {LANDSAT_ST_AUX[q]})"
    return "a quality band (bit flags, not brightness)"


def qa_way_out(p: Path, q: str, siblings: str) -> str:
    """The band files to give instead of ``landsat_qa`` band file ``p`` (``siblings``: two of its product's
    reflectance band files), its surface temperature band too for an ``LANDSAT_ST_AUX`` one (``…_ST_B10.TIF``)."""
    if q not in LANDSAT_ST_AUX:
        return f"{siblings},…"
    st = f"ST_B{10 if landsat_mission(p)[1] == 'oli' else 6}{p.suffix}"
    return f"{siblings},…; its surface temperature: …_{st.lower() if p.stem.islower() else st}"
