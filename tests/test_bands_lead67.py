"""Stop 67, lead: Sentinel-2's B8A stands in for a missing B08 when missing bands may be filled."""
import pytest

from rsvlm.model.stem import StemConfig, match_bands


@pytest.mark.parametrize("want, fill", [(["B02", "B03", "B04", "B08"], "copy"), (["B02", "B03", "B04", "B08"], "mean"),
                                        (["R", "G", "B", "NIR"], "copy")])
def test_b8a_stands_in_for_a_missing_b08_where_bands_may_be_filled(want, fill):
    """B02, B03, B04 and B8A for a B08 stem: B8A was left out as 'none of the model's bands' and B08 filled
    from B04 (red) or the training mean, though B8A (865 nm) is the NIR next to B08 (842 nm)."""
    m = match_bands(StemConfig(bands=want), ["B02", "B03", "B04", "B8A"], 4, fill=fill)
    assert m.index[3] == 3 and not m.copy_from, m
    assert f"B8A stands in for {want[3]}" in " ".join(m.notes) and "left out" not in " ".join(m.notes), m.notes


def test_b8a_is_no_b08_unless_missing_bands_may_be_filled_or_b08_is_there():
    """Without a fill the missing B08 is still refused (give B08); with B08 given, B8A is not taken for it."""
    cfg = StemConfig(bands=["B02", "B03", "B04", "B08"])
    with pytest.raises(ValueError, match=r"missing \['B08'\]"):
        match_bands(cfg, ["B02", "B03", "B04", "B8A"], 4)
    m = match_bands(cfg, ["B02", "B03", "B04", "B08", "B8A"], 5, fill="copy")
    assert m.index == [0, 1, 2, 3] and not any("stands in" in n for n in m.notes), m.notes
