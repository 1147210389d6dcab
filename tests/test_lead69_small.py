"""Stop 69, small follow-ups (lead): a predictions file's last line cut inside a string says "cut short" once and
what to do about a killed run, not json_line's advice on writing a line break inside a string."""

from __future__ import annotations

from conftest import eval_record, write_jsonl


def test_a_last_line_cut_inside_a_string_says_cut_short_once_and_to_rerun_eval(tmp_path, capsys):
    """A last line cut inside a string said "cut short" twice: json_line's "the line ends inside it: cut short? (a
    line break inside a string is written \\n)" and then eval's own note. The \\n advice does not fit a run killed
    while writing; the note says so once and that rerunning rsvlm eval resumes. A line broken inside a string
    within the file keeps json_line's advice (a raw line break is what it holds)."""
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "count", "[count] How many ships?", "3") for r in "abc"])
    pred = tmp_path / "p.jsonl"
    pred.write_text('{"id": "a", "task": "count", "answer": "3"}\n{"id": "b", "task": "count", "answer": "3"}\n'
                    '{"id": "c", "task": "count", "answ')
    s = counting.main(["--gt", gt, "--pred", str(pred)])
    note = next(line for line in capsys.readouterr().out.splitlines() if "p.jsonl:3:" in line)
    assert s["n_pred_bad_lines"] == 1 and "Unterminated string" in note
    assert note.count("cut short") == 1 and "written \\n" not in note, note
    assert "a run killed while writing it? (rerun `rsvlm eval` with the same --out: it resumes)" in note
    pred.write_text('{"id": "a", "task": "count", "answer": "3"}\n{"id": "b", "task": "count", "answer": "3\n'
                    '"}\n{"id": "c", "task": "count", "answer": "3"}\n')
    counting.main(["--gt", gt, "--pred", str(pred)])
    note = next(line for line in capsys.readouterr().out.splitlines() if "p.jsonl:2:" in line)
    assert "a line break inside a string is written \\n" in note and "run killed" not in note, note
