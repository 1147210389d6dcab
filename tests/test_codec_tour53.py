"""Rough edges of the geometry codec, the decoding grammar and sampling (tour 53)."""

from __future__ import annotations

import pytest

from rsvlm import geometry


# ---------------------------------------------------------------- zero-padded locations


@pytest.mark.parametrize("loc", ["<loc_01>", "<loc_000>", "<loc_0999>"])
def test_a_zero_padded_location_is_no_token_and_is_reported(loc):
    # was: <loc_01> read as bin 1; the tokenizer has no such token, so the model never writes it
    d = geometry.decode(f"<ref>ship</ref><box>{loc}<loc_10><loc_20><loc_20></box>", 100, 100)
    assert d.objects == [] and any(loc in p and "not a location token" in p for p in d.problems)
    assert geometry.decode("<point><loc_0><loc_0></point>", 9, 9).problems == []  # <loc_0> itself is one


# ---------------------------------------------------------------- a "<" that is text


@pytest.mark.parametrize("text", ["the ship is smaller than <", "a < b", "a <", "<3 harbours", "a <b> tag"])
def test_a_lone_less_than_sign_is_text_not_a_cut_tag(text):
    d = geometry.decode(text, 10, 10)
    assert d.problems == [] and d.text == text  # was: "text ends inside a tag: '<'"


@pytest.mark.parametrize("tail", ["<re", "</", "</bo", "<loc_", "<loc_1", "<loc_99", "<po", "<ro"])
def test_text_ending_on_the_start_of_a_real_tag_is_still_reported(tail):
    assert geometry.decode(f"one ship {tail}", 10, 10).problems == [f"text ends inside a tag: {tail!r}"]


@pytest.mark.parametrize("tail", ["<loc_1000", "<loc_01", "<locx"])
def test_a_tail_no_token_starts_with_is_text(tail):
    assert geometry.decode(f"one ship {tail}", 10, 10).problems == []
