"""Stop 76 (B): the scorers' reading of their inputs: the first line of --pred parsed once, a malformed
ground-truth record skipped and counted, the PTB tokenizer's dropped characters listed, bad input said in one line."""

from __future__ import annotations

import gzip
import json
import tracemalloc

from eval.inputs import load_predictions


def _pred(pid: str, answer: str) -> str:
    return json.dumps({"id": pid, "task": "cap", "answer": answer})


def test_a_long_first_line_is_read_once(tmp_path):
    """An 8 MB first line: decoded and parsed once (its peak was 5 times its size, a copy for each reading)."""
    size = 8 << 20
    p = tmp_path / "p.jsonl"
    p.write_text(_pred("a", "x" * size) + "\n" + _pred("b", "y") + "\n")
    tracemalloc.start()
    try:
        got = load_predictions(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert list(got.by_id) == ["a", "b"] and len(got.by_id["a"][1]["answer"]) == size
    assert peak < 3.6 * size, f"peak {peak / 2**20:.0f} MiB for a {size >> 20} MiB line"


def test_lines_after_a_first_line_read_once_keep_their_numbers(tmp_path):
    """Blank lines, a BOM, CR LF and a bare CR before and after the first line: later lines named by their number."""
    p = tmp_path / "p.jsonl"
    p.write_bytes(b"\xef\xbb\xbf\r\n  \r\n" + _pred("a", "x").encode() + b"\r\n\rnope\n" + _pred("b", "y").encode()
                  + b"\r\nbad")
    got = load_predictions(p)
    assert list(got.by_id) == ["a", "b"] and got.n_bad_lines == 2
    assert got.bad_examples[0].startswith(f"{p}:5: not valid JSON")
    assert got.bad_examples[1].startswith(f"{p}:7: not valid JSON")


def test_a_first_line_of_no_utf8_is_still_named(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_bytes(b"\n" + _pred("a", "x").encode()[:-2] + b"\xff\"}\n")
    try:
        load_predictions(p)
    except ValueError as e:
        assert "not UTF-8 text (invalid start byte at byte" in str(e) and "line 2)" in str(e)
    else:
        raise AssertionError("read bytes that are no UTF-8")


def test_a_cut_gzip_counts_the_first_line_read_once(tmp_path):
    p = tmp_path / "p.jsonl.gz"
    p.write_bytes(gzip.compress(("\n" + _pred("a", "x") + "\n" + _pred("b", "y") + "\n" + '{"id": "c"').encode())[:-12])
    got = load_predictions(p)
    assert "a" in got.by_id and "its 2 whole lines before the cut are read" in got.bad_examples[0]


def _vqa(rid: str) -> dict:
    from conftest import eval_record

    return eval_record(rid, "vqa", "[vqa] Is there a ship?", "yes")


def test_a_malformed_ground_truth_record_is_skipped_counted_and_named(tmp_path, capsys):
    """One bad line refused the whole file, where rsvlm eval skips it with a count: the scorer skips it too, says
    so in rsvlm eval's words, names file and line, and writes the count."""
    from conftest import write_jsonl

    from eval import vqa

    gt = tmp_path / "gt.jsonl"
    gt.write_text("\n".join([json.dumps(_vqa("a")), "{not json", json.dumps(_vqa("b")),
                             json.dumps({"id": "c", "task": "vqa"}), json.dumps(_vqa("d"))]) + "\n")
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "abcd"])
    scores = vqa.main(["--gt", str(gt), "--pred", pred, "--out", str(tmp_path / "s.json")])
    assert scores["n_records"] == 3 and scores["accuracy"] == 1.0 and scores["n_gt_bad_records"] == 2
    assert json.loads((tmp_path / "s.json").read_text())["n_gt_bad_records"] == 2
    note = next(n for n in scores["notes"] if "n_gt_bad_records" in n)
    assert note.startswith(f"{gt}: 3 records read, 2 skipped (invalid JSON: 1, bad field conversations: 1)")
    assert f"{gt}:2: not valid JSON" in note and f"{gt}:4 (id c): field 'conversations'" in note
    # c's prediction: its record skipped with its id read (stop 78: was counted as naming no record, 1)
    assert (scores["n_pred_not_in_gt"], scores["n_gt_bad_fields"]) == (0, 1)
    assert "n_gt_bad_records" in capsys.readouterr().out


def test_a_bad_shape_in_a_geometry_record_is_skipped_as_rsvlm_eval_skips_it(tmp_path):
    from conftest import eval_record, write_jsonl

    from eval import grounding

    box = "<box><loc_100><loc_100><loc_500><loc_500></box>"
    recs = [eval_record(i, "ground", "[ground] The ship.", box) for i in "abc"]
    recs[1]["conversations"][1]["value"] = "<box><loc_1></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "ground", "answer": box} for i in "abc"])
    scores = grounding.main(["--gt", gt, "--pred", pred])
    assert (scores["n_records"], scores["n_gt_bad_records"], scores["n_pred_not_in_gt"]) == (2, 1, 0)
    assert any("gt.jsonl:2 (id b): field 'conversations[1].value': geometry does not" in n for n in scores["notes"])


