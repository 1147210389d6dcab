"""Training, second round of tour 62 (helper Q): the exit status of refusals found before anything is built or
written, through ``rsvlm train``'s entry."""

from __future__ import annotations

import errno
import json
from pathlib import Path

from test_model_checks53 import train_sft
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_malformed_records_are_a_refusal_before_the_build(tmp_path, capsys):
    """Too many malformed lines (check_malformed) were found before the model was built, yet exited 1, as a
    run that failed once started; records too few (TooFewRecords) exited 2."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    recs = _lines(data)
    recs[0]["images"][0]["modality"] = "lidar"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "run"
    assert train_sft(data, out, "max_steps=1") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rsvlm train: MalformedRecords: 1 of 8 record lines are malformed (> data."
                              "max_bad_fraction=0.01)"), err
    assert not out.exists()


def test_records_that_cannot_fit_are_a_refusal_before_the_build(tmp_path, capsys):
    """UnfitRecords (check_unfit) came before the build and before out_dir, yet exited 1."""
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    out = tmp_path / "run"
    assert train_sft(data, out, "data.max_length=17", "max_steps=1", "optim.warmup_steps=0") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rsvlm train: UnfitRecords: 4 of 4 records cannot fit data.max_length=17"), err
    assert not out.exists()


def test_a_mid_run_bad_sample_verdict_still_exits_1():
    """check_bad's verdict comes once the run has started: it stays a failure (exit 1), not a refusal."""
    import pytest

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.inputs import RefusedData
    from rsvlm.train.run import TooManyBadSamples, check_bad

    cfg = load_config(TrainConfig, None, ["data.train=t.jsonl"])
    state = {"samples": 60, "bad": 30, "bad_ids": ["a"], "first_bad": "a: not found"}
    with pytest.raises(TooManyBadSamples) as got:
        check_bad(state, cfg, final=False)
    assert not isinstance(got.value, RefusedData)


def test_contrastive_records_are_refused_before_out_dir_is_written(tmp_path, capsys):
    """The contrastive loop made out_dir (and wrote train_config.yaml) before it read its records: too many
    malformed lines, or no two caption pairs, then exited 1 with an out_dir holding a config of a run never
    started."""
    # too many malformed lines: test_train_data_rough_edges' contrastive test (exit 2, no out_dir)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    recs = _lines(data)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "max_steps=1", "batch_size=4"]
    data.write_text("{not json\n" + json.dumps({**recs[1], "task": "detect"}) + "\n")  # no caption pair
    assert train_main([*argv, "data.max_bad_fraction=1"]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("rsvlm train: TooFewRecords: ") and "0 single-image caption pairs" in last, last
    assert not out.exists()


def test_an_out_dir_that_cannot_be_made_exits_2(tmp_path, monkeypatch, capsys):
    """out_dir=/proc/x as root: os.access says /proc is writable, mkdir then fails; that was an OSError once the
    data was read, exit 1, though nothing was written: now a refusal naming the folder and the OS reason."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "proc" / "x"
    real = Path.mkdir

    def refuse(self, *a, **k):
        if str(self).startswith(str(tmp_path / "proc")):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert train_sft(data, out, "max_steps=1") == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == (f"rsvlm train: out_dir {out}: cannot write there (No such file or directory); give a folder you "
                    "may write in"), last


def test_band_dropout_on_a_one_band_stem_is_refused(tmp_path, capsys):
    """data.band_dropout={ir: 0.5} with a one-band ir stem (TIR): drop_bands keeps a proper subset, so no ir image
    was ever touched, and nothing said so; the run trained without the dropout asked for."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    assert train_sft(data, out, "data.band_dropout={ir: 0.5}") == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == ("rsvlm train: override 'data.band_dropout={ir: 0.5}' (command line): data.band_dropout['ir']: "
                    "the ir stem reads one band (TIR); no proper subset of it can be dropped: leave it out of "
                    "data.band_dropout"), last
    assert not out.exists()
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config

    cfg = load_config(TrainConfig, str(recipe(tmp_path)), [f"data.train={data}", "data.band_dropout={ir: 0, sar: 0.5}"])
    check_config(cfg)  # p=0 asks nothing; two SAR bands can lose one


def test_mixture_weights_that_do_not_fit_the_records_are_a_refusal(tmp_path, capsys):
    """data.task_weights={det: 2} over records without a det task: 'rsvlm train: ValueError: data.task_weights
    names ['det'], not in the data', exit 1, though found once the records were read, before the build; the
    records file was not named."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    assert train_sft(data, out, "data.task_weights={det: 2}", "batch_size=2") == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"rsvlm train: MixtureError: {data}: data.task_weights names ['det'], not in the data "
                           "(have ["), last
    assert train_sft(data, out, "data.modality_weights={optical: 0}", "batch_size=2") == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "data.modality_weights gives every modality in the data (['optical']) weight 0" in last, last
    assert not out.exists()


def test_data_extra_naming_the_training_file_again_is_refused(tmp_path, capsys):
    """data.extra=[{path: <data.train>}] (or the same file by another spelling) trained every record twice as
    often, said only as '8 kept with an id already read'; the same file under another image root is other data."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    again = tmp_path / "d" / ".." / "d" / "train.jsonl"
    assert train_sft(data, out, f"data.extra=[{{path: {again}, weight: 2}}]") == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == (f"rsvlm train: data.extra[0].path: {again} is the records file data.train gives already, under "
                    "the same image root: each record would be drawn twice as often; leave it out (weight a file "
                    "with data.extra[i].weight)"), last
    assert not out.exists()
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.inputs import check_data_paths

    other_root = tmp_path / "other"
    other_root.mkdir()
    cfg = load_config(TrainConfig, None, [f"data.train={data}", f"data.extra=[{{path: {data}, root: {other_root}}}]"])
    check_data_paths(cfg)  # the same records over other images: allowed


def test_band_dropout_on_a_modality_no_record_has_is_said(tmp_path, capsys):
    """data.band_dropout={sar: 0.5} over optical records only: nothing was ever dropped, unsaid."""
    from rsvlm.train.sft_index import undropped_modalities

    assert undropped_modalities({"sar": 0.5, "msi": 0.5, "ir": 0.0}, ["optical", "msi+optical", "text"]) == (
        "data.band_dropout names sar, but no record has such an image (the records' modalities: msi, optical): "
        "nothing of it is dropped")
    assert undropped_modalities({"sar": 0.5}, ["optical+sar"]) is None
    data = make_records(tmp_path / "d", n=8, ir_every=0)  # optical only
    assert train_sft(data, tmp_path / "run", "data.band_dropout={sar: 0.5}", "max_steps=1", "batch_size=2",
                     "optim.warmup_steps=0") == 0
    assert ("[rsvlm.train] warning: data.band_dropout names sar, but no record has such an image (the records' "
            "modalities: optical): nothing of it is dropped") in capsys.readouterr().err
