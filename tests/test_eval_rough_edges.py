"""The scoring scripts against odd input a user meets: predictions with impossible numbers, output
paths that cannot be written, classes no record has."""

import json
import shutil

import pytest

from rsvlm import geometry


def _record(rid, objects, task="det", prompt="[det] Detect every ship.", w=100, h=100):
    return {"id": rid, "images": [{"path": f"{rid}.png", "modality": "optical"}], "task": task,
            "conversations": [{"from": "human", "value": "<image>\n" + prompt},
                              {"from": "gpt", "value": geometry.encode(objects, w, h) if objects else "None."}],
            "meta": {"width": w, "height": h}}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


SHIP = {"kind": "box", "label": "ship", "coords": [10.05, 10.05, 30.05, 30.05]}
SQUARE = {"kind": "poly", "label": "ship", "coords": [[10.05, 10.05], [30.05, 10.05], [30.05, 30.05], [10.05, 30.05]]}


@pytest.mark.parametrize("bad", [
    {**SHIP, "coords": [float("nan"), 10.05, 30.05, 30.05]},  # matched the reference as a perfect box
    {**SHIP, "coords": [10.05, float("-inf"), 30.05, 30.05]},
    {**SHIP, "score": float("nan")},
])
def test_objects_with_non_finite_numbers_are_unparseable_not_hits(tmp_path, bad):
    """A NaN literal is no JSON: its line is unreadable, named by file and line (stop 80), its record missing; an
    infinity written as a number too large (-1e999, which json reads as -inf) reaches the objects' own check."""
    from eval import detection

    gt = _write(tmp_path / "gt.jsonl", [_record("a", [SHIP])])
    row = json.dumps({"id": "a", "task": "det", "answer": "", "objects": [bad]}).replace("-Infinity", "-1e999")
    (tmp_path / "pred.jsonl").write_text(row + "\n")
    scores = detection.main(["--gt", gt, "--pred", str(tmp_path / "pred.jsonl")])
    nan = "NaN" in row
    assert (scores["n_unparseable"], scores["n_pred_bad_lines"]) == ((0, 1) if nan else (1, 0))
    assert scores["mAP50"] == 0.0


@pytest.mark.parametrize("bad", [
    {"kind": "mask", "coords": "junk"},
    {"kind": "mask", "coords": {"box": [1, 1, 9, 9], "size": [2, 1], "rows": [[1, 5]]}},  # runs wider than the grid
    {"kind": "mask", "mask": "junk"},
    {**SQUARE, "rings": "junk"},
])
def test_a_malformed_predicted_mask_is_unparseable_not_the_end_of_scoring(tmp_path, bad):
    from eval import segmentation

    prompt = "[seg] Segment the ships."
    gt = _write(tmp_path / "gt.jsonl", [_record("a", [SQUARE], "seg", prompt), _record("b", [SQUARE], "seg", prompt)])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "task": "seg", "answer": "", "objects": [bad]},
                                            {"id": "b", "task": "seg", "answer": "", "objects": [SQUARE]}])
    scores = segmentation.main(["--gt", gt, "--pred", pred])
    assert scores["n_unparseable"] == 1 and scores["gIoU"] == 0.5


def test_an_out_folder_or_a_pred_folder_is_refused_before_scoring(tmp_path, monkeypatch):
    from eval import common, counting

    gt = _write(tmp_path / "gt.jsonl", [_record("a", [], "count", "[count] How many ships?")])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "task": "count", "answer": "0"}])
    monkeypatch.setattr(counting, "score", lambda *a: pytest.fail("scored before refusing --out"))
    with pytest.raises(common.ScoreError, match="is a folder"):  # was IsADirectoryError after scoring
        counting.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path)])
    with pytest.raises(common.ScoreError, match="predictions file is a folder"):
        counting.main(["--gt", gt, "--pred", str(tmp_path)])


