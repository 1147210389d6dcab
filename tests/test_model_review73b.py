"""Review of the model's stop-73 round 2: a spaced task tag ("[ det ] ships") is read as the tag, as "[DET]" is
(it was asked as free chat, unsaid); a device check that takes a GPU's number as a CUDA machine does (numpy's
too, a torch.device, "cuda:1" past the machine's count in the singular) and names a number past torch's range;
docs/geometry.md names the grammar's obb constraint where it lives."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("question, asked", [
    ("[ det ] ships", "[det] ships"),
    ("  [ DET ]Detect ships", "[det] Detect ships"),
    ("[\tvqa  ] Is there a ship?", "[vqa] Is there a ship?"),
    ("[ ] ships", "[ ] ships"),  # no word inside: free chat, as before
    ("[ 3 ] of the ships", "[ 3 ] of the ships"),
])
def test_a_spaced_task_tag_is_read_as_the_tag(question, asked):
    """'[ det ] ships' was asked as free chat: the tokenizer reads '[ det ]' as plain characters, and no note said so."""
    from rsvlm.tokens import opening_task, tagged

    assert tagged(question) == asked
    if asked.startswith("[det]"):
        assert opening_task(tagged(question)) == "det"  # predict --prompt's task, as predict_question reads it


def test_a_spaced_word_in_a_tags_place_is_refused_with_the_tag_it_means():
    from rsvlm.tokens import tagged

    with pytest.raises(ValueError, match=r"^unknown task tag \[detection\]: did you mean \[det\]\? The tags are"):
        tagged("[ detection ] ships")


def test_a_gpu_number_is_checked_as_a_cuda_machine_reads_it(monkeypatch):
    """device=0 (int, numpy's, a torch.device) passes on a machine with one GPU; cuda:1 there is refused in words."""
    from rsvlm.loading import check_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert check_device(0, python=True) == 0
    assert check_device(np.int64(0), python=True) == 0 and type(check_device(np.int64(0), python=True)) is int
    assert check_device(torch.device("cuda:0"), python=True) == torch.device("cuda:0")
    assert check_device("cuda:0", python=True) == "cuda:0"
    with pytest.raises(ValueError, match=r"^device=1: this machine has 1 CUDA device$"):
        check_device(1, python=True)
    with pytest.raises(ValueError, match=r"^--device cuda:1: this machine has 1 CUDA device$"):
        check_device("cuda:1")


def test_a_gpu_number_past_torchs_range_is_refused_naming_the_argument():
    """It raised torch's own "Overflow when unpacking long long"."""
    from rsvlm.loading import check_device

    with pytest.raises(ValueError, match=r"^device=1180591620717411303424 is not a device: cpu, cuda"):
        check_device(2**70, python=True)


def test_the_docs_name_the_obb_constraint_where_it_lives():
    """docs/geometry.md named grammar.obb_corner_bins; it moved to rsvlm.model.grammar_shapes (f3ca4d44)."""
    row = next(line for line in (REPO / "docs" / "geometry.md").read_text().splitlines() if "obb_corner_bins" in line)
    named = re.search(r"`((?:\w+\.)+)(obb_corner_bins)`", row)
    assert named and named.group(1) == "rsvlm.model.grammar_shapes.", row
    assert callable(getattr(importlib.import_module(named.group(1).rstrip(".")), named.group(2)))
