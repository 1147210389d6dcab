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
    with pytest.raises(common.ScoreError, match="are --gt and --pred swapped"):
        detection.main(["--gt", pred_file, "--pred", gt])


def test_the_meta_size_note_reads_the_images_under_image_root(tmp_path, capsys):
    """A set answered with rsvlm eval --image-root (its images in another folder than the records) had no note of
    a meta size that is not its image's: the note read images beside --gt only; the scorers take --image-root too."""
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
    assert note.startswith(f"1 of the 1 record(s) whose images were found under --image-root {images} give a "
                           f"meta.width x meta.height other than the image's (first: a: meta 200x100, image "
                           f"{images / 'a.png'} 100x50)")
    with pytest.raises(SystemExit) as e:
        detection.main(["--gt", gt, "--pred", pred, "--image-root", str(tmp_path / "nowhere")])
    assert e.value.code == 2 and f"--image-root {tmp_path / 'nowhere'}: no such folder" in capsys.readouterr().err
