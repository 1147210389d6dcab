"""fusion, second round of tour 62: a crop's cut piece of an object on its inner edge is no part of
the fused shape."""

from rsvlm.fusion import fuse
from rsvlm.tta import FuseConfig
from rsvlm.tta_views import crop_window

W = H = 96


def _windows(cfg):
    return [(0, 0, W, H)] + [crop_window(v, W, H, cfg.crop_share) for v in cfg.views[1:]]


def _ship(coords, score):
    return {"kind": "box", "coords": coords, "label": "ship", "score": score}


def test_a_crops_piece_does_not_shrink_the_fused_box():
    # a ship across the left crops' right edge (x = 88): c0 and c2 see [80, 88] of it, IoU 0.53 with the
    # whole; averaged in, the fused box ended at x 92.2 instead of 95
    cfg = FuseConfig(views="crops")
    for piece_score in (0.8, 0.95):  # the piece heads the cluster or not
        piece = _ship([80, 40, 88, 50], piece_score)
        views = [[_ship([80, 40, 95, 50], 0.9)], [piece], [_ship([80, 40, 95, 50], 0.85)], [piece],
                 [_ship([80, 40, 95, 50], 0.86)]]
        (fused,) = fuse(views, W, H, cfg, windows=_windows(cfg), many=True)
        assert fused["coords"] == [80.0, 40.0, 95.0, 50.0], piece_score
        assert fused["score"] == 0.87  # the mean of the views that saw it whole, all of which found it


def test_an_object_only_crops_cut_is_still_their_average():
    # no view saw it whole (a stand-in's answers): its pieces are all there is
    cfg = FuseConfig(views="crops")
    views = [[], [_ship([80, 40, 88, 50], 0.8)], [], [_ship([80, 40, 88, 50], 0.6)], []]
    (fused,) = fuse(views, W, H, cfg, windows=_windows(cfg), many=True)
    assert fused["coords"] == [80.0, 40.0, 88.0, 50.0]
    assert fused["score"] == 0.466667  # 0.7 × 2 finders of the 3 views that hold that box whole
