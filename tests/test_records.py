import json

import pytest

from rsvlm.data.records import RecordError, load_records, normalize_record, task_from_prompt

GOOD = {
    "id": "dota-P1888-det-0",
    "images": [{"path": "images/P1888.png", "modality": "optical"}],
    "conversations": [
        {"from": "human", "value": "<image>\n[det] Detect every small vehicle."},
        {"from": "gpt", "value": "<ref>small vehicle</ref><box><loc_913><loc_475><loc_941><loc_520></box>"},
    ],
    "task": "det",
    "meta": {"source": "DOTA", "width": 712, "height": 557},
}


def test_design_record_is_valid():
    r = normalize_record(GOOD)
    assert r["task"] == "det" and r["images"][0]["modality"] == "optical"


def test_plain_llava_record_is_one_image_of_unsaid_modality():
    r = normalize_record({"id": 3, "image": "a.jpg", "conversations": [
        {"from": "human", "value": "<image>\nWhat is this?"}, {"from": "gpt", "value": "A port."}]})
    assert r["images"] == [{"path": "a.jpg", "modality": None}] and r["id"] == "3" and r["task"] is None


def test_task_inferred_from_tag():
    assert task_from_prompt("<image>\n[ground] the ship") == "ground"
    assert task_from_prompt("[nonsense] x") is None
    rec = {**GOOD}
    rec.pop("task")
    assert normalize_record(rec)["task"] == "det"
    free = {**GOOD, "task": "chat", "conversations": [{"from": "human", "value": "<image>\nWhat is this?"},
                                                      {"from": "gpt", "value": "A port."}]}
    assert normalize_record(free)["task"] is None  # 'chat', the task_weights group of untagged records, was refused


@pytest.mark.parametrize("mutate, field", [
    (lambda r: r.pop("id"), "'id'"),
    (lambda r: r["images"][0].update(modality="lidar"), "images[0].modality"),
    (lambda r: r["conversations"][0].update({"from": "bot"}), "conversations[0].from"),
    (lambda r: r["images"].append({"path": "b.png"}), "placeholder"),
    (lambda r: r.update(task="detect"), "'task'"),
    (lambda r: r["conversations"].pop(), "no gpt"),
    (lambda r: r["conversations"][1].update(value=" \n"), "conversations[1].value': an empty answer"),
    (lambda r: r["conversations"][1].update(value="\u200b\ufeff "), "conversations[1].value': an empty answer"),
    (lambda r: [t.update(value=v) for t, v in zip(r["conversations"], ["[cls] What?", "<image>\nA port."])],
     "conversations[1].value': an answer with an <image> placeholder"),
    (lambda r: r["images"][0].update(path=123), "images[0].path': must be a file path (a string), got int"),
    (lambda r: r.pop("images") and r.update(image=["a.png", 7]), "images[1].path': must be a file path"),
    (lambda r: r["conversations"][1].update(value="<ref>ship</ref><box><loc_1><loc_2></box>"),
     "conversations[1].value': geometry does not follow the grammar: <box> needs 4"),
    (lambda r: r["conversations"][1].update(value="<box><loc_9><loc_2><loc_1><loc_5></box>"), "x1>x2"),
    (lambda r: r["conversations"][0].update(value="<image>\n[regcap] <box><loc_1><loc_2><loc_3>"), "not closed"),
])
def test_errors_name_the_field(mutate, field):
    rec = json.loads(json.dumps(GOOD))
    mutate(rec)
    with pytest.raises(RecordError) as e:
        normalize_record(rec, "f.jsonl:7")
    assert field in str(e.value) and "f.jsonl:7" in str(e.value)


