"""Review 61 of rsvlm.eval_answers: an image rsvlm eval cannot read is answered empty with the reason in the
row's ``error``; a DEM's or a 1-bit mask's refusal there told the user to give ``--modality`` or
``read_image(..., modality=...)``, neither of which rsvlm eval takes: it says the record's "modality" field."""

from __future__ import annotations

import numpy as np
from PIL import Image


class _NoModel:
    """A processor and model that must not be reached: every record of the batch fails reading."""

    image_sizes = None

    def __getattr__(self, name):
        raise AssertionError(f"the model or processor was used ({name}) though no record could be read")


def test_a_mask_image_s_error_row_names_the_record_s_modality_field(tmp_path):
    from rsvlm.eval_answers import answer_batch

    Image.fromarray(np.eye(16, dtype=bool)).convert("1").save(tmp_path / "label.png")
    record = {"id": "m1", "task": "cls", "images": [{"path": "label.png"}],
              "conversations": [{"from": "human", "value": "<image>\n[cls] What scene?"},
                                {"from": "gpt", "value": "lake"}], "meta": {"width": 16, "height": 16}}
    (row,) = answer_batch(_NoModel(), _NoModel(), [record], tmp_path, 8)
    assert row["id"] == "m1" and row["answer"] == "" and "label.png" in row["error"]
    assert 'a "modality" in the record\'s image' in row["error"]
    assert "--modality" not in row["error"] and "read_image" not in row["error"]


def test_rsvlm_eval_refuses_dev_stdout_redirected_to_a_file(tmp_path):
    """``rsvlm eval --out /dev/stdout > log`` passed the pipe check (/dev/stdout is then the regular file log)
    and, run as root, wrote ``/dev/stdout.run.json`` among the devices; a name under /dev or /proc (but
    /dev/shm) is refused before the model loads, as a pipe is."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps({"id": "a", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
                                "conversations": [{"from": "human", "value": "<image>\n[cls] What scene?"},
                                                  {"from": "gpt", "value": "lake"}],
                                "meta": {"width": 8, "height": 8}}) + "\n")
    log = tmp_path / "log.txt"
    with open(log, "w") as stdout:
        ran = subprocess.run([sys.executable, "-m", "rsvlm.cli", "eval", "--data", str(data), "--out", "/dev/stdout",
                              "--device", "cpu"], stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
                             cwd=Path(__file__).resolve().parents[1])
    assert ran.returncode == 2 and "--out /dev/stdout is no regular file" in ran.stderr
    assert not Path("/dev/stdout.run.json").exists() and log.read_text() == ""
