"""Tour 65: seam joins at an --overlap 0 seam (io/seams.py), and tiny tiles (predict --tile)."""

import numpy as np
from conftest import seam_masks


def test_a_1px_road_along_a_seam_forking_into_a_road_far_narrower_than_it_is_long_stays_one():
    road = np.zeros((100, 200), bool)
    road[10:90, 99] = True  # 80 px along x = 100, in the left tile
    road[40:48, 100:200] = True  # a road 8 px wide leaving it across the right tile: 8 < a quarter of 80 (was split)
    assert len(seam_masks(road)) == 1
    road[40:48, 100:200] = False
    road[82:92, 100:200] = True  # a fork 10 px wide at the road's end, sharing 8 of its rows
    assert len(seam_masks(road)) == 1
    road[82:92, 100:200] = False
    road[2:12, 100:200] = True  # a road 10 px wide the line turns into at its top end: 2 rows shared
    assert len(seam_masks(road)) == 1


def test_a_car_parked_across_a_seam_touching_a_1px_roads_middle_is_not_joined_to_it():
    road, car = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
    road[30:70, 99] = True  # a 40-px road along x = 100
    car[44:56, 100:120] = True  # 12 px along the seam, 20 across: longer across than along, yet a car (was joined)
    assert len(seam_masks(road, car)) == 2
    car[44:56, 100:200] = True  # the same 12 px running 100 px across: a road leaving it, one network
    assert len(seam_masks(road, car)) == 1


def test_a_tiny_tile_is_told_its_window_count_before_the_model_loads():
    """``--tile 4`` on DOTA P1888's 712x557 px made 44,082 windows, said only by the progress bar as they ran."""
    import types

    from rsvlm.predict import Said
    from rsvlm.predict_tiles import overlap_notes

    said = Said()
    overlap_notes(types.SimpleNamespace(tile=4, overlap=1, task="det"), (712, 557), "P1888.png", said)
    assert said.lines == ["[P1888.png] note: --tile 4 --overlap 1 cuts this 712x557 scene into 44,082 windows, each "
                          "a model call (--tile 16: 2,773)"]
    said = Said()
    overlap_notes(types.SimpleNamespace(tile=96, overlap=24, task="det"), (712, 557), "P1888.png", said)
    assert said.lines == []  # 80 windows: the bar says them


def test_the_window_count_note_starts_at_exactly_1000_windows():
    import types

    from rsvlm.predict import Said
    from rsvlm.predict_tiles import overlap_notes

    said = Said()
    overlap_notes(types.SimpleNamespace(tile=10, overlap=0, task="det"), (1000, 100), "s.tif", said)  # 100 x 10
    assert said.lines == ["[s.tif] note: --tile 10 --overlap 0 cuts this 1000x100 scene into 1,000 windows, each a "
                          "model call (--tile 40: 75)"]
    said = Said()
    overlap_notes(types.SimpleNamespace(tile=10, overlap=0, task="det"), (990, 100), "s.tif", said)  # 99 x 10
    assert said.lines == []


def test_a_ships_1px_tip_poking_into_the_rows_of_a_ship_moored_beside_it_joins_only_its_own_ship():
    a, b = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
    a[30:40, 100:150] = True
    a[30:42, 99] = True  # ship A crosses x = 100 by a pixel, its tip drawn 2 px into B's rows
    b[40:50, 100:160] = True  # ship B moored beside it: pixel for pixel, the tip alone is a road turning into B
    assert len(seam_masks(a, b)) == 2  # were one: the tip 'turned' into B
    a[:, 100:] = False  # the tip alone: a 1-px road along the seam turning into a road, joined
    assert len(seam_masks(a, b)) == 1
