"""``--classes`` of the detection converters (dota, voc): which class names to keep, and which asked-for
names no annotation had (a typo kept a class out of the records without a word)."""

from __future__ import annotations

from data_gen.convert.common import Output, clean_label


class ClassFilter:
    """Whether a class name is among ``--classes`` (comma-separated). Names match as ``clean_label``
    writes them, so case, ``-``, ``_`` and spaces do not matter: ``Small-Vehicle``, ``small_vehicle``
    and ``small vehicle`` are all ``small vehicle`` (they become the same record label anyway)."""

    def __init__(self, classes: str) -> None:
        self.wanted = {clean_label(c) for c in classes.split(",") if c.strip()}
        self.seen: set[str] = set()

    def __call__(self, name: str) -> bool:
        label = clean_label(name)
        if label in self.wanted:
            self.seen.add(label)
            return True
        return False

    def note_unmatched(self, out: Output) -> None:
        """Count in ``out``'s notes each asked-for class that no annotation had, keyed by its name."""
        for name in sorted(self.wanted - self.seen):
            out.note(f"--classes {name}: no annotation of this class")


def class_filter(classes: str) -> ClassFilter | None:
    """``--classes`` → None (empty: any class) or a ``ClassFilter``."""
    f = ClassFilter(classes)
    return f if f.wanted else None
