"""Landsat and Sentinel-2 quality and ancillary band files, which hold no image: bit flags (``…_QA_PIXEL.TIF``,
Collection 1's ``…_pixel_qa.tif``, ``…_BQA.TIF``), surface-temperature by-products (``…_ST_QA.TIF``: an uncertainty,
not a temperature), Sentinel-2 Level-2A's classes and retrievals (``…_SCL_20m.jp2``, ``AOT``, ``WVP``,
``MSK_CLDPRB_20m.jp2``), ESPA's Collection 1 ancillary bands (``…_sr_atmos_opacity.tif``, sun and sensor angles).
``modality.guess_modality`` refuses them unless a modality is given."""

from __future__ import annotations

import re
from pathlib import Path

from rsvlm.io.products import landsat_mission, sibling_bands

# bit flags: Collection 2's, Collection 1's (its BQA; ESPA's pixel_qa, radsat_qa, sr_aerosol, sr_cloud_qa)
LANDSAT_QA = re.compile(r"_(QA_PIXEL|QA_RADSAT|SR_QA_AEROSOL|QA_AEROSOL|SR_CLOUD_QA|BQA|PIXEL_QA|RADSAT_QA|SR_AEROSOL)$")
ESPA_QA = {"PIXEL_QA", "RADSAT_QA", "SR_AEROSOL", "SR_CLOUD_QA"}  # those ESPA names (beside its …_sr_band4.tif)
# Collection 2 Level-2's surface-temperature ancillary bands: no temperature (ST_QA had been read as thermal)
LANDSAT_ST_AUX = {"ST_QA": "the surface temperature's uncertainty (K × 0.01), not a temperature",
                  "ST_EMIS": "emissivity (× 0.0001)", "ST_EMSD": "the emissivity's standard deviation (× 0.0001)",
                  "ST_ATRAN": "atmospheric transmittance (× 0.0001)", "ST_CDIST": "the distance to cloud (km × 0.01)",
                  "ST_TRAD": "thermal radiance (× 0.001)", "ST_URAD": "upwelled radiance (× 0.001)",
                  "ST_DRAD": "downwelled radiance (× 0.001)"}
LANDSAT_ST_AUX_NAME = re.compile(rf"_({'|'.join(LANDSAT_ST_AUX)})$")
# ESPA's Collection 1 ancillary bands beside its sr_band files: quantities, not brightness (a lone one was guessed
# thermal and stretched as DN)
ESPA_AUX = {"SR_ATMOS_OPACITY": "atmospheric opacity (× 0.001)", "SOLAR_ZENITH": "the sun's zenith angle (° × 100)",
            "SOLAR_AZIMUTH": "the sun's azimuth (° × 100)", "SENSOR_ZENITH": "the sensor's zenith angle (° × 100)",
            "SENSOR_AZIMUTH": "the sensor's azimuth (° × 100)"}
ESPA_AUX_NAME = re.compile(r"_(SR_ATMOS_OPACITY|(?:SOLAR|SENSOR)_(?:ZENITH|AZIMUTH))(?:_BAND\d+)?$")
# Sentinel-2 Level-2A's products beside its bands (a .SAFE's IMG_DATA and QI_DATA, Earth Search's SCL.tif): no
# brightness (an SCL had been read as a thermal frame); CLD / SNW: the older L2A's names of the two probabilities.
# Anchored to the product's naming: the name alone (SCL.tif, MSK_CLDPRB_20m.jp2, AWS's CLD_20m.jp2) or after a tile's
# (T33UUP_20230613T101559_) or a Sentinel-2 product's (S2B_…_) name; coast_scl.tif, harbour_aot.tif are no product
S2_AUX = {"SCL": "scene classification: a class a pixel (cloud, shadow, water, vegetation …)",
          "CLDPRB": "cloud probability (%)", "SNWPRB": "snow probability (%)", "CLD": "cloud probability (%)",
          "SNW": "snow probability (%)", "AOT": "aerosol optical thickness (× 0.001)",
          "WVP": "water vapour (cm × 0.001)"}
S2_TILE = r"(?:L2A_)?T\d{2}[A-Z]{3}_\d{8}T\d{6}_"  # a .SAFE's file names: T33UUP_20230613T101559_SCL_20m.jp2
S2_NAMED = rf"(?:{S2_TILE}|S2[A-D]_\w*_)"  # …, or a product's: S2B_10TES_20230101_0_L2A_SCL.tif
S2_AUX_NAME = re.compile(rf"^{S2_NAMED}?(SCL|AOT|WVP|MSK_(?:CLDPRB|SNWPRB))(?:_[126]0M)?$"
                         rf"|^{S2_NAMED}(CLD|SNW)(?:_[126]0M)?$|^(CLD|SNW)_[126]0M$")

# Planet's usable data mask beside a PlanetScope scene (…_3B_udm2.tif, …_udm2_clip.tif): 8 uint8 bands of flags,
# read as 8-band msi unsaid; known by its name and its 8 uint8 bands (``quality_file``)
PLANET_UDM2 = re.compile(r"_(UDM2?)(?:_CLIP)?$")  # (UDM: the older one-band mask, …_AnalyticMS_DN_udm.tif)
PLANET_AUX = {"UDM2": "8 mask bands, clear, snow, shadow, light haze, heavy haze, cloud (each 0 or 1), confidence "
                      "(%), unusable-data bits", "UDM": "bit flags of unusable pixels (blackfill, cloud, missing data)"}
