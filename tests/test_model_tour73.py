"""The model as a Python library, stop 73: ChatSession refusing a first question without an image (as chat does),
generate naming input_ids that are no token ids, question_problem's box advice said for chat or for Python, and
load_pretrained refusing a bad dtype name and a bad dtype object alike."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rsvlm.data.conversation import image_turn


def image():
    return np.random.default_rng(0).random((3, 32, 32), dtype=np.float32)  # (C,H,W) in [0, 1]


@pytest.mark.parametrize("question", ["[det] Detect all ships.", "What is in this image?"])
def test_a_first_question_without_an_image_is_refused_as_chat_refuses_it(tiny_vlm, question):
    """'[det] …' without an image was answered about nothing (made-up boxes); chat says 'load an image first'."""
    from rsvlm.model import ChatSession

    chat = ChatSession(*tiny_vlm, max_new_tokens=2)
    with pytest.raises(ValueError, match=r"no image to ask about: .*ask\(text, images=image\)"):
        chat.ask(question)
    assert chat.asked == 0 and chat.stats == []  # nothing asked
    assert isinstance(chat.ask(question, images=image()), str)
    assert isinstance(chat.ask("[count] How many ships?"), str)  # a later turn asks about the image given
    chat.reset()
    with pytest.raises(ValueError, match=r"no image to ask about"):  # a new conversation brings its own
        chat.ask(question)


@pytest.fixture(scope="module")
def batch(tiny_vlm):
    from rsvlm.model import ImageInput

    _, proc = tiny_vlm
    turn = image_turn("[cls] What is this?", ["optical"], proc.prompt)
    return proc(proc.chat_prompt([{"role": "user", "content": turn}]), [ImageInput(image(), "optical")])


@pytest.mark.parametrize("ids, says", [
    (["a", "b"], r"generate takes token ids, not text: input_ids=\[.a., .b.\]; make them with the processor"),
    ("hello", r"generate takes token ids, not text: input_ids='hello'; make them with the processor: batch = "
              r"processor\(text, images\).*ChatSession\(model, processor\)\.ask"),
    (None, r"generate's input_ids must be a \(B,T\) integer tensor, got None; make them with the processor"),
    (3, r"input_ids must be a \(B,T\) integer tensor, got 3;"),
    ([[1, 2, 3]], r"input_ids must be a \(B,T\) integer tensor, got \[\[1, 2, 3\]\];"),
    (torch.tensor([1, 2, 3]), r"got a tensor of dtype int64 and shape \(3,\);"),
    (torch.tensor([[1.0, 2.0]]), r"got a tensor of dtype float32 and shape \(1, 2\);"),
])
def test_generate_names_input_ids_that_are_no_token_ids(tiny_vlm, ids, says):
    """A str, None, a number or a list failed as "'str' object has no attribute 'to'", a float tensor in torch's
    embedding."""
    model, _ = tiny_vlm
    with pytest.raises(TypeError, match=says):
        model.generate(ids, max_new_tokens=2)


def test_generate_names_a_mask_or_image_lists_that_do_not_fit_the_ids(tiny_vlm, batch):
    model, _ = tiny_vlm
    ids, mask = batch["input_ids"], batch["attention_mask"]  # (1,T)
    with pytest.raises(ValueError, match=r"attention_mask has shape \(1, 3\) but input_ids \(1, \d+\)"):
        model.generate(ids, mask[:, :3], images=batch["images"], max_new_tokens=2)
    with pytest.raises(TypeError, match=r"generate's attention_mask must be a \(B,T\) tensor of 0s and 1s, got \[1\]"):
        model.generate(ids, [1], images=batch["images"], max_new_tokens=2)
    with pytest.raises(ValueError, match=r"input_ids hold 1 sequence but images 2 lists: give one list of "
                                         r"images per sequence"):
        model.generate(ids, mask, images=[[image()], [image()]], max_new_tokens=2)
    assert len(model.generate(**batch, max_new_tokens=2).text) == 1  # as the processor made them: answered


def test_the_regcap_box_advice_is_said_for_chat_or_for_python(tiny_vlm):
    """chat showed the library's hint (rsvlm.geometry.encode) to a chat user; ChatSession names it."""
    from rsvlm.inference import question_problem
    from rsvlm.model import ChatSession

    question = "[regcap] What is this region?"
    cli, py = question_problem(question), question_problem(question, python=True)
    assert cli.endswith("(0-999; type its corners in pixels, X1,Y1,X2,Y2, to be shown its box)")
    assert "rsvlm.geometry" not in cli
    assert py.endswith("(0-999; rsvlm.geometry.encode writes it from pixels)")
    with pytest.raises(ValueError, match=r"rsvlm\.geometry\.encode writes it from pixels"):
        ChatSession(*tiny_vlm, max_new_tokens=2).ask(question, images=image())


