"""Tour of stop 68, area synth: a task named twice in --tasks, a config key in another case, a record's blank or
unknown "task", a number given twice written two ways; rebuild's every cut-short scene JSON named, a scene JSON
copied under another name, a missing mask, no record made, a scenes-only set rebuilt; chat's --out named *.GZ or
DIR/ and its multi-turn source; preview's --scenes naming none."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest


@pytest.fixture(scope="module")
def seed5(tmp_path_factory):
    """A tiny set of seed 5 (scene ids s5-000000 … s5-000003), made by the command line."""
    from data_gen.__main__ import main

    out = tmp_path_factory.mktemp("tour68") / "set"
    argv = ["synth", "--out", str(out), "--n", "4", "--seed", "5", "--size", "32", "--modalities", "ir",
            "--pairs-fraction", "0", "--no-progress"]
    assert main(argv) == 0
    return out


@pytest.mark.parametrize("tasks, said", [("det,det", "det"), ("DET, [det],ground", "det")])
def test_a_task_named_twice_is_refused(tasks, said, tmp_path, capsys):
    # --tasks det,det made det records once, unsaid (a repeated modality was refused, naming it)
    from data_gen.__main__ import main

    argv = ["synth", "--out", str(tmp_path / "o"), "--n", "2", "--size", "32", "--tasks", tasks, "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: --tasks {tasks!r}: {said} named more than once" in err
    assert not (tmp_path / "o").exists()


def test_a_task_weight_key_in_upper_case_names_the_lower_case_key(tmp_path, capsys):
    # --tasks DET and --modalities SAR take any case; instructions.task_weights.DET=1 said "unknown task(s) ['DET']"
    # and no more, while modalities=[SAR] said "in lower case: sar"
    from data_gen.__main__ import main

    base = ["synth", "--out", str(tmp_path / "o"), "--n", "2", "--size", "32", "--no-progress"]
    assert main([*base, "instructions.task_weights.DET=1"]) == 2
    assert "unknown task ['DET'] (config keys are lower case: det)" in capsys.readouterr().err
    assert main([*base, "instructions.modality_weights.SAR=1"]) == 2
    assert "unknown modality ['SAR'] (config keys are lower case: sar)" in capsys.readouterr().err


def test_a_records_blank_or_unknown_task_is_malformed_naming_it():
    # any case and a tag's brackets ("DET", " [Det] ") read as det: test_convert_lead68n's one rule with eval's
    from rsvlm.data.records import RecordError, normalize_record

    rec = {"id": "a", "images": [{"path": "a.tif", "modality": "SAR"}],
           "conversations": [{"from": "human", "value": "<image>\n[det] Find ships."}, {"from": "gpt", "value": "None."}]}
    with pytest.raises(RecordError, match="field 'task': '' is not one of"):  # blank stays malformed (test_eval_tour60)
        normalize_record({**rec, "task": ""})
    with pytest.raises(RecordError, match="'detect' is not one of"):
        normalize_record({**rec, "task": "Detect"})


def test_rebuild_names_every_cut_short_scene(seed5, capsys):
    # it stopped at the first: a user remade that one, ran again, and met the next
    from data_gen.__main__ import main

    scenes = sorted((seed5 / "scenes").glob("*.json"))
    kept = {p: p.read_bytes() for p in scenes}
    try:
        for p in (scenes[1], scenes[3]):
            p.write_bytes(kept[p][:60])
        assert main(["rebuild", "--dir", str(seed5), "--prefix", "r_", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert f"{scenes[1]}: not valid JSON" in err
        assert f"2 of the 4 scene JSON files under {seed5 / 'scenes'} are not valid JSON: " \
               f"{scenes[1].name}, {scenes[3].name}; no records written. Make them again (python -m data_gen synth " \
               f"--out {seed5} --seed 5 --n 4" in err
        assert not list(seed5.glob("r_*"))
    finally:
        for p, b in kept.items():
            p.write_bytes(b)


def test_rebuild_refuses_a_scene_copied_under_another_name(seed5, capsys):
    # a copy (s5-000001 copy.json) made every record of its scene twice, with the same ids
    from data_gen.__main__ import main
    from rsvlm.data.records import load_records

    src = seed5 / "scenes" / "s5-000001.json"
    copy = seed5 / "scenes" / "s5-000001 copy.json"
    shutil.copy(src, copy)
    try:
        assert main(["rebuild", "--dir", str(seed5), "--prefix", "d_", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert f"error: scene 's5-000001' is in two files, {copy} and {src}: its records would be made twice" in err
        # the copy is named, not the first of the two: "s5-000001 copy.json" sorts before the id's own
        assert err.rstrip().endswith(f"remove the copy ({copy})")
        assert not list(seed5.glob("d_*"))
    finally:
        copy.unlink()
    assert main(["rebuild", "--dir", str(seed5), "--prefix", "d_", "--no-progress"]) == 0
    _, report = load_records(seed5 / "d_train.jsonl")
    assert report.duplicates == 0


def test_chat_out_named_upper_case_gz_is_gzip(seed5, tmp_path, capsys):
    # --out chat.jsonl.GZ was written as plain text under a gzip name
    from data_gen.__main__ import main

    out = tmp_path / "chat.jsonl.GZ"
    assert main(["chat", "--src", str(seed5 / "train.jsonl"), "--out", str(out), "--no-progress"]) == 0
    with gzip.open(out, "rt") as f:
        assert json.loads(f.readline())["id"].startswith("chat-")


def test_a_records_folder_names_its_gzip_and_upper_case_files(tmp_path):
    # --data DIR of train.jsonl.gz (or TRAIN.JSONL) said "is a folder; give a JSONL file in it" and named none
    from rsvlm.data.records import check_records_path, load_records

    rec = {"id": "a", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\n[cls] Scene?"},
                                                         {"from": "gpt", "value": "harbour"}]}
    with gzip.open(tmp_path / "train.jsonl.GZ", "wt") as f:
        f.write(json.dumps(rec) + "\n")
    (tmp_path / "VAL.JSONL").write_text(json.dumps(rec) + "\n")
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"is a folder; give a JSONL file in it \(VAL.JSONL, train.jsonl.GZ\)"):
        check_records_path(tmp_path)
    assert [r["id"] for r in load_records(tmp_path / "train.jsonl.GZ")[0]] == ["a"]  # told by its bytes, not its name


def test_rebuild_over_a_missing_or_cut_short_mask_says_what_to_do(seed5, capsys):
    # "error: scene s5-000002: mask …_sem.png not found" and no more; a scene JSON cut short named the synth command
    from data_gen.__main__ import main

    mask = seed5 / "masks" / "s5-000002_sem.png"
    whole = mask.read_bytes()
    said = f"python -m data_gen synth --out {seed5} --seed 5 --n 4 --config {seed5 / 'config.yaml'}"
    try:
        mask.unlink()
        assert main(["rebuild", "--dir", str(seed5), "--prefix", "m_", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert f"error: scene s5-000002: mask {mask} not found; no records written. Make it again ({said}" in err
        assert f"or remove {seed5 / 'scenes' / 's5-000002.json'} to leave its scene out" in err
        mask.write_bytes(whole[:50])
        assert main(["rebuild", "--dir", str(seed5), "--prefix", "m_", "--no-progress"]) == 2
        assert f"mask {mask} cannot be read" in (err := capsys.readouterr().err) and f"Make it again ({said}" in err
        assert not list(seed5.glob("m_*"))
    finally:
        mask.write_bytes(whole)


@pytest.mark.parametrize("given", [",", " "])
def test_preview_scenes_naming_none_is_refused(given, seed5, tmp_path, capsys):
    # --scenes "," (or a shell variable left empty) drew the first scene of each class instead, unsaid
    from data_gen.synth.preview import main as preview

    with pytest.raises(SystemExit) as e:
        preview(["--dir", str(seed5), "--out", str(tmp_path / "pv"), "--scenes", given])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"--scenes {given!r} names no scene; give ids (s5-000000,…)" in err
    assert not (tmp_path / "pv").exists()


def test_chat_out_ending_in_a_slash_is_a_folder(seed5, tmp_path, capsys):
    # --out new/ wrote a file named "new" (Path drops the slash), said as "-> new/"
    from data_gen.__main__ import main

    out = f"{tmp_path / 'new'}/"
    assert main(["chat", "--src", str(seed5 / "train.jsonl"), "--out", out, "--no-progress"]) == 2
    assert f"error: --out {out} is a folder; give a file, e.g. {tmp_path / 'new' / 'chat.jsonl'}" \
        in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_scene_weight_key_in_another_case_or_with_underscores_names_the_class(tmp_path, capsys):
    # "scene.scene_weights.Harbour=1" and "parking_lot" said "(unknown: ['Harbour'])" and no more
    from data_gen.__main__ import main

    base = ["synth", "--out", str(tmp_path / "o"), "--n", "2", "--size", "32", "--no-progress"]
    assert main([*base, "scene.scene_weights.Harbour=1", "scene.scene_weights.parking_lot=2"]) == 2
    assert "(unknown: ['Harbour', 'parking_lot']; meant: 'Harbour' is 'harbour', 'parking_lot' is 'parking lot')" \
        in capsys.readouterr().err
    assert main([*base, "scene.scene_weights.dock=1"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("(unknown: ['dock'])")


def test_a_scenes_only_set_is_rebuilt_as_its_note_says(tmp_path, capsys):
    # records_per_image=0's note says "make records with python -m data_gen rebuild --dir DIR
    # instructions.records_per_image=N"; that rebuild was refused: "DIR holds the records synth wrote"
    from data_gen.__main__ import main

    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "3", "--size", "32", "--modalities", "ir", "--no-progress",
                 "instructions.records_per_image=0"]) == 0
    said = f"make records with python -m data_gen rebuild --dir {out} instructions.records_per_image=N"
    assert said in capsys.readouterr().err
    assert (out / "train.jsonl").read_text() == ""
    assert main(["rebuild", "--dir", str(out), "--no-progress", "instructions.records_per_image=2"]) == 0
    assert len((out / "train.jsonl").read_text().splitlines()) >= 1
    # records there now: replacing them still needs --prefix or their removal
    assert main(["rebuild", "--dir", str(out), "--no-progress", "instructions.records_per_image=2"]) == 2
    assert "holds the records synth wrote" in capsys.readouterr().err


def test_a_key_given_twice_with_one_number_written_two_ways_is_one_value(seed5, tmp_path, capsys):
    # records_per_image=1 and =1.0 were "given twice …; which one is meant?"; two different values still are
    from data_gen.__main__ import main

    same = ["instructions.records_per_image=1", "instructions.records_per_image=1.0"]
    assert main(["rebuild", "--dir", str(seed5), "--prefix", "n_", "--no-progress", *same]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["rebuild", "--dir", str(seed5), "--prefix", "n_", "--no-progress", same[0], "instructions.records_per_image=2"])
    assert "instructions.records_per_image is given twice" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a text value's words are compared as written
        main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "render.sar_looks=4", "render.sar_looks=x"])
    assert "render.sar_looks is given twice" in capsys.readouterr().err


def test_chat_over_records_that_are_multi_turn_already_says_so(tmp_path, capsys):
    # a LLaVA file whose records hold several questions each: "each image of its 2 records has one question"
    from conftest import write_jsonl

    from data_gen.__main__ import main

    turns = [{"from": "human", "value": "<image>\nHow many cars?"}, {"from": "gpt", "value": "2"},
             {"from": "user", "value": "Any ships?"}, {"from": "assistant", "value": "no"}]
    src = write_jsonl(tmp_path / "r.jsonl", [{"id": "a", "image": "a.png", "conversations": turns},
                                            {"id": "b", "image": "b.png", "conversations": turns[:2]}])
    assert main(["chat", "--src", src, "--out", str(tmp_path / "c.jsonl"), "--no-progress"]) == 2
    assert (f"error: no conversations from {src}: each image of its 2 records has one record (1 of them multi-turn "
            "already: their turns are a conversation as they are)") in capsys.readouterr().err


def test_rebuild_that_makes_no_record_fails(seed5, tmp_path, capsys):
    # every image gone: three empty files, "48 record(s) left out" in a note, and exit 0 for a pipeline to train on
    from data_gen.__main__ import main

    gone = tmp_path / "images"
    shutil.move(seed5 / "images", gone)
    try:
        assert main(["rebuild", "--dir", str(seed5), "--prefix", "e_", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert f"error: no record made of the 4 scenes under {seed5 / 'scenes'} (image file missing: " in err
        assert f"first image missing: {seed5 / 'images' / 's5-000000_ir.tif'}); no e_train/val/test.jsonl written" in err
        assert not list(seed5.glob("e_*"))
    finally:
        shutil.move(gone, seed5 / "images")
