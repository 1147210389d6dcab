"""Rough-edge tour 55 of synthetic scenes, instruction building, rebuild, chat and preview."""

from __future__ import annotations

from data_gen.synth.config import SynthConfig
from data_gen.synth.run import synthesize
from rsvlm.config import from_dict


def _cfg(modalities=("optical",), size: int = 32, **instructions) -> SynthConfig:
    return from_dict(SynthConfig, {"modalities": list(modalities), "scene": {"size": size, "pairs_fraction": 0.0},
                                   "instructions": {"records_per_image": 1, **instructions}})


def test_cpu_time_counts_the_pool_workers(tmp_path):
    # pool workers are the forkserver's children: RUSAGE_CHILDREN never saw them, so 2 workers
    # reported a few CPU-ms for the whole run (0.5 CPU-ms per scene against 40 with 1 worker)
    cfg = _cfg(("optical", "sar", "ir", "msi"), size=64)
    one = synthesize(tmp_path / "one", 4, seed=0, cfg=cfg, workers=1, progress=False, verbose=False)
    two = synthesize(tmp_path / "two", 4, seed=0, cfg=cfg, workers=2, progress=False, verbose=False)
    assert one["cpu_seconds"] > 0
    assert two["cpu_seconds"] >= 0.5 * one["cpu_seconds"]
