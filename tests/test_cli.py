import subprocess
import sys

import pytest

from rsvlm.cli import build_parser, main


def test_help_lists_every_design_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for cmd in ["chat", "predict", "train", "eval", "merge-lora", "convert-llava"]:
        assert cmd in out


def test_train_help_explains_overrides(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps to $COLUMNS, which a CI may set
    assert "key=value overrides set any recipe key, dotted for nested ones" in out and "configs/train" in out


@pytest.mark.parametrize("argv, option, why", [
    (["eval", "--data", "d", "--out", "o", "--batch-size", "0"], "--batch-size", "must be at least 1, got 0"),
    (["eval", "--data", "d", "--out", "o", "--limit", "0"], "--limit", "must be at least 1"),  # was: every record
    (["eval", "--data", "d", "--out", "o", "--limit", "-1"], "--limit", "must be at least 1"),  # was: all but one
    (["predict", "--image", "a", "--task", "det", "--min-score", "1.5"], "--min-score", "must be in [0.0, 1.0]"),
    (["predict", "--image", "a", "--task", "det", "--min-score", "nan"], "--min-score", "expected a finite number"),
    (["chat", "--temperature", "-1"], "--temperature", "must be at least 0, got -1"),  # was "in [0.0, inf]"
    (["chat", "--max-new-tokens", "ten"], "--max-new-tokens", "expected a whole number, got 'ten'"),
    (["chat", "--min-objects", "-2"], "--min-objects", "must be at least 0"),
])
def test_numeric_options_out_of_range_are_usage_errors(argv, option, why, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {why}" in err and "Traceback" not in err


def test_predict_requires_image_and_task():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["predict", "--task", "det"])
    args = build_parser().parse_args(["predict", "--image", "a.tif", "--image", "b.tif", "--task", "change"])
    assert args.image == ["a.tif", "b.tif"] and args.overlap is None  # a quarter of --tile, at most 64 (predict)
    assert args.missing_bands == "copy"


@pytest.mark.parametrize("argv", [
    ["eval", "--data", "{tmp}/none.jsonl", "--out", "{tmp}/p.jsonl"],
    ["merge-lora", "--model", "{tmp}/none", "--out", "{tmp}/m"],
    ["convert-llava", "--src", "{tmp}/none", "--out", "{tmp}/c"],
])
def test_a_missing_path_is_one_line_naming_it(argv, tmp_path, capsys):
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rsvlm {argv[0]}: ") and str(tmp_path / "none") in err and "Traceback" not in err


def test_bad_inputs_to_merge_lora_and_convert_llava_are_one_line(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("another model")
    (tmp_path / "ck").mkdir()
    (tmp_path / "ck" / "config.yaml").write_text("llm: {}\n")
    assert main(["merge-lora", "--model", str(tmp_path / "ck"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rsvlm merge-lora: ") and "out: already exists and is not empty" in err
    assert "Traceback" not in err
    (tmp_path / "llava").mkdir()
    (tmp_path / "llava" / "config.json").write_text("{not json")
    assert main(["convert-llava", "--src", str(tmp_path / "llava"), "--out", str(tmp_path / "conv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rsvlm convert-llava: ") and "config.json: not valid JSON" in err


def test_help_imports_nothing_heavy():
    code = "import sys; from rsvlm.cli import build_parser; build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("entry", [
    "from rsvlm.cli import main\nmain(['eval', '--model', {none!r}, '--data', 'x', '--out', 'y'])",
    "from rsvlm.train import main\nmain(['--config', {none!r}])",  # what torchrun / deepspeed start
])
def test_commands_keep_bitsandbytes_hub_kernel_warning_off_stderr(tmp_path, entry):
    """peft imports bitsandbytes, which on CPUs with AVX512-BF16 logs that it cannot fetch an
    optional kernel from the hub; after rsvlm's CLI or training entry has run, that import is quiet."""
    pytest.importorskip("peft")
    bare = subprocess.run([sys.executable, "-c", "import peft"], capture_output=True, text=True, timeout=300)
    if "gemm_4bit_forward" not in bare.stderr:
        pytest.skip("bitsandbytes does not warn on this CPU")
    code = entry.format(none=str(tmp_path / "none")) + "\nimport peft\n"
    via_cli = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "gemm_4bit_forward" not in via_cli.stderr
    assert "rsvlm " in via_cli.stderr  # the command ran (and failed on the missing file)
