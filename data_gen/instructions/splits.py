"""Train / val / test by scene, never by record: every record of a scene lands in one split."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np

SPLITS = ("train", "val", "test")


def split_count(n_scenes: int, fraction: float) -> int:
    """``n_scenes`` × ``fraction`` to the nearest whole scene, halves up, the fraction read as written
    (0.5 of 5 scenes is 3, of 7 is 4: ``round``'s halves to even gave 2 and 4; 0.35 of 10 is 4, not 3.4999…)."""
    return int(Decimal(str(float(fraction))) * n_scenes + Decimal("0.5"))  # >= 0: int() is floor


def split_problem(val: float, test: float) -> str | None:
    """"split.val=0.6, split.test=0.5 must be …" where the fractions split no scenes (one < 0 or NaN, a sum over 1);
    None where they do (``assign_splits``'s check, and ``SplitConfig``'s at load, which names the file)."""
    if val >= 0 and test >= 0 and val + test <= 1:  # NaN fails too
        return None
    from data_gen.instructions.build import given

    return f"split.val={given(val)}, split.test={given(test)} must be >= 0 and sum to at most 1"


def assign_splits(n_scenes: int, val: float, test: float, seed: int) -> list[str]:
    """Split name per scene index: a seeded permutation cut at exact counts, ``split_count`` of each.

    With at least 3 scenes and positive fractions, val and test get one scene at least; where
    ``val + test < 1`` train keeps one at least (the larger of val and test gives it back);
    ``test=1`` puts every scene in test (an evaluation set).
    """
    if why := split_problem(val, test):
        raise ValueError(f"split fractions {why}")
    n_val, n_test = split_count(n_scenes, val), split_count(n_scenes, test)
    if n_scenes >= 3:
        n_val, n_test = max(n_val, int(val > 0)), max(n_test, int(test > 0))
    if n_scenes >= 3 and test > 0 and n_val >= n_scenes and n_val > 1:
        n_val -= 1  # val rounded up to every scene (val=0.9, test=0.1, n=3): test keeps its one scene
    n_test = min(n_test, n_scenes - n_val)
    if val + test < 1 and n_scenes and n_val + n_test >= n_scenes:  # 0.5/0.5 of 2 would leave no train
        if n_val > n_test:
            n_val -= 1
        else:
            n_test -= 1
    perm = np.random.default_rng([seed, 7]).permutation(n_scenes)
    out = ["train"] * n_scenes
    for i in perm[:n_val]:
        out[int(i)] = "val"
    for i in perm[n_val:n_val + n_test]:
        out[int(i)] = "test"
    return out


class SplitFiles:
    """``root/<prefix>{train,val,test}.jsonl`` written as ``….partial`` and renamed only by
    ``commit()``: an interrupted or failed run leaves no records file that looks complete. Earlier
    files of those names are removed up front (synth: it rewrites the scenes they name), or with
    ``keep_earlier`` replaced only by ``commit()`` (rebuild: a failed one left none of the set it was
    to replace). ``abort()`` removes the ``.partial`` files this run made (a rebuild's left beside
    synth's set read as synth's own run cut short)."""

    def __init__(self, root: Path, prefix: str = "", keep_earlier: bool = False) -> None:
        self.final = {s: Path(root) / f"{prefix}{s}.jsonl" for s in SPLITS}
        partial = {s: p.with_name(p.name + ".partial") for s, p in self.final.items()}
        self.made = [p for p in partial.values() if not p.exists()]  # one there already marks a run cut short
        for p in () if keep_earlier else self.final.values():
            p.unlink(missing_ok=True)
        self.files = {s: p.open("w", encoding="utf-8") for s, p in partial.items()}

    def write(self, split: str, line: str) -> None:
        self.files[split].write(line + "\n")

    def close(self) -> None:
        for f in self.files.values():
            f.close()

    def abort(self) -> None:
        """Close, and remove the ``.partial`` files that were not there before this run."""
        self.close()
        for p in self.made:
            p.unlink(missing_ok=True)

    def commit(self) -> None:
        """Close and rename every ``.partial`` to its final name (train last)."""
        self.close()
        for s in reversed(SPLITS):
            Path(self.files[s].name).replace(self.final[s])
