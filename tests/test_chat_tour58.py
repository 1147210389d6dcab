"""``rsvlm chat`` toured as a demanding analyst uses it: write commands given a folder or a path under a
file, an unwritable overlay, a question past the context, and the mirror views counted only where shown."""

import re

import pytest
from conftest import Terminal
from test_predict_edges import chat_repl


def repl_with_answer(ckpt, geotiff):
    """A chat on the tiny checkpoint about ``geotiff`` whose last answer holds one box."""
    from rsvlm import geometry
    from rsvlm import inference as inf

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    answer = geometry.encode([{"kind": "box", "label": "ship", "coords": [8.0, 8.0, 40.0, 30.0]}], 96, 64)
    repl.last = {"question": "[det] ships", **inf.locate(answer, repl.images[-1])}
    return repl, out


def test_a_write_command_given_a_folder_says_so_and_names_a_file_in_it(ckpt, geotiff, tmp_path):
    repl, out = repl_with_answer(ckpt, geotiff)
    assert repl.handle(f"/vis {tmp_path}") and repl.handle(f"/geojson {tmp_path}")
    said = out.getvalue()  # was "unknown image extension '(none)'" and "[Errno 21] Is a directory"
    assert f"error: /vis {tmp_path}: a folder; give a file name, e.g. {tmp_path / 'overlay.png'}" in said
    assert f"error: /geojson {tmp_path}: a folder; give a file name, e.g. {tmp_path / 'answer.geojson'}" in said
    assert "extension" not in said and "Errno" not in said and not list(tmp_path.iterdir())


def test_a_write_command_under_a_file_or_refused_by_the_system_says_why_once(ckpt, geotiff, tmp_path, monkeypatch):
    import rsvlm.io

    repl, out = repl_with_answer(ckpt, geotiff)
    (tmp_path / "notes.txt").write_text("x")
    for cmd in ("/vis", "/geojson"):  # was "[Errno 17] File exists: '…/notes.txt'"
        assert repl.handle(f"{cmd} {tmp_path / 'notes.txt' / 'sub' / 'out.png'}")
        assert f"error: {cmd} {tmp_path / 'notes.txt' / 'sub' / 'out.png'}: {tmp_path / 'notes.txt'} is a file, " \
               "not a folder; give a path in a folder\n" in out.getvalue()

    def refused(img, objects, path, **kw):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(rsvlm.io, "draw_overlay", refused)
    png = tmp_path / "overlay.png"
    assert repl.handle(f"/vis {png}")  # was "error: /vis P: [Errno 13] Permission denied: 'P'", the path twice
    assert out.getvalue().endswith(f"error: /vis {png}: Permission denied\n")


@pytest.fixture(scope="module")
def ctx_ckpt(tmp_path_factory):
    """The tiny checkpoint with a 192-token context: a few hundred characters of question fill it."""
    from test_chat_history import tiny_ckpt_with_context

    return tiny_ckpt_with_context(tmp_path_factory, 192)


def test_a_question_past_the_context_counts_its_own_tokens_and_follows_the_prompt(ctx_ckpt, geotiff):
    repl, out = chat_repl(ctx_ckpt)
    repl.load_image([str(geotiff), "optical"])
    question = "[vqa]" + " is there a ship" * 20
    words = len(repl.session.model.tokenizer(question, add_special_tokens=False).input_ids)
    for _ in range(2):  # the first question, then again with the image still unsent
        out.seek(0), out.truncate()
        assert repl.handle(question)
        said = out.getvalue()  # was the question's tokens and its image placeholders' ("<image>", "optical …")
        assert said.startswith("error: the conversation is ") and said.endswith(
            f"leaving no room for an answer; shorten the question ({words} tokens)\n")  # was "\nerror: …": a
        # line left empty after the prompt, as if an empty question had been asked
    assert not repl.session.stats and repl.unsent
    assert repl.handle("[cls] scene?") and repl.session.stats[-1]["images_encoded"] == 1


