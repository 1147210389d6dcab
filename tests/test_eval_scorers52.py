"""The scorers, toured (52): cut and errored answers in the tables, unmerged rank parts, notes on
predictions of another task, class or tool, end tokens and number words."""
import json

import pytest
from test_eval_ranks51 import RECORD


def test_the_printed_table_counts_cut_and_errored_answers_per_modality(tmp_path, capsys):
    from eval import counting

    recs = [{**RECORD, "id": i, "task": "count", "images": [{"path": "a.png", "modality": m}],
             "conversations": [{"from": "human", "value": "<image>\n[count] How many ships?"},
                               {"from": "gpt", "value": "3"}]} for i, m in (("a", "optical"), ("b", "sar"), ("c", "sar"))]
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pred.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "a", "task": "count", "answer": "3"},
        {"id": "b", "task": "count", "answer": "2", "cut": True},
        {"id": "c", "task": "count", "answer": "", "error": "c.png: not found"}]))
    scores = counting.main(["--gt", str(gt), "--pred", str(pred)])
    table = capsys.readouterr().out.split("\nnote:")[0].splitlines()
    head = [c.strip() for c in table[1].strip("|").split("|")]
    # were a note under the table only: the table read 1 of 3 right with nothing in it saying why
    assert head[-2:] == ["n_pred_errors", "n_pred_cut"]
    rows = {cells[0]: cells[-2:] for cells in ([c.strip() for c in r.strip("|").split("|")] for r in table[3:])}
    assert rows == {"all": ["1", "1"], "optical": ["0", "0"], "sar": ["1", "1"]}
    assert scores["n_pred_cut"] == 1 and set(scores) >= {"n_pred_errors", "by_modality"}  # the JSON as before

    pred.write_text(json.dumps({"id": "a", "task": "count", "answer": "3"}) + "\n")
    counting.main(["--gt", str(gt), "--pred", str(pred)])
    assert "n_pred_cut" not in capsys.readouterr().out  # none: the columns stay out of the way


def test_scoring_a_file_whose_rank_parts_are_not_merged_says_so(tmp_path, capsys):
    from eval import classification

    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps({**RECORD, "id": f"r{i}"}) + "\n" for i in range(3)))
    pred.write_text(json.dumps({"id": "r0", "task": "cls", "answer": "lake"}) + "\n")  # an earlier run's merge
    (tmp_path / "p.jsonl.rank1").write_text(json.dumps({"id": "r1", "task": "cls", "answer": "lake"}) + "\n")
    scores = classification.main(["--gt", str(gt), "--pred", str(pred)])
    assert scores["n_missing"] == 2  # scored as they stand
    # was: r1 scored as missing without a word, its answer in p.jsonl.rank1
    assert "1 record without a prediction in p.jsonl is answered in the rank parts beside it (p.jsonl.rank1)" \
        in " ".join(scores["notes"])
    (tmp_path / "p.jsonl.rank1").write_text(json.dumps({"id": "r0", "task": "cls", "answer": "lake"}) + "\n")
    assert not any("rank parts" in n for n in classification.main(["--gt", str(gt), "--pred", str(pred)])["notes"])
    capsys.readouterr()


def test_scoring_predictions_not_merged_yet_names_the_parts(tmp_path, capsys):
    from eval import classification

    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text(json.dumps(RECORD) + "\n")
    (tmp_path / "p.jsonl.rank0").write_text(json.dumps({"id": "r0", "task": "cls", "answer": "lake"}) + "\n")
    with pytest.raises(classification.common.ScoreError) as e:
        classification.main(["--gt", str(gt), "--pred", str(pred)])
    # was only "predictions file not found: p.jsonl", its answers one file over
    assert "(rank parts beside it, p.jsonl.rank0: rsvlm eval on several processes has not merged them" in str(e.value)


