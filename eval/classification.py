"""Scene classification: accuracy, per-class accuracy and the confusion matrix.

``python -m eval.classification --gt GT.jsonl --pred PRED.jsonl [--out scores.json]``

The class is the reference answer of each ``cls`` record; a prediction is right when its answer
equals it after ``eval.text.normalize_answer`` without its yes/no folding (so ``"A church."`` matches
``church``, and xBD's ``no-damage`` is not the answer ``"No."``). It
cannot accept synonyms or a class hidden in a sentence (``"This is a church"`` is wrong). An answer that is a class
in another spelling (``harbour`` for ``harbor``, ``rsvlm.answer_words.SPELLINGS``: British for American, as detection
and segmentation read labels) is that class, counted (``n_answers_spelt_otherwise``) and noted: its own record's
class first (a set holding both ``harbor`` and ``harbour``), else the one class it spells; an answer that would spell
two classes is left as written.
Missing and unparseable answers are wrong and appear in the confusion matrix as the
columns ``(missing)`` and ``(unparseable)``; answers that are no ground-truth class are
the column ``(other)``.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from eval import common
from eval.answers import reference_words
from eval.counts import counted
from eval.text import normalize_answer
from rsvlm.answer_words import SPELLINGS

HEADLINE = ["accuracy", "mean_class_accuracy"]


def predicted_label(item: common.Item) -> tuple[str | None, str]:
    """(normalised answer, status)."""
    if item.pred is None:
        return None, common.MISSING
    ans = item.pred.get("answer")
    label = normalize_answer(ans, yes_no=False) if isinstance(ans, str) else ""
    return (label, common.OK) if label else (None, common.UNPARSEABLE)


def _spelling(label: str) -> str:
    """``label`` with each word in one spelling (``SPELLINGS``: "harbours" → "harbors")."""
    return " ".join(SPELLINGS.get(w, w) for w in label.split())


def score(items: list[common.Item], args=None) -> dict:
    statuses, pairs = [], []
    for it in common.progress(items, "classification"):
        pred, status = predicted_label(it)
        statuses.append(status)
        pairs.append((reference_words(it.record, yes_no=False), pred, status))  # "." or "-": skipped by main's check
    classes = sorted({g for g, _, _ in pairs})
    # the bundled model says "harbour", NWPU-RESISC45 "harbor": was wrong, "(other)". Its own record's class first (a
    # set of NWPU's "harbor" and the synthetic scenes' "harbour" holds both: "harbour" was wrong to "harbor" there
    # alone), else the one class it spells; one it could spell two ways ("grey center" to "gray centre" and "grey
    # centre") stays as written, no class picked for it
    spelt = defaultdict(list)
    for c in classes:
        spelt[_spelling(c)].append(c)
    respelt = []
    for i, (gt, pred, status) in enumerate(pairs):
        if status != common.OK or pred == gt:
            continue
        if (key := _spelling(pred)) == _spelling(gt):
            cls = gt
        elif pred not in classes and len(spelt.get(key, ())) == 1:
            cls = spelt[key][0]
        else:
            continue
        respelt.append((pred, cls))
        pairs[i] = gt, cls, status
    confusion: dict[str, Counter] = defaultdict(Counter)
    for gt, pred, status in pairs:
        col = pred if status == common.OK and pred in classes else (
            "(other)" if status == common.OK else f"({status})")
        confusion[gt][col] += 1
    per_class = {c: confusion[c][c] / sum(confusion[c].values()) for c in classes}
    n_right = sum(confusion[c][c] for c in classes)
    notes = [f"{counted(len(respelt), 'answer', 'spells/spell')} a class another way and {'scores' if len(respelt) == 1 else 'score'} as it (first: {respelt[0][0]!r} for "
             f"{respelt[0][1]!r})"] if respelt else []
    # the (other) column says how many, not which: a class spelt another way ("denseresidential") shows here
    if other := Counter(p for _, p, status in pairs if status == common.OK and p not in classes):
        notes.append(f"{counted(sum(other.values()), 'answer', 'names/name')} no class of the ground truth and {'scores' if sum(other.values()) == 1 else 'score'} as wrong; most "
                     f"common: {', '.join(f'{a[:40]!r} ({n})' for a, n in other.most_common(5))}")
    return {
        "accuracy": n_right / len(items),
        "mean_class_accuracy": sum(per_class.values()) / len(classes),
        "n_correct": n_right,
        "n_answers_spelt_otherwise": len(respelt),
        **common.counts(items, statuses),
        "per_class_accuracy": per_class,
        "confusion_matrix": {c: dict(confusion[c]) for c in classes},  # row: true class, column: answer
        "notes": notes,
    }


def details(scores: dict) -> str:
    cm = scores["confusion_matrix"]
    cols = sorted({k for row in cm.values() for k in row}, key=lambda k: (k.startswith("("), k))
    if len(cols) > 20:
        return f"(confusion matrix has {len(cols)} columns; see the JSON output)"
    rows = [[c, f"{scores['per_class_accuracy'][c]:.4f}", *(cm[c].get(k, 0) for k in cols)] for c in cm]
    return "per class (rows: true class, columns: answer)\n" + common.table(rows, ["class", "accuracy", *cols])


def reference_check(rec: dict) -> None:
    """``load_gt``'s check of a class reference (``answers.reference_words``)."""
    reference_words(rec, yes_no=False)


def main(argv: list[str] | None = None) -> dict:
    return common.run("classification", ("cls",), score, HEADLINE, argv, details=details, geometry=False,
                      check=reference_check)


if __name__ == "__main__":
    common.main_guard(main)
