"""Stop 67's tour of the scoring scripts: the swapped-file check reads a prediction as load_predictions does,
the meta-size note finds images under --image-root, rsvlm eval's context-cap note is said by a rank that loads."""

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize("pred", [
    {"id": "r0", "objects": [{"kind": "box", "coords": [1, 2, 30, 40]}]},  # a detector's own objects, no answer
    {"id": "r0", "text": "<box><loc_1><loc_2><loc_3><loc_4></box>"},  # scored on its text
    {"id": "r0", "objects": [{"kind": "box", "coords": [1, 2, 30, 40], "note": "x" * (5 << 20)}]},  # past the head
])
def test_predictions_without_an_answer_given_as_gt_are_named_as_swapped(tmp_path, pred):
    """--gt naming a predictions file of ``objects`` (or ``text``) and no ``answer`` said "field 'conversations':
    missing or empty" of its first line: the swapped-file check knew only the ``answer`` key (and LLaVA's
    question_id with text), where load_predictions scores these lines."""
    from eval import common, detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("r0", "det", "[detection] Find ships.", "None.")])
    pred_file = write_jsonl(tmp_path / "pred.jsonl", [pred])
    with pytest.raises(common.ScoreError, match=r"are --gt and --pred swapped\? \(read as records: .*pred.jsonl:1 .*"
                       "conversations"):  # what a records reader said of it, where it is no predictions file after all
        detection.main(["--gt", pred_file, "--pred", gt])


def test_the_meta_size_note_reads_the_images_under_image_root(tmp_path):
    """A set answered with rsvlm eval --image-root (its images in another folder than the records) had no note of
    a meta size that is not its image's: the note read images beside --gt only; the scorers take --image-root too
    (one that is no folder is refused: test_eval_review67)."""
    from PIL import Image

    from eval import detection

    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (100, 50)).save(images / "a.png")  # meta says 200x100: the images were resized
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] Find the buildings.", "None.", width=200,
                                                         height=100)])
    box = {"kind": "box", "coords": [25, 10, 50, 30], "label": "building"}
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "", "objects": [box]}])

    def size_notes(*more):
        return [n for n in detection.main(["--gt", gt, "--pred", pred, *more])["notes"]
                if "meta.width x meta.height other than the image's" in n]

    assert size_notes() == []  # nothing beside --gt to read
    (note,) = size_notes("--image-root", str(images))
    assert note.startswith(f"1 of the 1 record whose images were found under --image-root {images} gives a "
                           f"meta.width x meta.height other than the image's (first: a: meta 200x100, image "
                           f"{images / 'a.png'} 100x50)")


def test_the_context_cap_note_is_said_by_the_first_rank_that_loads_the_model(ckpt, tmp_path, capsys, monkeypatch):
    """Only rank 0 said that --max-new-tokens past the LLM's context was taken as the context; a rank 0 whose share
    was answered already (a resumed run) loads no model, so no rank said it. The first rank with records left does."""
    import numpy as np
    from PIL import Image

    from rsvlm import evaluate
    from rsvlm.cli import main as cli
    from rsvlm.predictions import asked_digest

    recs = [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"]
    for r in recs:
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / f"{r['id']}.png")
    data, out = write_jsonl(tmp_path / "test.jsonl", recs), tmp_path / "p.jsonl"
    write_jsonl(out, [{"id": "a", "task": "cls", "answer": "lake",  # rank 0's share (records[0::2]) answered
                       "asked_digest": asked_digest(evaluate.tagged_record(recs[0])[0])}])
    real = evaluate.answer_batch
    monkeypatch.setattr(evaluate, "answer_batch", lambda model, processor, batch, root, n, *a, **k: real(
        model, processor, batch, root, 2, *a, **k))  # the answers themselves kept short
    for k in ("MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    said = {}
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        assert cli(["eval", "--model", str(ckpt), "--data", data, "--out", str(out), "--max-new-tokens", "100000",
                    "--device", "cpu"]) == 0
        said[rank] = capsys.readouterr().err
    note = "rsvlm eval: note: --max-new-tokens 100000 is more than the LLM's whole context (512 tokens)"
    assert note not in said["0"] and note in said["1"]


def test_report_says_what_a_folder_or_a_jsonl_file_given_as_scores_is(tmp_path, capsys):
    """eval.report --scores FOLDER stopped on "[Errno 21] Is a directory: 'FOLDER'", and a predictions JSONL on "not
    JSON (Extra data at line 2)"; they now say what to give (a folder named *.json in --dir is left out, noted)."""
    from eval import common, report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("r0", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "r0", "task": "vqa", "answer": "yes"}, {"id": "r1"}])
    scores = tmp_path / "scores"
    (scores / "odd.json").mkdir(parents=True)
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(scores / "vqa.json")])
    with pytest.raises(common.ScoreError, match=f"--scores {scores} is a folder: give its score files, or --dir "):
        report.main(["--scores", str(scores)])
    with pytest.raises(common.ScoreError, match=r"pred.jsonl: not JSON \(Extra data at line 2\): JSON lines "
                                                r"\(predictions, records\?\), where a score file is one JSON object"):
        report.main(["--scores", pred])
    capsys.readouterr()
    report.main(["--dir", str(scores)])
    said = capsys.readouterr()
    assert f"note: {scores / 'odd.json'} is a folder, so no eval score file; left out" in said.err and "| vqa " in said.out


