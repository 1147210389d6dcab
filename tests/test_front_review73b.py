"""Front door, review of lead 73: a bar's count format keeps to tqdm's TQDM_BAR_FORMAT and survives a copy; a tiled
--tta run's pixel votes told by their bounds (documented both ways); chat's fused answer is a vote by fusion's mark."""

import copy
import io
import pickle

import pytest

from rsvlm.progress import bar

POLY = "<ref>building</ref><poly><loc_100><loc_100><loc_600><loc_100><loc_600><loc_600><loc_100><loc_600></poly>"


def _kwargs_given(monkeypatch, env: str | None, **kw) -> dict:
    """The keywords ``bar`` hands its tqdm class (a stand-in that records them), off a terminal."""
    if env is None:
        monkeypatch.delenv("TQDM_BAR_FORMAT", raising=False)
    else:
        monkeypatch.setenv("TQDM_BAR_FORMAT", env)
    given = {}

    def made(*args, **kwargs):
        given.update(kwargs)
        return type("Made", (), {})()

    bar(unit="record", file=io.StringIO(), tqdm_class=made, **kw)
    return given


def test_a_users_tqdm_bar_format_is_not_overridden(monkeypatch):
    """tqdm reads ``TQDM_BAR_FORMAT`` as its default ``bar_format``; a word unit's count format was passed over it."""
    assert "bar_format" in _kwargs_given(monkeypatch, None)  # "1 record" where tqdm would write "1 records"
    assert "bar_format" not in _kwargs_given(monkeypatch, "{n_fmt} done")  # tqdm's default, the user's, stands
    assert _kwargs_given(monkeypatch, None, bar_format="{n}")["bar_format"] == "{n}"  # a caller's stands too


@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy, lambda f: pickle.loads(pickle.dumps(f))],
                         ids=["copy", "deepcopy", "pickle"])
def test_a_bars_count_format_copied_or_pickled_still_counts_one_in_the_singular(clone, monkeypatch):
    """A bar's ``bar_format`` copied (with its ``format_dict``, say) raised TypeError: its ``__new__`` takes no text."""
    monkeypatch.delenv("TQDM_BAR_FORMAT", raising=False)
    with bar(unit="record", file=io.StringIO()) as b:
        made = clone(b.format_dict["bar_format"])
        shown = b.format_meter(**{**b.format_dict, "bar_format": made, "n": 1, "elapsed": 2.0, "rate": None})
    assert shown.startswith("1 record [00:02, "), shown


def test_pixel_votes_of_a_tiled_run_are_told_by_their_bounds():
    """``fused_flags`` as documented: a polygon within a fused window is a vote (one of a plain tile in its overlap
    too), one merged across a fused and a plain window is not, nor a scored one or a box."""
    from rsvlm.predict_tiles import fused_flags

    def poly(x0, x1, **kw):
        return {"kind": "poly", "label": "building", "coords": [[x0, 10], [x1, 10], [x1, 40], [x0, 40]], **kw}

    fused = [(0, 0, 100, 100)]  # its neighbour (60, 0, 100, 100) kept its plain answer: 40 px of overlap
    objects = [poly(10, 50), poly(70, 90), poly(50, 140), poly(10, 50, score=0.8),
               {"kind": "box", "label": "car", "coords": [10, 10, 50, 40]}]
    assert fused_flags(objects, fused) == [True, True, False, False, False]
    assert fused_flags(objects, []) == [False] * 5


def test_chat_calls_a_polygon_fused_over_views_a_pixel_vote_by_fusions_own_mark(ckpt, geotiff, monkeypatch):
    """``Fused.as_answer`` marks its answer fused; chat marked it again after it (the line is gone)."""
    from test_predict_edges import chat_repl

    from rsvlm import geometry, tta
    from rsvlm.tta import MODES, FuseConfig

    repl, out = chat_repl(ckpt, tta=FuseConfig(views=MODES["flip"]))
    assert repl.load_image([str(geotiff)]), out.getvalue()
    objects = geometry.decode(POLY, width=96, height=64).objects
    monkeypatch.setattr(tta, "fused_answers", lambda *a, **k: [tta.Fused(POLY, objects)])
    repl.ask("[seg] Segment the buildings.")
    said = out.getvalue()
    assert "1 polygon or mask fused over the --tta views is a pixel vote, which carries no score" in said, said
