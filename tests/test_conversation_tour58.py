"""A chat format whose generation prompt is no token prefix of the answered turn is refused (stop 58)."""

from __future__ import annotations

import pytest


def test_a_generation_prompt_ending_in_a_space_is_refused_not_trained_without_the_first_word(tmp_path):
    from rsvlm.data.conversation import encode_conversation
    from rsvlm.tokenizer import train_tokenizer

    tok = train_tokenizer(["A harbour with two ships.", "What is in the harbour? ships"] * 40, tmp_path / "t", vocab_size=300)
    msgs = [{"role": "user", "content": "<image>\n[vqa] What is in the harbour?"}, {"role": "assistant", "content": "ships"}]
    image = tok.convert_tokens_to_ids("<image>")

    def render(messages, add_generation_prompt, gap):
        text = "".join(f"{'USER' if m['role'] == 'user' else 'ASSISTANT'}:{' ' + m['content']}</s>" for m in messages)
        return text + ("ASSISTANT:" + gap if add_generation_prompt else "")

    encode_conversation(tok, msgs, image, [1], render=lambda m, add_generation_prompt: render(m, add_generation_prompt, ""))  # the answer brings its space
    with pytest.raises(ValueError, match=r"generation prompt is not a token prefix .*it ends '.*ASSISTANT: '\)"):
        encode_conversation(tok, msgs, image, [1], render=lambda m, add_generation_prompt: render(m, add_generation_prompt, " "))  # "▁" alone, then "▁ships"
