"""Shape scores keep their small values apart (stop 58)."""

from __future__ import annotations


def test_scores_below_a_millionth_stay_apart_and_ordered():
    from rsvlm.inference import with_scores

    objs = [{"kind": "box", "coords": [0, 0, 1, 1]}, {"kind": "box", "coords": [2, 2, 3, 3]}]
    got = [o["score"] for o in with_scores(objs, [3.2e-7, 7.4e-8])]  # owed boxes the model wished to stop before
    assert got == [3.2e-7, 7.4e-8]  # 6 decimals made both 0.0: a tie, ranked by chance
    assert with_scores(objs[:1], [0.0471234567])[0]["score"] == 0.0471235  # 6 significant digits


def test_fused_scores_keep_six_significant_digits():
    from rsvlm.fusion import fuse_many
    from rsvlm.tta import FuseConfig

    views = [[{"kind": "box", "coords": [10, 10, 20, 20], "score": 2e-7}]] * 2
    fused = fuse_many(views, FuseConfig(min_views=2))
    assert fused and fused[0]["score"] == 2e-7


def test_chats_owed_box_score_counts_the_wish_to_stop_as_generate_does():
    """ChatSession scored an owed [ground] box without ``held`` (the wish to stop averaged into the box's
    tokens), so chat showed another score than predict and eval for the same answer."""
    from pathlib import Path

    import pytest
    import torch
    from conftest import blank_image

    from rsvlm.config import load_config
    from rsvlm.data.conversation import image_turn
    from rsvlm.model import ChatSession, VLMConfig, create_model

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, Path(__file__).resolve().parents[1] / "configs/model/tiny.yaml"))
    model.eval()
    add = torch.zeros(model.llm.get_output_embeddings().weight.shape[0])
    add[list(model.eos_ids())] = 8.0  # the model would rather end the answer than write the box it owes
    hook = model.llm.get_output_embeddings().register_forward_hook(lambda m, a, out: out + add.to(out.dtype))
    try:
        turn = image_turn("[ground] the unicorn", ["optical"], proc.prompt)  # chat asks about an image
        batch = proc(proc.chat_prompt([{"role": "user", "content": turn}]), blank_image())
        out = model.generate(**batch, max_new_tokens=12, need_shape=True)
        chat = ChatSession(model, proc, max_new_tokens=12)
        chat.ask("[ground] the unicorn", images=blank_image())
    finally:
        hook.remove()
    assert out.scores[0] and out.scores[0][0] < 1e-3  # the held share counted in full
    assert chat.last_scores == pytest.approx(out.scores[0], rel=1e-3)


def test_a_sequence_that_wrote_its_stop_string_is_finished_whatever_follows_in_the_batch():
    """A batch row that wrote a stop string went on generating while another row had not stopped, and
    a budget cut (or no EOS) in that junk marked it unfinished: the shipped model's caption
    s9021-000000-ir-cap-18 was counted cut in a batch of 16 and not alone."""
    import types

    import torch

    from rsvlm.model.generation import GenerationConfig, decode

    vocab = 5

    def llm(inputs_embeds, **k):  # token 3 ranked first everywhere; no EOS (id 4) ever
        b, t, _ = inputs_embeds.shape
        logits = torch.zeros(b, t, vocab)
        logits[..., 3] = 1.0
        return types.SimpleNamespace(logits=logits, past_key_values=k.get("past_key_values"))

    class Budget:  # allows all; claims the budget hid the best token once a row has 2 tokens
        def __init__(self):
            self.seen = [0, 0]

        def __call__(self, tokens, v):
            self.seen = [len(t) for t in tokens]
            return torch.ones(len(tokens), v, dtype=torch.bool)

        def cut_by_budget(self, i, logits):
            return self.seen[i] >= 2

    def stops(tokens):  # row 0 wrote its stop string with its first token; row 1 never does
        return [len(tokens[0]) >= 1, False]

    res = decode(llm, lambda ids: torch.zeros(*ids.shape, 4), torch.zeros(2, 3, 4), torch.ones(2, 3, dtype=torch.long),
                 GenerationConfig(max_new_tokens=4), {4}, on_step=stops, constraint=Budget())
    assert [len(t) for t in res.tokens] == [1, 4]  # row 0 took nothing after its stop string
    assert res.finished == [True, False]  # row 1 ran to the limit (and was cut); row 0 had stopped