def test_report_out_json_would_overwrite_its_own_markdown_and_is_refused(tmp_path, capsys):
    from eval import counting, report

    gt = _write(tmp_path / "gt.jsonl", [_record("a", [], "count", "[count] How many ships?")])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "task": "count", "answer": "0"}])
    counting.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "count.json")])
    with pytest.raises(SystemExit) as e:  # the JSON replaced the markdown at the same path
        report.main(["--scores", str(tmp_path / "count.json"), "--out", str(tmp_path / "report.json")])
    assert e.value.code == 2 and "markdown" in capsys.readouterr().err
    report.main(["--scores", str(tmp_path / "count.json"), "--out", str(tmp_path / "report.md")])
    assert (tmp_path / "report.md").read_text().startswith("# Evaluation report")
    assert json.loads((tmp_path / "report.json").read_text())["metrics"][0]["all"] == 1.0


def test_loc_error_bad_input_is_one_line_and_exit_2(tmp_path, ckpt, capsys):
    from eval import common, loc_error

    def run(argv):  # as python -m eval.loc_error runs it, in this process (was a subprocess each: 77 s in all)
        code = 0
        try:
            common.main_guard(lambda: loc_error.main(argv))
        except SystemExit as e:
            code = e.code
        out = capsys.readouterr()
        return code, out.out, out.err

    data = _write(tmp_path / "test.jsonl", [_record("a", [SHIP], "ground", "[ground] the ship"),
                                            {**_record("c", [], "cls", "[cls] What is it?"), "conversations": [
                                                {"from": "human", "value": "<image>\n[cls] What is it?"},
                                                {"from": "gpt", "value": "harbour"}]}])
    import numpy as np
    from PIL import Image

    for name in "ac":
        Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(tmp_path / f"{name}.png")
    for args, says in [(["--model", str(tmp_path / "none")], "not an rsvlm checkpoint"),  # were tracebacks
                       (["--model", str(ckpt), "--out", str(tmp_path)], "is a folder"),
                       (["--model", str(ckpt), "--out", data], "is the --data file"),  # overwrote the records
                       (["--model", str(ckpt), "--tasks", "det"], "no record of task ['det']"),
                       (["--model", str(ckpt), "--batch-size", "0"], "at least 1"),
                       (["--model", str(ckpt), "--tasks", "ground, dett"], "unknown task ['dett']"),
                       (["--model", str(ckpt), "--tasks", "cls"], "hold no <loc_N>")]:  # printed NaN JSON
        code, _, err = run(["--data", data, *args])  # main_guard turns a traceback into one line and exit 2
        assert code == 2 and says in err, (args, err)
    code, out, _ = run(["--data", data, "--model", str(ckpt), "--tasks", "ground,cls"])
    res = json.loads(out)  # the cls group, no <loc_N> in it, was all NaN
    assert code == 0 and res["all"]["n"] == 4 and "task:cls" not in res and "skipped" not in res


def test_segmentation_miou_leaves_out_a_class_with_no_pixel_on_either_side(tmp_path):
    from eval import segmentation

    prompt = "[seg] Segment the ships."
    gt = _write(tmp_path / "gt.jsonl", [_record("e", [], "seg", prompt), _record("s", [SQUARE], "seg", prompt)])
    half = {**SQUARE, "coords": [[10.05, 10.05], [20.05, 10.05], [20.05, 30.05], [10.05, 30.05]]}
    pred = _write(tmp_path / "pred.jsonl", [{"id": "e", "answer": "None."}, {"id": "s", "objects": [half]}])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert s["per_class_IoU"] == {"ship": 0.5}  # the empty reference asks for ships: a unit of that class
    assert s["mIoU"] == 0.5  # was (1 + 0.5) / 2: the empty references' class counted as a perfect one
    assert s["gIoU"] == 0.75  # the empty unit answered empty still scores 1
    pred = _write(tmp_path / "pred.jsonl", [{"id": "e", "answer": "None."}])
    only_empty = _write(tmp_path / "gt.jsonl", [_record("e", [], "seg", prompt)])
    assert segmentation.main(["--gt", only_empty, "--pred", pred])["mIoU"] is None


def test_a_degenerate_endless_number_is_an_unparseable_count_not_a_crash(tmp_path):
    from eval import counting
    from eval.text import parse_count

    assert parse_count("1" * 15) == int("1" * 15) and parse_count("0003 ships") == 3
    assert parse_count("1" * 16) is None and parse_count("1" * 400 + ".5") is None  # float(): inf, round(): crash
    gt = _write(tmp_path / "gt.jsonl", [_record(r, [], "count", "[count] How many ships?") for r in "ab"])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "task": "count", "answer": "1" * 300},  # RMSE overflowed
                                            {"id": "b", "task": "count", "answer": "0"}])
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 1 and s["accuracy"] == 0.5 and s["MAE"] == 0.0


