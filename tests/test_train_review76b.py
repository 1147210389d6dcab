"""Training, review of tour 76 (b): the contrastive pool tokenized once up front gives each draw the tokens the
per-batch code gave it (cut to the context less the end token, which a cut caption keeps) and a resume from a step
folder continues the losses and cut counts exactly; an extra file of nothing but one-image [change] records, which
were its captions before, is refused saying why (it said "no single-image caption pair (4 records read, 0 skipped)")."""
import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from test_train_utils import recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def _rec(rid: str, n_images: int, task: str, answer: str) -> dict:
    tag = {"change": "[change] What changed?", "cap": "[cap] Describe it."}[task]
    return {"id": rid, "task": task, "images": [{"path": "a.png", "modality": "optical"}] * n_images,
            "conversations": [{"from": "human", "value": "<image>\n" * n_images + tag},
                              {"from": "gpt", "value": answer}]}


def _write(path: Path, recs: list[dict]) -> Path:
    Image.new("RGB", (32, 32), (90, 120, 60)).save(path.parent / "a.png")
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_caption_rows_are_those_the_per_batch_code_gave():
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.clip_data import caption_rows, pool_cuts

    tok, L = byte_tokenizer(), 16
    caps = ["", "a", "x" * 14, "x" * 15, "x" * 16, "é中文 road " * 5, "field near the river"]
    text, lengths = caption_rows(caps, tok, L)
    counts, _ = pool_cuts([({"id": str(i)}, c, Path()) for i, c in enumerate(caps)], tok, L, chunk=2)
    old = torch.full((len(caps), L), tok.pad_token_id, dtype=torch.long)  # the loop's code before 75a1d2e6
    for j, t in enumerate(tok(caps, add_special_tokens=False)["input_ids"]):
        t = t[: L - 1] + [tok.eos_token_id]
        old[j, : len(t)] = torch.tensor(t)
    assert torch.equal(text.long(), old)
    assert (text[lengths > L - 1, -1] == tok.eos_token_id).all()  # a cut caption still ends in the end token
    assert counts["cut_caption_pairs"] == int((lengths > L - 1).sum()) == 3  # 16 bytes, the multibyte one, ...


def test_an_extra_file_of_one_image_change_records_is_refused_saying_why(tmp_path):
    from rsvlm.train.clip_data import caption_pool

    main = _write(tmp_path / "main.jsonl", [_rec(f"cap{i}", 1, "cap", "a field") for i in range(4)])
    extra = _write(tmp_path / "extra.jsonl", [_rec(f"one{i}", 1, "change", "New buildings.") for i in range(3)])
    cfg = load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml"),
                      [f"data.train={main}", f"data.extra=[{{path: {extra}, weight: 1}}]"])
    with pytest.raises(ValueError) as e:
        caption_pool(cfg)
    assert str(e.value).startswith(f"{extra}: no single-image caption pair ("), e.value
    assert f"; 3 [change] records of other than two images left out, a [change] answer being no caption of one " \
           f"image (first: {extra}:1: record one0: " in str(e.value), e.value


def test_a_resumed_contrastive_run_continues_its_losses_and_cut_counts_exactly(tmp_path, capsys):
    from rsvlm.train import main as train_main

    data = _write(tmp_path / "train.jsonl", [_rec(f"cap{i}", 1, "cap", "field " * (1 + i % 7)) for i in range(10)])
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", "device=cpu",
            "log.progress=false", "batch_size=3", "max_steps=3", "ckpt.every=1", "clip.context_length=16"]
    assert train_main([*argv, f"out_dir={tmp_path / 'a'}"]) == 0
    step = tmp_path / "a" / "checkpoints" / "step_000002"
    assert train_main([*argv, f"out_dir={tmp_path / 'b'}", f"ckpt.resume={step}"]) == 0
    assert f"resumed contrastive pretraining at step 2 from {step}" in capsys.readouterr().err
    a, b = (json.loads((tmp_path / r / "summary.json").read_text()) for r in "ab")
    assert b["losses"] == a["losses"] and b["steps_this_run"] == 1
    assert b["cut_captions"] == a["cut_captions"] > 0 and b["cut_caption_pairs"] == a["cut_caption_pairs"] > 0
