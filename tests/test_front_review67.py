"""Stop 67's review of the front door: untiled predict's nodata note counts only what --min-score keeps; a
--task the --prompt's tag differs from is refused; {box} without --region under --tile; a stream closed
before the run (>&-) is not said to be closed by its reader."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.cli import main

NOTE = "object(s) lie wholly on nodata pixels (kept; the image has no data there)"


@pytest.fixture
def collared(tmp_path):
    """A 200x200 GeoTIFF whose outer 60 px are nodata (0, declared)."""
    import rasterio
    from rasterio.transform import from_origin

    valid = np.zeros((200, 200), bool)  # (H, W)
    valid[60:-60, 60:-60] = True
    data = np.random.default_rng(1).integers(1, 255, (3, 200, 200), dtype=np.uint8) * valid  # (C, H, W)
    path = tmp_path / "collar.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
        ds.write(data)
    return path


@pytest.mark.parametrize("min_score, said", [("0.5", False), ("0.1", True)])
def test_untiled_predict_says_no_nodata_object_that_min_score_dropped(ckpt, collared, capsys, monkeypatch, min_score,
                                                                      said):
    """Untiled, the note counted the collar's box scored 0.2 that --min-score 0.5 then dropped: "1 object(s) lie
    wholly on nodata" above a table without it (the tiled merger counted only the kept since a5b0e31d)."""
    from rsvlm import inference as inf

    boxes = ("<ref>ship</ref><box><loc_50><loc_50><loc_150><loc_150></box>"  # (10, 10, 30, 30): on the collar
             "<box><loc_450><loc_450><loc_550><loc_550></box>")  # (90, 90, 110, 110): on data

    def answerer(*a, **k):
        return lambda messages, images: [inf.Answer(boxes, [0.2, 0.9]) for _ in messages]

    monkeypatch.setattr(inf, "answerer", answerer)
    assert main(["predict", "--model", str(ckpt), "--image", str(collared), "--max-new-tokens", "4",
                 "--device", "cpu", "--task", "det", "--min-score", min_score]) == 0
    err = capsys.readouterr().err
    assert (f"note: 1 {NOTE}" in err) == said, err


@pytest.mark.parametrize("task, prompt, tag", [("det", "[cls] What scene is this?", "cls"), ("DET", "[COUNT]", "count"),
                                               ("regcap", "[det] Find ships.", "det")])
def test_a_task_the_prompt_s_tag_differs_from_is_refused_before_the_model_loads(geotiff, tmp_path, capsys, task,
                                                                               prompt, tag):
    """``--task det --prompt '[cls] …'`` was asked as [cls] with a warning, its answer read as --task det's."""
    region = ["--region", "1,1,5,5"] if task == "regcap" else []
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", task,
                 "--prompt", prompt, *region]) == 2
    assert capsys.readouterr().err == (f"rsvlm predict: --task {task.lower()} and --prompt's [{tag}] name two tasks: "
                                       f"leave --task out (the tag names the task), or open --prompt with "
                                       f"[{task.lower()}]\n")


def test_a_task_the_prompt_s_tag_agrees_with_is_not_refused():
    from types import SimpleNamespace

    from rsvlm.predict import settle_task

    for prompt in ("[DET]Find ships.", "[det]", "Find ships.", "[1] of the ships?"):
        assert settle_task(SimpleNamespace(task="det", prompt=prompt, region=None)) is None, prompt


def test_a_box_placeholder_with_tile_names_the_way_tile_takes(geotiff, tmp_path, capsys):
    """With --tile, the refusal of {box} without --region offered --region, which --tile refuses."""
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--tile", "32",
                 "--prompt", "[vqa] What is in {box}?"]) == 2
    err = capsys.readouterr().err
    assert "no --region is given: with --tile, write the region's <box> in --prompt" in err, err
    assert "--task regcap --region" not in err


def test_a_stream_closed_by_its_reader_is_still_said_so(capsys):
    from rsvlm.closed_pipes import say_lost

    say_lost("rsvlm eval", {"stdout"})
    assert capsys.readouterr().err == ("rsvlm eval: standard output was closed by its reader; the run went on to its "
                                       "end, and what it wrote there after that was not shown\n")
