"""Follow-ups of tour 55: the answers ``rsvlm eval`` marked ``"past_context": true`` are named in a
note by every scorer, as cut ones are, and eval.report tabulates their count (hand-written
predictions files, no model); chat says a class answer past the context (a stand-in answerer)."""

import pytest
from test_eval_cut51 import CASES, cut_record, report_rows, score_flags, write_records


def _score(tmp_path, name):
    # b ran past the context; c's "yes" is not true: not counted
    return score_flags(tmp_path, name, ({}, {"past_context": True}, {"past_context": "yes"}))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_scorer_names_the_first_answer_past_the_context(name, tmp_path, capsys):
    scores, _ = _score(tmp_path, name)
    # was: counted in n_pred_past_context, but no note said what such answers are or which
    assert scores["n_pred_past_context"] == 1
    (note,) = [n for n in scores["notes"] if "past the LLM's context" in n]
    assert note.startswith("1 answer ran past the LLM's context (\"past_context\": true)")
    assert "unreliable" in note and "(first: b)" in note
    assert "note: " + note in capsys.readouterr().out


def test_no_answer_past_the_context_no_note(tmp_path):
    mod, task, prompt, answer, n = CASES["vqa"]
    gt = write_records(tmp_path / "gt.jsonl", [cut_record("a", task, prompt, answer, "optical")])
    pred = write_records(tmp_path / "p.jsonl", [{"id": "a", "task": task, "answer": answer, "past_context": False}])
    scores = mod.main(["--gt", gt, "--pred", pred])
    assert scores["n_pred_past_context"] == 0 and not [n for n in scores["notes"] if "LLM's context" in n]


def test_the_report_tabulates_answers_past_the_context_and_passes_over_older_score_files(tmp_path, capsys):
    _, new = _score(tmp_path, "detection")
    # was: the count was in the score file but not in the report's counts table
    assert report_rows(tmp_path, new, "n_pred_past_context") == [("detection.json", 1, 0, 1)]
    assert "| n_pred_past_context " in capsys.readouterr().out



def test_chat_says_a_class_answer_ran_past_the_context():
    # generate flags such answers and warns no more: chat --det-by-class said it nowhere
    from test_cli_lead62 import stand_in_chat

    from rsvlm import inference as inf

    repl, out, asked, box = stand_in_chat(max_position_embeddings=220)
    for past in (False, True):
        repl.answerer = lambda past=past: (lambda m, i: [inf.Answer(box, [0.9], past_context=past) for _ in m])
        assert repl.class_by_class(asked, box).past_context is past
    said = [line for line in out.getvalue().splitlines() if "past the LLM's context" in line]
    assert said == ["  note: a class answer ran past the LLM's context of 220 tokens: its end is unreliable; "
                    "a shorter question or a lower --max-new-tokens keeps it inside"]
