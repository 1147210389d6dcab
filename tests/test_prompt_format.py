"""The prompt format is the model's: saved with it, and chat, predict and eval prompt as training did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train_utils import make_records

from rsvlm.config import ConfigError, load_config
from rsvlm.data.conversation import (
    PromptConfig,
    annotate_images,
    image_turn,
    images_last,
    record_messages,
    write_images,
)

REPO = Path(__file__).resolve().parents[1]


def test_modality_word_before_and_after_the_image():
    text = "<image>\n<image>\n[change] What changed?"
    assert annotate_images(text, ["sar", "ir"]) == "SAR image: <image>\ninfrared image: <image>\n[change] What changed?"
    assert annotate_images(text, ["sar", "ir"], after=True) == (
        "SAR image: <image> (SAR)\ninfrared image: <image> (infrared)\n[change] What changed?")
    with pytest.raises(ValueError, match="2 <image> placeholder"):
        annotate_images(text, ["sar"])


def test_images_last_moves_every_placeholder_after_the_words_in_order():
    text = "<image>\n<image>\n[change] What changed?"
    assert images_last(text) == "[change] What changed?\n<image>\n<image>"
    assert images_last("[cls] <image> What scene?") == "[cls] What scene?\n<image>"
    assert images_last("A <image><image> B") == "A B\n<image>\n<image>"
    assert images_last("Where?\n<image>\nmore") == "Where?\nmore\n<image>"
    assert images_last("<image>") == "<image>" and images_last("no image") == "no image"
    last = PromptConfig(image_last=True)
    assert write_images(text, ["sar", "ir"], last) == (
        "[change] What changed?\nSAR image: <image>\ninfrared image: <image>")
    assert write_images(text, ["sar", "ir"], PromptConfig(image_last=True, annotate_modality=False)) == (
        "[change] What changed?\n<image>\n<image>")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny model trained (as far as its config goes) with a non-default prompt format, saved and reloaded."""
    import torch

    from rsvlm.inference import load_model
    from rsvlm.model import VLMConfig, create_model

    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                      ["prompt.modality_after=true", "prompt.system=Answer briefly.", "prompt.answer_lead=' '"])
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    out = tmp_path_factory.mktemp("ckpt")
    model.save_pretrained(out)
    return load_model(str(out), device="cpu")


def test_saved_model_keeps_its_prompt_format(saved):
    _, processor = saved
    assert processor.prompt == PromptConfig(annotate_modality=True, modality_after=True, system="Answer briefly.",
                                            answer_lead=" ")
    assert processor.template["answer_lead"] == " "


def training_and_eval_prompts(processor, path: Path):
    """Per record of ``path``: (record, training sample, index of its first label, the prompt text
    `rsvlm eval` writes, the ids eval feeds)."""
    from rsvlm.data.records import ReadReport
    from rsvlm.evaluate import prompt_of
    from rsvlm.inference import record_inputs
    from rsvlm.train import data as D

    index = D.build_index(path, processor.tokenizer, dict(processor.n_tokens), ReadReport(str(path)))
    ds = D.SFTDataset(index, path.parent, processor, processor.prompt, 1024)
    for i, rec in enumerate(json.loads(x) for x in path.read_text().splitlines()):
        sample = ds[i]
        first = next(k for k, t in enumerate(sample["labels"]) if t != -100)
        text = processor.chat_prompt(prompt_of(rec, processor.prompt), add_generation_prompt=True)
        yield rec, sample, first, text, processor([text], [record_inputs(rec, path.parent)])["input_ids"][0].tolist()


def test_eval_prompt_is_the_training_sample_up_to_the_answer(saved, tmp_path):
    """Token for token: what `rsvlm eval` feeds is what training put before the answer's labels."""
    _, processor = saved
    path = make_records(tmp_path, n=4, ir_every=2)
    for rec, sample, first, text, ids in training_and_eval_prompts(processor, path):
        assert ids == sample["input_ids"][:first], rec["id"]
        answer = rec["conversations"][1]["value"]
        assert processor.tokenizer.decode(sample["input_ids"][first:]).startswith(" " + answer), rec["id"]  # the lead, trained
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
    last = PromptConfig(image_last=True)
    assert image_turn("[vqa] Is there a ship?", ["sar"], last) == "[vqa] Is there a ship?\nSAR image: <image>"
    assert image_turn("Compare <image> with <image>", ["sar", "ir"], last) == "Compare <image> with <image>"  # kept as written
    assert image_turn("No image here", [], last) == "No image here"


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


