"""Review 82 (RF) of tour 82 F's plain-numbers problem (7ecac028, b9402a22): its reach.

The problem is said for numbers between a tag and its closing tag where the tag is a spelling of a shape's (``_meant``:
``<bbox>``, ``<pt>``, ``<polygon>``). Answers and records that hold numbers in markup or prose keep no problem: 300
synthetic scenes (2,400 gpt turns) and the real-data texts decoded the same before and after it. These pin the
markup a wider spelling match (``<p>`` for ``<point>``, ``<sub>``/``<sup>`` by closeness) would catch.
"""
from __future__ import annotations

import time

import pytest

from rsvlm import geometry

BOX = "<ref>ship</ref><box><loc_1><loc_2><loc_30><loc_40></box>"


@pytest.mark.parametrize("text", [
    "an area of 12 m<sup>2</sup>", "H<sub>2</sub>O", "<p>12</p>", "<li>3.</li><li>4.</li>", "<td>0.5</td><th>(1, 2)</th>",
    "<span>12, 13</span>", "<code>[12, 13, 40, 50]</code>", "<b>4</b> ships", "<i>12</i>", "<em>3</em>",
    "<tt>1 2</tt>", "<data>12</data>", "<time>10:30</time>", "<mark>5</mark>", "<loc>12, 13</loc>",
    "There are 12, 13 or 40 ships at (50, 60).", "a box of 12 by 13 pixels, from 40 to 50",
    f"{BOX} <sup>2</sup>", f"<p>{BOX}</p>"])
def test_numbers_in_markup_or_prose_are_no_problem(text):
    dec = geometry.decode(text, 100, 100)
    assert dec.problems == [] and len(dec.objects) == text.count("<box>")


@pytest.mark.parametrize("text, meant", [("<p><bbox>1,2,3,4</bbox></p>", "box"), ("<pts>5 6</pts>", "point"),
                                         ("<polygons>1,2 3,4 5,6</polygons>", "poly"), ("<hbb>\n1\n2\n3\n4\n</hbb>", "box")])
def test_a_shape_tags_spelling_in_markup_or_on_lines_is_said(text, meant):
    problems = geometry.decode(text, 100, 100).problems
    assert len(problems) == 1 and f"(<{meant}> takes " in problems[0] and "holds plain numbers" in problems[0]


@pytest.mark.parametrize("text", ["<bbox>1 " * 30_000, "<a>1</a" * 30_000, "<bbox>1" + "</" * 60_000,
                                  "<" + "a" * 100_000, "<bbox>" + "1 " * 50_000 + "</bboy>"])
def test_no_near_miss_of_the_pattern_is_slow(text):
    start = time.perf_counter()
    geometry.decode(text, 100, 100)
    assert time.perf_counter() - start < 2.0
