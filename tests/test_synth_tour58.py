"""Rough-edge tour 58 of the synthetic scene engine (data_gen/synth)."""

from __future__ import annotations

import json

import numpy as np

from data_gen.synth.config import SynthConfig
from data_gen.synth.layout import Placer
from data_gen.synth.run import synthesize
from data_gen.synth.scene import generate_scene
from rsvlm.config import from_dict


def _cfg(size: int = 64, pairs: float = 0.0, **scene) -> SynthConfig:
    return from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": size, "pairs_fraction": pairs, **scene},
                                   "instructions": {"records_per_image": 1, "task_weights": {"cls": 1}}})


def test_every_object_asked_for_is_placed_or_counted_as_left_out(monkeypatch):
    # objects that found no room in their zone (not too small: too large or crowded) vanished
    # without a count; object_scale 2 at 96 px lost ~19 % of them, said only when a scene got none
    asked = []
    place = Placer.place

    def counting(self, cls, zone, n, **kw):
        asked.append(max(n, 0))
        return place(self, cls, zone, n, **kw)

    monkeypatch.setattr(Placer, "place", counting)
    placed = left = not_fitted = 0
    for i in range(12):
        g = generate_scene(f"u{i}", np.random.default_rng([58, i]), 96, pair=i % 2 == 0, object_scale=2.0)
        placed += len({o.id for f in g.frames for o in f.objects})
        left += sum(g.too_small.values()) + sum(g.not_fitted.values())
        not_fitted += sum(g.not_fitted.values())
    assert not_fitted > 0 and placed + left == sum(asked)


def test_objects_left_out_for_want_of_room_are_reported(tmp_path, capsys):
    cfg = _cfg(96, object_scale=2.0, scene_weights={"airport": 1000})  # planes crowd each other off the apron
    rep = synthesize(tmp_path / "a", 3, seed=0, cfg=cfg, progress=False)
    assert rep["objects_not_fitted"].get("plane", 0) >= 1
    assert json.loads((tmp_path / "a" / "stats.json").read_text())["objects_not_fitted"] == rep["objects_not_fitted"]
    err = capsys.readouterr().err
    assert f"note: {sum(rep['objects_not_fitted'].values())} of the " in err and "for want of room" in err
    assert "plane" in err.split("for want of room")[1]
    rep = synthesize(tmp_path / "b", 2, seed=0, cfg=_cfg(64, max_objects=0), progress=False)
    assert rep["objects_not_fitted"] == {} and "want of room" not in capsys.readouterr().err
    assert "objects_not_fitted" not in json.loads((tmp_path / "b" / "stats.json").read_text())


def _tower_layers(size: int, height: float):
    """Layers of one flat building (40 x 40 px at the centre, ``height`` px tall) on grass, sun towards +x."""
    from data_gen.synth.classes import MAT
    from data_gen.synth.layout import Background
    from data_gen.synth.objects import SceneObject
    from data_gen.synth.render import rasterise
    from data_gen.synth.scene import Frame

    bg = Background(np.full((size, size), MAT["grass"], np.uint8), np.ones((size, size), np.float32),
                    np.zeros((size, size), np.float32))
    tower = SceneObject(1, "building", size / 2, size / 2, 40, 40, 0.0, height, "grey", "flat")
    return rasterise(Frame(bg, [tower], sun_azimuth=0.0, sun_length=1.0), size, np.random.default_rng(0))


def test_shadows_reach_as_far_as_the_scaled_heights_cast_them():
    # object heights scale with scene.size, but cast and radar shadows stopped at 10 and 6 px:
    # at 512 px a 32-px-tall building cast a 10-px shadow (sizes up to 128 px render as before)
    from data_gen.synth.render import render_sar

    lay = _tower_layers(512, 32.0)
    row = lay.shadow[256, 276:]  # right of the building's east wall (x = 276), down-sun
    assert row[:28].all() and not row[34:].any()  # the shadow reaches height / sun_length = 32 px
    vv = render_sar(lay, np.random.default_rng(1), looks=64)[0] ** 2  # (H, W) sigma0, little speckle
    behind, open_ground = vv[240:272, 290:300].mean(), vv[240:272, 330:340].mean()
    assert behind < 0.3 * open_ground  # radar shadow 14-24 px behind a 32-px wall


