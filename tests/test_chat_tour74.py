"""rsvlm chat, tour 74: --history's rule is said once a chat, not again after every new /image."""

import io

import pytest


@pytest.mark.parametrize("history, said", [
    (0, "each question is asked afresh about the image"),
    (1, "the model is shown the exchange that brought the image alone with each question")])
def test_the_history_rule_is_said_once_a_chat_not_once_an_image(ckpt, geotiff, history, said):
    # was said at the second question after each /image: a tour of five images read it five times
    from rsvlm import inference as inf
    from rsvlm.chat import ChatREPL

    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=2, history=history)
    for _ in range(3):
        assert repl.load_image([str(geotiff), "optical"])
        for q in ("[cls] scene?", "[vqa] a?", "[vqa] b?"):
            assert repl.handle(q)
    assert out.getvalue().count("(new image: conversation reset)") == 2  # three conversations
    assert out.getvalue().count(said) == 1, out.getvalue()

