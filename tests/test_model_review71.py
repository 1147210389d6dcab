"""Review of the model tour 71: an emptied checkpoint tokenizer/ not named as its own hint, numpy min_shapes,
the size gate of the llm/ NaN scan, and the budget-hidden mass in shape scores leaving whole answers as they were
(alone, in a batch beside bent ones, fused over --tta views)."""

from __future__ import annotations

import shutil
import warnings

import pytest


def test_an_emptied_checkpoint_tokenizer_is_not_named_as_its_own_hint(ckpt, tmp_path):
    """The one check (0495785d) named a checkpoint's tokenizer/ that lost its files as the tokenizer to use
    instead: 'ck/tokenizer holds no tokenizer …; its checkpoint's tokenizer is ck/tokenizer'."""
    from rsvlm.model.checkpoint import load_pretrained
    from rsvlm.tokenizer import load_tokenizer

    ck = tmp_path / "ck"
    shutil.copytree(ckpt, ck)
    for f in (ck / "tokenizer").iterdir():
        f.unlink()
    for load, key in ((lambda: load_tokenizer(ck / "tokenizer"), "tokenizer"),
                      (lambda: load_pretrained(ck), "llm.tokenizer")):
        with pytest.raises(FileNotFoundError) as e:
            load()
        said = str(e.value)
        assert said.startswith(f"{key}: {ck / 'tokenizer'} holds no tokenizer"), said
        assert "tokenizer is" not in said and f"the checkpoint {ck} lost its tokenizer files" in said


def test_min_shapes_takes_numpy_integers():
    """np.int64(2) was refused as 'not a whole number' (a list of them), or failed as not iterable (alone)."""
    import numpy as np

    from rsvlm.model.grammar import GrammarConstraint

    assert GrammarConstraint(None, set(), 2, min_shapes=np.int64(2)).min_shapes == [2, 2]
    assert GrammarConstraint(None, set(), 2, min_shapes=[np.int32(1), 0]).min_shapes == [1, 0]
    with pytest.raises(ValueError, match=r"min_shapes (np\.int64\()?-1\)?: a whole number of shapes >= 0"):
        GrammarConstraint(None, set(), 1, min_shapes=[np.int64(-1)])


def test_the_llm_nan_scan_runs_on_a_small_llm_only(monkeypatch):
    """An LLM of more than SCAN_VALUES floating values is not scanned at load (a 7B model: about 17 s a start)."""
    import rsvlm.model.ckpt_files as ckpt_files
    from rsvlm.inference import bundled_model_dir
    from rsvlm.model.checkpoint import load_pretrained

    scanned = []
    real = ckpt_files.all_finite
    monkeypatch.setattr(ckpt_files, "all_finite", lambda t: scanned.append(t.numel()) or real(t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, _ = load_pretrained(bundled_model_dir())
        size = sum(t.numel() for t in model.llm.state_dict().values() if t.is_floating_point())
        assert 0 < sum(scanned) <= size <= ckpt_files.SCAN_VALUES  # the bundled model's llm/ is scanned
        scanned.clear()
        monkeypatch.setattr(ckpt_files, "SCAN_VALUES", size - 1)  # one value over the cap: not scanned
        load_pretrained(bundled_model_dir())
    assert not scanned


@pytest.fixture(scope="module")
def bundled():
    from rsvlm import inference as inf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, processor = inf.load_model(None, device="cpu")
    samples = inf.bundled_model_dir().parent / "samples"
    harbour, airport = (inf.read_spec(inf.ImageSpec([str(samples / f"{n}_optical.png")])) for n in ("harbour", "airport"))
    return model, processor, harbour, airport


def _as_before(monkeypatch):
    """GrammarConstraint.also_scored as it was before ce14c4b5: blind to what the budget hid."""
    from rsvlm.model.grammar import GrammarConstraint

    now = GrammarConstraint.also_scored
    monkeypatch.setattr(GrammarConstraint, "also_scored", lambda self, logits=None: now(self, None))


def _same_unless_cut(before, after):
    """Tokens and cut flags alike; an uncut answer's scores exactly alike, a cut one's none higher."""
    for b, a in zip(before, after, strict=True):
        assert a[0] == b[0] and a.cut == b.cut and len(a[1]) == len(b[1])
        if not a.cut:
            assert a[1] == b[1], a[0]
        assert all(y <= x for x, y in zip(b[1], a[1]))


def test_budget_hidden_mass_leaves_whole_answers_of_a_mixed_batch_as_they_were(bundled, monkeypatch):
    """ce14c4b5 counts the mass the budget hid only in rows it bent: the batch's other rows (per-row masks),
    whole, score exactly as before, and the bent rows' shapes score lower."""
    from rsvlm import inference as inf
    from rsvlm.answering import generate_answers

    model, processor, harbour, airport = bundled
    asked = [("[det] Detect all ships.", [harbour]), ("[seg] Segment the buildings.", [harbour]),
             ("[ground] Find the largest ship.", [airport]), ("[count] How many ships?", [harbour]),
             ("[cls] What is this scene?", [airport]), ("[det] Detect all planes.", [airport]),
             ("[change] What changed?", [harbour, airport])]
    msgs = [[{"role": "user", "content": inf.user_text(q, ims, True, processor.prompt)}] for q, ims in asked]
    inputs = [[inf.model_input(im) for im in ims] for _, ims in asked]
    for budget in (8, 10):
        after = generate_answers(model, processor, msgs, inputs, budget)
        with monkeypatch.context() as m:
            _as_before(m)
            before = generate_answers(model, processor, msgs, inputs, budget)
        _same_unless_cut(before, after)
        assert any(not a.cut for a in after)  # whole rows beside …
        if budget == 8:  # … bent ones, which now score lower
            assert any(a.cut and a[1] and a[1][0] < b[1][0] for a, b in zip(after, before))


def test_budget_hidden_mass_leaves_a_whole_fused_answer_as_it_was(bundled, monkeypatch):
    """Under --tta a view's bent shape lowers only a fused answer marked cut (any view cut: the answer is)."""
    from rsvlm.predict import ask
    from rsvlm.tta import FuseConfig

    model, processor, harbour, _ = bundled
    for budget in (8, 64):
        after = [ask(model, processor, [harbour], q, budget, tta=FuseConfig(), notes=[])
                 for q in ("[det] Detect all ships.", "[ground] Find the largest ship.")]
        with monkeypatch.context() as m:
            _as_before(m)
            before = [ask(model, processor, [harbour], q, budget, tta=FuseConfig(), notes=[])
                      for q in ("[det] Detect all ships.", "[ground] Find the largest ship.")]
        _same_unless_cut(before, after)
        if budget == 64:
            assert not any(a.cut for a in after) and all(a[1] for a in after)