def test_detections_of_a_class_no_reference_has_are_counted_and_named(tmp_path, capsys):
    from eval import detection

    gt = _write(tmp_path / "gt.jsonl", [_record("a", [SHIP, {**SHIP, "label": "plane"}])])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "task": "det", "answer": "", "objects": [
        {**SHIP, "label": "boat"}, {**SHIP, "label": "boat"}, {**SHIP, "label": None}]}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["mAP50"] == 0.0 and s["n_pred_objects_unknown_class"] == {"boat": 2, "(unlabelled)": 1}
    assert "3 predicted objects of classes no reference has" in capsys.readouterr().out  # was a silent 0


def test_unparseable_counts_change_maps_and_empty_answers_are_explained(tmp_path, capsys):
    from eval import change, counting, vqa

    recs = [_record("c", [], "count", "[count] How many ships?"), _record("v", [], "vqa", "[vqa] Is there a ship?"),
            _record("m", [SQUARE], "change", "[change] Outline what changed.")]
    gt = _write(tmp_path / "gt.jsonl", recs)
    pred = _write(tmp_path / "pred.jsonl", [{"id": "c", "answer": "a lot"}, {"id": "v", "answer": "..."},
                                            {"id": "m", "answer": "<poly><loc_1><loc_2><loc_3></poly>"}])
    for mod, says in [(counting, "unparseable 'c': 'a lot' states no count"),  # these three had no note
                      (vqa, "unparseable 'v': answer '...' holds no word to score"), (change, "unparseable 'm': <poly>")]:
        assert mod.main(["--gt", gt, "--pred", pred])["n_unparseable"] == 1
        assert says in capsys.readouterr().out


@pytest.mark.parametrize("fmt,answer", [("geochat", "{<10><10><50><50>|" + "9" * 400 + "}"),  # math domain error
                                        ("falcon", "<box><" + "9" * 5000 + "><1><2><3></box>")])  # int() limit
def test_foreign_answers_with_endless_digits_are_problems_not_crashes(fmt, answer):
    from eval import foreign

    objects, problems = foreign.decode(answer, 100, 100, fmt)
    assert objects == [] and len(problems) == 1


def test_captioning_meta_references_given_as_one_string_is_one_reference(tmp_path):
    from eval import captioning

    rec = {"id": "a", "images": [{"path": "a.png"}], "task": "cap", "meta": {"references": "a boat near a pier"},
           "conversations": [{"from": "human", "value": "<image>\n[cap] Describe the image."},
                             {"from": "gpt", "value": "a ship in a harbour"}]}
    gt = _write(tmp_path / "gt.jsonl", [rec])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "task": "cap", "answer": "a boat near a pier"}])
    s = captioning.main(["--gt", gt, "--pred", pred, "--no-java"])
    assert s["BLEU-4"] == pytest.approx(1.0)  # was 2e-12: 18 one-character references


def test_points_and_masks_left_out_of_box_scores_are_noted(tmp_path, capsys):
    from eval import grounding

    gt = _write(tmp_path / "gt.jsonl", [_record("a", [SHIP], "ground", "[ground] the ship")])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "answer": "<point><loc_200><loc_200></point>"}])
    assert grounding.main(["--gt", gt, "--pred", pred])["n_pred_objects_ignored"] == {"point": 1}
    assert "1 predicted object of a kind grounding does not score, left out: {'point': 1}" in capsys.readouterr().out


def test_segmentation_shapes_of_a_class_the_reference_lacks_are_noted(tmp_path, capsys):
    from eval import segmentation

    two = [SQUARE, {**SQUARE, "label": "tree", "coords": [[50.05, 50.05], [60.05, 50.05], [60.05, 60.05]]}]
    gt = _write(tmp_path / "gt.jsonl", [_record("a", two, "seg", "[seg] Segment ships and trees.")])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "objects": [{**SQUARE, "label": "boat"}]}])
    assert segmentation.main(["--gt", gt, "--pred", pred])["n_pred_objects_unknown_class"] == 1
    assert "1 predicted shape in several-class records names no class" in capsys.readouterr().out


