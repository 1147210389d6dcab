"""The known names a mistyped one is near, for the "did you mean …?" of a refusal: one matcher for every
option, command, key, task and model name rsvlm names back (stdlib only).

It cannot read meaning: a far word with the same sense (``learning_rate`` for ``lr``) is found only by a caller's
own table of synonyms, and a near word of another sense (``save_steps``, ``max_steps``) is offered where the
cutoff lets it through."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def near_names(word: str, known: Iterable[str], *, n: int = 1, cutoff: float = 0.75, fold_case: bool = True,
               slips: bool = True) -> list[str]:
    """Up to ``n`` of ``known`` that ``word`` is a misspelling of, best first; [] where none is.

    In turn: ``word`` itself where known; where ``fold_case``, the names it is but for case (``DET``: det; [] where
    more than ``n`` are, ``Val`` and ``val``); difflib's likeness at ``cutoff`` (of the names as written small where
    ``fold_case``); where ``slips``, the one name that ``word`` is but for one slip (``one_slip``: ``sise`` for
    size, 0.75 to difflib), none where two are (``vat``: val, var). Leave ``slips`` off where ``known`` is every
    name of a config, not one level's: a one-letter slip of a short word hits some far key by chance. Names alike
    but for case that difflib finds come closest as written first (``vall``: val before Val). A ``word`` that is no
    string (a YAML key 3, null) is near none; ``known``'s other values are passed over."""
    if not isinstance(word, str):
        return []
    known = [k for k in dict.fromkeys(known) if isinstance(k, str)]
    if word in known:
        return [word]
    low = word.casefold() if fold_case else word
    if fold_case and (same := [k for k in known if k.casefold() == low]):
        return same if len(same) <= n else []
    forms: dict[str, list[str]] = {}
    for k in known:
        forms.setdefault(k.casefold() if fold_case else k, []).append(k)
    if close := difflib.get_close_matches(low, list(forms), n=n, cutoff=cutoff):
        written = {k: difflib.SequenceMatcher(None, word, k).ratio() for c in close for k in forms[c]}
        return [k for c in close for k in sorted(forms[c], key=lambda k: -written[k])][:n]
    if slips and len(one := [k for f, ks in forms.items() if one_slip(low, f) for k in ks]) == 1:
        return one
    return []


def did_you_mean(word: str, known: Iterable[str], *, lead: str = "; ", **kw) -> str:
    """``lead`` + "did you mean 'det'?" (or "'a', 'b' or 'c'" where ``n`` lets several through) for the
    ``near_names`` of ``word`` (``kw`` goes to it); "" where none is near."""
    near = near_names(word, known, **kw)
    if not near:
        return ""
    said = [repr(k) for k in near]
    return f"{lead}did you mean {' or '.join(said) if len(said) < 3 else ', '.join(said[:-1]) + ' or ' + said[-1]}?"


def one_slip(typed: str, key: str) -> bool:
    """Whether ``typed`` is ``key`` (each of 3 or more letters) but for one letter wrong, added, left out, or two
    side by side swapped (``sise``: size, ``tset``: test): a short key's one slip is under difflib's 0.8 likeness."""
    if typed == key or min(len(typed), len(key)) < 3 or abs(len(typed) - len(key)) > 1:
        return False
    i = next((i for i, (a, b) in enumerate(zip(typed, key)) if a != b), min(len(typed), len(key)))
    if len(typed) > len(key):  # one added
        return typed[i + 1:] == key[i:]
    if len(typed) < len(key):  # one left out
        return typed[i:] == key[i + 1:]
    swapped = typed[i:i + 2] == key[i:i + 2][::-1] and typed[i + 2:] == key[i + 2:]
    return typed[i + 1:] == key[i + 1:] or swapped  # one wrong, or two swapped
