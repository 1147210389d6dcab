"""Review 81 (RE) of test-time augmentation's notes, of a chat's or predict's stray paths, and of a count's reading:
every view left out named, a caption label's problem said once, a file named twice counted once, and counts of
spaced thousands, a decimal comma and two counts offered."""
from __future__ import annotations

import re

import pytest
from conftest import blank_image

from rsvlm import tta


def test_every_view_left_out_is_named_in_the_note():
    """Three views answered nothing: the note said '3 of 3 … (first: view 'h': it is empty)' and no word of which
    the other two were."""
    cls = [[{"role": "user", "content": "<image>\n[cls] Scene class?"}]]
    said = iter(["", "harbour", " "])  # h, v, hv: 'v' is fused, 'h' and 'hv' are left out
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], cls, [blank_image()], [("harbour", [])])
    assert fused.left_out == 2
    named = re.findall(r"'(\w+)'", fused.note.split("could not be fused", 1)[1])
    assert named == ["h", "hv"], fused.note  # each left out, in view order; the fused 'v' not among them
    assert "the others: 'hv'" in fused.note


def test_a_caption_label_says_reads_as_a_caption_once():
    box = "<box><loc_100><loc_100><loc_300><loc_300></box>"
    caption = "<ref>A harbour with ships. There are four buildings near it.</ref>" + box
    msgs = [[{"role": "user", "content": "<image>\n[ground] The aircraft."}]]
    said = iter([caption, box, box])
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [0.9])], msgs, [blank_image(100, 100)], [(box, [0.9])])
    assert "view 'h': its label: <ref>A harbour with ships." in fused.note, fused.note
    assert fused.note.count("reads as a caption") == 1, fused.note


@pytest.mark.parametrize("command", ["chat", "predict"])
def test_a_file_named_twice_among_stray_paths_is_counted_and_advised_once(tmp_path, monkeypatch, capsys, command):
    """``rsvlm chat scene_a.tif scene_a.tif`` (``*.tif *.TIF`` where globs ignore case) advised
    ``--image scene_a.tif --image scene_a.tif``, a pair of one file, and counted 2 paths."""
    from rsvlm.cli import main

    (tmp_path / "a.tif").write_bytes(b"")
    (tmp_path / "b.tif").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    given = ["a.tif", "./a.tif", "b.tif", "a.tif"]
    with pytest.raises(SystemExit):
        main([command, *given] if command == "chat" else [command, "--task", "cls", "--image", "b.tif", *given])
    err = capsys.readouterr().err
    assert "(2 paths: each image takes its own --image" in err, err
    assert "./a.tif is a.tif; a.tif given twice: the same file again, counted once" in err, err
    if command == "chat":
        assert "(rsvlm chat --image a.tif --image b.tif)" in err, err


@pytest.mark.parametrize(("answer", "count"), [
    ("1 000", 1000), ("There are 1 000 ships.", 1000), ("12 345 678 cars", 12345678), ("1\u00a0000", 1000),
    ("1\u202f204 planes", 1204), ("1 000.5", 1001),
    ("1,5", None), ("12,5", None), ("about 1,50 ships", None), ("3 or 4", None), ("three or four ships", None),
    ("1,500", 1500), ("(120,340)", 120), ("3 or more", 3), ("2 ships, 3 or 4 planes", 2), ("7", 7), ("10 20", 10),
])
def test_a_count_with_spaced_thousands_is_read_whole_and_one_of_two_counts_is_none(answer, count):
    """'1 000' was read as 1 (a count of 1000 scored 999 off), '1,5' as 1 and '3 or 4' as 3, with no word."""
    from eval.text import parse_count

    assert parse_count(answer) == count


@pytest.mark.parametrize("text", ["There are " + "many " * 20 + "ships.", "No ships were found here; " + "none " * 12])
def test_a_plain_answer_quoted_cut_in_the_note_is_marked_cut(text):
    """The plain answer was quoted cut at 60 characters with no mark: it read as the whole answer."""
    from rsvlm.tta_text import plain_words_note

    quoted = re.search(r"the plain answer (?:said none \()?'(.*?)'", plain_words_note(text, 2))[1]
    assert quoted.endswith("…") and len(quoted) == 61 and text.startswith(quoted[:20])
    assert plain_words_note("Ships.", 2).count("…") == 0


@pytest.mark.parametrize(("answer", "why"), [("3 or 4", "offers two counts"), ("three or four ships", "offers two counts"),
                                            ("about 1,5", "decimal comma"), ("ships", "states no count")])
def test_why_no_count_is_read_names_two_counts_and_a_decimal_comma(answer, why):
    """eval said "'3 or 4' states no count" of an answer that states two."""
    from rsvlm.answer_text import no_count_why, parse_count

    assert parse_count(answer) is None and why in no_count_why(answer)
