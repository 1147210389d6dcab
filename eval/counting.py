"""Counting: exact accuracy and mean absolute error.

``python -m eval.counting --gt GT.jsonl --pred PRED.jsonl [--out scores.json]``

Both counts are read with ``eval.text.parse_count`` (first number outside geometry; number words;
``none`` → 0; ``<point>`` elements alone → how many), so answers that point at each object before
the number (``instructions.count_points``) are read as their number; an answer that is a JSON number
(``"answer": 7``, another tool's) is read as its digits.
A missing or unparseable prediction is wrong for ``accuracy`` and ``off_by_one_accuracy``
(|error| <= 1), whatever the true count, and enters ``MAE`` and ``RMSE`` as the answer 0, so its
error is the true count (a model cannot lower its MAE by refusing to answer); a reference of 0 so
gives no error, and such records are counted (``n_unanswered_zero``) and noted; ``MAE_parsed`` is
the MAE over the parseable predictions alone. A reference answer that
holds no count raises an error naming the record. It cannot read counts stated only as boxes or
masks (use ``eval.detection`` for that), and it scores the number, not where the points are.
"""

from __future__ import annotations

import math

from eval import common
from eval.counts import counted
from eval.inputs import BadReference
from eval.text import parse_count

HEADLINE = ["accuracy", "MAE"]


def reference_count(record: dict) -> int:
    """The reference answer's count; a ``BadReference`` where it holds none (``load_gt`` skips the record, counted)."""
    if (gt := parse_count(ref := common.gt_answer(record))) is None:
        raise BadReference("reference: no count", f"record {record['id']!r}: reference answer {ref!r} holds no count")
    return gt


def score(items: list[common.Item], args=None) -> dict:
    statuses, errors, parsed_errors, unseen = [], [], [], []  # unseen: ids of non-answers to a count of 0
    for it in common.progress(items, "counting"):
        gt = reference_count(it.record)
        ans = None if it.pred is None else it.pred.get("answer")
        ans = common.number_text(ans) or ans  # "answer": 7 (another tool's JSON): a count, not unparseable
        pred = parse_count(ans) if isinstance(ans, str) else None
        status = common.MISSING if it.pred is None else (common.UNPARSEABLE if pred is None else common.OK)
        statuses.append(status)
        if pred is None and gt == 0:
            unseen.append(it.id)
        err = abs((pred if pred is not None else 0) - gt)
        errors.append(err)
        if pred is not None:
            parsed_errors.append(err)
    right = [e == 0 and s == common.OK for e, s in zip(errors, statuses)]
    close = [e <= 1 and s == common.OK for e, s in zip(errors, statuses)]
    n = len(items)
    return {
        "accuracy": sum(right) / n,
        "MAE": sum(errors) / n,
        "RMSE": math.sqrt(sum(e * e for e in errors) / n),
        "off_by_one_accuracy": sum(close) / n,
        "MAE_parsed": sum(parsed_errors) / len(parsed_errors) if parsed_errors else None,
        "n_correct": sum(right),
        **common.counts(items, statuses),
        "n_unanswered_zero": len(unseen),
        "notes": [f"{counted(len(unseen), 'missing or unparseable answer', 'is/are')} to a reference count of 0 (first: {unseen[0]}): "
                  f"{'it enters' if len(unseen) == 1 else 'they enter'} MAE and RMSE as the answer 0, no error, though accuracy counts them wrong"] if unseen else [],
    }


def main(argv: list[str] | None = None) -> dict:
    return common.run("counting", ("count",), score, HEADLINE, argv, references=False,
                       check=reference_count)  # the count's words are read


if __name__ == "__main__":
    common.main_guard(main)
