"""Review of stop 67, area synth: preview's --scenes path to no file, and the synth command a rebuild over a
cut-short scene JSON names (the set's own seed and --n, read from its scene files). A --config of {} or --- is
test_synth_tour67's test of a config with no settings."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def seed3(tmp_path_factory):
    """A tiny set of seed 3 (scene ids s3-000000 … s3-000002), made by the command line."""
    from data_gen.__main__ import main

    out = tmp_path_factory.mktemp("review") / "set"
    argv = ["synth", "--out", str(out), "--n", "3", "--seed", "3", "--size", "32", "--modalities", "ir", "--no-progress"]
    assert main(argv) == 0
    return out


def test_preview_json_path_to_no_file_is_said_so(seed3, tmp_path, capsys):
    # --scenes /typo/s3-000000.json: "a scene JSON of another folder …; give --dir the set it belongs to", a set
    # that is not there
    from data_gen.synth.preview import main as preview

    typo = tmp_path / "typo" / "scenes" / "s3-000000.json"
    assert preview(["--dir", str(seed3), "--out", str(tmp_path / "pv"), "--scenes", str(typo)]) == 2
    err = capsys.readouterr().err
    assert f"error: --scenes {typo}: no such file; name a scene of --dir by its id" in err
    assert "another folder" not in err and f"(first under {seed3 / 'scenes'}: s3-000000)" in err
    assert not (tmp_path / "pv").exists()


def test_rebuild_over_a_cut_short_scene_names_the_sets_seed_and_n(seed3, capsys):
    # "error: DIR/scenes/s3-000001.json: not valid JSON (…)" and no word of what to do; then "synth … with the set's
    # --seed and --n", which the user had to remember: the scene file names hold both
    from data_gen.__main__ import main

    scene = seed3 / "scenes" / "s3-000001.json"
    whole, records = scene.read_bytes(), (seed3 / "train.jsonl").read_bytes()
    try:
        scene.write_bytes(whole[:80])
        assert main(["rebuild", "--dir", str(seed3), "--prefix", "r_", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert f"{scene}: not valid JSON" in err and "no records written" in err
        said = f"python -m data_gen synth --out {seed3} --seed 3 --n 3 --config {seed3 / 'config.yaml'}"
        assert f"Make it again ({said}, the seed and --n its scene files' names show)" in err
        assert not list(seed3.glob("r_*"))
        # the command as said makes the same set again, byte for byte
        assert main([*said.split()[3:], "--no-progress"]) == 0
        assert scene.read_bytes() == whole and (seed3 / "train.jsonl").read_bytes() == records
        assert main(["rebuild", "--dir", str(seed3), "--prefix", "r_", "--no-progress"]) == 0
    finally:
        scene.write_bytes(whole)


def test_rebuild_over_a_cut_short_scene_of_another_name_keeps_the_general_way(seed3, capsys):
    # a scene JSON renamed by hand: no seed in its name, so none is guessed
    from data_gen.__main__ import main

    odd = seed3 / "scenes" / "mine.json"
    odd.write_text('{"scene": "mi')
    try:
        assert main(["rebuild", "--dir", str(seed3), "--prefix", "r2_", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert f"Make it again (synth --out {seed3} with the set's --seed and --n, --config" in err and "--seed 3" not in err
    finally:
        odd.unlink()
