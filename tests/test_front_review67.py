"""Stop 67's review of the front door: untiled predict's nodata note counts only what --min-score keeps; a
--task the --prompt's tag differs from is refused (``{box}`` without --region under --tile: test_front_tour67)."""

from __future__ import annotations

import pytest
from test_nodata_tour66 import BOXES, NOTE, collared  # noqa: F401  (collared: a fixture)

from rsvlm.cli import main


@pytest.mark.parametrize("min_score, said", [("0.5", False), ("0.1", True)])
def test_untiled_predict_says_no_nodata_object_that_min_score_dropped(ckpt, collared, capsys,  # noqa: F811
                                                                      monkeypatch, min_score, said):
    """Untiled, the note counted the collar's box scored 0.2 that --min-score 0.5 then dropped: "1 object(s) lie
    wholly on nodata" above a table without it (the tiled merger counted only the kept since a5b0e31d; its test:
    test_tiles_tour67)."""
    from rsvlm import inference as inf

    # BOXES: one on the collar (scored 0.2), one on data (0.9)
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda messages, images: [inf.Answer(BOXES, [0.2, 0.9])
                                                                                   for _ in messages])
    path, _ = collared
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--max-new-tokens", "4",
                 "--device", "cpu", "--task", "det", "--min-score", min_score]) == 0
    err = capsys.readouterr().err
    assert (f"note: 1 object lies {NOTE}" in err) if said else (NOTE not in err), err


# --task det --prompt '[cls] …': test_predict_tour59
@pytest.mark.parametrize("task, prompt, tag", [("DET", "[COUNT]", "count"), ("regcap", "[det] Find ships.", "det")])
def test_a_task_the_prompt_s_tag_differs_from_is_refused_before_the_model_loads(geotiff, tmp_path, capsys, task,
                                                                               prompt, tag):
    """``--task det --prompt '[count]'`` was asked as [count] with a warning, its answer read as --task det's."""
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
