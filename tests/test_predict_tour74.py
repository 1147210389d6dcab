"""Tour 74: ``rsvlm predict``'s question checks and tiled reads. A ``<mask>`` in a question was given a box's
advice as if mistyped (a mask is [seg]'s answer, no question's shape); a ``[regcap]`` question whose region is an
``<obb>`` (or point, polygon) was refused by predict while the library (``question_problem``, chat) asked it; a
tiled run checked its windows for nodata twice and read a small scene whole twice (nodata check, then --vis)."""

from __future__ import annotations

import types

import pytest

from rsvlm import inference as inf
from rsvlm.cli import main

OBB = "<obb><loc_100><loc_100><loc_300><loc_100><loc_300><loc_300><loc_100><loc_300></obb>"
REGIONS = [OBB, "<point><loc_500><loc_500></point>",
           "<poly><loc_100><loc_100><loc_300><loc_100><loc_200><loc_300></poly>"]


def _args(**kw):
    base = dict(task=None, prompt=None, region=None, tile=None, min_objects=0, det_by_class=False)
    return types.SimpleNamespace(**{**base, **kw})


def _image():
    import numpy as np

    from rsvlm.io import RSImage

    return RSImage(np.zeros((3, 96, 96), np.float32), "optical", ["R", "G", "B"], path="x.png")


@pytest.mark.parametrize("question", ["[seg] Segment the building in <mask>abc</mask>.",
                                      "[seg] Segment <mask></mask>", "[vqa] Is </mask> a roof?"])
def test_a_mask_in_a_question_is_told_it_is_an_answer_s_shape(question):
    why = inf.shape_problem(question)
    assert why.startswith("the question holds a <mask>, the grid a [seg] answer writes pixels in, not a shape a "
                          "question gives")  # was "… (<mask> contains 'abc' …): a box is …", as if mistyped
    assert "<box><loc_X1><loc_Y1><loc_X2><loc_Y2></box>" in why and "<poly>" in why
    assert inf.question_problem(question) == why  # the library and chat say the same


def test_a_well_formed_mask_in_a_question_is_refused_too():
    import numpy as np

    from rsvlm import geometry

    m = np.zeros((20, 20), bool)
    m[3:9, 4:15] = True
    mask = geometry.encode([{"kind": "mask", "label": None, "mask": m, "form": "grid"}], 20, 20)
    assert mask.startswith("<mask>")
    assert inf.shape_problem(f"[regcap] What is in {mask}?").startswith("the question holds a <mask>")  # was None


def test_predict_says_the_mask_advice_naming_prompt(tmp_path, geotiff, capsys):
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff),
                 "--prompt", "[seg] Segment the building <mask>abc</mask>"]) == 2
    err = capsys.readouterr().err
    assert "rsvlm predict: --prompt: the question holds a <mask>" in err and "contains 'abc'" not in err


@pytest.mark.parametrize("region", REGIONS)
def test_predict_and_the_library_agree_on_a_regcap_region_that_is_no_box(region):
    question = f"[regcap] What is in {region}?"
    assert inf.question_problem(question) is None  # the library asks it
    from rsvlm.predict import Said, asked_question

    args = _args(task="regcap", prompt=question)
    assert asked_question(args, _image(), Said()) == question  # was "… asks about a region: give it as --region"


def test_predict_and_the_library_agree_on_a_regcap_without_a_region():
    from rsvlm.predict import Said, asked_question

    question = "[regcap] What is in the centre?"
    assert "asks about a region" in inf.question_problem(question)
    with pytest.raises(ValueError, match="asks about a region: give it as --region"):
        asked_question(_args(task="regcap", prompt=question), _image(), Said())


def test_predict_asks_a_regcap_obb_question_of_the_model(ckpt, geotiff, monkeypatch, capsys):
    from rsvlm.answering import Answer

    asked = []

    def answerer(*a, **k):
        def generate(msgs, imgs):
            asked.extend(m[0]["content"] for m in msgs)
            return [Answer("a vehicle", []) for _ in msgs]
        return generate

    monkeypatch.setattr(inf, "answerer", answerer)
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--device", "cpu",
                 "--prompt", f"[regcap] What is in {OBB}?"]) == 0, capsys.readouterr().err
    assert len(asked) == 1 and OBB in asked[0]
    assert "a vehicle" in capsys.readouterr().out


