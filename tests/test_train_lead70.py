"""Stop 70, training (round 2): images none of which is there are refused up front; an eval key in several
sections is told once; a config path through a file says it is a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import ConfigError, load_config
from rsvlm.train import main as train_main
from rsvlm.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


def test_records_none_of_whose_images_is_there_are_refused_before_anything_is_written(tmp_path, capsys):
    """A wrong data.root failed 50 samples into the run (exit 1), its out_dir written; now exit 2 up front, with
    the late refusal's words of where relative paths are read from, and nothing in out_dir."""
    data = make_records(tmp_path / "d", n=6, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"data.root={tmp_path / 'elsewhere'}",
            f"out_dir={out}", "log.progress=false", "max_steps=2", "batch_size=2"]
    (tmp_path / "elsewhere").mkdir()
    assert train_main(argv) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("rsvlm train: NoImageFound: none of the image files is there: 6 named by the 6 "
                           "records of data.train"), last
    assert f"image not found: {tmp_path / 'elsewhere' / 'images' / 'im0.png'}" in last
    assert f"relative image paths are read from data.root={tmp_path / 'elsewhere'} " in last
    assert "set data.root to the folder they are relative to" in last
    assert not out.exists() or not any(out.iterdir())


def test_one_image_there_among_missing_ones_leaves_them_to_the_bad_sample_count(tmp_path):
    """Some missing among found ones stay counted and skipped; one found past the first global batch (here its
    last record) is enough for no refusal."""
    from rsvlm.train.inputs import NoImageFound, check_images_there

    data = make_records(tmp_path / "d", n=6, ir_every=0)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for r in rows[:-1]:
        r["images"][0]["path"] = r["images"][0]["path"].replace("images/", "gone/")
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = load_config(TrainConfig, SFT, [f"data.train={data}", "batch_size=2"])
    check_images_there(cfg)  # no refusal: rec5's image is there
    data.write_text("".join(json.dumps(r) + "\n" for r in rows[:-1]))
    with pytest.raises(NoImageFound, match="5 named by the 5 record"):
        check_images_there(cfg)


def test_records_with_absolute_paths_none_there_are_told_no_root_is_used(tmp_path):
    """The up-front refusal ends as the late one did: an absolute path is not read from data.root."""
    from rsvlm.train.inputs import NoImageFound, check_images_there

    data = make_records(tmp_path / "d", n=3, ir_every=0)
    gone = tmp_path / "moved" / "im0.png"
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for i, r in enumerate(rows):
        r["images"][0]["path"] = str(tmp_path / "moved" / f"im{i}.png")
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = load_config(TrainConfig, SFT, [f"data.train={data}", "batch_size=2"])
    with pytest.raises(NoImageFound) as e:
        check_images_there(cfg)
    assert f"the first is an absolute path ({gone}): data.root is not used" in str(e.value), str(e.value)


def test_an_eval_key_in_several_sections_is_told_once_naming_every_key(tmp_path):
    """eval:, data.val and optim.evaluation_strategy repeated the long 'does not evaluate' hint on each line."""
    path = tmp_path / "r.yaml"
    path.write_text(f"base: {SFT}\neval: {{steps: 500}}\ndata: {{val: v.jsonl, max_lenght: 3}}\n"
                    "optim: {evaluation_strategy: steps}\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    said = str(e.value)
    assert said.count("does not evaluate") == 1, said
    lines = said.splitlines()
    assert lines[-1].startswith("eval, data.val, optim.evaluation_strategy: rsvlm train does not evaluate while it "
                                "trains: save step folders with ckpt.every=N"), said
    # each place with its own line (stop 81); the hint after them with none (it had taken eval's, line 2)
    assert lines[1:4] == ["  unknown key 'eval' for TrainConfig (line 2 of r.yaml)", lines[2],
                          "  unknown key 'optim.evaluation_strategy' for OptimConfig (line 4 of r.yaml)"], said
    assert "(line 3 of r.yaml)" in lines[2] and lines[-1].endswith("OUT_DIR/final is a model as it is"), said
    assert "(did you mean data.max_length?)" in said  # a misspelt key beside an eval key is still offered its own


def test_a_config_path_through_a_file_says_it_is_a_file(tmp_path):
    """configs/train/sft_tiny.yaml/y.yaml was told "(its folder … is not there)", though that folder is a file."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, SFT / "sub" / "y.yaml")
    assert str(e.value) == f"config file not found: {SFT / 'sub' / 'y.yaml'} ({SFT}, on its path, is a file, not a folder)"
    with pytest.raises(ConfigError, match=r"\(its folder .*trian is not there\)"):
        load_config(TrainConfig, REPO / "configs" / "trian" / "y.yaml")
