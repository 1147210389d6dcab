"""rsvlm eval's predictions file and rank parts read a line at a time (rsvlm.answer_lines): check_out, answered_ids,
resume_state and merge_answers held the file's text and every row (the merge, every part's), which for a run of
millions of answers is GBs; now the lines as they come, and the merge where each row is."""

from __future__ import annotations

import codecs
import json
import random
import tracemalloc

import pytest

from rsvlm import predictions
from rsvlm.answer_lines import answer_lines, line_at, placed_lines
from rsvlm.predictions import asked_digest, check_out, merge_answers, resume_state
from rsvlm.temp_files import replace_lines


def _whole_lines(path) -> list[str]:
    """The lines as the reader read them before: the whole file decoded (a cut last character waiting), split."""
    return codecs.getincrementaldecoder("utf-8")().decode(path.read_bytes()).splitlines(keepends=True)


def test_lines_one_at_a_time_are_the_whole_texts_lines(tmp_path):
    """CR, CRLF, U+2028, form feeds, a BOM, blanks, a last line without its end, a character cut at the very end:
    the same lines as splitting the whole text, 2000 random files."""
    rng = random.Random(74)
    pieces = ['{"id": "a"}', "\n", "\r\n", "\r", "\u2028", "\x0c", "\ufeff", "  ", "é", "船", "not json", "\x1e",
              '{"id": "b", "answer": "x\u2029y"}', "\n\n"]
    f = tmp_path / "p.jsonl"
    for _ in range(2000):
        data = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))).encode()
        if rng.random() < 0.2:
            data += "船".encode()[:rng.randint(1, 2)]  # a kill inside a character
        f.write_bytes(data)
        assert list(answer_lines(f)) == _whole_lines(f), data
        with f.open("rb") as fh:
            placed = list(placed_lines(fh))
            assert [line for _, line in placed] == _whole_lines(f)
            assert [line_at(fh, place) for place, _ in placed] == _whole_lines(f)


def test_no_file_is_no_lines_and_bytes_no_utf8_are_refused(tmp_path):
    assert list(answer_lines(tmp_path / "none.jsonl")) == []
    f = tmp_path / "p.jsonl"
    f.write_bytes(b'{"id": "a"}\n\xff\xfe\n')
    with pytest.raises(UnicodeDecodeError):
        list(answer_lines(f))


def test_replace_lines_writes_through_a_rename_or_leaves_the_file(tmp_path):
    f = tmp_path / "p.jsonl"
    f.write_text("old\n")
    assert replace_lines(f, iter(["a\n", "b\n"])) and f.read_text() == "a\nb\n"
    assert not replace_lines(f, iter(["c\n", None, "d\n"])) and f.read_text() == "a\nb\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl"]  # no temp file left


def _record(i: int) -> dict:
    return {"id": f"r{i}", "task": "vqa", "images": [{"path": f"{i}.png"}],
            "conversations": [{"from": "human", "value": f"<image>\nq{i}"}, {"from": "gpt", "value": "yes"}]}


def _row(rec: dict, answer: str = "yes " * 60) -> str:
    return json.dumps({"id": rec["id"], "task": "vqa", "asked_digest": asked_digest(rec), "answer": answer}) + "\n"


