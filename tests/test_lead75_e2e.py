"""Stop 75's end-to-end user run (Y2's findings): eval.report naming two ground truths of one relative --gt alike,
a resumed rsvlm eval with nothing left, the left-out-band note's advice, captioning's leaked Java warnings."""

from __future__ import annotations

import json

from conftest import eval_record, write_jsonl


def _score_count(tmp_path, monkeypatch, run: str, answers: dict[str, str], n_vqa: int = 0) -> str:
    """``run``/scores/counting.json scored from inside ``run`` with the relative ``--gt gt.jsonl`` (as a user typing
    the same command in two run folders), the ground truth's references ``answers`` (and ``n_vqa`` VQA records no
    file scores); the scores folder."""
    from eval import counting

    folder = tmp_path / run
    folder.mkdir()
    monkeypatch.chdir(folder)
    recs = [eval_record(i, "count", "[count] How many ships?", a) for i, a in answers.items()]
    write_jsonl(folder / "gt.jsonl", recs + [eval_record(f"q{i}", "vqa", "[vqa] Any ship?", "yes") for i in range(n_vqa)])
    write_jsonl(folder / "pred.jsonl", [{"id": r["id"], "task": "count", "answer": "3"} for r in recs])
    counting.main(["--gt", "gt.jsonl", "--pred", "pred.jsonl", "--out", "scores/counting.json"])
    return str(folder / "scores")


def test_two_ground_truths_of_one_relative_name_are_told_apart(tmp_path, monkeypatch):
    """F1: two runs scored with --gt gt.jsonl in their own folders, other records: the note read 'runA/…: gt.jsonl,
    runB/…: gt.jsonl', two files under one name; now each carries its records' digest. A same-named one of other
    record counts was merged into one name by dict.fromkeys; now both are listed."""
    from eval import report

    a = _score_count(tmp_path, monkeypatch, "runA", {"a": "3", "b": "3"})
    b = _score_count(tmp_path, monkeypatch, "runB", {"a": "3", "b": "4"})
    c = _score_count(tmp_path, monkeypatch, "runC", {"a": "3"})
    digest = {r: json.loads((tmp_path / r / "scores/counting.json").read_text())["gt_digest"][:8]
              for r in ("runA", "runB", "runC")}
    (note,) = report.main(["--dir", a, b])["notes"]
    assert f"runA/scores/counting.json: gt.jsonl (records {digest['runA']})" in note
    assert f"runB/scores/counting.json: gt.jsonl (records {digest['runB']})" in note
    (note,) = report.main(["--dir", a, c])["notes"]
    assert f"ground truth gt.jsonl (records {digest['runA']}), gt.jsonl (records {digest['runC']})" in note


def test_unscored_tasks_of_two_ground_truths_of_one_name_are_said_for_each(tmp_path, monkeypatch):
    """F1's third note: the ground truth's unscored tasks grouped by --gt name merged runA's 1 VQA record and runB's 2
    into one note of the first file's count; now each folder's ground truth has its own note."""
    from eval import report

    a = _score_count(tmp_path, monkeypatch, "runA", {"a": "3"}, n_vqa=1)
    b = _score_count(tmp_path, monkeypatch, "runB", {"a": "4"}, n_vqa=2)
    notes = [n for n in report.main(["--dir", a, b])["notes"] if "no score file here scores" in n]
    assert [n.split(" no score file")[0] for n in notes] == ["gt.jsonl (of runA/scores) holds 1 record of a task",
                                                             "gt.jsonl (of runB/scores) holds 2 records of a task"]
    same = _score_count(tmp_path, monkeypatch, "runC", {"a": "3"}, n_vqa=1)
    (note,) = [n for n in report.main(["--dir", a, same])["notes"] if "no score file here scores" in n]
    assert note.startswith("gt.jsonl holds 1 record of a task")  # one file's copy: one note, its plain name


def test_one_ground_truth_keeps_its_plain_name_and_the_report_json_is_stable(tmp_path, monkeypatch):
    """Same name, same records: no digest in the label; a second report of the same inputs is byte-identical."""
    from eval import report

    a = _score_count(tmp_path, monkeypatch, "runA", {"a": "3"})
    b = _score_count(tmp_path, monkeypatch, "runB", {"a": "3"})
    assert report.gt_labels([{"gt": "gt.jsonl", "gt_digest": "x" * 64}] * 2) == ["gt.jsonl", "gt.jsonl"]
    assert report.main(["--dir", a, b])["notes"] == []
    outs = []
    for n in range(2):
        report.main(["--dir", a, b, "--out", str(tmp_path / f"r{n}" / "report.md")])
        outs.append((tmp_path / f"r{n}" / "report.json").read_bytes())
    assert outs[0] == outs[1]


def test_ptb_untokenizable_warnings_are_taken_off_stderr_and_counted():
    """F4: Java's PTBLexer wrote a two-line 'Untokenizable' warning per dropped character to the user's stderr;
    now the pairs go (their characters kept for the note) and any other Java line stays."""
    from eval.captioning import without_java_noise

    caught = ("Dec 07, 2026 6:54:34 AM edu.stanford.nlp.process.PTBLexer next\n"
              "WARNING: Untokenizable: \ufffd (U+FFFD, decimal: 65533)\n"
              "PTBTokenizer tokenized 49 tokens at 1.234,5 tokens per second.\n"
              "Exception in thread main java.lang.OutOfMemoryError\n").encode()
    dropped: set = set()
    assert without_java_noise(caught, dropped) == b"Exception in thread main java.lang.OutOfMemoryError\n"
    assert dropped == {"\ufffd"}


