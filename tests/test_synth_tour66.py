"""Tour 66 of data_gen synth / rebuild / instructions (--tasks beside a task_weights override, its names, the phrasing
rsvlm asks), and the records and predictions readers' words for a line that is not JSON."""

from __future__ import annotations

import pytest


def test_tasks_refuses_a_weight_override_of_a_task_it_leaves_out(tmp_path, capsys):
    # `synth … instructions.task_weights.cls=5 --tasks det` wrote det records only, exit 0: --tasks had set cls to 0
    # after the override, unsaid
    from data_gen.__main__ import main

    base = ["synth", "--n", "1", "--size", "32", "--no-progress", "--tasks", "det"]
    for override in ("instructions.task_weights.cls=5", "instructions.task_weights={cls: 3, det: 1}",
                     "instructions.task_weights.cls=1"):  # the default's weight, named
        assert main([*base, "--out", str(tmp_path / "o"), override]) == 2
        err = capsys.readouterr().err
        assert f"{override} weights cls, which --tasks det leaves out" in err and "add cls to --tasks" in err
        assert not (tmp_path / "o").exists()
    # a weight of a task it names, or 0 for one it leaves out, agrees with it
    for i, override in enumerate(("instructions.task_weights.det=5", "instructions.task_weights.cls=0")):
        assert main([*base, "--out", str(tmp_path / f"ok{i}"), override]) == 0
    from rsvlm.config import load_yaml

    assert load_yaml(tmp_path / "ok0" / "config.yaml")["instructions"]["task_weights"]["det"] == 5


def test_rebuild_tasks_refuses_a_weight_override_of_a_task_it_leaves_out(tmp_path, capsys):
    from data_gen.__main__ import main
    from data_gen.synth.run import synthesize

    synthesize(tmp_path, 1, seed=0, progress=False, verbose=False)
    args = ["rebuild", "--dir", str(tmp_path), "--prefix", "p_", "--no-progress", "--tasks", "ground"]
    assert main([*args, "instructions.task_weights.seg=2"]) == 2
    assert "instructions.task_weights.seg=2 weights seg, which --tasks ground leaves out" in capsys.readouterr().err
    assert not (tmp_path / "p_train.jsonl").exists()
    assert main([*args, "instructions.task_weights.ground=3"]) == 0


@pytest.mark.parametrize("tasks", ["det", "det,cls"])
def test_load_with_tasks_without_overrides_of_weights_reads_as_before(tasks):
    from data_gen.instructions.build import load_with_tasks

    w = load_with_tasks(None, ["scene.size=32"], tasks).instructions.task_weights
    assert {t for t, v in w.items() if v} == set(tasks.split(","))


def test_det_class_question_rsvlm_asks_is_a_phrasing_data_gen_trains(tmp_path):
    # prompt.det_class_question ("Detect all {pl}.", --det-by-class's question, and the docs' "[det] Detect all
    # ships.") was no DET_CLASS phrasing: a model built from synth data was never asked it in training
    import json
    import re

    from conftest import REPO

    from data_gen.instructions import phrasings as P
    from data_gen.instructions.build import load_with_tasks
    from data_gen.synth.run import synthesize
    from rsvlm.config import load_yaml
    from rsvlm.data.conversation import PromptConfig

    shipped = load_yaml(REPO / "rsvlm/assets/default_model/config.yaml")["prompt"]["det_class_question"]
    assert PromptConfig().det_class_question in P.DET_CLASS and shipped in P.DET_CLASS
    cfg = load_with_tasks(None, ["scene.size=64", "modalities=[optical]", "split.val=0", "split.test=0"], "det")
    synthesize(tmp_path, 12, seed=3, cfg=cfg, progress=False, verbose=False)
    asked = [json.loads(line)["conversations"][0]["value"] for line in open(tmp_path / "train.jsonl")]
    assert any(re.fullmatch(r"<image>\n\[det\] Detect all [a-z ]+s\.( Use oriented boxes\.)?", q) for q in asked), asked


