"""Stop 78 (Q2): the end-of-run save says a library's warnings as the run's own lines; loop.py's export_step and
summarize live in their own modules, still importable from the loop."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTE = ("final/adapter: no rsvlm_base.json written: the base /b has no safetensors weights to fingerprint, so "
        "loading or merging this adapter on another base of the same shapes will not be caught")


class _Engine:
    """save_final's engine: its model's save_pretrained is ``save``, under the gathered weights."""

    def __init__(self, save):
        self.module = SimpleNamespace(save_pretrained=save)

    @contextlib.contextmanager
    def gathered(self):
        yield


def _cfg(tmp_path):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    return load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", [f"out_dir={tmp_path / 'run'}"])


def test_a_warning_of_the_final_save_is_one_run_line_not_pythons_two(tmp_path, capsys):
    """save_pretrained's note on a base of .bin files alone was printed as '…/vlm.py:355: UserWarning: …' and the
    source line, among lines that read '[rsvlm.train] warning: …'."""
    from rsvlm.train.loop import save_final

    def save(out, adapter_only):
        Path(out).mkdir(parents=True)
        warnings.warn(NOTE, stacklevel=2)
        warnings.warn("a second note", stacklevel=2)

    with warnings.catch_warnings():
        warnings.simplefilter("default")  # as a run's: pytest's own recording is not what a user sees
        out = save_final(_Engine(save), _cfg(tmp_path), rank=0)
    err = capsys.readouterr().err
    assert err.splitlines() == [f"[rsvlm.train] warning: {NOTE}", "[rsvlm.train] warning: a second note"]
    assert (out / "train_config.yaml").is_file()  # the rest of the save went on


def test_a_warning_before_a_failed_final_save_is_still_said(tmp_path, capsys):
    from rsvlm.train.loop import save_final

    def save(out, adapter_only):
        warnings.warn(NOTE, stacklevel=2)
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        save_final(_Engine(save), _cfg(tmp_path), rank=0)
    assert capsys.readouterr().err.splitlines() == [f"[rsvlm.train] warning: {NOTE}"]


def test_an_ignored_warning_stays_unsaid_and_other_ranks_save_nothing(tmp_path, capsys):
    from rsvlm.train.loop import save_final

    saved = []

    def save(out, adapter_only):
        saved.append(out)
        Path(out).mkdir(parents=True)
        warnings.warn("library chatter", UserWarning, stacklevel=2)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="library chatter")  # as engine.py's filters for DeepSpeed's
        save_final(_Engine(save), _cfg(tmp_path), rank=0)
        save_final(_Engine(save), _cfg(tmp_path / "r1"), rank=1)
    assert len(saved) == 1 and capsys.readouterr().err == ""


def test_the_moved_names_are_still_the_loops():
    """export_step and summarize moved out of loop.py (495 of 500 lines); tests, docs and scripts/export_step.py
    name them on the loop (test_train_review72 patches loop.build_model under export_step)."""
    from rsvlm.train import export, loop, summary

    assert loop.export_step is export.export_step and loop.summarize is summary.summarize