def test_a_tiled_run_checks_for_all_nodata_once_and_reads_a_small_scene_once(ckpt, geotiff, tmp_path, monkeypatch,
                                                                              capsys):
    from rsvlm import predict, predict_tiles
    from rsvlm.answering import Answer
    from rsvlm.io import SceneReader

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer("lake", []) for _ in msgs])
    calls = {"nodata": 0, "overview": 0}
    checked = predict_tiles.all_nodata_tiles

    def counted(*a, **k):
        calls["nodata"] += 1
        return checked(*a, **k)

    overview = SceneReader.read_overview

    def read_overview(self, *a, **k):
        calls["overview"] += 1
        return overview(self, *a, **k)

    monkeypatch.setattr(predict_tiles, "all_nodata_tiles", counted)
    monkeypatch.setattr(predict, "all_nodata_tiles", counted, raising=False)  # (was imported there too)
    monkeypatch.setattr(SceneReader, "read_overview", read_overview)
    vis = tmp_path / "o.png"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--device", "cpu", "--task", "cls",
                 "--tile", "48", "--vis", str(vis)]) == 0, capsys.readouterr().err
    assert calls == {"nodata": 1, "overview": 1}  # were 2 and 2: the 96x64 scene's nodata read drawn again for --vis
    assert "answers of 6 tiles: 'lake' x6" in capsys.readouterr().out and vis.stat().st_size > 0


def test_a_tiled_all_nodata_scene_is_refused_once_with_nothing_on_stdout(tmp_path, ckpt, monkeypatch, capsys):
    import numpy as np
    import rasterio

    from rsvlm import predict

    path = tmp_path / "empty.tif"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=48, count=1, dtype="uint16", nodata=0) as ds:
        ds.write(np.zeros((1, 48, 64), np.uint16))
    monkeypatch.setattr(predict, "tile_predictor", lambda *a, **k: pytest.fail("a window was asked"))
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--device", "cpu", "--task", "cls",
                 "--modality", "sar", "--tile", "32"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("every pixel is nodata") == 1 and "empty.tif" in err


def test_a_regcap_overlay_draws_the_region_asked(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    """--vis of a [regcap] answer drew the caption over the image with no sign of which region it was about."""
    import json

    import rsvlm.io
    from rsvlm.answering import Answer

    drawn = []
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer("a lake", []) for _ in msgs])
    monkeypatch.setattr(rsvlm.io, "draw_overlay", lambda img, objects, out, **kw: drawn.extend(objects))
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--device", "cpu", "--region",
                 "10,8,50,40", "--vis", str(tmp_path / "o.png"), "--out", str(out)]) == 0, capsys.readouterr().err
    assert [(o["kind"], o["label"]) for o in drawn] == [("box", "region asked")]
    x1, y1, x2, y2 = drawn[0]["coords"]  # the 96x64 scene's pixels, at the codec's thousandths
    assert abs(x1 - 10) < 1 and abs(y1 - 8) < 1 and abs(x2 - 50) < 1 and abs(y2 - 40) < 1
    assert json.loads(out.read_text())["objects"] == []  # an answer's objects: the region is the question's


def test_a_region_outside_the_image_names_the_image_and_the_bounds():
    from rsvlm.predict import Said, asked_question

    with pytest.raises(ValueError) as e:
        asked_question(_args(task="regcap", region=[10, 10, 120, 50]), _image(), Said())
    assert str(e.value) == ("--region 10,10,120,50 lies outside the 96x96 image x.png (X1,Y1,X2,Y2 in its pixels: "
                            "0 <= X1 < X2 <= 96, 0 <= Y1 < Y2 <= 96)")  # named no image


def test_a_region_with_another_task_is_refused_before_the_image_is_read(tmp_path, geotiff, capsys):
    """``--task det --tile 64 --overlap 40 --region …`` read the image and said its notes and the overlap's, then refused."""
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
                 "--tile", "32", "--overlap", "20", "--region", "1,1,5,5"]) == 2
    assert capsys.readouterr().err == "rsvlm predict: --region is for --task regcap; --task det asks about none\n"