@pytest.mark.parametrize("bad", ["int4", 3, torch.int8, "float8"])
def test_a_bad_dtype_name_and_a_bad_dtype_object_are_refused_alike(ckpt, bad):
    """'int4' was a ValueError, torch.int8 and 3 a TypeError with other words: each caller's except missed one."""
    from rsvlm.loading import DtypeError
    from rsvlm.model import load_pretrained

    says = (rf"dtype={bad!r} is not a dtype rsvlm loads a model in: auto, float32, bfloat16, float16 \(or bf16, "
            r"fp16, fp32\), or a floating torch dtype \(torch\.bfloat16\)")
    for caught in (ValueError, TypeError):
        with pytest.raises(caught, match=says) as e:
            load_pretrained(ckpt, dtype=bad)
        assert e.type is DtypeError


@pytest.mark.parametrize("path", [None, 3])
def test_load_pretrained_names_a_path_that_is_no_path(path):
    """None and 3 were "expected str, bytes or os.PathLike object, not NoneType", naming no argument."""
    from rsvlm.model import RSVLM

    with pytest.raises(TypeError, match=rf"load_pretrained takes a checkpoint folder \(a str or Path\), got {path}; "
                                        r"the bundled model's is rsvlm\.loading\.bundled_model_dir\(\)"):
        RSVLM.from_pretrained(path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
@pytest.mark.parametrize("device, says", [
    ("gpu", r"device='gpu' is not a device \(did you mean cuda\?\): cpu, cuda, cuda:1, mps"),
    ("cuda", r"device='cuda': no CUDA GPU is usable here; use device='cpu'"),
    (0, r"device=0: no CUDA GPU is usable here"),
    ("xpu", r"device='xpu': rsvlm runs on cpu, cuda, cuda:N or mps, not xpu"),
])
def test_load_pretrained_names_a_device_this_machine_lacks_in_python_words(ckpt, device, says):
    """'gpu' was torch's "Expected one of cpu, cuda, ipu, xpu, … device type", cuda without a GPU "Found no NVIDIA
    driver", both from deep inside the load; the CLI's check said them for --device."""
    from rsvlm.model import load_pretrained

    with pytest.raises(ValueError, match=says):
        load_pretrained(ckpt, device=device)
    assert load_pretrained(ckpt, device=torch.device("cpu"))[0].llm.device.type == "cpu"  # a torch.device taken


@pytest.mark.parametrize("text, got", [(None, "None"), (3, "3"), (["<image>\nhi", None], "None"),
                                       ([{"role": "user", "content": "hi"}], r"\{'role': 'user'")])
def test_the_processor_names_a_prompt_that_is_no_text(tiny_vlm, text, got):
    """None and 3 were "'NoneType' object is not iterable"; messages given unrendered failed in the tokenizer."""
    _, proc = tiny_vlm
    with pytest.raises(TypeError, match=rf"the processor takes a prompt \(a str\) or a list of them, got {got}.*"
                                        r"processor\.chat_prompt\(messages\)"):
        proc(text)
