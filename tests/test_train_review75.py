"""Review of stop 75 (E): a cut trainer state is named as cut by the preflight that reads the files (check_step_folder
read it first for its batch plan, so a bare "cut or damaged" came without "ckpt.resume:"); the start's band note
reads a corner of each image, not the whole scene; sft_tiny and qlora_tiny keep README's records whole."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from test_train_utils import REPO, make_records, recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def test_a_cut_trainer_state_is_said_cut_by_the_resume_check_and_a_newer_plan_still_refused(tmp_path):
    from rsvlm.train import checkpoint as ckpt
    from rsvlm.train import loop
    from rsvlm.train.run import check_resume

    base = [f"data.train={make_records(tmp_path / 'd', n=8, ir_every=0)}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "batch_size=4", "device=cpu", "ckpt.every=1"]
    loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=1"]))
    folder = tmp_path / "run/checkpoints/step_000001"
    state_file = folder / "trainer_state_rank0.json"
    whole = state_file.read_text()
    state_file.write_text(whole[:-7])
    ckpt.check_step_folder(folder, 0, deepspeed=False)  # every file is there: the cut is check_step_readable's
    cfg = load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=2", f"ckpt.resume={folder}"])
    with pytest.raises(ValueError, match=rf"^ckpt.resume: {state_file}: cut or damaged"):
        check_resume(cfg, 1)
    state_file.write_text(json.dumps({**json.loads(whole), "batch_plan": 3}))
    with pytest.raises(ValueError, match=rf"^ckpt.resume: {state_file}: batch_plan 3 was saved by a newer rsvlm"):
        ckpt.check_step_folder(folder, 0, deepspeed=False)


def test_the_band_note_reads_a_corner_of_each_image_and_says_what_the_whole_read_says(tmp_path, monkeypatch, capsys):
    """A 10000² 13-band GeoTIFF was read whole (5 GB, minutes) at the start for a note that needs its bands."""
    import tifffile

    from rsvlm.inference import record_inputs
    from rsvlm.io.read import SceneReader
    from rsvlm.train.sft_index import corner_inputs, data_processor, read_train_data

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    s2 = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]
    tifffile.imwrite(tmp_path / "d" / "images" / "s2.tif",
                     np.random.default_rng(0).uniform(0, 0.3, (13, 96, 80)).astype(np.float32))
    rec = {**json.loads(data.read_text().splitlines()[0]), "id": "s2",
           "images": [{"path": "images/s2.tif", "modality": "msi", "bands": s2}]}
    data.write_text(data.read_text() + json.dumps(rec) + "\n")
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", "log.progress=false", "batch_size=1",
                                                        "device=cpu"])
    real, windows = SceneReader.read, []

    def spy(self, window=None):
        windows.append(window)
        return real(self, window)

    monkeypatch.setattr(SceneReader, "read", spy)
    read_train_data(cfg, 0, 1)
    assert windows and all(w is not None and w[2:] == (8, 8) for w in windows), windows
    assert sum("none of the model's bands" in line for line in capsys.readouterr().err.splitlines()) == 1
    processor = data_processor(cfg)
    whole, corner = record_inputs(rec, data.parent)[0], corner_inputs(rec, data.parent)[0]
    assert (corner.modality, corner.bands, corner.array.shape[0]) == (whole.modality, whole.bands, 13)
    assert processor.band_notes(corner) == processor.band_notes(whole)


@pytest.mark.parametrize("name", ["sft_tiny.yaml", "qlora_tiny.yaml"])
def test_the_tiny_recipes_take_the_tiny_llms_whole_context(name):
    """At max_length 384 README's data (synth --n 200) had 63 of 1280 records cut: seg and change ones run ~448."""
    recipe_data = yaml.safe_load((REPO / "configs" / "train" / name).read_text())
    assert recipe_data["data"]["max_length"] == 512


@pytest.mark.parametrize("words, said", [
    (["--overwrite"], "overwrite=true"),  # was overwrite=data.train=x.jsonl, the next word taken as its value
    (["--max-steps", "--dry-run"], "max_steps=VALUE"),  # was max_steps=--dry-run
    (["--max-steps", "3"], "max_steps=3"),
])
def test_launch_gives_a_bare_boolean_key_true_and_takes_no_option_or_override_as_a_value(monkeypatch, capsys,
                                                                                          words, said):
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    with pytest.raises(SystemExit) as e:
        launch.main(["configs/train/sft_tiny.yaml", *words, "data.train=x.jsonl", "--dry-run"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"the recipe's keys go as key=value: {said}" in err, err
