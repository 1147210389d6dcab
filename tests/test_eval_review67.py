"""Review of stop 67's scoring-script work: rsvlm eval's and loc_error's predictions-as---data check reads the
head of the file only (a LLaVA JSON array is one line), and --image-root says what is wrong with a file or blanks."""

import contextlib
import json

import pytest
from conftest import eval_record, write_jsonl


@pytest.fixture
def small_cap(monkeypatch):
    """``records_shape.HEAD_CAP`` made small, and the bytes read of the file by ``predictions_given`` counted."""
    from rsvlm.data import records, records_shape

    monkeypatch.setattr(records_shape, "HEAD_CAP", 4096)
    real, read = records.open_bytes, []

    class Counting:
        def __init__(self, f):
            self.f = f

        def readline(self, *a):
            read.append(len(line := self.f.readline(*a)))
            return line

        def read(self, *a):  # head_row reads the head whole (stop 68: one rule with the scorers')
            read.append(len(data := self.f.read(*a)))
            return data

    @contextlib.contextmanager
    def counting(path, *a, **k):
        with real(path, *a, **k) as f:
            yield Counting(f)

    monkeypatch.setattr(records, "open_bytes", counting)
    return read


def test_predictions_given_reads_the_head_of_a_one_line_json_array_only(tmp_path, small_cap):
    """A LLaVA JSON array is one line: the check read and decoded all of it (104 MB: 9 s and 310 MB more peak)
    before loc_error loaded its model; it reads the cap's bytes at most."""
    from rsvlm.eval_reading import predictions_given

    path = tmp_path / "llava.json"
    path.write_text(json.dumps([eval_record(str(i), "cls", "[cls] What scene?", "lake") for i in range(500)]))
    assert path.stat().st_size > 10 * 4096
    assert predictions_given(path) is None and 0 < sum(small_cap) <= 4096


def test_predictions_given_names_a_first_line_longer_than_the_cap_by_its_keys(tmp_path, small_cap):
    """A prediction whose objects run past the cap (a mask's of MB) is still named, by the keys read so far; a
    record's that long is not."""
    from rsvlm.eval_reading import predictions_given

    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "objects": [{"kind": "box", "coords": [1, 2, 3, 4],
                                                                       "note": "x" * 20000}]}])
    assert "holds predictions" in predictions_given(pred) and sum(small_cap) <= 4096
    rec = eval_record("a", "cls", "[cls] What scene?" + " x" * 10000, "lake")
    assert predictions_given(write_jsonl(tmp_path / "r.jsonl", [rec])) is None


@pytest.mark.parametrize("root, said", [
    ("", "--image-root '' names no folder (an unset shell variable?)"),  # was read as not given
    (" ", "--image-root ' ' names no folder (an unset shell variable?)"),  # was "--image-root '' names …"
    ("gt.jsonl", "gt.jsonl': a file, not a folder"),  # was "no such folder" of a file that is there
    ("nowhere", "nowhere': no such folder"),
])
def test_image_root_says_what_is_wrong_with_it(tmp_path, capsys, root, said):
    """The scorers' --image-root is refused (exit 2, said) where it names no folder: blank, a file, not there."""
    from eval import detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] Find the ships.", "None.")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "None."}])
    with pytest.raises(SystemExit) as e:
        detection.main(["--gt", gt, "--pred", pred, "--image-root", str(tmp_path / root) if root.strip() else root])
    assert e.value.code == 2 and said in capsys.readouterr().err