def test_a_ground_truth_half_malformed_or_more_is_refused_naming_the_file(tmp_path):
    import pytest
    from conftest import write_jsonl

    from eval import vqa
    from eval.inputs import ScoreError

    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": "yes"}])
    gt = tmp_path / "gt.jsonl"
    gt.write_text("{x\n" + json.dumps(_vqa("a")) + "\nnope\n")
    with pytest.raises(ScoreError, match=r"gt\.jsonl: 2 of its 3 records are malformed \(invalid JSON: 2\), 50% or "
                                         r"more .*First: .*gt\.jsonl:1: not valid JSON"):
        vqa.main(["--gt", str(gt), "--pred", pred])
    gt.write_text("{x\nnope\n")
    with pytest.raises(ScoreError, match=r"gt\.jsonl: every one of its 2 records is malformed \(invalid JSON: 2\)"):
        vqa.main(["--gt", str(gt), "--pred", pred])


def test_a_blind_set_is_still_refused_with_its_advice(tmp_path):
    import pytest
    from conftest import write_jsonl

    from eval import vqa
    from eval.inputs import ScoreError

    blind = [{**_vqa(i), "conversations": _vqa(i)["conversations"][:1]} for i in "ab"]
    gt = write_jsonl(tmp_path / "gt.jsonl", blind)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": "yes"}])
    with pytest.raises(ScoreError, match=r"every one of its 2 records is malformed .*First: .*gt\.jsonl:1 .*a blind "
                                         r"record .*give --gt the set with its answers"):
        vqa.main(["--gt", gt, "--pred", pred])


def test_every_character_ptb_drops_is_listed_capped_with_a_count():
    """Java's lexer warned of the first character it drops alone: a note named U+FFFD of several."""
    from eval.captioning import dropped_chars

    assert dropped_chars({"\ufffd", "\x07", "\x01"}) == "U+0001, U+0007, U+FFFD"
    assert dropped_chars({chr(i) for i in range(1, 11)}, cap=3) == "10 distinct: U+0001, U+0002, U+0003 and 7 more"


def test_the_ptb_note_names_each_dropped_character_and_each_answer_holding_one(tmp_path):
    import shutil

    import pytest
    from conftest import eval_record, write_jsonl

    from eval import captioning

    if shutil.which("java") is None:
        pytest.skip("no java on the PATH: PTBTokenizer's warnings are Java's")
    recs = [eval_record(i, "cap", "[cap] Describe the image.", "a harbour with ships") for i in "ab"]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "cap", "answer": "a harbour \ufffd with \x07 ships"},
                                              {"id": "b", "task": "cap", "answer": "a harbour \x01 with ships"}])
    out = captioning.main(["--gt", gt, "--pred", pred])
    assert ("2 answers hold characters the PTB tokenizer drops (first: id a; U+0001, U+0007, U+FFFD): scored "
            "without them") in out["notes"]
    assert out["BLEU-1"] == pytest.approx(1.0)  # scored without them, as before


def test_bad_input_to_the_scorers_is_one_clear_error_or_a_counted_skip(tmp_path):
    """The tour of stop 76: a BOM and CR LF lines in either file, a gzip --pred, a folder --pred, an empty or blank
    --pred, a ground truth of blank lines or of another task: a score, or one error naming the input."""
    import pytest
    from conftest import eval_record, write_jsonl

    from eval import classification
    from eval.inputs import ScoreError

    recs = [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"]
    preds = "".join(json.dumps({"id": i, "task": "cls", "answer": "lake"}) + "\r\n" for i in "ab")
    gt = tmp_path / "gt.jsonl"
    gt.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\r\n" for r in recs).encode())
    for name, data in [("bom.jsonl", b"\xef\xbb\xbf" + preds.encode()), ("p.gz", gzip.compress(preds.encode()))]:
        (tmp_path / name).write_bytes(data)
        s = classification.main(["--gt", str(gt), "--pred", str(tmp_path / name)])
        assert (s["accuracy"], s["n_pred_bad_lines"], s["n_gt_bad_records"]) == (1.0, 0, 0), name
    for name, text in [("empty.jsonl", ""), ("blank.jsonl", "\n \r\n\t\n")]:
        (tmp_path / name).write_text(text)
        s = classification.main(["--gt", str(gt), "--pred", str(tmp_path / name)])
        assert s["n_missing"] == 2 and f"{tmp_path / name} holds no prediction: every record is missing" in s["notes"]
    (tmp_path / "dir").mkdir()
    with pytest.raises(ScoreError, match=r"predictions file is a folder: .*dir; give the JSONL file in it"):
        classification.main(["--gt", str(gt), "--pred", str(tmp_path / "dir")])
    pred = str(tmp_path / "bom.jsonl")
    (tmp_path / "blank_gt.jsonl").write_text("\n  \n")
    with pytest.raises(ScoreError, match=r"no records of task cls \(found no record at all: an empty file, blank "
                                         r"lines alone or an empty JSON array\)"):
        classification.main(["--gt", str(tmp_path / "blank_gt.jsonl"), "--pred", pred])
    other = write_jsonl(tmp_path / "vqa.jsonl", [_vqa("a")])
    with pytest.raises(ScoreError, match=r"no records of task cls \(found \{'vqa': 1\}\); score them with python -m "
                                         r"eval\.vqa"):
        classification.main(["--gt", other, "--pred", pred])
