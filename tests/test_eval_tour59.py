"""Tour 59 of the scoring scripts (``eval/``) and ``rsvlm eval``: rows of no rsvlm task, numbers as answers,
resumed rows without an ``asked_digest``, the overlap check under ``--limit``, and odd input files."""

from __future__ import annotations

import json

import pytest


def _record(rid: str, task: str, question: str, answer: str, **meta) -> dict:
    return {"id": rid, "task": task, "images": [{"path": f"{rid}.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": f"<image>\n{question}"}, {"from": "gpt", "value": answer}],
            "meta": {"width": 1000, "height": 1000, **meta}}


def _jsonl(path, rows) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_the_overlap_check_counts_only_the_records_limit_leaves(tmp_path, monkeypatch, capsys):
    from rsvlm import evaluate
    from rsvlm.cli import main

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    data = _jsonl(tmp_path / "test.jsonl", [_record(f"r{i}", "cls", "[cls] What scene?", "lake") for i in range(5)])
    seen = []
    monkeypatch.setattr(evaluate, "overlap_report",
                        lambda _m, recs, _root: seen.append([r["id"] for r in recs]) or f"{len(seen[-1])} overlap")
    monkeypatch.setattr(evaluate, "_answer", lambda *a, **k: 0)  # the check is before the model loads
    assert main(["eval", "--data", data, "--out", str(tmp_path / "p.jsonl"), "--model", str(model),
                 "--limit", "2"]) == 0
    assert seen == [["r0", "r1"]]  # was all 5: records --limit leaves unanswered, counted as overlapping
    assert "warning: 2 overlap" in capsys.readouterr().err
