"""Stop 77's scorer tour: a reference no answer could be scored against (nothing left once normalised, GeoChat's
geometry, no count) is skipped and counted as a malformed record is, where it refused the whole file."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl

BOX = "<box><loc_10><loc_10><loc_500><loc_500></box>"


def _run(tmp_path, scorer, rows, answer, capsys):
    gt = write_jsonl(tmp_path / "gt.jsonl", rows)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": answer} for r in rows])
    scores = scorer.main(["--gt", gt, "--pred", pred])
    return scores, capsys.readouterr().out, gt


@pytest.mark.parametrize("task, scorer_name, question, good, bad, answer, reason", [
    ("vqa", "vqa", "[vqa] Is there a port?", "yes", ".", "yes", "reference: nothing left once normalised"),
    ("cls", "classification", "[cls] Which scene?", "harbor", "-", "harbor", "reference: nothing left once normalised"),
    ("count", "counting", "[count] How many ships?", "3", "many", "3", "reference: no count"),
    ("ground", "grounding", "[ground] the ship", BOX, "{<10><10><20><20>|<0>}", BOX, "reference: geochat geometry"),
    ("det", "detection", "[det] ships", f"<p>ship</p>{BOX}", "<p>ship</p>{<10><10><20><20>|<0>}", f"<p>ship</p>{BOX}",
     "reference: geochat geometry"),
])
def test_one_unscorable_reference_is_skipped_counted_and_named(tmp_path, capsys, task, scorer_name, question, good,
                                                               bad, answer, reason):
    """One such reference among four refused the file ("record 'x': reference answer '.' has nothing left once
    normalised"): now the three others are scored, the one counted in n_gt_bad_records, named by file and line."""
    import importlib

    scorer = importlib.import_module(f"eval.{scorer_name}")
    rows = [eval_record(f"r{i}", task, question, good) for i in range(3)] + [eval_record("bad", task, question, bad)]
    scores, out, gt = _run(tmp_path, scorer, rows, answer, capsys)
    assert scores["n_records"] == 3 and scores["n_gt_bad_records"] == 1
    assert scores["n_pred_not_in_gt"] == 0  # its prediction names a record of the ground truth, skipped
    assert f"{gt}:4: record 'bad'" in out and f"({reason}: 1)" in out
    # stop 77 review: its prediction, given, goes unscored with it: said (was "not scored" of the record alone)
    assert "as no answer could be scored against its reference: not scored (n_gt_bad_records), nor 1 prediction " \
        "given for it:" in out
    assert scores["headline"][0] in scores and scores[scores["headline"][0]] > 0.99  # the three, scored right


def test_half_or_more_unscorable_references_refuse_the_file_naming_it(tmp_path):
    """The malformed records' rule: two of four such references is the wrong file, or another format."""
    from eval import common, vqa

    rows = [eval_record("a", "vqa", "[vqa] ?", "yes"), eval_record("b", "vqa", "[vqa] ?", "no"),
            eval_record("c", "vqa", "[vqa] ?", "."), eval_record("d", "vqa", "[vqa] ?", "?")]
    gt = write_jsonl(tmp_path / "gt.jsonl", rows)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "yes"}])
    with pytest.raises(common.ScoreError, match=rf"^{gt}: 2 of its 4 records are unscorable \(reference: nothing left "
                       rf"once normalised: 2\).* First: {gt}:3: record 'c'"):
        vqa.main(["--gt", gt, "--pred", pred])


def test_a_malformed_record_and_an_unscorable_reference_are_told_apart(tmp_path, capsys):
    """The note said every skipped record was skipped "as rsvlm eval skips them": rsvlm eval answers a record whose
    reference is unscorable, and only the scorers leave it out."""
    from eval import vqa

    rows = [eval_record(f"r{i}", "vqa", "[vqa] ?", "yes") for i in range(4)] + [eval_record("bad", "vqa", "[vqa] ?", "-")]
    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": f"r{i}", "answer": "yes"} for i in range(4)])
    scores = vqa.main(["--gt", str(gt), "--pred", pred])
    out = capsys.readouterr().out
    assert scores["n_gt_bad_records"] == 2 and scores["n_records"] == 4
    assert "2 skipped (reference: nothing left once normalised: 1, invalid JSON: 1), 1 as rsvlm eval skips it, 1 as " \
        "no answer could be scored against its reference: not scored" in out, out


def test_a_bench_says_which_records_its_scorers_skipped(tmp_path, monkeypatch, capsys):
    """bench/tta.py printed scores of three records as the set's four, its n_gt_bad_records unsaid: a line under the
    table now names the skipped record, once for the columns of one scorer's note."""
    from script_loader import load_bench

    mod = load_bench("tta", monkeypatch)
    rows = [eval_record(f"r{i}", "ground", "[ground] the ship", BOX) for i in range(3)]
    rows.append(eval_record("geo", "ground", "[ground] the ship", "{<10><10><20><20>|<0>}"))
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    monkeypatch.setattr(mod.inference, "load_model", lambda model, device: (None, None))
    monkeypatch.setattr(mod, "warm_up", lambda *a, **k: None)
    monkeypatch.setattr(mod, "MODES", {"dihedral": "dihedral"})
    monkeypatch.setattr(mod.evaluate, "run", lambda model, proc, gt, pred, *a, **k: write_jsonl(
        pred, [{"id": r["id"], "task": "ground", "answer": BOX} for r in rows]))
    monkeypatch.setattr("sys.argv", ["tta", "--data", data])
    mod.main()
    out = capsys.readouterr().out
    assert "| none | " in out and "| 1.000 |" in out
    skipped = out[out.index("skipped by the scorers, not in these scores (n_gt_bad_records):\n- ground: "):]
    assert "loc.jsonl:4: record 'geo': the ground-truth answer holds geochat geometry" in skipped.splitlines()[1]
    assert len([line for line in skipped.splitlines() if line.startswith("- ")]) == 1  # two rows, one note


def test_headline_results_keep_the_skipped_note_and_none_where_nothing_was(tmp_path):
    from eval import common, vqa

    rows = [eval_record(f"r{i}", "vqa", "[vqa] ?", "yes") for i in range(3)]
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": "yes"} for r in rows])
    clean = write_jsonl(tmp_path / "clean.jsonl", rows)
    assert common.headline_results(clean, pred, {"vqa": (vqa, "accuracy")})["vqa"] == common.Headline(1.0)
    dirty = write_jsonl(tmp_path / "dirty.jsonl", [*rows, eval_record("dot", "vqa", "[vqa] ?", ".")])
    got = common.headline_results(dirty, pred, {"vqa": (vqa, "accuracy")})["vqa"]
    assert got.score == 1.0 and f"{dirty}:4: record 'dot'" in got.skipped
