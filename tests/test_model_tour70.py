"""Stop 70, model area: loading from several threads at once (a user's server), and what start-up imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

import rsvlm.model.checkpoint as checkpoint
from rsvlm.model import load_pretrained

REPO = Path(__file__).resolve().parents[1]


def test_two_threads_loading_at_once_leave_nn_module_as_it_was(ckpt, monkeypatch):
    """The vision side is built under accelerate's ``init_empty_weights``, which swaps ``nn.Module.register_parameter``
    process-wide and puts back what it found on the way out: a second load entering while the first was inside, and
    leaving after it, put back the first's swap, and every module built afterwards in the process (anyone's) had its
    parameters on meta. Loads take turns now."""
    # (restored after the test even where a load left it swapped)
    monkeypatch.setattr(torch.nn.Module, "register_parameter", torch.nn.Module.register_parameter)
    original = torch.nn.Module.register_parameter
    build, first_in, met = checkpoint.RSVLM, threading.Event(), threading.Barrier(2)

    def build_slowly(*args, **kwargs):  # called inside the meta build
        if threading.current_thread().name == "first":
            first_in.set()
        try:
            met.wait(timeout=3)  # both inside at once, where nothing keeps them apart
        except threading.BrokenBarrierError:
            pass
        if threading.current_thread().name == "second":
            time.sleep(0.3)  # the one that came in second leaves last
        return build(*args, **kwargs)

    monkeypatch.setattr(checkpoint, "RSVLM", build_slowly)
    loaded, errors = {}, []

    def load(name):
        try:
            if name == "second":
                first_in.wait(timeout=10)
            loaded[name] = load_pretrained(ckpt)[0]
        except Exception as e:  # noqa: BLE001  (reported below, not lost in the thread)
            errors.append(e)

    threads = [threading.Thread(target=load, args=(n,), name=n) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and set(loaded) == {"first", "second"}
    assert torch.nn.Module.register_parameter is original
    assert not torch.nn.Linear(2, 2).weight.is_meta
    for model in loaded.values():
        assert not [n for n, p in model.named_parameters() if p.is_meta]
    a, b = (dict(loaded[n].named_parameters()) for n in ("first", "second"))
    assert all(torch.equal(a[n], b[n]) for n in a)


def test_a_load_lists_rsvlm_tokens_a_few_times_not_once_per_vocabulary_entry(ckpt, monkeypatch):
    """build_llm's check that the tokenizer's ids fit the LLM built the set of rsvlm's 1026 tokens again for every
    vocabulary entry: about half a second of every load of the bundled model (2026 entries), minutes
    for a 150k vocabulary (Qwen2.5)."""
    import rsvlm.tokens

    listed = []
    every = rsvlm.tokens.all_special_tokens
    monkeypatch.setattr(rsvlm.tokens, "all_special_tokens", lambda: listed.append(1) or every())
    model, _ = load_pretrained(ckpt)
    assert len(model.tokenizer.get_vocab()) > 1000
    assert 0 < len(listed) < 10


def test_an_hf_clip_checkpoint_builds_saves_and_loads_without_importing_open_clip(tmp_path):
    """open_clip (and the timm it imports, ~0.6 s of start-up) is the open_clip tower's alone: a model of hf_clip
    towers never imports it (a fresh process: what start-up pays)."""
    code = f"""
import sys
from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model, load_pretrained
cfg = load_config(VLMConfig, {str(REPO / "configs/model/tiny.yaml")!r})
for enc in cfg.encoders.values():
    enc.type, enc.pos_embed = "hf_clip", "learned"
create_model(cfg)[0].save_pretrained({str(tmp_path / "ck")!r})
load_pretrained({str(tmp_path / "ck")!r})
print(sorted(m for m in ("open_clip", "timm") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


NO_VOCABULARY = (r"/tokenizer: a tokenizer with no vocabulary \('ship' is no tokens\): its tokenizer\.json .* is missing; "
                 r"copy the folder again")  # the refusal, after the key and the folder it names


def _bundled_without_tokenizer_json(tmp_path) -> Path:
    """Links to the bundled model's files (a copy cut short), its tokenizer/tokenizer.json then removed."""
    copy = tmp_path / "ck"
    shutil.copytree(REPO / "rsvlm/assets/default_model", copy, copy_function=os.symlink)
    (copy / "tokenizer" / "tokenizer.json").unlink()
    return copy


def test_a_checkpoint_whose_tokenizer_lost_its_vocabulary_is_refused_naming_it(tmp_path):
    """The bundled model's tokenizer/ without tokenizer.json (a copy cut short): transformers built a LlamaTokenizer
    of the special tokens alone, every prompt became no tokens, and ``rsvlm predict`` answered nothing, exit 0."""
    copy = _bundled_without_tokenizer_json(tmp_path)
    with pytest.raises(ValueError, match=r"^llm\.tokenizer .*" + NO_VOCABULARY):
        load_pretrained(copy)


def test_load_tokenizer_refuses_a_tokenizer_that_lost_its_vocabulary_as_a_load_does(tmp_path):
    """rsvlm.tokenizer.load_tokenizer took the same folder (its tokenizer_config.json counts as a tokenizer file) and
    gave a tokenizer of the special and rsvlm's tokens alone, 'ship' no tokens."""
    from rsvlm.tokenizer import load_tokenizer

    tok_dir = _bundled_without_tokenizer_json(tmp_path) / "tokenizer"
    with pytest.raises(ValueError, match=r"^tokenizer .*" + NO_VOCABULARY):
        load_tokenizer(tok_dir)
