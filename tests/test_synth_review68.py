"""Review of stop 68, area synth: synth --out named as a records file, and a record's task read by the one rule
eval reads a prediction's by, tokens.task_name (the copy named where a scene id is in two files: test_synth_tour68)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name, meant", [("set.jsonl", "set"), ("set.JSON.gz", "set")])
def test_synth_out_named_as_a_records_file_is_refused(name, meant, tmp_path, capsys):
    # --out set.jsonl made a folder named set.jsonl (scenes/, train.jsonl … in it), unsaid
    from data_gen.__main__ import main

    out = tmp_path / name
    assert main(["synth", "--out", str(out), "--n", "1", "--size", "32", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"error: output folder {out} is named as a records file" in err
    assert f"give a folder, e.g. {tmp_path / meant}" in err
    assert not out.exists()


def test_synth_out_an_existing_folder_named_so_is_kept(tmp_path):
    # a folder made so earlier (a set there to run again) is no file name mistaken
    from data_gen.synth.run import check_out

    (tmp_path / "set.jsonl").mkdir()
    check_out(tmp_path / "set.jsonl")


@pytest.mark.parametrize("task", ["DET", " [Det] ", "[det", "det]", "Chat", "[chat]", "[]", "cnt", 5])
def test_a_records_task_is_read_as_eval_reads_a_predictions(task):
    # one rule: a record's task and a prediction's (eval reads it by tokens.task_name) name one task or none
    from rsvlm.data.records import RecordError, normalize_record
    from rsvlm.tokens import TASKS, task_name

    rec = {"id": "a", "images": [{"path": "a.tif", "modality": "sar"}], "task": task,
           "conversations": [{"from": "human", "value": "<image>\n[det] Find ships."}, {"from": "gpt", "value": "None."}]}
    meant = task_name(task)
    if meant in TASKS:
        assert normalize_record(rec)["task"] == meant
    elif meant == "chat":
        assert normalize_record(rec)["task"] == "det"  # untagged: the prompt's tag
    else:
        with pytest.raises(RecordError, match="field 'task'"):
            normalize_record(rec)
