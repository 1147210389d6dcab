"""Tour 59: resumed prediction rows without an ``asked_digest`` are stale (``rsvlm.predictions``)."""

import json

from rsvlm.predictions import asked_digest, inputs_digest, is_stale, merge_answers, resume_state

REC = {"id": "r0", "task": "cls", "images": [{"path": "missing.png", "modality": "optical"}],
       "conversations": [{"from": "human", "value": "<image>\n[cls] What scene?"}, {"from": "gpt", "value": "lake"}]}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_row_without_an_asked_digest_is_stale():
    assert is_stale({"id": "r0", "answer": "old"}, REC)  # was taken as current: asked what?
    assert is_stale({"id": "r0", "answer": "old", "asked_digest": "0" * 16}, REC)
    assert not is_stale({"id": "r0", "answer": "old", "asked_digest": asked_digest(REC)}, REC)


def test_resume_counts_answers_without_a_digest_and_drops_them(tmp_path):
    out = _write(tmp_path / "p.jsonl", [{"id": "r0", "task": "cls", "answer": "old"}])
    done, errors = resume_state(out, [], {"r0": REC}, tmp_path)
    assert not done and errors.unvouched == ["r0"] and not errors.asked_again
    assert out.read_text() == ""  # the next answer is the only one


def test_merge_prefers_the_error_of_a_record_asked_again_over_its_undigested_answer(tmp_path):
    # OUT of an older single-process run; this 2-process run asked r0 again, and reading its image failed
    out = _write(tmp_path / "p.jsonl", [{"id": "r0", "task": "cls", "answer": "old"}])
    error = {"id": "r0", "task": "cls", "answer": "", "error": "missing.png: not found",
             "inputs_digest": inputs_digest(REC, tmp_path), "asked_digest": asked_digest(REC)}
    _write(tmp_path / "p.jsonl.rank0", [error])
    assert merge_answers([REC], 1, out, 2, tmp_path)
    # was the old answer, to a question that may have changed, though the run had just asked it again
    assert [json.loads(line) for line in out.read_text().splitlines()] == [error]
