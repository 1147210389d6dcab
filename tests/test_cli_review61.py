"""Review 61 of the front door: an output name under /dev or /proc that names nothing there (run as root, a
regular file was made among the devices), and docs/cli.md's seam rules as rsvlm/io/tiles.py states them."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NEW_DEV = "/dev/rsvlm-review61-no-such-device"  # never made: every check refuses it before writing


def test_eval_refuses_a_new_name_under_dev_or_proc(tmp_path):
    """``rsvlm eval --out /dev/p.jsonl`` as root made /dev/p.jsonl and /dev/p.jsonl.run.json, regular files."""
    from rsvlm.predictions import check_out

    for name in (NEW_DEV + ".jsonl", "/proc/rsvlm-review61.jsonl"):
        why = check_out(tmp_path / "test.jsonl", Path(name))
        assert why is not None and why.startswith(f"--out {name}: nothing is there, and /{name.split('/')[1]} holds "
                                                  "the system's devices"), why
        assert f"run stamp, {Path(name).name}.run.json, beside it" in why, why
    assert not Path(NEW_DEV + ".jsonl").exists()


def test_a_link_into_dev_is_followed(tmp_path):
    from rsvlm.out_paths import new_in_system_folder

    (tmp_path / "devices").symlink_to("/dev")
    assert new_in_system_folder(tmp_path / "devices" / "rsvlm-review61-x.json") is not None
    assert new_in_system_folder(tmp_path / "x.json") is None


@pytest.mark.parametrize("name", ["/dev/null", "/dev/stdout", "/dev/shm/rsvlm-review61.json", "/proc/self/status"])
def test_existing_devices_and_dev_shm_are_not_refused_for_being_there(name):
    from rsvlm.out_paths import new_in_system_folder

    if not Path(name).parent.exists():
        pytest.skip(f"{Path(name).parent} is not on this system")
    assert new_in_system_folder(name) is None


def test_predict_refuses_a_new_name_under_dev_before_the_model_runs():
    from rsvlm.predict import output_problem

    for option in ("out", "geojson", "vis"):
        args = types.SimpleNamespace(out=None, geojson=None, vis=None)
        setattr(args, option, NEW_DEV + (".png" if option == "vis" else ".json"))
        why = output_problem(args)
        assert why is not None and why.startswith(f"--{option} {NEW_DEV}") and "nothing is there" in why, why
    assert output_problem(types.SimpleNamespace(out="/dev/null", geojson=None, vis=None)) is None


def test_chat_refuses_a_new_name_under_dev(ckpt, geotiff):
    from test_chat_tour58 import repl_with_answer

    repl, out = repl_with_answer(ckpt, geotiff)
    for cmd, name in (("/vis", NEW_DEV + ".png"), ("/geojson", NEW_DEV + ".geojson")):
        out.seek(0), out.truncate()
        assert repl.handle(f"{cmd} {name}")
        assert out.getvalue().startswith(f"error: {cmd} {name}: nothing is there"), out.getvalue()
        assert not Path(name).exists()


def test_cli_md_states_the_seam_rules_of_tiles_py():
    """docs/cli.md said "half the shorter … for boxes and polygons, a quarter for masks", the rule before
    oriented boxes and polygons were joined by half the longer stretch first, masks had to touch and slanted
    plain boxes were rejoined by their staircase (rsvlm/io/tiles.py's docstring)."""
    text = " ".join((REPO / "docs" / "cli.md").read_text().split())
    assert "half the shorter of their stretches of the seam for boxes and polygons" not in text
    for rule in ("oriented boxes and polygons by half the longer of their stretches of the seam, then by half the "
                 "shorter for pieces not yet joined across it",
                 "masks by a quarter of the shorter, and only where they touch across the seam",
                 "`seams.slant_join`"):
        assert rule in text, rule


def test_out_dash_keeps_stdout_json_alone_with_tiles_tta_and_library_chatter(tmp_path, capsys, monkeypatch):
    """``… --out - | jq .``: a tiled run with --tta and --det-by-class, a library that prints while the model
    loads and a Python warning still leave stdout the JSON alone (the answer, table, notes on stderr)."""
    import json
    import warnings

    from rsvlm import inference
    from rsvlm.cli import main

    load = inference.load_model

    def chatty(*a, **kw):
        print("library chatter on stdout")
        warnings.warn("a library's warning", stacklevel=2)
        return load(*a, **kw)

    monkeypatch.setattr(inference, "load_model", chatty)
    monkeypatch.chdir(tmp_path)
    sample = REPO / "rsvlm" / "assets" / "samples" / "harbour_optical.png"
    assert main(["predict", "--image", str(sample), "--task", "det", "--tile", "64", "--tta", "flip",
                 "--det-by-class", "--max-new-tokens", "8", "--overlap", "0", "--out", "-"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["task"] == "det" and "tiles" in result, sorted(result)
    assert "library chatter on stdout" in err and "a library's warning" in err and "wrote the JSON to stdout" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("size, region, warned", [((4, 4), [0, 0, 1, 1], False), ((10, 10), [0, 0, 1, 1], False),
                                                  ((11, 10), [0, 0, 1, 1], True), ((8, 8), [0.5, 0.5, 1, 1], False),
                                                  ((96, 96), [0.1, 0.1, 0.5, 0.5], True)])
def test_a_tiny_images_top_left_pixel_is_not_taken_for_fractions(size, region, warned):
    """``--region 0,0,1,1`` of a 4x4 chip (its top-left pixel, a sixteenth of it) was warned as fractions of the
    image read as pixels; the warning is kept for a pixel under 1% of the image."""
    import numpy as np

    from rsvlm.io import RSImage
    from rsvlm.predict import Said, asked_question

    args = types.SimpleNamespace(task="regcap", prompt=None, region=region, tile=None, min_objects=0,
                                 det_by_class=False)
    said = Said()
    w, h = size
    asked_question(args, RSImage(np.zeros((3, h, w), np.float32), "optical", ["R", "G", "B"], path="x.png"), said)
    assert any("is in pixels" in line for line in said.lines) == warned, said.lines


def test_a_plain_word_after_the_end_of_options_is_not_offered_as_a_dashed_value(capsys):
    """``rsvlm eval … -- test.jsonl`` was told "a value starting with '-' is given joined to its option, e.g.
    --out=test.jsonl": the word starts with no '-', and --out was not the option missing it."""
    from rsvlm.cli import main

    with pytest.raises(SystemExit):
        main(["eval", "--data", "d.jsonl", "--out", "o.jsonl", "--", "test.jsonl"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.endswith("('--' ends the options, and rsvlm eval takes no other words: a value goes after its option, "
                        "before '--')") and "--out=test.jsonl" not in err, err
    with pytest.raises(SystemExit):
        main(["merge-lora", "--model", "a", "--out", "b", "--", "c", "-x"])
    assert "e.g. --out=-x)" in capsys.readouterr().err
