"""Instruction stats, stop 74: the balance of one-word answers and of scene classes is reported, not only in
stats.json's raw counts (a set whose [vqa] counts were 57 % "0" said nothing of it)."""

from __future__ import annotations

from data_gen.instructions.stats import Stats, closed_kind, format_report


def _rec(task: str, answer: str, qtype: str = "") -> dict:
    return {"task": task, "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": answer}],
            "meta": {"modality": "sar", "split": "train", "subtask": task, "qtype": qtype, "answer_tokens": 1}}


def test_closed_answers_are_counted_by_kind_and_their_most_common_share_printed():
    st = Stats()
    st.add_scene({"scene_class": "lake", "pair": False, "changes": [], "frames": [{"objects": []}]}, "train")
    for rec in (_rec("count", "0"), _rec("count", "0"), _rec("count", "<point><loc_1><loc_2></point> 1"),
                _rec("vqa", "0", "count"), _rec("vqa", "top right", "position"), _rec("vqa", "yes", "presence"),
                _rec("vqa", "yes", "presence"), _rec("vqa", "no", "presence"), _rec("cls", "lake"),
                _rec("det", "None."), _rec("cap", "A lake.")):
        st.add_record(rec)
    rep = st.report()
    assert rep["closed_answers"] == {"cls": {"lake": 1}, "count": {"0": 2, "1": 1}, "vqa count": {"0": 1},
                                     "vqa position": {"top right": 1}, "vqa presence": {"yes": 2, "no": 1}}
    text = format_report(rep)
    assert ("answers   most common: cls 'lake' 100% of 1; count '0' 67% of 3; vqa count '0' 100% of 1; "
            "vqa position 'top right' 100% of 1; vqa presence 'yes' 67% of 3") in text.splitlines()
    assert "scenes    lake: 1" in text.splitlines()
    assert closed_kind(_rec("vqa", "x")) == "" and closed_kind(_rec("seg", "x")) == ""


def test_a_report_of_an_older_stats_json_prints_without_the_new_lines():
    # a report without closed_answers or scene classes (as stats.json files written before stop 74) prints;
    # no command passes an old stats.json to format_report (rebuild takes only SCENE_COUNT_KEYS of it)
    rep = Stats().report()
    del rep["closed_answers"]
    text = format_report(rep | {"scenes": 1, "scenes_by_split": {"train": 1}})
    assert "answers" not in text and "scenes    " not in text
