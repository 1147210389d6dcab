"""The probes in scripts/ as a user meets them: unreadable records are counted and named, and bad
arguments are one line before the model is loaded."""

from __future__ import annotations

import json

import pytest
from script_loader import load_script
from test_probe_pointer_cells import ground_records


def test_pointer_probe_counts_the_records_it_could_not_score(tmp_path, monkeypatch, ckpt, capsys):
    probe = load_script("probe_pointer_cells", monkeypatch)
    data = ground_records(tmp_path)
    rows = data.read_text().splitlines()
    first = json.loads(rows[0])
    first["images"][0]["path"] = "images/gone.png"
    data.write_text("{not json\n" + "\n".join([json.dumps(first), *rows[1:]]) + "\n")
    assert probe.main(["--model", str(ckpt), "--data", str(data), "--out", str(tmp_path / "r.json")]) == 0
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["n"] == 12 and sum(res["skipped"].values()) == 2  # was: 12 of 16 coordinates, nothing said
    assert "2 records not scored (" in capsys.readouterr().err


@pytest.mark.parametrize("args, says", [
    (["--limit", "0"], "--limit 0: give 1 or more"),  # 0 meant every record
    (["--limit", "-1"], "--limit -1: give 1 or more"),  # was: a ValueError traceback after loading the model
    (["--out", "{tmp}"], "--out {tmp}: give a file in an existing folder"),  # was: IsADirectoryError after the work
    (["--out", "{tmp}/no/r.json"], "--out {tmp}/no/r.json: give a file in an existing folder"),
])
def test_pointer_probe_refuses_bad_arguments_before_loading(tmp_path, monkeypatch, capsys, args, says):
    probe = load_script("probe_pointer_cells", monkeypatch)
    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: pytest.fail("loaded the model"))
    data = ground_records(tmp_path)
    with pytest.raises(SystemExit) as e:
        probe.main(["--data", str(data), *[a.format(tmp=tmp_path) for a in args]])
    assert e.value.code == 2 and says.format(tmp=tmp_path) in capsys.readouterr().err


def test_pointer_probe_names_a_folder_that_is_not_a_checkpoint(tmp_path, monkeypatch, capsys):
    probe = load_script("probe_pointer_cells", monkeypatch)
    with pytest.raises(SystemExit) as e:  # a usage error naming --model, before any work (stop 80)
        probe.main(["--model", str(tmp_path), "--data", str(ground_records(tmp_path))])
    err = capsys.readouterr().err.strip().splitlines()  # was: a FileNotFoundError traceback
    assert e.value.code == 2
    assert err[-1].endswith(f": error: --model {tmp_path}: not an rsvlm checkpoint (no config.yaml)")


def sensor_records(tmp_path):
    from test_train_utils import make_records

    data = make_records(tmp_path, n=2, ir_every=0)
    rows = []
    for line in data.read_text().splitlines():
        rec = json.loads(line)
        rec.update(task="vqa", meta={"qtype": "modality"},
                   conversations=[{"from": "human", "value": "<image>\n[vqa] What sensor took this image?"},
                                  {"from": "gpt", "value": "optical"}])
        rows.append(json.dumps(rec))
    data.write_text("\n".join(rows) + "\n")
    return data


def test_sensor_probe_says_what_is_wrong_in_one_line(tmp_path, monkeypatch, capsys):
    probe = load_script("probe_sensor_word", monkeypatch)
    data = sensor_records(tmp_path)
    with pytest.raises(SystemExit) as e:  # was: an IsADirectoryError traceback after the work
        probe.main(["--model", str(tmp_path), "--data", str(data), "--out", str(tmp_path)])
    assert e.value.code == 2 and f"--out {tmp_path}: give a file in an existing folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        probe.main(["--data", str(tmp_path / "missing.jsonl")])
    assert e.value.code == 2 and "--data: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:  # was: a FileNotFoundError traceback; a usage error before the work (stop 80)
        probe.main(["--model", str(tmp_path), "--data", str(data)])
    assert e.value.code == 2 and f"error: --model {tmp_path}: not an rsvlm checkpoint" in capsys.readouterr().err
    data.write_text("{not json\n" + data.read_text())
    with pytest.raises(SystemExit) as e:  # was: a RecordError traceback
        probe.main(["--data", str(data)])
    assert str(e.value.code).startswith("error: ") and "not valid JSON" in e.value.code and "\n" not in e.value.code