def test_the_views_are_counted_only_where_the_count_is_shown_and_the_answer_is_the_same(ckpt, geotiff,
                                                                                         monkeypatch):
    import io

    from rsvlm import inference as inf
    from rsvlm import tta
    from rsvlm.chat import ChatREPL


    plain_views, decoded = tta._plain_views, []
    monkeypatch.setattr(tta, "_plain_views", lambda *a: decoded.append(1) or plain_views(*a))
    model, processor = inf.load_model(str(ckpt), "cpu")
    said = {}
    for out in (io.StringIO(), Terminal()):
        decoded.clear()
        repl = ChatREPL(model, processor, out=out, max_new_tokens=2, tta=tta.FuseConfig(views=tta.MODES["flip"]))
        repl.load_image([str(geotiff), "optical"])
        assert repl.handle("[count] How many ships?")  # short text: asked on the 3 other views and voted
        said[type(out).__name__] = out.getvalue(), len(decoded), repl.last
    (pipe, pipe_decodes, pipe_last), (term, term_decodes, term_last) = said["StringIO"], said["Terminal"]
    assert pipe_decodes == 1  # was 2: the plain answer decoded to count the views too, though no count is shown
    assert term_decodes == 1 and "  (asking view 3 of 3…)" in term  # was 2: decoded again to count the views
    assert re.sub(r"  \(asking view \d of 3…\)\r\x1b\[K", "", term) == pipe and pipe_last == term_last


def test_a_task_tag_alone_asks_the_tasks_standard_question_and_says_it(ckpt, geotiff):
    from rsvlm.inference import DEFAULT_PROMPTS

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    for typed, task in (("[count]", "count"), ("[VQA]  ", "vqa")):  # the shipped model answered "[count]" with a box
        assert repl.handle(typed)
        asked = [m["content"] for m in repl.session.messages if m["role"] == "user"][-1]
        assert asked.endswith("\n" + DEFAULT_PROMPTS[task]) or asked == DEFAULT_PROMPTS[task]
        assert f"note: a tag alone asks the task's standard question: {DEFAULT_PROMPTS[task]}\n" in out.getvalue()
    assert repl.handle("[count] ships?") and out.getvalue().count("a tag alone") == 2


def test_commands_are_read_in_any_case_and_words_they_would_ignore_are_refused(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    assert repl.handle(f"/IMAGE {geotiff} optical")  # was "unknown command /IMAGE", though [DET] is read as [det]
    assert "loaded scene.tif" in out.getvalue()
    assert repl.handle("[cls] scene?") and repl.handle("/reset the pair")  # was a reset, the words ignored unsaid
    assert "error: /reset takes nothing after it, got the pair\n" in out.getvalue()
    assert repl.session.asked == 1 and repl.handle("/Quit now")  # not a quit either
    assert not repl.handle("/Quit")


def test_a_command_whose_quotes_do_not_close_says_which_and_how_to_quote(ckpt):
    repl, out = chat_repl(ckpt)
    for line in ('/vis "my ships.png', "/image it's.png", '/"vis'):
        assert repl.handle(line)  # was "error: No closing quotation", naming neither the command nor the fix
    said = out.getvalue()
    assert 'error: /vis: cannot read "my ships.png as words (no closing quotation): put a path holding a quote' in said
    assert "error: /image: cannot read it's.png as words" in said and "(\"it's.png\"" in said
    assert said.count("error: ") == 3


def test_running_out_of_memory_mid_answer_is_an_error_line_and_the_chat_goes_on_as_before(ckpt, geotiff,
                                                                                         monkeypatch):
    import torch

    import rsvlm.model.session as session

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[cls] scene?")
    s = repl.session
    before = list(s.messages), list(s.token_ids), s.cache_len
    decode = session.decode

    def failing(*a, on_step=None, **k):
        def step(*sa, **sk):
            if step.n == 2:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore")
            step.n += 1
            return on_step(*sa, **sk)

        step.n = 0
        return decode(*a, on_step=step, **k)

    monkeypatch.setattr(session, "decode", failing)
    assert repl.handle("[vqa] is there a ship?")  # was a traceback that ended the chat and lost the conversation
    assert "error: out of memory (CUDA out of memory. Tried to allocate 2.00 GiB); the conversation is as it was" \
        in out.getvalue()
    assert (s.messages, s.token_ids) == before[:2] and s.cache.get_seq_length() == s.cache_len <= before[2]
    monkeypatch.setattr(session, "decode", decode)
    again = repl.ask("[vqa] is there a ship?")
    fresh, _ = chat_repl(ckpt)
    fresh.load_image([str(geotiff), "optical"])
    assert fresh.ask("[cls] scene?") == s.messages[-3]["content"] and fresh.ask("[vqa] is there a ship?") == again


def test_running_out_of_memory_over_the_mirror_views_keeps_the_streamed_answer(ckpt, geotiff, monkeypatch):
    import torch

    import rsvlm.answering as answering
    from rsvlm.tta import MODES, FuseConfig

    repl, out = chat_repl(ckpt)
    repl.tta = FuseConfig(views=MODES["flip"])
    repl.load_image([str(geotiff), "optical"])

    def full(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")

    monkeypatch.setattr(answering, "_generate", full)
    answer = repl.ask("[count] How many ships?")  # a short answer: the views are asked after it
    assert answer and repl.last["question"] == "[count] How many ships?"  # was a traceback ending the chat
    assert "note: out of memory (CUDA out of memory. Tried to allocate 1.00 GiB) asking again (by class or view): " \
           "the answer streamed above stands" in out.getvalue()


def test_a_class_question_past_the_context_is_a_note_and_the_streamed_answer_stands(tmp_path, geotiff):
    import io

    import torch
    from test_chat_history import REPO

    from rsvlm import inference as inf
    from rsvlm.chat import ChatREPL
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)  # a 192-token context, and a class whose question is too long for it
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", [
        "llm.config.max_position_embeddings=192", "prompt.det_classes=[ship, " + "very long class name " * 3 + "]"]))
    model.save_pretrained(tmp_path)
    model, processor = inf.load_model(str(tmp_path), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=3, by_class=True)
    repl.load_image([str(geotiff), "optical"])
    answer = repl.ask("[det] Detect all.")  # was a PromptsRefused traceback that ended the chat
    assert re.search(r"note: the class questions could not be asked \(the prompt is \d+ tokens \(16 of them for "
                     r"images\) but the LLM's context is 192 tokens.*\); the answer streamed above stands", out.getvalue())
    assert answer == repl.session.messages[-1]["content"] and repl.last["question"] == "[det] Detect all."


