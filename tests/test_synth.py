"""Synthetic scene engine: files and formats, ground-truth consistency, determinism, physics, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from data_gen.synth.classes import MSI_BANDS, SEMANTIC_ID
from data_gen.synth.config import SynthConfig
from data_gen.synth.objects import sample_dims
from data_gen.synth.render import rasterise, render_modality
from data_gen.synth.run import synthesize
from data_gen.synth.scene import generate_scene
from rsvlm.config import from_dict
from rsvlm.tokens import MODALITIES


def _cfg(all_tasks: bool = True) -> SynthConfig:
    return from_dict(SynthConfig, {"scene": {"size": 64, "pairs_fraction": 0.5}, "instructions": {"all_tasks": all_tasks}})


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    synthesize(out, 14, seed=5, cfg=_cfg(), progress=False, verbose=False)
    return out


def _scenes(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "scenes").glob("*.json"))]


def test_files_and_formats(synth_dir):
    scenes = _scenes(synth_dir)
    assert len(scenes) == 14 and any(s["pair"] for s in scenes) and not all(s["pair"] for s in scenes)
    for s in scenes:
        for f in s["frames"]:
            suf = f"_{f['time']}" if f["time"] else ""
            assert set(f["images"]) == set(MODALITIES)
            opt = np.asarray(Image.open(synth_dir / f["images"]["optical"]))
            assert opt.shape == (64, 64, 3) and opt.dtype == np.uint8
            assert f["images"]["optical"] == f"images/{s['scene']}_optical{suf}.png"
            with tifffile.TiffFile(synth_dir / f["images"]["msi"]) as t:
                msi = t.asarray()
                assert json.loads(t.pages[0].description)["bands"] == list(MSI_BANDS)
            assert msi.shape == (6, 64, 64) and msi.dtype == np.uint16
            sar = tifffile.imread(synth_dir / f["images"]["sar"])
            assert sar.shape == (2, 64, 64) and sar.dtype == np.float32 and (sar > 0).all()
            ir = tifffile.imread(synth_dir / f["images"]["ir"])
            assert ir.shape == (64, 64) and ir.dtype == np.uint16 and 27000 < ir.mean() < 34000  # 0..70 degC
        assert s["bands"]["sar"] == ["VV", "VH"] and s["bands"]["msi"] == list(MSI_BANDS)
    import rasterio  # the band names are GDAL band descriptions too, which GIS tools show

    frame = scenes[0]["frames"][0]["images"]
    for m, bands in (("sar", ("VV", "VH")), ("msi", tuple(MSI_BANDS)), ("ir", ("TIR",))):
        with rasterio.open(synth_dir / frame[m]) as ds:
            assert ds.descriptions == bands, m
    assert (synth_dir / "stats.json").is_file() and (synth_dir / "config.yaml").is_file()


def test_ground_truth_matches_masks(synth_dir):
    """Instance pixels lie in their boxes, areas and semantic ids agree, change mask = changed objects."""
    from rsvlm.geometry import objects_to_mask

    n_obj = 0
    for s in _scenes(synth_dir):
        insts = []
        for f in s["frames"]:
            inst = np.asarray(Image.open(synth_dir / f["inst_mask"])).astype(int)
            sem = np.asarray(Image.open(synth_dir / f["sem_mask"]))
            insts.append(inst)
            assert sorted(np.unique(inst[inst > 0]).tolist()) == sorted(o["id"] for o in f["objects"])
            for o in f["objects"]:
                n_obj += 1
                m = inst == o["id"]
                assert m.sum() == o["area"] > 0
                assert (sem[m] == SEMANTIC_ID[o["class"]]).all()
                ys, xs = np.nonzero(m)
                x1, y1, x2, y2 = o["hbox"]
                assert x1 - 0.5 <= xs.min() + 0.5 and xs.max() + 0.5 <= x2 + 0.5
                assert y1 - 0.5 <= ys.min() + 0.5 and ys.max() + 0.5 <= y2 + 0.5
                inside = objects_to_mask([{"kind": "obb", "coords": o["obb"]}], 64, 64)
                assert (m & ~inside).sum() <= max(1, 0.05 * m.sum())  # obb encloses the instance
        if s["pair"]:
            change = np.asarray(Image.open(synth_dir / s["change_mask"])) > 0
            want = np.zeros_like(change)
            for c in s["changes"]:
                want |= insts[0 if c["type"] in ("departed", "demolished") else 1] == c["id"]
            assert (change == want).all()
            ids0 = {o["id"] for o in s["frames"][0]["objects"]}
            ids1 = {o["id"] for o in s["frames"][1]["objects"]}
            gone = {c["id"] for c in s["changes"] if c["type"] in ("departed", "demolished")}
            new = {c["id"] for c in s["changes"] if c["type"] in ("arrived", "built")}
            assert ids1 == (ids0 - gone) | new and not (new & ids0)
    assert n_obj > 20


def test_rotated_objects_are_common():
    angles = []
    for i in range(30):
        g = generate_scene(f"r{i}", np.random.default_rng(i), 128)
        angles += [o.angle % 90 for o in g.frames[0].objects if o.cls != "storage tank"]
    angles = np.array(angles)
    assert len(angles) > 50
    assert np.mean((angles > 5) & (angles < 85)) > 0.5


def test_object_scale_grows_objects_of_each_class():
    def lengths(scale):
        out = {}
        for i in range(40):
            g = generate_scene(f"o{i}", np.random.default_rng(i), 96, max_objects=8, object_scale=scale)
            for o in g.frames[0].objects:
                out.setdefault(o.cls, []).append(o.length)
        return out

    base, big = lengths(1.0), lengths(2.0)
    shared = [c for c in base if len(base[c]) >= 5 and len(big.get(c, [])) >= 5]
    assert len(shared) >= 3
    for c in shared:  # each class's sizes double (same nominal range, drawn at twice the scale)
        assert 1.6 < np.median(big[c]) / np.median(base[c]) < 2.4, c
    with pytest.raises(ValueError, match="object_scale"):
        generate_scene("bad", np.random.default_rng(0), 96, object_scale=0)


def test_min_object_px_grows_small_objects_and_keeps_large_ones():
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    for cls in ("small vehicle", "swimming pool", "plane", "ship"):
        for _ in range(20):
            l0, w0, _, word0 = sample_dims(cls, rng_a, 0.75)
            l1, w1, _, word1 = sample_dims(cls, rng_b, 0.75, min_length=10)
            assert l1 == pytest.approx(np.hypot(l0, 10)) and w1 / l1 == pytest.approx(w0 / l0)
            assert word1 == word0
            if cls == "small vehicle":  # 3.4-4.9 px at 96 px → about 10.6-11.1
                assert 10 < l1 < 11.5
            if l0 > 20:  # a large object changes by under 12 %
                assert l1 / l0 < 1.12


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_deterministic_and_independent_of_workers(tmp_path):
    cfg = _cfg(all_tasks=False)
    synthesize(tmp_path / "a", 6, seed=11, cfg=cfg, workers=1, progress=False, verbose=False)
    synthesize(tmp_path / "b", 6, seed=11, cfg=cfg, workers=2, progress=False, verbose=False)
    synthesize(tmp_path / "c", 6, seed=12, cfg=cfg, workers=1, progress=False, verbose=False)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert len(a) > 50 and a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    assert a["train.jsonl"] != c.get("train.jsonl")


def _physics_layers(n=30, size=96):
    out = []
    for i in range(n):
        scene_class = ["harbour", "river", "lake", "residential", "parking lot", "industrial"][i % 6]
        g = generate_scene(f"p{i}", np.random.default_rng(100 + i), size, scene_class=scene_class)
        lay = rasterise(g.frames[0], size, np.random.default_rng(i))
        imgs = {m: render_modality(lay, m, np.random.default_rng([i, k])) for k, m in enumerate(MODALITIES)}
        out.append((lay, imgs))
    return out


def test_renderers_are_physically_sane():
    water_db, land_db, bright_db = [], [], []
    nir_veg, red_veg, nir_water, swir_water = [], [], [], []
    t_vehicle, t_water, t_roof = [], [], []
    for lay, im in _physics_layers():
        sem = lay.sem
        water, veg = sem == SEMANTIC_ID["water"], np.isin(sem, [SEMANTIC_ID["low vegetation"], SEMANTIC_ID["tree"]])
        land = ~water & (lay.inst == 0)
        vv_db = 20 * np.log10(im["sar"][0])  # amplitude
        water_db.append(vv_db[water]), land_db.append(vv_db[land])
        bright_db.append(vv_db[np.isin(sem, [SEMANTIC_ID["ship"], SEMANTIC_ID["building"]])])
        msi = im["msi"].astype(float) / 10000
        nir_veg.append(msi[3][veg]), red_veg.append(msi[2][veg])
        nir_water.append(msi[3][water]), swir_water.append(msi[4][water])
        k = im["ir"].astype(float) / 100
        t_vehicle.append(k[np.isin(sem, [SEMANTIC_ID["small vehicle"], SEMANTIC_ID["large vehicle"]])])
        t_water.append(k[water]), t_roof.append(k[sem == SEMANTIC_ID["building"]])
    mean = lambda parts: float(np.concatenate(parts).mean())  # noqa: E731
    assert mean(water_db) < mean(land_db) - 8  # water is dark in SAR
    assert mean(bright_db) > mean(land_db) + 5  # double bounce / metal is bright
    assert mean(nir_veg) > 3 * mean(red_veg)  # red edge: vegetation bright in NIR
    assert mean(nir_water) < 0.03 and mean(swir_water) < 0.02  # water absorbs NIR and SWIR
    assert mean(t_vehicle) > mean(t_water) + 15 and mean(t_roof) > mean(t_water) + 15  # warm vehicles, roofs
    # speckle: SAR over one homogeneous class has a coefficient of variation near 1/sqrt(looks)
    lay, im = _physics_layers(1)[0]
    water = lay.sem == SEMANTIC_ID["water"]
    vals = im["sar"][0][water] ** 2  # intensity
    assert 0.35 < vals.std() / vals.mean() < 0.8


def test_cli_and_bad_input(tmp_path, capsys):
    from data_gen.__main__ import main

    rc = main(["synth", "--out", str(tmp_path / "o"), "--n", "3", "--modalities", "optical,sar", "--seed", "2",
               "--size", "48", "--no-progress", "instructions.records_per_image=1"])
    out = capsys.readouterr().out
    assert rc == 0 and "scenes/s" in out
    names = {p.name for p in (tmp_path / "o" / "images").iterdir()}
    assert any(n.endswith("_sar.tif") for n in names) and not any("_msi" in n for n in names)
    assert main(["synth", "--out", str(tmp_path / "x"), "--n", "2", "--modalities", "optical,lidar"]) == 2
    assert "lidar" in capsys.readouterr().err
    assert main(["synth", "--out", str(tmp_path / "x"), "--n", "2", "scene.colour=1"]) == 2
    assert "scene.colour" in capsys.readouterr().err
    assert main(["nonsense"]) == 2


def test_convert_is_dispatched_lazily(monkeypatch):
    import data_gen.convert as convert
    from data_gen.__main__ import main

    seen = []
    monkeypatch.setattr(convert, "main", lambda argv: seen.append(argv) or 0)
    assert main(["convert", "dota", "--src", "x"]) == 0 and seen == [["dota", "--src", "x"]]
