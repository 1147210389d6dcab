"""Training rough edges found on tour 59: a binary file given as records, epochs counted 1-based for
humans, band dropout's messages naming the bands, every shipped config loading into its dataclass."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main

REPO = Path(__file__).resolve().parents[1]


def _argv(tmp_path, *extra: str) -> tuple[list[str], Path]:
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    return ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", *extra], out


@pytest.mark.parametrize("make, says", [
    (lambda d: d / "images" / "im0.png", "it holds a PNG image (first bytes b'\\x89PNG"),
    (lambda d: (d / "x.jsonl.gz").write_bytes(gzip.compress(bytes(range(256)) * 4)) and d / "x.jsonl.gz",
     "it holds binary data (first bytes b'\\x00\\x01"),
    (lambda d: (d / "w.jsonl").write_bytes('{"id": "a"}\n'.encode("utf-16")) and d / "w.jsonl", "UTF-16 text"),
])
def test_a_binary_records_file_is_refused_before_anything_is_written(tmp_path, capsys, make, says):
    """An image given as data.train passed preflight, then failed once out_dir was written ("no usable record …
    not UTF-8 text"): it is refused first, naming the key, the file and what it holds."""
    argv, out = _argv(tmp_path, "max_steps=1")
    wrong = make(tmp_path / "d")
    assert train_main([*argv, f"data.train={wrong}"]) == 2
    err = capsys.readouterr().err
    assert f"data.train: {wrong} is not a records file" in err and says in err, err
    assert not out.exists()
    assert train_main([*argv, f"data.extra=[{{path: {wrong}}}]"]) == 2  # another records file alike
    assert f"data.extra[0].path: {wrong} is not a records file" in capsys.readouterr().err


def test_text_records_with_a_character_cut_at_the_sniffed_end_are_not_binary(tmp_path):
    from rsvlm.train.inputs import binary_found

    path = tmp_path / "r.jsonl"
    first = '{"t": "' + "a" * (65535 - 7) + 'é"}\n'  # é's two bytes are bytes 65535 and 65536: cut by the sniff
    path.write_text(first + json.dumps({"id": "ü"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes()[: 1 << 16].decode()
    assert binary_found(path) is None
    gz = tmp_path / "r.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert binary_found(gz) is None


def test_epochs_are_counted_from_1_alike_in_metrics_and_summary(tmp_path):
    """summary.json said "epochs": 0 for a run inside its first epoch (the plan's index), and metrics.jsonl's
    "epoch" counted from 0 too; both count from 1 now, the summary's that of the last step."""
    argv, out = _argv(tmp_path, "max_steps=3")  # 8 records, 4 a step: steps 1–2 in epoch 1, step 3 in epoch 2
    assert train_main(argv) == 0
    epochs = [json.loads(x)["epoch"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert epochs == [1, 1, 2]
    assert json.loads((out / "summary.json").read_text())["epochs"] == epochs[-1]
