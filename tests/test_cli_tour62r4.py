"""Tour 62, review 4: predict's files are written where a reader closed its output (| head -1), --tta says
when it asked no view, merge-lora refuses --out - and an empty --out, --device names the types it takes,
and eval refuses an --out typed with a trailing '/'."""

from __future__ import annotations

import json

import pytest
from test_cli_tour62 import msi  # noqa: F401  (a fixture)

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


def _answering(monkeypatch, text: str) -> None:
    """Every question, view or not, answered ``text`` (no score)."""
    from rsvlm import inference as inf

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [inf.Answer(text, [])] * len(msgs))


def _objects(*objs) -> str:
    from rsvlm import geometry

    return geometry.encode(list(objs), width=96, height=64)


BOX = {"kind": "box", "label": None, "coords": [10, 10, 40, 30]}
OBB = {"kind": "obb", "label": None, "coords": [[50, 10], [80, 10], [80, 30], [50, 30]]}
POLY = {"kind": "poly", "label": None, "coords": [[10, 10], [40, 10], [40, 40]]}


@pytest.mark.parametrize("task, tta, answer, why", [
    ("seg", "crops", _objects(POLY), "crops are only for [det]/[ground] questions with no position words"),
    ("cls", "crops", "harbour", "crops are only for [det]/[ground] questions"),
    ("cap", "flip", "a long caption of a harbour with ships and cranes", "answers of at most 4 words are fused"),
    ("det", "flip", _objects(BOX, OBB), "boxes with oriented boxes"),
])
def test_predict_says_why_tta_asked_no_view(ckpt, geotiff, tmp_path, monkeypatch, capsys, task, tta, answer, why):
    _answering(monkeypatch, answer)
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", task, "--tta", tta,
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    said = f"--tta {tta}: no view asked of this question ("
    assert said in err and why in err, err
    assert any(said in n and why in n for n in json.loads(out.read_text())["notes"])


def test_predict_says_nothing_of_views_where_tta_asked_some(ckpt, geotiff, monkeypatch, capsys):
    _answering(monkeypatch, _objects(BOX))
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--tta", "flip"]) == 0
    assert "no view asked" not in capsys.readouterr().err


def test_chat_says_when_tta_asked_no_view(ckpt, geotiff, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("[cap] describe the image\n"))  # a text answer
    assert main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--tta", "crops", "--max-new-tokens", "8"]) == 0
    out = capsys.readouterr().out
    assert "note: --tta crops: no view asked of this question (" in out, out


@pytest.mark.parametrize("command, source", [("merge-lora", "--model"), ("convert-llava", "--src")])
@pytest.mark.parametrize("out, said", [("-", "'-' (stdout) cannot take a checkpoint, which is a folder"),
                                       ("", "empty; give a new or empty folder"),
                                       ("  ", "empty; give a new or empty folder")])
def test_a_checkpoint_out_of_dash_or_nothing_is_a_usage_error(command, source, out, said, tmp_path, monkeypatch,
                                                              capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main([command, source, str(tmp_path / "ckpt"), "--out", out])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --out: {said}" in err, err
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("device", ["xpu", "hpu", "meta", "XPU:0"])
@pytest.mark.parametrize("command", ["predict", "chat"])
def test_a_device_type_rsvlm_does_not_run_on_is_refused_naming_the_option(ckpt, geotiff, command, device, monkeypatch,
                                                                          capsys):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(""))
    need = ["--task", "det"] if command == "predict" else []
    assert main([command, "--model", str(ckpt), "--image", str(geotiff), *need, "--device", device]) == 2
    err = capsys.readouterr().err
    assert f"--device {device.lower()}: rsvlm runs on cpu, cuda, cuda:N or mps, not {device.lower().split(':')[0]}" \
        in err, err
    assert "Traceback" not in err


def test_chat_vis_with_one_band_word_asks_for_three(ckpt, msi,  # noqa: F811
                                                      tmp_path, monkeypatch, capsys):
    """``/vis o.png B08`` was told to put quotes around a path with spaces, as B08,B04 was before 417ce02."""
    from test_chat_tour54 import chat_main

    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(msi), "--modality", "msi", "--bands",
                      "B02,B03,B04,B08", "--max-new-tokens", "3"],
                     ["[det]", f"/vis {tmp_path / 'o.png'} B08", f"/vis {tmp_path / 'my'} file.png"], monkeypatch) == 1
    out = capsys.readouterr().out
    assert f"error: /vis {tmp_path / 'o.png'} B08: give 3 band names, comma-separated (B08,B04,B03)" in out, out
    assert "error: /vis takes one path, got 2 words" in out, out  # a name with a space, unquoted
