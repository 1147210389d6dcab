"""Tour 62, review 4: predict's files are written where a reader closed its output (| head -1), --tta says
when it asked no view, merge-lora refuses --out - and an empty --out, --device names the types it takes,
and eval refuses an --out typed with a trailing '/'."""

from __future__ import annotations

import json

import pytest

from rsvlm.cli import main


class Head:
    """A stream whose reader takes ``lines`` lines and goes away (``| head -1``); no file descriptor."""

    def __init__(self, lines: int = 1):
        self.left, self.got = lines, []

    def write(self, text: str) -> int:
        if self.left <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.got.append(text)
        self.left -= text.count("\n")
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_predict_writes_its_out_file_though_the_reader_of_its_output_went_away(ckpt, geotiff, tmp_path, monkeypatch):
    head = Head(1)
    monkeypatch.setattr("sys.stdout", head)  # rsvlm predict … --out res.json 2>&1 | head -1
    monkeypatch.setattr("sys.stderr", head)
    out = tmp_path / "res.json"
    code = main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--max-new-tokens", "8",
                 "--out", str(out)])
    assert out.exists(), "the run ended at the closed pipe, before --out was written"
    assert code == 0 and json.loads(out.read_text())["task"] == "det"


def test_predict_out_to_a_closed_stdout_is_no_success(ckpt, geotiff, monkeypatch, capsys):
    head = Head(0)  # … --out - | head -0: not one line of the JSON was taken
    monkeypatch.setattr("sys.stdout", head)
    code = main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--max-new-tokens", "8",
                 "--out", "-"])
    assert code == 1
    assert "--out -: standard output was closed before the whole answer was written" in capsys.readouterr().err
