"""Stop 74, evaluation: one SIGTERM policy (``rsvlm.processes.StopOnTerm``) for eval and training."""

from __future__ import annotations

import os
import signal

import pytest


@pytest.fixture
def default_sigterm():
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _mine(signum, frame):  # a caller's own handler
    pass


def test_eval_takes_sigterm_through_stop_on_term(default_sigterm):
    """eval had a policy of its own (a contextmanager beside StopOnTerm); it is now StopOnTerm's, with one option."""
    from rsvlm.eval_answers import term_as_interrupt
    from rsvlm.processes import StopOnTerm, Terminated

    policy = term_as_interrupt()
    assert isinstance(policy, StopOnTerm) and policy.over_default_only
    with policy, pytest.raises(Terminated, match="stopped by SIGTERM"):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            pass
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize("theirs", [signal.SIG_IGN, _mine], ids=["ignored", "a callers handler"])
def test_training_still_takes_sigterm_over_a_callers_handler(default_sigterm, theirs):
    """The option is eval's alone: training's stop between steps needs SIGTERM whoever set it before."""
    from rsvlm.processes import StopOnTerm

    signal.signal(signal.SIGTERM, theirs)
    with StopOnTerm() as stop:
        assert signal.getsignal(signal.SIGTERM) == stop._on_term
    assert signal.getsignal(signal.SIGTERM) is theirs
    with StopOnTerm(over_default_only=True):
        assert signal.getsignal(signal.SIGTERM) is theirs


def test_a_sigterm_the_moment_the_handler_is_set_still_puts_the_previous_back(default_sigterm, monkeypatch):
    """Set in ``__enter__`` before the block's ``__exit__`` was armed: a SIGTERM at once raised out of ``__enter__``
    and left the handler installed, so a later SIGTERM raised Terminated wherever the program then was."""
    from rsvlm.processes import StopOnTerm, Terminated

    real = signal.signal

    def set_then_term(sig, handler):
        old = real(sig, handler)
        if handler not in (signal.SIG_DFL, signal.SIG_IGN):
            handler(sig, None)  # the signal arriving between the set and the next bytecode
        return old

    monkeypatch.setattr(signal, "signal", set_then_term)
    for over_default_only in (False, True):
        with pytest.raises(Terminated), StopOnTerm(over_default_only=over_default_only):
            pass
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork: POSIX only")
@pytest.mark.parametrize("over_default_only", [False, True], ids=["training", "eval"])
def test_a_forked_child_leaves_sigterm_to_the_parent_in_training_and_dies_of_it_in_eval(default_sigterm,
                                                                                         over_default_only):
    """Training's loader workers leave SIGTERM to the main process; a child forked while eval answers (a pool's
    worker, which Pool.terminate() stops by SIGTERM) dies of it, as it did under eval's own policy."""
    import time

    from rsvlm.processes import StopOnTerm

    ready, told = os.pipe()
    with StopOnTerm(over_default_only=over_default_only):
        if (child := os.fork()) == 0:
            try:
                os.write(told, b"1")
                time.sleep(1.5)
            finally:
                os._exit(3)
        assert os.read(ready, 1) == b"1"
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
    os.close(ready)
    os.close(told)
    if over_default_only:
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
    else:
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3


# ---------------------------------------------------------------- --out read once, predictions a line at a time


def _records(path, n):
    import json

    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"r{i}", "task": "vqa", "images": [{"path": "a.png", "modality": "optical"}],
                                "conversations": [{"from": "human", "value": "<image>\nIs there a ship?"},
                                                  {"from": "gpt", "value": "yes"}]}) + "\n")


