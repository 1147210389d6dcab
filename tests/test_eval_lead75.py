"""Eval notes, stop 75."""
import json

from conftest import eval_record, write_jsonl


def test_a_limit_run_that_answered_none_of_a_task_is_not_called_another_tasks_file(tmp_path, capsys):
    """A --limit run's first N records were all vqa, so the classification scorer saw answers to none of its
    records and asked "a predictions file of another task?": the limit, which the run note gives, is why."""
    from eval import classification

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "ab"]
    recs += [eval_record(i, "cls", "[cls] What is this scene?", "forest") for i in "cd"]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "ab"])
    stamp = tmp_path / "p.jsonl.run.json"
    stamp.write_text(json.dumps({"model": "/m", "options": {"max_new_tokens": 24}, "limit": 2}))
    notes = classification.main(["--gt", gt, "--pred", pred])["notes"]
    assert not any("a predictions file of another task?" in n for n in notes), notes
    assert any("--limit 2" in n for n in notes), notes
    stamp.unlink()  # no limit recorded: the same file is another task's answers as far as anyone can tell
    notes = classification.main(["--gt", gt, "--pred", pred])["notes"]
    assert any("a predictions file of another task?" in n for n in notes), notes
