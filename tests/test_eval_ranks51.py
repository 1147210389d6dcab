"""rsvlm eval resumed on another process count: answers already in OUT or in any OUT.rankR part
count as done for every rank, and the merge keeps them. Ranks are simulated by calling
``evaluate.run`` with rank/world in turn; a stand-in answers in place of the model and notes
which records it was asked."""
import json

import numpy as np
import pytest
from PIL import Image

from rsvlm import evaluate

RECORD = {"id": "r0", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
          "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}


class Killed(Exception):
    pass


class StandIn:
    """``answer_batch`` for ``evaluate.run``: answers ``"run N"``, or an error row saying so where the
    image is missing; after ``stop_after`` answers in all, it raises Killed (a killed run)."""

    def __init__(self, monkeypatch):
        self.asked, self.tag, self.stop_after = [], "run 1", None

        def answer(model, processor, records, root, *a, **kw):
            rows = []
            for r in records:
                if self.stop_after is not None and len(self.asked) >= self.stop_after:
                    raise Killed
                self.asked.append(r["id"])
                if (root / r["images"][0]["path"]).is_file():
                    rows.append({"id": r["id"], "task": r["task"], "answer": self.tag})
                else:  # as answer_batch writes it
                    rows.append({"id": r["id"], "task": r["task"], "answer": "", "error": f"gone.png: not found "
                                 f"({self.tag})", "inputs_digest": evaluate.inputs_digest(r, root)})
            return rows

        monkeypatch.setattr(evaluate, "answer_batch", answer)


def records_file(tmp_path, n, missing=()):
    """tmp_path/test.jsonl of n cls records r0… over one black image; ``missing`` ones name gone.png."""
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps({**RECORD, "id": f"r{i}", "images": [
        {"path": "gone.png" if i in missing else "a.png", "modality": "optical"}]}) + "\n" for i in range(n)))
    return data


def run_eval(data, out, rank=0, world=1, **kw):
    return evaluate.run(None, None, data, out, batch_size=1, rank=rank, world=world, progress=False, **kw)


def _rows(out):
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_a_single_process_run_continued_on_two_ranks_answers_only_the_rest(tmp_path, monkeypatch):
    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 6), tmp_path / "p.jsonl"
    model.stop_after = 4
    with pytest.raises(Killed):
        run_eval(data, out)  # killed after 4 of 6 answers
    model.stop_after, model.tag = None, "run 2"
    assert run_eval(data, out, rank=1, world=2) == out.with_name("p.jsonl.rank1")
    assert run_eval(data, out, rank=0, world=2) == out
    assert model.asked == ["r0", "r1", "r2", "r3", "r5", "r4"]  # was: r1 r3 r5 r0 r2 r4 answered again
    rows = _rows(out)
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(6)]
    assert [r["answer"] for r in rows] == ["run 1"] * 4 + ["run 2"] * 2  # the first run's answers kept


def test_two_ranks_resumed_on_three_and_then_on_one(tmp_path, monkeypatch):
    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 9), tmp_path / "p.jsonl"
    run_eval(data, out, rank=0, world=2)  # r0 r2 r4 r6 r8
    model.stop_after = 7
    with pytest.raises(Killed):
        run_eval(data, out, rank=1, world=2)  # r1 r3, then killed
    assert not out.exists()
    model.stop_after, model.tag = 8, "run 2"
    for rank in (2, 0):  # rank 1 (r1 r4 r7 of three) is killed before it answers r7
        run_eval(data, out, rank=rank, world=3)
    with pytest.raises(Killed):
        run_eval(data, out, rank=1, world=3)
    assert not out.exists()  # r7 has no answer yet: nothing merged
    model.stop_after, model.tag = None, "run 3"
    assert run_eval(data, out) == out  # on one process: the parts' answers merged into OUT
    assert model.asked == ["r0", "r2", "r4", "r6", "r8", "r1", "r3", "r5", "r7"]  # each once
    rows = _rows(out)
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(9)]
    assert {r["id"]: r["answer"] for r in rows} == {
        **{f"r{i}": "run 1" for i in (0, 1, 2, 3, 4, 6, 8)}, "r5": "run 2", "r7": "run 3"}
    assert run_eval(data, out, rank=0, world=4) == out  # every record answered: merged at once
    assert model.asked[9:] == [] and _rows(out) == rows  # nothing answered twice, nothing lost