PLANET_MASK_BANDS = {"UDM2": 8, "UDM": 1}  # the band count of each Planet mask (all uint8)
# the scene's file a mask's name gives: …_3B_udm2.tif: …_3B_AnalyticMS_SR.tif; …_AnalyticMS_DN_udm.tif: …_AnalyticMS.tif
PLANET_SCENE = {"UDM2": (r"udm2", "AnalyticMS_SR"), "UDM": (r"(_DN)?_udm", "")}


def quality_file(p: Path, bands: int, dtype: str) -> str | None:
    """``quality_band`` of file ``p`` where its ``bands`` (read, alpha left out) and ``dtype`` fit what it holds: one
    band (an RGB photo named ``…_SCL.png`` is none), or Planet's UDM2's 8 of uint8 (``PLANET_MASK_BANDS``); None else."""
    if (m := PLANET_UDM2.search(p.stem.upper())) and bands == PLANET_MASK_BANDS[m[1]] and dtype == "uint8":
        return m[1]
    return quality_band(p) if bands == 1 else None


def mask_among_bands(p: Path, bands: int, dtype: str) -> str | None:
    """The refusal of file ``p`` given among band files where it is a Planet mask (``quality_file`` of its ``bands``
    and ``dtype``: a UDM2's 8 bands had been told to be cut to one band, a UDM's uint8 to be written as the others'
    dtype); None for any other file."""
    q = quality_file(p, bands, dtype)
    if q not in PLANET_AUX:
        return None
    return f"{p}: {qa_what(q)}, not an image; give the scene's image ({qa_way_out(p, q)}) alone, without it"


def quality_band(p: Path) -> str | None:
    """The quality or ancillary band a Landsat Collection band file is (``…_QA_PIXEL.TIF`` → ``QA_PIXEL``: bit flags
    for fill, cloud, shadow, snow, saturation; ``…_ST_QA.TIF`` → ``ST_QA``: ``LANDSAT_ST_AUX``; ESPA's
    ``…_sr_atmos_opacity.tif``: ``ESPA_AUX``), or a Sentinel-2 Level-2A product file (``…_SCL_20m.jp2`` → ``SCL``:
    ``S2_AUX``); no image. None for any other file."""
    stem = p.stem.upper()
    m = LANDSAT_QA.search(stem) or LANDSAT_ST_AUX_NAME.search(stem) or ESPA_AUX_NAME.search(stem)
    if m and landsat_mission(p):
        return m.group(1)
    m = S2_AUX_NAME.search(stem)  # Sentinel-2's: SCL, AOT, WVP, CLDPRB (MSK_CLDPRB_20m.jp2) …
    return m and next(g for g in m.groups() if g).removeprefix("MSK_")


# what each table's bands are, as a refusal says it (``qa_what``): a quantity each, not bit flags
_KINDS = ((LANDSAT_ST_AUX, "a Landsat surface-temperature ancillary band"), (S2_AUX, "a Sentinel-2 Level-2A product"),
          (ESPA_AUX, "a Landsat ancillary band"), (PLANET_AUX, "a Planet usable data mask"))


def _quantity(q: str) -> tuple[str, str] | None:
    """(what kind of band, what it holds) of a ``quality_band`` band holding a quantity (``_KINDS``); None for bit flags."""
    return next(((kind, table[q]) for table, kind in _KINDS if q in table), None)


def qa_what(q: str) -> str:
    """What a ``quality_band`` band holds, said in its refusal: bit flags, or a quantity (``LANDSAT_ST_AUX``,
    ``S2_AUX``, ``ESPA_AUX``)."""
    if found := _quantity(q):
        return f"{found[0]} ({q}): {found[1]}"
    return f"a Landsat quality band ({q}): bit flags saying what each pixel is (fill, cloud, shadow, saturation …)"


def qa_asked(q: str) -> str:
    """What a ``quality_band`` band is, in the note of one read with a modality given."""
    if found := _quantity(q):
        kind = found[0].replace("a Landsat ancillary", "an ancillary").replace("a Landsat ", "a ")
        return f"{kind} ({q}: {found[1]})"
    return "a quality band (bit flags, not brightness)"


def qa_way_out(p: Path, q: str) -> str:
    """The band files to give instead of ``quality_band`` file ``p``: two of its product's reflectance band files
    (``products.sibling_bands``; Sentinel-2's ``…_B02_10m.jp2``; ESPA's ``…_sr_band2.tif``), its surface temperature band too for an
    ``LANDSAT_ST_AUX`` one (``…_ST_B10.TIF``); Planet's scene file for a UDM2 (``…_3B_AnalyticMS_SR.tif``) or UDM."""
    if q in PLANET_SCENE:
        return re.sub(*PLANET_SCENE[q], p.name, count=1, flags=re.I)
    if q in S2_AUX:
        tiled, named = re.match(S2_TILE, p.stem, re.I), re.match(S2_NAMED, p.stem, re.I)
        return ",".join(f"…_B0{n}_10m{p.suffix}" if tiled else f"…_B0{n}{p.suffix}" if named else f"B0{n}{p.suffix}"
                        for n in (2, 3)) + ",…"
    if q in ESPA_QA or q in ESPA_AUX:  # ESPA's band files (…_sr_band4.tif), not USGS's
        return f"…_sr_band2{p.suffix},…_sr_band3{p.suffix},…"
    siblings = sibling_bands(p)
    if q not in LANDSAT_ST_AUX:
        return f"{siblings},…"
    st = f"ST_B{10 if landsat_mission(p)[1] == 'oli' else 6}{p.suffix}"
    return f"{siblings},…; its surface temperature: …_{st.lower() if p.stem.islower() else st}"