def test_check_out_reads_the_out_file_once(tmp_path, monkeypatch):
    """It read --out four times (its text, records in it, its rows, its ids): 200k answers took 40 s, now 5."""
    from rsvlm import predictions

    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    _records(data, 3)
    out.write_text('{"id": "r0", "answer": "yes"}\n{"id": "r1", "answer": "no"}\n')
    read = []
    real = predictions.answer_lines
    monkeypatch.setattr(predictions, "answer_lines", lambda p: [read.append(p), real(p)][1])
    assert predictions.check_out(data, out) is None
    assert read == [out]
    out.write_text('{"id": "r0", "answer": "yes"}\n{"id": "elsewhere", "answer": "no"}\n')
    assert "1 answer to records not in" in predictions.check_out(data, out)
    out.write_text('{"id": "r0", "conversations": []}\n')
    assert "holds records (conversations)" in predictions.check_out(data, out)
    out.write_text('{"score": 1}\nnot json\n')
    assert "holds no predictions (2 lines" in predictions.check_out(data, out)


def test_a_part_beside_out_is_still_read_for_answers_to_other_records(tmp_path):
    from rsvlm.predictions import check_out

    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    _records(data, 2)
    (tmp_path / "p.jsonl.rank1").write_text('{"id": "gone", "answer": "no"}\n')
    assert "already hold 1 answer to records not in" in check_out(data, out)


def test_predictions_read_a_line_at_a_time_say_a_cut_last_line_as_before(tmp_path):
    from eval.inputs import load_predictions

    p = tmp_path / "p.jsonl"
    p.write_text('{"id": "a", "answer": "yes"}\r\n\n{"id": "b", "answer": "no"}\r{"id": "c", "ans')
    got = load_predictions(p)
    assert list(got.by_id) == ["a", "b"] and got.n_bad_lines == 1
    assert got.bad_examples[0].startswith(f"{p}:4: not valid JSON") and "without its line end: cut short" in got.bad_examples[0]


def test_a_bad_line_with_its_line_end_is_not_called_cut_for_blanks_after_it(tmp_path):
    """Blanks after the last line end (no newline of their own) made the line before them 'the last line, without
    its line end: cut short', though its line end was there."""
    from eval.inputs import load_predictions

    p = tmp_path / "p.jsonl"
    p.write_text('{"id": "a", "answer": "yes"}\n{"id": "b", "ans\n   ')
    got = load_predictions(p)
    assert list(got.by_id) == ["a"] and got.n_bad_lines == 1
    assert got.bad_examples[0].startswith(f"{p}:2: not valid JSON") and "without its line end" not in got.bad_examples[0]


# ---------------------------------------------------------------- "its" of one, "their" of several


def _jsonl(path, rows):
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _cls(rid):
    return {"id": rid, "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": "<image>\n[cls] What is this scene?"},
                              {"from": "gpt", "value": "lake"}]}


def test_one_repeated_id_and_one_text_answer_are_its_not_their(tmp_path, capsys):
    from eval import classification

    gt = _jsonl(tmp_path / "gt.jsonl", [_cls("a"), _cls("b"), _cls("c")])
    pred = _jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "lake"}, {"id": "b", "answer": "lake"},
                                         {"id": "b", "answer": "forest"}, {"question_id": "c", "text": "lake"}])
    classification.main(["--gt", gt, "--pred", pred])
    out = capsys.readouterr().out
    assert "1 id repeated with another answer than its first line's, which is the one scored (first: b)" in out
    assert "1 prediction line has no 'id' and is matched by its 'question_id'" in out
    assert "1 prediction line has no 'answer' and is scored on its 'text'" in out
    assert "their" not in out


def test_change_records_left_to_the_other_script_agree_with_their_count():
    from eval.notes import change_left

    assert change_left(1, "change").startswith("1 change record of the ground truth is not scored here "
                                               "(n_gt_other_tasks): its reference is in words, no change map: "
                                               "eval.captioning scores it, or")
    assert "2 change records of the ground truth are not scored here (n_gt_other_tasks): their reference is in " \
           "words, no change map: eval.captioning scores them" in change_left(2, "change")
    assert change_left(1, "captioning").endswith("it asks for or gives a change map: eval.change scores it")
    assert change_left(3, "captioning").endswith("they ask for or give a change map: eval.change scores them")


