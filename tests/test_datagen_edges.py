"""Rough edges of ``python -m data_gen``: bad input, reruns, interrupted runs, empty results."""

from __future__ import annotations

from data_gen.synth.config import SynthConfig
from data_gen.synth.run import synthesize
from rsvlm.config import from_dict


def _small(**instructions) -> SynthConfig:
    return from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 32, "pairs_fraction": 0.0},
                                   "instructions": {"records_per_image": 1, **instructions}})


def test_a_failed_run_leaves_no_records_file_that_looks_complete(tmp_path):
    from data_gen.instructions.rebuild import main as rebuild

    synthesize(tmp_path, 4, seed=0, cfg=_small(), progress=False, verbose=False)
    assert (tmp_path / "train.jsonl").is_file() and not list(tmp_path.glob("*.partial"))
    (tmp_path / "images" / "s0-000002_optical.png").unlink()
    (tmp_path / "images" / "s0-000002_optical.png").mkdir()  # scene 2 cannot be written
    try:
        synthesize(tmp_path, 4, seed=0, cfg=_small(), progress=False, verbose=False)
    except OSError:
        pass
    else:
        raise AssertionError("writing onto a folder should fail")
    assert not any((tmp_path / f"{s}.jsonl").exists() for s in ("train", "val", "test"))
    assert not (tmp_path / "stats.json").exists() and (tmp_path / "train.jsonl.partial").is_file()
    (tmp_path / "masks" / "s0-000001_inst.png").unlink()  # rebuild fails at scene 1
    assert rebuild(["--dir", str(tmp_path), "--prefix", "g_"]) == 2
    assert not list(tmp_path.glob("g_*.jsonl")) and not (tmp_path / "g_stats.json").exists()