def test_a_misspelt_modality_is_named_as_one_not_read_as_a_band_name(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    for word in ("optcal", "Optic"):  # was "1 band names ['optcal'] given; the image has 3 band(s) as optical"
        assert not repl.load_image([str(geotiff), word])
        assert f"error: /image: unknown modality {word!r} (did you mean optical?): the modalities are optical" \
            in out.getvalue()
    assert not repl.load_image([str(geotiff), "NIR"])  # a band name still: the image has 3 bands
    assert out.getvalue().count("unknown modality") == 2 and "1 band name ['NIR'] given" in out.getvalue()
    assert repl.load_image([str(geotiff), "OPTICAL"]) and repl.images[0].modality == "optical"


def test_a_region_question_naming_no_region_is_refused_as_predict_refuses_it(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    for typed in ("[regcap] what is this?", "[regcap]"):  # was asked: the shipped model drew a box of its own
        assert repl.handle(typed)
    said = out.getvalue()
    assert said.count("error: [regcap] asks about a region, and this question names none: write its box in it, "
                      "<box><loc_X1><loc_Y1><loc_X2><loc_Y2></box>") == 2 and "standard question" not in said
    assert not repl.session.stats and repl.handle("[regcap] What is in <box><loc_1><loc_2><loc_300><loc_400></box>?")
    assert len(repl.session.stats) == 1


def test_vis_to_a_format_pil_only_reads_is_refused_and_the_chat_goes_on(ckpt, geotiff, tmp_path):
    """``/vis o.psd``: PIL reads PSD but has no writer, and its KeyError ('PSD') was not caught (only
    OSError and ValueError were): a traceback ended the chat."""
    repl, out = repl_with_answer(ckpt, geotiff)
    assert repl.handle(f"/vis {tmp_path / 'o.psd'}")
    assert out.getvalue().endswith(f"\nerror: /vis {tmp_path / 'o.psd'}: .psd is PSD, which PIL reads but cannot "
                                   "write\n")
    assert not list(tmp_path.iterdir())
    assert repl.handle(f"/vis {tmp_path / 'o.png'}") and (tmp_path / "o.png").exists()  # the session goes on


def test_the_repl_holds_its_slash_commands_and_they_act_on_its_state(ckpt, geotiff):
    """ChatREPL inherited the commands (``ChatREPL(Commands)``), their state read through a base class
    that had none; it now holds a ``Commands`` of itself, and ``load_image`` still works on it."""
    from rsvlm.chat_commands import Commands

    repl, out = repl_with_answer(ckpt, geotiff)
    assert not isinstance(repl, Commands) and repl.commands.repl is repl
    assert repl.handle("/reset") and repl.last is None and repl.unsent == repl.images  # the REPL's own state
    assert "(conversation reset)" in out.getvalue()
