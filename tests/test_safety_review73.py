"""Review of the safety audit (stop 73): the YAML alias limit counts only what aliases add (a long list written
out loads), the mask size check holds wherever memory is overcommitted, a checkpoint's train_config.yaml read by
the overlap check is bounded, and a corrupt mask is a counted bad sample of a contrastive run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rsvlm.config
from rsvlm.config import MAX_YAML_VALUES, ConfigError, load_yaml

ROOT = Path(__file__).resolve().parents[1]


def test_a_long_list_written_out_loads(tmp_path, monkeypatch):
    """The limit counted every value, so an honest file of 150,000 per-class weights or file names (no alias in it)
    was refused as 'its aliases (*name) expand to more than 100,000 values', told to 'write the values out', as it
    was. (Past a limit of 1,000 here: 150,000 values take PyYAML 15 s to read.)"""
    monkeypatch.setattr(rsvlm.config, "MAX_YAML_VALUES", 1_000)
    path = tmp_path / "weights.yaml"
    path.write_text("weights: [" + ", ".join(["0.5"] * 1_500) + "]\n")
    assert len(load_yaml(path)["weights"]) == 1_500


def test_the_limit_is_on_what_aliases_add(tmp_path):
    """An anchor of 1,000 values used 90 times adds 90,000 (loads, merge keys too); 110 times, 110,000: refused,
    the error naming the file, the limit, where it is set and the way out."""
    anchor = "base: &v [" + ", ".join(["1"] * 999) + "]\n"  # the list and its 999 items: 1,000 values
    path = tmp_path / "recipe.yaml"
    path.write_text(anchor + "opt: &o {lr: 0.1, wd: 0.0}\nother: {<<: *o, lr: 0.2}\nuses: [" + ", ".join(["*v"] * 90)
                    + "]\n")
    data = load_yaml(path)
    assert len(data["uses"]) == 90 and data["other"] == {"lr": 0.2, "wd": 0.0}
    path.write_text(anchor + "uses: [" + ", ".join(["*v"] * 110) + "]\n")
    with pytest.raises(ConfigError) as e:
        load_yaml(path)
    said = str(e.value)
    assert said.startswith(f"{path}: its aliases (*name) add more than {MAX_YAML_VALUES:,} values")
    assert "rsvlm.config.MAX_YAML_VALUES" in said and "write the values out in place of *name" in said


def test_every_shipped_yaml_loads():
    """Every recipe and config the repository ships (configs/, the bundled model's config.yaml) loads."""
    files = [p for p in ROOT.rglob("*.yaml") if ".venv" not in p.parts and ".git" not in p.parts]
    assert len(files) > 10
    for p in files:
        load_yaml(p)


def test_the_overlap_check_reads_a_train_config_through_load_yaml(tmp_path, monkeypatch):
    """rsvlm.data.overlap read a checkpoint's (possibly downloaded) train_config.yaml with yaml.safe_load, with no
    alias limit; now through load_yaml, a config past it skipped as an unreadable one is."""
    from rsvlm.data.overlap import OverlapConfig, _sources

    (tmp_path / "a.jsonl").write_text("")
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    conf = ckpt / "train_config.yaml"
    conf.write_text(f"data: {{train: {tmp_path / 'a.jsonl'}}}\npad: &p [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
                    "more: [*p, *p, *p, *p, *p, *p, *p, *p]\n")  # the aliases add 80 values
    assert [s.path for s in _sources(ckpt, OverlapConfig())[0]] == [tmp_path / "a.jsonl"]
    monkeypatch.setattr(rsvlm.config, "MAX_YAML_VALUES", 50)
    assert _sources(ckpt, OverlapConfig())[0] == []


def test_a_mask_past_this_machines_memory_is_refused_before_it_is_asked_for(monkeypatch):
    """Where memory is overcommitted (vm.overcommit_memory=1) np.zeros of a mask past the machine's memory succeeds,
    and its first full pass is an OOM kill: blank_mask relied on numpy's MemoryError alone."""
    from rsvlm.geometry import objects_to_mask, shapes

    assert shapes.blank_mask(20000, 20000).shape == (20000, 20000)  # a real scene: 0.4 GB
    monkeypatch.setattr(shapes, "_memory_bytes", lambda: 2**20)  # a 1 MiB machine
    with pytest.raises(ValueError, match=r"a 2048x1024 mask \(0 GiB\) does not fit in memory; this machine has 0 GiB"):
        objects_to_mask([{"kind": "box", "coords": [0, 0, 10, 10]}], 2048, 1024)
    assert shapes.blank_mask(1024, 1024).shape == (1024, 1024)  # at the limit
    monkeypatch.setattr(shapes, "_memory_bytes", lambda: None)  # a system that does not say: numpy's answer
    assert shapes.blank_mask(2048, 1024).shape == (1024, 2048)


def test_a_corrupt_sem_mask_is_a_counted_bad_sample_of_a_contrastive_run(tmp_path, capsys):
    """A corrupt meta.sem_mask PNG (PIL's SyntaxError) stopped contrastive training with a traceback naming no file;
    now the run goes on, counts the draws of that sample as bad, and names its file once."""
    import numpy as np
    from PIL import Image
    from test_train_utils import recipe

    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict, load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.loop import train

    scenes = tmp_path / "scenes"
    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 32, "max_objects": 3},
                                  "split": {"val": 0.0, "test": 0.0},
                                  "instructions": {"records_per_image": 1, "task_weights": {"cap": 1}}})
    synthesize(scenes, 6, 5, cfg, workers=1, progress=False)
    records = [json.loads(line) for line in (scenes / "train.jsonl").read_text().splitlines()]
    broken = scenes / records[0]["meta"]["sem_mask"]
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(broken)
    data = bytearray(broken.read_bytes())
    data[60:80] = bytes(b ^ 0xFF for b in data[60:80])  # a chunk PIL reads as 'broken PNG file' (SyntaxError)
    broken.write_bytes(bytes(data))
    path = recipe(tmp_path, "pretrain_encoder_tiny.yaml", out_dir=str(tmp_path / "out"),
                  data={"train": str(scenes / "train.jsonl")})
    summary = train(load_config(TrainConfig, path, [
        "log.progress=false", "max_steps=1", "batch_size=6", "clip.dense_weight=1.0", "data.max_bad_fraction=0.9",
        "seed=3"]))
    err = capsys.readouterr().err
    assert summary["bad_samples"] >= 1 and summary["bad_ids"] == [records[0]["id"]]
    assert err.count(f"{broken}: meta.sem_mask cannot be read as an image (SyntaxError") == 1


