"""Tour 58 of the scoring scripts (``eval/``) and ``rsvlm eval``: odd but legitimate input and bad input."""

from __future__ import annotations

import json

import pytest

from eval import foreign


@pytest.mark.parametrize("fmt,answer", [("geochat", "<p>ship</p>{<50><40><10><20>}"),
                                        ("falcon", "<ref>ship</ref><box><500><400><100><200></box>")])
def test_a_foreign_box_given_corner_reversed_is_put_in_order_and_said(fmt, answer):
    from rsvlm import geometry

    assert foreign.ordered_box is geometry.ordered_box  # was a copy of its own (sorted, min/max)
    (obj,), problems = foreign.decode(answer, 1000, 1000, fmt)
    x1, y1, x2, y2 = obj["coords"]
    assert x1 < x2 and y1 < y2 and abs(x1 - 100) < 1 and abs(y2 - 400) < 1
    # was swapped without a word, where rsvlm's own decoder calls it a problem (the answer partially parsed)
    assert len(problems) == 1 and "swapped" in problems[0]
