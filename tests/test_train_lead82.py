"""summary.json lacked the several-image and task-clash counts the read summary prints: people saw them, a
program reading the run's summary did not (routed by tour 82's I)."""

import json

from rsvlm.data.records import load_records
from rsvlm.train.summary import summarize


def test_the_summary_carries_several_image_records_and_task_clashes(tmp_path):
    img = {"path": "a.png", "modality": "optical"}
    rows = [{"id": "two", "task": "cls", "images": [img, img],
             "conversations": [{"from": "human", "value": "[cls] <image>\n<image>\nWhat class?"},
                               {"from": "gpt", "value": "harbor"}]},
            {"id": "clash", "task": "vqa", "images": [img],
             "conversations": [{"from": "human", "value": "[cls] <image>\nWhat class?"},
                               {"from": "gpt", "value": "harbor"}]}]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    _, report = load_records(path)
    state = {"step": 1, "epoch": 0, "samples": 2, "bad": 0, "bad_ids": [], "tokens": 10, "slots": 20}
    summary = summarize(state, report, 1, seconds=1.0, steps=1)
    assert summary["several_image_records"] == dict(report.several_images) == {"cls": 1}
    assert summary["task_clashes"] == report.task_clashes == 1
    json.dumps(summary)  # as summary.json is written


def test_init_from_none_says_how_to_leave_it_unset(tmp_path, monkeypatch, capsys):
    """``init_from=None`` is YAML's text 'None': it was refused as "no None/vision.safetensors; no such folder"
    alone (routed by tour 82's F)."""
    from pathlib import Path

    from rsvlm.cli import main
    from rsvlm.train.init_from import init_from_hint

    monkeypatch.chdir(tmp_path)
    config = Path(__file__).resolve().parents[1] / "configs/train/sft_tiny.yaml"
    assert main(["train", "--config", str(config), "init_from=None", f"out_dir={tmp_path / 'o'}"]) != 0
    assert "init_from: no None/vision.safetensors; no such folder; to leave init_from unset, write init_from=null " \
        "(or ~)" in capsys.readouterr().err
    assert init_from_hint(Path("runs/None")) == "; no such folder"  # a folder named so is a path, not YAML's None
