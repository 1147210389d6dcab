"""``rsvlm chat`` as a demanding analyst uses it: task tags as typed, questions at the context's
edge, bad --image paths, quantised models."""

import pytest
from test_predict_edges import chat_repl


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
    assert "error: unknown task tag [detect]: the tags are [cls] [vqa]" in out.getvalue()
    assert len(repl.session.stats) == 1  # neither was asked
    assert repl.handle("[1] is the free-chat question it looks like")
    assert last_question(repl) == "[1] is the free-chat question it looks like"
