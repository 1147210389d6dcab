"""Review of stop 75's L fixes: captioning's Java-noise filter keeps a real Java error, and a reference holding a
character PTB drops is counted (its warning was taken off stderr with no word of it)."""

from __future__ import annotations

from conftest import eval_record, write_jsonl


def test_java_errors_and_traces_through_the_lexer_pass_the_noise_filter():
    """Only the logger's PTBLexer/Untokenizable line pairs go: an 'Error:' line, a SEVERE record and a trace whose
    frames are PTBLexer's stay, in order."""
    from eval.captioning import without_java_noise

    real = ("Error: Could not find or load main class edu.stanford.nlp.process.PTBTokenizer\n"
            "Dec 07, 2026 6:54:34 AM edu.stanford.nlp.process.PTBLexer next\n"
            "SEVERE: Untokenizable lexer state\n"
            "Exception in thread \"main\" java.lang.IllegalStateException: Untokenizable: x (U+FFFD)\n"
            "\tat edu.stanford.nlp.process.PTBLexer.next(PTBLexer.java:1)\n")
    noise = ("Dec 07, 2026 6:54:35 AM edu.stanford.nlp.process.PTBLexer next\n"
             "WARNING: Untokenizable: \ufffd (U+FFFD, decimal: 65533)\n")
    dropped: set = set()
    assert without_java_noise((noise + real + noise).encode(), dropped) == real.encode()
    assert dropped == {"\ufffd"}


def test_a_reference_holding_a_character_ptb_drops_is_counted(tmp_path, capfd):
    """A ground truth read with the wrong encoding holds U+FFFD: Java's warning was the only word of it, and it went
    with b1609b95 (the note counted answers alone)."""
    import shutil

    import pytest

    from eval import captioning

    if shutil.which("java") is None:
        pytest.skip("no java on the PATH: PTBTokenizer's warnings are Java's")
    recs = [eval_record("a", "cap", "[cap] Describe the image.", "a harbour \ufffd ships"),
            eval_record("b", "cap", "[cap] Describe the image.", "a harbour with ships")]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": i, "task": "cap", "answer": "a harbour with ships"} for i in "ab"])
    out = captioning.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "cap.json")])
    assert "Untokenizable" not in capfd.readouterr().err
    assert ("1 record has a reference holding characters the PTB tokenizer drops (first: id a; U+FFFD): scored "
            "without them") in out["notes"]
    assert not any("answer holds" in n for n in out["notes"])


def test_the_kept_note_counts_error_rows_apart_from_answers(tmp_path):
    """A record kept empty with an error (not answered again: its files are unchanged) was counted among the
    'answers kept' while stderr said it was answered empty."""
    from rsvlm.eval_out import kept_note

    out = tmp_path / "p.jsonl"
    out.write_text('{"id": "a", "answer": "x"}\n{"id": "b", "answer": "", "error": "no image"}\n'
                   '{"id": "c", "answer": "", "error": "old"}\n{"id": "c", "answer": "y", "cut": true}\n')
    assert kept_note(out, ["a", "b", "c"]) == (f"nothing left to answer: {out} unchanged (2 answers kept, 1 record kept "
                                               "empty with an error, 1 cut: rerun with another --out and a larger "
                                               "--max-new-tokens to answer them whole); 1 more line repeats an id: "
                                               "the scorers score each id's first line, or where an error row opens "
                                               "it the first without an error (1 id: n_pred_error_rows_passed) and "
                                               "count the rest (n_pred_duplicate_ids)")  # stop 79: c's
