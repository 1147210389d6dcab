"""Stop 79, round 2, records: one reason for a key given twice, NaN refused, a cut value marked, and a [seg] answer
holding a box skipped as data_gen's llava converter skips it."""

import json
import subprocess
import sys

import pytest

from rsvlm.data.read_report import ReadReport
from rsvlm.data.records import RecordError, load_records, normalize_record, read_records

BOX = "<box><loc_100><loc_100><loc_200><loc_200></box>"
POLY = "<ref>lake</ref><poly><loc_100><loc_100><loc_200><loc_100><loc_200><loc_200></poly>"


def _rec(rid, question="<image>\n[vqa] Is there a ship?", answer="yes", **more) -> dict:
    return {"id": rid, "image": "a.tif", "conversations": [{"from": "human", "value": question},
                                                          {"from": "gpt", "value": answer}], **more}


def _read(tmp_path, lines: list[str], name="r.jsonl") -> tuple[list[dict], ReadReport]:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ReadReport(str(path))
    return list(read_records(path, strict=False, report=report)), report


def test_a_key_given_twice_is_one_reason_at_the_top_or_inside(tmp_path):
    """'"task"' twice was "bad field task" (as a task that is none) beside meta's "duplicate key": one mistake."""
    line = json.dumps(_rec("t"))[:-1] + ', "task": "vqa", "task": "det"}'
    nested = json.dumps(_rec("m"))[:-1] + ', "meta": {"a": 1, "a": 2}}'
    recs, report = _read(tmp_path, [json.dumps(_rec("ok")), line, nested])
    assert [r["id"] for r in recs] == ["ok"] and report.skipped == {"duplicate key": 2}
    assert report.examples[0].endswith("r.jsonl:2: field 'task': given twice ('vqa', then 'det'); JSON keeps the "
                                       "last: write it once")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_jsonl_record_holding_nan_is_refused_naming_its_line(tmp_path, constant):
    """Python's json read NaN and kept the record (a nan trained on, or scored); JSON has none."""
    bad = json.dumps(_rec("n"))[:-1] + f', "meta": {{"score": {constant}}}}}'
    recs, report = _read(tmp_path, [json.dumps(_rec("ok")), bad])
    assert [r["id"] for r in recs] == ["ok"] and report.skipped == {"invalid JSON": 1}
    assert report.examples == [f"{tmp_path / 'r.jsonl'}:2: not valid JSON ({constant} is not JSON, though Python's "
                               "json.dumps writes a float nan or inf so: write null, or a number)"]
    with pytest.raises(RecordError, match=rf"r\.jsonl:2: not valid JSON \({constant} is not JSON"):
        load_records(tmp_path / "r.jsonl")


def test_a_json_array_item_holding_nan_is_refused_alone(tmp_path):
    items = [_rec("a"), _rec("b", meta={"score": float("nan")}), _rec("c", meta={"v": [1, float("inf")]}), _rec("d")]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(items))  # Python writes NaN and Infinity
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["a", "d"] and report.skipped == {"invalid JSON": 2}
    assert report.examples[0].startswith(f"{path}[1]: not valid JSON (NaN is not JSON")
    assert report.examples[1].startswith(f"{path}[2]: not valid JSON (Infinity is not JSON")


def test_nan_as_text_is_no_constant(tmp_path):
    recs, report = _read(tmp_path, [json.dumps(_rec("ok", answer="NaN", meta={"note": "Infinity"}))])
    assert [r["id"] for r in recs] == ["ok"] and not report.skipped


def test_a_value_cut_in_a_refusal_says_so():
    with pytest.raises(RecordError) as e:
        normalize_record({"id": 1, "image": "a.tif", "conversations": {"a": "x" * 80}})
    assert str(e.value).endswith("got a JSON object {'a': '" + "x" * 32 + "…")  # was cut unsaid
    assert len(str(e.value).rsplit("got a JSON object ", 1)[1]) == 40
    with pytest.raises(RecordError) as e:
        normalize_record({"id": 1, "image": "a.tif", "conversations": "hi"})
    assert str(e.value).endswith("got a JSON string 'hi'")  # whole: no mark