def test_the_report_tells_two_models_score_files_of_one_name_apart(tmp_path, capsys):
    from eval import report

    def scores(acc, model):
        return json.dumps({"task": "vqa", "headline": ["accuracy"], "accuracy": acc, "n_records": 4,
                           "by_modality": {"optical": {"accuracy": acc}}, "run": {"model": model, "options": {}}})

    for model, acc in (("a", 0.5), ("b", 0.75)):
        (tmp_path / model).mkdir()
        (tmp_path / model / "vqa.json").write_text(scores(acc, model))
    a, b = tmp_path / "a" / "vqa.json", tmp_path / "b" / "vqa.json"
    rep = report.main(["--scores", str(a), str(b), str(a)])
    # were two rows named "vqa.json", and the file given twice a third
    assert [(r["source"], r["all"]) for r in rep["metrics"]] == [("a/vqa.json", 0.5), ("b/vqa.json", 0.75)]
    assert f"note: {a} is given twice; read once" in capsys.readouterr().err
    assert [r["source"] for r in report.main(["--scores", str(a)])["metrics"]] == ["vqa.json"]  # one: its name


def test_detections_past_max_dets_are_counted_and_named(tmp_path, capsys):
    from eval import detection
    from rsvlm import geometry

    boxes = [{"kind": "box", "label": "ship", "coords": [i * 8, 0, i * 8 + 6, 6]} for i in range(12)]
    rec = {**RECORD, "task": "det", "meta": {"width": 100, "height": 100}, "conversations": [
        {"from": "human", "value": "<image>\n[det] Detect every ship."},
        {"from": "gpt", "value": geometry.encode(boxes, 100, 100)}]}
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text(json.dumps(rec) + "\n")
    pred.write_text(json.dumps({"id": "r0", "task": "det", "answer": geometry.encode(boxes, 100, 100)}) + "\n")
    scores = detection.main(["--gt", str(gt), "--pred", str(pred), "--max-dets", "10"])
    # was a lower AR and mAP with nothing saying that 2 of 12 right answers were never looked at
    assert scores["n_pred_objects_past_max_dets"] == 2
    assert any("2 predicted objects of 1 record past it are not scored; 1 record holds more reference "
               "objects of a class than that" in n for n in scores["notes"])
    scores = detection.main(["--gt", str(gt), "--pred", str(pred)])
    assert scores["n_pred_objects_past_max_dets"] == 0 and not any("--max-dets" in n for n in scores["notes"])
    capsys.readouterr()


def test_predictions_of_another_task_under_the_same_ids_are_named(tmp_path, capsys):
    from eval import classification

    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps({**RECORD, "id": str(i)}) + "\n" for i in range(3)))
    pred.write_text("".join(json.dumps({"id": str(i), "task": t, "answer": a}) + "\n"
                            for i, t, a in ((0, "cls", "lake"), (1, "vqa", "yes"), (2, "count", "3"))))
    notes = " ".join(classification.main(["--gt", str(gt), "--pred", str(pred)])["notes"])
    # was scored as two wrong class names without a word: the VQA and counting sets' answers under ids "1", "2"
    assert "2 predictions name another task than their record's (first: '1', a cls record answered as vqa)" in notes
    pred.write_text(json.dumps({"id": "1", "task": "referring", "answer": "lake"}) + "\n")  # another tool's name
    assert "another task" not in " ".join(classification.main(["--gt", str(gt), "--pred", str(pred)])["notes"])
    capsys.readouterr()


