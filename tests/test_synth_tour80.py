"""Stop 80's tour of data_gen's rebuild and synth: a --prefix unsafe in file names and ids is refused, and a
--config file of another kind (a training recipe) is named as that kind."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    """A synth set of 2 scenes at 32 px, optical alone."""
    from data_gen.__main__ import main

    out = tmp_path_factory.mktemp("set")
    assert main(["synth", "--out", str(out), "--n", "2", "--size", "32", "--modalities", "optical", "--no-progress",
                 "scene.pairs_fraction=0"]) == 0
    return out


@pytest.mark.parametrize(("prefix", "said"), [("stage 1_", "a space"), ("a:b_", "':'"), ('x"y', "'\"'"),
                                              ("r*", "'*'")])
def test_rebuild_refuses_a_prefix_with_characters_unsafe_in_file_names_and_ids(small_set, prefix, said, capsys):
    """``--prefix 'stage 1_'`` wrote 'stage 1_train.jsonl' and ids 'stage 1_s0-…' with exit 0; now it is refused
    before any file is written, naming the character and a prefix that would do."""
    from data_gen.__main__ import main

    capsys.readouterr()
    assert main(["rebuild", "--dir", str(small_set), "--prefix", prefix, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"prefix {prefix!r} holds {said}:" in err
    assert "use letters, digits, '_', '-' and '.' alone" in err
    assert not [p for p in small_set.iterdir() if p.name.startswith(prefix)]


def test_rebuild_keeps_a_prefix_of_letters_digits_dots_and_dashes(small_set, capsys):
    from data_gen.__main__ import main

    assert main(["rebuild", "--dir", str(small_set), "--prefix", "v1.2-étape_", "--no-progress"]) == 0
    capsys.readouterr()
    assert (small_set / "v1.2-étape_train.jsonl").is_file()


def test_prefix_problem_offers_a_prefix_it_would_keep():
    from data_gen.instructions.rebuild import prefix_problem

    said = prefix_problem("stage 1_")
    offered = said.rsplit("e.g. ", 1)[1].strip("'")
    assert offered == "stage_1_" and prefix_problem(offered) == ""


@pytest.mark.parametrize(("config", "kind"), [
    ("configs/train/sft_tiny.yaml", "a training recipe, for `rsvlm train --config configs/train/sft_tiny.yaml`"),
    ("configs/default/sft_chat.yaml", "a training recipe"),
    ("configs/model/tiny.yaml", "a model config"),
    ("configs/deepspeed/zero2.json", "a DeepSpeed config"),
    ("configs/default/build.yaml", "the default model's build settings"),
])
@pytest.mark.parametrize("command", ["rebuild", "synth"])
def test_a_config_of_another_kind_is_named_as_that_kind(small_set, tmp_path, config, kind, command, capsys,
                                                        monkeypatch):
    """``rebuild --config configs/train/sft_tiny.yaml`` listed the unknown keys alone ("unknown keys batch_size,
    ckpt, … for SynthConfig"); the refusal now ends with what the file is and what to give."""
    from data_gen.__main__ import main

    monkeypatch.chdir(REPO)
    args = (["--dir", str(small_set), "--prefix", "k_"] if command == "rebuild"
            else ["--out", str(tmp_path / "s"), "--n", "1", "--size", "32"])
    capsys.readouterr()
    assert main([command, *args, "--config", config, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "for SynthConfig" in err  # the loader's own refusal stays first
    assert f"; {config} is {kind}" in err and "not a data config: give configs/data/NAME.yaml" in err


def test_a_data_config_with_a_stray_key_is_not_called_another_kind(tmp_path):
    """A data config with a typo beside its sections is no recipe: only the loader's refusal is said."""
    from data_gen.argv import error_line, other_file

    cfg = tmp_path / "d.yaml"
    cfg.write_text("scene: {size: 32}\noptim: {lr: 1}\nmax_steps: 3\n")
    assert other_file(str(cfg)) == ""
    assert error_line(ValueError("x: unknown keys max_steps for SynthConfig"), str(cfg)).endswith("SynthConfig")
    (tmp_path / "bad.yaml").write_text("[1, 2\n")
    assert other_file(str(tmp_path / "bad.yaml")) == ""


def test_preview_help_says_what_it_draws(capsys):
    """``python -m data_gen.synth.preview --help`` went from its usage straight to the options."""
    from data_gen.synth.preview import main

    with pytest.raises(SystemExit) as e:
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert e.value.code == 0
    assert "Overlay PNGs of written synthetic scenes" in out and "pairs add a second row for t1" in out