def test_change_records_asked_of_a_run_that_drew_no_pair_are_said_missing(tmp_path, capsys):
    # `synth --n 1 --tasks change` drew no pair (scene.pairs_fraction 0.25): "0 records", exit 0, and a "short" line
    # blaming skips or too many asked, not the missing pairs
    from data_gen.__main__ import main

    base = ["synth", "--n", "1", "--size", "32", "--no-progress", "--seed", "0"]
    assert main([*base, "--out", str(tmp_path / "a"), "--tasks", "change"]) == 0
    out, err = capsys.readouterr()
    assert "1 scene (0 pairs), 0 records" in out
    assert ("--tasks asks for change, but none of the 1 scene was drawn as a pair "
            "(scene.pairs_fraction 0.25), which change records need: no record was made; give --pairs-fraction 1") in err
    assert main([*base, "--out", str(tmp_path / "b"), "--tasks", "change,cls"]) == 0
    assert "which change records need: none of them was made" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "c"), "--tasks", "change", "--pairs-fraction", "1"]) == 0
    out, err = capsys.readouterr()
    assert "(1 pair)" in out and "drawn as a pair" not in err
    assert main([*base, "--out", str(tmp_path / "d"), "--tasks", "cls"]) == 0  # change not asked for
    assert "drawn as a pair" not in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "e"), "--tasks", "change,cls", "--pairs-fraction", "0"]) == 0
    assert "drawn as a pair" not in capsys.readouterr().err  # no pair asked for: the mix's change weight is idle


@pytest.mark.parametrize("word, tag", [("detection", "det"), ("segmentation", "seg"), ("counting", "count"),
                                       ("grounding", "ground"), ("captioning", "cap"),
                                       ("classification", "cls"), ("region caption", "regcap"),
                                       ("change_detection", "change")])
def test_tasks_given_as_the_task_s_full_word_names_its_tag(word, tag):
    # --tasks detection said only "'detection' is no task": difflib finds "det" too far from it
    from data_gen.instructions.build import task_overrides

    with pytest.raises(ValueError, match=rf"'{word}' is no task \(did you mean '{tag}'\?\)"):
        task_overrides(f"ground,{word}")


def test_a_config_yaml_no_synth_run_wrote_is_not_replaced(tmp_path, capsys):
    # --out at a project folder holding its own config.yaml replaced it with the run's SynthConfig, exit 0, unsaid
    from data_gen.__main__ import main

    out = tmp_path / "project"
    out.mkdir()
    (out / "config.yaml").write_text("my: settings\n")
    argv = ["synth", "--out", str(out), "--n", "1", "--size", "32", "--modalities", "ir", "--no-progress"]
    assert main(argv) == 2
    assert f"output folder {out} holds config.yaml that no synth run wrote" in capsys.readouterr().err
    assert (out / "config.yaml").read_text() == "my: settings\n" and not (out / "scenes").exists()
    (out / "config.yaml").unlink()
    assert main(argv) == 0 and main(argv) == 0  # its own config.yaml, beside its scenes/: made again in place


def test_preview_scenes_named_twice_or_by_their_json_file_are_drawn_once(tmp_path, capsys):
    # --scenes s0-000000,s0-000000 drew and printed it twice; --scenes scenes/s0-000000.json (as ls shows it) was
    # "not under DIR/scenes"
    from data_gen.synth.preview import main as preview
    from data_gen.synth.run import synthesize

    synthesize(tmp_path / "d", 2, seed=0, progress=False, verbose=False)
    capsys.readouterr()
    given = "s0-000000, s0-000000,scenes/s0-000000.json,s0-000001.json"
    assert preview(["--dir", str(tmp_path / "d"), "--out", str(tmp_path / "pv"), "--scenes", given, "--scale", "1"]) == 0
    drawn = capsys.readouterr().out.split()
    assert len(drawn) == 2 and [p.rsplit("_", 1)[-1] for p in drawn] == ["s0-000000.png", "s0-000001.png"], drawn