def test_preview_names_a_mask_with_no_colour_or_of_the_wrong_shape(tmp_path, capsys):
    # a semantic id past the palette was an IndexError traceback, an RGB mask a PIL TypeError
    from PIL import Image

    from data_gen.synth.preview import main as preview

    synthesize(tmp_path / "d", 2, seed=0, cfg=_cfg(32), progress=False, verbose=False)
    sem0, sem1 = (tmp_path / "d" / "masks" / f"s0-00000{i}_sem.png" for i in (0, 1))
    a = np.asarray(Image.open(sem0)).copy()
    a[0, 0] = 200
    Image.fromarray(a).save(sem0)
    Image.fromarray(np.stack([np.asarray(Image.open(sem1))] * 3, -1)).save(sem1)  # (H, W, 3)
    assert preview(["--dir", str(tmp_path / "d"), "--out", str(tmp_path / "pv")]) == 2
    err = capsys.readouterr().err
    assert f"{sem0}: value 200 is no semantic id (0-11" in err
    assert f"{sem1}: mask of shape (32, 32, 3); the scene JSON says one band of 32 x 32 px" in err
    assert "2 of 2 scenes not drawn" in err and not list((tmp_path / "pv").glob("*.png"))


def test_an_out_that_is_or_lies_under_a_file_is_named_as_given(tmp_path, capsys):
    # it said "[Errno 20] Not a directory: '…/afile/images'", a folder the user never named
    from data_gen.__main__ import main

    (tmp_path / "afile").write_text("")
    for out in (tmp_path / "afile", tmp_path / "afile" / "sub"):
        assert main(["synth", "--out", str(out), "--n", "1", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err == f"error: output folder {out}: cannot make images/ in it: {tmp_path / 'afile'} is a file, not a folder\n"


def test_every_object_placed_draws_3_px_at_least():
    # the 3-px rule measured the box round an object: a small truck (cab and box, a gap between)
    # or ship could draw 1-2 px, an object in the ground truth hardly there (2 % of trucks at 32 px)
    from data_gen.synth.render import rasterise

    areas = []
    for size, scale, seeds in ((32, 1.0, range(18, 30)), (64, 0.3, range(5, 16))):  # 3 such objects before
        for i in seeds:
            g = generate_scene("t", np.random.default_rng([size, i]), size, object_scale=scale)
            inst = rasterise(g.frames[0], size, np.random.default_rng(0)).inst  # (H, W)
            areas += [int((inst == o.id).sum()) for o in g.frames[0].objects]
    assert len(areas) > 40 and min(areas) >= 3


def test_a_rerun_names_the_files_of_its_scenes_it_did_not_write(tmp_path, capsys):
    # a rerun with fewer modalities, or no pairs, left the earlier sar files and _t0/_t1 frames
    # beside its scenes without a word (the stale-scene note counts other scene ids only)
    cfg = _cfg(32, pairs=1.0)
    cfg.modalities = ["optical", "sar"]
    synthesize(tmp_path, 2, seed=0, cfg=cfg, progress=False, verbose=False)
    rep = synthesize(tmp_path, 2, seed=0, cfg=cfg, progress=False)  # the same again: every file is its own
    assert rep["leftover_files"] == 0 and "also hold" not in capsys.readouterr().err
    rep = synthesize(tmp_path, 2, seed=0, cfg=_cfg(32), progress=False)
    assert rep["leftover_files"] == 2 * (4 + 5)  # per scene: optical and sar at t0, t1; sem, inst at t0, t1; change
    err = capsys.readouterr().err
    assert "note: images/ and masks/ also hold 18 files of this run's scene ids" in err
    assert "(first: images/s0-000000_optical_t0.png)" in err and (tmp_path / "images" / "s0-000000_sar_t1.tif").is_file()
