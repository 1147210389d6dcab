"""Stop 71, review of evaluation (area F): a scores --out to standard output, and the stamp's --limit after an
interrupted run on several processes (its answers in rank parts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import eval_record, finished_eval, write_jsonl


def _vqa_set(tmp_path):
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    return gt, write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])


def test_out_dash_writes_the_scores_to_standard_output_not_a_file_named_dash(tmp_path, monkeypatch, capsys):
    """`python -m eval.vqa … --out -` wrote a file named '-' in the current folder, then (stop 71) was refused as
    "name it -.json". `-` is standard output, as rsvlm predict's --out -: the JSON first, the table after it."""
    from eval import vqa

    monkeypatch.chdir(tmp_path)
    gt, pred = _vqa_set(tmp_path)
    assert vqa.main(["--gt", gt, "--pred", pred, "--out", "-"])["accuracy"] == 1.0
    out, err = capsys.readouterr()
    scores, end = json.JSONDecoder().raw_decode(out)
    assert scores["task"] == "vqa" and "| accuracy" in out[end:] and not (tmp_path / "-").exists()
    assert "not named .json" not in err


def test_dev_stdout_redirected_to_a_file_keeps_the_scores_whole(tmp_path):
    """`python -m eval.vqa … --out /dev/stdout > log`: the JSON was written through a second open of the log at its
    start, and the table printed after it over the JSON's first lines (the log held no JSON). It is written through
    the stream the table follows on."""
    gt, pred = _vqa_set(tmp_path)
    repo = Path(__file__).resolve().parents[1]
    log = tmp_path / "log"
    with log.open("w") as f:
        rc = subprocess.run([sys.executable, "-m", "eval.vqa", "--gt", gt, "--pred", pred, "--out", "/dev/stdout"],
                            cwd=tmp_path, stdout=f, stderr=subprocess.PIPE, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(repo)}).returncode
    text = log.read_text()
    assert rc == 0, text
    scores, end = json.JSONDecoder().raw_decode(text)
    assert scores["accuracy"] == 1.0 and "| accuracy" in text[end:] and "scores written to /dev/stdout" in text


def test_a_multi_process_run_stopped_early_is_stamped_by_the_answers_its_rank_parts_hold(tmp_path, monkeypatch,
                                                                                           capsys):
    """A full run of three records on two processes (rank 0 answers a and c, rank 1 b) stopped early, rerun on one
    process with --limit 1: the stamp gives the count of the first records the rank parts answer (1 where rank 1's b
    is missing, 2 where c is), and keeps no limit where they answer every record: the parts are read, not OUT alone,
    and the finished file, merged from them, is what the stamp says."""
    from rsvlm.cli import main
    from rsvlm.evaluate import tagged_record
    from rsvlm.predictions import asked_digest

    argv, out, rows, _ = finished_eval(tmp_path, monkeypatch)
    c = eval_record("c", "cls", "[cls] What scene?", "lake")
    write_jsonl(Path(argv[2]), [*map(json.loads, open(argv[2])), c])
    rows = [*rows, {"id": "c", "task": "cls", "answer": "lake", "asked_digest": asked_digest(tagged_record(c)[0])}]
    stamp = tmp_path / "p.jsonl.run.json"
    write_jsonl(out, rows[:1])
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err  # answered already: a stamp, no model
    full = {**json.loads(stamp.read_text()), "limit": None}  # the full run's stamp
    for held, want in (({"a", "c"}, 1), ({"a", "b"}, 2), ({"a", "b", "c"}, None)):
        out.unlink(missing_ok=True)
        stamp.write_text(json.dumps(full))
        parts = [[r for r in rows[k::2] if r["id"] in held] for k in (0, 1)]  # rank k answers records k, k+2, …
        for k, part in enumerate(parts):
            write_jsonl(tmp_path / f"p.jsonl.rank{k}", part)
        assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
        assert json.loads(stamp.read_text())["limit"] == want, held
        assert {json.loads(line)["id"] for line in out.read_text().splitlines()} == held  # merged into OUT
