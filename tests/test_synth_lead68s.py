"""Stop 68, area S2: small data-side messages of synth and rebuild (rebuild's stats.json, --tasks and --modalities as
YAML lists); its converter tests are in test_convert_lead68n.py."""

from __future__ import annotations

import json

import pytest


def test_rebuild_without_prefix_keeps_synths_counts_of_the_scenes(tmp_path):
    # a scenes-only synth run, then rebuild without --prefix (as synth's note says): stats.json lost
    # objects_too_small / objects_not_fitted, which describe the scenes the rebuild read, not remade
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "2", "--size", "16", "--no-progress",
                 "instructions.records_per_image=0"]) == 0
    synth = json.loads((out / "stats.json").read_text())
    synth["objects_not_fitted"] = {"ship": 3}  # as a crowded scene's run writes it
    (out / "stats.json").write_text(json.dumps(synth))
    assert synth.get("objects_too_small")  # 16 px scenes: the recipes' cars are under a pixel
    assert main(["rebuild", "--dir", str(out), "--no-progress", "instructions.records_per_image=1"]) == 0
    got = json.loads((out / "stats.json").read_text())
    assert got["records"] > 0
    assert got["objects_too_small"] == synth["objects_too_small"] and got["objects_not_fitted"] == {"ship": 3}
    # a prefixed rebuild leaves synth's file as it was and writes its own
    assert main(["rebuild", "--dir", str(out), "--prefix", "p_", "--no-progress",
                 "instructions.records_per_image=1"]) == 0
    assert json.loads((out / "stats.json").read_text()) == got
    assert (out / "p_stats.json").is_file()


def test_a_stats_file_of_another_shape_gives_no_scene_counts(tmp_path):
    from data_gen.instructions.rebuild import scene_counts

    for text in ("[1, 2]", "{not json", '{"objects_too_small": 3}', ""):
        (tmp_path / "stats.json").write_text(text)
        assert scene_counts(tmp_path / "stats.json") == {}
    assert scene_counts(tmp_path / "absent.json") == {}


@pytest.mark.parametrize("given", ["[]", " [ ] ", "[,]"])
def test_tasks_of_brackets_alone_names_what_was_given(given):
    # "--tasks '[]': '' is no task": the blank name, not what the user typed
    from data_gen.instructions.build import task_overrides

    with pytest.raises(ValueError) as e:
        task_overrides(given)
    assert str(e.value).startswith(f"--tasks {given!r} names no task; tasks are cls, vqa")
    assert "'' is no task" not in str(e.value)


@pytest.mark.parametrize("given", ["[det,]", "[ det , ground ]", "det,,ground"])
def test_tasks_as_a_yaml_list_reads_its_names(given):
    # "[det,]" was refused as "'' is no task" ("det," was read), "[ det , ground ]" as "'ground ' is no task"
    from data_gen.instructions.build import task_overrides
    from rsvlm.tokens import TASKS

    kept = {o.split(".")[-1].removesuffix("=0") for o in task_overrides(given)}
    assert set(TASKS) - kept == ({"det"} if given == "[det,]" else {"det", "ground"})


@pytest.mark.parametrize(("given", "names"), [("[sar, ir]", ["sar", "ir"]), ("[ SAR ]", ["sar"]),
                                              ("Optical, SAR,", ["optical", "sar"]), ("[]", []),
                                              ("sar]", ["sar]"])])  # a stray bracket: named as no modality
def test_synth_modalities_read_a_yaml_list_as_tasks_does(given, names):
    # --tasks "[det, ground]" was read, --modalities "[sar, ir]" refused: "'[sar', 'ir]' are not"
    from argparse import Namespace

    from data_gen.__main__ import synth_overrides

    a = Namespace(overrides=[], modalities=given, size=None, pairs_fraction=None)
    assert synth_overrides(a) == [f"modalities={json.dumps(names)}"]


