"""Stop 72, review of evaluation round 2: a record without ``meta.width``/``meta.height`` sized from an image named as
GDAL names it (an archive member), a pair of two sizes said, a pair whose first image is gone sized from the other;
a missing ``--gt`` written ``./x``; a bracketed thousands number ``(1,000)`` and a spaced pair ``( 120,340 )``."""

import zipfile

import pytest

from eval import change, detection
from tests.conftest import eval_record, write_jsonl

BOX = "<ref>ship</ref><box><loc_100><loc_200><loc_500><loc_700></box>"
MAP = "<ref>building</ref><box><loc_100><loc_100><loc_300><loc_300></box>"


def _png(path, w: int, h: int) -> None:
    from PIL import Image

    Image.new("RGB", (w, h)).save(path)


def _unsized(rid: str, task: str, answer: str, *paths: str) -> dict:
    rec = eval_record(rid, task, f"[{task}] Segment the changed buildings.", answer, subtask="change_seg_building")
    rec["meta"].pop("width"), rec["meta"].pop("height")
    rec["images"] = [{"path": p, "modality": "optical"} for p in paths]
    rec["conversations"][0]["value"] = "<image>\n" * (len(paths) - 1) + rec["conversations"][0]["value"]
    return rec


def test_an_image_in_a_zip_archive_gives_its_size_as_rsvlm_eval_reads_it(tmp_path):
    """Was: the size reader asked ``is_file()`` of ``/vsizip/…/pack.zip/a.png``, which no such name is, and left the
    record out as 'not found', though rsvlm eval read and answered it."""
    _png(tmp_path / "a.png", 200, 100)
    with zipfile.ZipFile(tmp_path / "pack.zip", "w") as z:
        z.write(tmp_path / "a.png", "a.png")
    (tmp_path / "a.png").unlink()
    rec = _unsized("z", "det", BOX, "/vsizip/pack.zip/a.png")
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "z", "task": "det", "answer": BOX}])
    scores = detection.main(["--gt", gt, "--pred", pred])
    assert (scores["n_records"], scores["n_gt_unsized"], scores["mAP50"]) == (1, 0, pytest.approx(1.0))
    assert any("scored at its image's size" in n and "(first: z)" in n for n in scores["notes"])


def test_a_pair_of_two_sizes_is_scored_at_the_first_and_said_and_one_whose_first_is_gone_at_the_other(tmp_path):
    """A change pair whose images differ in size took the first's silently: the grid its reference is on is then
    unknown (data_gen's converters refuse such a pair). A pair whose first image is gone (rsvlm eval answered it with
    an error: scored as wrong) was left out, though its other image gives a size."""
    _png(tmp_path / "a1.png", 64, 64)
    _png(tmp_path / "a2.png", 32, 32)
    _png(tmp_path / "b2.png", 64, 48)
    recs = [_unsized("a", "change", MAP, "a1.png", "a2.png"), _unsized("b", "change", MAP, "b1.png", "b2.png")]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r, "task": "change", "answer": MAP} for r in "ab"])
    scores = change.main(["--gt", gt, "--pred", pred])
    assert (scores["n_records"], scores["n_gt_unsized"]) == (2, 0)
    note = next(n for n in scores["notes"] if "scored at their image's size" in n)
    assert "2 records" in note and "1 of them has images of two sizes (first: a: 64x64, then 32x32)" in note, note
    assert "give its meta sizes" in note


def test_a_missing_gt_written_dot_slash_is_said_in_one_clause(tmp_path, monkeypatch, capsys):
    """Was '--gt ./no.jsonl: no such filerecords file not found: no.jsonl; give …': the reader's message, which
    names the path as ``Path`` writes it (no ./), was not taken off."""
    monkeypatch.chdir(tmp_path)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "det", "answer": "None."}])
    with pytest.raises(SystemExit):
        detection.main(["--gt", "./no.jsonl", "--pred", pred])
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "python -m eval.detection: error: --gt ./no.jsonl: no such file; give the ground-truth records file (the "
        "--data that rsvlm eval answered)")


@pytest.mark.parametrize("answer, reference, same", [
    ("(1,000)", "1000", True),  # a thousand in brackets: was read as the pair 1 000
    ("[1,000]", "1000", True), ("(2,050)", "2050", True),
    ("( 120,340 )", "(120, 340)", True),  # a pair spaced inside its brackets: was 120340
    ("( 120,340 )", "120340", False),
    ("(12,500)", "12 500", True),  # no leading 0: a pair, as (120,340)
])
def test_a_bracketed_thousand_is_one_number_and_a_spaced_pair_two(answer, reference, same):
    from eval.text import normalize_answer, parse_count

    assert (normalize_answer(answer) == normalize_answer(reference)) is same
    if answer == "(1,000)":
        assert parse_count(answer) == 1000  # was 1
