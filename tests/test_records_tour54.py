"""A record's image modality where the record does not name it: inferred from the file (band count,
dtype, names) by the reader's rule and reported, never taken for optical (DESIGN.md "Modalities")."""
import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REALDATA, needs_realdata

from rsvlm.data.records import ReadReport, RecordError, normalize_record, with_modalities


def llava(rid: str, image, question: str = "What is it?", answer: str = "a ship") -> dict:
    return {"id": rid, "image": image, "conversations": [
        {"from": "human", "value": "<image>\n" * (len(image) if isinstance(image, list) else 1) + question},
        {"from": "gpt", "value": answer}]}


def sar_tif(path: Path, side: int = 16) -> Path:
    """A one-band float32 GeoTIFF (a Sentinel-1 backscatter chip's layout)."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=1, dtype="float32",
                       crs="EPSG:32631", transform=from_origin(500000, 5000000, 10, 10)) as ds:
        ds.write(np.random.default_rng(0).random((1, side, side), dtype=np.float32) + 0.01)
    return path


def words(texts, add_special_tokens=False):  # a tokenizer stand-in: one id per word
    return {"input_ids": [t.split() for t in texts]}


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_an_unnamed_modality_is_unsaid_and_a_named_one_is_kept():
    r = normalize_record(llava("a", "x.tif"))
    assert r["images"] == [{"path": "x.tif", "modality": None}]  # was "optical", silently
    named = normalize_record({**llava("b", "x.tif"), "image": None, "images": [{"path": "x.tif", "modality": "ir"}]})
    assert named["images"][0]["modality"] == "ir"
    with pytest.raises(ValueError, match=r"images\[0\]\.modality.*'radar' is not one of"):
        normalize_record({**llava("c", "x.tif"), "images": [{"path": "x.tif", "modality": "radar"}]})
    spelt = [normalize_record({**llava("d", "x.tif"), "images": [{"path": "x.tif", "modality": m}]})["images"][0]
             for m in ("SAR", " Optical ", "", None)]
    assert [im["modality"] for im in spelt] == ["sar", "optical", None, None]  # "SAR" was refused; --modality takes it
    assert with_modalities(r, ["sar"])["images"][0]["modality"] == "sar"
    assert with_modalities(named, ["sar"]) is named  # what a record names is never replaced


def test_the_prompt_refuses_an_image_of_unknown_modality():
    from rsvlm.data.conversation import PromptConfig, record_messages

    r = normalize_record(llava("a", "x.tif"))
    with pytest.raises(ValueError, match="record a: the modality of image 0 is not known"):
        record_messages(r)  # was "None image: <image>"
    assert record_messages(with_modalities(r, ["sar"]))[-2]["content"].startswith("SAR image: <image>")
    assert "<image>" in record_messages(r, PromptConfig(annotate_modality=False))[-2]["content"]


def test_training_index_infers_from_the_file_and_counts_it(tmp_path):
    from rsvlm.train import data as D

    sar_tif(tmp_path / "s1.tif")
    from PIL import Image

    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "rgb.png")
    path = write(tmp_path / "train.jsonl", [
        llava("a", "s1.tif"), llava("b", "s1.tif", "How many ships?", "2"),  # one file, inferred once
        {**llava("c", "s1.tif"), "image": None, "images": [{"path": "s1.tif", "modality": "optical"}]},
        llava("d", "rgb.png")])
    report = ReadReport(str(path))
    index = D.build_index(path, words, {"optical": 16, "sar": 8}, report)
    assert index["modality"] == ["sar", "sar", "optical", "optical"]  # a, b were optical: the wrong stem
    mods = [[im["modality"] for im in json.loads(r)["images"]] for r in index["record"]]
    assert mods == [["sar"], ["sar"], ["optical"], ["optical"]]  # the record says "SAR image" to the LLM
    assert report.inferred == {("sar", "1 band float32"): 1, ("optical", "3 bands uint8"): 1}
    said = report.summary()
    assert report.notable and "modality inferred for 2 image files whose records do not name it: " \
        "sar 1 (1 band float32), optical 1 (3 bands uint8)" in said and f"(first: {tmp_path / 's1.tif'};" in said
    assert index["length"][0] == index["length"][3] - 16 + 8  # sar's visual tokens, not optical's


def test_a_modality_without_a_stem_found_by_inference_is_left_out_as_such(tmp_path):
    from collections import Counter

    from rsvlm.train import data as D

    sar_tif(tmp_path / "s1.tif")
    path = write(tmp_path / "train.jsonl", [llava("a", "s1.tif"), {**llava("b", "s1.tif"), "image": None,
                                                                    "images": [{"path": "s1.tif", "modality": "ir"}]}])
    no_stem, report = Counter(), ReadReport(str(path))
    index = D.build_index(path, words, {"optical": 16, "ir": 16}, report, no_stem)
    assert index["id"] == ["b"] and no_stem == {"sar": 1}  # was trained through the optical stem


def test_a_record_whose_image_cannot_be_opened_is_left_out_and_counted(tmp_path):
    from rsvlm.data.modality import UNOPENED
    from rsvlm.train import data as D

    (tmp_path / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    sar_tif(tmp_path / "s1.tif")
    path = write(tmp_path / "train.jsonl", [llava("a", "gone.tif"), llava("b", "cut.png"), llava("c", "s1.tif")])
    report = ReadReport(str(path))
    index = D.build_index(path, words, {"optical": 16, "sar": 8}, report, roots=[tmp_path])
    assert index["id"] == ["c"] and report.n_ok == 1 and report.skipped == {UNOPENED: 2}  # stem and length unknown
    said = report.summary()
    assert f"2 skipped ({UNOPENED}: 2)" in said and "modality inferred for 1 image file whose" in said
    assert report.examples[0] == (f"{path}:1: record a: images[0] does not name its modality, and it cannot be "
                                  f"inferred: FileNotFoundError: image not found: {tmp_path / 'gone.tif'}")
    with pytest.raises(ValueError, match=r"no usable record .*image that cannot be opened"):  # a wrong root: before step 1
        D.build_index(path, words, {"optical": 16, "sar": 8}, ReadReport(str(path)), roots=[tmp_path / "elsewhere"])
    with pytest.raises(ValueError, match="image roots for"):
        D.build_index(path, words, {"optical": 16}, ReadReport(str(path)), roots=[tmp_path, tmp_path])


def test_a_sample_whose_modality_is_still_unsaid_is_prompted_with_what_reading_found(tmp_path, monkeypatch):
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.train import data as D

    class Processor:  # SFTDataset's processor, its pixels the images as read
        stems: dict = {}

        def prepare_image(self, image, fill=None):
            return image

    sar_tif(tmp_path / "s1.tif")
    index = [{"record": json.dumps(normalize_record(llava("a", "s1.tif"))), "task": "chat", "modality": "sar"}]
    said = []
    monkeypatch.setattr(D, "encode_sample", lambda proc, messages, pixels, n: said.append(messages) or
                        {"input_ids": [1], "labels": [1], "n_tokens": 1})
    item = D.SFTDataset(index, tmp_path, Processor(), PromptConfig(), 64)[0]
    assert not item.get("bad") and item["images"][0].modality == "sar"  # was a bad sample: "None image"
    assert said[0][-2]["content"].startswith("SAR image: <image>")


def test_clip_caption_pairs_infer_the_modality_too(tmp_path):
    from rsvlm.data.modality import UNOPENED
    from rsvlm.train.clip_data import caption_pool, without_stem

    sar_tif(tmp_path / "s1.tif")
    path = write(tmp_path / "train.jsonl", [llava("a", "s1.tif", "[cap] Describe it.", "Ships at sea."),
                                            llava("b", "gone.tif", "[cap] Describe it.", "A port.")])
    cfg = SimpleNamespace(data=SimpleNamespace(train=str(path), root=None, extra=[]),
                          model=SimpleNamespace(stems={"optical": None}))
    pairs, _, report = caption_pool(cfg)
    assert [p[0]["images"][0]["modality"] for p in pairs] == ["sar"]  # was optical
    assert report.inferred == {("sar", "1 band float32"): 1} and report.skipped == {UNOPENED: 1}
    assert report.n_ok == 1
    kept, _, left = without_stem(pairs, None, cfg)
    assert left == {"sar": 1} and not kept  # was trained through the optical stem


def test_eval_infers_tallies_prompts_and_writes_the_modality(tmp_path, monkeypatch, capsys):
    from test_eval_tour53 import Processor

    from rsvlm import evaluate, inference

    for name in ("a.tif", "b.tif"):
        sar_tif(tmp_path / name)
    data, out = write(tmp_path / "test.jsonl", [llava("a", "a.tif"), llava("b", "b.tif"),
                                                {**llava("c", "a.tif"), "image": None,
                                                 "images": [{"path": "a.tif", "modality": "sar"}]}]), tmp_path / "p.jsonl"
    asked = []  # the prompts the model is given
    monkeypatch.setattr(inference, "answerer", lambda *a, **kw: lambda msgs, imgs: asked.extend(
        m[-1]["content"] for m in msgs) or [inference.Answer("lake", []) for _ in msgs])
    evaluate.run(None, Processor({}), data, out, batch_size=2, progress=False)
    err = capsys.readouterr().err
    assert re.search(r"2 records: modality inferred as sar from 1 band float32\b.*\(first: a\)", err), err  # once, counted
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("modalities") for r in rows] == [["sar"], ["sar"], None]  # c names its own
    assert [q.split(":")[0] for q in asked] == ["SAR image"] * 3  # the prompt says what was read


def test_scorers_table_an_unnamed_modality_as_inferred_or_unknown(tmp_path, capsys):
    from eval import classification
    from eval.common import modality

    gt = normalize_record(llava("a", "a.tif"))
    assert modality(gt, {"id": "a", "answer": "x", "modalities": ["sar"]}) == "sar"
    assert modality(gt, {"id": "a", "answer": "x"}) == modality(gt) == "unknown"  # was "optical"
    assert modality(gt, {"id": "a", "modalities": ["radar"]}) == "unknown"
    named = {**gt, "images": [{"path": "a.tif", "modality": "ir"}]}
    assert modality(named, {"id": "a", "modalities": ["sar"]}) == "ir"  # the ground truth's word wins

    recs = [{**llava(i, f"{i}.tif", "[cls] What scene?", "harbour"), "task": "cls"} for i in "abcde"]
    gt_path = write(tmp_path / "gt.jsonl", recs)
    pred = write(tmp_path / "pred.jsonl", [{"id": "a", "task": "cls", "answer": "harbour", "modalities": ["sar"]},
                                           {"id": "b", "task": "cls", "answer": "forest", "modalities": ["sar"]},
                                           {"id": "c", "task": "cls", "answer": "harbour"},
                                           {"id": "d", "task": "cls", "answer": "", "error": "image not found: d.tif"}])
    scores = classification.main(["--gt", str(gt_path), "--pred", str(pred)])
    assert set(scores["by_modality"]) == {"sar", "unknown"}
    assert scores["by_modality"]["sar"]["n_records"] == 2 and scores["by_modality"]["unknown"]["n_records"] == 3
    assert ("3 records are tabled under modality 'unknown': the ground truth does not name an image's modality and "
            "their prediction is ") in (note := next(n for n in scores["notes"] if "'unknown'" in n))
    assert all(f"{why} (1)" in note for why in ("missing", "answered empty with an error (image not read)",
                                                 "without the \"modalities\" rsvlm eval writes (another tool or an "
                                                 "older rsvlm eval)"))


@pytest.mark.realdata
@needs_realdata()
def test_real_scenes_in_llava_records_index_as_what_they_are(tmp_path):
    from rsvlm.train import data as D

    s2 = ",".join(str(REALDATA / "msi_s2" / f"B0{b}.jp2") for b in "2348")
    path = write(tmp_path / "train.jsonl", [
        llava("s1", str(REALDATA / "sar_s1grd" / "iw-vv.tiff")),  # uint16, ground control points only
        llava("l8", str(REALDATA / "ir_landsat8" / "LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF")),
        {**llava("s2", None), "image": None, "images": [{"band_files": s2.split(",")}]},
        llava("aid", str(REALDATA / "cls_aid" / "church_183.png"))])
    report = ReadReport(str(path))
    index = D.build_index(path, words, {"optical": 16, "sar": 16, "ir": 16, "msi": 16}, report)
    assert index["modality"] == ["sar", "ir", "msi", "optical"]
    assert sum(report.inferred.values()) == 4 and not report.skipped


def test_eval_says_how_a_record_gives_the_modality_not_a_flag_it_lacks(tmp_path, monkeypatch, capsys):
    from PIL import Image
    from test_eval_tour53 import Processor, answering

    from rsvlm import evaluate

    Image.fromarray(np.full((16, 16), 7, np.uint8)).save(tmp_path / "grey.png")
    data, out = write(tmp_path / "test.jsonl", [llava("g", "grey.png")]), tmp_path / "p.jsonl"
    answering(monkeypatch)
    evaluate.run(None, Processor({}), data, out, progress=False)
    err = capsys.readouterr().err
    assert "1 record: modality inferred as ir from 1 band uint8 (a guess from its type alone, read as thermal " \
        "infrared; a panchromatic or grey photo: \"modality\": \"optical\" in the record; single-polarisation SAR: " \
        "\"modality\": \"sar\" in the record) (first: g)" in err
    assert "--modality" not in err  # rsvlm eval has no such option
    assert json.loads(out.read_text())["modalities"] == ["ir"]


def test_a_record_without_an_image_is_tabled_as_text_not_optical():
    from eval.common import modality

    rec = normalize_record({"id": "t", "conversations": [{"from": "human", "value": "[vqa] What is SAR?"},
                                                         {"from": "gpt", "value": "radar"}]})
    assert modality(rec, {"id": "t", "answer": "radar"}) == "text"  # was "optical"


def test_reading_advice_names_the_record_fields_not_predict_flags():
    from rsvlm.data.records import as_record_fields

    assert as_record_fields("its 3 bands are identical: give the modality (--modality sar or ir)") == \
        'its 3 bands are identical: give the modality ("modality": "sar" or "ir" in the record)'
    assert as_record_fields("2 unnamed bands taken in the order VV, VH (name them with --bands if not)") == \
        '2 unnamed bands taken in the order VV, VH (name them with "bands" in the record if not)'
    assert as_record_fields("zero-padded for Sentinel-2 (--bands B01,B8A) to say so") == \
        'zero-padded for Sentinel-2 ("bands": ["B01", "B8A"] in the record) to say so'
    assert as_record_fields("stretch (2-98 percentiles): R [0, 1]") == "stretch (2-98 percentiles): R [0, 1]"


def test_a_plain_records_own_modality_names_its_image():
    """It was dropped: the image then left to inference, where the llava converter keeps it."""
    rec = normalize_record({"id": 1, "image": "vv.tif", "modality": "SAR",
                            "conversations": [{"from": "human", "value": "<image>\nq"}, {"from": "gpt", "value": "a"}]})
    assert rec["images"] == [{"path": "vv.tif", "modality": "sar"}]
    with pytest.raises(RecordError, match=r"images\[0\]\.modality.*'radar' is not one of"):
        normalize_record({"id": 2, "image": "x.tif", "modality": "radar",
                          "conversations": [{"from": "human", "value": "<image>\nq"}, {"from": "gpt", "value": "a"}]})
