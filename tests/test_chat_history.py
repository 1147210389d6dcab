"""Chat and predict at the LLM's context limit, chat history, and a --model folder that is no checkpoint."""

import re
from pathlib import Path

import pytest
from test_predict_edges import chat_repl, predict_det

REPO = Path(__file__).resolve().parents[1]


def tiny_ckpt_with_context(tmp_path_factory, n_positions: int):
    """The tiny checkpoint (seed 0) with an LLM context of ``n_positions`` tokens, saved once per module."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                                        [f"llm.config.max_position_embeddings={n_positions}"]))
    out = tmp_path_factory.mktemp(f"ctx{n_positions}")
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def short_ckpt(tmp_path_factory):
    """The tiny checkpoint with a 128-token context: the system prompt alone nearly fills it."""
    return tiny_ckpt_with_context(tmp_path_factory, 128)


def test_a_prompt_past_the_context_is_one_line_in_chat_and_predict(short_ckpt, geotiff, capsys):
    repl, out = chat_repl(short_ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[det] ships")  # was a traceback that ended the chat
    said = out.getvalue()
    assert re.search(r"error: .*context is 128 tokens.*the images and the system prompt alone fill it", said)
    assert "/reset" not in said  # a new conversation would not fit either
    assert repl.session.stats == [] and repl.handle("/reset")  # the session goes on
    for tiles in ([], ["--tile", "32"]):  # a tiled run was a traceback
        assert predict_det(short_ckpt, geotiff, *tiles) == 2
        err = capsys.readouterr().err
        assert re.search(r"rsvlm predict: .*context is 128 tokens", err) and "Traceback" not in err


def test_chat_history_leaves_the_oldest_exchanges_out_and_says_so_once(ckpt, geotiff):
    import io

    from rsvlm import inference as inf
    from rsvlm.chat import ChatREPL
    from rsvlm.cli import build_parser

    assert build_parser().parse_args(["chat", "--history", "1"]).history == 1
    assert build_parser().parse_args(["chat", "--history", "all"]).history == "all"
    for bad in ("-1", "some"):  # a usage error
        with pytest.raises(SystemExit):
            build_parser().parse_args(["chat", "--history", bad])
    model, processor = inf.load_model(str(ckpt), "cpu")
    for history, said_once, dropped in (
            (2, "the model is shown the exchange that brought the image and the last one after it with each question "
                "from here on", [0, 0, 0, 1, 1]),
            (1, "the model is shown the exchange that brought the image alone with each question", [0, 0, 1, 1, 1]),
            (0, "each question is asked afresh about the image", [0, 1, 1, 1, 1])):
        out = io.StringIO()
        repl = ChatREPL(model, processor, out=out, max_new_tokens=2, history=history)
        repl.load_image([str(geotiff), "optical"])
        for q in ("[cls] scene?", "[vqa] a?", "[vqa] b?", "[vqa] c?", "[vqa] d?"):
            assert repl.handle(q)
        assert out.getvalue().count(said_once) == 1
        assert [s["dropped_turns"] for s in repl.session.stats] == dropped


def test_a_folder_whose_config_is_no_model_config_is_named_as_not_a_checkpoint(geotiff, tmp_path, capsys):
    (tmp_path / "config.yaml").write_text("seed: 3\nscenes: 10\n")  # a data_gen output folder
    assert predict_det(tmp_path, geotiff) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: not an rsvlm checkpoint (its config.yaml is no model config: unknown keys scenes" in err
