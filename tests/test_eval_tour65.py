"""Tour 65 (helper F) of evaluation: a system turn late in a record's conversation as rsvlm eval, eval.loc_error and
the probes meet it (training's probe of the chat template, ``train.sft_index.late_system``, decides for all)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import eval_record, write_jsonl
from script_loader import load_script
from test_probe_pointer_cells import ground_records


class _RsvlmTemplate:
    """A processor whose chat format is rsvlm's registry template, which writes one system turn; a text record
    reaches no image or model."""

    image_sizes = None

    def __init__(self):
        from rsvlm.model.templates import TEMPLATES

        self.template = TEMPLATES["rsvlm"]

    def chat_prompt(self, messages, add_generation_prompt=True):
        from rsvlm.model.templates import render

        return render(messages, self.template, add_generation_prompt=add_generation_prompt)


def _late(rid="late"):
    return {"id": rid, "task": "vqa", "images": [], "conversations": [
        {"from": "system", "value": "You look at scenes."}, {"from": "human", "value": "[vqa] Is it day?"},
        {"from": "gpt", "value": "Yes."}, {"from": "system", "value": "Answer in one word."},
        {"from": "human", "value": "[vqa] And the season?"}, {"from": "gpt", "value": "Summer."}]}


def test_rsvlm_eval_names_the_record_and_its_late_system_turn(tmp_path):
    """Was "message 3: role must be user or assistant …": the renderer's index of its messages, which is no turn of
    the record (a system message is put first where the record has none). Now the row's error names the record and
    conversations[3], in training's words."""
    from rsvlm.eval_answers import answer_batch

    (row,) = answer_batch(None, _RsvlmTemplate(), [_late()], tmp_path, 8)
    assert row["answer"] == "" and row["error"] == (
        "record 'late': conversations[3] is a system turn after the first, which the chat template rsvlm "
        "(model.llm.chat_template) cannot write (role must be user or assistant after an optional system, got "
        "'system'); fold it into the opening one")


def test_a_system_turn_after_the_last_answer_is_not_in_the_prompt():
    from rsvlm.eval_answers import late_system_turn

    rec = _late()
    assert late_system_turn(rec) == 3
    rec["conversations"] = rec["conversations"][:3] + [{"from": "system", "value": "unasked"}]
    assert late_system_turn(rec) is None  # the opening one is no later one, the trailing one is not asked


def test_the_template_is_named_as_the_config_names_it_with_its_answer_lead_changed():
    from rsvlm.eval_answers import late_system_of
    from rsvlm.model.templates import TEMPLATES

    proc = _RsvlmTemplate()
    proc.template = {**TEMPLATES["llava_v1"], "answer_lead": ""}  # model.prompt.answer_lead overrides it
    assert late_system_of(proc).startswith("the chat template llava_v1 (model.llm.chat_template) cannot write")


def _with_late(data):
    """``data`` with its first record given a later system turn and question, as a new record 'late'."""
    rows = data.read_text().splitlines()
    late = json.loads(rows[0])
    late["id"] = "late"
    late["conversations"] = [*late["conversations"], {"from": "system", "value": "Boxes only."},
                             {"from": "human", "value": "[ground] the field again"}, late["conversations"][1]]
    data.write_text("\n".join([*rows, json.dumps(late)]) + "\n")
    return data


def test_loc_error_leaves_a_late_system_record_out_as_training_does(tmp_path):
    """eval.loc_error indexed it and its sample failed rendering: skipped with "message 3: …" (rsvlm's template), or,
    under a template that passes over later system turns, measured on a prompt training never saw. Now it is left
    out when indexed, as training leaves it, and counted under malformed_records."""
    from test_probe_pointer_cells import model

    from eval.loc_error import location_errors

    res = location_errors(*model(), _with_late(ground_records(tmp_path)), {"ground"}, batch_size=8)
    assert "skipped" not in res and res["all"]["n"] == 16
    assert "1 skipped (system turn after the first: 1)" in res["malformed_records"]


def test_the_pointer_probe_counts_a_late_system_record_by_why(tmp_path, monkeypatch):
    from test_probe_pointer_cells import model

    probe = load_script("probe_pointer_cells", monkeypatch)
    res = probe.cell_stats(*model(), _with_late(ground_records(tmp_path)), progress=False)
    assert res["skipped"] == {"system turn after the first": 1} and res["n"] == 16


