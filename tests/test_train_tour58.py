"""Rough-edge tour 58 of training data and runs: what a build stage reads, ``init_from`` with a hub LLM,
empty records files, difficult objects in training targets, and records whose question runs past
``data.max_length``."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_loader import load_script
from test_train_utils import REPO, recipe


def test_a_build_stage_reads_every_path_its_training_config_names(tmp_path, monkeypatch):
    """``stage_inputs`` listed five of the config's paths by hand, ``config_inputs`` all of them: an image root
    (``data.root``) under OUT set through build.yaml's ``extra`` went unchecked before the stage ran."""
    stages = load_script("build_stages", monkeypatch)
    out = tmp_path / "out"
    bc = stages.BuildConfig(extra={"align": [f"data.root={out / 'data' / 'train' / 'images'}"]})
    reads = stages.stage_inputs("align", out, bc)
    assert out / "data" / "train" / "images" in reads, reads
    assert {out / "data" / "train" / "train.jsonl", out / "tokenizer",
            out / "pretrain_encoder" / "final" / "encoder.safetensors"} <= set(reads), reads


def hub_llm(cache: Path, name: str, width: int) -> None:
    """A tiny random LLM and its tokenizer, ``width`` wide, in ``cache`` as the Hugging Face hub cache holds ``name``."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.llm import build_llm

    llm, tok, _ = build_llm(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", [f"llm.config.hidden_size={width}"]).llm)
    repo = cache / f"models--{name.replace('/', '--')}"
    snap = repo / "snapshots" / ("0" * 40)
    llm.save_pretrained(snap)
    tok.save_pretrained(snap)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)


def test_init_from_under_a_hub_llm_of_another_width_is_refused_before_the_model_is_built(tmp_path, ckpt, monkeypatch):
    """The shape check was skipped for an LLM given by hub name: a checkpoint whose projectors are 64 wide under a
    96-wide hub LLM failed once that LLM had loaded (minutes for a 7B) and out_dir was written (exit 1). A hub
    name whose config is cached (as preflight requires offline) is built on the meta device like a local one."""
    import huggingface_hub

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.init_from import check_init_from

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    hub_llm(tmp_path / "hub", "org/tiny96", 96)
    hub_llm(tmp_path / "hub", "org/tiny64", 64)

    def cfg(name):
        return load_config(TrainConfig, recipe(tmp_path), [f"init_from={ckpt}", f"model.llm.name_or_path={name}",
                                                            "model.llm.config=null"])

    check_init_from(cfg("org/tiny64"))  # the checkpoint's width: taken
    with pytest.raises(ValueError, match=r"^init_from .*vision.safetensors: \d+ tensors of another shape, e.g. "
                                         r"projectors\.default\..* \(this model \(96"):
        check_init_from(cfg("org/tiny96"))
    check_init_from(cfg("org/not-cached"))  # not in the cache (online): left to the build, as before


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf\r\n"])
@pytest.mark.parametrize("key", ["data.train", "data.extra"])
def test_an_empty_records_file_is_refused_before_anything_is_written(tmp_path, capsys, sft_record, content, key):
    """An empty split (a converter that kept nothing, a file truncated to nothing) was exit 1 once the model
    had been built and out_dir written, saying "0 records read, 0 skipped"; it is refused in preflight now."""
    from rsvlm.train import main as train_main

    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(content)
    given = f"data.train={empty}" if key == "data.train" else f"data.extra=[{{path: {empty}}}]"
    out = tmp_path / "run"
    args = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", given, f"out_dir={out}", "log.progress=false"]
    assert train_main(args) == 2
    err = capsys.readouterr().err
    assert f"{key}" in err and f"{empty} is empty (no record line)" in err, err
    assert not out.exists()


def test_a_gzip_records_file_of_nothing_is_blank_and_one_record_is_not(tmp_path):
    import gzip

    from rsvlm.data.records import blank_records_file

    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(b"\n"))
    (tmp_path / "b.jsonl").write_bytes(b"\n" * 70000 + b'{"id": "a"}\n')  # past the first chunk
    assert blank_records_file(tmp_path / "a.jsonl.gz") and not blank_records_file(tmp_path / "b.jsonl")


def tiny_index(tmp_path: Path, records: list[dict], *overrides: str):
    """(train config of the tiny recipe, its processor built on the meta device, ``build_index`` of ``records``)."""
    import json

    from rsvlm.config import load_config
    from rsvlm.data.records import ReadReport
    from rsvlm.model import create_model
    from rsvlm.train import data as D
    from rsvlm.train.config import TrainConfig

    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    cfg = load_config(TrainConfig, recipe(tmp_path), list(overrides))
    _, proc = create_model(cfg.model, device="meta")
    return cfg, proc, D.build_index(tmp_path / "t.jsonl", proc.tokenizer, dict(proc.n_tokens), ReadReport("t"),
                                    progress=False)


def test_difficult_objects_stay_in_the_training_targets(tmp_path):
    """The decision docs/training.md states: a record's ``meta.difficult`` objects are trained like any other
    (DOTA's convention; eval.detection counts a find of one neither right nor wrong), so every shape of the
    answer is in the labels, the difficult one included."""
    import numpy as np
    from PIL import Image

    from rsvlm import geometry
    from rsvlm.data.conversation import IGNORE_INDEX
    from rsvlm.train import data as D

    Image.fromarray(np.zeros((100, 100, 3), np.uint8)).save(tmp_path / "a.png")
    boxes = [[10, 10, 30, 30], [60, 60, 90, 80]]
    answer = geometry.encode([{"kind": "box", "label": "ship", "coords": b} for b in boxes], width=100, height=100)
    rec = {"id": "d", "images": [{"path": "a.png", "modality": "optical"}], "task": "det",
           "conversations": [{"from": "human", "value": "<image>\n[det] Detect every ship."},
                             {"from": "gpt", "value": answer}], "meta": {"difficult": [1], "width": 100, "height": 100}}
    cfg, proc, index = tiny_index(tmp_path, [rec])
    sample = D.SFTDataset(index, tmp_path, proc, cfg.model.prompt, 512)[0]
    trained = proc.tokenizer.decode([t for t in sample["labels"] if t != IGNORE_INDEX])
    decoded = geometry.decode(trained, width=100, height=100)
    assert len(decoded.objects) == 2 and not decoded.problems, trained


def test_records_whose_question_runs_past_max_length_are_counted_before_the_first_step(tmp_path, capsys):
    """Only the shortest question ("<image>") was measured before the run: a record whose own question ran past
    data.max_length was announced as one to be "cut", then skipped as a bad sample at every draw (the run
    stopped 50 samples in). Each record near the limit is now encoded as the data path encodes it."""
    from rsvlm.train.max_length import UnfitRecords, check_unfit, shortest_sample

    def rec(i, question):
        return {"id": f"r{i}", "images": [{"path": "a.png", "modality": "optical"}],
                "conversations": [{"from": "human", "value": f"<image>\n{question}"}, {"from": "gpt", "value": "yes"}]}

    records = [rec(i, "Any ship?") for i in range(9)] + [rec(9, "Is there " + "a ship, " * 40 + "anywhere?")]
    cfg, proc, index = tiny_index(tmp_path, records)
    cfg.data.max_length = shortest_sample(proc, cfg.model.prompt, "optical") + 40  # the short ones fit whole
    with pytest.raises(UnfitRecords, match=r"^1 of 10 records cannot fit data\.max_length=\d+: 1 record whose "
                                           r"own turns do not fit \(the first, r9: no assistant token left"):
        check_unfit(index, proc, cfg, rank=0)
    cfg.data.max_bad_fraction = 0.2  # a warning, and the record is not among those to be cut
    assert len(check_unfit(index, proc, cfg, rank=0)) == 10
    err = capsys.readouterr().err
    assert "warning: 1 of 10 records cannot fit" in err and "run past" not in err, err


def test_a_records_file_with_no_usable_record_names_the_first_reason(tmp_path):
    """LLaVA-style records whose images are relative to another folder (data.root unset) said "0 records read,
    2 skipped (image that cannot be opened to infer its modality: 2)", not which file it had looked for."""
    import json

    from rsvlm.data.records import ReadReport
    from rsvlm.train import data as D

    rec = {"id": "a", "image": "cls_aid/church.png", "conversations": [
        {"from": "human", "value": "<image>\nwhat is this?"}, {"from": "gpt", "value": "church"}]}
    (tmp_path / "t.json").write_text(json.dumps([rec, {**rec, "id": "b"}]))
    with pytest.raises(ValueError, match=r"no usable record \(.*2 skipped.*\); the first: .*record a: .*image not "
                                         r"found: " + str(tmp_path / "cls_aid" / "church.png")):
        D.build_index(tmp_path / "t.json", None, {"optical": 16}, ReadReport("t"), progress=False)


def test_a_resume_over_other_records_says_its_batches_are_not_the_stopped_runs(tmp_path, capsys):
    """A resumed run draws exactly the stopped run's batches, unless the records changed in between (a file
    edited or appended to): the saved data position then points into another plan, and nothing said so."""
    import json

    from test_train_utils import make_records

    from rsvlm.train import data as D
    from rsvlm.train import main as train_main

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    args = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=2", "ckpt.every=1", "optim.warmup_steps=0"]
    assert train_main([*args, "max_steps=1"]) == 0
    saved = json.loads((out / "checkpoints" / "step_000001" / "trainer_state_rank0.json").read_text())["records"]
    assert D.other_records(saved, saved) is None and D.other_records(None, saved) is None  # the same; an older folder
    lines = data.read_text().splitlines()
    data.write_text("\n".join(lines + [json.dumps({**json.loads(lines[0]), "id": "more"})]) + "\n")
    assert train_main([*args, "max_steps=2", "ckpt.resume=auto"]) == 0
    assert ("warning: ckpt.resume: the records differ from the checkpoint's (8 records then, 9 now: a file edited"
            in capsys.readouterr().err)


def test_a_readers_unexpected_error_on_a_damaged_file_is_a_bad_sample_naming_it(tmp_path, monkeypatch):
    """A TIFF whose header was damaged made the reader raise IndexError, which the data paths did not catch (they
    take OSError and ValueError): the run stopped with a traceback naming no record. It is a bad sample now, and
    a record whose modality must be inferred from such a file is skipped and counted, naming it."""
    import rsvlm.io
    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.records import ReadReport
    from rsvlm.train import data as D

    def damaged(*a, **k):
        raise IndexError("index 0 is out of bounds for axis 0 with size 0")

    rec = {"id": "d", "images": [{"path": "a.tif", "modality": "msi"}],
           "conversations": [{"from": "human", "value": "<image>\nhi"}, {"from": "gpt", "value": "ok"}]}
    cfg, proc, index = tiny_index(tmp_path, [rec])
    monkeypatch.setattr(D, "record_inputs", damaged)
    sample = D.SFTDataset(index, tmp_path, proc, cfg.model.prompt, 512)[0]
    assert sample["bad"] and sample["id"] == "d" and sample["error"] == (
        f"ValueError: {tmp_path / 'a.tif'}: cannot be read, damaged? (IndexError: index 0 is out of bounds for axis 0 "
        "with size 0)"), sample
    monkeypatch.setattr(rsvlm.io, "SceneReader", damaged)
    finder = ModalityFinder()
    assert finder.infer([tmp_path / "a.tif"], ReadReport("t")) is None  # the record is skipped as unopened
    assert "cannot be read, damaged? (IndexError" in finder.errors[(str(tmp_path / "a.tif"),)]


@pytest.mark.parametrize("progress", [True, False])
def test_reading_the_records_shows_a_bar_once_it_takes_a_while(tmp_path, monkeypatch, progress):
    """Reading 200k records took 20 s and more with nothing on the screen (the bar came with measuring them)."""
    import tqdm.auto

    from rsvlm.data.records import ReadReport
    from rsvlm.train import data as D

    bars = []

    class Recording(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            bars.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    (tmp_path / "t.jsonl").write_text('{"id": "a", "conversations": [{"from": "human", "value": "hi"}, '
                                      '{"from": "gpt", "value": "ok"}]}\n')
    D.build_index(tmp_path / "t.jsonl", lambda texts, **k: {"input_ids": [[0]] * len(texts)}, {"optical": 16},
                  ReadReport("t"), progress=progress)
    reading = [b for b in bars if b.get("desc") == "reading t.jsonl"]
    assert len(reading) == 1 and reading[0]["delay"] > 0 and reading[0]["disable"] is not progress, bars
