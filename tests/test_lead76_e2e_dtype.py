"""rsvlm train's precision typed as chat/predict/eval's --dtype (or HF's torch_dtype, accelerate's mixed_precision)
was offered model.projector.type=bf16 (a projector kind), or nothing (Y2, stop 76 end-to-end read)."""

import pytest

from rsvlm.cli import main


def _code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize("words", [["dtype=bf16"], ["--dtype", "bf16"], ["torch_dtype=bf16"], ["mixed_precision=bf16"],
                                   ["model.dtype=bf16"], ["model.torch_dtype=bf16"]])
def test_train_dtype_is_offered_precision(capsys, words):
    assert _code(["train", "--config", "configs/train/sft_tiny.yaml", *words]) == 2
    err = capsys.readouterr().err
    assert "did you mean precision=bf16?" in err
    assert "projector.type" not in err


@pytest.mark.parametrize("value, fix", [("float16", "fp16"), ("bfloat16", "bf16"), ("float32", "fp32"), ("no", "fp32")])
def test_a_precision_named_as_a_dtype_is_offered_its_short_name(capsys, value, fix):
    """predict's --dtype float16 taken over as precision=float16 was refused with no hint."""
    assert _code(["train", "--config", "configs/train/sft_tiny.yaml", f"precision={value}"]) == 2
    assert f"precision must be fp32, bf16 or fp16, got '{value}'; did you mean {fix}?" in capsys.readouterr().err