@pytest.mark.parametrize("rec, field", [
    (_rec("s", "<image>\n[seg] Outline the lake.", BOX), "conversations[1].value"),
    (_rec("t", "<image>\nOutline the lake.", "<obb><loc_1><loc_1><loc_9><loc_1><loc_9><loc_9><loc_1><loc_9></obb>",
          task="seg"), "conversations[1].value"),  # untagged: the record's task says seg
    ({"id": "c", "image": "a.tif", "meta": {"turn_tasks": ["vqa", "seg"]},
      "conversations": [{"from": "human", "value": "<image>\n[vqa] Is there a lake?"}, {"from": "gpt", "value": "yes"},
                        {"from": "human", "value": "Outline it."}, {"from": "gpt", "value": BOX}]},
     "conversations[3].value"),  # a chained chat record's [seg] turn
])
def test_a_seg_answer_holding_a_box_is_skipped_as_the_converter_skips_it(tmp_path, rec, field):
    recs, report = _read(tmp_path, [json.dumps(_rec("ok")), json.dumps(rec)])
    assert [r["id"] for r in recs] == ["ok"] and report.skipped == {"seg_answer_not_a_region": 1}
    assert report.examples == [f"{tmp_path / 'r.jsonl'}:2 (id {rec['id']}): field '{field}': a [seg] answer holding "
                               f"{'<obb>' if 'obb>' in json.dumps(rec) else '<box>'}, which a [seg] answer cannot "
                               "(only <poly> or <mask>: rsvlm.model.grammar REGION); give boxes as a ground or det "
                               "record"]
    assert "seg_answer_not_a_region: 1" in report.summary()


@pytest.mark.parametrize("rec", [
    _rec("p", "<image>\n[seg] Outline the lake.", POLY),
    _rec("g", "<image>\n[ground] Where is the lake?", BOX),
    {"id": "c", "image": "a.tif", "meta": {"turn_tasks": ["ground", "seg"]}, "task": "seg",
     "conversations": [{"from": "human", "value": "<image>\n[ground] Where is the lake?"}, {"from": "gpt", "value": BOX},
                       {"from": "human", "value": "[seg] Outline it."}, {"from": "gpt", "value": POLY}]},
])
def test_a_box_outside_a_seg_answer_is_kept(tmp_path, rec):
    recs, report = _read(tmp_path, [json.dumps(rec)])
    assert [r["id"] for r in recs] == [rec["id"]] and not report.skipped


@pytest.mark.parametrize("how", [{"check_geometry": False}, {"need_answer": False}])
def test_a_reader_that_trains_on_no_answer_keeps_a_seg_box(how):
    """eval's ground truth (check_geometry=False, then check_shapes for its scorer's task) is read as before, and
    rsvlm eval --data (need_answer=False) still asks the question: its reference's form is the scorer's."""
    rec = normalize_record(_rec("s", "<image>\n[seg] Outline the lake.", BOX), **how)
    assert rec["task"] == "seg"


def test_a_synthetic_set_loses_no_record(tmp_path):
    out = tmp_path / "syn"
    done = subprocess.run([sys.executable, "-m", "data_gen", "synth", "--n", "6", "--out", str(out), "--no-progress",
                           "instructions.all_tasks=true"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    seg = 0
    for name in ("train", "val", "test"):
        path = out / f"{name}.jsonl"
        recs, report = load_records(path, strict=False)
        assert not report.skipped and len(recs) == sum(1 for line in path.open() if line.strip())
        seg += sum(r["task"] == "seg" for r in recs)
    assert seg > 0


def test_data_md_says_synths_first_line_as_synth_prints_it_and_what_the_reflow_dropped():
    """synth's progress without a terminal opens on a line said at once (data_gen.synth.run.start_line); docs/data.md
    said only 'a line at each tenth', and its reflow had dropped that `sar,optical` is `optical,sar`'s set and that
    the order note names a set remade in place."""
    from conftest import REPO

    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import start_line

    text = (REPO / "docs/data.md").read_text()
    said = " ".join(text.split())
    assert f"`{start_line(20, SynthConfig(), 1)}`" in said
    assert "after a first line at once naming the scenes, size, modalities, workers and the peak memory" in said
    assert "`sar,optical` gives the same set as `optical,sar`" in said and "remade it in place" in said
    assert "`seg_answer_not_a_region`" in said and "(`duplicate key`)" in said and "`invalid JSON`" in said
    assert text.count("\n") < 500
