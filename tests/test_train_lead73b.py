"""Stop 73, area train: counted messages agree with their count (rsvlm.progress.counted / plural, the project's one
rule): '1 process(es)', '1 GPU(s) are visible', 'unknown key(s) x', '1 stage(s)' read '1 process', '1 GPU is
visible', 'unknown key x', '1 stage', and the plural for more."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_no_message_of_the_training_files_counts_in_brackets():
    """The messages of the trainer's checks, the config hints, launch.py and the build scripts."""
    files = [REPO / "rsvlm" / "train" / f"{n}.py" for n in ("run", "init_from", "checkpoint", "clip_ckpt")]
    files += [REPO / "rsvlm" / "config_hints.py", REPO / "scripts" / "launch.py",
              *(REPO / "scripts").glob("build_*.py")]
    found = [f"{f.relative_to(REPO)}:{node.lineno}" for f in files for node in ast.walk(ast.parse(f.read_text()))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and re.search(r"[A-Za-z]\((?:s|es)\)", node.value)]
    assert found == []


@pytest.mark.parametrize("saved, says", [(1, "was saved by 1 process and this run has 2; resume with 1"),
                                         (2, "was saved by 2 processes and this run has 1; resume with 2")])
def test_a_step_folder_of_another_world_names_its_processes_in_agreement(saved, says, tmp_path):
    from rsvlm.train import checkpoint as ckpt

    for rank in range(saved):
        (tmp_path / f"trainer_state_rank{rank}.json").write_text("{}")
    with pytest.raises(ValueError, match=re.escape(says)):
        ckpt.check_world(tmp_path, 3 - saved)


def test_unknown_keys_are_one_key_or_keys(tmp_path):
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    for text, says in (("max_stepz: 3\n", "unknown key max_stepz for TrainConfig"),
                       ("max_stepz: 3\nlrr: 1\n", "unknown keys lrr, max_stepz for TrainConfig")):
        (p := tmp_path / "r.yaml").write_text(text)
        with pytest.raises(ConfigError) as e:
            load_config(TrainConfig, p)
        assert says in str(e.value), str(e.value)
