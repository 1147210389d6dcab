"""Front door, lead 73: the tiling's counted notes in the singular and the plural (said once however often
the merger's result is asked, matched by what they count, not by their words); pixel votes of a tiled run told
per tile; a progress bar without total counting one in the singular."""

import io

import numpy as np
import pytest

from rsvlm.cli import main
from rsvlm.io import TileMerger
from rsvlm.io.nodata_objects import ValidityMap, dropped_note, nodata_note
from rsvlm.progress import bar

LEFT, RIGHT = (0, 0, 100, 100), (100, 0, 100, 100)  # tiles abutting at x = 100
EMPTY = {"kind": "mask", "label": "pond", "mask": np.zeros((100, 100), bool)}
BAD = {"kind": "box", "label": "car", "coords": [1, 1, float("nan"), 5]}


def test_nodata_notes_are_singular_and_plural():
    """"1 object(s) lie wholly on nodata pixels" read the same for any count."""
    assert nodata_note(1) == "note: 1 object lies wholly on nodata pixels (kept; the image has no data there)"
    assert nodata_note(3) == "note: 3 objects lie wholly on nodata pixels (kept; the image has no data there)"
    assert dropped_note(1) == ("note: 1 object wholly on nodata pixels left out (--on-nodata drop; the image has no "
                               "data there)")
    assert dropped_note(2).startswith("note: 2 objects wholly on nodata pixels left out (")


def _notes_after(merger: TileMerger, *tiles) -> list[str]:
    for window, objects in tiles:
        merger.add(window, objects, skip_bad=True)
    merger.result()
    merger.result()  # asked again: each count said once
    return merger.notes


def test_empty_masks_and_refused_objects_are_counted_in_words_and_said_once_as_the_count_grows():
    """"1 mask(s) … hold no pixel", "1 tile object(s) refused"; a second result, after more tiles, said the
    new count in place of the old (matched by a marker that held the "(s)")."""
    merger = TileMerger()
    notes = _notes_after(merger, (LEFT, [EMPTY, BAD]))
    assert notes[0] == "1 mask in the tile answers holds no pixel: no object, not kept"
    assert len(notes) == 2 and notes[1].startswith("1 tile object refused, not kept (first: tile (0, 0, 100, 100) ")
    notes = _notes_after(merger, (RIGHT, [EMPTY, BAD, BAD]))
    assert notes[0] == "2 masks in the tile answers hold no pixel: no object, not kept"
    assert len(notes) == 2 and notes[1].startswith("3 tile objects refused, not kept (first: tile (0, 0, 100, 100) ")


@pytest.mark.parametrize("roads, said", [(1, "1 pair of masks faces each other 1-2 px apart across an --overlap 0 "
                                              "seam: kept apart"),
                                         (2, "2 pairs of masks face each other 1-2 px apart across an --overlap 0 "
                                             "seam: kept apart")])
def test_masks_apart_at_a_seam_are_counted_in_words(roads, said):
    left, right = [], []
    for r, label in zip(range(roads), ("road", "river")):  # each drawn 1 px short of the seam on the left
        a, b = np.zeros((100, 100), bool), np.zeros((100, 100), bool)
        a[10 + 40 * r : 16 + 40 * r, 50:99] = True
        b[10 + 40 * r : 16 + 40 * r, 0:30] = True  # and from it on the right
        left.append({"kind": "mask", "label": label, "mask": a})
        right.append({"kind": "mask", "label": label, "mask": b})
    merger = TileMerger(scene_size=(200, 100))
    notes = _notes_after(merger, (LEFT, left), (RIGHT, right))
    assert merger.n_seam_gaps == roads and len(notes) == 1 and notes[0].startswith(said + ", as a gap"), notes


@pytest.mark.parametrize("n", [1, 2])
def test_a_tiled_scene_s_objects_on_nodata_are_counted_in_words(n):
    validity = ValidityMap()
    validity.see(LEFT, np.zeros((100, 100), bool))  # all nodata
    validity.see(RIGHT, None)  # all data
    merger = TileMerger(scene_size=(200, 100), validity=validity)
    boxes = [{"kind": "box", "label": "ship", "coords": [5 + 30 * i, 5, 20 + 30 * i, 20]} for i in range(n)]
    notes = _notes_after(merger, (LEFT, boxes), (RIGHT, []))
    assert notes == [f"note: {n} {'object lies' if n == 1 else 'objects lie'} wholly on nodata pixels (kept; the "
                     "image has no data there)"]


POLY = "<ref>building</ref><poly><loc_100><loc_100><loc_600><loc_100><loc_600><loc_600><loc_100><loc_600></poly>"


