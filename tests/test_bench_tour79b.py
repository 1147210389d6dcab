"""bench/ toured again (stop 79): counts read in the singular or the plural, never ``worker(s)``."""

from __future__ import annotations

import json
import re
import tokenize
from pathlib import Path

import pytest
from test_bench_args import bench_main

REPO = Path(__file__).resolve().parents[1]
HEDGED = re.compile(r"[a-z]\(s\)")  # "1 worker(s)", "2 record(s)"


def _strings_with_a_hedge(path: Path) -> list[str]:
    # Python 3.12 parts an f-string into FSTRING_* tokens, its text in FSTRING_MIDDLE: no STRING, so unchecked
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    with open(path, "rb") as f:
        return [f"{path.relative_to(REPO)}:{t.start[0]}: {t.string[:80]}" for t in tokenize.tokenize(f.readline)
                if t.type in kinds and HEDGED.search(t.string)]


def test_no_string_of_bench_or_synth_hedges_a_plural():
    """bench/ printed "1 worker(s)", "5 of 5 run(s)", "3 draw(s)"; data_gen's synth and instructions none now."""
    files = [p for folder in ("bench", "data_gen/synth", "data_gen/instructions")
             for p in sorted((REPO / folder).rglob("*.py"))] + [REPO / "data_gen/__main__.py", REPO / "data_gen/argv.py"]
    assert len(files) > 30
    assert [s for p in files for s in _strings_with_a_hedge(p)] == []


def test_synth_throughput_with_one_worker_and_one_scene_says_both_in_the_singular(monkeypatch, capsys):
    """Was: '| 1 worker(s) |', 'CPU work per scene with 1 workers … on 1 idle cores', 'Pipeline: 1 scenes x …'."""
    assert bench_main("synth_throughput", monkeypatch, ["--n", "1", "--workers", "1", "--repeat", "1",
                                                         "--size", "32"]) == 0
    out, err = capsys.readouterr()
    assert "| 1 worker |" in out and "CPU work per scene with 1 worker (main process included)" in out, out
    assert "on 1 idle core:" in out and "Pipeline: 1 scene x 4 modalities, 32 px" in out, out
    assert "run 1 of 1, 1 scene, 1 worker" in err and "(s)" not in out + err


def test_det_decoding_says_one_unsized_record_in_the_singular(tmp_path, monkeypatch, capsys):
    from bench_helpers import det_records

    import rsvlm.inference

    data = det_records(tmp_path)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    del rows[2]["meta"]["height"]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: pytest.fail("the model was loaded"))
    with pytest.raises(SystemExit) as e:
        bench_main("det_decoding", monkeypatch, ["--data", str(data)])
    assert e.value.code == 2
    assert f"--data {data}: 1 of 4 det records has no meta.width/meta.height (first: id {rows[2]['id']!r})" \
        in capsys.readouterr().err
