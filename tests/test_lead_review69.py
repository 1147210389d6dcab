"""Review of stop 69's lead follow-ups (E3): ``rsvlm train``'s config warnings are its own one line on rank 0 and
no Python warning besides on any rank, and a library's DeprecationWarning met while the config is read is left to
the warning filters (ignored by default), not said as an ``rsvlm train: warning:`` line."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _train(tmp_path, *overrides: str) -> int:
    from rsvlm.train import main

    return main(["--config", str(REPO / "configs/train/sft_tiny.yaml"), *overrides,
                 f"data.train={tmp_path}/none.jsonl"])  # refused by preflight, right after the config is read


@pytest.mark.parametrize("rank", ["0", "1"])
def test_an_override_warning_is_no_python_warning_on_any_rank(rank, tmp_path, monkeypatch, capsys):
    """Under pytest a Python warning never reaches stderr, so rank 1's "no line" alone held without the fix: the
    warning must not leave ``main`` as a warning either (it did, printed by Python on every rank)."""
    monkeypatch.setenv("RANK", rank)
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        assert _train(tmp_path, f"out_dir={tmp_path}/a,max_steps=3") == 2
    assert not [w for w in escaped if "out_dir is set to the one text" in str(w.message)], escaped
    said = [line for line in capsys.readouterr().err.splitlines() if "out_dir is set to the one text" in line]
    assert len(said) == (rank == "0"), said


def test_a_library_deprecation_while_the_config_is_read_is_not_said(tmp_path, monkeypatch, capsys):
    """fa9c2ec1 recorded every warning with simplefilter("always"): a DeprecationWarning a library gives (ignored by
    Python's default filters, and by cli's WarningLines) became an ``rsvlm train: warning:`` line."""
    import rsvlm.config

    real = rsvlm.config.load_config

    def load_config(*args, **kwargs):
        warnings.warn("pkg.old_api is deprecated", DeprecationWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(rsvlm.config, "load_config", load_config)
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("ignore", DeprecationWarning)  # Python's default for a library's
        assert _train(tmp_path, f"out_dir={tmp_path}/a,max_steps=3") == 2
    err = capsys.readouterr().err
    assert "deprecated" not in err, err
    assert "rsvlm train: warning: override" in err, err  # the override's own still said
