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

    from rsvlm.config import load_config
    from rsvlm.model import ChatSession, VLMConfig, create_model

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, Path(__file__).resolve().parents[1] / "configs/model/tiny.yaml"))
    model.eval()
    add = torch.zeros(model.llm.get_output_embeddings().weight.shape[0])
    add[list(model.eos_ids())] = 8.0  # the model would rather end the answer than write the box it owes
    hook = model.llm.get_output_embeddings().register_forward_hook(lambda m, a, out: out + add.to(out.dtype))
    try:
        batch = proc(proc.chat_prompt([{"role": "user", "content": "[ground] the unicorn"}]))
        out = model.generate(**batch, max_new_tokens=12, need_shape=True)
        chat = ChatSession(model, proc, max_new_tokens=12)
        chat.ask("[ground] the unicorn")
    finally:
        hook.remove()
    assert out.scores[0] and out.scores[0][0] < 1e-3  # the held share counted in full
    assert chat.last_scores == pytest.approx(out.scores[0], rel=1e-3)