def test_the_sensor_probe_keeps_a_record_s_opening_system_turn(monkeypatch):
    """Its first turn was taken for the question: a record opening with a system turn failed with "0 <image>
    placeholder(s) but 1 modalities", naming no record; rsvlm eval asks it after its own system turn."""
    probe = load_script("probe_sensor_word", monkeypatch)
    rec = {"id": "s1", "task": "vqa", "images": [{"path": "a.png", "modality": "sar"}], "conversations": [
        {"from": "system", "value": "You read radar."}, {"from": "human", "value": "<image>\n[vqa] Which sensor?"},
        {"from": "gpt", "value": "SAR"}]}
    row = next(r for r in probe.variants([rec]) if r["id"] == "s1|ir|sar")
    assert row["conversations"] == [{"from": "system", "value": "You read radar."},
                                    {"from": "human", "value": "infrared image: <image>\n[vqa] Which sensor?"},
                                    {"from": "gpt", "value": "SAR"}]


def test_predictions_given_as_ground_truth_are_told_from_the_file_s_head(tmp_path):
    """The ground truth that cannot be read was read whole to tell whether it holds predictions (946 MB peak for a
    136 MB pretty-printed wrapper); a bad byte anywhere (a run killed mid-write, another tool's line) made the
    whole undecodable, and the mix-up went unsaid. Now its head is read, and a bad byte past it hides nothing."""

    from eval.inputs import ScoreError, load_gt

    row = json.dumps({"id": "a", "task": "cls", "answer": "lake"}) + "\n"
    for name, data in [("p.jsonl", row.encode() + b'{"id": "b", "answer": "\xff"}\n'),
                       ("p.json", b"[\n " + row.encode() + b', {"id": "b", "answer": "\xff"}]\n')]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ScoreError, match=r"holds predictions \(\{id, task, answer\} lines\), not ground-truth"):
            load_gt(tmp_path / name, ("cls",))


def test_difficult_as_true_false_flags_is_refused_naming_the_indices_to_write(tmp_path):
    """meta.difficult [true, false, true] (a flag per object, as VOC's XML holds it) was refused as "must list
    indices … got [True, False, True]"; it now says which indices to write. A list of 0/1 that repeats nothing,
    [0, 1] for two objects, is indices as docs/eval.md says: both objects are difficult."""

    from eval import common, detection

    boxes = ["".join(f"<ref>ship</ref><box><loc_{x}><loc_100><loc_{x + 50}><loc_150></box>" for x in xs)
             for xs in ((100, 300, 500), (100, 300))]
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d", "answer": boxes[0]}])
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Find the ships.", boxes[0],
                                                         difficult=[True, False, True])])
    with pytest.raises(common.ScoreError, match=r"got \[true, false, true\]: a true/false flag per object\? list "
                                                r"the indices of the true ones \(\[0, 2\]\)"):
        detection.main(["--gt", gt, "--pred", pred])
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Find the ships.", boxes[1], difficult=[0, 1])])
    assert detection.main(["--gt", gt, "--pred", pred])["n_gt_difficult"] == 2


def _coco_rle(mask, compressed: bool) -> dict:
    """``mask`` (h, w) as pycocotools writes it: compressed (its counts a string) or uncompressed (a list)."""
    import numpy as np
    from pycocotools import mask as coco_mask

    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    if compressed:
        return {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}
    flat = mask.T.reshape(-1)  # column by column, runs of 0 then 1 from 0
    edges = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    runs = np.diff(np.concatenate([[0], edges, [flat.size]])).tolist()
    return {"size": list(mask.shape), "counts": ([0] if flat[0] else []) + runs}


def test_coco_rle_masks_are_scored_as_the_masks_they_encode(tmp_path):
    """A COCO segm result ({"segmentation": {"size", "counts"}}) or SAM's mask ({"kind": "mask", "size", "counts"})
    among the objects was unparseable ("a mask needs a grid … give it decoded"): pycocotools is a dependency, and
    the mask is read, compressed counts or a list, as the array it encodes; the reference's box, drawn as that
    mask, scores IoU 1, half of it 0.5."""
    import numpy as np

    from eval import segmentation

    w, h = 200, 100
    ref = "<ref>building</ref><box><loc_250><loc_200><loc_500><loc_600></box>"  # x 50..100, y 20..60
    full = np.zeros((h, w), bool)
    full[20:60, 50:100] = True
    half = full.copy()
    half[:, 75:] = False
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "seg", "[seg] Segment the building.", ref, width=w,
                                                         height=h) for i in "abcd"])
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "a", "answer": "", "objects": [{"segmentation": _coco_rle(full, True), "score": 0.9}]},
        {"id": "b", "answer": "", "objects": [{"kind": "mask", **_coco_rle(full, False)}]},
        {"id": "c", "answer": "", "objects": [{"kind": "mask", "rle": _coco_rle(half, True), "label": "building"}]},
        {"id": "d", "answer": "", "objects": [{"segmentation": _coco_rle(half, False)}]}])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 0 and s["gIoU"] == 0.75 and s["P@0.5"] == 1.0 and s["P@0.7"] == 0.5