def test_captioning_with_java_notes_the_answers_ptb_drops_characters_of(tmp_path, capfd):
    """F4 end to end (Java's PTBTokenizer when on the PATH): an answer holding U+FFFD, as an under-trained model
    writes, leaves no Java warning on stderr and one counted note naming the record."""
    import shutil

    import pytest

    from eval import captioning

    if shutil.which("java") is None:
        pytest.skip("no java on the PATH: PTBTokenizer's warnings are Java's")
    recs = [eval_record(i, "cap", "[cap] Describe the image.", "a harbour with ships") for i in ("a", "b")]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "a", "task": "cap", "answer": "a harbour \ufffd ships"},
                                                 {"id": "b", "task": "cap", "answer": "a harbour with ships"}])
    out = captioning.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "cap.json")])
    err = capfd.readouterr().err
    assert "Untokenizable" not in err and "PTBLexer" not in err
    assert "1 answer holds characters the PTB tokenizer drops (first: id a; U+FFFD): scored without them" in out["notes"]


def test_a_resumed_eval_with_nothing_left_says_the_file_is_unchanged_and_its_cut_answers(ckpt, tmp_path, capsys):
    """F2: a rerun of a finished rsvlm eval printed "wrote OUT" (nothing was written) and an empty bar, and the note
    that its answers were cut by the token limit was gone; now one line says so, exit status 0, no bar."""
    import numpy as np
    from PIL import Image

    from rsvlm.cli import main

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    recs = [{**eval_record(i, "cls", "[cls] What is it?", "lake"),
             "images": [{"path": "a.png", "modality": "optical"}]} for i in "abc"]
    data = write_jsonl(tmp_path / "test.jsonl", recs)
    out = tmp_path / "p.jsonl"
    argv = ["eval", "--data", data, "--out", str(out), "--max-new-tokens", "2", "--model", str(ckpt)]
    assert main(argv) == 0
    capsys.readouterr()
    before = out.read_bytes()
    n_cut = sum(bool(json.loads(line).get("cut")) for line in before.decode().splitlines())
    assert main(argv) == 0
    said = capsys.readouterr()
    cut = f", {n_cut} cut: rerun with another --out and a larger --max-new-tokens to answer them whole" if n_cut else ""
    assert said.out.strip() == f"nothing left to answer: {out} unchanged (3 answers kept{cut})"
    assert "records/s" not in said.err and "3/3" not in said.err
    assert out.read_bytes() == before


def test_the_kept_note_counts_only_the_records_asked_and_their_cut_rows(tmp_path):
    """kept_note: rows of other ids (a --limit run's file read whole) are not counted; a broken line is passed over."""
    from rsvlm.eval_out import kept_note

    out = tmp_path / "p.jsonl"
    out.write_text('{"id": "a", "answer": "x", "cut": true}\n{"id": "b", "answer": "y"}\nnot json\n'
                   '{"id": "z", "answer": "w", "cut": true}\n')
    assert kept_note(out, ["a", "b"]) == (f"nothing left to answer: {out} unchanged (2 answers kept, 1 cut: rerun with "
                                          "another --out and a larger --max-new-tokens to answer them whole)")
    assert kept_note(out, ["b"]) == f"nothing left to answer: {out} unchanged (1 answer kept)"


def _msi_processor():
    """A Processor whose msi stem takes the tiny model's 4 bands (B02, B03, B04, B08), no tokenizer."""
    from rsvlm.model.processor import Processor
    from rsvlm.model.stem import StemConfig

    stem = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08"], mean=[0.1] * 4, std=[0.1] * 4)
    return Processor({"msi": stem}, {"msi": 32}, {"msi": 4}, None, 0)


def test_known_bands_left_out_get_no_advice_to_name_them():
    """F3: synth's 6-band scenes (B11, B12 too) fed to the tiny 4-band model said on every README run 'B11, B12 are
    none of the model's bands …: left out (if one is, e.g. an unnamed NIR, name it …)', as if the user had erred;
    named Sentinel-2 bands are left out without that advice, an unnamed one keeps it."""
    import numpy as np

    from rsvlm.model.processor import ImageInput

    proc = _msi_processor()
    six = ImageInput(np.full((6, 8, 8), 0.1, np.float32), "msi", ["B02", "B03", "B04", "B08", "B11", "B12"], "s.tif")
    (note,) = proc.band_notes(six)
    assert note == "B11, B12 are none of the model's bands (B02, B03, B04, B08): left out"
    five = ImageInput(np.full((5, 8, 8), 0.1, np.float32), "msi", ["B02", "B03", "B04", "B08", "band5"], "s.tif")
    (note,) = proc.band_notes(five)
    assert note.startswith("band5 is none of the model's bands (B02, B03, B04, B08): left out (if one is, e.g. an "
                           "unnamed NIR, name it with")
    mixed = ImageInput(np.full((6, 8, 8), 0.1, np.float32), "msi", ["B02", "B03", "B04", "B08", "B11", "b6"], "s.tif")
    assert "unnamed NIR" in proc.band_notes(mixed)[0]  # b6: a reader's name for a band without a description