def test_a_tiled_run_of_fused_and_plain_tiles_calls_only_the_fused_polygon_a_pixel_vote(ckpt, geotiff, monkeypatch,
                                                                                          capsys):
    """One of six tiles fused over its --tta views, the others kept their plain answer (every view refused): all
    six unscored polygons were called pixel votes once any tile was fused."""
    from rsvlm import inference as inf
    from rsvlm import tta
    from rsvlm.answering import Answer

    real, asked = tta.fused_answers, []

    def first_tile_fused(generate, msgs, *a, **k):  # the scene's first tile fused, every other one kept plain
        fused = real(generate, msgs, *a, **k)
        out = [f if not asked and i == 0 else None for i, f in enumerate(fused)]
        asked.append(len(msgs))
        return out

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer(POLY, []) for _ in msgs])
    monkeypatch.setattr(tta, "fused_answers", first_tile_fused)
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "seg", "--device", "cpu",
                 "--tta", "flip", "--tile", "32", "--overlap", "0"]) == 0  # 96 x 64: 6 tiles, apart
    err = capsys.readouterr().err
    assert ("6 of 6 objects have no score: 1 polygon or mask fused over the --tta views is a pixel vote, which "
            "carries no score; 5 others: the answer's shapes did not match the model's per-shape scores") in err, err


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream", [io.StringIO, _Terminal], ids=["lines", "terminal"])
def test_a_bar_without_total_counts_one_in_the_singular(stream):
    """With no total tqdm writes its count and unit as one ("1 records"): the unit agrees with the count."""
    with bar(desc="reading", unit="record", file=stream()) as b:
        shown = {n: b.format_meter(**{**b.format_dict, "n": n, "elapsed": 2.0, "rate": None}) for n in (0, 1, 5)}
    assert shown[1].startswith("reading: 1 record [00:02, ") and shown[1].endswith(" 2.00 s/record]"), shown
    assert shown[0].startswith("reading: 0 records [") and shown[5].startswith("reading: 5 records ["), shown


def test_a_logged_bar_without_total_writes_its_last_count_of_one_in_the_singular():
    log = io.StringIO()
    with bar(unit="scene", file=log) as b:
        b.update(1)
    assert log.getvalue().startswith("1 scene ["), log.getvalue()


@pytest.mark.parametrize("word, fast, counted", [("batch", "batches/s", "3 batches ["), ("box", "boxes/s", "3 boxes ["),
                                                 ("entry", "entries/s", "3 entries [")])
def test_units_ending_in_s_x_ch_or_y_read_right(word, fast, counted):
    with bar(unit=word, file=io.StringIO()) as b:
        shown = b.format_meter(**{**b.format_dict, "n": 3, "elapsed": 1.0, "rate": None})
    assert shown.startswith(counted) and f"3.00 {fast}" in shown, shown


@pytest.mark.parametrize("k", [1, 2])
def test_a_tiled_run_s_notes_on_its_tiles_agree_with_their_count(k):
    """"1 of 3 tile answers reached the token limit …; they may be cut", "1 of 3 tiles answered "None." in place
    of their plain answer's shapes", "; they are marked "past_context"" of one tile."""
    import types

    from rsvlm.predict_tiles import tile_run_notes

    tiles = [{"cut": True, "tta_voted_out": "voted out", "past_context": True, "past_views": ["h"]}] * k + [{}] * (3 - k)
    notes: list = []
    tile_run_notes(tiles, types.SimpleNamespace(max_new_tokens=8, out="o.json"), None, lambda s, *a: notes.append(s))
    one = k == 1
    assert f"{k} of 3 tile answers reached the token limit (8 tokens); {'it' if one else 'they'} may be cut: " \
           f"--max-new-tokens lets {'it' if one else 'them'} run longer" in notes[0], notes
    assert f"answered \"None.\" in place of {'its' if one else 'their'} plain answer's shapes" in notes[1], notes
    assert notes[2].endswith(f"fused into {'it' if one else 'them'}, named in \"past_views\"); "
                             f"{'it is' if one else 'they are'} marked \"past_context\": true in --out's tiles"), notes


def test_one_stray_path_is_counted_in_the_singular(tmp_path, capsys):
    """``rsvlm predict --image a.png b.png`` said "(1 path(s): each image takes its own --image …"."""
    for name in "ab":
        (tmp_path / f"{name}.png").write_bytes(b"")
    with pytest.raises(SystemExit):
        main(["predict", "--image", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--task", "cls"])
    assert f"unrecognized arguments: {tmp_path / 'b.png'} (1 path: each image takes its own --image" in \
        capsys.readouterr().err
