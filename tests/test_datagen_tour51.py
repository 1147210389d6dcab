"""Rough-edge tour of synthetic scenes and instruction building (``python -m data_gen``)."""

from __future__ import annotations

import json

from data_gen.__main__ import main as data_gen_main


def _records(path, n: int, image: str = "a") -> None:
    recs = [{"id": f"{image}-{i}", "task": "vqa", "images": [{"path": f"{image}.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": f"<image>\n[vqa] q {i}?"}, {"from": "gpt", "value": "yes"}]}
            for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))


def test_chat_shows_progress_and_no_progress_silences_it(tmp_path, capsys):
    src = tmp_path / "train.jsonl"
    _records(src, 6)
    assert data_gen_main(["chat", "--src", str(src), "--out", str(tmp_path / "c.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "chat: read" in err and "6 records" in err and "chat: write" in err
    assert data_gen_main(["chat", "--src", str(src), "--out", str(tmp_path / "c.jsonl"), "--no-progress"]) == 0
    assert "chat:" not in capsys.readouterr().err


def test_rebuild_shows_progress_and_no_progress_silences_it(tmp_path, capsys):
    args = ["--n", "2", "--size", "32", "--modalities", "optical", "--no-progress", "scene.pairs_fraction=0"]
    assert data_gen_main(["synth", "--out", str(tmp_path), *args]) == 0
    capsys.readouterr()
    assert data_gen_main(["rebuild", "--dir", str(tmp_path), "--prefix", "a_"]) == 0
    assert "rebuild: scenes: 100%" in capsys.readouterr().err
    assert data_gen_main(["rebuild", "--dir", str(tmp_path), "--prefix", "b_", "--no-progress"]) == 0
    assert "rebuild:" not in capsys.readouterr().err


def test_records_a_quota_cannot_get_are_reported_not_silently_missing(tmp_path, capsys):
    # one task with weight > 0 and 3 records per image asked: each image is asked a task at most once
    args = ["--n", "3", "--size", "32", "--modalities", "optical", "--no-progress", "scene.pairs_fraction=0",
            "instructions.task_weights={cls: 1}", "instructions.records_per_image=3"]
    assert data_gen_main(["synth", "--out", str(tmp_path), *args]) == 0
    out = capsys.readouterr().out
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["records"] == 3 and stats["records_wanted"] == 9 and stats["records_short"] == 6
    assert "short     6 of the 9 records" in out
    for f in ("train", "val", "test"):
        (tmp_path / f"{f}.jsonl").unlink()
    assert data_gen_main(["rebuild", "--dir", str(tmp_path), "--no-progress", "instructions.task_weights={cls: 1}",
                          "instructions.records_per_image=1"]) == 0
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["records_wanted"] == 3 and stats["records_short"] == 0 and "short" not in capsys.readouterr().out


def test_a_modality_named_twice_or_none_is_a_one_line_error(tmp_path, capsys):
    for mods, words in (("optical,sar,optical", "optical named more than once"), ("", "name at least one of")):
        out = tmp_path / (mods or "none")
        assert data_gen_main(["synth", "--out", str(out), "--n", "1", "--modalities", mods, "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: --modalities") and words in err and err.count("\n") == 1 and not out.exists()


def test_no_object_overhangs_the_top_or_left_border():
    # int() truncated a corner at -0.8 to 0, so storage tanks (discs, no border test of their own)
    # could hang up to a pixel over the top and left borders: boxes with negative coordinates
    import numpy as np

    from data_gen.synth.scene import generate_scene

    n_tanks = 0
    for i in range(60):
        g = generate_scene(f"t{i}", np.random.default_rng([4, i]), 48, scene_class="industrial")
        for o in g.frames[0].objects:
            n_tanks += o.cls == "storage tank"
            x1, y1, x2, y2 = o.hbox()
            assert 0 <= x1 and 0 <= y1 and x2 <= 48 and y2 <= 48, (i, o.cls, o.hbox())
            assert o.quad().min() >= 0 and o.quad().max() <= 48, (i, o.cls)
    assert n_tanks > 100  # the case is exercised


def test_a_question_that_offers_choices_offers_every_answer_it_can_get():
    # "Is the ship small or large?" was answered "medium" for a third of the ships
    from data_gen.instructions import phrasings as P

    answers = {"size": ("small", "medium", "large"), "orientation": ("horizontal", "vertical", "diagonal")}
    choice_questions = [(k, q) for k, values in answers.items() for q in P.VQA[k] if " or " in q]
    assert len(choice_questions) >= 2
    for kind, q in choice_questions:
        assert all(v in q for v in answers[kind]), q


def _view(objects: list[dict], seed: int, modality: str = "optical"):
    import numpy as np

    from data_gen.instructions.builders import View
    from data_gen.instructions.config import InstructionConfig

    scene = {"scene": "x", "scene_class": "airport", "width": 64, "height": 64, "pair": False,
             "frames": [{"time": "", "objects": objects, "sem_mask": "", "inst_mask": ""}]}
    masks = {"sem": np.zeros((64, 64), np.uint8), "inst": np.zeros((64, 64), np.int32)}
    return View(scene, 0, modality, masks, np.random.default_rng(seed), InstructionConfig())


def _obj(i: int, cls: str, cx: float, cy: float, area: int = 20) -> dict:
    return {"id": i, "class": cls, "hbox": [cx - 2, cy - 2, cx + 2, cy + 2], "center": [cx, cy], "area": area,
            "angle": 30.0, "attributes": {"size": "medium", "colour": "", "orientation": "diagonal"}}


def test_caption_verbs_agree_with_the_first_count():
    from data_gen.instructions.builders import caption

    one = [_obj(1, "plane", 10, 10)]
    two = one + [_obj(2, "plane", 40, 40)]
    seen = set()
    for seed in range(40):
        c1, c2 = caption(_view(one, seed)), caption(_view(two, seed))
        seen.add(c1.split(".")[1].split()[0])
        assert " are one " not in c1 and " is two " not in c2, (c1, c2)
    assert "Visible" in seen  # the phrasing that had a fixed "are" was drawn


def test_stats_count_a_pairs_new_objects_and_say_when_there_are_no_records():
    from data_gen.instructions.stats import Stats, format_report

    a, b, c = _obj(1, "ship", 10, 10), _obj(2, "building", 30, 30), _obj(3, "ship", 50, 50)  # ship 3 arrived
    scene = {"scene_class": "harbour", "pair": True, "changes": [{"type": "arrived", "id": 3}],
             "frames": [{"objects": [a, b]}, {"objects": [a, b, c]}]}
    st = Stats()
    st.add_scene(scene, "train")
    rep = st.report()
    assert rep["object_classes"] == {"building": 1, "ship": 2} and rep["objects_per_scene"]["max"] == 3
    text = format_report(rep)
    assert "no records" in text and "modality" not in text


def test_rebuild_starts_from_the_sets_own_mix(tmp_path, capsys):
    # a set made with one task and 1 record per image; rebuild used the package's mix unless told
    args = ["--n", "3", "--size", "32", "--modalities", "optical", "--no-progress", "--seed", "2",
            "scene.pairs_fraction=0", "instructions.task_weights={count: 1}", "instructions.records_per_image=1"]
    assert data_gen_main(["synth", "--out", str(tmp_path), *args]) == 0
    before = {s: (tmp_path / f"{s}.jsonl").read_text() for s in ("train", "val", "test")}
    assert data_gen_main(["rebuild", "--dir", str(tmp_path), "--prefix", "a_", "--seed", "2", "--no-progress"]) == 0
    assert f"instructions from {tmp_path / 'config.yaml'}" in capsys.readouterr().out
    # synth's records, byte for byte, but for the prefix their ids take (stop 79: a run on both read each id twice)
    assert {s: (tmp_path / f"a_{s}.jsonl").read_text() for s in before} == \
        {s: text.replace('{"id":"', '{"id":"a_') for s, text in before.items()}
    assert data_gen_main(["rebuild", "--dir", str(tmp_path), "--prefix", "b_", "--no-progress",
                          "instructions.task_weights={cls: 1}"]) == 0
    recs = [json.loads(x) for s in before for x in (tmp_path / f"b_{s}.jsonl").read_text().splitlines()]
    assert len(recs) == 3 and {r["task"] for r in recs} == {"cls"}  # the set's 1 per image, not the default 2


def test_rebuild_leaves_out_and_counts_records_whose_image_is_gone(tmp_path, capsys):
    args = ["--n", "2", "--size", "32", "--modalities", "optical,sar", "--no-progress", "scene.pairs_fraction=0"]
    assert data_gen_main(["synth", "--out", str(tmp_path), *args]) == 0
    gone = tmp_path / "images" / "s0-000001_sar.tif"
    gone.unlink()
    assert data_gen_main(["rebuild", "--dir", str(tmp_path), "--prefix", "r_", "--no-progress"]) == 0
    io = capsys.readouterr()
    recs = [x for s in ("train", "val", "test") for x in (tmp_path / f"r_{s}.jsonl").read_text().splitlines()]
    stats = json.loads((tmp_path / "r_stats.json").read_text())
    assert recs and not any("s0-000001_sar" in x for x in recs)
    assert stats["skipped"]["image file missing"] == 2 == stats["missing_images"]["records"]
    assert f"left out: their image is missing (first: {gone})" in io.err


def test_rebuild_names_a_scene_split_it_has_no_file_for(tmp_path, capsys):
    args = ["--n", "1", "--size", "32", "--modalities", "optical", "--no-progress", "scene.pairs_fraction=0"]
    assert data_gen_main(["synth", "--out", str(tmp_path), *args]) == 0
    path = tmp_path / "scenes" / "s0-000000.json"
    path.write_text(path.read_text().replace('"split":"train"', '"split":"dev"'))
    capsys.readouterr()
    assert data_gen_main(["rebuild", "--dir", str(tmp_path), "--prefix", "r_", "--no-progress"]) == 2  # KeyError
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(path) in err and "split 'dev' is not one of train, val, test" in err


def test_preview_names_an_unreadable_image_and_still_draws_the_other_scenes(tmp_path, capsys):
    from data_gen.synth.preview import main as preview

    args = ["--n", "2", "--size", "32", "--modalities", "optical", "--no-progress", "scene.pairs_fraction=0",
            "instructions.records_per_image=0"]
    assert data_gen_main(["synth", "--out", str(tmp_path / "d"), *args]) == 0
    bad = tmp_path / "d" / "images" / "s0-000001_optical.png"
    bad.write_bytes(bad.read_bytes()[:60])  # truncated
    capsys.readouterr()
    assert preview(["--dir", str(tmp_path / "d"), "--out", str(tmp_path / "p"), "--scenes", "s0-000000,s0-000001"]) == 2
    err = capsys.readouterr().err
    assert f"error: scene s0-000001: {bad} cannot be read" in err and "1 of 2 scenes not drawn" in err
    assert len(list((tmp_path / "p").glob("*s0-000000.png"))) == 1


def test_an_unknown_or_missing_command_is_named(capsys):
    assert data_gen_main(["synt", "--n", "2"]) == 2
    assert "unknown command 'synt'; did you mean 'synth'?" in capsys.readouterr().err
    assert data_gen_main(["--out", "x"]) == 2
    assert "a command comes before the options ('--out')" in capsys.readouterr().err
    assert data_gen_main(["--help"]) == 0 and "error" not in capsys.readouterr().err


def test_all_tasks_leaves_out_a_modality_weighted_zero(tmp_path):
    args = ["--n", "2", "--size", "32", "--modalities", "optical,sar", "--no-progress", "scene.pairs_fraction=0",
            "instructions.all_tasks=true", "instructions.modality_weights={sar: 0}"]
    assert data_gen_main(["synth", "--out", str(tmp_path), *args]) == 0
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["records"] > 0 and set(stats["modalities"]) == {"optical"}
