"""rsvlm.processes toured (tour 59): the launcher's variables, garbage and inconsistent."""

from __future__ import annotations

import pytest

from rsvlm.processes import env_int, process_rank


@pytest.mark.parametrize("value", ["1_0", "٣", "²", "0x2", "2.0"])
def test_a_launcher_variable_is_ascii_digits_only(value):
    # '1_0' was WORLD_SIZE 10 and '٣' (an Arabic-Indic three) RANK 3: int() takes both
    with pytest.raises(ValueError, match=f"^WORLD_SIZE='{value}' is not a whole number"):
        process_rank({"WORLD_SIZE": value})
    assert env_int("WORLD_SIZE", 1, env={"WORLD_SIZE": " +4 "}) == 4


def test_rank_without_world_size_says_world_size_is_unset():
    # was 'RANK=1 is outside 0…0 (WORLD_SIZE=1)', a WORLD_SIZE the user never gave
    with pytest.raises(ValueError, match=r"^RANK=1 is set but WORLD_SIZE is not \(one process, rank 0\)"):
        process_rank({"RANK": "1"})
    with pytest.raises(ValueError, match=r"^RANK=1 is outside 0…0 \(WORLD_SIZE=1\)$"):
        process_rank({"RANK": "1", "WORLD_SIZE": "1"})
    assert process_rank({"RANK": "0"}) == (0, 1)


def test_stop_on_term_takes_its_handler_away_where_the_previous_one_was_not_pythons(monkeypatch):
    import signal

    from rsvlm.processes import StopOnTerm

    real = signal.signal
    monkeypatch.setattr(signal, "signal", lambda sig, handler: [real(sig, handler), None][1])  # as C code's handler
    try:
        with StopOnTerm() as stop:
            assert signal.getsignal(signal.SIGTERM) == stop._on_term
        # was left installed: a SIGTERM after the run raised Terminated wherever the program then was
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        real(signal.SIGTERM, signal.SIG_DFL)
