"""Tour 59 of the synthetic scenes: arrivals' rounding, SAR double bounce at any scale, colour words
that the optical pixels show, and the synth command's odd options."""

from __future__ import annotations

import numpy as np
import pytest

from data_gen.synth.scene import _place_recipe, generate_scene


class _CountingPlacer:
    """Stands in for ``layout.Placer``: records the count each recipe line asks for."""

    def __init__(self) -> None:
        self.objects, self.asked = [], []

    def place(self, cls, zone, n, angle=None, jitter=180.0):
        self.asked.append(n)
        return 0


def test_arrivals_are_half_a_draw_with_a_half_rounding_up():
    # round(0.5) == 0 and round(2.5) == 2 (half to even): a recipe line of one object never arrived
    from data_gen.synth.layout import Background

    bg = Background(np.zeros((8, 8), np.uint8), np.ones((8, 8), np.float32), np.zeros((8, 8), np.float32))
    recipe = [("ship", "water", (k, k), "free", 0) for k in (1, 2, 3, 5)]
    placer = _CountingPlacer()
    _place_recipe(placer, bg, recipe, np.random.default_rng(0), 20, scale_counts=0.5)
    assert placer.asked == [1, 1, 2, 3]


def _block_sar(size: int, object_scale: float, nominal_height: float) -> tuple[float, float]:
    """Mean VV sigma0 just left of a flat roof's west wall and on open grass; the roof is 20 x 20 px and
    ``nominal_height`` px tall at 128 px, both scaled as ``generate_scene`` scales objects."""
    from data_gen.synth.classes import MAT
    from data_gen.synth.layout import Background
    from data_gen.synth.objects import SceneObject
    from data_gen.synth.render import rasterise, render_sar
    from data_gen.synth.scene import Frame

    s = size / 128 * object_scale
    bg = Background(np.full((size, size), MAT["grass"], np.uint8), np.ones((size, size), np.float32),
                    np.zeros((size, size), np.float32))
    roof = SceneObject(1, "building", size / 2, size / 2, 20 * s, 20 * s, 0.0, nominal_height * s, "white", "flat")
    lay = rasterise(Frame(bg, [roof], sun_azimuth=90.0, sun_length=1.0), size, np.random.default_rng(0), object_scale)
    vv = render_sar(lay, np.random.default_rng(1), looks=64)[0] ** 2  # (H, W) sigma0, little speckle
    x0, rows = int(size / 2 - 10 * s), slice(int(size / 2 - 8 * s), int(size / 2 + 8 * s))
    return float(vv[rows, x0 - 1].mean()), float(vv[rows, 1:3].mean())


def test_sar_double_bounce_lights_the_same_walls_at_every_scene_size_and_object_scale():
    # walls counted from a fixed 1.2 px height: a truck-high wall (1.6 px at 128 px) lit the ground
    # in front of it at 128 px but not at 64 px, nor at object_scale 0.5
    for size, object_scale in ((64, 1.0), (128, 1.0), (128, 0.5), (256, 1.0)):
        bounce, grass = _block_sar(size, object_scale, 1.6)
        assert bounce > 2.0 and grass < 0.2, (size, object_scale, bounce, grass)
        bounce, _ = _block_sar(size, object_scale, 1.0)  # lower than any wall: no double bounce
        assert bounce < 0.5, (size, object_scale, bounce)


def _one_object_layers(obj, size: int = 48, ground: str = "concrete"):
    from data_gen.synth.classes import MAT
    from data_gen.synth.layout import Background
    from data_gen.synth.render import rasterise
    from data_gen.synth.scene import Frame

    bg = Background(np.full((size, size), MAT[ground], np.uint8), np.ones((size, size), np.float32),
                    np.zeros((size, size), np.float32))
    return rasterise(Frame(bg, [obj], sun_azimuth=90.0, sun_length=1.0), size, np.random.default_rng(0))


def _nearest(palette: dict, rgb) -> str:
    return min(palette, key=lambda c: float(np.sum((np.asarray(palette[c], float) - rgb) ** 2)))


def test_a_colour_word_is_only_given_where_the_pixels_show_it():
    # a "black large vehicle" was a black cab and a light metal box, RGB about 200 over the truck (43 of
    # 50 trucks read as another colour at 96 px); a flat roof was labelled "grey" and drawn about 225
    from data_gen.synth.classes import ROOF_COLOURS, VEHICLE_COLOURS
    from data_gen.synth.objects import SceneObject
    from data_gen.synth.render import render_optical, shown_colours

    for colour, says in (("black", ""), ("red", ""), ("blue", ""), ("white", "white")):
        truck = SceneObject(1, "large vehicle", 24, 24, 20, 8, 30.0, 1.6, colour)
        lay = _one_object_layers(truck)
        rgb = render_optical(lay, np.random.default_rng(0))[lay.inst == 1].astype(float).mean(0)
        assert _nearest(VEHICLE_COLOURS, rgb) == "white" and shown_colours(lay, [truck]) == {1: says}, (colour, rgb)
    for colour in VEHICLE_COLOURS:  # a car's windows are not its colour
        car = SceneObject(1, "small vehicle", 24, 24, 6, 3, 0.0, 1.0, colour)
        assert shown_colours(_one_object_layers(car), [car]) == {1: colour}
    g = generate_scene("t", np.random.default_rng(3), 96, scene_class="industrial")
    flat = [o for o in g.frames[0].objects if o.cls == "building"]
    assert flat and {o.style for o in flat} == {"flat"}
    for o in flat:
        lay = _one_object_layers(o, 96)
        rgb = render_optical(lay, np.random.default_rng(0))[lay.inst == o.id].astype(float).mean(0)
        assert _nearest(ROOF_COLOURS, rgb) == o.colour == "white" and shown_colours(lay, [o]) == {o.id: "white"}