def test_images_after_the_question_in_training_eval_and_chat(tmp_path):
    """``prompt.image_last``: the training sample's visual tokens come after the question's words,
    eval feeds the same ids up to the answer, and a chat's second turn reuses the cached image."""
    import numpy as np
    import torch

    from rsvlm.inference import load_model
    from rsvlm.model import ChatSession, ImageInput, VLMConfig, create_model

    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml", ["prompt.image_last=true"])
    torch.manual_seed(0)
    create_model(cfg)[0].save_pretrained(tmp_path / "ckpt")
    model, processor = load_model(str(tmp_path / "ckpt"), device="cpu")
    assert processor.prompt.image_last
    path = make_records(tmp_path, n=2)
    image_id = model.special.image
    for rec, sample, first, _, fed in training_and_eval_prompts(processor, path):
        question = rec["conversations"][0]["value"].replace("<image>", "").strip()
        ids = sample["input_ids"]
        before = processor.tokenizer.decode(ids[:ids.index(image_id)])
        assert question in before and image_id not in ids[first:], rec["id"]  # the question, then the image
        assert fed == ids[:first], rec["id"]
    chat = ChatSession(model, processor, max_new_tokens=2)
    chat.ask("[cls] What scene is this?", images=[ImageInput(np.zeros((3, 32, 32), np.float32), "optical")])
    assert chat.messages[-2]["content"] == "[cls] What scene is this?\noptical image: <image>"
    chat.ask("[count] How many ships?")
    assert chat.stats[1]["images_encoded"] == 0 and chat.stats[1]["reused"] > 0


def test_empty_system_prompt_means_none_in_training_eval_and_chat(tmp_path):
    """``prompt.system: ""`` drops the system turn (None keeps the template's default): training,
    `rsvlm eval` and `rsvlm chat` all start at the user turn, token for token alike."""
    import numpy as np
    import torch

    from rsvlm.inference import load_model
    from rsvlm.model import ChatSession, ImageInput, VLMConfig, create_model
    from rsvlm.model.templates import TEMPLATES

    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml", ["prompt.system=''"])
    assert cfg.prompt.system == ""
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    model.save_pretrained(tmp_path / "ckpt")
    model, processor = load_model(str(tmp_path / "ckpt"), device="cpu")
    assert processor.prompt.system == ""
    default = TEMPLATES["rsvlm"]["system"]
    path = make_records(tmp_path, n=2, ir_every=2)
    for rec, sample, first, text, ids in training_and_eval_prompts(processor, path):
        assert ids == sample["input_ids"][:first], rec["id"]
        assert text.startswith(TEMPLATES["rsvlm"]["user_prefix"]) and default not in text
    with_default = processor.chat_prompt(record_messages(rec, PromptConfig()), add_generation_prompt=False)
    assert with_default.startswith(TEMPLATES["rsvlm"]["system_prefix"] + default)
    chat = ChatSession(model, processor, max_new_tokens=2)
    chat.ask("[cls] What scene is this?", images=[ImageInput(np.zeros((3, 32, 32), np.float32), "optical")])
    said = processor.tokenizer.decode(chat.token_ids)
    assert said.lstrip().startswith(TEMPLATES["rsvlm"]["user_prefix"].strip()) and default not in said


def test_a_bad_role_is_named_by_its_index_among_the_messages_given():
    from rsvlm.model.templates import render

    msgs = [{"role": "system", "content": "S."}, {"role": "user", "content": "Q"}, {"role": "system", "content": "x"}]
    with pytest.raises(ValueError, match=r"^message 2: role must be user or assistant.*'system'"):
        render(msgs, "rsvlm")  # was "message 1": counted after the leading system was taken off
    with pytest.raises(ValueError, match=r"^message 0: "):
        render([{"role": "tool", "content": "x"}], "rsvlm")
    assert render(msgs[:2], "rsvlm").count("S.") == 1
