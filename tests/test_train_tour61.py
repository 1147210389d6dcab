"""Tour 61 (training): the records' batching is checked before the model is built; a JSON array records file
is parsed once per process; the counts summary.json gives on several processes are the totals, once;
``data.missing_bands`` fills a band an MSI scene lacks, as predict's ``--missing-bands`` does."""

import json
from pathlib import Path

import numpy as np
import pytest
from test_train_utils import make_records, recipe, two_ranks

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def _cfg(tmp_path: Path, data: Path, *overrides: str) -> TrainConfig:
    return load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "log.progress=false", "max_steps=1", *overrides])


def test_records_that_fill_no_batch_of_one_modality_are_refused_before_the_model_is_built(tmp_path, monkeypatch):
    """3 optical and 3 ir records, batch_size=4: 6 records pass the count of one global batch, but with
    length-grouped batching (one modality a batch) none fills; that was found once the model was built
    (minutes for a 7B) and out_dir written."""
    import rsvlm.train.loop as loop
    from rsvlm.train.batches import DataPlanError

    def no_build(*a, **k):
        raise AssertionError("the model was built before the batches were checked")

    monkeypatch.setattr(loop, "build_model", no_build)
    data = make_records(tmp_path / "d", n=6, ir_every=2)
    with pytest.raises(DataPlanError, match=r"6 records \(3 ir, 3 optical\) cannot fill one global batch of 4"):
        loop.train(_cfg(tmp_path, data, "batch_size=4"))
    assert not (tmp_path / "run").exists()


def _count_array_parses(monkeypatch) -> list:
    import rsvlm.data.records as R

    parses, loads = [], R.json.loads
    monkeypatch.setattr(R.json, "loads", lambda s, *a, **k: (parses.append(1) if s.lstrip().startswith("[") else None,
                                                             loads(s, *a, **k))[1])
    return parses


def test_a_json_array_records_file_is_parsed_once_by_the_loop(tmp_path, monkeypatch):
    """check_enough_records parsed the whole array, then build_index parsed it again (0.16 s of a 4 MB file
    of 5000 records, each time)."""
    import rsvlm.train.loop as loop

    class Built(Exception):
        """The loop went on to the model: the records were read and checked before."""

    def built(*a, **k):
        raise Built

    monkeypatch.setattr(loop, "build_model", built)
    lines = make_records(tmp_path / "d", n=8, ir_every=0).read_text().splitlines()
    array = tmp_path / "d" / "llava.json"
    array.write_text(json.dumps([json.loads(x) for x in lines], indent=1))
    parses = _count_array_parses(monkeypatch)
    with pytest.raises(Built):
        loop.train(_cfg(tmp_path, array, "batch_size=4"))
    assert len(parses) == 1


