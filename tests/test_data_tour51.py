"""Rough edges of configs, conversation formatting and the training data pipeline (tour 51)."""

from __future__ import annotations

from rsvlm.train.data import view_of


def test_a_text_only_record_in_an_augmented_run_is_taken_as_recorded():
    msgs = [{"role": "user", "content": "Which way does the river flow, left or right?"},
            {"role": "assistant", "content": "left"}]
    for view in ("h", "v", "t"):  # flip_view read images[0]: an IndexError ended the DataLoader
        assert view_of([], msgs, view) == ([], msgs)


def test_a_records_own_system_turn_takes_the_place_of_the_models():
    from rsvlm.data.conversation import PromptConfig, record_messages
    from rsvlm.model.templates import render

    rec = {"images": [{"modality": "sar"}], "conversations": [
        {"from": "system", "value": "Answer in one word."},
        {"from": "human", "value": "<image>\n[cls] What scene?"}, {"from": "gpt", "value": "harbour"}]}
    msgs = record_messages(rec, PromptConfig(system="You are a remote sensing assistant."))
    assert [m["role"] for m in msgs] == ["system", "user", "assistant"]  # was system, system, …
    assert msgs[0]["content"] == "Answer in one word."
    text = render(msgs, "rsvlm")  # two system messages: "message 1: role must be user or assistant"
    assert "Answer in one word." in text and "remote sensing assistant" not in text
    plain = {**rec, "conversations": rec["conversations"][1:]}
    assert record_messages(plain, PromptConfig(system="S."))[0] == {"role": "system", "content": "S."}
