"""Review of stop 73, evaluation: SIGTERM's handler during rsvlm eval (only over Python's default, off the main
thread nothing, a KeyboardInterrupt with words of its own still Ctrl-C's 130), a predictions file cut inside a UTF-8
character (another tool's, killed) resumed and scored, a BOM'd CRLF --out resumed and written back without them."""

import json
import os
import signal
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from tests.conftest import write_jsonl

BOM = "\ufeff".encode()


@pytest.fixture
def default_sigterm():
    """SIGTERM at Python's default for the test (whatever the runner set), put back after."""
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, before)


def _mine(*_):
    pass


def answering_sea(monkeypatch) -> list[str]:
    """Stands rsvlm eval's answerer in: every record answered "sea" (cls); the list it returns fills with the ids asked."""
    from rsvlm import evaluate

    asked: list[str] = []

    def answer(model, processor, records, *a, **kw):
        asked.extend(r["id"] for r in records)
        return [{"id": r["id"], "task": "cls", "answer": "sea"} for r in records]

    monkeypatch.setattr(evaluate, "answer_batch", answer)
    return asked


@pytest.mark.parametrize("theirs", [signal.SIG_IGN, _mine], ids=["ignored", "a callers handler"])
def test_a_sigterm_ignored_or_handled_by_the_caller_is_left_as_it_is(default_sigterm, theirs):
    """It was replaced for the run: a SIGTERM the caller ignores (or a framework handles: submitit's, a notebook
    kernel's) stopped the run; and one set from C (getsignal None) was put back as None, a TypeError."""
    from rsvlm.eval_answers import term_as_interrupt

    signal.signal(signal.SIGTERM, theirs)
    with term_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) is theirs
    assert signal.getsignal(signal.SIGTERM) is theirs


def test_off_the_main_thread_nothing_changes_and_nothing_is_raised(default_sigterm):
    """signal.signal raises ValueError off the main thread (a thread pool, a notebook's worker calling run)."""
    from rsvlm.eval_answers import term_as_interrupt

    seen = []

    def work():
        try:
            with term_as_interrupt():
                seen.append(signal.getsignal(signal.SIGTERM))
        except Exception as e:  # noqa: BLE001  (what the thread would have died of)
            seen.append(e)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [signal.SIG_DFL] and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_the_handler_is_put_back_when_the_run_fails(default_sigterm):
    from rsvlm.eval_answers import term_as_interrupt

    with pytest.raises(ZeroDivisionError), term_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        1 / 0  # noqa: B018
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def _answer_args(tmp_path):
    return SimpleNamespace(out=str(tmp_path / "p.jsonl"), data=str(tmp_path / "test.jsonl"), missing_bands="error",
                           det_by_class=False, batch_size=2, max_new_tokens=2, limit=None, free_decoding=False,
                           tta="none", min_objects=0, retry_errors=False, image_root=None, model="m")


@pytest.mark.parametrize("stop, status, said", [
    (KeyboardInterrupt(), 130, "rsvlm eval: interrupted; "),
    (KeyboardInterrupt("a library's own words"), 130, "rsvlm eval: interrupted; "),
    ("terminated", 143, "rsvlm eval: stopped by SIGTERM; "),
])
def test_the_exit_status_is_sigterms_only_for_sigterm(tmp_path, monkeypatch, capsys, stop, status, said):
    """143 was told by the KeyboardInterrupt having words: one raised with words of its own (not SIGTERM's) was 143."""
    from rsvlm import evaluate
    from rsvlm.processes import Terminated

    def run(*a, **kw):
        raise Terminated() if stop == "terminated" else stop

    monkeypatch.setattr(evaluate, "answered_already", lambda *a: True)
    monkeypatch.setattr(evaluate, "run", run)
    args = _answer_args(tmp_path)
    assert evaluate._answer(args, 0, 1, "cpu", tmp_path, {"model": "m"}, None, ([], None)) == status
    assert (said + f"the answers written so far are kept in {args.out} and a rerun with the same --out resumes "
            "from them") in capsys.readouterr().err


