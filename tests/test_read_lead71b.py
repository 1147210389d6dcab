"""Stop 71's lead: a reading note's wording."""

from __future__ import annotations

from rsvlm.io import quality


def test_an_espa_ancillary_band_read_as_asked_is_an_ancillary_band():
    # 'a Landsat ancillary band' lost its 'Landsat' as the note's others do and read "a ancillary band"
    assert quality.qa_asked("SR_ATMOS_OPACITY").startswith("an ancillary band (SR_ATMOS_OPACITY: atmospheric opacity")
    assert quality.qa_asked("ST_QA").startswith("a surface-temperature ancillary band (ST_QA: ")
