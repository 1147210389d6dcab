"""``rsvlm chat`` as a demanding analyst uses it: task tags as typed, questions at the context's
edge, unreadable or refused image paths, pairs, 8-bit models, odd lines and options."""

from pathlib import Path

import pytest
from conftest import Terminal
from test_chat_history import tiny_ckpt_with_context
from test_predict_edges import chat_repl

REPO = Path(__file__).resolve().parents[1]


def last_question(repl) -> str:
    return [m["content"] for m in repl.session.messages if m["role"] == "user"][-1]


def test_a_task_tag_is_read_in_any_case_and_an_unknown_one_is_refused(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[DET]Detect every ship.")  # was asked as the text "[DET]": a free-chat answer
    assert last_question(repl).endswith("\n[det] Detect every ship.")
    assert repl.handle("[Change] what changed?")  # was asked about one image: a made-up change
    assert "[change] compares two images" in out.getvalue()
    assert repl.handle("[detect] ships")
    assert "error: unknown task tag [detect]: did you mean [det]? The tags are [cls] [vqa]" in out.getvalue()
    assert len(repl.session.stats) == 1  # neither was asked
    assert repl.handle("[1] is the free-chat question it looks like")
    assert last_question(repl) == "[1] is the free-chat question it looks like"


@pytest.fixture(scope="module")
def ctx_ckpt(tmp_path_factory):
    """The tiny checkpoint with a 192-token context: a few hundred characters of question fill it."""
    return tiny_ckpt_with_context(tmp_path_factory, 192)


def first_prompt_len(repl, question: str) -> int:
    """Tokens of ``question`` asked first about the loaded image, as ChatSession sends it."""
    from rsvlm import inference as inf
    from rsvlm.data.conversation import system_messages

    s = repl.session
    text = inf.user_text(question, repl.images, True, s.processor.prompt)
    full = s.processor.chat_prompt(system_messages(s.system) + [{"role": "user", "content": text}],
                                   add_generation_prompt=True)
    pixels = [s.processor.prepare_image(inf.model_input(im)) for im in repl.images]
    return len(s.processor.encode(full, pixels, add_special_tokens=True))


def test_an_answer_stops_at_the_end_of_the_context_with_a_note_not_a_python_warning(ctx_ckpt, geotiff):
    import warnings

    repl, out = chat_repl(ctx_ckpt)
    repl.session.gen["max_new_tokens"] = 20
    repl.load_image([str(geotiff), "optical"])
    question = "[vqa] is there " + "a" * 200
    question = question[: len(question) - (first_prompt_len(repl, question) - 189)]  # 3 tokens of room
    assert first_prompt_len(repl, question) == 189
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was a UserWarning naming torch's _contextlib.py, mid-answer
        assert repl.handle(question)
    stats = repl.session.stats[-1]
    assert stats["at_context"] and stats["new_tokens"] <= 3 and stats["cache_len"] <= 192
    said = out.getvalue()
    assert "note: the answer stopped at the end of the LLM's context (192 tokens); a shorter question" in said
    assert "token limit" not in said  # --max-new-tokens was not what stopped it


def test_a_question_too_long_says_what_helps_and_reset_only_where_it_would(ctx_ckpt, geotiff):
    repl, out = chat_repl(ctx_ckpt)
    repl.session.history = None  # every earlier exchange shown
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[vqa] " + "a" * 300)
    said = out.getvalue()
    assert "leaving no room for an answer; shorten the question" in said and "/reset" not in said  # a reset is no help
    assert not repl.session.stats
    assert repl.handle("[cls] scene?")
    fits_alone = "[vqa] is there " + "a" * 200
    fits_alone = fits_alone[: len(fits_alone) - (first_prompt_len(repl, fits_alone) - 185)]
    assert repl.handle(fits_alone)  # fits alone, not after the first exchange, which holds the image
    assert "leaving no room for an answer; reset the session to start a new one (/reset)" in out.getvalue()
    assert len(repl.session.stats) == 1


def test_an_image_chat_cannot_take_is_one_stderr_line_and_the_model_is_not_loaded_first(ckpt, tmp_path, monkeypatch,
                                                                                     capsys):
    import numpy as np
    import tifffile
    from PIL import Image

    from rsvlm import inference as inf
    from rsvlm.cli import main

    good = tmp_path / "scene.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:300])
    load = inf.load_model
    monkeypatch.setattr(inf, "load_model", lambda *a, **k: pytest.fail("the model was loaded before the images"))
    assert main(["chat", "--image", str(good), "--image", str(cut)]) == 2
    said = capsys.readouterr()  # was "error: …" on stdout, after the model had loaded
    assert f"rsvlm chat: {cut}: cannot decode image" in said.err and said.out == ""
    monkeypatch.setattr(inf, "load_model", load)
    vv = tmp_path / "vv.tif"  # one polarisation; the tiny model wants VV and VH
    tifffile.imwrite(vv, np.random.default_rng(1).random((32, 32), dtype=np.float32))
    assert main(["chat", "--model", str(ckpt), "--image", str(vv), "--modality", "sar", "--bands", "VV",
                 "--missing-bands", "error"]) == 2
    said = capsys.readouterr()
    assert "rsvlm chat: " in said.err and "missing ['VH']" in said.err and "error:" not in said.out


def chat_main(argv: list[str], lines: list, monkeypatch) -> int:
    """``rsvlm chat`` with ``lines`` typed at its prompt (an exception among them, a KeyboardInterrupt too, raised
    by input()), then Ctrl-D."""
    from rsvlm.cli import main

    typed = iter(lines)

    def typing(prompt=""):
        line = next(typed, EOFError())
        if isinstance(line, BaseException):
            raise line
        return line

    monkeypatch.setattr("builtins.input", typing)
    return main(["chat", *argv])


def test_an_8bit_chat_answers_without_a_log_line_per_layer_and_token(ckpt, geotiff, monkeypatch, capsys, caplog):
    pytest.importorskip("bitsandbytes")
    assert chat_main(["--model", str(ckpt), "--load-8bit", "--device", "cpu", "--image", str(geotiff),
                      "--max-new-tokens", "3"], ["[cls] What scene?"], monkeypatch) == 0
    said = capsys.readouterr()
    logged = [r.getMessage() for r in caplog.records]
    assert not [m for m in logged if "MatMul8bitLt" in m]  # was one line per layer per token, inside the answer
    assert "loaded scene.tif" in said.out


def test_an_image_placeholder_typed_in_a_question_is_refused(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[cls] What is <image>?")  # took the image's place: the image spliced mid-question
    assert "error: <image> is where an image goes in the prompt" in out.getvalue()
    assert not repl.session.stats and repl.unsent  # not asked; the image still goes with the first question
    assert repl.handle("[cls] What is this?")
    assert repl.session.messages[-2]["content"].count("<image>") == 1


def test_a_change_question_about_one_image_says_how_to_make_the_pair_from_where_the_chat_is(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[change] what changed?")
    assert "load the after image with /image (scene.tif is the before one)" in out.getvalue()
    assert repl.handle("[cls] scene?") and repl.handle("[change] what changed?")
    # "load the second with /image" was wrong here: after a question /image starts anew on that image alone
    assert "/image BEFORE then /image AFTER start a conversation on a pair (this one asked about scene.tif" \
        in out.getvalue()
    for _ in range(2):
        assert repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[change] what changed?") and len(repl.session.stats) == 1 and len(repl.images) == 2


def test_a_line_that_is_no_utf8_is_an_error_not_a_traceback(ckpt, geotiff, monkeypatch, capsys):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[cls] caf\udce9?")  # a Latin-1 "é" through stdin's surrogateescape: a TypeError ended the chat
    assert "error: the question is not UTF-8 text (byte 0xe9 at byte 9): set the terminal to UTF-8" in out.getvalue()
    assert not repl.session.stats
    strict = UnicodeDecodeError("utf-8", b"caf\xe9", 3, 4, "invalid continuation byte")
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"],
                     [strict, "[cls] scene?"], monkeypatch) == 1  # piped, a line failed: said, status 1
    said = capsys.readouterr().out
    # the error's bytes read again (a replaced input() keeps stdin strict): the line is refused by itself
    assert "error: the question is not UTF-8 text (byte 0xe9 at byte 3): set the terminal to UTF-8" in said


def test_the_views_asked_after_the_streamed_answer_show_progress_on_a_terminal(ckpt, geotiff):
    import io

    from rsvlm import inference as inf
    from rsvlm.chat import ChatREPL
    from rsvlm.tta import MODES, FuseConfig


    model, processor = inf.load_model(str(ckpt), "cpu")
    for out in (Terminal(), io.StringIO()):
        repl = ChatREPL(model, processor, out=out, max_new_tokens=2, tta=FuseConfig(views=MODES["flip"]))
        repl.load_image([str(geotiff), "optical"])
        assert repl.handle("[count] How many ships?")  # a short answer: fused over the 3 other views
        said = out.getvalue()
        if isinstance(out, Terminal):  # was silent until the fused answer, minutes with a large model
            assert "  (asking view 1 of 3…)\r\x1b[K  (asking view 2 of 3…)\r\x1b[K  (asking view 3 of 3…)\r\x1b[K" \
                in said
        else:  # a pipe or a file gets no line it would have to erase
            assert "asking view" not in said and "\x1b" not in said


def test_a_task_other_than_change_about_a_pair_is_noted(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    for _ in range(2):
        repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[det] Detect every ship.")  # predict warns of this; chat said nothing
    assert "note: [det] about the pair: the model saw pairs for [change] only; shapes are read in scene.tif's" \
        in out.getvalue()
    assert repl.handle("[change] What changed?") and repl.handle("what changed?")
    assert out.getvalue().count("about the pair") == 1


def test_chat_help_names_the_commands_inside_the_chat_and_the_answer_limit():
    from rsvlm.cli import build_parser

    chat = build_parser()._subparsers._group_actions[0].choices["chat"]
    text = " ".join(chat.format_help().split())  # was the options alone: nothing said how to load an image in it
    for said in ("/image PATH [modality] [bands]", "/vis out.png", "/geojson out.geojson", "/quit (or Ctrl-D)",
                 "[det] [ground]", "--max-new-tokens N longest answer in tokens (default 256)"):
        assert said in text


def test_min_objects_with_free_decoding_is_refused_not_ignored(monkeypatch, capsys):
    from rsvlm import inference as inf

    monkeypatch.setattr(inf, "load_model", lambda *a, **k: pytest.fail("refused only after the model loaded"))
    assert chat_main(["--free-decoding", "--min-objects", "5"], [], monkeypatch) == 2
    assert "rsvlm chat: --min-objects works through the geometry grammar, which --free-decoding turns off" \
        in capsys.readouterr().err


def test_a_write_command_with_a_path_of_several_words_is_refused(ckpt, geotiff, tmp_path, monkeypatch):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    repl.last = {"question": "[det] ships", "objects": [{"kind": "box", "label": "ship", "coords": [1, 2, 9, 8]}],
                 "problems": []}
    monkeypatch.chdir(tmp_path)
    assert repl.handle("/geojson my ships.geojson")  # wrote a file named "my"
    assert "error: /geojson takes one path, got 2 words ['my', 'ships.geojson']" in out.getvalue()
    assert repl.handle('/geojson "my ships.geojson"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my ships.geojson"]


def test_sampling_at_a_tiny_temperature_is_greedy_not_a_crash():
    import torch

    from rsvlm.model.generation import GenerationConfig, sample_next

    logits = torch.tensor([[5.0, 1.0, -2.0, float("-inf")], [0.5, 3.0, 3.0 - 1e-3, 0.0]])  # (2,4)
    for t in (1e-40, 1e-300, 5e-324):  # a RuntimeError (NaN probabilities) that ended the chat
        ids = sample_next(logits, GenerationConfig(do_sample=True, temperature=t), torch.Generator().manual_seed(0))
        assert ids.tolist() == [0, 1]
    hot = sample_next(logits.repeat(200, 1), GenerationConfig(do_sample=True, temperature=1e6),
                      torch.Generator().manual_seed(0))  # (400,) ~uniform over the tokens allowed
    assert set(hot[::2].tolist()) == {0, 1, 2} and set(hot[1::2].tolist()) == {0, 1, 2, 3}


def test_an_infinite_temperature_is_a_usage_error(capsys):
    from rsvlm.cli import build_parser

    with pytest.raises(SystemExit):  # a ValueError traceback, once the model had loaded
        build_parser().parse_args(["chat", "--temperature", "inf"])
    assert "argument --temperature: expected a finite number, got inf" in capsys.readouterr().err
    assert build_parser().parse_args(["chat", "--temperature", "0.7"]).temperature == 0.7


def test_a_second_image_loaded_before_asking_says_it_makes_a_pair(ckpt, geotiff, tmp_path):
    import shutil

    later = tmp_path / "later.tif"
    shutil.copy(geotiff, later)
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert "a pair" not in out.getvalue()
    repl.load_image([str(later), "optical"])  # was silent: meant as "look at this one instead", it made a pair
    assert "(a pair: scene.tif before, later.tif after, both sent with the next question; a third /image starts anew)" \
        in out.getvalue()


def test_an_image_path_the_system_refuses_is_an_error_line_not_the_end(ckpt, tmp_path, monkeypatch, capsys):
    long = tmp_path / ("a" * 300 + ".tif")  # past the file system's 255-byte names: an OSError, not "not found"
    repl, out = chat_repl(ckpt)
    assert repl.handle(f"/image {long}")  # the OSError ended the chat with a traceback
    assert "File name too long" in out.getvalue().split("error: ", 1)[1]
    assert repl.handle("/help") and "/geojson" in out.getvalue()  # the chat goes on
    assert chat_main(["--image", str(long)], [], monkeypatch) == 2
    assert "File name too long" in capsys.readouterr().err.split("rsvlm chat: ", 1)[1]