# ---------------------------------------------------------------- a file cut inside a UTF-8 character


def _records(tmp_path, n):
    from PIL import Image

    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "a.png")
    return write_jsonl(tmp_path / "test.jsonl", [{
        "id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
        "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}
        for i in range(n)])


def _cut_inside_a_character(path, rows):
    """``rows`` as another tool writes them (UTF-8, not \\u escapes), the last cut inside its last character."""
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode().rstrip(b"\n")
    data = data[:data.rindex("湖".encode()) + 1]
    path.write_bytes(data)
    with pytest.raises(UnicodeDecodeError):
        data.decode()


def test_a_foreign_out_cut_inside_a_character_is_resumed(tmp_path, monkeypatch, capsys):
    """It was refused before the run: "--out … is not a text file"; rsvlm eval's own rows are ASCII (json.dumps's
    escapes), so its own kills never cut so."""
    from rsvlm import evaluate
    from rsvlm.eval_reading import undigested
    from rsvlm.predictions import answered_ids, asked_digest, check_out

    data = _records(tmp_path, 3)
    recs = [evaluate.tagged_record(json.loads(line))[0] for line in open(data)]
    out = tmp_path / "p.jsonl"
    _cut_inside_a_character(out, [{"id": f"r{i}", "task": "cls", "answer": "湖泊", "asked_digest": asked_digest(recs[i])}
                                  for i in range(2)])
    assert check_out(tmp_path / "test.jsonl", out) is None
    assert answered_ids(out) == {"r0"} and undigested([out], {r["id"]: r for r in recs}) == []
    asked = answering_sea(monkeypatch)
    evaluate.run(None, None, tmp_path / "test.jsonl", out, batch_size=2, progress=False)
    assert asked == ["r1", "r2"]
    err = capsys.readouterr().err
    assert f"rsvlm eval: {out}'s last line was cut short (a killed run's: " in err and "dropped, its record is answered again" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["answer"]) for r in rows] == [("r0", "湖泊"), ("r1", "sea"), ("r2", "sea")]
    binary = b"\x89\xff\x00\x01 no line end"  # bytes no UTF-8, not at the end: refused, not read as a cut line
    out.write_bytes(binary)
    assert check_out(tmp_path / "test.jsonl", out) == f"--out {out} is not a text file; give the predictions JSONL's path"
    assert out.read_bytes() == binary


def test_a_scorer_reads_a_file_cut_inside_a_character_up_to_its_cut_line(tmp_path):
    """It refused the whole file: "not UTF-8 text (unexpected end of data at byte 87)", every answer before the
    cut with it; a cut line is said as one, as where the cut falls between characters."""
    from eval import classification
    from eval.inputs import ScoreError

    _records(tmp_path, 3)
    pred = tmp_path / "p.jsonl"
    _cut_inside_a_character(pred, [{"id": "r0", "task": "cls", "answer": "lake"},
                                   {"id": "r1", "task": "cls", "answer": "湖"}])
    scores = classification.main(["--gt", str(tmp_path / "test.jsonl"), "--pred", str(pred)])
    assert scores["n_records"] == 3 and scores["n_missing"] == 2 and scores["accuracy"] == pytest.approx(1 / 3)
    assert any(n.startswith(f"{pred}:2: not valid JSON (") and "cut short, a run killed while writing it?" in n
               for n in scores["notes"]), scores["notes"]
    pred.write_bytes(b'{"id": "r0", "task": "cls", "answer": "\xe6\xb9"}\n{"id": "r1", "task": "cls", "answer": "x"}')
    with pytest.raises(ScoreError, match="not UTF-8 text"):  # bytes no UTF-8 before the last line: refused as before
        classification.main(["--gt", str(tmp_path / "test.jsonl"), "--pred", str(pred)])


