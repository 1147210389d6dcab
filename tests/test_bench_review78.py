"""Review of bench/ (stop 78): answer_memory's --baseline refusal names what the folder lacks and a hint that runs."""

from __future__ import annotations

import pytest
from script_loader import load_bench


def answer_memory_refusal(monkeypatch, capsys, argv: list[str]) -> str | None:
    """answer_memory's usage error on ``argv``, or None where it went on to write its files (stopped there)."""
    mod = load_bench("answer_memory", monkeypatch)
    monkeypatch.setattr(mod, "write_files", lambda *a: (_ for _ in ()).throw(RuntimeError("went on")))
    try:
        mod.main(argv)
    except SystemExit as e:
        assert e.code == 2
        return capsys.readouterr().err
    except RuntimeError:
        return None
    raise AssertionError("neither refused nor went on")


def test_answer_memory_baseline_refusals_say_what_is_missing(tmp_path, monkeypatch, capsys):
    """review 78: a --baseline that did not exist was told "no rsvlm/ in it", and its hint's `tar -x -C DIR` fails
    on a folder not made; one with rsvlm/ and no eval/ measured load_predictions with this checkout's eval (every
    ratio about 1.00x, unsaid)."""
    gone = tmp_path / "gone"
    err = answer_memory_refusal(monkeypatch, capsys, ["--baseline", str(gone)])
    assert f"--baseline {gone}: no such folder (make one: mkdir -p {gone} && git archive COMMIT rsvlm eval" in err
    old = tmp_path / "old"
    (old / "rsvlm").mkdir(parents=True)
    (old / "rsvlm" / "__init__.py").write_text("")
    err = answer_memory_refusal(monkeypatch, capsys, ["--baseline", str(old)])
    assert f"--baseline {old}: no eval/ in it" in err
    assert answer_memory_refusal(monkeypatch, capsys, ["--baseline", str(old), "--cases", "answered_ids"]) is None
    (old / "eval").mkdir()
    (old / "eval" / "__init__.py").write_text("")
    assert answer_memory_refusal(monkeypatch, capsys, ["--baseline", str(old)]) is None


@pytest.mark.parametrize("flag", ["--repeats", "--lines", "--ranks"])
def test_answer_memory_refuses_none_of_a_count(flag, monkeypatch, capsys):
    """--repeats 0 was an IndexError after the files were written (4925aa11 refused it, untested)."""
    assert f"{flag} 0: give 1 or more" in answer_memory_refusal(monkeypatch, capsys, [flag, "0"])