def test_merge_holds_where_rows_are_not_the_rows(tmp_path):
    """4 rank parts of 3000 rows (1 MB): the merge held every row of every part (several times the files' size);
    now its peak is half their size, and it writes the same file."""
    recs = [_record(i) for i in range(3000)]
    out = tmp_path / "p.jsonl"
    for k in range(4):
        (tmp_path / f"p.jsonl.rank{k}").write_text("".join(_row(r) for i, r in enumerate(recs) if i % 4 == k))
    size = sum(f.stat().st_size for f in tmp_path.iterdir())
    tracemalloc.start()
    try:
        assert merge_answers(recs, len(recs), out, 4, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.read_text() == "".join(_row(r) for r in recs)
    assert peak < size, (peak, size)  # 0.52x the parts; was 6.1x (5.9 MB)


def test_merge_waits_for_a_missing_answer_and_writes_nothing(tmp_path):
    recs = [_record(i) for i in range(6)]
    out = tmp_path / "p.jsonl"
    (tmp_path / "p.jsonl.rank0").write_text("".join(_row(r) for r in recs[::2]))
    (tmp_path / "p.jsonl.rank1").write_text("".join(_row(r) for r in recs[1:5:2]))  # r5 still being answered
    assert not merge_answers(recs, 6, out, 2, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl.rank0", "p.jsonl.rank1"]


def test_merge_reads_a_part_its_rank_removed_as_none(tmp_path, monkeypatch):
    """A part listed, then removed by its rank (an empty one) before the merge opened it: read as no answers."""
    recs = [_record(i) for i in range(2)]
    out = tmp_path / "p.jsonl"
    out.write_text("".join(_row(r) for r in recs))
    real = predictions.answer_files
    monkeypatch.setattr(predictions, "answer_files", lambda o: [*real(o), tmp_path / "p.jsonl.rank3"])
    assert merge_answers(recs, 2, out, 1, tmp_path)
    assert out.read_text() == "".join(_row(r) for r in recs)


def test_a_later_line_of_a_part_wins_in_the_merge(tmp_path):
    rec = _record(0)
    out = tmp_path / "p.jsonl"
    out.write_text(_row(rec, "first") + _row(rec, "second") + "not json\n")
    assert merge_answers([rec], 1, out, 1, tmp_path)
    assert [json.loads(x)["answer"] for x in out.read_text().splitlines()] == ["second"]


def test_resume_drops_the_rows_answered_again_and_keeps_other_lines_as_they_were(tmp_path):
    """The rewrite streams the part; lines kept byte for byte (a CRLF one too: read_text made it LF), a part
    with no row to drop is not rewritten."""
    recs = {r["id"]: r for r in (_record(i) for i in range(3))}
    part = tmp_path / "p.jsonl"
    err = json.dumps({"id": "r1", "task": "vqa", "answer": "", "error": "gone"}) + "\n"  # no inputs_digest: again
    kept = _row(recs["r0"]).replace("\n", "\r\n") + "not json\n" + _row(recs["r2"])
    part.write_bytes((_row(recs["r0"]).replace("\n", "\r\n") + err + "not json\n" + _row(recs["r2"])).encode())
    done, errors = resume_state(part, [], recs, tmp_path)
    assert done == {"r0", "r2"} and errors.n_undigested == 1 and errors.unreadable == [f"{part}:3: not valid JSON (Expecting value at column 1)"]
    assert part.read_bytes() == kept.encode()
    inode = part.stat().st_ino
    resume_state(part, [], recs, tmp_path)
    assert part.stat().st_ino == inode  # nothing to drop: left as it is
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl"]


def test_check_out_reads_out_once_a_line_at_a_time(tmp_path, monkeypatch):
    """test_eval_tour74's pin of one read, through answer_lines."""
    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    data.write_text("".join(json.dumps(_record(i)) + "\n" for i in range(3)))
    out.write_text('{"id": "r0", "answer": "yes"}\n{"id": "r1", "answer": "no"}\n')
    read, real = [], predictions.answer_lines
    monkeypatch.setattr(predictions, "answer_lines", lambda p: [read.append(p), real(p)][1])
    assert check_out(data, out) is None
    assert read == [out]
    out.write_bytes(b'{"id": "r0", "answer": "yes"}\n\x89PNG\r\n\x1a\n\xff\x00')
    assert check_out(data, out) == f"--out {out} is not a text file; give the predictions JSONL's path"


def test_drop_cut_line_reads_the_end_back_not_the_whole_file(tmp_path, monkeypatch):
    """It read the whole part (every resume, every rank) to find its last line end."""
    from pathlib import Path

    from rsvlm.answer_lines import after_last_line_end
    from rsvlm.predictions import drop_cut_line

    f = tmp_path / "p.jsonl"
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read whole"))
    for data, left, said in [(b'{"id": "a"}\n{"id": "b", "ans', b'{"id": "a"}\n', '{"id": "b", "ans'),
                             (b'{"id": "a"}\n', b'{"id": "a"}\n', None), (b"", b"", None),
                             (b"\xef\xbb\xbf  ", b"", None), (b"no line end", b"", "no line end")]:
        f.write_bytes(data)
        assert drop_cut_line(f) == said
        assert f.open("rb").read() == left
    f.write_bytes(b"x" * 10 + b"\n" + b"y" * 25)
    with f.open("rb") as fh:
        assert after_last_line_end(fh, block=4) == 11
    f.write_bytes(b"y" * 25)
    with f.open("rb") as fh:
        assert after_last_line_end(fh, block=4) == 0
    assert drop_cut_line(tmp_path / "none.jsonl") is None


def test_a_row_truncated_away_between_the_merges_two_reads_is_no_row(tmp_path, monkeypatch):
    """The merge reads a row twice (where it is, then the row); a rank starting in between may cut a last line off
    its part (drop_cut_line): that row is then no row, not an IndexError."""
    from rsvlm import answer_lines

    recs = [_record(i) for i in range(2)]
    out = tmp_path / "p.jsonl"
    out.write_text("".join(_row(r) for r in recs))
    real = answer_lines.line_at

    def truncated(fh, place):
        with out.open("r+b") as f:
            f.truncate(len(_row(recs[0]).encode()))
        return real(fh, place)

    monkeypatch.setattr(predictions, "line_at", truncated)
    assert not merge_answers(recs, 2, out, 1, tmp_path)  # r1's row is gone: answered again, not merged
    assert merge_answers(recs[:1], 1, out, 1, tmp_path)