def test_objects_to_mask_allocates_one_mask_and_ors_each_object_into_it(monkeypatch):
    """Each poly, obb and grid object was rasterised onto a full-size mask of its own and OR-ed in: 0.16 s an object
    at 20000 x 20000 px (20 small polygons: 3.1 s, now 0.02 s). Now each is set in the one mask, OR-ed as before:
    a grid's empty cells leave what an earlier object set."""
    import numpy as np

    from rsvlm.geometry import grid, masks, objects_to_mask, shapes

    objs = [{"kind": "poly", "coords": [[2, 2], [30, 4], [20, 28]]},
            {"kind": "obb", "coords": [[10, 0], [40, 10], [30, 40], [0, 30]]},
            {"kind": "mask", "coords": {"box": [5, 5, 25, 25], "size": [2, 2], "rows": [[1, 1], [0, 1, 1]]}},
            {"kind": "box", "coords": [30, 30, 45, 47]}]
    alone = [shapes.fill_rings(masks.poly_rings(objs[0]), 48, 50), shapes.fill_rings([objs[1]["coords"]], 48, 50),
             grid.grid_to_mask(objs[2]["coords"], 48, 50), objects_to_mask([objs[3]], 48, 50)]
    made = []
    real = shapes.blank_mask

    def counted(w, h):
        made.append((w, h))
        return real(w, h)

    for module in (shapes, masks, grid):
        monkeypatch.setattr(module, "blank_mask", counted)
    got = objects_to_mask(objs, 48, 50)
    assert made == [(48, 50)]
    assert np.array_equal(got, np.logical_or.reduce(alone)) and not np.array_equal(got, alone[2])
    assert (got & ~alone[2])[5:25, 5:25].any()  # pixels of the poly and obb inside the grid's empty cells kept


def test_a_yaml_nested_past_the_recursion_limit_is_a_config_error(tmp_path):
    """PyYAML composes a nesting recursively: a (downloaded) config.yaml of [[[…]]] 2,000 deep was a RecursionError
    traceback naming no file, out of load_yaml and every reader of a checkpoint's config."""
    path = tmp_path / "config.yaml"
    path.write_text("llm: " + "[" * 2000 + "]" * 2000 + "\n")
    with pytest.raises(ConfigError, match=r"config\.yaml: nested too deeply to read"):
        load_yaml(path)
    path.write_text("llm: " + "[" * 3 + "]" * 3 + "\n")
    assert load_yaml(path)["llm"] == [[[]]]
