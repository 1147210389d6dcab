"""rsvlm eval, the scorers and the LLaVA converter on LLaVA / GeoChat-style data (tour 54): records
that leave an image's modality unsaid, from conversion through answering to the per-modality tables.
The model is a stand-in (``test_eval_tour53``'s Processor and ``answering``)."""
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDATA
from test_eval_ranks51 import RECORD
from test_eval_tour53 import Processor, answering

from rsvlm import evaluate

REAL = REALDATA
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real sample files not here ({REAL})")


def _sar(path: Path) -> Path:
    """A 1-band float32 GeoTIFF: inferred as SAR when the record does not say."""
    import tifffile

    tifffile.imwrite(path, (np.arange(16 * 16, dtype=np.float32).reshape(16, 16) % 7) + 1)
    return path


class NoVH(Processor):
    """A model that refuses every image: the band check fails the record after its image was read."""

    def band_notes(self, image):
        raise ValueError(f"{image.name}: modality '{image.modality}' expects bands ['VV', 'VH']; missing ['VH']")


def test_a_record_failed_on_its_bands_keeps_the_modality_inferred_for_it(tmp_path, monkeypatch, capsys):
    from eval import classification

    _sar(tmp_path / "vv.tif")
    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    data.write_text(json.dumps({**RECORD, "images": [{"path": "vv.tif"}]}) + "\n")
    answering(monkeypatch)
    evaluate.run(None, NoVH({}), data, out, batch_size=1, progress=False)
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert "expects bands" in row["error"] and row["modalities"] == ["sar"]  # was: no modalities, tabled 'unknown'
    scores = classification.main(["--gt", str(data), "--pred", str(out)])
    assert list(scores["by_modality"]) == ["sar"] and scores["by_modality"]["sar"]["n_pred_errors"] == 1
    assert not any("'unknown'" in n for n in scores["notes"])


def _llava(tmp_path: Path, records: list[dict]) -> Path:
    src = tmp_path / "llava.json"
    src.write_text(json.dumps([{"conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"},
                                                  {"from": "gpt", "value": "lake"}], **r} for r in records]))
    return src


def test_llava_images_that_name_no_modality_are_left_unsaid_not_written_down_as_optical(tmp_path):
    from convert_helpers import convert, png

    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.records import ReadReport

    _sar(tmp_path / "vv.tif")
    png(tmp_path / "rgb.png", 8, 8)
    src = _llava(tmp_path, [{"id": "a", "image": "vv.tif"},
                            {"id": "b", "images": [{"path": "rgb.png", "modality": " SAR "}]},  # any case, as loaded
                            {"id": "c", "images": [{"path": "vv.tif", "modality": None}]},  # null: unsaid
                            {"id": "d", "images": [{"path": "rgb.png", "modality": "optical"}]},
                            {"id": "e", "image": "vv.tif", "modality": "sar"}])  # a plain record's: was dropped
    stats, recs = convert(tmp_path / "o", "llava", "--src", str(src), "--images", str(tmp_path))
    assert stats["skipped"] == {}  # was: 'SAR' and null skipped as unknown_modality
    assert stats["notes"] == {"modality_left_to_inference": 2}
    assert [r["images"][0]["modality"] for r in recs] == [None, "sar", None, "optical", "sar"]
    raw = [json.loads(line) for line in (tmp_path / "o" / "records.jsonl").read_text().splitlines()]
    assert "modality" not in raw[0]["images"][0]  # was: "optical", for a 1-band float32 SAR scene
    with ModalityFinder() as finder:  # what training and rsvlm eval then read it as
        assert finder.fill(recs[0], tmp_path / "o", ReadReport("records.jsonl"))["images"][0]["modality"] == "sar"
    _, recs = convert(tmp_path / "o2", "llava", "--src", str(src), "--images", str(tmp_path), "--modality", "ir")
    assert [r["images"][0]["modality"] for r in recs] == ["ir", "sar", "ir", "optical", "sar"]  # the flag fills the unsaid


