"""Review of stop 75, area B: the streaming --pred reader (``eval.pred_bytes.ByteStream``/``ByteLines``) reads every
odd file as the whole-file reader does (``eval.inputs._read_text``, the old code kept for UTF-16 and whole JSON
documents), at chunk sizes down to one byte; and a line without an end costs time linear in its length (a one-line
JSON array, what ``json.dump`` writes, was quadratic: 140 KB took 100 s)."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eval.pred_bytes as pred_bytes
from eval.inputs import ScoreError, _read_text, load_predictions
from eval.pred_bytes import whole_bytes

_PIECES = [json.dumps({"id": "r1", "answer": "é𝄞"}, ensure_ascii=False), '{"id": "r2", "answer": "yes"}',
           '{"id": "r1", "answer": "no"}', "not json", "[1, 2]", '{"a": 1}', "\x00\x00", "\ufeff" + '{"id": "b"}',
           "   ", '{"id": "r3", "ans']
_ENDS = ["\n", "\r\n", "\r", "\n\n", " \r\n"]


@st.composite
def _files(draw) -> bytes:
    """A UTF-8 predictions file of the pieces above, any line ends, maybe a BOM, maybe a last line without its end
    or cut inside a character; plain, gzip, or two gzip members split at any byte (inside a line too)."""
    parts = ["\ufeff"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(1, 6))):
        parts += [draw(st.sampled_from(_PIECES)), draw(st.sampled_from(_ENDS))]
    data = "".join(parts[:-1] if draw(st.booleans()) else parts).encode() + draw(st.sampled_from([b"", b"\xc3", b"\xf0\x9d"]))
    pack = draw(st.sampled_from(["plain", "gzip", "members", "cut"]))
    if pack == "gzip":
        return gzip.compress(data)
    if pack == "members":
        at = draw(st.integers(0, len(data)))
        return gzip.compress(data[:at]) + gzip.compress(data[at:])
    if pack == "cut":
        whole = gzip.compress(data * 3)
        return whole[:draw(st.integers(12, len(whole) - 1))]
    return data


def _read(path, chunk=None, monkeypatch=None):
    if chunk:
        monkeypatch.setattr(pred_bytes, "CHUNK", chunk)
    try:
        got = load_predictions(path) if chunk else _read_text(path, *whole_bytes(path))
    except ScoreError as e:
        return "refused", str(e).split(" (")[0]
    return (list(got.by_id.items()), got.n_bad_lines, dict(got.repeats), got.differing, len(got.bad_examples),
            [e.split(": ")[0] for e in got.bad_examples])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_files(), chunk=st.sampled_from([1, 2, 3, 5, 64]))
def test_the_streaming_reader_reads_as_the_whole_file_reader(tmp_path, monkeypatch, data, chunk):
    """Same predictions, bad-line count, repeats and where each note points (the notes' wording grew: compared by
    their place), or the same refusal, for lines split at any chunk boundary (in a UTF-8 character, a CR LF, the
    BOM, a gzip member's end)."""
    path = tmp_path / "p.jsonl"
    path.write_bytes(data)
    with monkeypatch.context() as m:
        assert _read(path, chunk, m) == _read(path), data


@pytest.mark.parametrize("first", ["", "\n"])
def test_a_first_line_without_its_end_is_found_in_linear_time(tmp_path, first):
    """A one-line JSON array without a last newline (what json.dump writes: LLaVA's answers files): the look for
    the first line tried a regex from every byte of it, quadratic (140 KB took 100 s, 30 KB some 5 s)."""
    path = tmp_path / "p.json"
    path.write_text(first + json.dumps([{"id": f"r{i}", "answer": "yes"} for i in range(1000)]))
    start = time.process_time()
    got = load_predictions(path)
    assert time.process_time() - start < 1 and len(got.by_id) == 1000 and got.json_array


def test_a_line_over_many_chunks_is_searched_once(tmp_path, monkeypatch):
    """An 8 MB last line without its end read 64 bytes at a time: each chunk searched all of it again for an LF
    (6 s; now 0.1; a 600 MB line read a megabyte at a time took 11 s where the whole-file reader took 4, now 1)."""
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "answer": "x"}\n{"id": "b", "answer": "' + "y" * (8 << 20))
    monkeypatch.setattr(pred_bytes, "CHUNK", 64)
    start = time.process_time()
    got = load_predictions(path)
    assert time.process_time() - start < 2 and list(got.by_id) == ["a"] and got.n_bad_lines == 1


def test_garbled_vqa_answers_are_counted_apart_from_empty_ones(tmp_path, capsys):
    """``n_unparseable`` lumps '???' and 'the' (read to nothing) with '' and ' ': ``n_garbled_answers`` counts the
    first kind, so a model emitting junk is told from one answering nothing."""
    from eval import vqa

    gt, pred = tmp_path / "gt.jsonl", tmp_path / "pred.jsonl"
    recs = [{"id": f"q{i}", "task": "vqa", "images": [{"path": "a.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": "<image>\nIs there a ship?"}, {"from": "gpt", "value": "yes"}]}
            for i in range(5)]
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pred.write_text("".join(json.dumps({"id": f"q{i}", "answer": a}) + "\n" for i, a in
                            enumerate(["???", "the", "", " ", "yes"])))
    s = vqa.main(["--gt", str(gt), "--pred", str(pred)])
    assert (s["n_unparseable"], s["n_garbled_answers"], s["n_correct"]) == (4, 2, 1)