def test_a_cut_line_that_is_only_a_bom_is_dropped_without_a_word(tmp_path):
    """An editor's empty file saved with a BOM was "last line was cut short (a killed run's: '\\ufeff')"."""
    from rsvlm.predictions import drop_cut_line

    f = tmp_path / "p.jsonl"
    f.write_bytes(b"\xef\xbb\xbf")
    assert drop_cut_line(f) is None and f.read_bytes() == b""
    f.write_bytes(b'{"id": "r0"}\n{"id": "r1", "ans')
    assert drop_cut_line(f) == '{"id": "r1", "ans' and f.read_bytes() == b'{"id": "r0"}\n'
    assert drop_cut_line(f) is None and drop_cut_line(tmp_path / "none.jsonl") is None


# ---------------------------------------------------------------- a BOM'd CRLF --out, as a Windows editor saves it


def test_a_bom_crlf_out_resumes_and_no_bom_lands_inside_a_file(tmp_path, monkeypatch, capsys):
    """Pinned: the resume reads past both; on one process the answers are appended, the editor's BOM left at the
    file's start alone (where every reader reads past it), and a merge of parts writes rows of its own (json.dumps,
    LF): a part's BOM is never carried into the middle of OUT, nor one written by rsvlm eval."""
    from rsvlm import evaluate
    from rsvlm.predictions import asked_digest, merge_answers

    data = _records(tmp_path, 3)
    recs = [evaluate.tagged_record(json.loads(line))[0] for line in open(data)]
    rows = [json.dumps({"id": f"r{i}", "task": "cls", "answer": "lake", "asked_digest": asked_digest(recs[i])}).encode()
            for i in range(3)]
    out = tmp_path / "p.jsonl"
    out.write_bytes(BOM + rows[0] + b"\r\n" + rows[1] + b"\r\n")
    asked = answering_sea(monkeypatch)
    evaluate.run(None, None, tmp_path / "test.jsonl", out, batch_size=2, progress=False)
    assert asked == ["r2"] and "could not be read" not in capsys.readouterr().err
    raw = out.read_bytes()
    assert raw.startswith(BOM + rows[0] + b"\r\n" + rows[1] + b"\r\n") and raw.count(BOM) == 1
    assert json.loads(raw.splitlines()[-1])["answer"] == "sea" and raw.endswith(b"}\n")
    out.write_bytes(BOM + rows[0] + b"\r\n")  # rank parts of two processes, each saved by the editor
    (tmp_path / "p.jsonl.rank0").write_bytes(BOM + rows[2] + b"\r\n")
    (tmp_path / "p.jsonl.rank1").write_bytes(BOM + rows[1] + b"\r\n")
    assert merge_answers(recs, 3, out, 2, tmp_path)
    assert out.read_bytes() == b"".join(row + b"\n" for row in rows)


def test_report_defaults_are_read_by_the_parsers_public_get_default():
    """answer_defaults read argparse's private _actions; the keys are the run stamp's, all run_row compares."""
    import inspect

    from eval import report
    from rsvlm.predictions import ANSWER_OPTIONS

    assert "._actions" not in inspect.getsource(report.answer_defaults)
    assert set(report.answer_defaults()) == set(ANSWER_OPTIONS)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork: POSIX only")
def test_a_forked_child_dies_of_sigterm_as_before(default_sigterm):
    """A child forked while answering (a pool's worker, which Pool.terminate() stops by SIGTERM) inherits the
    handler: it must die of SIGTERM, not raise in the child nor ignore it (a terminate() that waits for ever)."""
    import time

    from rsvlm.eval_answers import term_as_interrupt

    ready, told = os.pipe()
    with term_as_interrupt():
        if (child := os.fork()) == 0:
            try:
                os.write(told, b"1")  # past fork's own bookkeeping, which drops a signal come before it
                time.sleep(60)
            finally:
                os._exit(3)  # a Terminated raised in the child ends here: not a death by SIGTERM
        assert os.read(ready, 1) == b"1"
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
    os.close(ready)
    os.close(told)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