def test_make_samples_help_says_its_whole_first_sentence(monkeypatch, capsys):
    # --help said "Regenerate the bundled sample scenes … from the default model's training" and stopped there
    from script_loader import load_script

    samples = load_script("make_samples", monkeypatch)
    with pytest.raises(SystemExit) as e:
        samples.main(["--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert e.value.code == 0 and "from the default model's training scene config, so the samples look like what the " \
        "bundled model was trained on." in said


def _rec(rid):
    import json

    return json.dumps({"id": rid, "images": [{"path": "x.png", "modality": "optical"}], "conversations": [
        {"from": "human", "value": "<image>\n[cls] What scene is this?"}, {"from": "gpt", "value": "forest"}]})


def test_a_line_with_a_trailing_comma_or_in_python_s_repr_says_so(tmp_path):
    # `{…},` (a JSON array's item, one a line) was "not valid JSON (Extra data at column 150)"; a Python dict's repr
    # (single quotes) "Expecting property name enclosed in double quotes at column 2": neither said what to do
    import ast

    from rsvlm.data.records import ReadReport, read_records

    path = tmp_path / "r.jsonl"
    py = repr(ast.literal_eval(_rec("d")))  # {'id': 'd', …}
    path.write_text("\n".join([_rec("a"), _rec("b") + ", ", _rec("c"), py, '{"id": \'e\'}', "{bad"]) + "\n")
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["a", "c"]
    ex = report.examples
    assert ex[0] == f"{path}:2: not valid JSON (Extra data at column {len(_rec('b')) + 1}); a trailing comma: remove it"
    assert ex[1].startswith(f"{path}:4: not valid JSON (Expecting property name enclosed in double quotes at column 2)"
                            "; Python's repr? write JSON (json.dumps)") and "Python's repr?" in ex[2]
    assert ex[3] == f"{path}:6: not valid JSON (Expecting property name enclosed in double quotes at column 2)"


def test_predictions_with_a_trailing_comma_or_in_python_s_repr_say_so(tmp_path, capsys):
    from conftest import eval_record, write_jsonl

    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "count", "[count] How many ships?", a)
                                             for r, a in (("a", "3"), ("b", "0"), ("c", "5"))])
    pred = tmp_path / "p.jsonl"
    pred.write_text('{"id": "a", "task": "count", "answer": "3"},\n' + repr({"id": "b", "answer": "0"}) + "\n"
                    + '{"id": "c", "task": "count", "answer": "5"}\n')
    s = counting.main(["--gt", gt, "--pred", str(pred)])
    out = capsys.readouterr().out
    assert s["n_pred_bad_lines"] == 2
    assert "p.jsonl:1: not valid JSON (Extra data at column 44); a trailing comma: remove it" in out
    assert "p.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes at column 2); Python's " \
        "repr? write JSON (json.dumps)" in out


def test_the_model_card_says_its_model_never_saw_the_det_by_class_question():
    # "Detect all {pl}." joined DET_CLASS after build 19 (ada7255b): the shipped model's card said nothing of it
    from conftest import REPO

    from rsvlm.config import load_yaml

    card = " ".join((REPO / "rsvlm/assets/default_model/README.md").read_text().split())
    question = load_yaml(REPO / "rsvlm/assets/default_model/config.yaml")["prompt"]["det_class_question"]
    assert f'`prompt.det_class_question` ("{question}"), is a trained phrasing only from the next build on' in card


def test_the_new_det_class_phrasing_rewords_only_class_detection_questions(tmp_path, monkeypatch):
    # docs/data.md: a set made again since ada7255b differs from an older one of the same seed and config in the
    # wording of class-detection questions alone (every record's id, images and answer, every other question kept):
    # the draw of a phrasing takes one number from the generator whatever the list's length
    import json

    from conftest import REPO

    from data_gen.instructions import phrasings as P
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import load_config

    cfg = load_config(SynthConfig, REPO / "configs/default/data_test.yaml", [])
    synthesize(tmp_path / "new", 8, seed=9021, cfg=cfg, progress=False, verbose=False)
    assert P.DET_CLASS[-1] == "Detect all {pl}."
    monkeypatch.setattr(P, "DET_CLASS", P.DET_CLASS[:-1])  # as build 19's data was drawn
    synthesize(tmp_path / "old", 8, seed=9021, cfg=cfg, progress=False, verbose=False)
    old, new = ([json.loads(x) for x in open(tmp_path / d / "test.jsonl")] for d in ("old", "new"))
    assert len(old) == len(new) and [r["id"] for r in old] == [r["id"] for r in new]
    moved = [(a, b) for a, b in zip(old, new) if a != b]
    assert moved and all({k for k in a if a[k] != b[k]} == {"conversations"} for a, b in moved)
    for a, b in moved:
        assert a["conversations"][1:] == b["conversations"][1:] and a["task"] == b["task"] == "det"
        assert a["meta"]["target_class"] and a["conversations"][0]["value"] != b["conversations"][0]["value"]


def test_preview_help_and_docs_say_scenes_takes_scene_json_files(capsys):
    # d70cf9af took scenes/s0-000000.json as its id, but --help and docs/data.md said "scene ids" alone
    from conftest import REPO

    from data_gen.synth.preview import main as preview

    with pytest.raises(SystemExit):
        preview(["--help"])
    assert "comma list of scene ids or their scenes/*.json files, each drawn once" in " ".join(
        capsys.readouterr().out.split())
    assert "comma list of ids or scene JSON files, `scenes/s7-000028.json`, each drawn once" in " ".join(
        (REPO / "docs/data.md").read_text().split())
