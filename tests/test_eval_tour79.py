"""Stop 79, eval: skipped ground-truth lines sharing one id are counted a line each; a task refused beside sound
ones for GeoChat's or Falcon's references leads with the way out; the skipped records whose task is unknown are
said in that refusal, so its counts add up to the file's."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl

FALCON_BOX = "<box><100><200><300><400></box>"
GEOCHAT_BOX = "{<10><20><30><40>|<0>}"
GROUND = "<box><loc_1><loc_1><loc_9><loc_9></box>"


def _vqa(rid: str) -> dict:
    return eval_record(rid, "vqa", "[vqa] Is there a ship?", "yes")


@pytest.mark.parametrize("kind", ["field", "blind"])
def test_two_skipped_lines_sharing_an_id_count_as_two(tmp_path, capsys, kind):
    """Six sound vqa records and two broken lines of one id (no conversations, or blind): n_gt_bad_fields (or
    n_gt_bad_blind) was 1 of n_gt_bad_records 2, the other line called a malformed record of unknown id."""
    from eval import vqa

    bad = _vqa("dup")
    if kind == "field":
        bad["conversations"] = "x"
    else:
        bad["conversations"] = bad["conversations"][:1]
    gt = write_jsonl(tmp_path / "gt.jsonl", [_vqa(i) for i in "abcdef"] + [bad, bad])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in [*"abcdef", "dup", "zz"]])
    s = vqa.main(["--gt", gt, "--pred", pred])
    key = "n_gt_bad_fields" if kind == "field" else "n_gt_bad_blind"
    assert (s[key], s["n_gt_bad_records"]) == (2, 2)
    assert sum(s[k] for k in ("n_gt_bad_references", "n_gt_bad_shapes", "n_gt_bad_blind", "n_gt_bad_fields")) == 2
    out = capsys.readouterr().out
    assert "are not known" not in out  # no record of unknown id left to blame
    assert "nor 1 prediction given for them: " in out  # was 'for the 1 whose ids were read', of 2 lines skipped
    assert "note: 1 prediction names no record of the ground truth; first: zz" in out


@pytest.mark.parametrize(("answer", "way_out"), [
    (FALCON_BOX, "rsvlm.geometry.encode(eval.foreign.decode_falcon(answer, width, height)[0], width, height)"),
    (GEOCHAT_BOX, "python -m data_gen convert llava --src SET")])
def test_a_task_refused_for_foreign_references_leads_with_the_way_out(tmp_path, answer, way_out):
    """Two of three ground records in Falcon's (GeoChat's) boxes beside eight sound vqa ones: the per-task refusal
    opened '2 of its 3 ground records are skipped', the rewrite (convert command) inside the first record's error
    alone; it now leads with it, before the counts."""
    from eval import grounding
    from eval.common import ScoreError

    recs = [eval_record(f"g{i}", "ground", "[ground] Find the ship.", answer if i < 2 else GROUND) for i in range(3)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs + [_vqa(i) for i in "abcdefgh"])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "g2", "task": "ground", "answer": GROUND}])
    with pytest.raises(ScoreError) as e:
        grounding.main(["--gt", gt, "--pred", pred])
    said = str(e.value)
    head = said.split("; 2 of its 3 ground records are skipped")[0]
    assert head.startswith(f"{gt}: 2 ground references are in ") and way_out in head


def test_a_task_refusal_counts_the_records_of_unknown_task(tmp_path):
    """Beside the ground task's 2 of 3 broken records, two lines that are no JSON and one without a task: they counted
    toward the whole file's share, unsaid in the task's refusal, so its counts fell short of the file's."""
    from eval import grounding
    from eval.common import ScoreError

    recs = [eval_record(f"g{i}", "ground", "[ground] Find the ship.", FALCON_BOX if i < 2 else GROUND) for i in range(3)]
    untasked = {k: v for k, v in _vqa("n").items() if k != "task"}
    untasked["conversations"] = "x"
    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs + [_vqa(i) for i in "abcdefgh"] + [untasked])
                  + '{"id": "cut", "task": "gro\n{not json\n')
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "g2", "task": "ground", "answer": GROUND}])
    with pytest.raises(ScoreError) as e:
        grounding.main(["--gt", str(gt), "--pred", pred])
    assert "; 3 other records skipped, task unknown (not JSON, a bad id or no task" in str(e.value)


def test_a_task_refusal_without_unknown_ones_says_none(tmp_path):
    """No record of unknown task: nothing said of them."""
    from collections import Counter

    from eval.gt_refusal import task_refusal

    said = task_refusal("gt.jsonl", "det", 2, Counter(det=1), Counter({"bad field conversations": 2}), "first")
    assert "task unknown" not in said and said.endswith(". First: first")


