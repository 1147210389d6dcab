"""Tour 82 (F) of the geometry grammar and config lines.

``decode("<bbox>12, 13, 40, 50</bbox>")`` (another tool's box, plain numbers) gave no object and no problem, so an
eval answer or converted record of it read as "nothing there", unsaid; in ``<box>12, 13, 40, 50</box>`` the numbers were
said only as text the box "contains". Both now say the numbers are no location tokens, the first with the tag it may
mean and the tokens that tag takes. A misspelt ``<bx>`` after a zero-padded ``<loc_007>`` line still names ``<box>`` in
its place, and ``config_bases.key_line`` finds a key, not a longer one it prefixes (``lr`` beside ``lr_min``).
"""
from __future__ import annotations

import pytest

from rsvlm import geometry
from rsvlm.config_bases import key_line
from rsvlm.geometry.wording import numbers_only, plain_numbers


@pytest.mark.parametrize("text, meant, takes", [
    ("<bbox>12, 13, 40, 50</bbox>", "box", "4"), ("<ref>ship</ref> <bbox>[12, 13, 40, 50]</bbox>", "box", "4"),
    ("<rbox>1 2 3 4 5 6 7 8</rbox>", "obb", "8"), ("<polygon>(1,2),(3,4),(5,6)</polygon>", "poly", "pairs of"),
    ("<pt>0.5, 0.25</pt>", "point", "2"), ("<Bbox>-3, 4, 5, 6</Bbox>", "box", "4")])
def test_plain_numbers_in_another_tools_tag_are_said_with_the_tokens_to_write(text, meant, takes):
    dec = geometry.decode(text, 100, 100)
    assert dec.objects == []
    start = text[text.index("<", text.index("</ref>") + 1 if "</ref>" in text else 0):]
    assert dec.problems == [f"{start} holds plain numbers, not location tokens: no shape read from it (<{meant}> takes "
                            f"{takes} <loc_N>, N = floor(x * 1000 / width) for an x, by height for a y)"]


def test_each_such_shape_is_said_and_a_long_one_cut():
    text = "<bbox>1, 2, 3, 4</bbox> and <quad>" + ", ".join(["123.456"] * 8) + "</quad>"
    first, second = geometry.decode(text, 100, 100).problems
    assert first.startswith("<bbox>1, 2, 3, 4</bbox> holds plain numbers")
    assert second.startswith("<quad>123.456") and "…" in second[:61] and "(<obb> takes 8 <loc_N>" in second


@pytest.mark.parametrize("text", ["<b>12, 13</b>", "<td>3</td>", "<bbox>a ship</bbox>", "<bbox>12, 13, 40, 50</rect>",
                                  "<bbox></bbox>", "12, 13, 40, 50", "<ref>ship</ref> 3 of them"])
def test_numbers_in_no_shapes_tag_or_words_in_one_are_no_problem(text):
    assert geometry.decode(text, 100, 100).problems == [] and plain_numbers(text) == []


def test_a_tag_in_capitals_holding_numbers_is_said_once_as_a_cased_tag():
    problems = geometry.decode("<BOX>12, 13, 40, 50</BOX>", 100, 100).problems
    assert problems == ["<BOX> is no tag: tags are lower case (<box>); read as text",
                        "</BOX> is no tag: tags are lower case (</box>); read as text"]


@pytest.mark.parametrize("body", ["12, 13, 40, 50", "[12, 13, 40, 50]", "(12,13),(40,50)"])
def test_plain_numbers_in_a_shapes_own_tag_are_said_as_such(body):
    dec = geometry.decode(f"<ref>ship</ref><box>{body}</box>", 100, 100)
    assert dec.objects == []
    assert dec.problems == [f"<box> contains {body!r}: plain numbers, not location tokens; ignored",
                            "<box> needs 4 location tokens, got 0; dropped"]


def test_words_in_a_shapes_tag_are_said_as_before():
    assert geometry.decode("<box>a ship</box>", 100, 100).problems[0] == "<box> contains 'a ship'; ignored"
    assert numbers_only(" 1, -2.5 ") and not numbers_only("1 ship") and not numbers_only(" , ")


def test_a_misspelt_tag_after_a_zero_padded_line_names_its_tag_in_its_place():
    text = "<ref>ship</ref><box><loc_007><loc_1><loc_2><loc_3></box>\n<bx><loc_1><loc_2><loc_3><loc_4></bx>"
    assert geometry.decode(text, 100, 100).problems == [
        "<loc_007> is not a location token (zero-padded; they are <loc_0>…<loc_999>)",
        "<box> contains '<loc_007>'; ignored", "<box> needs 4 location tokens, got 3; dropped",
        "<bx> is no tag (<box>?): the location tokens after it are in no shape",
        *(f"<loc_{v}> outside any shape; ignored" for v in (1, 2, 3, 4))]


def test_key_line_finds_the_key_not_a_longer_one_it_prefixes(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("lr_min: 0\nlr: 9\noptim:\n  lr_min: 1.0e-6\n  lr: 1.0e-4\nmodel:\n  llm:\n    lr_scale: 2\n"
                 "    lr: 5\n", encoding="utf-8")
    assert [key_line(f, k) for k in ("lr", "lr_min", "optim.lr", "optim.lr_min", "model.llm.lr")] == [2, 1, 5, 4, 9]
    assert key_line(f, "model.llm.l") == 7  # a key not written: the deepest part that is


@pytest.mark.parametrize("label", ["Colorado Riv. Delta dam", "Angel Isl. Ferry pier", "Red Rock Cyn. Trailhead",
                                   "Mill Crk. Bridge", "Upper Dist. Water tank", "Sun Vly. Airport"])
def test_a_place_names_abbreviated_part_stays_a_label(label):
    assert not geometry.codec.caption_label(label)


@pytest.mark.parametrize("place", ["Dam", "Bay", "Port", "Pier", "Oslo", "Sea"])
def test_a_short_capitalised_place_still_ends_a_sentence(place):
    """Why the abbreviations are a list: a rule taking any short capitalised word before '.' for one read these
    runaway captions as labels."""
    assert geometry.codec.caption_label(f"ships near the {place}. Two tanks beside it")


def test_a_long_run_of_numbers_is_read_in_linear_time():
    """The first pattern (numbers, a digit, numbers) backtracked: 16,000 numbers after <bbox> took 7.6 s."""
    import time

    for text in ("<bbox>" + "1 " * 50_000, "<bbox>" + "1 " * 50_000 + "</bbox>", "<box>" + "1 " * 50_000 + "</box>"):
        start = time.perf_counter()
        geometry.decode(text, 100, 100)
        assert time.perf_counter() - start < 2.0
