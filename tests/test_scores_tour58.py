"""Shape scores keep their small values apart (stop 58)."""

from __future__ import annotations


def test_scores_below_a_millionth_stay_apart_and_ordered():
    from rsvlm.inference import with_scores

    objs = [{"kind": "box", "coords": [0, 0, 1, 1]}, {"kind": "box", "coords": [2, 2, 3, 3]}]
    got = [o["score"] for o in with_scores(objs, [3.2e-7, 7.4e-8])]  # owed boxes the model wished to stop before
    assert got == [3.2e-7, 7.4e-8]  # 6 decimals made both 0.0: a tie, ranked by chance
    assert with_scores(objs[:1], [0.0471234567])[0]["score"] == 0.0471235  # 6 significant digits


def test_fused_scores_keep_six_significant_digits():
    from rsvlm.fusion import fuse_many
    from rsvlm.tta import FuseConfig

    views = [[{"kind": "box", "coords": [10, 10, 20, 20], "score": 2e-7}]] * 2
    fused = fuse_many(views, FuseConfig(min_views=2))
    assert fused and fused[0]["score"] == 2e-7