def test_a_coco_rle_that_does_not_cover_its_size_or_the_image_is_unparseable_saying_why():
    """pycocotools' decoder reads past counts that fall short of the size (uninitialised pixels) and writes past
    ones that run over it: such counts are refused before a pixel is set, as is a mask of another size than the
    image."""
    import numpy as np

    from eval.answers import UNPARSEABLE, pred_objects
    from eval.common import Item

    rec = {"id": "r", "task": "seg", "meta": {"width": 5, "height": 4},
           "conversations": [{"from": "human", "value": "[seg] x"}, {"from": "gpt", "value": "None."}]}

    def said(rle):
        got = pred_objects(Item(rec, {"id": "r", "objects": [{"segmentation": rle}]}, 0))
        return got.status, got.problems

    assert said({"size": [4, 5], "counts": [9, 2]}) == (UNPARSEABLE, [
        "object 0: its COCO run-length mask (segmentation) cannot be read: its runs cover 11 pixels, its size 4 x 5 = 20"])
    assert "cannot be read: it ends inside a count" in said({"size": [4, 5], "counts": "9220o"})[1][0]
    assert "is 10x8 pixels, the image 5x4" in said(_coco_rle(np.zeros((8, 10), bool), True))[1][0]
    assert said({"size": [4, 5], "counts": "92203"})[0] != UNPARSEABLE
    swapped = said(_coco_rle(np.zeros((5, 4), bool), True))[1][0]  # [width, height]
    assert "its size [5, 4] is [width, height]? COCO's is [height, width]" in swapped


def test_a_box_carrying_its_instance_mask_scores_as_the_box_and_a_read_mask_holds_only_its_crop(tmp_path):
    """Since COCO run-length masks are read, an object with a shape of its own and its instance mask beside it
    ({"kind": "box", "coords", "segmentation": RLE}, an instance segmenter's output) was read as the mask: detection
    left it out ("a kind detection does not score") and scored mAP 0 where the box hits. The shape is what is
    scored; an object whose only shape is the RLE is still read. A read mask kept the whole image's array alive
    behind its crop (a view), one per object."""
    import numpy as np

    from eval import detection
    from eval.rle import decoded

    w, h = 200, 100
    ref = "<ref>building</ref><box><loc_250><loc_200><loc_500><loc_600></box>"  # x 50..100, y 20..60
    m = np.zeros((h, w), bool)
    m[20:60, 50:100] = True
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] Find the buildings.", ref, width=w,
                                                         height=h)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "", "objects": [
        {"kind": "box", "coords": [50, 20, 100, 60], "label": "building", "score": 0.9,
         "segmentation": _coco_rle(m, True)}]}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["mAP50"] > 0.99 and s["n_pred_objects"] == 1 and not any("does not score" in n for n in s["notes"])
    o, why = decoded({"segmentation": _coco_rle(m, True)}, w, h)
    assert why is None and o["offset"] == [50, 20] and o["mask"].shape == (40, 50) and o["mask"].all()
    assert o["mask"].base is None or o["mask"].base.size == o["mask"].size


def test_an_id_written_without_its_leading_zeros_is_noted_not_paired(tmp_path):
    """Integer ids from another tool (``"id": 12``, LLaVA's question_id) against zero-padded records (``0012``)
    scored every record as missing with no word beyond the counts; as with case or an extension, a note now names
    the first such pair. They are not paired: both may be records, and the one named scores."""

    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "cls", "[cls] What scene?", "lake") for i in ("0012", "12b")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": 12, "answer": "lake"}, {"id": "12b", "answer": "lake"}])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_missing"] == 1 and s["accuracy"] == 0.5
    assert any("1 prediction names no record, but a record without a prediction by its id written otherwise (first: "
               "'12' for '0012': surrounding spaces, case, an image extension or leading zeros)" in n for n in s["notes"])


def test_a_coco_results_file_as_predictions_says_what_it_is_and_the_layout_to_give(tmp_path):
    """mmdetection's or mmrotate's COCO results ([{"image_id", "category_id", "bbox", "score"}, …]: a detection a
    line) read as "item 0: not an object with an 'id'" and every record missing; the bad line now says it is a COCO
    detection and gives the layout, corners not COCO's width and height."""

    from eval import detection

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_300></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("0012", "det", "[det] Find ships.", box)])
    pred = tmp_path / "results.json"
    pred.write_text(json.dumps([{"image_id": 12, "category_id": 1, "bbox": [100, 100, 200, 200], "score": 0.9}]))
    s = detection.main(["--gt", gt, "--pred", str(pred)])
    assert s["n_missing"] == 1 and any(
        "item 0: not an object with an 'id': a COCO results file's detection (image_id, category_id, bbox or "
        "segmentation), one a line?" in n and "COCO's bbox is [x, y, width, height]" in n for n in s["notes"])


