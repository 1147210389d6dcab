"""Review 72 (data): a record whose questions are of several tasks (GeoChat's '[vqa]' then '[refer]') is instruction
data as DESIGN.md's record format has it, each turn's tag its own; the record's task is the question rsvlm eval
answers (its last), and only that one's tag can clash with it."""

from __future__ import annotations

from convert_helpers import llava_rows


def _turns(*prompts: str, answer: str = "Yes.") -> list[dict]:
    return [t for k, p in enumerate(prompts) for t in ({"from": "human", "value": ("<image>\n" if not k else "") + p},
                                                       {"from": "gpt", "value": answer})]


def test_a_geochat_record_of_several_tasks_converts_to_its_answered_questions_task_and_reads_clean(tmp_path):
    """'[vqa] Is there a ship?' then '[refer] Where is it?' was written as task 'vqa' (its first question's), so the
    training and eval read summaries counted it as a task clash (86257c80) and rsvlm eval scored its box as VQA."""
    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import read_records

    box = "{<10><10><40><40>|<90>}"
    rows = [{"id": "g1", "image": "a.png", "conversations": _turns("[vqa] Is there a ship?", "[refer] Where is it?")},
            {"id": "g2", "image": "a.png", "conversations": _turns("[refer] the ship", "[vqa] Is it moving?")}]
    rows[0]["conversations"][3]["value"] = rows[1]["conversations"][1]["value"] = box
    stats, out = llava_rows(tmp_path, rows)
    assert {r["id"]: r["task"] for r in out} == {"g1": "ground", "g2": "vqa"}, out
    path = tmp_path / "o" / "records.jsonl"
    report = ReadReport(str(path))
    assert len(list(read_records(path, strict=False, report=report))) == 2
    assert report.task_clashes == 0 and not report.notable, report.summary()


def test_only_the_answered_question_of_a_record_of_several_can_clash_with_its_task(tmp_path):
    """Each turn trains by its own tag; eval answers the last question and scores it by the record's task. A record
    with no task takes the last question's tag (its first's where the last has none); an untagged record's later
    '[det]' is a tag, not a typo counted as an unknown one."""
    from conftest import write_jsonl

    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import read_records

    def rec(rid, task, *prompts):
        return {"id": rid, "image": "a.png", "task": task, "conversations": _turns(*prompts)}

    path = write_jsonl(tmp_path / "r.jsonl", [
        rec("mixed", "ground", "[vqa] Is there a ship?", "[ground] Where is it?"),
        rec("first-other", "cap", "[det] Detect all ships.", "[cap] Describe the image."),
        rec("clash", "cap", "[cap] Describe the image.", "[det] Detect all ships."),
        rec("no-task", None, "[vqa] Is there a ship?", "[ground] Where is it?"),
        rec("follow-up", None, "[vqa] Is there a ship?", "And a plane?"),
        rec("untagged", None, "Hello.", "[det] Detect all ships.", "Thanks."),
        rec("typo", None, "Hello.", "[detect] the ships"),
    ])
    report = ReadReport(path)
    tasks = {r["id"]: r["task"] for r in read_records(path, strict=False, report=report)}
    assert tasks == {"mixed": "ground", "first-other": "cap", "clash": "cap", "no-task": "ground", "follow-up": "vqa",
                     "untagged": None, "typo": None}
    assert report.task_clash_first == [f"{path}:3 (id clash): task 'cap', question 2's prompt [det]"]
    assert dict(report.unknown_tags) == {"detect": 1}


def test_the_answered_question_is_the_one_before_the_last_answer(tmp_path):
    """A record ending on a question after its last answer is answered at the question before that answer (eval's
    prompt stops there): that question's tag is the record's task, not the trailing one's."""
    from rsvlm.data.records import normalize_record, task_turn

    turns = _turns("[vqa] Is there a ship?", "[ground] Where is it?") + [{"from": "human", "value": "[cap] And now?"}]
    assert task_turn(turns) == (2, "[ground] Where is it?")
    assert normalize_record({"id": "t", "image": "a.png", "conversations": turns})["task"] == "ground"
    blind = [{"from": "human", "value": "<image>\n[vqa] Is there a ship?"}]
    assert task_turn(blind) == (1, blind[0]["value"]) and task_turn([]) == (0, "")


def test_the_no_pairs_notes_name_tasks_where_it_asked_for_change(tmp_path, capsys):
    """'synth --tasks change' (and rebuild's) drawing no pair said 'instructions.task_weights gives change 2', a key and
    weight the user never typed (af03b903's rule: name what was typed); a key=value's weights are still named."""
    from data_gen.__main__ import main

    base = ["synth", "--n", "1", "--size", "32", "--no-progress", "--seed", "0", "--modalities", "optical"]
    assert main([*base, "--out", str(tmp_path / "a"), "--tasks", "change,cls"]) == 0
    err = capsys.readouterr().err
    assert "note: --tasks asks for change, but none of the 1 scene was drawn as a pair (scene.pairs_fraction" in err
    assert "task_weights" not in err, err
    assert main([*base, "--out", str(tmp_path / "b"), "instructions.task_weights={change: 2, cls: 1}"]) == 0
    assert "note: instructions.task_weights gives change 2, but none" in capsys.readouterr().err
    assert main(["rebuild", "--dir", str(tmp_path / "a"), "--tasks", "cls,change", "--prefix", "r_", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "note: --tasks asks for change, but none of the 1 scene under " in err and "task_weights" not in err, err


def test_the_ogr2ogr_line_for_a_shapefile_in_a_folder_with_a_space_can_be_pasted(tmp_path, capsys):
    """'ogr2ogr -f GeoJSON my data/b.geojson my data/b.shp' (dbec30f9) is four arguments to a shell: the paths are
    quoted, output first (ogr2ogr's order: destination, then source)."""
    from data_gen.convert import main

    shp = tmp_path / "my data" / "b.shp"
    shp.parent.mkdir()
    shp.write_bytes(b"\x00\x00\x27\x0a" + bytes(96))  # a shapefile's header, as far as read
    (tmp_path / "images").mkdir()  # --images must be there (a mistyped one is refused first, naming it)
    assert main(["geojson", "--images", str(tmp_path / "images"), "--labels", str(shp), "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 2
    assert f"(ogr2ogr -f GeoJSON '{shp.with_suffix('.geojson')}' '{shp}'; QGIS" in capsys.readouterr().err
