"""The next-token loss: the answer window, and the Gaussian target on <loc_N> labels."""

from __future__ import annotations

import math

import pytest
import torch

from rsvlm.tokens import NUM_BINS
from rsvlm.train.losses import answer_window, lm_losses, loc_targets

LOC0 = 50  # id of <loc_0> in a fake vocabulary of 50 words + 1000 bins
V = LOC0 + NUM_BINS


def _labels() -> torch.Tensor:
    labels = torch.full((3, 12), -100)
    labels[0, 7:10] = torch.tensor([3, LOC0 + 400, 5])
    labels[1, 5:12] = torch.tensor([LOC0 + 10, LOC0 + 990, 8, 9, 10, 11, 2])
    labels[2, 9:11] = torch.tensor([LOC0 + 0, 1])
    return labels


def test_answer_window_scores_exactly_what_full_logits_score():
    torch.manual_seed(0)
    labels = _labels()
    logits = torch.randn(3, 12, V)
    start = answer_window(labels)
    assert start == 4  # the earliest label sits at position 5 and is predicted from position 4
    for sigma in (0.0, 8.0):
        full = lm_losses(logits, labels, LOC0, sigma)
        cut = lm_losses(logits[:, start:], labels[:, start:], LOC0, sigma)
        torch.testing.assert_close(cut[0], full[0])
        torch.testing.assert_close(cut[1], full[1])
    assert answer_window(torch.full((2, 5), -100)) == 0


def test_loc_sigma_zero_is_plain_cross_entropy():
    torch.manual_seed(1)
    labels = _labels()
    logits = torch.randn(3, 12, V)
    loss, _ = lm_losses(logits, labels)
    flat = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)
    torch.testing.assert_close(loss, flat)


def test_gaussian_target_prefers_near_misses_and_leaves_words_alone():
    sigma = 10.0
    labels = torch.full((1, 3), -100)
    labels[0, 1], labels[0, 2] = LOC0 + 500, 7  # a location, then a word

    def loss_when_predicting(bin_: int) -> tuple[float, float]:
        logits = torch.full((1, 3, V), -20.0)
        logits[0, 0, LOC0 + bin_] = 20.0  # confident on one bin
        logits[0, 1, 7] = 20.0  # the word is right
        one_hot = float(lm_losses(logits, labels, LOC0, 0.0)[0])
        soft = float(lm_losses(logits, labels, LOC0, sigma)[0])
        return one_hot, soft

    exact, near, far = (loss_when_predicting(b) for b in (500, 505, 700))
    # one-hot CE cannot tell a near miss from a far one; the Gaussian target can
    assert near[0] == pytest.approx(far[0], rel=1e-6)
    assert exact[1] < near[1] < far[1]
    # a model that outputs exactly the target distribution has zero loss (KL), not its entropy
    target = loc_targets(torch.tensor([500]), sigma)[0]
    logits = torch.full((1, 3, V), -1e4)
    logits[0, 0, LOC0:] = target.clamp_min(1e-30).log()
    logits[0, 1, 7] = 0.0
    assert float(lm_losses(logits, labels, LOC0, sigma)[0]) == pytest.approx(0.0, abs=1e-4)


def test_loc_targets_are_normalised_gaussians_cut_at_the_edges():
    t = loc_targets(torch.tensor([0, 500, 999]), 10.0)
    torch.testing.assert_close(t.sum(-1), torch.ones(3))
    assert int(t[1].argmax()) == 500 and int(t[0].argmax()) == 0 and int(t[2].argmax()) == 999
    # one σ away the density ratio is exp(-1/2)
    assert float(t[1, 510] / t[1, 500]) == pytest.approx(math.exp(-0.5), rel=1e-5)


# ---------------------------------------------------------------- pointer loss
def _pointer_ids():
    from rsvlm.model.grammar import GrammarIds
    from rsvlm.model.pointer import PointerIds

    return PointerIds(image=7, grammar=GrammarIds(LOC0, {"box": 8, "obb": 9}, {}, 0, 0, 0, 0))  # 8 = <box>, 9 = <obb>


def _seq(n_vis: int, prompt_extra: list[int], answer: list[int]) -> tuple[list[int], list[int]]:
    ids = [1] + [7] * n_vis + prompt_extra + [2] + answer + [3]
    labels = [-100] * (len(ids) - len(answer) - 1) + answer + [3]
    return ids, labels


