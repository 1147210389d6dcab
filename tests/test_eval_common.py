"""eval.common.headline_results: several eval scripts run on one prediction file, as the benchmarks use them."""


def test_headline_results_runs_each_scorer_quietly_and_marks_absent_tasks(tmp_path, capsys):
    import json

    from eval import classification, common, grounding

    recs = [{"id": f"r{i}", "images": [{"path": "a.png", "modality": "optical"}], "task": "cls",
             "conversations": [{"from": "human", "value": "<image>\n[cls] What is this?"},
                               {"from": "gpt", "value": cls}]} for i, cls in enumerate(["lake", "forest"])]
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pred.write_text('{"id": "r0", "task": "cls", "answer": "Lake."}\n{"id": "r1", "task": "cls", "answer": "lake"}\n')
    out = common.headline_results(gt, pred, {"cls": (classification, "accuracy"), "ground": (grounding, "acc50")})
    assert {k: h.score for k, h in out.items()} == {"cls": 0.5, "ground": None} and capsys.readouterr().out == ""


def test_a_predictions_file_that_matches_no_record_says_so(tmp_path, capsys):
    import json

    from eval import classification

    recs = [{"id": f"r{i}", "images": [{"path": "a.png"}], "task": task,
             "conversations": [{"from": "human", "value": f"<image>\n[{task}] ?"}, {"from": "gpt", "value": "lake"}]}
            for i, task in enumerate(["cls", "vqa"])]
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pred.write_text('{"id": "r1", "task": "vqa", "answer": "lake"}\n')  # the VQA predictions
    scores = classification.main(["--gt", str(gt), "--pred", str(pred)])
    assert scores["accuracy"] == 0.0
    assert "none of the 1 predictions names a cls record" in capsys.readouterr().out
    pred.write_text("")
    classification.main(["--gt", str(gt), "--pred", str(pred)])
    assert f"{pred} holds no prediction" in capsys.readouterr().out


def test_swapped_gt_and_pred_are_named(tmp_path, capsys):
    import json

    import pytest

    from eval import common, vqa

    rec = {"id": "r0", "images": [{"path": "a.png"}], "task": "vqa",
           "conversations": [{"from": "human", "value": "<image>\n[vqa] ?"}, {"from": "gpt", "value": "yes"}]}
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl"
    gt.write_text(json.dumps(rec) + "\n")
    pred.write_text('{"id": "r0", "task": "vqa", "answer": "yes"}\n')
    with pytest.raises(common.ScoreError, match="are --gt and --pred swapped"):
        vqa.main(["--gt", str(pred), "--pred", str(gt)])
    with pytest.raises(common.ScoreError, match="--pred .*gt.jsonl is the --gt file"):  # was scored, all unparseable
        vqa.main(["--gt", str(gt), "--pred", str(gt)])


def test_an_out_that_cannot_be_written_is_an_error_before_scoring(tmp_path):
    import json

    import pytest

    from eval import common, report, vqa

    rec = {"id": "r0", "images": [{"path": "a.png"}], "task": "vqa",
           "conversations": [{"from": "human", "value": "<image>\n[vqa] ?"}, {"from": "gpt", "value": "yes"}]}
    gt, pred, afile = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl", tmp_path / "afile"
    gt.write_text(json.dumps(rec) + "\n")
    pred.write_text('{"id": "r0", "task": "vqa", "answer": "yes"}\n')
    afile.write_text("")
    with pytest.raises(common.ScoreError, match=f"--out {afile}/s.json: cannot create its folder"):
        vqa.main(["--gt", str(gt), "--pred", str(pred), "--out", str(afile / "s.json")])
    vqa.main(["--gt", str(gt), "--pred", str(pred), "--out", str(tmp_path / "s" / "vqa.json")])
    with pytest.raises(common.ScoreError, match="--out"):
        report.main(["--dir", str(tmp_path / "s"), "--out", str(afile / "r.md")])


def test_unparseable_answers_are_explained_in_notes(tmp_path, capsys):
    import json

    from eval import grounding, vqa

    recs = [{"id": f"r{i}", "images": [{"path": "a.png"}], "task": task, "meta": {"width": 100, "height": 100},
             "conversations": [{"from": "human", "value": f"<image>\n[{task}] ?"}, {"from": "gpt", "value": ans}]}
            for i, (task, ans) in enumerate([("vqa", "yes"), ("ground", "<box><loc_1><loc_1><loc_9><loc_9></box>")])]
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pred.write_text('{"id": "r0", "task": "vqa", "answer": 1}\n{"id": "r1", "task": "ground", "answer": "<box><loc_1>"}\n')
    assert vqa.main(["--gt", str(gt), "--pred", str(pred)])["n_unparseable"] == 1
    assert "unparseable 'r0': 'answer' is the number 1, where a vqa answer is text" in capsys.readouterr().out
    assert grounding.main(["--gt", str(gt), "--pred", str(pred)])["n_unparseable"] == 1
    assert "unparseable 'r1': <box>" in capsys.readouterr().out


def test_answers_in_another_format_are_pointed_out(tmp_path, capsys):
    import json

    from eval import grounding

    rec = {"id": "r0", "images": [{"path": "a.png"}], "task": "ground", "meta": {"width": 100, "height": 100},
           "conversations": [{"from": "human", "value": "<image>\n[ground] ?"},
                             {"from": "gpt", "value": "<box><loc_100><loc_200><loc_300><loc_400></box>"}]}
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl"
    gt.write_text(json.dumps(rec) + "\n")
    pred.write_text('{"id": "r0", "task": "ground", "answer": "{<10><20><30><40>|<0>}"}\n')  # GeoChat's
    assert grounding.main(["--gt", str(gt), "--pred", str(pred)])["acc50"] == 0.0
    assert "1 answer holds geochat geometry, which the rsvlm reader does not read (--format geochat?)" in (
        capsys.readouterr().out)
    assert grounding.main(["--gt", str(gt), "--pred", str(pred), "--format", "geochat"])["acc50"] == 1.0
    assert "answer holds" not in capsys.readouterr().out


def test_predictions_with_a_byte_order_mark_lose_no_line(tmp_path):
    import json

    from eval import vqa

    rec = {"id": "r0", "images": [{"path": "a.png"}], "task": "vqa",
           "conversations": [{"from": "human", "value": "<image>\n[vqa] ?"}, {"from": "gpt", "value": "yes"}]}
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl"
    gt.write_text(json.dumps(rec) + "\n")
    pred.write_bytes(b"\xef\xbb\xbf" + b'{"id": "r0", "task": "vqa", "answer": "yes"}\r\n')
    scores = vqa.main(["--gt", str(gt), "--pred", str(pred)])
    assert scores["accuracy"] == 1.0 and scores["n_pred_bad_lines"] == 0