def test_detection_without_any_reference_object_says_why_ap_is_undefined(tmp_path, capsys):
    from eval import detection

    gt = _write(tmp_path / "gt.jsonl", [_record("a", []), _record("b", [])])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "answer": "None."}, {"id": "b", "objects": [SHIP]}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["mAP50"] is None and s["mAP50_obb"] is None  # no class has ground truth: AP is 0/0
    assert "no reference holds an object: AP is undefined" in capsys.readouterr().out  # was a bare '-'


def test_a_binary_file_as_predictions_or_score_file_is_one_error(tmp_path):
    from eval import common, counting, report

    gt = _write(tmp_path / "gt.jsonl", [_record("a", [], "count", "[count] How many ships?")])
    png = tmp_path / "a.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x80\xff")
    with pytest.raises(common.ScoreError, match="a.png: not UTF-8 text"):  # were UnicodeDecodeError tracebacks
        counting.main(["--gt", gt, "--pred", str(png)])
    with pytest.raises(common.ScoreError, match="a.png: not JSON"):
        report.main(["--scores", str(png)])


@pytest.mark.parametrize("which", ["gt", "pred"])
def test_out_naming_the_gt_or_pred_file_is_refused_before_it_is_overwritten(tmp_path, capsys, which):
    from eval import counting

    files = {"gt": _write(tmp_path / "gt.jsonl", [_record("a", [], "count", "[count] How many ships?")]),
             "pred": _write(tmp_path / "pred.jsonl", [{"id": "a", "task": "count", "answer": "0"}])}
    before = (tmp_path / f"{which}.jsonl").read_text()
    with pytest.raises(SystemExit) as e:  # the scores JSON replaced the file
        counting.main(["--gt", files["gt"], "--pred", files["pred"], "--out", files[which]])
    assert e.value.code == 2 and f"is the --{which} file" in capsys.readouterr().err
    assert (tmp_path / f"{which}.jsonl").read_text() == before


def test_report_out_whose_json_is_an_input_score_file_is_refused(tmp_path, capsys):
    from eval import counting, report

    gt = _write(tmp_path / "gt.jsonl", [_record("a", [], "count", "[count] How many ships?")])
    pred = _write(tmp_path / "pred.jsonl", [{"id": "a", "task": "count", "answer": "0"}])
    counting.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "count.json")])
    before = (tmp_path / "count.json").read_text()
    for src in (["--scores", str(tmp_path / "count.json")], ["--dir", str(tmp_path)]):
        with pytest.raises(SystemExit):  # count.md's JSON, count.json, replaced the score file
            report.main([*src, "--out", str(tmp_path / "count.md")])
        assert "would overwrite a score file" in capsys.readouterr().err
    assert (tmp_path / "count.json").read_text() == before
    report.main(["--dir", str(tmp_path), "--out", str(tmp_path / "report.md")])
    report.main(["--dir", str(tmp_path), "--out", str(tmp_path / "report.md")])  # its own report.json: rerun is fine


def test_predictions_written_as_one_json_array_are_read_and_named_as_such(tmp_path):
    from eval import counting

    gt = _write(tmp_path / "gt.jsonl", [_record("a", [], "count", "[count] How many ships?")])
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps([{"id": "a", "task": "count", "answer": "0"}], indent=1))
    got = counting.main(["--gt", gt, "--pred", str(pred)])  # was: every line unreadable, every record missing
    assert got["accuracy"] == 1.0 and any("is one JSON array, read item by item" in n for n in got["notes"])
    pred.write_text('["not", "an array of predictions"]\n{"id": "a", "task": "count", "answer": "0"}\n')
    assert counting.main(["--gt", gt, "--pred", str(pred)])["n_pred_bad_lines"] == 1  # JSONL with a bad line


@pytest.mark.skipif(shutil.which("java") is None, reason="PTBTokenizer needs Java")
def test_a_caption_with_a_carriage_return_does_not_shift_the_others_in_ptbtokenizer():
    from eval import captioning

    texts = {("cand", 0): ["a ship\rin a harbour"], ("cand", 1): ["two planes\u2028on an apron"],
             ("cand", 2): ["a green field\fnear a road"], ("ref", 0): ["a ship in a harbour"]}
    out = captioning._tokenize(texts, use_java=True)  # Java split those lines: each later caption got another's
    assert out == {("cand", 0): ["a ship in a harbour"], ("cand", 1): ["two planes on an apron"],
                   ("cand", 2): ["a green field near a road"], ("ref", 0): ["a ship in a harbour"]}


