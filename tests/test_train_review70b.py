"""Review of stop 70's training round 2 (E2): the up-front refusal of records none of whose images is there
judges each records file on its own (a data.extra file under a wrong root was left to fail 50 samples in), and
stops reading a file at IMAGE_LOOK records, those that name no image included (a text-only file was read whole)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train import inputs
from rsvlm.train import main as train_main
from rsvlm.train.config import TrainConfig

SFT = Path(__file__).resolve().parents[1] / "configs" / "train" / "sft_tiny.yaml"


def _text_record(i: int) -> dict:
    return {"id": f"t{i}", "conversations": [{"from": "human", "value": "Say hello."},
                                             {"from": "gpt", "value": "Hello."}]}


def test_a_data_extra_file_none_of_whose_images_is_there_is_refused_naming_its_root(tmp_path, capsys):
    """data.train's images are there, data.extra[0]'s root is the wrong folder: every sample drawn from it was
    bad, TooManyBadSamples 50 samples in (exit 1, out_dir written); now exit 2 up front naming that file's root."""
    data = make_records(tmp_path / "a", n=6, ir_every=0)
    more = make_records(tmp_path / "b", n=4, ir_every=0)
    (tmp_path / "wrong").mkdir()
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}",
            f"data.extra=[{{path: {more}, root: {tmp_path / 'wrong'}, weight: 0.5}}]",
            f"out_dir={out}", "log.progress=false", "max_steps=2", "batch_size=2"]
    assert train_main(argv) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("rsvlm train: NoImageFound: none of the image files is there: 4 named by the 4 "
                           "records of data.extra[0].path; every sample of it would be skipped as bad"), last
    assert f"image not found: {tmp_path / 'wrong' / 'images' / 'im0.png'}" in last
    assert (f"No image of data.extra[0].path was found: a record's relative image paths are read from "
            f"data.extra[0].root={tmp_path / 'wrong'}; set data.extra[0].root to the folder they are relative to"
            ) in last, last
    assert "data.root" not in last.replace("data.extra[0].root", "")  # data.train's root is not the one to set
    assert not out.exists() or not any(out.iterdir())


def test_records_naming_no_image_count_towards_the_records_looked_at(tmp_path, monkeypatch):
    """A file's first IMAGE_LOOK records are looked at, text-only ones included: a text-only file was read to
    its end (2.4 s for 200k records, on every start and rank); past them nothing is a verdict."""
    monkeypatch.setattr(inputs, "IMAGE_LOOK", 3)
    data = make_records(tmp_path / "d", n=3, ir_every=0)
    images = [json.loads(line) for line in data.read_text().splitlines()]
    for r in images:
        r["images"][0]["path"] = r["images"][0]["path"].replace("images/", "gone/")
    data.write_text("".join(json.dumps(r) + "\n" for r in [_text_record(i) for i in range(3)] + images))
    cfg = load_config(TrainConfig, SFT, [f"data.train={data}", "batch_size=2"])
    inputs.check_images_there(cfg)  # the first 3 name no image: no verdict on the rest
    data.write_text("".join(json.dumps(r) + "\n" for r in [_text_record(0), *images]))
    with pytest.raises(inputs.NoImageFound, match=r"there: 2 named by 2 of the first 3 records of data\.train;"):
        inputs.check_images_there(cfg)


def test_an_absolute_path_of_a_data_extra_file_names_its_root_as_not_used(tmp_path):
    """The absolute-path wording names the file's own root key, not data.root."""
    data = make_records(tmp_path / "a", n=3, ir_every=0)
    more = make_records(tmp_path / "b", n=3, ir_every=0)
    rows = [json.loads(line) for line in more.read_text().splitlines()]
    for i, r in enumerate(rows):
        r["images"][0]["path"] = str(tmp_path / "moved" / f"im{i}.png")
    more.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = load_config(TrainConfig, SFT, [f"data.train={data}", f"data.extra=[{{path: {more}}}]", "batch_size=2"])
    with pytest.raises(inputs.NoImageFound) as e:
        inputs.check_images_there(cfg)
    said = str(e.value)
    assert (f"No image of data.extra[0].path was found, and the first is an absolute path "
            f"({tmp_path / 'moved' / 'im0.png'}): data.extra[0].root is not used for a record's absolute paths") in said
