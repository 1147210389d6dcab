"""rsvlm eval's --data checks before the model loads (stop 59)."""

from rsvlm.cli import main


def test_eval_data_that_is_a_folder_is_said_to_be_one(tmp_path, capsys):
    """A folder given as --data was "records file not found", for a folder that is there."""
    (tmp_path / "test.jsonl").write_text("")
    rc = main(["eval", "--model", str(tmp_path / "no_model"), "--data", str(tmp_path), "--out", str(tmp_path / "p.jsonl")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "is a folder" in err and "test.jsonl" in err and "not found" not in err


def test_eval_data_that_is_missing_is_said_so(tmp_path, capsys):
    rc = main(["eval", "--model", str(tmp_path), "--data", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "p.jsonl")])
    assert rc == 2 and f"records file not found: {tmp_path / 'nope.jsonl'}" in capsys.readouterr().err


def test_eval_notes_a_strip_by_what_the_stem_does_with_it(tmp_path):
    """record_images gave size_note no resize: a strip was said to be "squashed … distorted" for a model
    whose stem pads it (predict and chat said "padded")."""
    import numpy as np
    from PIL import Image

    from rsvlm.eval_reading import record_images

    Image.fromarray(np.zeros((5, 300, 3), dtype=np.uint8) + 90).save(tmp_path / "strip.png")
    record = {"id": "s", "task": "cls", "images": [{"path": "strip.png", "modality": "optical"}],
              "conversations": [{"from": "human", "value": "<image>\n[cls] What?"}, {"from": "gpt", "value": "x"}]}
    notes: list[str] = []
    record_images(record, tmp_path, notes, {"optical": 96}, {"optical": "pad"})
    assert any("padded to the model's square 96 px input" in n for n in notes)
    assert not any("squashed" in n for n in notes)
    stretched: list[str] = []
    record_images(record, tmp_path, stretched, {"optical": 96})  # no resizes: a stand-in's stretch
    assert any("squashed" in n for n in stretched)