def test_the_pointer_probe_cuts_at_the_llm_s_context_and_counts_what_it_cut(tmp_path, monkeypatch):
    """Records were cut at 1024 tokens whatever the LLM: on a 512-token LLM one of 700 was read past its positions
    (logits of garbage, scored), and one cut said nothing of the coordinates it lost. Now they are cut at the
    context and counted."""
    from test_probe_pointer_cells import model

    probe = load_script("probe_pointer_cells", monkeypatch)
    data = ground_records(tmp_path)
    long = json.loads(data.read_text().splitlines()[0])
    long["id"] = "long"
    long["conversations"][1]["value"] = "".join(
        f"<box><loc_{x}><loc_{y}><loc_{x + 50}><loc_{y + 50}></box>" for x in range(0, 900, 90) for y in range(0, 900, 90))
    data.write_text(data.read_text() + json.dumps(long) + "\n")
    res = probe.cell_stats(*model(), data, progress=False)
    assert res["cut"] == 1 and res["skipped"] == {} and 16 < res["n"] < 16 + 400  # 100 boxes, cut within them


def test_the_sensor_probe_refuses_an_answer_cut_at_the_llm_s_context(tmp_path, monkeypatch):
    """It read at 1024 tokens whatever the LLM, and an answer cut short there scored as part of itself against
    whole ones; it reads at the LLM's context now, and a cut answer is refused naming its record."""
    from test_train_utils import make_records

    from rsvlm.config import load_config
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.data.records import ReadReport
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.train import data as D

    probe = load_script("probe_sensor_word", monkeypatch)
    rec = json.loads(make_records(tmp_path, n=1, ir_every=0).read_text().splitlines()[0])
    rec.update(id="s1", task="vqa", meta={"qtype": "modality"},
               conversations=[{"from": "human", "value": "<image>\n[vqa] What sensor took this image?"},
                              {"from": "gpt", "value": "optical"}])
    rows = probe.variants([rec])[:1]
    model, proc = create_model(load_config(VLMConfig, Path(__file__).resolve().parents[1] / "configs/model/tiny.yaml"))
    path = Path(write_jsonl(tmp_path / "rows.jsonl", rows[:1]))
    index = D.build_index(path, proc.tokenizer, dict(proc.n_tokens), ReadReport(str(path)), roots=[tmp_path])
    n = len(D.SFTDataset(index, tmp_path, proc, PromptConfig(annotate_modality=False), 4096)[0]["input_ids"])
    monkeypatch.setattr("rsvlm.model.llm.context_length", lambda llm: n - 1)
    with pytest.raises(ValueError, match=f"record 's1' is {n} tokens long, past the LLM's context of {n - 1}"):
        probe.answer_logprobs(model.eval(), proc, rows, tmp_path, progress=False)


def test_loc_error_refuses_tasks_that_name_none(tmp_path, monkeypatch, capsys):
    """--tasks '' (an unset variable) measured every task's records, where the default is ground,det: refused
    before the model loads."""

    from eval import loc_error

    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: pytest.fail("loaded the model"))
    data = ground_records(tmp_path)
    for tasks in ("", " , "):
        with pytest.raises(SystemExit) as e:
            loc_error.main(["--data", str(data), "--tasks", tasks])
        assert e.value.code == 2 and f"--tasks {tasks!r} names no task" in capsys.readouterr().err


def test_the_pointer_probe_reads_images_under_image_root(tmp_path, monkeypatch, ckpt):
    """Records that name their images relative to a folder of their own (LLaVA-style data) could not be probed:
    every record was skipped, its images looked for beside the records file; --image-root names the folder, as
    rsvlm eval's and eval.loc_error's do."""
    probe = load_script("probe_pointer_cells", monkeypatch)
    data = ground_records(tmp_path / "set")
    moved = tmp_path / "elsewhere" / "test.jsonl"
    moved.parent.mkdir()
    moved.write_text(data.read_text())
    out = tmp_path / "r.json"
    assert probe.main(["--model", str(ckpt), "--data", str(moved), "--image-root", str(data.parent),
                       "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["n"] == 16 and res["skipped"] == {}
