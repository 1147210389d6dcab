"""Model internals and the chat session, second tour: a model with a system prompt in chat,
quantised loading of odd-sized layers, checkpointing, the grammar near the token limit,
converting a damaged LLaVA folder."""

import io
from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "model" / "tiny.yaml"


@pytest.fixture(scope="module")
def png(tmp_path_factory):
    from PIL import Image

    d = tmp_path_factory.mktemp("img")
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        Image.fromarray((rng.random((32, 32, 3)) * 255).astype("uint8")).save(d / name)
    return d


@pytest.mark.parametrize("system", ["", "Answer briefly."])
def test_chat_sends_the_image_to_a_model_with_a_system_message(png, system):
    """prompt.system ("" saves the template's default) puts a system message in the session from
    the start; chat took that for an earlier question, so the image was never sent and the first
    /image said the conversation was reset."""
    from rsvlm.chat import ChatREPL

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, ["trainable.llm=frozen", f"prompt.system={system}"]))
    out = io.StringIO()
    repl = ChatREPL(model, proc, out=out, max_new_tokens=3)
    assert repl.load_image([str(png / "a.png")])
    assert "reset" not in out.getvalue()
    repl.handle("[cls] What scene?")
    assert repl.session.stats[-1]["images_encoded"] == 1
    assert repl.session.messages[0]["role"] == "system"
    assert repl.load_image([str(png / "b.png")])  # after a question: a new conversation on the new image
    assert "(new image: conversation reset)" in out.getvalue()
    repl.handle("[cls] And this one?")
    assert repl.session.stats[-1]["images_encoded"] == 1 and repl.session.asked == 1
