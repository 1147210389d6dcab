"""Rough edges of configs, conversation formatting and the training data pipeline (tour 51)."""

from __future__ import annotations

from rsvlm.train.data import view_of


def test_a_text_only_record_in_an_augmented_run_is_taken_as_recorded():
    msgs = [{"role": "user", "content": "Which way does the river flow, left or right?"},
            {"role": "assistant", "content": "left"}]
    for view in ("h", "v", "t"):  # flip_view read images[0]: an IndexError ended the DataLoader
        assert view_of([], msgs, view) == ([], msgs)
