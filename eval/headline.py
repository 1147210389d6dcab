"""A scorer's headline figure on a set, for the benches (``headline_results``): each scorer's ``main`` run on a
ground truth and predictions without printing, its refusal or missing figure kept as why the bench shows '–', the
records it skipped (``n_gt_bad_records``) as its note. ``eval.common`` re-exports both names."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.counts import counted
from eval.inputs import ScoreError


@dataclass
class Headline:
    """One scorer's headline figure on a set (``headline_results``); where it is None, ``why``: the scorer's
    refusal (a ``ScoreError``: no record of its task, one without ``meta.width``) or what its scores lack."""

    score: float | None
    why: str | None = None
    skipped: str | None = None  # the scorer's note of the records it skipped (n_gt_bad_records), where any


def headline_results(gt: str | Path, pred: str | Path, scorers: dict[str, tuple[Any, str]]) -> dict[str, Headline]:
    """``{name: Headline}`` for ``scorers`` ``{name: (eval module, score key)}``, each module's ``main`` run on
    ``gt`` and ``pred`` without printing, once per module (two keys of one scorer read one run). A refusal was
    None alone, so a bench showed '–' for records without ``meta.width`` as for a set without the task."""
    runs: dict[Any, dict | ScoreError] = {}
    out = {}
    for name, (mod, key) in scorers.items():
        if mod not in runs:
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    runs[mod] = mod.main(["--gt", str(gt), "--pred", str(pred)])
                except ScoreError as e:
                    runs[mod] = e
        got, script = runs[mod], mod.__name__
        if isinstance(got, ScoreError):
            out[name] = Headline(None, f"{script} refused the records: {got}")
        elif got.get(key) is None:  # AR100 is absent where no record has an axis-aligned box: no typo's alone
            kinds = ", ".join(f"{k} {v}" for k, v in got.items() if k.startswith("n_records_"))
            out[name] = Headline(None, f"{script} scored {counted(got.get('n_records'), 'record')} and gives no {key}: none "
                                       "holds a reference it is taken from" + (f" ({kinds})" if kinds else "") + (
                f", or {key!r} is no score of {script} (its headline: {', '.join(got.get('headline', []))})"
                if key not in got else ""))  # a bench's typo: was '–' as if the set held no such reference
        else:
            out[name] = Headline(got[key])
        if isinstance(got, dict) and got.get("n_gt_bad_records"):  # a bench's score of fewer records, said
            out[name].skipped = next((n for n in got.get("notes", []) if "(n_gt_bad_records)" in n), None)
    return out


if __name__ == "__main__":  # python -m eval.headline: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("headline"))