def test_a_repeated_out_line_dropped_on_resume_is_counted(tmp_path):
    """An --out of three answers without an asked_digest, one of them on two lines: the rerun said '3 records were
    answered without an "asked_digest" … answered again' and dropped four lines; the fourth is now said."""
    from rsvlm.predictions import dropped_note, resume_state

    recs = {i: _vqa(i) for i in "abc"}
    part = write_jsonl(tmp_path / "out.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "abca"])
    done, errors = resume_state(tmp_path / "out.jsonl", [], recs, tmp_path)
    assert not done and errors.unvouched == list("abc")
    assert (errors.n_dropped, errors.n_dropped_ids) == (4, 3)
    assert (tmp_path / "out.jsonl").read_text() == ""
    assert dropped_note(tmp_path / "out.jsonl", errors) == (
        f"4 lines of {part} dropped for the 3 records answered again: 1 repeated another line's id")


def test_no_note_where_each_dropped_line_is_its_own_record(tmp_path):
    from rsvlm.predictions import dropped_note, resume_state

    recs = {i: _vqa(i) for i in "abc"}
    write_jsonl(tmp_path / "out.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "ab"])
    _, errors = resume_state(tmp_path / "out.jsonl", [], recs, tmp_path)
    assert (errors.n_dropped, errors.n_dropped_ids) == (2, 2) and dropped_note(tmp_path / "out.jsonl", errors) is None


@pytest.mark.parametrize("opt", ["--overlay", "--vis", "--save-vis", "--png"])
def test_a_picture_option_is_told_what_draws_one(tmp_path, capsys, opt):
    """`--overlay DIR` was told "did you mean --out?", as if the scores could be the picture asked for."""
    from eval import detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] Detect ships.", GROUND)])
    with pytest.raises(SystemExit):
        detection.main(["--gt", gt, "--pred", gt, opt, str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert f"({opt}: the scorers draw nothing; rsvlm predict --image IMAGE --task TASK --vis OUT.png" in err
    assert "did you mean" not in err


def test_an_option_that_only_holds_vis_is_not_a_picture():
    from eval.thresholds import threshold_hint

    assert threshold_hint("detection", ["--revision", "x"]) == ([], "")


def test_a_kept_out_with_repeated_ids_says_the_lines(tmp_path):
    """An --out of 3 answers and 2 more lines repeating an id (one with another answer): a rerun said
    'unchanged (3 answers kept)' (or 'wrote OUT') of a file of 5 lines; the scorer later counted the 2."""
    from rsvlm.eval_out import kept_note

    rows = [{"id": i, "task": "vqa", "answer": "yes"} for i in "abc"]
    out = tmp_path / "out.jsonl"
    write_jsonl(out, [*rows, rows[0], {**rows[1], "answer": "no"}])
    tail = "; 2 more lines repeat an id, 1 with another answer than the first: the scorers score each id's first line"
    assert kept_note(out, list("abc")).startswith(f"nothing left to answer: {out} unchanged (3 answers kept){tail}")
    assert kept_note(out, list("abc"), unchanged=False).startswith(f"wrote {out}{tail}")
    write_jsonl(out, rows)
    assert kept_note(out, list("abc"), unchanged=False) == f"wrote {out}"


def test_answers_to_other_records_in_out_are_named_by_line(tmp_path):
    """An --out holding answers of another set (a Windows file with a BOM): the refusal named the least such id
    alone ('first: nope-0'); it names the first one's file and line."""
    from rsvlm.predictions import check_out

    data = write_jsonl(tmp_path / "test.jsonl", [_vqa(i) for i in "ab"])
    out = tmp_path / "out.jsonl"
    rows = [{"id": i, "task": "vqa", "answer": "yes"} for i in ["a", "b", "zz", "nope"]]
    out.write_bytes(("\ufeff" + "\r\n".join(json.dumps(r) for r in rows) + "\r\n").encode())
    said = check_out(tmp_path / "test.jsonl", out)
    assert f"already holds 2 answers to records not in {data} (first: zz at {out}:3)" in said


def test_objects_answered_to_empty_scenes_are_said_beside_the_undefined_ap(tmp_path, capsys):
    """The default model's [det] answer of 7 buildings to a scene whose reference is 'None.': the note said only 'AP is
    undefined (-)', as if there were nothing to see."""
    from eval import detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "det", "[det] Detect all ships.", "None.") for i in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "det", "answer": "None."},
                                              {"id": "b", "task": "det", "answer": f"<ref>ship</ref>{GROUND}"}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["mAP50"] is None and s["n_pred_objects"] == 1
    assert ("no reference holds an object: AP is undefined (-); the answers hold 1 object, every one a false positive "
            "(n_pred_objects_unknown_class: {'ship': 1})") in capsys.readouterr().out
    write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "det", "answer": "None."} for i in "ab"])
    detection.main(["--gt", gt, "--pred", str(tmp_path / "p.jsonl")])
    assert "note: no reference holds an object: AP is undefined (-)\n" in capsys.readouterr().out


@pytest.mark.parametrize("tta", ["dihedral", "none"])
def test_a_cut_fused_answer_says_a_view_may_be_what_was_cut(tmp_path, capsys, tta):
    """`rsvlm eval --tta dihedral` marks a fused answer cut where one view's answer was: the default model's '[change]'
    answer voted down to 'None.' carried "cut": true, and the scorer called it 'a detection without its later objects'."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [_vqa("a")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": "yes", "cut": True}])
    stamp = tmp_path / "p.jsonl.run.json"
    stamp.write_text(json.dumps({"options": {"max_new_tokens": 8, "tta": tta}}))
    vqa.main(["--gt", gt, "--pred", pred])
    out = capsys.readouterr().out
    assert "reached rsvlm eval's token limit" in out
    assert ("(with --tta: its plain answer or a view's did, and the fused answer may be whole)" in out) == (tta != "none")
