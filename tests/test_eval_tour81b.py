"""Tour 81 of evaluation (B): lines another process appended to rsvlm eval's --out while the run rewrote it to drop
its stale rows went with the file replaced; "Unchanged." read as no none."""

from __future__ import annotations

import json
from types import SimpleNamespace

from conftest import eval_record, write_jsonl


def _cls(i):
    return eval_record(i, "cls", "[cls] What scene?", "lake")


def _answering(tmp_path, monkeypatch, recs, rows):
    """rsvlm eval's argv and --out (``rows`` in it) over ``recs``, a stand-in model answering "lake"."""
    from rsvlm import evaluate

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    data, out = write_jsonl(tmp_path / "test.jsonl", recs), tmp_path / "p.jsonl"
    write_jsonl(out, rows)
    monkeypatch.setattr(evaluate.inf, "load_model", lambda *a, **k: (object(), SimpleNamespace()))
    monkeypatch.setattr(evaluate, "context_cap", lambda model, n, what: (n, None))
    monkeypatch.setattr(evaluate, "answer_batch", lambda model, processor, records, *a, **k: [
        {"id": r["id"], "task": "cls", "answer": "lake"} for r in records])
    return ["eval", "--data", data, "--out", str(out), "--model", str(model)], out


def _appending_while_rewritten(monkeypatch, line: str):
    """predictions.replace_lines with ``line`` appended to the file (as another rsvlm eval on it would) after its
    lines were read and before the rename put the rewrite in its place."""
    from rsvlm import predictions

    real = predictions.replace_lines

    def late(path, lines):
        kept = list(lines)
        with open(path, "a") as f:
            f.write(line)
        return real(path, iter(kept))

    monkeypatch.setattr(predictions, "replace_lines", late)


def test_a_line_appended_by_another_process_while_out_is_rewritten_is_put_back_and_said(tmp_path, monkeypatch,
                                                                                        capsys):
    from rsvlm import evaluate
    from rsvlm.cli import main
    from rsvlm.predictions import asked_digest

    digest = asked_digest(evaluate.tagged_record(_cls("b"))[0])
    rows = [{"id": "a", "task": "cls", "answer": "sea", "asked_digest": "stale"},  # dropped: a is asked again
            {"id": "b", "task": "cls", "answer": "lake", "asked_digest": digest}]
    argv, out = _answering(tmp_path, monkeypatch, [_cls(i) for i in "abc"], rows)
    theirs = json.dumps({"id": "z", "task": "cls", "answer": "forest"}) + "\n"
    _appending_while_rewritten(monkeypatch, theirs)
    assert main(argv) == 0
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert sorted(ids) == ["a", "b", "c", "z"], ids  # z was lost with the file the rewrite replaced
    err = capsys.readouterr().err
    assert f"1 line another process appended to {out} while this run rewrote it" in err and "(first: z)" in err


def test_a_rewrite_nobody_appended_to_says_nothing_of_it(tmp_path, monkeypatch, capsys):
    from rsvlm.cli import main

    argv, out = _answering(tmp_path, monkeypatch, [_cls(i) for i in "ab"],
                           [{"id": "a", "task": "cls", "answer": "sea", "asked_digest": "stale"}])
    assert main(argv) == 0
    assert sorted(json.loads(x)["id"] for x in out.read_text().splitlines()) == ["a", "b"]
    assert "another process" not in capsys.readouterr().err


POLY = "<ref>building</ref><poly><loc_100><loc_100><loc_500><loc_100><loc_500><loc_500><loc_100><loc_500></poly>"


def test_unchanged_says_none_as_no_change_does_and_a_partial_one_does_not():
    from rsvlm.answer_words import says_none

    for text in ("Unchanged.", "unchanged", "The two images are unchanged.", "The area remains completely unchanged.",
                 "Everything is unchanged between the two images.", "No, unchanged."):
        assert says_none(text), text
    for text in ("Largely unchanged.", "The roads are unchanged.", "Unchanged buildings.", "unchanged, but a ship left"):
        assert not says_none(text), text


def test_an_unchanged_change_answer_and_reference_score_as_an_empty_map(tmp_path):
    """--all-maps skipped a reference "Unchanged." as a caption ('reference: words'), and an answer "Unchanged." was
    noted as words that do not say none; both are an empty change map, as "No change." is."""
    from eval import change

    ask = "[change] Segment the changed areas."
    recs = [eval_record("m", "change", ask, POLY), eval_record("quiet", "change", ask, "Unchanged.")]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "m", "answer": POLY}, {"id": "quiet", "answer": "Unchanged."}])
    s = change.main(["--gt", gt, "--pred", pred, "--all-maps"])
    assert (s["n_records"], s["n_gt_bad_references"], s["n_unparseable"]) == (2, 0, 0)
    assert s["pixels"]["FP"] == s["pixels"]["FN"] == 0 and s["pixels"]["TN"] == 2 * 1000 * 1000 - s["pixels"]["TP"]
    assert not any("do not say they found none" in n for n in s["notes"]), s["notes"]
    shapes = write_jsonl(tmp_path / "p2.jsonl", [{"id": "m", "answer": POLY}, {"id": "quiet", "answer": POLY}])
    s = change.main(["--gt", gt, "--pred", shapes, "--all-maps"])  # shapes on the unchanged pair: false alarms
    assert s["pixels"]["FP"] == s["pixels"]["TP"] > 0 and s["precision"] == 0.5