def test_jsonl_bad_lines_raise_with_line_or_are_counted(tmp_path):
    p = tmp_path / "d.jsonl"
    bad_modality = json.loads(json.dumps(GOOD))
    bad_modality["images"][0]["modality"] = "lidar"
    p.write_text("\n".join([json.dumps(GOOD), "{not json", json.dumps(bad_modality), "", json.dumps(GOOD)]) + "\n")
    with pytest.raises(RecordError, match=r"d.jsonl:2: not valid JSON"):
        load_records(p)
    recs, report = load_records(p, strict=False)
    assert len(recs) == 2 and report.n_skipped == 2 and report.n_lines == 4
    assert report.skipped["invalid JSON"] == 1 and report.skipped["bad field images[].modality"] == 1
    assert "2 skipped" in report.summary()


def test_a_bom_is_read_and_a_non_utf8_line_is_counted(tmp_path):
    p = tmp_path / "win.jsonl"
    other = {**GOOD, "id": "two"}
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n" + b'{"id": "caf\xe9"}\n'
                  + json.dumps(other).encode() + b"\n")
    with pytest.raises(RecordError, match=r"win.jsonl:2: not UTF-8 text"):
        load_records(p)
    recs, report = load_records(p, strict=False)
    assert [r["id"] for r in recs] == [GOOD["id"], "two"] and report.skipped["invalid JSON"] == 1
    arr = tmp_path / "win.json"  # a LLaVA JSON array with a BOM
    arr.write_bytes(b"\xef\xbb\xbf  " + json.dumps([GOOD]).encode())
    assert [r["id"] for r in load_records(arr)[0]] == [GOOD["id"]]


def test_llava_json_array_file(tmp_path):
    p = tmp_path / "llava.json"
    p.write_text(json.dumps([{"id": "a", "image": "x.png", "conversations": [
        {"from": "human", "value": "<image>\nhi"}, {"from": "gpt", "value": "ok"}]}]))
    recs, _ = load_records(p)
    assert recs[0]["images"][0]["path"] == "x.png"
    p.write_text(json.dumps([GOOD, {**GOOD, "task": "detect"}]))
    with pytest.raises(RecordError, match=r"llava.json\[1\] \(id dota-P1888-det-0\): field 'task'"):
        load_records(p)  # an index into the array, not a line number


def test_missing_file_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.jsonl"):
        load_records(tmp_path / "nothere.jsonl")


def test_duplicate_ids_are_kept_and_reported(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps({**GOOD, "id": i}) + "\n" for i in ("a", "b", "a", "a")))
    recs, report = load_records(p, strict=False)
    assert [r["id"] for r in recs] == ["a", "b", "a", "a"] and report.n_skipped == 0
    assert report.duplicates == 2 and "2 kept with an id already read (the first repeat: 'a' at " in report.summary()
    assert "d.jsonl:3" in report.summary()


def test_untagged_records_opening_with_an_unknown_tag_are_kept_and_reported(tmp_path):
    def rec(i, prompt, task=None):
        return {"id": i, "image": "a.png", "task": task, "conversations": [
            {"from": "human", "value": f"<image>\n{prompt}"}, {"from": "gpt", "value": "yes"}]}

    p = tmp_path / "t.jsonl"
    rows = [rec("a", "[detect] all ships"), rec("b", "[detect] all cars"), rec("c", "[caption] this"),
            rec("d", "[det] ships"), rec("e", "Describe [this] image"), rec("f", "[detect] x", task="det")]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recs, report = load_records(p, strict=False)
    assert len(recs) == 6 and report.n_skipped == 0
    assert report.unknown_tags == {"detect": 2, "caption": 1} and report.notable
    assert "3 kept as untagged chat" in report.summary() and "[detect] x2" in report.summary()
    clean = tmp_path / "c.jsonl"
    clean.write_text(json.dumps(rec("d", "[det] ships")) + "\n")
    assert not load_records(clean, strict=False)[1].notable


def test_a_folder_given_as_the_records_file_says_so(tmp_path):
    (tmp_path / "train.jsonl").write_text("")
    with pytest.raises(FileNotFoundError, match=r"is a folder; give a JSONL file in it \(train.jsonl\)"):
        load_records(tmp_path)
