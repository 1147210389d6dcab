"""Review 81 (RF) of tour 81 F's config changes: a section's own ``base:`` (``optim: {base: o.yaml}``).

Such a base writes the section's keys without the section (``lrr: 1`` for ``optim.lrr``): the refusal of its key named
no line at all, and ``with_others`` then dropped the keys the file over it set (it added them only to a line), so
"o.yaml (a base of s.yaml): unknown keys optim.lrr, optim.warmupsteps …" left s.yaml's own key unnamed. A chain of
three files, each a base of the next, names the first and last files' lines.
"""
from __future__ import annotations

import pytest
from test_config_tour81f import train_config_refusal

from rsvlm.config import load_config
from rsvlm.config_bases import line_note, value_blamed
from rsvlm.train.config import TrainConfig
from rsvlm.train.config_checks import check_config


def test_a_sections_base_names_its_line_and_the_files_key(tmp_path):
    (tmp_path / "o.yaml").write_text("eps: 1.0e-8\nlrr: 1\n")
    top = tmp_path / "s.yaml"
    top.write_text("out_dir: runs/x\noptim:\n  base: o.yaml\n  warmupsteps: 3\n")
    said = train_config_refusal(top)
    assert said.startswith(f"{tmp_path / 'o.yaml'} (a base of {top}): unknown keys optim.lrr, optim.warmupsteps")
    assert "(line 2 of o.yaml; optim.warmupsteps at line 4 of s.yaml); valid keys" in said
    assert line_note(top, "optim.eps") == " (line 1 of o.yaml)"


def test_a_bad_value_in_a_sections_base_names_its_line(tmp_path):
    (tmp_path / "o.yaml").write_text("lr: 1.0e-4\nwarmup_steps: many\n")
    top = tmp_path / "s.yaml"
    top.write_text("optim:\n  base: o.yaml\n")
    said = train_config_refusal(top)
    assert said.startswith(f"{tmp_path / 'o.yaml'} (a base of {top}): ") and "(line 2 of o.yaml)" in said


def test_a_chain_of_three_files_names_the_first_and_the_last(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "g.yaml").write_text("clip:\n  text_heads: 3\n")
    (tmp_path / "b.yaml").write_text("base: sub/g.yaml\nobjective: clip\n")
    top = tmp_path / "c.yaml"
    top.write_text("base: b.yaml\ndata: {train: x.jsonl}\nclip:\n  text_width: 64\n")
    with pytest.raises(ValueError) as e:
        check_config(load_config(TrainConfig, top))
    assert value_blamed(str(e.value), top, []) == (
        f"{top}: clip.text_width=64 must be a multiple of clip.text_heads=3 (line 4 of c.yaml; clip.text_heads at "
        "line 2 of g.yaml)")
