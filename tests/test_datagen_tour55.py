"""Rough-edge tour 55 of synthetic scenes, instruction building, rebuild, chat and preview."""

from __future__ import annotations

import json

from data_gen.synth.config import SynthConfig
from data_gen.synth.run import synthesize
from rsvlm.config import from_dict


def _cfg(modalities=("optical",), size: int = 32, pairs: float = 0.0, split=None, **instructions) -> SynthConfig:
    return from_dict(SynthConfig, {"modalities": list(modalities), "scene": {"size": size, "pairs_fraction": pairs},
                                   "split": split or {"val": 0.1, "test": 0.1},
                                   "instructions": {"records_per_image": 1, **instructions}})


def test_cpu_time_counts_the_pool_workers(tmp_path):
    # pool workers are the forkserver's children: RUSAGE_CHILDREN never saw them, so 2 workers
    # reported a few CPU-ms for the whole run (0.5 CPU-ms per scene against 40 with 1 worker)
    cfg = _cfg(("optical", "sar", "ir", "msi"), size=64)
    one = synthesize(tmp_path / "one", 4, seed=0, cfg=cfg, workers=1, progress=False, verbose=False)
    two = synthesize(tmp_path / "two", 4, seed=0, cfg=cfg, workers=2, progress=False, verbose=False)
    assert one["cpu_seconds"] > 0
    assert two["cpu_seconds"] >= 0.5 * one["cpu_seconds"]


def _lines(path) -> dict[str, str]:
    """Record lines of a records file by scene."""
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        out.setdefault(json.loads(line)["meta"]["scene"], []).append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def test_rebuild_draws_each_scene_by_its_id_not_its_place_in_the_folder(tmp_path):
    # the synth seed remade synth's records only while the folder held exactly synth's scenes: one
    # scene removed (or one of another run sorting first) shifted every later scene's draws
    from data_gen.__main__ import main

    cfg = _cfg(split={"val": 0.0, "test": 0.0})
    synthesize(tmp_path, 6, seed=3, cfg=cfg, progress=False, verbose=False)
    before = _lines(tmp_path / "train.jsonl")
    (tmp_path / "scenes" / "s3-000001.json").unlink()
    assert main(["rebuild", "--dir", str(tmp_path), "--seed", "3", "--prefix", "r_", "--no-progress"]) == 0
    after = _lines(tmp_path / "r_train.jsonl")
    assert set(after) == set(before) - {"s3-000001"}
    assert all(after[s] == before[s] for s in after)


def test_preview_names_a_truncated_scene_json_and_still_draws_the_others(tmp_path, capsys):
    # a scene JSON cut short (a killed run) was a JSONDecodeError traceback that drew nothing
    from data_gen.synth.preview import main as preview

    synthesize(tmp_path, 3, seed=1, cfg=_cfg(), progress=False, verbose=False)
    bad = tmp_path / "scenes" / "s1-000001.json"
    bad.write_text(bad.read_text()[:40])
    assert preview(["--dir", str(tmp_path), "--out", str(tmp_path / "pv")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: not valid JSON" in err and "1 of 3 scene(s) not drawn: s1-000001" in err
    assert len(list((tmp_path / "pv").glob("*.png"))) >= 1
    (tmp_path / "scenes" / "s1-000002.json").write_text("[1, 2]")  # JSON, but not a scene
    assert preview(["--dir", str(tmp_path), "--out", str(tmp_path / "pv"), "--scenes", "s1-000002"]) == 2
    assert "s1-000002.json: not a scene JSON of `python -m data_gen synth` (not a JSON object)" in capsys.readouterr().err


def test_every_rendered_modality_weighted_zero_is_a_mix_that_makes_no_record(tmp_path, capsys):
    # it rendered every scene and wrote empty records files with exit 0
    from data_gen.__main__ import main

    out = tmp_path / "o"
    assert main(["synth", "--out", str(out), "--n", "2", "--modalities", "optical", "--size", "32", "--no-progress",
                 "instructions.modality_weights={optical: 0, sar: 1}"]) == 2
    err = capsys.readouterr().err
    assert "instructions.modality_weights" in err and "every rendered modality (optical) has weight 0" in err
    assert not out.exists()
    assert main(["synth", "--out", str(out), "--n", "1", "--modalities", "optical", "--size", "32", "--no-progress",
                 "instructions.modality_weights={optical: 0}", "instructions.records_per_image=0"]) == 0