def test_rsvlm_eval_names_predictions_given_as_its_data(tmp_path, capsys):
    """rsvlm eval --data PRED.jsonl (its own --out, or a detector's objects) said "no records to answer: … field
    'conversations': missing or empty"; it now says the file holds predictions and where they go."""
    from rsvlm.cli import main as cli

    for name, row in (("p.jsonl", {"id": "a", "task": "cls", "answer": "lake"}),
                      ("o.jsonl", {"id": "a", "objects": [{"kind": "box", "coords": [1, 2, 3, 4]}]})):
        data = write_jsonl(tmp_path / name, [row])
        assert cli(["eval", "--data", data, "--out", str(tmp_path / "out.jsonl"), "--model", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert f"rsvlm eval: --data {data} holds predictions ({{id, task, answer}} lines), not the test set's " \
               f"records: give the records (their conversations hold the questions); predictions are scored with " \
               f"python -m eval.TASK --gt TEST.jsonl --pred {data}" in err, err
    write_jsonl(tmp_path / "r.jsonl", [{"id": "a", "task": "cls", "images": []}])  # a bad record is no prediction
    assert cli(["eval", "--data", str(tmp_path / "r.jsonl"), "--out", str(tmp_path / "out.jsonl")]) == 2
    assert "holds predictions" not in capsys.readouterr().err


def test_loc_error_names_predictions_given_as_its_data_before_the_model_loads(tmp_path, capsys, monkeypatch):
    """python -m eval.loc_error --data PRED.jsonl loaded the model, then said "no usable record … field
    'conversations': missing or empty"; it now says the file holds predictions, before loading anything."""
    from eval import common, loc_error
    from rsvlm import inference

    loads = []
    monkeypatch.setattr(inference, "load_model", lambda *a, **k: loads.append(a))
    data = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "ground", "answer": "<box><loc_1></box>"}])
    with pytest.raises(SystemExit) as e:
        common.main_guard(lambda: loc_error.main(["--data", data]))
    assert e.value.code == 2 and loads == []
    assert f"--data {data} holds predictions ({{id, task, answer}} lines), not the test set's records" in \
        capsys.readouterr().err


def test_the_scorers_take_format_in_any_case(tmp_path):
    """--format GeoChat was refused ("invalid choice"), where rsvlm's own choices (--tta, --task) are taken in any
    case."""
    from eval import grounding

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "ground", "[ground] the ship",
                                                         "<box><loc_100><loc_100><loc_300><loc_300></box>")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "{<10><10><30><30>}"}])
    scores = grounding.main(["--gt", gt, "--pred", pred, "--format", "GeoChat"])
    assert scores["format"] == "geochat" and scores["n_unparseable"] == 0
