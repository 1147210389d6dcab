"""Training, tour 65: what a resume says moves the data position, did-you-mean for override keys, odd runs."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("before, after, said, moved", [
    # another image root for one file: its records, their lengths and weights are as they were
    ("[{path: b.jsonl}, {path: c.jsonl}]", "[{path: b.jsonl, root: /imgs}, {path: c.jsonl}]",
     "data.extra[b.jsonl].root: None → '/imgs'", None),
    ("[{path: b.jsonl}]", "[{path: b.jsonl}, {path: c.jsonl, root: /imgs}]",
     "data.extra files: ['b.jsonl'] → ['b.jsonl', 'c.jsonl']", "data.extra files moves"),
    ("[{path: b.jsonl}, {path: c.jsonl}]", "[{path: c.jsonl}, {path: b.jsonl, root: /imgs}]",
     "data.extra files: ['b.jsonl', 'c.jsonl'] → ['c.jsonl', 'b.jsonl']; data.extra[b.jsonl].root",
     "data.extra files moves"),
    ("[{path: b.jsonl}, {path: c.jsonl}]", "[{path: b.jsonl, weight: 2}, {path: c.jsonl, root: /imgs}]",
     "data.extra[b.jsonl].weight: 1.0 → 2.0; data.extra[c.jsonl].root: None → '/imgs'",
     "data.extra[b.jsonl].weight moves")])
@pytest.mark.parametrize("objective", ["lm", "clip"])
def test_a_resume_says_which_change_to_data_extra_moves_the_data_position(tmp_path, capsys, objective, before,
                                                                          after, said, moved):
    """data.extra was compared whole: another image root for one of its files was said to move the data position
    ('data.extra: [{...}, {...}] → [...]'), though the records, their lengths and their draw weights were the same."""
    from rsvlm.config import load_config, save_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_changes

    base = [f"objective={objective}", "data.train=t.jsonl"]
    save_config(load_config(TrainConfig, None, [*base, f"data.extra={before}"]), tmp_path / "train_config.yaml")
    check_changes(tmp_path, load_config(TrainConfig, None, [*base, f"data.extra={after}"]), 0)
    err = capsys.readouterr().err
    assert said in err and "data.extra: [" not in err, err
    if moved is None:
        assert "data position" not in err, err
    else:
        assert f"; {moved} the data position" in err, err