def test_error_rows_are_kept_or_answered_again_whatever_the_process_count(tmp_path, monkeypatch, capsys):
    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 4, missing={1}), tmp_path / "p.jsonl"
    run_eval(data, out)
    assert "gone.png" in _rows(out)[1]["error"]
    capsys.readouterr()
    model.tag = "run 2"
    for rank in (1, 0):  # r1's image still missing: it would fail again, so it is kept, not answered
        run_eval(data, out, rank=rank, world=2)
    err = capsys.readouterr().err
    assert "1 record answered empty with an error last time is not answered again" in err
    assert model.asked == ["r0", "r1", "r2", "r3"] and "gone.png" in _rows(out)[1]["error"]

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "gone.png")  # the user puts it in place
    for rank in (0, 2, 1):  # r1 is rank 1's of three; its error row sits in OUT
        run_eval(data, out, rank=rank, world=3)
    assert "1 record answered empty with an error last time is answered again (1 whose record or image " \
        "files changed)" in capsys.readouterr().err
    assert model.asked == ["r0", "r1", "r2", "r3", "r1"]
    rows = _rows(out)
    assert [r["id"] for r in rows] == ["r0", "r1", "r2", "r3"]
    assert rows[1] == {"id": "r1", "task": "cls", "answer": "run 2",  # the new answer, not the old error row
                       "asked_digest": evaluate.asked_digest(json.loads(data.read_text().splitlines()[1]))}


def test_error_rows_retried_on_request_are_merged_in_place_of_the_old_ones(tmp_path, monkeypatch):
    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 3, missing={0, 2}), tmp_path / "p.jsonl"
    for rank in (0, 1):
        run_eval(data, out, rank=rank, world=2)
    gone = "gone.png: not found (run 1)"
    assert [r.get("error") for r in _rows(out)] == [gone, None, gone]
    (tmp_path / "a.png").unlink()  # r1 would fail now, but it has an answer: done
    model.tag = "run 2"
    for rank in (2, 1, 0):
        run_eval(data, out, rank=rank, world=3, retry_errors=True)
    assert model.asked == ["r0", "r2", "r1", "r2", "r0"]  # r0 and r2 once more each
    rows = _rows(out)
    assert [r["id"] for r in rows] == ["r0", "r1", "r2"] and rows[1]["answer"] == "run 1"
    assert rows[0]["error"] == rows[2]["error"] == "gone.png: not found (run 2)"  # this run's, the old ones' place


def test_answers_in_parts_of_another_process_count_are_checked(tmp_path, capsys):
    data = records_file(tmp_path, 2)
    out = tmp_path / "p.jsonl"
    (tmp_path / "p.jsonl.rank3").write_text(json.dumps({"id": "zz", "task": "cls", "answer": "forest"}) + "\n")
    assert "p.jsonl and its rank parts (p.jsonl.rank3) already hold 1 answer to records not in" in (
        err := evaluate.check_out(data, out)) and "delete them or choose another --out" in err
    (tmp_path / "p.jsonl.rank3").write_text(json.dumps({"id": "r1", "task": "cls", "answer": "forest"}) + "\n")
    assert evaluate.check_out(data, out) is None
    stamp = {"model": "m", "weights": {"a.safetensors": "1:ab"}, "options": {}}
    evaluate.stamp_path(out).write_text(json.dumps({**stamp, "weights": {"a.safetensors": "1:cd"}}))
    assert "(p.jsonl.rank3) hold answers of other weights" in evaluate.check_stamp(out, stamp)  # was None
    evaluate.stamp_path(out).unlink()
    stamp, warning = evaluate.unstamped_answers(out, stamp)
    assert stamp["unchecked_answers"] == 1 and "hold 1 answer but its p.jsonl.run.json is missing" in warning and "delete them to answer" in warning


def test_the_merge_keeps_answers_past_limit(tmp_path, monkeypatch):
    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 5), tmp_path / "p.jsonl"
    run_eval(data, out)
    for rank in (0, 1):  # a quick look on two ranks at the first 2 records: all answered already
        assert run_eval(data, out, rank=rank, world=2, limit=2) == out
    assert model.asked == [f"r{i}" for i in range(5)]
    assert [r["id"] for r in _rows(out)] == [f"r{i}" for i in range(5)]  # was cut to r0 r1 by the merge
