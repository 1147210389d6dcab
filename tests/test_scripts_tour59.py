"""scripts/ toured as a user (tour 59): compare_checkpoints on checkpoints of other LoRA ranks."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from script_loader import load_script


def test_compare_says_how_many_tensors_differ_in_shape_not_a_zero_difference(tmp_path, monkeypatch, capsys):
    cmp = load_script("compare_checkpoints", monkeypatch)
    for name, rank, moved in (("a", 4, 0.0), ("b", 8, 0.5)):  # adapters of rank 4 and 8, a weight that moved
        d = tmp_path / name
        (d / "adapter").mkdir(parents=True)
        save_file({"lora_A.weight": torch.zeros(rank, 16), "steps": torch.tensor([3 + int(2 * moved)])},
                  str(d / "adapter" / "adapter_model.safetensors"))
        save_file({"v": torch.full((2, 3), moved)}, str(d / "vision.safetensors"))
    assert cmp.main([str(tmp_path / "a"), str(tmp_path / "b"), "--show", "1"]) == 1
    lines = capsys.readouterr().out.splitlines()
    # was: 'adapter/adapter_model.safetensors  2  2  0' and nothing else: --show lists the largest |Δ| first,
    # and the rank mismatch ('lora_A.weight  shape  0') came after every weight that moved, cut off
    assert lines[1].split()[1:] == ["2", "2", "differs/shape"]
    assert lines[2].split()[1:] == ["1", "1", "0.5"]
    assert lines[3].split()[1:] == ["v", "differs", "0.5"]
    assert lines[4] == "3 of 3 tensors differ (1 in values |Δ| does not size, 1 in shape)"
    assert cmp.main([str(tmp_path / "a"), str(tmp_path / "b"), "--show", "3"]) == 1
    # no '0' after it: both shapes (the rank of each side)
    assert capsys.readouterr().out.splitlines()[4].split(": ", 1)[1] == "lora_A.weight  shape  (4, 16) vs (8, 16)"


# ---------------------------------------------------------------- scripts/memory_plan.py
def test_memory_plan_refuses_a_weights_file_without_reading_it(tmp_path, monkeypatch, capsys):
    plan = load_script("memory_plan", monkeypatch)
    for name in ("pytorch_model.bin", "model.pt", "vision.safetensors"):
        (tmp_path / name).write_bytes(b"x")  # was read as YAML: 'top level must be a mapping, got str 'x''
        assert plan.main([str(tmp_path / name)]) == 2
        out = capsys.readouterr()
        assert out.err == f"memory_plan: {tmp_path / name}: a weights file, not a config (weights are never read " \
                          "here, pickles never loaded); give a model YAML, a training recipe or a checkpoint folder\n"
        assert not out.out


def test_memory_plan_writes_its_tables_and_errors_on_lines_of_their_own_beside_the_bar(monkeypatch):
    import io
    import re

    plan = load_script("memory_plan", monkeypatch)
    tiny = str(plan.REPO / "configs/model/tiny.yaml")
    for args, starts in ((["--seq-len", "10"], "memory_plan: --seq-len 10: "), ([], "### tiny (LLM lora)")):
        term = io.StringIO()  # a terminal: stdout and stderr on one screen, '\r' redraws the bar's line
        monkeypatch.setattr("sys.stdout", term)
        monkeypatch.setattr("sys.stderr", term)
        plan.main([tiny, *args])
        # was: 'building on meta:   0%|…| 0/1 [00:00<?, ?it/s]memory_plan: --seq-len 10: …' on the bar's line,
        # its start then overwritten by the bar's next redraw; so was each table's ### title
        assert any(seg.startswith(starts) for seg in re.split(r"[\r\n]", term.getvalue())), term.getvalue()


# ---------------------------------------------------------------- scripts/probe_*.py
def test_probes_call_a_data_folder_a_folder_not_a_missing_file(tmp_path, monkeypatch, capsys):
    for name in ("probe_pointer_cells", "probe_sensor_word"):
        probe = load_script(name, monkeypatch)
        with pytest.raises(SystemExit) as e:  # was '--data: no such file DIR', of a folder that is there
            probe.main(["--data", str(tmp_path)])
        assert e.value.code == 2
        assert capsys.readouterr().err.endswith(f"error: --data {tmp_path}: a folder; give a JSONL file\n")
