"""Review of tour 60's evaluation work: ``rsvlm eval`` rerun without loading the model (80801cd) where a
record is left to answer as ``run`` sees it (error rows, stale rows, a last line without its newline), and
docs/eval-run.md on the stamp's ``unchecked_answers``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("last", [
    {"asked_digest": "0" * 16},  # asked otherwise since
    {"asked_digest": None},  # no digest: an older rsvlm eval's
    {"answer": "", "error": "image not read", "inputs_digest": "0" * 16},  # its image changed since
    {"answer": "", "error": "image not read"},  # an older rsvlm eval's error row
])
def test_a_rerun_loads_the_model_for_a_stale_or_error_row(tmp_path, monkeypatch, capsys, last):
    """Each such row is answered again by run, so the model is needed."""
    from conftest import finished_eval, write_jsonl

    from rsvlm.cli import main

    argv, out, rows, loads = finished_eval(tmp_path, monkeypatch)
    row = {k: v for k, v in {**rows[1], **last}.items() if v is not None}
    write_jsonl(out, [rows[0], row])
    assert main(argv) == 2 and len(loads) == 1, capsys.readouterr().err
    assert "stand-in: no model here" in capsys.readouterr().err


def test_a_rerun_whose_last_line_lacks_its_newline_loads_the_model(tmp_path, monkeypatch, capsys):
    """A file whose last line has no newline (an editor that writes none, where a user deleted error rows as the
    docs say to; a kill between the row and its newline): run drops that line as cut and answers its record again,
    so the model is needed. The look before the load read the line as an answer, so no model was loaded and run
    called answer_batch with None for one: AttributeError."""
    from conftest import finished_eval

    from rsvlm.cli import main

    argv, out, rows, loads = finished_eval(tmp_path, monkeypatch)
    out.write_text("".join(json.dumps(r) + "\n" for r in rows).rstrip("\n"))
    assert main(argv) == 2 and len(loads) == 1, capsys.readouterr().err
    assert "stand-in: no model here" in capsys.readouterr().err


def test_eval_run_md_says_a_stale_digest_lowers_the_unchecked_count():
    """8c49ff4 drops unchecked_answers by the rows with a stale asked_digest too; the page said only "for want of
    an asked_digest"."""
    text = " ".join((REPO / "docs" / "eval-run.md").read_text().split())
    assert "for want of an `asked_digest` or for a stale one" in text


def test_eval_md_says_which_task_names_n_pred_other_task_leaves_out():
    """755cec2 leaves predictions whose task is blank or "chat" out of n_pred_other_task, as null; the score file
    table said only "name a task which is no rsvlm task", which "" and "chat" are."""
    row = next(line for line in (REPO / "docs" / "eval.md").read_text().splitlines()
               if line.startswith("| `n_pred_other_task` |"))
    assert "blank or `chat` names none" in row