def test_a_prediction_naming_its_task_as_the_script_is_named_is_it_not_they():
    from eval.notes import count_notes

    one = count_notes({"task": "detection", "n_pred_other_task": {"detection": 1, "referring": 1}})
    assert any("1 prediction names its task as this script is named ({'detection': 1}), not by its rsvlm tag "
               "(det, as rsvlm eval writes it); it is scored as any prediction is, against the record of its id" in n
               for n in one)
    assert any("1 prediction names a task that is no rsvlm task ({'referring': 1}); it is scored against the record "
               "of its id" in n for n in one)


# ---------------------------------------------------------------- masks that fit in RAM but not in the memory left


def _box(x1, y1, x2, y2, label="building"):
    return {"kind": "box", "coords": [x1, y1, x2, y2], "label": label}


def test_a_band_past_the_memory_left_is_refused_before_it_is_made(monkeypatch):
    """A 40000 x 40000 px shape fit in RAM, but with less free the kernel killed the scorer unsaid."""
    from eval import regions
    from rsvlm.io import budget

    monkeypatch.setattr(budget, "memory_left", lambda: (100 << 20, "memory.max of /sys/fs/cgroup/job"))
    with pytest.raises(ValueError, match=r"^its shapes cover 20000 x 20000 px \(rows 0..19999, columns 0..19999\): "
                                         r"scoring them takes 1\.12 GiB, and 0\.0977 GiB of memory is left \(memory\.max "
                                         r"of /sys/fs/cgroup/job\); free memory"):
        regions.mask_overlap([_box(0, 0, 20000, 20000)], [], 20000, 20000)
    assert regions.mask_overlap([_box(0, 0, 100, 100)], [_box(50, 0, 150, 100)], 20000, 20000) == (5000, 5000, 5000)


def test_the_band_check_is_not_asked_for_small_bands_and_passes_where_memory_says_nothing(monkeypatch):
    from eval import regions
    from rsvlm.io import budget

    asked = []
    monkeypatch.setattr(budget, "memory_left", lambda: [asked.append(1), (None, "MemAvailable")][1])
    regions.band_fits(1000, 1000)
    assert not asked
    regions.band_fits(10000, 10000)  # nothing says how much is left (not Linux): made as before
    assert asked == [1]


def test_segmentation_names_the_record_whose_shapes_do_not_fit(tmp_path, monkeypatch):
    from eval import segmentation
    from rsvlm import geometry
    from rsvlm.io import budget

    monkeypatch.setattr(budget, "memory_left", lambda: (100 << 20, "MemAvailable"))
    rec = {"id": "huge", "task": "seg", "images": [{"path": "a.png", "modality": "optical"}],
           "meta": {"width": 20000, "height": 20000},
           "conversations": [{"from": "human", "value": "<image>\n[seg] Segment the building."},
                             {"from": "gpt", "value": geometry.encode([_box(0, 0, 20000, 20000)], 20000, 20000)}]}
    gt = _jsonl(tmp_path / "gt.jsonl", [rec])
    pred = _jsonl(tmp_path / "p.jsonl", [{"id": "huge", "answer": "None."}])
    with pytest.raises(Exception, match=r"gt.jsonl:1: record 'huge': its shapes cover 19991 x 19981 px .*0\.0977 GiB of memory is left"):
        segmentation.main(["--gt", gt, "--pred", pred])


def test_an_eval_turn_opening_with_an_unclosed_task_tag_is_counted_as_asked_as_written():
    """An eval record asking "[det Detect ships" was asked as free chat and nothing said (chat and predict refuse
    it: rsvlm.tokens.unclosed_tag); it is now the run's untagged note's "[det (not closed)"."""
    from rsvlm.eval_answers import tagged_record

    record = {"id": "r", "conversations": [{"from": "human", "value": "<image>\n[det Detect ships"},
                                           {"from": "gpt", "value": "None."}]}
    asked, unknown = tagged_record(record)
    assert unknown == "[det (not closed)" and asked["conversations"][0]["value"] == "<image>\n[det Detect ships"
    closed = {**record, "conversations": [{"from": "human", "value": "<image>\n[change detection] compare them"},
                                          record["conversations"][1]]}
    assert tagged_record(closed)[1] is None  # a "]" within closes a phrase: free chat, as chat and predict ask it
