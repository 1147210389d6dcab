"""Visual question answering: exact match after normalisation, overall and per question type.

``python -m eval.vqa --gt GT.jsonl --pred PRED.jsonl [--out scores.json]``

A prediction is right when ``eval.text.normalize_answer`` of its answer equals that of the
reference (lowercase, no punctuation or articles, number words as digits, yes/no canonical where the
reference answers yes or no: ``"No, there is none."`` does, RescueNet's ``no damage`` does not, so the
answer ``"No."`` is wrong there). Where the reference is a whole number alone (``eval.text.whole_number``:
``5``, ``five``, ``5.0``, ``a dozen``), the answer is read as ``eval.counting`` reads a count (``eval.text.parse_count``:
its first number, number words, a decimal rounded half up, ``none`` → 0), so ``"5.0"``, ``"five"`` and
``"5 ships"`` are right and ``"6"`` is wrong, as they are in counting; there an answer that is a JSON number
(``"answer": 5``) is read as its digits, and where the reference answers yes or no a JSON ``true`` / ``false``
is yes / no (elsewhere either is unparseable, named in a note).
The question type is ``meta.qtype`` (RSVQA: presence, comparison, count, rural_urban, area);
records without one are grouped as ``(none)``. It cannot give partial credit (no VQA-v2 style
soft accuracy over several annotators' answers) or accept synonyms.
"""

from __future__ import annotations

from collections import defaultdict

from eval import common
from eval.answers import reference_words
from eval.text import is_yes_no, normalize_answer, parse_count, whole_number

HEADLINE = ["accuracy", "mean_qtype_accuracy"]


def score(items: list[common.Item], args=None) -> dict:
    statuses, by_type, n_garbled = [], defaultdict(lambda: [0, 0]), 0  # qtype -> [right, total]
    for it in common.progress(items, "vqa"):
        ref = common.gt_answer(it.record)
        yes_no = is_yes_no(ref)  # "no damage" is no "no": the answer "No." is wrong there
        gt = reference_words(it.record, yes_no)  # "-", "?": load_gt's check skipped it (main's), counted
        number = whole_number(ref)  # "5", "a dozen": "5.0", "five", "5 ships" read as counting reads
        ans = None if it.pred is None else it.pred.get("answer")
        if number is not None:  # "answer": 5 (another tool's JSON) answers "5"; to another question it is unreadable
            ans = common.number_text(ans) or ans
        elif yes_no and isinstance(ans, bool):  # "answer": true (a tool's structured output) to a yes/no question
            ans = "yes" if ans else "no"
        if it.pred is None:
            status = common.MISSING
        elif not isinstance(ans, str) or not normalize_answer(ans):
            status = common.UNPARSEABLE
            n_garbled += isinstance(ans, str) and bool(ans.strip())  # '???', 'the', '</s>': no empty answer
        else:
            status = common.OK
        statuses.append(status)
        right = status == common.OK and (normalize_answer(ans, yes_no) == gt if number is None
                                         else parse_count(ans) == number)
        qtype = str((it.record.get("meta") or {}).get("qtype") or "(none)")
        by_type[qtype][0] += right
        by_type[qtype][1] += 1
    n_right = sum(r for r, _ in by_type.values())
    per_type = {q: r / n for q, (r, n) in sorted(by_type.items())}
    return {
        "accuracy": n_right / len(items),
        "mean_qtype_accuracy": sum(per_type.values()) / len(per_type),
        "n_correct": n_right,
        **common.counts(items, statuses),
        "n_garbled_answers": n_garbled,  # of n_unparseable: answers read to nothing that are not empty (eval.text.unscored_why)
        "per_qtype_accuracy": per_type,
        "per_qtype_count": {q: n for q, (_, n) in sorted(by_type.items())},
    }


def details(scores: dict) -> str:
    rows = [[q, a, scores["per_qtype_count"][q]] for q, a in scores["per_qtype_accuracy"].items()]
    return "per question type\n" + common.table(rows, ["qtype", "accuracy", "n"])


def reference_check(rec: dict) -> None:
    """``load_gt``'s check of a VQA reference (``answers.reference_words``, a yes/no one read as one)."""
    reference_words(rec, is_yes_no(common.gt_answer(rec)))


def main(argv: list[str] | None = None) -> dict:
    return common.run("vqa", ("vqa",), score, HEADLINE, argv, details=details, geometry=False, check=reference_check)


if __name__ == "__main__":
    common.main_guard(main)
