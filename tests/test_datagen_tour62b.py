"""Tour 62b (python -m data_gen synth, rebuild, chat): a value given twice on one command line."""

from __future__ import annotations

import pytest

from data_gen.__main__ import main


@pytest.mark.parametrize("words, said", [
    (["--seed", "1", "--seed", "2"], "--seed is given twice: '--seed 1' and '--seed 2'"),
    (["--seed=1", "--seed", "2"], "--seed is given twice: '--seed=1' and '--seed 2'"),
    (["--size", "64", "scene.size=96"], "scene.size is given twice: '--size 64' and 'scene.size=96'"),
    (["scene.size=64", "scene.size=80"], "scene.size is given twice: 'scene.size=64' and 'scene.size=80'"),
])
def test_synth_refuses_a_value_given_twice(tmp_path, capsys, words, said):
    """``--seed 1 --seed 2`` ran seed 2 and ``--size 64 scene.size=96`` size 64, the other value dropped unsaid."""
    with pytest.raises(SystemExit) as e:
        main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", *words])
    assert e.value.code == 2 and said in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_synth_takes_one_value_given_twice_alike(tmp_path):
    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", "--size", "32",
                 "scene.size=32", "--seed", "3", "--seed=3"]) == 0
    assert (tmp_path / "o" / "scenes" / "s3-000000.json").is_file()


@pytest.mark.parametrize("cmd, words", [
    ("rebuild", ["--dir", "D", "--seed", "1", "--seed", "2"]),
    ("rebuild", ["--dir", "D", "instructions.records_per_image=2", "instructions.records_per_image=3"]),
    ("chat", ["--src", "a.jsonl", "--out", "b.jsonl", "--turns", "2", "--turns", "4"]),
])
def test_rebuild_and_chat_refuse_a_value_given_twice(capsys, cmd, words):
    with pytest.raises(SystemExit) as e:
        main([cmd, *words])
    assert e.value.code == 2 and "is given twice" in capsys.readouterr().err


def test_rebuild_of_a_dir_that_is_not_there_says_so_first(tmp_path, capsys):
    """It printed 'instructions from the built-in defaults', then 'no scene JSON files under D/scenes'."""
    assert main(["rebuild", "--no-progress", "--dir", str(tmp_path / "none")]) == 2
    out = capsys.readouterr()
    assert "instructions from" not in out.out and f"--dir {tmp_path / 'none'}: no such folder" in out.err
    (tmp_path / "f").write_text("")
    assert main(["rebuild", "--no-progress", "--dir", str(tmp_path / "f")]) == 2
    assert f"--dir {tmp_path / 'f'}: a file, not the output folder" in capsys.readouterr().err


def test_a_value_given_twice_is_compared_as_the_option_reads_it(tmp_path, capsys):
    """``--seed 1 --seed=01`` and ``--pairs-fraction 0.5 scene.pairs_fraction=.5`` give one value each, yet
    were refused as different texts; of three values the message named the two alike (``--seed 1`` twice)."""
    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", "--size", "32",
                 "--seed", "1", "--seed=01", "--pairs-fraction", "0.5", "scene.pairs_fraction=.5"]) == 0
    with pytest.raises(SystemExit):
        main(["synth", "--out", str(tmp_path / "p"), "--n", "1", "--seed", "1", "--seed", "1", "--seed", "2"])
    assert "--seed is given twice: '--seed 1' and '--seed 2'" in capsys.readouterr().err
    from data_gen.instructions.chat import main as chat_main  # its options: its parser's

    with pytest.raises(SystemExit):
        chat_main(["--src", "a.jsonl", "--out", "b.jsonl", "--seed", "3", "--seed=4"])
    assert "--seed is given twice: '--seed 3' and '--seed=4'" in capsys.readouterr().err
