"""Stop 72 review of the evaluation work: a several-class segmentation record reads a plural label as its own class
before the set's, a path longer than the system takes names its option, and the thousands comma joins only a
three-digit group."""

import pytest

from eval import segmentation
from rsvlm import geometry
from tests.conftest import eval_record, write_jsonl


def _box(x1, y1, x2, y2, label=None):
    return {"kind": "box", "coords": [x1, y1, x2, y2], **({"label": label} if label else {})}


def _seg(rid, objects):
    r = eval_record(rid, "seg", "[seg] Segment all.", geometry.encode(objects, 10, 10) or "None.")
    r["meta"] = {**r.get("meta", {}), "width": 10, "height": 10}
    return r


def test_a_plural_label_is_its_records_own_class_though_the_set_has_the_plural_as_a_class(tmp_path):
    """Another record's reference says "ships": reading m1's "ships" against the whole set made it that class's false
    positive, and m1's ship a miss (IoU 0 where it was 1 before the set's classes were read)."""
    recs = [_seg("m1", [_box(0, 0, 5, 5, "ship"), _box(5, 5, 10, 10, "tree")]),
            _seg("m2", [_box(0, 0, 5, 5, "ships"), _box(5, 5, 10, 10, "tree")])]
    preds = [{"id": "m1", "task": "seg", "answer": "", "objects": [_box(0, 0, 5, 5, "ships"), _box(5, 5, 10, 10, "tree")]},
             {"id": "m2", "task": "seg", "answer": "", "objects": [_box(0, 0, 5, 5, "ships"), _box(5, 5, 10, 10, "tree")]}]
    s = segmentation.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs),
                           "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    assert s["per_class_IoU"] == pytest.approx({"ship": 1.0, "ships": 1.0, "tree": 1.0})
    assert s["mIoU"] == pytest.approx(1.0) and s["cIoU"] == pytest.approx(1.0)
    # a plural of another set class (car) is still that class's false positive
    assert segmentation.units([_box(0, 0, 5, 5, "ship"), _box(5, 5, 10, 10, "tree")], [_box(0, 6, 2, 8, "cars")],
                              10, 10, known=frozenset({"ship", "tree", "car"}))[0][-1] == ("car", 0, 4)


LONG = "/".join(["b" * 200] * 25) + "/g.jsonl"  # each name short, the whole 5000 bytes: "[Errno 36]" all the same


def test_a_path_longer_than_the_system_takes_names_its_option(tmp_path, monkeypatch, capsys):
    """Was "error: [Errno 36] File name too long" in the scorers and the report, a traceback from rsvlm eval."""
    from eval import loc_error, report, vqa
    from rsvlm.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--data", LONG, "--out", "p.jsonl"]) == 2
    assert "rsvlm eval: --data bbbb" in (err := capsys.readouterr().err) and "bytes long" in err
    for run, argv, flag in ((vqa.main, ["--gt", LONG, "--pred", "p.jsonl"], "--gt"),
                            (vqa.main, ["--gt", "g.jsonl", "--pred", "p.jsonl", "--image-root", LONG], "--image-root"),
                            (report.main, ["--scores", LONG], "--scores"), (loc_error.main, ["--data", LONG], "--data")):
        with pytest.raises(SystemExit) as e:
            run(argv)
        err = capsys.readouterr().err
        assert e.value.code == 2 and f"error: {flag} bbbb" in err and "Errno" not in err and len(err) < 2000, flag


def test_loc_error_names_data_whose_name_is_too_long(tmp_path, monkeypatch, capsys):
    from eval import loc_error

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        loc_error.main(["--data", "a" * 300 + ".jsonl"])
    assert "error: --data aaa" in (err := capsys.readouterr().err) and "more than the" in err and "Errno" not in err


@pytest.mark.parametrize("text, words", [
    ("1,000 ships", "1000 ships"), ("1,000,000", "1000000"), ("12,3456", "12 3456"),
    ("1,2,3", "1 2 3"), ("3,5 km", "3 5 km"), ("(12,34)", "12 34"),  # a list, a decimal comma, a pair: not joined
])
def test_the_thousands_comma_joins_a_three_digit_group_only(text, words):
    from eval.text import normalize_answer

    assert normalize_answer(text) == words
