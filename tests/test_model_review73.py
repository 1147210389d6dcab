"""Review of stop 73's model work: the grammar writes no <obb> whose edges cross (decode swapped two corners and
reported it, since b8c0edcf), generate takes a 0.0/1.0 mask again and checks its ids once a call (not in forward),
and load_pretrained's device 0 is cuda:0 for its "auto" dtype too."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from rsvlm import geometry
from rsvlm.data.conversation import image_turn
from rsvlm.model.grammar import GrammarConstraint
from rsvlm.model.llm import byte_tokenizer
from rsvlm.tokens import NUM_BINS, add_special_tokens, loc_token


@pytest.fixture(scope="module")
def tok():
    t = byte_tokenizer()
    add_special_tokens(t)
    return t


def allowed_bins(tok, locs: list[int]) -> torch.Tensor:
    """(NUM_BINS,) bool: the locations the grammar allows after ``<obb>`` and ``locs``."""
    con = GrammarConstraint(tok, {tok.eos_token_id}, 1)
    loc0 = tok.convert_tokens_to_ids(loc_token(0))
    return con([[tok.convert_tokens_to_ids("<obb>"), *(loc0 + v for v in locs)]], len(tok))[0][loc0:loc0 + NUM_BINS]


def crosses(quad: list[int]) -> bool:
    corners = [quad[i:i + 2] for i in range(0, 8, 2)]
    return geometry.untangle_quad(corners) != corners


def test_a_walk_never_writes_an_obb_whose_edges_cross(tok):
    """Random <obb>s under the grammar: a third of them crossed (two corners out of order), which decode reported."""
    rng, refused = random.Random(0), 0
    for _ in range(150):
        locs: list[int] = []
        while len(locs) < 8:
            ok = allowed_bins(tok, locs).nonzero().flatten().tolist()
            refused += len(ok) < NUM_BINS
            locs.append(rng.choice(ok))
        text = "<obb>" + "".join(loc_token(v) for v in locs) + "</obb>"
        assert geometry.decode(text, 640, 480).problems == [], text
    assert refused > 30  # the grammar did refuse corners


@pytest.mark.parametrize("first", [
    [999, 500, 10, 0, 10, 999],  # the columns left of x=10 cross p0-p1 wherever the corner goes: refused at x
    [100, 100, 900, 120, 880, 900],
    [0, 0, 500, 500, 999, 999],  # collinear: nothing crosses
    [500, 10, 505, 990, 498, 20],  # thin
    [300, 300, 300, 300, 700, 650],  # a repeated corner
])
def test_the_fourth_corner_is_refused_exactly_where_its_edges_would_cross(tok, first):
    at_x = allowed_bins(tok, first)
    columns = [0, 5, 9, 10, first[0], first[2], first[4], 499, 998, 999] + random.Random(1).sample(range(NUM_BINS), 6)
    for x in columns:
        free = [not crosses(first + [x, y]) for y in range(NUM_BINS)]
        assert allowed_bins(tok, first + [x]).tolist() == free, (first, x)
        assert bool(at_x[x]) == any(free), (first, x)  # a column offered at x holds a corner that fits
    assert at_x[first[0]]  # a corner on the first one crosses nothing: never none left
    if first == [999, 500, 10, 0, 10, 999]:
        assert not at_x[:10].any() and at_x[10:].all()


@pytest.fixture(scope="module")
def batch(tiny_vlm):
    from rsvlm.model import ImageInput

    _, proc = tiny_vlm
    turn = image_turn("[cls] What is this?", ["optical"], proc.prompt)
    image = ImageInput(np.random.default_rng(0).random((3, 32, 32), dtype=np.float32), "optical")
    return proc(proc.chat_prompt([{"role": "user", "content": turn}]), [image])


def test_generate_takes_a_float_or_bool_mask_as_it_did(tiny_vlm, batch):
    """a5819a85 refused a 0.0/1.0 mask ("must be a (B,T) integer tensor"), which generate answered with before."""
    model, _ = tiny_vlm
    want = model.generate(**batch, max_new_tokens=4).text
    for mask in (batch["attention_mask"].float(), batch["attention_mask"].bool()):
        assert model.generate(batch["input_ids"], mask, images=batch["images"], max_new_tokens=4).text == want


def test_generate_checks_its_ids_once_a_call_and_forward_not_at_all(tiny_vlm, batch, monkeypatch):
    """No per-token cost, and training's forward runs no check whose words name generate."""
    import rsvlm.model.vlm as vlm

    model, _ = tiny_vlm
    calls = []
    check = vlm.check_prompt_ids
    monkeypatch.setattr(vlm, "check_prompt_ids", lambda *a: calls.append(1) or check(*a))
    with torch.no_grad():
        model(batch["input_ids"], batch["attention_mask"], images=batch["images"])
    assert calls == []
    model.generate(**batch, max_new_tokens=6)
    assert calls == [1]


def test_load_pretrained_reads_device_0_as_cuda_0_for_its_auto_dtype(tmp_path, monkeypatch):
    """ce87b787 took device=0 as cuda:0 for its check, but "auto" read it as no device: the CPU's float32, not the
    dtype the checkpoint is stored in, as on cuda:0."""
    import rsvlm.loading as loading

    checked = []
    monkeypatch.setattr(loading, "check_device", lambda d, python=False: checked.append(d) or d)  # no GPU here
    monkeypatch.setattr(loading, "saved_dtype", lambda path: torch.bfloat16)
    monkeypatch.setattr(loading, "_cuda_bf16", lambda device: True)
    assert loading.load_args("auto", None, 0, tmp_path)[0] is torch.bfloat16
    assert loading.load_args("auto", None, "cuda:0", tmp_path)[0] is torch.bfloat16
    assert loading.load_args("auto", None, "cpu", tmp_path)[0] is torch.float32
    assert checked == [0, "cuda:0", "cpu"]  # checked as given: its message names device=0
