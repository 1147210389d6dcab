"""scripts/ and bench/ toured as a user (tour 67): bad numbers refused before any work."""

from __future__ import annotations

import pytest
from test_bench_args import bench_main


@pytest.mark.parametrize("name, args", [
    ("count_assay", ["--scenes", "1", "--steps", "1"]),
    ("ground_assay", ["--scenes", "1", "--steps", "1"]),
    ("train_throughput", ["--steps", "2", "--n", "1"]),
])
def test_benches_refuse_a_negative_seed_as_a_usage_error(monkeypatch, capsys, name, args):
    """Was: the generator's (assays) or numpy's (train_throughput) ValueError traceback, after the start."""
    with pytest.raises(SystemExit) as e:
        bench_main(name, monkeypatch, [*args, "--seed", "-1"])
    assert e.value.code == 2 and "--seed -1: give 0 or more" in capsys.readouterr().err
