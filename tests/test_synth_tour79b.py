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


def _listing(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_rebuild_stopped_at_its_stats_leaves_no_partial_file_and_the_earlier_set_as_it_was(small_set, monkeypatch,
                                                                                             capsys, stop):
    """Ctrl-C or a failed write while the stats were made or written (after the records were closed) left
    k_train/val/test.jsonl.partial behind; a folder named k_stats.json was found only then ("Is a directory")."""
    from data_gen.__main__ import main
    from data_gen.instructions import rebuild

    assert main(["rebuild", "--dir", str(small_set), "--prefix", "k_", "--no-progress"]) == 0
    before = _listing(small_set)

    def stopped(path):
        raise stop("No space left on device") if stop is OSError else stop()

    monkeypatch.setattr(rebuild, "scene_counts", stopped)
    capsys.readouterr()
    rc = main(["rebuild", "--dir", str(small_set), "--prefix", "k_", "--seed", "4", "--no-progress"])
    err = capsys.readouterr().err
    assert (rc, err.count("\n")) == ((130, 1) if stop is KeyboardInterrupt else (2, 1)), err
    assert "no k_train/val/test.jsonl written" in err if stop is KeyboardInterrupt else "No space left" in err
    assert _listing(small_set) == before and not list(small_set.glob("*.partial"))


def test_a_folder_where_a_rebuild_writes_a_file_is_refused_before_the_work(small_set, capsys):
    from data_gen.__main__ import main

    (small_set / "f_stats.json").mkdir()
    assert main(["rebuild", "--dir", str(small_set), "--prefix", "f_", "--no-progress"]) == 2
    assert capsys.readouterr().err == (f"error: {small_set / 'f_stats.json'} is a folder, where this rebuild writes a "
                                       "file: give another --prefix, or move it\n")
    assert not list(small_set.glob("f_*.jsonl*"))


def test_a_prefix_opening_with_a_dot_is_refused_as_it_hides_the_files(small_set, capsys):
    """``--prefix .`` wrote .train.jsonl, .stats.json …, which ls leaves out."""
    from data_gen.__main__ import main

    assert main(["rebuild", "--dir", str(small_set), "--prefix", ".", "--no-progress"]) == 2
    assert "prefix '.' opens with '.': the files would be hidden ('.train.jsonl' …)" in capsys.readouterr().err
    assert not list(small_set.glob(".*"))


def test_ctrl_c_after_a_rebuilds_files_are_written_says_they_are_whole(small_set, monkeypatch, capsys):
    """Said 'no k_train/val/test.jsonl written … (any earlier ones are as they were)' of files just replaced."""
    from data_gen.__main__ import main
    from data_gen.instructions import rebuild

    def stopped(report):
        raise KeyboardInterrupt

    monkeypatch.setattr(rebuild, "format_report", stopped)
    assert main(["rebuild", "--dir", str(small_set), "--prefix", "w_", "--no-progress"]) == 130
    assert capsys.readouterr().err == (f"interrupted: {small_set} holds the whole w_train/val/test.jsonl and "
                                       "w_stats.json; the report and notes after them not printed\n")
    assert _ids(small_set / "w_train.jsonl") and (small_set / "w_stats.json").is_file()


@pytest.mark.parametrize("option", ["--src", "--out"])
def test_chat_refuses_an_empty_src_or_out_by_name(small_set, capsys, option):
    """``--out ''`` said "--out  is a folder; give a file", ``--src ''`` "records file . is a folder"."""
    from data_gen.__main__ import main

    paths = {"--src": str(small_set / "train.jsonl"), "--out": str(small_set / "c.jsonl"), option: ""}
    assert main(["chat", *(w for kv in paths.items() for w in kv), "--no-progress"]) == 2
    assert capsys.readouterr().err == (f"error: {option} is empty; give a records file (e.g. DIR/train.jsonl, "
                                       "DIR/chat.jsonl)\n")


def test_chat_with_turns_past_int64_chains_as_with_no_cap(small_set, tmp_path, capsys):
    """``--turns 10**23`` ended in numpy's "error: high is out of bounds for int64"."""
    from data_gen.__main__ import main

    outs = []
    for turns in (str(10**23), str(2**63 - 2)):
        outs.append(tmp_path / f"c{len(outs)}.jsonl")
        assert main(["chat", "--src", str(small_set / "train.jsonl"), "--out", str(outs[-1]), "--turns", turns,
                     "--no-progress"]) == 0, capsys.readouterr().err
    assert outs[0].read_text() == outs[1].read_text() != ""


def test_preview_refuses_an_empty_out_instead_of_drawing_into_the_current_folder(small_set, tmp_path, monkeypatch,
                                                                                 capsys):
    """``--out ''`` wrote every panel into the folder it was run from (synth refuses an empty --out)."""
    from data_gen.synth.preview import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["--dir", str(small_set), "--out", ""])
    assert e.value.code == 2 and "--out is empty (it would write into the current folder)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
