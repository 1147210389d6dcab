"""A mask with no cell on (review of stop 61): the grammar let an answer write ``<mask><grid>…</grid><row><row></mask>``,
which ``decode`` read as an object with no pixels; now the grammar owes a cell on (a run in some row: the last
row must hold one where none came before) and ``decode`` reports such a mask and drops it."""

from __future__ import annotations

import random

import pytest
from test_grammar_tour56 import allowed_after, tok  # noqa: F401  (tok: a fixture)

from rsvlm import geometry
from rsvlm.geometry.grid import grid_cells
from rsvlm.model.grammar import SHAPE_COST, GrammarConstraint

HEAD = "<mask><grid><loc_0><loc_0><loc_9><loc_9><loc_{c}><loc_{r}></grid>"


@pytest.mark.parametrize("rows", ["<row><row>", "<row><loc_3><row>", "<row><run><loc_1>", "<row><loc_0><row><loc_4>"])
def test_decode_drops_a_mask_with_no_cell_on_and_says_so(rows):
    d = geometry.decode("<ref>lake</ref>" + HEAD.format(c=4, r=2) + rows + "</mask>", 100, 100)
    assert d.objects == []
    assert any("no cell on" in p and "4x2" in p for p in d.problems), d.problems


def test_a_mask_with_a_cell_on_is_kept():
    d = geometry.decode(HEAD.format(c=4, r=2) + "<row><row><loc_3><loc_1></mask>", 100, 100)
    assert not d.problems and d.objects[0]["coords"]["rows"] == [[], [3, 1]]


def _ids(tok, text: str) -> list[int]:  # noqa: F811
    return tok.convert_tokens_to_ids([t + ">" for t in text.split(">") if t])


def test_the_last_row_must_hold_the_owed_cell(tok):  # noqa: F811
    ids = _ids(tok, HEAD.format(c=4, r=2) + "<row><row>")
    ok = allowed_after(tok, ids)
    loc = tok.convert_tokens_to_ids([f"<loc_{k}>" for k in range(5)])
    assert not ok[tok.convert_tokens_to_ids("</mask>")]  # was allowed: a mask of no pixel
    assert ok[loc[:4]].all() and not ok[loc[4]]  # an off run of all 4 columns leaves none for the cell
    ok = allowed_after(tok, ids + loc[3:4])
    assert ok[loc[1]] and not ok[loc[0]] and not ok[tok.convert_tokens_to_ids("</mask>")]
    assert allowed_after(tok, ids + loc[3:4] + loc[1:2])[tok.convert_tokens_to_ids("</mask>")]


def test_a_repeat_leaves_a_row_for_the_owed_cell(tok):  # noqa: F811
    run, row, loc = tok.convert_tokens_to_ids(["<run>", "<row>", "<loc_0>"])
    ids = _ids(tok, HEAD.format(c=4, r=3) + "<row>")
    ok = allowed_after(tok, ids + [run])
    assert ok[loc + 1] and not ok[loc + 2]  # two rows left: an empty row repeated once, not twice
    assert not allowed_after(tok, _ids(tok, HEAD.format(c=4, r=2) + "<row>"))[run]  # one row left: no repeat
    assert allowed_after(tok, ids + [loc + 4])[row]  # a full off run: the next row holds the cell


def test_a_mask_opens_only_with_room_for_a_cell(tok):  # noqa: F811
    mask = tok.convert_tokens_to_ids("<mask>")
    assert SHAPE_COST["mask"] == 13  # <mask><grid>6</grid><row> off on </mask>
    assert allowed_after(tok, [], 13)[mask] and not allowed_after(tok, [], 12)[mask]


def test_mask_walks_that_shun_cells_still_close_with_one(tok):  # noqa: F811
    """Walks that pick the emptiest way at every step (no cell, a full off run, the longest repeat) and run into
    the token limit: each closes a mask with a cell on, or writes none."""
    names = ["<mask>", "<grid>", "</grid>", "<row>", "<run>", "</mask>"]
    ids = dict(zip(names, tok.convert_tokens_to_ids(names)))
    loc0 = tok.convert_tokens_to_ids("<loc_0>")
    rng = random.Random(0)
    closed = 0
    for _ in range(120):
        budget = rng.randint(13, 40)
        con = GrammarConstraint(tok, {tok.eos_token_id}, 1, budget)
        out = [ids["<mask>"]]
        while len(out) < budget and out[-1] != ids["</mask>"]:
            ok = con([out], len(tok))[0]
            tags = [ids[n] for n in ("</mask>", "<row>", "<run>", "<grid>", "</grid>") if ok[ids[n]]]
            locs = (ok[loc0: loc0 + 1000].nonzero().flatten() + loc0).tolist()
            allowed = tags + locs[::-1]  # the emptiest first: close, an empty row, a repeat, the longest run
            assert allowed, out
            out.append(allowed[0] if rng.random() < 0.8 else rng.choice(allowed))
        d = geometry.decode(tok.decode(out, skip_special_tokens=False), 96, 80)
        assert d.problems == [], (tok.decode(out, skip_special_tokens=False), d.problems)
        closed += len(d.objects)
        assert all(grid_cells(o["coords"]).any() for o in d.objects)  # (a box under a pixel rasterises to none)
    assert closed > 100
