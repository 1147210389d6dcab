"""Stop 71, review of evaluation round 2 (area F2): eval.report over an older score file beside a newer one of one
checkpoint, and a --dir folder of several that holds no score file."""

from __future__ import annotations

import json

from conftest import eval_record, write_jsonl


def _scores(tmp_path, run: str, stamp: dict | None) -> str:
    """vqa.json of run ``run`` (its predictions stamped with ``stamp``, none without), under ``tmp_path/run``."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / f"{run}.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
    if stamp is not None:
        (tmp_path / f"{run}.jsonl.run.json").write_text(json.dumps(stamp))
    out = tmp_path / run / "vqa.json"
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(out)])
    return str(out)


def test_report_names_no_weights_where_an_older_score_file_kept_none_beside_one_hash(tmp_path):
    """A score file written before the score files kept the stamp's weights, beside a newer one of the same checkpoint
    folder: the report hashed the newer one's weights and said "(weights not recorded)" of the older, as if the
    checkpoint had been retrained, where nothing says it was. Hashes are named where two recorded ones differ."""
    from eval import report

    stamp = {"model": "/runs/x/final", "options": {"max_new_tokens": 256}, "limit": None}
    old = _scores(tmp_path, "old", stamp)
    new = _scores(tmp_path, "new", {**stamp, "weights": {"llm/model.safetensors": "5:bb"}})
    assert [r["model"] for r in report.main(["--scores", old, new])["runs"]] == ["/runs/x/final"] * 2
    other = _scores(tmp_path, "other", {**stamp, "weights": {"llm/model.safetensors": "5:cc"}})
    models = [r["model"] for r in report.main(["--scores", old, new, other])["runs"]]
    assert models[0] == "/runs/x/final (weights not recorded)" and len(set(models)) == 3, models


def test_report_dir_names_a_folder_of_several_that_holds_no_score_file(tmp_path, capsys):
    """``eval.report --dir runA/scores runB/scores`` where runB's folder holds no score file (scored elsewhere, or a
    slip of the name of an existing folder): the report was run A's alone, and nothing said run B was missing."""
    from eval import report

    _scores(tmp_path, "A", None)
    (tmp_path / "B").mkdir()
    (tmp_path / "B" / "notes.json").write_text("[]")
    capsys.readouterr()
    rep = report.main(["--dir", str(tmp_path / "A"), str(tmp_path / "B")])
    assert [r["source"] for r in rep["metrics"]] == ["vqa.json", "vqa.json"] and rep["runs"][0]["pred"]
    err = capsys.readouterr().err
    assert f"note: --dir {tmp_path / 'B'} holds no score file" in err, err
    assert f"--dir {tmp_path / 'A'} holds" not in err
    report.main(["--dir", str(tmp_path / "A")])
    assert "holds no score file" not in capsys.readouterr().err
