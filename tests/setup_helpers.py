"""Set-ups shared by the stop 78-79 tests (each written twice before): a refused ``rsvlm train``, a piped
``rsvlm chat``, an image folder's refusal, a LoRA save on a saved Llama base, and a torch.load whose refusal names
nothing (not fixtures: conftest holds those)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import REPO


def train_refused(argv: list[str], capsys) -> str:
    """rsvlm train's one line of refusal for ``argv`` (exit 2, no traceback)."""
    from rsvlm.train import main as train_main

    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err.rstrip("\n")


def chat_piped(ckpt, image, monkeypatch, data: bytes) -> int:
    """``rsvlm chat`` on ``image`` (in this process) with ``data`` as its stdin, read as Linux reads a pipe: no
    newline translation, a CR stays on its line. Returns its exit status."""
    from rsvlm.cli import main

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="\n"))
    return main(["chat", "--model", str(ckpt), "--image", str(image), "--max-new-tokens", "2"])


def folder_error(folder: Path) -> str:
    """What ``check_image_path`` says of ``folder`` given as an image (it must refuse it)."""
    from rsvlm.io.checks import check_image_path

    with pytest.raises(FileNotFoundError) as e:
        check_image_path(folder)
    return str(e.value)


def lora_save(tmp_path: Path, base_dtype, save_dtype) -> tuple[Path, Path]:
    """(checkpoint, base): configs/model/tiny.yaml on a saved Llama base of ``base_dtype`` (a byte tokenizer without
    rsvlm's tokens: ``llm.base_vocab`` recorded), the model cast to ``save_dtype`` and saved with its ``llm/``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.model.llm import byte_tokenizer

    base, ckpt, tok = tmp_path / "base", tmp_path / "ckpt", byte_tokenizer()
    torch.manual_seed(0)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2)).to(base_dtype).save_pretrained(base)
    tok.save_pretrained(base)
    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml", [f"llm.name_or_path={base}", "llm.config=null"])
    create_model(cfg)[0].to(save_dtype).save_pretrained(ckpt)
    return ckpt, base


def torch_load_reworded(monkeypatch) -> None:
    """``torch.load`` replaced by one whose refusal names no GLOBAL (``RuntimeError("refused")``), so a name said
    comes from rsvlm's own scan of the pickle."""
    import torch

    real_load = torch.load

    def load(*a, **k):
        try:
            return real_load(*a, **k)
        except Exception:
            raise RuntimeError("refused") from None

    monkeypatch.setattr(torch, "load", load)