def test_answers_that_are_no_class_are_named(tmp_path, capsys):
    from eval import classification

    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    classes = ["dense residential", "dense residential", "dense residential", "church"]
    gt.write_text("".join(json.dumps({**RECORD, "id": str(i), "conversations": [
        RECORD["conversations"][0], {"from": "gpt", "value": c}]}) + "\n" for i, c in enumerate(classes)))
    pred.write_text("".join(json.dumps({"id": str(i), "task": "cls", "answer": a}) + "\n"
                            for i, a in enumerate(["denseresidential", "denseresidential", "church", "church"])))
    scores = classification.main(["--gt", str(gt), "--pred", str(pred)])
    assert scores["confusion_matrix"]["dense residential"] == {"(other)": 2, "church": 1}
    # the (other) column said how many, never which: a class spelt otherwise looked like a weak model
    assert "2 answers name no class of the ground truth and score as wrong; most common: 'denseresidential' (2)" \
        in " ".join(scores["notes"])
    capsys.readouterr()


@pytest.mark.parametrize("answer, count, norm", [
    ("There are twenty-one ships.", 21, "there are 21 ships"),  # was 20: "twenty" and "one" apart
    ("two hundred and five", 205, "205"),  # was 2
    ("a hundred", 100, "100"),
    ("three thousand two hundred forty one", 3241, "3241"),
    ("one two three", 1, "1 2 3"),  # no compound: each its own
])
def test_compound_number_words_are_one_number(answer, count, norm):
    from eval.text import normalize_answer, parse_count

    assert parse_count(answer) == count and normalize_answer(answer) == norm


def test_end_tokens_other_tools_keep_are_not_part_of_the_answer(tmp_path, capsys):
    from eval import captioning, classification
    from eval.text import normalize_answer, parse_count

    # were "church im end", "3 eot id": a right class scored wrong
    assert normalize_answer("Church.<|im_end|>") == normalize_answer("church<eos>") == "church"
    assert normalize_answer("3<|eot_id|></s>") == "3" and parse_count("twelve<|endoftext|>") == 12
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text(json.dumps({**RECORD, "conversations": [RECORD["conversations"][0], {
        "from": "gpt", "value": "church"}]}) + "\n" + json.dumps({**RECORD, "id": "c", "task": "cap", "conversations": [
            {"from": "human", "value": "<image>\n[cap] Describe it."},
            {"from": "gpt", "value": "A church beside a road."}]}) + "\n")
    pred.write_text(json.dumps({"id": "r0", "task": "cls", "answer": "church<|im_end|>"}) + "\n"
                    + json.dumps({"id": "c", "task": "cap", "answer": "A church beside a road.<|im_end|>"}) + "\n")
    assert classification.main(["--gt", str(gt), "--pred", str(pred)])["accuracy"] == 1.0
    assert captioning.main(["--gt", str(gt), "--pred", str(pred), "--no-java"])["BLEU-4"] > 0.99  # was 0.39
    capsys.readouterr()


def test_objects_given_in_normalised_coordinates_are_pointed_out(tmp_path, capsys):
    from eval import grounding
    from rsvlm import geometry

    box = [20, 30, 60, 70]
    rec = {**RECORD, "task": "ground", "meta": {"width": 100, "height": 100}, "conversations": [
        {"from": "human", "value": "<image>\n[ground] the ship"},
        {"from": "gpt", "value": geometry.encode([{"kind": "box", "label": "ship", "coords": box}], 100, 100)}]}
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text(json.dumps(rec) + "\n")
    pred.write_text(json.dumps({"id": "r0", "task": "ground", "objects": [
        {"kind": "box", "label": "ship", "coords": [0.2, 0.3, 0.6, 0.7]}]}) + "\n")  # another tool's convention
    scores = grounding.main(["--gt", str(gt), "--pred", str(pred)])
    # was an mIoU of 0 with nothing saying why
    assert scores["mIoU"] == 0 and "every coordinate of the 1 predicted object given as 'objects' lies in [0, 1]" \
        in " ".join(scores["notes"])
    pred.write_text(json.dumps({"id": "r0", "task": "ground", "objects": [
        {"kind": "box", "label": "ship", "coords": box}]}) + "\n")
    assert not any("[0, 1]" in n for n in grounding.main(["--gt", str(gt), "--pred", str(pred)])["notes"])
    capsys.readouterr()

