"""Rough-edge tour 62 of training: exit statuses of bad data, the launcher's checks before it starts processes,
the visual-token check before ``out_dir`` is written, and ``init_from``'s builds."""

from __future__ import annotations

from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def test_records_that_fill_no_batch_exit_2_as_too_few_records_do(tmp_path, capsys):
    """3 optical and 1 ir record, batch_size=4, one modality a batch: DataPlanError exited 1 (a failure once
    started) where TooFewRecords, the same bad input, exits 2."""
    data = make_records(tmp_path / "d", n=4)  # every 4th an ir record
    out = tmp_path / "out"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "batch_size=4"]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert "rsvlm train: DataPlanError: " in err and "4 records (1 ir, 3 optical) cannot fill one global batch" in err
    assert not out.exists()
