"""Stop 79's second tour of data_gen's rebuild and chat: a rebuild's records read beside synth's repeat no id."""

from __future__ import annotations

import json

import pytest


def _ids(path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    """A synth set of 3 scenes at 32 px, optical alone, 2 records an image."""
    from data_gen.__main__ import main

    out = tmp_path_factory.mktemp("set")
    assert main(["synth", "--out", str(out), "--n", "3", "--size", "32", "--modalities", "optical", "--no-progress",
                 "scene.pairs_fraction=0"]) == 0
    return out


def test_a_prefixed_rebuild_read_beside_synths_records_repeats_no_id(small_set, capsys):
    """``rebuild --prefix r_`` kept synth's ids, so training on train.jsonl and r_train.jsonl (data.extra) read every
    id twice ("48 kept with an id already read"); its ids now open with the prefix, its records otherwise synth's."""
    from data_gen.__main__ import main
    from rsvlm.data.records import ReadReport, read_records

    assert main(["rebuild", "--dir", str(small_set), "--prefix", "r_", "--no-progress"]) == 0
    capsys.readouterr()
    synths, rebuilt = small_set / "train.jsonl", small_set / "r_train.jsonl"
    assert _ids(rebuilt) == [f"r_{i}" for i in _ids(synths)] != []
    report = ReadReport("both")
    for path in (synths, rebuilt):
        list(read_records(path, report=report))
    assert report.duplicates == 0 and report.first_duplicate is None
    assert rebuilt.read_text() == synths.read_text().replace('{"id":"', '{"id":"r_')  # the same seed: synth's records


def test_two_prefixes_give_two_sets_of_ids_and_the_same_prefix_again_the_same(small_set, capsys):
    from data_gen.__main__ import main

    ids = []
    for prefix in ("a_", "b_", "a_"):
        assert main(["rebuild", "--dir", str(small_set), "--prefix", prefix, "--seed", "1", "--no-progress"]) == 0
        capsys.readouterr()
        ids.append(_ids(small_set / f"{prefix}train.jsonl"))
    assert ids[0] == ids[2] != [] and not set(ids[0]) & set(ids[1])
    assert all(i.startswith("a_s0-") for i in ids[0]) and all(i.startswith("b_s0-") for i in ids[1])
