"""``rsvlm train``'s config warnings (an override holding ``,KEY=``): one line, said by rank 0 alone, as its other
refusals are; they came as Python's two-line ``UserWarning`` from every rank."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("rank", ["0", "1"])
def test_an_override_warning_is_one_line_from_rank_0(rank, tmp_path, monkeypatch, capsys):
    from rsvlm.train import main

    monkeypatch.setenv("RANK", rank)
    rc = main(["--config", str(REPO / "configs/train/sft_tiny.yaml"), f"out_dir={tmp_path}/a,max_steps=3",
               f"data.train={tmp_path}/none.jsonl"])  # refused by preflight, right after the config is read
    err = capsys.readouterr().err
    assert rc == 2
    ours = [line for line in err.splitlines() if "out_dir is set to the one text" in line]
    if rank == "0":
        assert len(ours) == 1 and ours[0].startswith("rsvlm train: warning: override "), err
        assert "UserWarning" not in err and "cfg = load_config" not in err
    else:
        assert ours == [] and "UserWarning" not in err, err


def test_chat_s_line_that_is_no_utf8_says_how_to_convert_a_questions_file(ckpt, geotiff, monkeypatch, capsys):
    """Chat's strict-stdin branch said only "set the terminal", wrong advice where questions are piped from a file;
    it now says what ``rsvlm.inference.tagged`` says of the same case."""
    from test_chat_tour54 import chat_main

    strict = UnicodeDecodeError("utf-8", b"caf\xe9", 3, 4, "invalid continuation byte")
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"],
                     [strict, "[cls] scene?"], monkeypatch) == 1  # piped, a line failed: said, status 1
    said = capsys.readouterr().out
    # stop 80: the error's bytes are read again, and the line refused as tagged refuses it
    assert "error: the question is not UTF-8 text (byte 0xe9 at byte 3): set the terminal to UTF-8, or, where the " \
           "questions come from a file, convert that file to UTF-8 first (from Latin-1: iconv -f latin1 -t utf-8 q.txt" \
           in said


def test_launch_says_an_override_warning_in_one_line(tmp_path, capsys):
    """scripts/launch.py reads the recipe with the user's overrides as the ranks do; an override holding ``,KEY=``
    was warned of in Python's two-line ``UserWarning`` form there, before rank 0 said it again in one line."""
    import warnings

    from conftest import load_script

    launch = load_script("launch")
    recipe = REPO / "configs" / "train" / "recipes" / "qwen2.5-1.5b-sft.yaml"
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        rc = launch.main([str(recipe), "--dry-run", f"out_dir={tmp_path}/a,max_steps=3"])
    err = capsys.readouterr().err
    ours = [line for line in err.splitlines() if "out_dir is set to the one text" in line]
    assert len(ours) == 1 and ours[0].startswith("launch: warning: override "), (rc, err)
    assert not [w for w in leaked if "out_dir is set to" in str(w.message)]