def test_a_json_array_rewritten_between_reads_is_parsed_again(tmp_path, monkeypatch):
    import os

    from rsvlm.data.records import read_records

    path = tmp_path / "a.json"
    rec = {"id": "a", "images": [], "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}
    path.write_text(json.dumps([rec]))
    parses, arrays = _count_array_parses(monkeypatch), {}
    assert [r["id"] for r in read_records(path, arrays=arrays)] == ["a"]
    assert [r["id"] for r in read_records(path, arrays=arrays)] == ["a"] and len(parses) == 1  # kept
    path.write_text(json.dumps([{**rec, "id": "b"}, rec]))
    os.utime(path, ns=(1, 1))
    assert [r["id"] for r in read_records(path, arrays=arrays)] == ["b", "a"] and len(parses) == 2


def _summaries(rank: int, world: int, store: str, results: str) -> None:
    """One gloo process: ``summarize`` of this rank's own counts, as the loop ends."""
    import torch.distributed as dist

    from rsvlm.data.records import ReadReport
    from rsvlm.train.loop import summarize

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    report = ReadReport("t.jsonl", n_lines=10, n_ok=9)  # every rank reads the whole file
    report.skipped["invalid JSON"] = 1
    state = {"step": 3, "epoch": 0, "samples": 6 + rank, "bad": 1 + rank, "bad_ids": [f"b{rank}"], "tokens": 100,
             "slots": 200, "cut": rank, "cut_ids": [f"c{rank}"] * rank, "undropped": 1}
    summary = summarize(state, report, world, 1.0, 3)
    Path(results, f"summary{rank}.json").write_text(json.dumps(summary))
    dist.destroy_process_group()


def test_the_counts_of_a_two_process_run_are_the_totals_once(tmp_path):
    """Samples, bad, cut and unthinned counts are each rank's share, summed once; the malformed records, which
    every rank reads alike, are counted once (not once a rank)."""
    two_ranks(_summaries, tmp_path)
    got = [json.loads((tmp_path / f"summary{r}.json").read_text()) for r in (0, 1)]
    assert got[0] == got[1]
    s = got[0]
    assert (s["samples"], s["bad_samples"], s["cut_samples"], s["band_dropout_unnamed"]) == (13, 3, 1, 2)
    assert s["bad_ids"] == ["b0", "b1"] and s["cut_ids"] == ["c1"] and s["malformed_records"] == 1
    assert s["tokens"] == 200 and s["non_pad_fraction"] == 0.5


def msi_records(tmp_path: Path, n: int = 4) -> Path:
    """``n`` MSI records whose scenes (3-band PNGs, bands named) lack B08 of the tiny recipe's stem."""
    from PIL import Image

    (tmp_path / "d").mkdir(exist_ok=True)
    rows = []
    for i in range(n):
        Image.fromarray(np.full((32, 32, 3), 20 * (i + 1), np.uint8)).save(tmp_path / "d" / f"s{i}.png")  # (H,W,C)
        rows.append({"id": f"m{i}", "task": "cls", "images": [{"path": f"s{i}.png", "modality": "msi",
                                                               "bands": ["B02", "B03", "B04"]}],
                     "conversations": [{"from": "human", "value": "<image>\n[cls] What scene is this?"},
                                       {"from": "gpt", "value": "a field"}]})
    path = tmp_path / "d" / "msi.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_data_missing_bands_fills_a_band_an_msi_scene_lacks(tmp_path):
    """A run on MSI scenes without B08 met 'missing band' on every sample, bad samples all (the run failed):
    predict, chat and eval had --missing-bands, training had no setting. Default "error", as before."""
    from rsvlm.train.loop import TooManyBadSamples, train

    data = msi_records(tmp_path)
    with pytest.raises(TooManyBadSamples, match="B08"):
        train(_cfg(tmp_path, data, "batch_size=2", "data.max_bad_fraction=0.5", "overwrite=true"))
    summary = train(_cfg(tmp_path, data, "batch_size=2", "data.missing_bands=copy", "overwrite=true"))
    assert summary["bad_samples"] == 0 and summary["samples"] == 2


def test_a_missing_band_bad_sample_names_trainings_config_key_not_predicts_option(tmp_path):
    """Training's bad-sample error said "fill them: --missing-bands copy or mean", predict's and eval's option,
    which rsvlm train does not take: it names data.missing_bands."""
    from rsvlm.train.loop import TooManyBadSamples, train

    with pytest.raises(TooManyBadSamples) as e:
        train(_cfg(tmp_path, msi_records(tmp_path), "batch_size=2", "data.max_bad_fraction=0.5", "overwrite=true"))
    assert "data.missing_bands: copy (or mean) in the training config" in str(e.value), str(e.value)
    assert "--missing-bands" not in str(e.value), str(e.value)


def test_a_missing_bands_value_of_no_mode_is_refused_naming_the_key():
    from rsvlm.train.config import check_config

    cfg = load_config(TrainConfig, None, ["data.train=x.jsonl", "data.missing_bands=zero", "out_dir=o"])
    with pytest.raises(ValueError, match=r"data.missing_bands must be one of error, copy, mean, got 'zero'"):
        check_config(cfg)


def test_the_contrastive_loop_reads_data_missing_bands_too(tmp_path):
    """Its pairs went through the stems with "error" whatever was set."""
    from rsvlm.train.clip_data import pair_pixels

    rec = json.loads(msi_records(tmp_path, n=1).read_text())
    cfg = _cfg(tmp_path, tmp_path / "d" / "msi.jsonl")
    with pytest.raises(ValueError, match="B08"):
        pair_pixels(rec, tmp_path / "d", cfg, 32)
    cfg.data.missing_bands = "mean"
    assert tuple(pair_pixels(rec, tmp_path / "d", cfg, 32).shape) == (3, 32, 32)


@pytest.mark.parametrize("indent", [None, 1])
def test_records_wrapped_in_one_json_object_are_named_as_such(tmp_path, indent):
    """``{"data": [...]}`` (an export's wrapper) was 'all 164 of its records are malformed (invalid JSON)',
    pretty-printed, or 'field id: missing' on one line; the key holding the records is named."""
    from rsvlm.train.inputs import TooFewRecords, check_enough_records

    recs = [json.loads(x) for x in make_records(tmp_path / "d", n=4, ir_every=0).read_text().splitlines()]
    path = tmp_path / "d" / "wrapped.json"
    path.write_text(json.dumps({"info": {"v": 1}, "data": recs}, indent=indent))
    with pytest.raises(TooFewRecords, match=r"one JSON object, not JSONL or a JSON array of records; its list "
                                            r"under 'data': save the records list alone \(jq '\.data'\)"):
        check_enough_records(_cfg(tmp_path, path, "batch_size=2"), 1)
    path.write_text(json.dumps(recs[0], indent=2))  # one record over many lines
    with pytest.raises(TooFewRecords, match=r"one record written over \d+ lines: give JSONL"):
        check_enough_records(_cfg(tmp_path, path, "batch_size=1"), 1)
    path.write_text("\n".join(json.dumps(r, indent=2) for r in recs))  # `jq '.[]'` without -c
    with pytest.raises(TooFewRecords, match=r"records written over many lines each \(the first over \d+\): give "
                                            r"JSONL, a record a line \(`jq -c`\)"):
        check_enough_records(_cfg(tmp_path, path, "batch_size=1"), 1)


def test_a_jsonl_whose_first_line_is_broken_or_lacks_its_turns_is_still_read_line_by_line(tmp_path):
    from rsvlm.data.records import ReadReport, read_records

    lines = make_records(tmp_path / "d", n=4, ir_every=0).read_text().splitlines()
    first = json.loads(lines[0])
    del first["conversations"]  # a record of its images only: its images list is no wrapper
    for head in ("{", json.dumps(first), '{"id": "x", "images": ['):
        path = tmp_path / "d" / "t.jsonl"
        path.write_text("\n".join([head, *lines[1:]]) + "\n")
        report = ReadReport(str(path))
        assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["rec1", "rec2", "rec3"], head
        assert report.n_skipped == 1


def test_band_dropout_does_not_fill_a_band_the_file_lacks_under_missing_bands_error(tmp_path):
    """An MSI scene without B08 under data.band_dropout was filled (copy) in the epochs dropout drew for it and
    a bad sample in the others; under data.missing_bands=error it is a bad sample in every epoch, naming B08."""
    from test_train_tour58 import tiny_index

    from rsvlm.train.data import SFTDataset

    recs = [json.loads(x) for x in msi_records(tmp_path, n=1).read_text().splitlines()]
    cfg, proc, index = tiny_index(tmp_path / "d", recs)
    for fill, bad in (("error", True), ("copy", False)):
        proc.missing_bands = fill
        ds = SFTDataset(index, tmp_path / "d", proc, cfg.model.prompt, 512, band_dropout={"msi": 1.0})
        for epoch in range(3):
            ds.set_epoch(epoch)
            sample = ds[0]
            assert bool(sample.get("bad")) is bad, (fill, epoch, sample.get("error"))
            assert not bad or "B08" in sample["error"]
