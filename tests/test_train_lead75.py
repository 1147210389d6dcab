"""Training data, stop 75: a [change] record of other than two images is left out of training, counted."""
import json
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def _rec(rid, n_images, task="change"):
    q = "<image>\n" * n_images + ("[change] What changed?" if task == "change" else "[cls] What is this scene?")
    return {"id": rid, "task": task, "images": [{"path": "a.png", "modality": "optical"}] * n_images,
            "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": "New buildings."}]}


def test_a_change_record_without_two_images_is_left_out_of_training_and_counted(tmp_path):
    """read_records keeps such a record (a scorer reads no image), counted as kept; training it taught an answer
    chat, predict and Session.ask refuse to ask for, so build_index leaves it out, counted as skipped and named."""
    from rsvlm.config import load_config
    from rsvlm.data.records import ReadReport
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.train import data as D

    Image.new("RGB", (32, 32), (90, 120, 60)).save(tmp_path / "a.png")
    path = tmp_path / "train.jsonl"
    recs = [_rec("pair", 2), _rec("one", 1), _rec("three", 3), _rec("cls", 1, task="cls")]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    _, processor = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml"))
    report = ReadReport(str(path))
    index = D.build_index(path, processor.tokenizer, dict(processor.n_tokens), report, progress=False)
    assert list(index["id"]) == ["pair", "cls"]
    assert report.skipped["[change] record of other than two images"] == 2 and report.unpaired_changes == 0
    assert "record one: a [change] record compares two images, before then after, got 1" in report.examples[0]
    assert "kept with other than two images" not in report.summary()