def test_a_blind_test_set_made_with_a_training_seed_is_warned_of(tmp_path, monkeypatch, capsys):
    """The overlap check read --data again, skipping records without an answer: a blind set was never compared."""
    from rsvlm import inference
    from rsvlm.cli import main

    sample = Path(__file__).resolve().parents[1] / "rsvlm" / "assets" / "samples" / "airport_optical.png"
    data = tmp_path / "blind.jsonl"
    data.write_text(json.dumps({"id": "q", "images": [{"path": str(sample)}], "meta": {"scene": "s11-000001"},
                                "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}]}) + "\n")

    def no_model(*a, **kw):  # the model is not needed past the warning
        raise ValueError("no model in this test")

    monkeypatch.setattr(inference, "load_model", no_model)
    assert main(["eval", "--data", str(data), "--out", str(tmp_path / "p.jsonl")]) == 2  # the bundled model
    assert "warning: 1 of 1 test records share a scene or image with the model's training data" in capsys.readouterr().err


def test_eval_reads_the_data_file_once_past_its_checks(tmp_path, monkeypatch):
    """--data was read for the overlap check and again for the run (8 s per 100 000 records each)."""
    from types import SimpleNamespace

    from test_eval_ranks51 import StandIn, records_file

    from rsvlm import inference, predictions
    from rsvlm.cli import main
    from rsvlm.data import overlap

    StandIn(monkeypatch)
    monkeypatch.setattr(inference, "load_model", lambda *a, **kw: (None, SimpleNamespace()))
    reads = []
    for mod, name in ((evaluate, "load_records"), (predictions, "load_records"), (overlap, "read_records")):
        real, who = getattr(mod, name), f"{mod.__name__}.{name}"
        monkeypatch.setattr(mod, name, lambda *a, _real=real, _who=who, **kw: reads.append(_who) or _real(*a, **kw))
    data = records_file(tmp_path, 3)
    assert main(["eval", "--data", str(data), "--out", str(tmp_path / "p.jsonl")]) == 0
    # check_out (rsvlm.predictions) read it a second time before the model loaded
    assert reads == ["rsvlm.evaluate.load_records"] and len((tmp_path / "p.jsonl").read_text().splitlines()) == 3


GEOCHAT = {"image": "g.png", "meta": {"width": 200, "height": 100}}


def test_a_geochat_set_scored_unconverted_is_refused_naming_the_record_not_scored_as_empty(tmp_path, capsys):
    from eval import detection, grounding
    from eval.common import ScoreError

    gt, pred = tmp_path / "gt.json", tmp_path / "p.jsonl"
    gt.write_text(json.dumps([{**GEOCHAT, "id": "d", "conversations": [
        {"from": "human", "value": "<image>\n[det] Detect every vehicle."},
        {"from": "gpt", "value": "<p>vehicle</p>{<10><10><20><20>|<90>}"}]}]))
    pred.write_text(json.dumps({"id": "d", "answer": "<p>vehicle</p>{<10><10><20><20>|<90>}"}) + "\n")
    # was: the reference read as no object, "AP is undefined", every detection a false positive
    with pytest.raises(ScoreError, match=r"record 'd': the ground-truth answer holds geochat geometry .*convert llava"):
        detection.main(["--gt", str(gt), "--pred", str(pred), "--format", "geochat"])
    gt.write_text(json.dumps([{**GEOCHAT, "id": "r", "conversations": [
        {"from": "human", "value": "<image>\n[refer] Where is <p>the ship</p>?"}, {"from": "gpt", "value": "x"}]}]))
    with pytest.raises(ScoreError, match=r"no records of task ground .*'None' is 1 record with no \"task\".*convert"):
        grounding.main(["--gt", str(gt), "--pred", str(pred), "--format", "geochat"])


@needs_real
def test_llava_records_with_one_file_per_band_are_converted_not_skipped(tmp_path):
    """Sentinel-2 bands as separate files: was skipped as unparsable_record (KeyError 'path')."""
    from convert_helpers import convert

    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.records import ReadReport

    bands = [f"msi_s2/B0{b}.jp2" for b in (2, 3, 4, 8)]
    src = _llava(tmp_path, [{"id": "s2", "images": [{"band_files": bands, "bands": ["B02", "B03", "B04", "B08"]}]},
                            {"id": "str", "images": [{"band_files": "msi_s2/B02.jp2"}]}])  # not a list
    stats, (rec,) = convert(tmp_path / "o", "llava", "--src", str(src), "--images", str(REAL))
    assert stats["skipped"] == {"unparsable_record": 1}
    assert [Path(f).name for f in rec["images"][0]["band_files"]] == ["B02.jp2", "B03.jp2", "B04.jp2", "B08.jp2"]
    assert all((tmp_path / "o" / f).is_file() for f in rec["images"][0]["band_files"])
    assert "path" not in rec["images"][0] and rec["images"][0]["bands"] == ["B02", "B03", "B04", "B08"]
    with ModalityFinder() as finder:
        assert finder.fill(rec, tmp_path / "o", ReadReport("r"))["images"][0]["modality"] == "msi"


def test_records_without_a_task_are_pointed_to_the_converter(tmp_path, monkeypatch, capsys):
    """GeoChat's [refer] opens no rsvlm task: the run said "give each record its task", not how."""
    from test_eval_ranks51 import StandIn, records_file

    StandIn(monkeypatch)
    data = records_file(tmp_path, 1)
    rec = json.loads(data.read_text())
    data.write_text(json.dumps({**rec, "task": None, "conversations": [
        {"from": "human", "value": "<image>\n[refer] Where is <p>the ship</p>?"}, {"from": "gpt", "value": "x"}]}) + "\n")
    evaluate.run(None, None, data, tmp_path / "p.jsonl", progress=False)
    err = capsys.readouterr().err
    assert "1 of 1 record has no task" in err and "python -m data_gen convert llava --task" in err


@needs_real
def test_a_llava_set_over_real_scenes_is_converted_answered_and_tabled_by_the_inferred_modality(tmp_path, monkeypatch):
    from convert_helpers import convert

    from eval import classification

    src = _llava(tmp_path, [{"id": "s1", "image": "sar_s1grd/iw-vv.tiff"},
                            {"id": "rgbn", "image": "msi_rgbn/rgbn_suba.tif"},
                            {"id": "dota", "image": "obb_dota/P1888.png"},
                            {"id": "said", "images": [{"path": "obb_dota/P1888.png", "modality": "ir"}]}])
    stats, recs = convert(tmp_path / "o", "llava", "--src", str(src), "--images", str(REAL))
    assert stats["records"] == 4 and [r["images"][0]["modality"] for r in recs] == [None, None, None, "ir"]
    answering(monkeypatch)
    data, out = tmp_path / "o" / "records.jsonl", tmp_path / "p.jsonl"
    evaluate.run(None, Processor({}), data, out, batch_size=4, progress=False)
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert {k: r.get("modalities") for k, r in rows.items()} == {
        "s1": ["sar"], "rgbn": ["msi"], "dota": ["optical"], "said": None}  # a said modality is the record's
    scores = classification.main(["--gt", str(data), "--pred", str(out)])
    assert {m: s["n_records"] for m, s in scores["by_modality"].items()} == {"ir": 1, "msi": 1, "optical": 1, "sar": 1}


def test_a_llava_file_that_is_one_json_object_is_named_not_read_as_lines_of_bad_records(tmp_path):
    from convert_helpers import convert, png

    from data_gen.convert import convert as run_convert
    from data_gen.convert.common import ConversionError

    png(tmp_path / "rgb.png", 8, 8)
    rec = json.loads(_llava(tmp_path, [{"id": "a", "image": "rgb.png"}]).read_text())[0]
    src = tmp_path / "wrapped.json"
    src.write_text(json.dumps({"info": "v1", "data": [rec]}, indent=1))
    with pytest.raises(ConversionError, match=r"one JSON object, not a JSON array .* under 'data'"):
        run_convert(["llava", "--src", str(src), "--images", str(tmp_path), "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()  # was: each of its 9 lines skipped as unparsable_record
    src.write_text(json.dumps(rec, indent=1))  # one record, pretty-printed
    stats, (got,) = convert(tmp_path / "o", "llava", "--src", str(src), "--images", str(tmp_path))
    assert got["id"] == "a" and stats["skipped"] == {}


def test_a_grounded_caption_is_scored_on_its_words_not_its_location_tokens(tmp_path):
    """GeoChat's [grounding] converts to a [cap] reference with boxes: BLEU-4 was 0.04 for the same words."""
    from eval import captioning

    said = "A ship is in the harbour near a long pier."
    ref = "A <ref>ship</ref><box><loc_100><loc_200><loc_300><loc_400></box> is in the harbour near a long pier."
    gt, pred = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text(json.dumps({"id": "c", "images": [{"path": "x.png"}], "task": "cap", "conversations": [
        {"from": "human", "value": "<image>\n[cap] Describe it."}, {"from": "gpt", "value": ref}]}) + "\n")
    for answer in (said, ref, "A <p>ship</p>{<10><20><30><40>|<90>} is in the harbour near a long pier."):
        pred.write_text(json.dumps({"id": "c", "answer": answer}) + "\n")
        scores = captioning.main(["--gt", str(gt), "--pred", str(pred), "--no-java"])
        assert scores["BLEU-4"] == pytest.approx(1.0, abs=1e-3) and scores["n_unparseable"] == 0, answer
    pred.write_text(json.dumps({"id": "c", "answer": "<box><loc_1><loc_2><loc_3><loc_4></box>"}) + "\n")
    assert captioning.main(["--gt", str(gt), "--pred", str(pred), "--no-java"])["BLEU-1"] < 1e-6  # no words
