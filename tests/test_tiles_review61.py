"""Review 61 of the tile merger: a tile object a model garbled, hours into a tiled run, is counted and
skipped (the run's other objects kept), not the end of the run."""

from __future__ import annotations

import numpy as np
import pytest


def _png(path, h=40, w=60):
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
    return path


BAD = [{"kind": "box", "label": "car", "coords": [1, 1, float("nan"), 5]},
       {"kind": "obb", "label": "ship", "coords": [[1, 1], [5, 1], [5, 5]]},
       {"kind": "poly", "label": "lake", "coords": [[1, 1], [5, "x"], [5, 5]]},
       {"kind": "box", "label": "car", "coords": [1, 1, 5, 5], "score": "high"}]


def test_run_tiled_counts_and_skips_a_tile_object_of_bad_coordinates_keeping_the_rest(tmp_path):
    """A NaN box from the model in one window ended run_tiled with a ValueError: every other tile's
    objects, hours of a scene, were lost. It is skipped, counted in ``n_refused`` and said in ``notes``
    (naming the tile and the object); the good objects of the same tile and of the others are kept."""
    from rsvlm.io import TileMerger, run_tiled

    path = _png(tmp_path / "s.png")

    def predict(imgs):  # each tile: a good box at its (1, 1); the second tile, all the bad objects too
        out = []
        for im in imgs:
            good = [{"kind": "box", "label": "car", "coords": [1, 1, 6, 6]}]
            out.append(BAD + good if im.window[:2] == (20, 0) else good)
        return out

    merger = TileMerger()
    objects = run_tiled(path, predict, tile=20, overlap=0, batch_size=2, progress=False, merger=merger)
    assert merger.n_tiles == 6 and merger.n_refused == len(BAD)
    assert sorted(tuple(o["coords"][:2]) for o in objects) == [(1, 1), (1, 21), (21, 1), (21, 21), (41, 1), (41, 21)]
    said = [n for n in merger.notes if "refused" in n]
    assert len(said) == 1 and said[0].startswith(f"{len(BAD)} tile objects refused, not kept")
    assert "tile (20, 0, 20, 20) (x0, y0, w, h): object 0" in said[0] and "box coords must be finite" in said[0]


def test_merge_tile_objects_still_refuses_a_bad_object_naming_it():
    """Outside a run (a caller's own list of tile answers) a bad object is still an error, naming it."""
    from rsvlm.io import TileMerger, merge_tile_objects

    with pytest.raises(ValueError, match=r"tile \(0, 0, 20, 20\).*object 0 .*box coords must be finite"):
        merge_tile_objects([((0, 0, 20, 20), BAD[:1])])
    merger = TileMerger()
    merger.add((0, 0, 20, 20), BAD + [{"kind": "point", "label": "p", "coords": [3, 3]}], skip_bad=True)
    merger.add((20, 0, 20, 20), BAD[:1], skip_bad=True)
    assert merger.n_refused == len(BAD) + 1 and merger.n_objects_in == 1
    assert [o["coords"] for o in merger.result()] == [[3, 3]]
    notes = [n for n in merger.notes if "refused" in n]
    assert len(notes) == 1 and notes[0].startswith(f"{len(BAD) + 1} tile objects refused")
    merger.result()  # said once, however often the result is asked
    assert len([n for n in merger.notes if "refused" in n]) == 1
