"""eval.common.headline_scores: several eval scripts run on one prediction file, as the benchmarks use them."""


def test_headline_scores_runs_each_scorer_quietly_and_marks_absent_tasks(tmp_path, capsys):
    import json

    from eval import classification, common, grounding

    recs = [{"id": f"r{i}", "images": [{"path": "a.png", "modality": "optical"}], "task": "cls",
             "conversations": [{"from": "human", "value": "<image>\n[cls] What is this?"},
                               {"from": "gpt", "value": cls}]} for i, cls in enumerate(["lake", "forest"])]
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pred.write_text('{"id": "r0", "task": "cls", "answer": "Lake."}\n{"id": "r1", "task": "cls", "answer": "lake"}\n')
    out = common.headline_scores(gt, pred, {"cls": (classification, "accuracy"), "ground": (grounding, "acc50")})
    assert out == {"cls": 0.5, "ground": None} and capsys.readouterr().out == ""
