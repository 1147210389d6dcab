"""Review of the lead's stop-75 commits: predict's windows at --overlap 0 (095b8a73), the stem's naming advice
(e0b823c5), training's drop of [change] records of other than two images (167716c8), the --limit note (94eb3831)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import eval_record, write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]


def _old_window_starts(n: int, tile: int, step: int) -> list[int]:
    """rsvlm.io.windows.window_starts at d0c10c17, before 52311df5 spread windows."""
    if n <= tile:
        return [0]
    return list(range(0, n - tile, step)) + [n - tile]


@settings(max_examples=400, deadline=None)
@given(n=st.integers(1, 5000), tile=st.integers(1, 1100), overlap=st.integers(0, 1099))
def test_window_starts_is_the_old_rule_at_overlap_0_and_data_gens_spread_with_one(n, tile, overlap):
    """At --overlap 0 predict's windows are d0c10c17's exactly (edge to edge, the last flush); with an overlap they
    are data_gen's spread ones, and iter_windows / n_windows cut them."""
    from data_gen.tiling import spread_starts
    from rsvlm.io.windows import iter_windows, n_windows, window_starts

    overlap = overlap % tile
    step = tile - overlap
    starts = window_starts(n, tile, step)
    if overlap == 0:
        assert starts == _old_window_starts(n, tile, step)
    else:
        assert starts == spread_starts(n, tile, step)
    assert starts[0] == 0 and starts[-1] == max(0, n - tile) and all(0 < b - a <= step for a, b in zip(starts, starts[1:]))
    if len(starts) <= 60:
        wins = iter_windows(n, 1, tile, overlap)  # one row
        assert [w[0] for w in wins] == starts and n_windows(n, 1, tile, overlap) == len(wins)


def test_most_over_counts_the_shifted_last_window_at_overlap_0():
    """predict_tiles._most_over reads window_starts: at --overlap 0 the shifted-back last window overlaps its
    neighbour, so a pixel lies under 2 windows (290 px at --tile 100: 0/100/190, pixel 195 in 2)."""
    from rsvlm.predict_tiles import _most_over

    assert _most_over(290, 100, 0) == 2 and _most_over(300, 100, 0) == 1 and _most_over(19, 10, 6) == 4


def _band_note(bands: list[str]) -> str:
    from rsvlm.model.stem import StemConfig, match_bands

    cfg = StemConfig(bands=["red", "green", "blue"], mean=[0.0] * 3, std=[1.0] * 3)
    notes = match_bands(cfg, ["red", "green", "blue", *bands], 3 + len(bands), "x.tif").notes
    return next(n for n in notes if "none of the model's bands" in n)


@pytest.mark.parametrize("band, advised", [
    ("nir", False), ("NIR", False), ("swir1", False), ("B8A", False), ("B10", False), ("B11", False),
    ("VV", False), ("vh", False),  # known bands' names: naming them otherwise is no fix
    ("b10", True), ("b5", True), ("band_5", True), ("Band 5", True), ("foo", True),  # a reader's number or unknown
])
def test_left_out_band_gets_naming_advice_only_where_unnamed_or_unknown(band, advised):
    note = _band_note([band])
    assert note.startswith(f"{band} is none of the model's bands (red, green, blue): left out")
    assert ("name it with" in note) is advised, note


def test_one_unnamed_band_among_known_ones_keeps_the_advice():
    note = _band_note(["B11", "b6"])
    assert note.startswith("B11, b6 are none") and "e.g. an unnamed NIR, name it with" in note


def _change(rid, n_images, tagged_only=False):
    rec = {"id": rid, "images": [{"path": "a.png", "modality": "optical"}] * n_images,
           "conversations": [{"from": "human", "value": "<image>\n" * n_images + "[change] What changed?"},
                             {"from": "gpt", "value": "New buildings."}]}
    return rec if tagged_only else {**rec, "task": "change"}


def test_a_change_record_whose_task_is_its_tag_is_dropped_and_train_prints_it(tmp_path, capsys):
    """A record with no "task" field is a [change] record by its question's tag: with one image it is left out of
    training as one with the field is, and check_malformed (what `rsvlm train` prints) says so, not 'kept'."""
    from PIL import Image

    from rsvlm.config import load_config
    from rsvlm.data.records import ReadReport
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.train import data as D
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import check_malformed

    Image.new("RGB", (32, 32), (90, 120, 60)).save(tmp_path / "a.png")
    path = tmp_path / "train.jsonl"
    recs = [_change("pair", 2, True), _change("one", 1, True), _change("pair2", 2), _change("three", 3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    _, processor = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml"))
    report = ReadReport(str(path))
    index = D.build_index(path, processor.tokenizer, dict(processor.n_tokens), report, progress=False)
    assert sorted(index["id"]) == ["pair", "pair2"] and set(index["task"]) == {"change"}
    assert report.skipped["[change] record of other than two images"] == 2 and report.unpaired_changes == 0
    cfg = TrainConfig()
    cfg.data.max_bad_fraction = 0.9
    check_malformed(report, cfg, rank=0)
    err = capsys.readouterr().err
    assert "2 records read, 2 skipped ([change] record of other than two images: 2)" in err, err
    assert "record one: a [change] record compares two images" in err and "kept with other than two" not in err


def _limit_case(tmp_path, pred_ids):
    from eval import classification

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "ab"]
    recs += [eval_record(i, "cls", "[cls] What is this scene?", "forest") for i in "cd"]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in pred_ids])
    (tmp_path / "p.jsonl.run.json").write_text(json.dumps({"model": "/m", "options": {"max_new_tokens": 24},
                                                            "limit": 2}))
    return classification.main(["--gt", gt, "--pred", pred])["notes"]


def test_a_limit_run_of_another_test_sets_ids_is_still_asked_about_them(tmp_path):
    """94eb3831 held back the whole no-answer note for a --limit run; the limit explains only answers to records
    of this ground truth: predictions naming none of its records are still told apart (another set / task)."""
    notes = _limit_case(tmp_path, "xy")
    assert any("a predictions file of another task?" in n for n in notes), notes


def test_a_limit_run_of_this_sets_other_task_holds_back_that_one_note(tmp_path):
    notes = _limit_case(tmp_path, "ab")
    assert not any("none of the 2 predictions" in n for n in notes) and any("--limit 2" in n for n in notes), notes