def test_a_colour_the_pixels_do_not_show_is_left_out_and_counted():
    # a white car in a building's shadow reads grey: the ground truth said "white" all the same
    from data_gen.instructions.stats import Stats, format_report
    from data_gen.synth.objects import SceneObject
    from data_gen.synth.render import shown_colours
    from data_gen.synth.write import object_gt

    car = SceneObject(1, "small vehicle", 24, 24, 10, 5, 0.0, 1.0, "white")
    lay = _one_object_layers(car)
    assert shown_colours(lay, [car]) == {1: "white"}
    lay.shadow[lay.inst == 1] = 1.0
    assert shown_colours(lay, [car]) == {1: ""}
    gt = object_gt(car, int((lay.inst == 1).sum()), shown_colours(lay, [car])[1])
    assert gt["attributes"]["colour"] == "" and gt["attributes"]["paint"] == "white"
    stats = Stats()
    stats.add_scene({"scene_class": "parking lot", "pair": False, "frames": [{"objects": [gt]}]}, "train")
    report = stats.report()
    assert report["colour_words_dropped"] == 1
    assert "colour    1 object in a frame has no colour word" in format_report(report)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_huge_object_scale_renders_its_empty_scenes(tmp_path):
    # scene.object_scale=1e308 passed the config check, then rasterise's shadow reach overflowed:
    # OverflowError "cannot convert float infinity to integer"; objects of inf and NaN px were tried
    # (numpy's "invalid value encountered in cast"). All are left out for want of room, and said so
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    cfg = from_dict(SynthConfig, {"modalities": ["optical", "sar"], "scene": {"size": 32, "object_scale": 1e308}})
    rep = synthesize(tmp_path, 2, seed=0, cfg=cfg, progress=False, verbose=False)
    assert rep["scenes"] == 2 and sum(rep["objects_not_fitted"].values()) > 0


def test_an_absurd_scene_count_is_an_error_naming_it(tmp_path, capsys):
    # --n 1000000000000 was a traceback: "Unable to allocate 7.28 TiB" in assign_splits
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "x"), "--n", "1000000000000", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --n 1000000000000: at most 10000000 scenes a run") and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_the_report_says_one_pair_and_seconds_a_scene_for_slow_runs(tmp_path, capsys, monkeypatch):
    # "1 scene (1 pairs)", and "0.0 scenes/s" at 4096 px (about 100 s a scene)
    from data_gen.synth import run
    from data_gen.synth.config import SynthConfig
    from rsvlm.config import from_dict

    clock = iter(range(0, 10_000, 250))  # every perf_counter call 250 s later
    monkeypatch.setattr(run.time, "perf_counter", lambda: float(next(clock)))
    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 16, "pairs_fraction": 1.0}})
    run.synthesize(tmp_path, 1, seed=0, cfg=cfg, progress=False)
    out = capsys.readouterr().out
    assert out.startswith("1 scene (1 pair), ") and "s a scene (1 worker;" in out and "0.0 scenes/s" not in out


def test_a_rerun_names_the_records_files_of_a_rebuild_it_left_beside_its_scenes(tmp_path, capsys):
    # a rebuild's stage1_train.jsonl (or chat.jsonl) of the earlier scenes stayed, its boxes those of
    # objects a rerun with another config had redrawn, without a word
    from data_gen.__main__ import main

    args = ["synth", "--out", str(tmp_path), "--n", "2", "--size", "32", "--modalities", "optical", "--no-progress"]
    assert main(args) == 0 and "this run did not write" not in capsys.readouterr().err
    assert main(["rebuild", "--dir", str(tmp_path), "--prefix", "stage1_", "--no-progress"]) == 0
    assert main([*args, "scene.object_scale=2"]) == 0
    err = capsys.readouterr().err
    assert f"note: {tmp_path} also holds 3 records files this run did not write (first: stage1_test.jsonl)" in err


def test_preview_tiles_stay_at_most_1024_px_a_side(tmp_path, capsys):
    # --scale 3 (the default) drew a 4096-px scene's tiles 12 288 px a side: a 5 GB panel; a huge
    # --scale was a MemoryError traceback
    from PIL import Image

    from data_gen.synth.config import SynthConfig
    from data_gen.synth.preview import main as preview
    from data_gen.synth.preview import tile_scale
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    assert tile_scale(96, 96, 3) == 3 and tile_scale(512, 512, 3) == 2.0 and tile_scale(4096, 4096, 3) == 0.25
    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 32, "pairs_fraction": 0.0}})
    synthesize(tmp_path / "d", 1, seed=0, cfg=cfg, progress=False, verbose=False)
    assert preview(["--dir", str(tmp_path / "d"), "--out", str(tmp_path / "pv"), "--scale", "100000"]) == 0
    assert "note: 1 scene drawn smaller than --scale 100000 (first: s0-000000)" in capsys.readouterr().err
    with Image.open(next((tmp_path / "pv").glob("*.png"))) as im:
        assert im.size == (2 * 1024 + 4, 1024)  # optical and semantic tiles, 4 px apart