def test_pointer_targets_pick_the_patch_of_the_first_shapes_centre():
    from rsvlm.train.losses import pointer_targets

    box = [8, LOC0 + 100, LOC0 + 700, LOC0 + 300, LOC0 + 900]  # centre (200, 800) bins
    obb = [9, *(LOC0 + v for v in (900, 0, 999, 100, 950, 200, 850, 100))]  # centre (925, 100)
    prompt_box = [8, LOC0 + 0, LOC0 + 0, LOC0 + 10, LOC0 + 10]  # a [regcap] box in the prompt: not a target
    rows = [_seq(36, prompt_box, box + [8, LOC0 + 5, LOC0 + 5, LOC0 + 6, LOC0 + 6]),  # first shape counts
            _seq(36, [], obb),
            _seq(0, [], box),  # no image
            _seq(72, [], box),  # an image pair: not one square grid
            _seq(36, [], [4, 5])]  # no shape in the answer
    width = max(len(r[0]) for r in rows)
    ids = torch.tensor([r[0] + [0] * (width - len(r[0])) for r in rows])
    labels = torch.tensor([r[1] + [-100] * (width - len(r[1])) for r in rows])
    got = pointer_targets(ids, labels, _pointer_ids())
    assert [(b, t) for b, _, _, t in got] == [(0, 4 * 6 + 1), (1, 0 * 6 + 5)]  # row 4 col 1; row 0 col 5
    b, q, vis, _ = got[0]
    assert int(ids[0, q]) == 8 and q > 37 and vis.tolist() == list(range(1, 37))


def test_pointer_loss_falls_as_the_query_learns_its_token():
    from rsvlm.train.losses import pointer_loss

    torch.manual_seed(0)
    hidden = torch.randn(1, 40, 16, requires_grad=True)
    targets = [(0, 39, torch.arange(1, 37), 22)]
    first = float(pointer_loss(hidden, targets))
    h0 = hidden.detach()
    want = -torch.log_softmax(h0[0, 1:37] @ h0[0, 39] / math.sqrt(16), 0)[22]  # CE over the 36 tokens
    assert math.isclose(first, float(want), rel_tol=1e-5)
    opt = torch.optim.SGD([hidden], lr=1.0)
    for _ in range(50):
        opt.zero_grad()
        pointer_loss(hidden, targets).backward()
        opt.step()
    scores = hidden[0, 1:37] @ hidden[0, 39]
    assert float(pointer_loss(hidden, targets)) < first / 4 and int(scores.argmax()) == 22
    assert pointer_loss(hidden, []) is None


def test_per_sample_losses_match_a_token_by_token_reference():
    """Each location label is scored by the KL to its Gaussian, each word by cross-entropy, in the
    right sample: checks the flat indexing the loss uses to avoid boolean masks."""
    torch.manual_seed(2)
    sigma = 6.0
    labels = _labels()
    logits = torch.randn(3, 12, V)
    loss, per_sample = lm_losses(logits, labels, LOC0, sigma)
    expect, total, n_total = [], 0.0, 0
    for b in range(3):
        s, n = 0.0, 0
        for t in range(1, 12):
            y = int(labels[b, t])
            if y == -100:
                continue
            logp = logits[b, t - 1].log_softmax(-1)
            if LOC0 <= y < V:
                target = loc_targets(torch.tensor([y - LOC0]), sigma)[0]
                s += float((target * (target.clamp_min(1e-30).log() - logp[LOC0:])).sum())
            else:
                s += float(-logp[y])
            n += 1
        expect.append(s / n)
        total, n_total = total + s, n_total + n
    torch.testing.assert_close(per_sample, torch.tensor(expect), rtol=1e-5, atol=1e-5)
    assert float(loss) == pytest.approx(total / n_total, rel=1e-5)


def test_pointer_targets_take_several_images_whose_tokens_make_a_square_for_none():
    """4 images of 2 × 2 tokens (16, a square) were taken for one 4 × 4 image: the target cell then
    pointed into the wrong image. With the model's grid (LocPointer.grid) they are several images."""
    from rsvlm.train.losses import pointer_targets

    box = [8, LOC0 + 100, LOC0 + 700, LOC0 + 300, LOC0 + 900]
    ids, labels = (torch.tensor([x]) for x in _seq(16, [], box))
    assert len(pointer_targets(ids, labels, _pointer_ids())) == 1  # no grid given: read as one 4 × 4 image
    assert pointer_targets(ids, labels, _pointer_ids(), grid=2) == []  # four 2 × 2 images: no one-image target
    assert len(pointer_targets(ids, labels, _pointer_ids(), grid=4)) == 1  # one 4 × 4 image
