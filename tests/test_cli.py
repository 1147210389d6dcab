import subprocess
import sys

import pytest

from rsvlm.cli import build_parser, main


def test_help_lists_every_design_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for cmd in ["chat", "predict", "train", "eval", "merge-lora", "convert-llava"]:
        assert cmd in out


def test_predict_requires_image_and_task():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["predict", "--task", "det"])
    args = build_parser().parse_args(["predict", "--image", "a.tif", "--image", "b.tif", "--task", "change"])
    assert args.image == ["a.tif", "b.tif"] and args.overlap is None  # a quarter of --tile, at most 64 (predict)
    assert args.missing_bands == "copy"


def test_help_imports_nothing_heavy():
    code = "import sys; from rsvlm.cli import build_parser; build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
