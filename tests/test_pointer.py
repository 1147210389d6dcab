"""The location pointer (rsvlm.model.pointer): which tokens are coordinates, the pointed cell's
prior over bins, and the same term in training and decoding."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from test_grammar import bias_logits

from rsvlm.config import load_config
from rsvlm.model import ChatSession, ImageInput, VLMConfig, create_model
from rsvlm.model.grammar import GeometryGrammar, GrammarConstraint, coordinate_axes
from rsvlm.model.pointer import LocPointer, LocPointerConfig
from rsvlm.tokens import IMAGE_TOKEN, NUM_BINS, loc_token

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


@pytest.fixture(scope="module")
def model_proc():
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, ["loc_pointer.enabled=true"]))
    model.eval()
    return model, proc


def image(seed=0):
    rng = np.random.default_rng(seed)
    return ImageInput(rng.random((3, 32, 32), dtype=np.float32), "optical")


def test_coordinates_are_shape_vertices_and_grid_corners_not_counts(model_proc):
    model, _ = model_proc
    tid = model.tokenizer.convert_tokens_to_ids
    toks = (["ship", "<box>"] + [loc_token(i) for i in (1, 2, 3, 4)] + ["</box>", "<point>", loc_token(5),
            loc_token(6), "</point>", "<mask>", "<grid>"] + [loc_token(i) for i in range(6)] + ["</grid>", "<row>",
            loc_token(2), loc_token(1), "</mask>", "<poly>"] + [loc_token(i) for i in range(3)])
    got = coordinate_axes([tid(t) for t in toks], model.pointer_ids().grammar)
    assert got == [(2, 0), (3, 1), (4, 0), (5, 1),  # the box
                   (8, 0), (9, 1),  # the point
                   (13, 0), (14, 1), (15, 0), (16, 1),  # the grid's corners, not its size or the run lengths
                   (25, 0), (26, 1), (27, 0)]  # an open polygon


def test_prior_peaks_on_the_pointed_cell_per_axis():
    torch.manual_seed(0)
    ptr = LocPointer(LocPointerConfig(enabled=True, dim=8, sigma_cells=0.3), d_llm=16)
    with torch.no_grad():
        ptr.q.weight.copy_(torch.eye(8, 16) * 10)
        ptr.k.weight.copy_(torch.eye(8, 16) * 10)
    vis = torch.zeros(9, 16)  # a 3 × 3 grid; token 5 is row 1, column 2
    vis[5, 0] = 1.0
    h = torch.zeros(2, 16)
    h[:, 0] = 1.0
    with torch.no_grad():
        logp = ptr.log_prior(h, vis, torch.tensor([0, 1]))
    assert logp.shape == (2, NUM_BINS)
    assert torch.exp(logp).sum(-1).tolist() == pytest.approx([1.0, 1.0], abs=1e-4)
    cell = NUM_BINS / 3
    assert int(logp[0].argmax()) == pytest.approx(2.5 * cell, abs=2)  # x: column 2's centre
    assert int(logp[1].argmax()) == pytest.approx(1.5 * cell, abs=2)  # y: row 1's centre
    with pytest.raises(ValueError, match="square grids"):
        ptr.log_prior(h, torch.zeros(10, 16), torch.tensor([0, 1]))


def test_decoding_adds_the_same_term_as_the_teacher_forced_pass(model_proc):
    """generate's log-probs equal a teacher-forced forward (pointer term included) renormalised over
    what the grammar allows, and the term is really there: without it they differ."""
    model, proc = model_proc
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    with torch.no_grad():  # a pointer sharp enough that its term is far from flat
        model.loc_pointer.q.weight.mul_(40)
    hook = bias_logits(model, {g.ids.open["box"]: 30.0})
    try:
        batch = proc(proc.chat_prompt([{"role": "user", "content": f"{IMAGE_TOKEN}\n[det] every ship"}]),
                     [image()])
        out = model.generate(**batch, max_new_tokens=14)
        toks, lps = out.tokens[0], out.logprobs[0]
        ids = torch.cat([batch["input_ids"], torch.tensor([toks])], 1)
        with torch.no_grad():
            tf = model(ids, images=batch["images"]).logits[0].float()
            plain = model.llm(inputs_embeds=model.embed_inputs(ids, batch["images"])).logits[0].float()
    finally:
        hook.remove()
        with torch.no_grad():
            model.loc_pointer.q.weight.div_(40)
    n = batch["input_ids"].shape[1]
    vocab = len(model.tokenizer)
    bias = torch.zeros(tf.shape[-1])
    bias[g.ids.open["box"]] = 30.0  # the hook's bias, which the teacher-forced logits include already

    def renorm(logits):
        con, out = GrammarConstraint(model.tokenizer, model.eos_ids(), 1, 14), []
        for k, t in enumerate(toks):
            step = logits[n - 1 + k, :vocab].masked_fill(~con([toks[:k]], vocab)[0], float("-inf"))
            out.append(torch.log_softmax(step, -1)[t].item())
        return out

    assert toks[0] == g.ids.open["box"]
    assert lps == pytest.approx(renorm(tf), abs=1e-3)
    without = renorm(plain)
    assert max(abs(a - b) for a, b in zip(lps[1:5], without[1:5])) > 0.1  # the pointer moved the coordinates


def test_pointer_trains_through_the_lm_loss_and_survives_a_checkpoint(model_proc, tmp_path):
    model, proc = model_proc
    text = proc.chat_prompt([{"role": "user", "content": f"{IMAGE_TOKEN}\n[ground] the ship"},
                             {"role": "assistant", "content": "<box>" + "".join(loc_token(i) for i in (100, 200, 300,
                                                                                                       400)) + "</box>"}])
    batch = proc(text, [image()])
    labels = batch["input_ids"].clone()
    model.train()
    try:
        out = model(**batch, labels=labels)
        out.loss.backward()
    finally:
        model.eval()
    assert math.isfinite(float(out.loss))
    assert model.loc_pointer.q.weight.grad is not None and float(model.loc_pointer.q.weight.grad.abs().sum()) > 0
    model.zero_grad()
    model.save_pretrained(tmp_path / "ckpt")
    from rsvlm.model.checkpoint import load_pretrained

    back, _ = load_pretrained(tmp_path / "ckpt")
    assert back.loc_pointer is not None
    assert torch.equal(back.loc_pointer.k.weight, model.loc_pointer.k.weight)
    with torch.no_grad():
        assert torch.allclose(back(**batch).logits, model(**batch).logits, atol=1e-5)


def test_chat_points_into_the_image_of_an_earlier_turn_as_a_full_prefill_does(model_proc):
    """Turn 2 has no image in its prefill: the session keeps turn 1's visual states, so its cached
    answer and scores equal generate's over the whole re-rendered conversation."""
    model, proc = model_proc
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    with torch.no_grad():
        model.loc_pointer.q.weight.mul_(40)
    hook = bias_logits(model, {g.ids.open["box"]: 30.0})
    try:
        chat = ChatSession(model, proc, max_new_tokens=14)
        chat.ask("[det] every ship", images=[image()])
        assert chat.pointer_vis is not None and chat.pointer_vis[0].shape[0] == model.n_visual_tokens("optical")
        second = chat.ask("[det] every ship, again")
        full = proc(proc.chat_prompt(chat.messages[:-1], add_generation_prompt=True), [image()])
        out = model.generate(**full, max_new_tokens=14)
    finally:
        hook.remove()
        with torch.no_grad():
            model.loc_pointer.q.weight.div_(40)
    assert second.startswith("<box>") and out.text[0].strip() == second
    # the cached and the full pass differ by float noise, which the sharpened pointer amplifies to
    # about 1 %; without turn 1's visual states the scores would be less than half these
    assert chat.last_scores == pytest.approx(out.scores[0], rel=0.03)


def test_a_stage_adds_a_fresh_pointer_to_a_checkpoint_without_one(tmp_path):
    from rsvlm.train.loop import init_vision

    torch.manual_seed(0)
    plain, _ = create_model(load_config(VLMConfig, TINY))
    plain.save_pretrained(tmp_path / "plain")
    torch.manual_seed(1)
    model, _ = create_model(load_config(VLMConfig, TINY, ["loc_pointer.enabled=true"]))
    fresh = model.loc_pointer.q.weight.clone()
    init_vision(model, tmp_path / "plain")
    assert torch.equal(model.projectors["default"].state_dict()["net.0.weight"],
                       plain.projectors["default"].state_dict()["net.0.weight"])
    assert torch.equal(model.loc_pointer.q.weight, fresh)  # kept its own start
    model.save_pretrained(tmp_path / "ptr")
    with pytest.raises(ValueError, match="unexpected"):  # a pointer is not silently dropped either
        init_vision(plain, tmp_path / "ptr")
