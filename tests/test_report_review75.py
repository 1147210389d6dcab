"""Review 75 of eval.report's notes and the scorers' gt_digest: a copy of a set scored by two runs, the digest
pinned (canonical JSON: one value on every Python and platform), and score files from before the new keys."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import eval_record, write_jsonl


def _records() -> list[dict]:
    return [eval_record("c1", "count", "[count] How many ships?", "3"),
            eval_record("q1", "vqa", "[vqa] Is there a ship?", "yes"),
            eval_record("k1", "cls", "[cls] Classify this scene.", "harbor")]


def _score(tmp_path, run: str, gt_name: str, tasks: tuple[str, ...]) -> str:
    """``run``/scores/TASK.json for each of ``tasks``, of the three records written at ``run``/``gt_name``; the
    scores folder."""
    from eval import counting, vqa

    folder = tmp_path / run
    (folder / "scores").mkdir(parents=True)
    gt = write_jsonl(folder / gt_name, _records())
    pred = write_jsonl(folder / "pred.jsonl", [{"id": r["id"], "task": r["task"], "answer": "3"} for r in _records()])
    for task in tasks:
        out = str(folder / "scores" / f"{task}.json")
        {"count": counting, "vqa": vqa}[task].main(["--gt", gt, "--pred", pred, "--out", out])
    return str(folder / "scores")


def test_a_copy_of_the_set_another_run_scored_is_one_set_in_the_unscored_note(tmp_path):
    """runA scored counting and vqa against gt.jsonl, runB vqa against copy.jsonl (the same records, one vqa
    digest): copy.jsonl's note said its count record was scored by no file ('count: 1, cls: 1'), while apart()
    takes the copy for one set. Now one note, of cls alone, naming both."""
    from eval import report

    a, b = _score(tmp_path, "runA", "gt.jsonl", ("count", "vqa")), _score(tmp_path, "runB", "copy.jsonl", ("vqa",))
    notes = [n for n in report.main(["--dir", a, b])["notes"] if "no score file here scores" in n]
    assert notes == [f"{tmp_path / 'runA/gt.jsonl'} (and {tmp_path / 'runB/copy.jsonl'}, of the same records) holds "
                     "1 record of a task no score file here scores (cls: 1); score it with python -m eval.classification"]


def test_gt_digest_is_canonical_json_of_the_task_s_records_and_pinned(tmp_path):
    """The digest is sha256 of the task's records in id order, each ``json.dumps(sort_keys=True)`` (ASCII-escaped,
    default separators, floats by repr): one value on every Python and platform, so pinned. The key order of the
    file, gzip, records of other tasks and a --limit's missing answers leave it alone; an edited reference not."""
    from eval import counting

    recs = [{"task": "count", "id": "b", "meta": {"width": 10, "height": 10, "gsd": 0.3, "note": "Hafen München"},
             "images": [{"path": "b.png"}], "conversations": [{"from": "human", "value": "<image>\n[count] How many?"},
                                                              {"from": "gpt", "value": "2"}]},
            eval_record("a", "count", "[count] How many ships?", "3"), eval_record("v", "vqa", "[vqa] Ship?", "no")]
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "count", "answer": "3"}])
    plain = write_jsonl(tmp_path / "gt.jsonl", recs)
    digest = counting.main(["--gt", plain, "--pred", pred])["gt_digest"]
    assert digest == "48d695cce823ea6f"  # a normalize_record change that moves it makes every older file differ
    other = [json.loads(json.dumps(r, sort_keys=True)) for r in reversed(recs)]
    other[0]["conversations"][1]["value"] = "yes"  # the vqa record's
    gz = tmp_path / "gt2.jsonl.gz"
    gz.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in other).encode()))
    assert counting.main(["--gt", str(gz), "--pred", pred])["gt_digest"] == digest
    recs[1]["conversations"][1]["value"] = "4"
    assert counting.main(["--gt", write_jsonl(tmp_path / "gt3.jsonl", recs), "--pred", pred])["gt_digest"] != digest


@pytest.mark.parametrize("dropped", [("gt_digest",), ("gt_digest", "n_gt_other_tasks")])
def test_score_files_from_before_the_new_keys_are_reported(tmp_path, dropped):
    """Score files written before gt_digest and n_gt_other_tasks: the report reads them, flags nothing of one --gt,
    and leaves the unscored-records note unsaid where a file lacks n_gt_other_tasks."""
    from eval import report

    a = _score(tmp_path, "runA", "gt.jsonl", ("count",))
    path = tmp_path / "runA/scores/count.json"
    path.write_text(json.dumps({k: v for k, v in json.loads(path.read_text()).items() if k not in dropped}))
    notes = report.main(["--dir", a])["notes"]
    assert notes == ([] if "n_gt_other_tasks" in dropped else
                     [f"{tmp_path / 'runA/gt.jsonl'} holds 2 records of tasks no score file here scores (vqa: 1, "
                      "cls: 1); score them with python -m eval.vqa, python -m eval.classification"])