def test_predictions_as_a_json_array_given_as_gt_are_named_as_swapped(tmp_path):
    from eval import common, counting

    preds = tmp_path / "pred.json"
    preds.write_text(json.dumps([{"id": "a", "task": "count", "answer": "0"}], indent=1))
    records = _write(tmp_path / "gt.jsonl", [_record("a", [], "count", "[count] How many ships?")])
    with pytest.raises(common.ScoreError, match="are --gt and --pred swapped"):  # was "conversations missing"
        counting.main(["--gt", str(preds), "--pred", records])


def test_loc_error_takes_a_device_and_shows_its_progress(tmp_path, ckpt, capsys):
    import numpy as np
    from PIL import Image

    from eval import common, loc_error

    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    box = geometry.encode([{"kind": "box", "label": "ship", "coords": [4, 4, 20, 20]}], 32, 32)
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps({"id": "r0", "task": "ground", "images": [{"path": "a.png", "modality": "optical"}],
                                "meta": {"width": 32, "height": 32}, "conversations": [
        {"from": "human", "value": "<image>\n[ground] the ship"}, {"from": "gpt", "value": box}]}) + "\n")
    with pytest.raises(SystemExit) as e:  # was always the CPU: a 7B model's figure took hours on a GPU machine
        common.main_guard(lambda: loc_error.main(["--data", str(data), "--model", str(ckpt), "--device", "cuda:7"]))
    assert e.value.code == 2 and "--device cuda:7" in capsys.readouterr().err
    assert loc_error.main(["--data", str(data), "--model", str(ckpt), "--device", "cpu"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["all"]["n"] == 4 and "loc_error: 100%" in out.err  # was silent batch after batch

    (tmp_path / "images").mkdir()  # LLaVA-style: the images in a folder of their own
    (tmp_path / "a.png").rename(tmp_path / "images" / "a.png")
    with pytest.raises(SystemExit) as e:
        common.main_guard(lambda: loc_error.main(["--data", str(data), "--model", str(ckpt)]))
    err = capsys.readouterr().err  # was "the answers of its ground,det records hold no <loc_N> to score"
    assert e.value.code == 2 and "none of its ground,det records could be read (1 skipped; first: r0:" in err
    assert "--image-root names another folder" in err
    assert loc_error.main(["--data", str(data), "--model", str(ckpt), "--image-root", str(tmp_path / "images")]) == 0
    assert json.loads(capsys.readouterr().out)["all"]["n"] == 4


def test_loc_error_cuts_answers_at_the_llms_context(tmp_path, ckpt, capsys):
    import numpy as np
    from PIL import Image

    from eval import loc_error

    Image.fromarray(np.zeros((256, 256, 3), np.uint8)).save(tmp_path / "a.png")
    xy = np.random.default_rng(1).integers(0, 240, (100, 2))
    boxes = [{"kind": "box", "label": "ship", "coords": [float(x), float(y), x + 8.0, y + 8.0]} for x, y in xy]
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps({"id": "dense", "task": "det", "images": [{"path": "a.png", "modality": "optical"}],
                                "meta": {"width": 256, "height": 256}, "conversations": [
        {"from": "human", "value": "<image>\n[det] Detect every ship."},
        {"from": "gpt", "value": geometry.encode(boxes, 256, 256)}]}) + "\n")
    assert loc_error.main(["--data", str(data), "--model", str(ckpt), "--device", "cpu"]) == 0
    out = capsys.readouterr()
    res = json.loads(out.out)
    # was measured to 1024 tokens, past the tiny LLM's 512 positions, where a RoPE model's logits mean nothing
    assert res["cut"]["n"] == 1 and res["cut"]["max_length"] == 512 and res["cut"]["first"][0][0] == "dense"
    assert 0 < res["all"]["n"] < 400 and "1 record is longer than the LLM's context (512 tokens)" in out.err
