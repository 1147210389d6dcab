"""Data lead 70b: synth's split.train told what to give instead, a base file not found given --config's hints, the
contrastive loop's up-front image check, the preview refusing the set's own folders as --out, and a palette label's
pixel both transparent and at nodata counted once."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from convert_helpers import convert, png
from test_train_utils import make_records, recipe

from data_gen.__main__ import main as data_gen_main
from rsvlm.config import ConfigError, load_config, no_key
from rsvlm.train import main as train_main
from rsvlm.train.config import TrainConfig

SYNTH = ["--n", "2", "--size", "32", "--modalities", "optical", "--no-progress", "scene.pairs_fraction=0",
         "instructions.records_per_image=0"]


def test_a_recipes_split_train_is_told_it_is_what_val_and_test_leave(tmp_path, capsys):
    # it got the generic "unknown key … valid keys at this level: test, val" alone
    (tmp_path / "r.yaml").write_text("split:\n  train: 0.5\n")
    assert data_gen_main(["synth", "--out", str(tmp_path / "d"), "--config", str(tmp_path / "r.yaml"), *SYNTH]) == 2
    err = capsys.readouterr().err
    assert "unknown key split.train for SplitConfig" in err
    assert "train is what val and test leave (1 - val - test): give split.val and split.test instead" in err
    assert not (tmp_path / "d").exists()


def test_no_key_gives_a_class_hint_at_its_place_and_nothing_for_other_keys():
    from data_gen.synth.config import SplitConfig

    assert no_key(SplitConfig, "train", "split.").endswith("(train 0.5: split.val=0.25 split.test=0.25)")
    assert no_key(SplitConfig, "dev", "split.") == "" and no_key(TrainConfig, "train") == ""


def test_a_base_file_not_found_gets_the_hints_config_gets(tmp_path):
    # "base file not found: …" alone, where --config of that very path said "did you mean …" or "its folder … is not there"
    (tmp_path / "sft_tiny.yaml").write_text("max_steps: 3\n")
    (tmp_path / "near.yaml").write_text("base: sft_tiny.yml\n")
    (tmp_path / "gone.yaml").write_text("base: nowhere/sft_tiny.yaml\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, tmp_path / "near.yaml")
    assert f"(named in {tmp_path / 'near.yaml'}); did you mean {tmp_path / 'sft_tiny.yaml'}?" in str(e.value)
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, tmp_path / "gone.yaml")
    assert f"(its folder {tmp_path / 'nowhere'} is not there)" in str(e.value)


def test_a_contrastive_run_with_no_image_there_is_refused_before_out_dir_is_written(tmp_path, capsys):
    # a wrong data.root: every draw was a bad sample, found once the model was built and out_dir written
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out, wrong = tmp_path / "clip", tmp_path / "elsewhere"  # a folder that is there, not the images'
    wrong.mkdir()
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", "max_steps=2", f"data.root={wrong}"]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert "none of the image files is there" in err and "set data.root to the folder" in err, err
    assert not out.exists()


@pytest.mark.parametrize("sub", ["images", "masks", "scenes", "images/overlays"])
def test_the_preview_refuses_an_out_in_the_sets_own_folders(tmp_path, capsys, sub):
    # --out set/images wrote its overlays among the set's images
    from data_gen.synth.preview import main as preview

    assert data_gen_main(["synth", "--out", str(tmp_path / "d"), *SYNTH]) == 0
    before = sorted(p.name for p in (tmp_path / "d" / sub.split("/")[0]).iterdir())
    capsys.readouterr()
    assert preview(["--dir", str(tmp_path / "d"), "--out", str(tmp_path / "d" / sub)]) == 2
    err = capsys.readouterr().err
    own = sub.split("/")[0]
    assert f"is in the set's own {own}/ folder ({tmp_path / 'd' / own}); give a folder outside it" in err, err
    assert sorted(p.name for p in (tmp_path / "d" / own).iterdir()) == before


def test_a_palette_label_pixel_transparent_and_at_nodata_is_counted_once(tmp_path):
    # counted in label_pixels_transparent and again in label_pixels_nodata: 48 × 7 pixels twice
    a = np.zeros((4, 48, 64), np.uint8)  # (C, H, W)
    a[0, 10:30, 10:40] = 255  # a red building
    a[:3, :, 50:] = 9  # the nodata value, at columns 50-63
    a[3] = 255
    a[3, :, 57:] = 0  # transparent at columns 57-63, at nodata too
    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    with rasterio.open(tmp_path / "labels" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=4,
                       dtype="uint8", photometric="RGB", alpha="YES", nodata=9) as ds:
        ds.write(a)
    (tmp_path / "p.json").write_text(json.dumps({"building": [255, 0, 0]}))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--strict", "--no-progress")
    assert not stats["skipped"], stats
    assert stats["notes"]["label_pixels_transparent"] == 48 * 7 and stats["notes"]["label_pixels_nodata"] == 48 * 7
