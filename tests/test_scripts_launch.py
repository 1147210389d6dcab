"""scripts/launch.py refuses numbers that would only fail once every rank has started."""

from __future__ import annotations

import pytest
from script_loader import REPO, load_script


def test_a_global_batch_of_zero_is_refused(tmp_path, monkeypatch, capsys):
    launch = load_script("launch", monkeypatch)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("# global_batch: 0\n" + (REPO / "configs/train/sft_tiny.yaml").read_text())
    assert launch.main([str(recipe), "--gpus-per-node", "1", "--dry-run"]) == 2  # was: grad_accum=0, exit 0
    err = capsys.readouterr().err
    assert f"{recipe}: no '# global_batch: N' header comment with N >= 1" in err and "grad_accum" not in err


@pytest.mark.parametrize("port", ["0", "99999", "-1"])
def test_a_master_port_out_of_range_is_a_usage_error(monkeypatch, capsys, port):
    launch = load_script("launch", monkeypatch)
    with pytest.raises(SystemExit) as e:  # was: printed and run as it was
        launch.main([str(REPO / "configs/train/recipes/geochat-7b-sft.yaml"), "--master-port", port, "--dry-run"])
    assert e.value.code == 2 and f"--master-port {port}: give a TCP port, 1 to 65535" in capsys.readouterr().err
