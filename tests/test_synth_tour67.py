"""Stop 67, area synth: synthetic scenes, preview and rebuild as a demanding user runs them."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory):
    """Two tiny sets of the same seed (so the same scene ids): ``a`` of single scenes, ``b`` of pairs only."""
    from data_gen.instructions.build import load_with_tasks
    from data_gen.synth.run import synthesize

    root = tmp_path_factory.mktemp("sets")
    for name, pairs in (("a", 0.0), ("b", 1.0)):
        cfg = load_with_tasks(None, ["scene.size=32", f"scene.pairs_fraction={pairs}", 'modalities=["ir"]'], None)
        synthesize(root / name, 2, seed=0, cfg=cfg, progress=False, verbose=False)
    return root


def test_synth_config_in_out_says_why_and_what_to_do(tmp_path, capsys):
    # --config proj/config.yaml --out proj: "holds config.yaml that no synth run wrote … remove them first", which
    # would remove the very config the run was given
    from data_gen.__main__ import main

    proj = tmp_path / "proj"
    proj.mkdir()
    mine = "# my project\nscene:\n  size: 32\nmodalities: [ir]\n"
    (proj / "config.yaml").write_text(mine)
    argv = ["synth", "--config", str(proj / "config.yaml"), "--out", str(proj), "--n", "1", "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--config {proj / 'config.yaml'}: this run writes the config it resolved to" in err
    assert f"--out {proj / 'data'}" in err and f"mv {proj / 'config.yaml'} {proj / 'data.yaml'}" in err
    assert (proj / "config.yaml").read_text() == mine and not (proj / "scenes").exists()
    (proj / "config.yaml").rename(proj / "data.yaml")  # as it says: then the run is made, its config beside it
    assert main(["synth", "--config", str(proj / "data.yaml"), "--out", str(proj), "--n", "1", "--no-progress"]) == 0
    assert (proj / "data.yaml").read_text() == mine and (proj / "config.yaml").is_file()
    # a set synth made: its own resolved config given back to it is fine (a run made again with a change)
    assert main(["synth", "--config", str(proj / "config.yaml"), "--out", str(proj), "--n", "1", "--no-progress"]) == 0


def test_preview_refuses_another_sets_scene_json(two_sets, tmp_path, capsys):
    # --dir a --scenes b/scenes/s0-000000.json drew a's scene of that id (a single scene, not b's pair), exit 0
    from data_gen.synth.preview import main as preview

    a, b = two_sets / "a", two_sets / "b"
    out = tmp_path / "pv"
    assert preview(["--dir", str(a), "--out", str(out), "--scenes", str(b / "scenes" / "s0-000000.json")]) == 2
    err = capsys.readouterr().err
    assert "a scene JSON of another folder than" in err and f"(--dir {b})" in err
    assert not out.exists() or not any(out.iterdir())
    # its own JSON file, by any path, and scenes/NAME.json as ls in --dir shows it, still name its scenes
    given = f"{a / 'scenes' / 's0-000000.json'},scenes/s0-000001.json"
    assert preview(["--dir", str(a), "--out", str(out), "--scenes", given, "--scale", "1"]) == 0
    assert len(capsys.readouterr().out.split()) == 2


def test_rebuild_notes_change_records_it_could_not_make(two_sets, capsys):
    # a rebuild of a set without pairs, change weighted beside det: no change record and no word of why (synth says)
    from data_gen.instructions.rebuild import main as rebuild

    a = two_sets / "a"
    assert rebuild(["--dir", str(a), "--prefix", "cd_", "--tasks", "change,det", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"none of the 2 scenes under {a / 'scenes'} is a pair, which change records need: none was made" in err
    assert rebuild(["--dir", str(two_sets / "b"), "--prefix", "cd_", "--tasks", "change,det", "--no-progress"]) == 0
    assert "change records need" not in capsys.readouterr().err  # pairs there: change records made
    assert rebuild(["--dir", str(a), "--prefix", "det_", "--tasks", "det", "--no-progress"]) == 0
    assert "change records need" not in capsys.readouterr().err  # none asked for


def test_nan_given_once_is_not_given_twice(tmp_path, capsys):
    # --pairs-fraction nan: "--pairs-fraction is given twice: '--pairs-fraction nan' and '--pairs-fraction nan'"
    # (nan != nan), a usage error instead of the range error naming the value
    from data_gen.__main__ import main

    argv = ["synth", "--out", str(tmp_path / "o"), "--n", "1", "--size", "32", "--no-progress", "--pairs-fraction", "nan"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "given twice" not in err and "--pairs-fraction nan must be in [0, 1]" in err
    with pytest.raises(SystemExit):  # a different value beside it is still two values
        main([*argv, "scene.pairs_fraction=0.5"])
    assert "is given twice: '--pairs-fraction nan' and 'scene.pairs_fraction=0.5'" in capsys.readouterr().err


def test_a_messages_record_is_told_to_name_its_key_conversations(tmp_path):
    # a ShareGPT / OpenAI style record ("messages": role/content turns) was "field 'conversations': missing or
    # empty", though renaming the key is all it needs
    from conftest import write_jsonl

    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import read_records

    turns = [{"role": "user", "content": "<image>\nWhat is it?"}, {"role": "assistant", "content": "a ship"}]
    path = write_jsonl(tmp_path / "r.jsonl", [{"id": "m", "images": ["x.png"], "messages": turns},
                                              {"id": "c", "images": ["x.png"], "conversations": turns}])
    report = ReadReport(path)
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["c"]  # renamed: read
    assert report.examples == [f"{path}:1 (id m): field 'conversations': missing or empty (the record has "
                               "'messages': name that key 'conversations'; role/content turns are read)"]


@pytest.mark.parametrize("prefix", [" ", "stage1_ ", "\tx_"])
def test_rebuild_refuses_a_prefix_of_white_space(two_sets, prefix, capsys):
    # --prefix ' ' wrote " train.jsonl" … beside synth's train.jsonl (which a prefix of '' is refused over), exit 0
    from data_gen.instructions.rebuild import main as rebuild

    a = two_sets / "a"
    assert rebuild(["--dir", str(a), "--prefix", prefix, "--no-progress"]) == 2
    assert f"prefix {prefix!r} begins or ends with white space" in capsys.readouterr().err
    assert not list(a.glob(f"{prefix}*"))


@pytest.mark.parametrize("text, noted", [("# my settings, to come\n\n", True), ("{}\n", True), ("---\n", True),
                                         ("scene:\n  size: 32  # a setting\n", False)])
def test_synth_notes_a_config_file_with_no_settings(tmp_path, text, noted, capsys):
    # an empty --config (cut short, saved blank) made a set of the built-in defaults, exit 0, unsaid; {} and a bare
    # --- (read as YAML, they set nothing) went unsaid too: a line test took them for settings
    from data_gen.__main__ import main

    conf = tmp_path / "c.yaml"
    conf.write_text(text)
    argv = ["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", "--size", "32", "--modalities", "ir"]
    assert main([*argv, "--config", str(conf)]) == 0
    said = f"note: --config {conf} holds no settings (empty, or comments only)" in capsys.readouterr().err
    assert said == noted


def test_preview_whose_reader_closed_stdout_draws_every_scene(two_sets, tmp_path):
    # python -m data_gen.synth.preview … | head -1: BrokenPipeError's traceback at the second path printed, and the
    # scenes after it were not drawn
    import subprocess
    import sys

    from conftest import REPO

    out = tmp_path / "pv"
    cmd = [sys.executable, "-m", "data_gen.synth.preview", "--dir", str(two_sets / "b"), "--out", str(out), "--scale", "1",
           "--scenes", "s0-000000,s0-000001"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # the reader gone before the first line
    err = proc.stderr.read()
    assert proc.wait() == 0, err
    assert "Traceback" not in err and "standard output was closed by its reader; the run went on" in err
    assert sorted(p.name.rsplit("_", 1)[-1] for p in out.iterdir()) == ["s0-000000.png", "s0-000001.png"]


@pytest.mark.parametrize("word, said", [("preview", "python -m data_gen.synth.preview --dir DIR --out FOLDER"),
                                        ("stats", "kept in DIR/stats.json")])
def test_data_gen_names_where_preview_and_stats_are(word, said, capsys):
    # python -m data_gen preview: "unknown command 'preview'", nothing of the preview module docs/data.md shows
    from data_gen.__main__ import main

    assert main([word, "--dir", "x"]) == 2
    err = capsys.readouterr().err
    assert f"error: unknown command {word!r}; " in err and said in err


def test_chat_out_named_gz_is_gzip(two_sets, tmp_path):
    # --out chat.jsonl.gz was plain text under a gzip name: zcat and gzip.open said "not a gzipped file"
    import gzip

    from data_gen.instructions.chat import main as chat

    src = str(two_sets / "b" / "train.jsonl")
    assert chat(["--src", src, "--out", str(tmp_path / "c.jsonl"), "--no-progress"]) == 0
    assert chat(["--src", src, "--out", str(tmp_path / "c.jsonl.gz"), "--no-progress"]) == 0
    packed = (tmp_path / "c.jsonl.gz").read_bytes()
    assert gzip.decompress(packed) == (tmp_path / "c.jsonl").read_bytes() != b""
    assert chat(["--src", src, "--out", str(tmp_path / "c.jsonl.gz"), "--no-progress"]) == 0
    assert (tmp_path / "c.jsonl.gz").read_bytes() == packed  # no time stamp in it


def test_a_modality_of_another_case_in_the_config_names_its_lower_case(tmp_path, capsys):
    # --modalities SAR is taken, modalities: [SAR] in a config was "each must be of optical, …", naming no culprit
    from data_gen.__main__ import main

    argv = ["synth", "--out", str(tmp_path / "o"), "--n", "1", "--size", "32", "--no-progress"]
    assert main([*argv, "modalities=[SAR, optical, rgb]"]) == 2
    assert ("modalities ['SAR', 'optical', 'rgb']: each must be one of optical, msi, sar, ir ('SAR', 'rgb' are not; "
            "in lower case: sar)") in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_preview_of_a_dir_that_is_no_folder_says_so(tmp_path, capsys):
    # preview --dir nope: "no scene JSON files under nope/scenes", as if a set were there without scenes
    from data_gen.synth.preview import main as preview

    (tmp_path / "f.json").write_text("{}")
    for d, why in ((tmp_path / "nope", "no folder here"), (tmp_path / "f.json", "a file, not a folder")):
        assert preview(["--dir", str(d), "--out", str(tmp_path / "pv")]) == 2
        assert f": --dir {d} is {why}; give the output folder of `python -m data_gen synth`" in capsys.readouterr().err
    assert not (tmp_path / "pv").exists()
