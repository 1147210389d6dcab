"""rsvlm eval and the scorers, toured (52): the launcher's environment, rank parts of ranks without
records, the scorers' tables."""
import json

import pytest

from rsvlm import evaluate
from rsvlm.cli import main

RECORD = {"id": "r0", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
          "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}


@pytest.mark.parametrize("env, said", [
    ({"RANK": "0", "WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not a whole number"),
    ({"RANK": "first", "WORLD_SIZE": "2"}, "RANK='first' is not a whole number"),
    ({"RANK": "2", "WORLD_SIZE": "2"}, "RANK=2 is outside 0…1"),
    ({"RANK": "0", "WORLD_SIZE": "0"}, "WORLD_SIZE=0: needs 1 or more"),
])
def test_a_bad_rank_or_world_size_is_one_line_naming_the_variable(tmp_path, monkeypatch, capsys, env, said):
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    # was a ValueError traceback from int() (or, for WORLD_SIZE=0, "slice step cannot be zero" after the model loaded)
    assert main(["eval", "--model", str(tmp_path / "no-model"), "--data", str(data),
                 "--out", str(tmp_path / "p.jsonl")]) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "p.jsonl.run.json").exists()


def test_process_rank_reads_the_launchers_variables():
    assert evaluate.process_rank({}) == (0, 1)
    assert evaluate.process_rank({"RANK": " 3 ", "WORLD_SIZE": "4"}) == (3, 4)
    assert evaluate.process_rank({"RANK": "", "WORLD_SIZE": ""}) == (0, 1)
