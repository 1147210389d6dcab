"""Tour 79 (new user): claims of README.md and docs/bad-data.md checked against the code."""

import json
import re
from pathlib import Path

from rsvlm.data.records import load_records

ROOT = Path(__file__).resolve().parents[1]


def _record(rid: str, meta: str = '{"source": "synthetic"}') -> str:
    rec = {"id": rid, "images": [{"path": "a.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[cls] What is this scene?"},
                             {"from": "gpt", "value": "harbour"}], "task": "cls"}
    return json.dumps(rec)[:-1] + f', "meta": {meta}}}'


def test_bad_data_names_the_duplicate_key_reason_the_reader_counts(tmp_path):
    """A key given twice inside meta is counted as 'duplicate key'; an empty [] meta is kept (reads as {})."""
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join([_record("ok"), _record("twice", '{"scene": "a", "scene": "b"}'),
                               _record("empty", "[]")]) + "\n")
    records, report = load_records(path, strict=False)
    assert [r["id"] for r in records] == ["ok", "empty"]
    assert report.skipped == {"duplicate key": 1}
    doc = (ROOT / "docs/bad-data.md").read_text()
    assert "(`duplicate key`" in doc
    assert "an empty `[]`, PHP's empty map, reads as `{}`" in doc


def test_readme_says_the_bundled_model_runs_on_a_cpu_and_how_fast():
    """A user with no GPU is told the bundled model needs none, and what a load and an answer take."""
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("## Command line", 1)[0]
    assert "It needs no GPU" in quick
    assert re.search(r"loads in about \d+ s", quick)
    assert "answers each question in under a second" in quick
