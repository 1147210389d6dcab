"""The prompt format is the model's: saved with it, and chat, predict and eval prompt as training did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train_utils import make_records

from rsvlm.config import ConfigError, load_config
from rsvlm.data.conversation import PromptConfig, annotate_images, record_messages

REPO = Path(__file__).resolve().parents[1]


def test_modality_word_before_and_after_the_image():
    text = "<image>\n<image>\n[change] What changed?"
    assert annotate_images(text, ["sar", "ir"]) == "SAR image: <image>\ninfrared image: <image>\n[change] What changed?"
    assert annotate_images(text, ["sar", "ir"], after=True) == (
        "SAR image: <image> (SAR)\ninfrared image: <image> (infrared)\n[change] What changed?")
    with pytest.raises(ValueError, match="2 <image> placeholder"):
        annotate_images(text, ["sar"])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny model trained (as far as its config goes) with a non-default prompt format, saved and reloaded."""
    import torch

    from rsvlm.inference import load_model
    from rsvlm.model import VLMConfig, create_model

    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                      ["prompt.modality_after=true", "prompt.system=Answer briefly."])
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    out = tmp_path_factory.mktemp("ckpt")
    model.save_pretrained(out)
    return load_model(str(out), device="cpu")


def test_saved_model_keeps_its_prompt_format(saved):
    _, processor = saved
    assert processor.prompt == PromptConfig(annotate_modality=True, modality_after=True, system="Answer briefly.")


def test_eval_prompt_is_the_training_sample_up_to_the_answer(saved, tmp_path):
    """Token for token: what `rsvlm eval` feeds is what training put before the answer's labels."""
    from rsvlm.data.records import ReadReport
    from rsvlm.evaluate import prompt_of
    from rsvlm.inference import record_inputs
    from rsvlm.train import data as D

    _, processor = saved
    path = make_records(tmp_path, n=4, ir_every=2)
    index = D.build_index(path, processor.tokenizer, dict(processor.n_tokens), ReadReport(str(path)))
    ds = D.SFTDataset(index, tmp_path, processor, processor.prompt, 1024)
    for i, rec in enumerate(json.loads(x) for x in path.read_text().splitlines()):
        sample = ds[i]
        first = next(k for k, t in enumerate(sample["labels"]) if t != -100)
        text = processor.chat_prompt(prompt_of(rec, processor.prompt), add_generation_prompt=True)
        ids = processor([text], [record_inputs(rec, tmp_path)])["input_ids"][0].tolist()
        assert ids == sample["input_ids"][:first], rec["id"]
        word = {"optical": "optical", "ir": "infrared"}[rec["images"][0]["modality"]]
        assert f"{word} image: <image> ({word})" in text and "Answer briefly." in text


def test_predict_and_chat_write_the_same_prompt(saved):
    import numpy as np

    from rsvlm import inference as inf
    from rsvlm.model import ChatSession, ImageInput

    model, processor = saved
    img = ImageInput(np.zeros((1, 32, 32), np.float32), "ir", ["TIR"])
    rec = {"images": [{"modality": "ir"}],
           "conversations": [{"from": "human", "value": "<image>\n[cls] What scene is this?"}, {"from": "gpt", "value": "x"}]}
    expected = record_messages(rec, processor.prompt)[:-1]  # system + user, as training wrote them
    predicted = [{"role": "system", "content": "Answer briefly."},
                 {"role": "user", "content": inf.user_text("[cls] What scene is this?", [img], True, processor.prompt)}]
    assert predicted == expected
    chat = ChatSession(model, processor, max_new_tokens=2)
    chat.ask("[cls] What scene is this?", images=[img])
    assert chat.messages[:2] == expected


def test_bare_placeholder_when_the_model_was_trained_without_sensor_words():
    from rsvlm import inference as inf
    from rsvlm.model import ImageInput

    img = ImageInput(None, "sar")
    assert inf.user_text("[vqa] Is there a ship?", [img], True, PromptConfig(annotate_modality=False)) == (
        "<image>\n[vqa] Is there a ship?")
    assert inf.user_text("[vqa] Is there a ship?", [img], True) == "SAR image: <image>\n[vqa] Is there a ship?"
    assert inf.user_text("[vqa] And now?", [img], False) == "[vqa] And now?"  # images come with the first turn


def test_old_data_prompt_key_names_its_new_place(tmp_path):
    from rsvlm.train.config import TrainConfig

    with pytest.raises(ConfigError, match=r"data\.prompt has moved to model\.prompt"):
        load_config(TrainConfig, None, ["data.prompt.system=Hi"])
    path = tmp_path / "old.yaml"
    path.write_text("data:\n  prompt:\n    annotate_modality: false\n")
    with pytest.raises(ConfigError, match=r"data\.prompt has moved to model\.prompt"):
        load_config(TrainConfig, path)
    cfg = load_config(TrainConfig, None, ["model.prompt.annotate_modality=false"])
    assert cfg.model.prompt.annotate_modality is False
