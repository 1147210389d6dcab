"""Class names on the command line: ``--classes`` of the detection converters (dota, voc), which to keep
and which asked-for names no annotation had (a typo kept a class out of the records without a word),
and ``class_name``, the type of options naming one class (``--label``, ``--binary``)."""

from __future__ import annotations

import argparse
import re
import shlex

from data_gen.convert.common import ConversionError, Output, clean_label
from rsvlm.progress import counted


def class_name(v: str) -> str:
    """An argparse ``type``: a class name with a letter or digit in it, stripped (``--label ''`` reached the
    geometry codec as an empty label, a ValueError traceback; ``--binary _`` wrote ``<ref>_</ref>``)."""
    if not re.search(r"[^\W_]", v):
        raise argparse.ArgumentTypeError(f"needs a class name (letters or digits), got {v!r}")
    from data_gen.convert.detection import label_problem

    if (why := label_problem(v.strip(), {})) is not None:  # "<ref>": the codec's traceback at the first record
        raise argparse.ArgumentTypeError(f"needs a class name, got {v!r}: {why}")
    return v.strip()


def plural_of(plural: str, single: str) -> bool:
    """Whether ``plural`` is ``single``'s plural: ``+es`` after s, x, z, ch, sh (``buses``, ``glasses``) or o
    (``tomatoes``, or ``+s``), ``ies`` for a consonant's y (``ferries``, ``facilities``: they matched nothing), else
    ``+s``: ``planes`` is no ``plan``'s (``--classes plan`` took the data's ``planes``, and ``--classes planes`` a class
    ``plan``), ``buss`` no ``bus``'s (it took it before ``buses``). A word in a consonant's -us, in -sis, or of a
    vowel's two letters and an s is a singular: ``bus`` no ``bu``'s, ``gas`` no ``ga``'s (``--classes bus`` took a
    class ``bu``), as ``campus``, ``oasis``; ``plateaus``, ``bayous``, ``tvs`` are plurals, ``menus`` is so lost."""
    hiss = single.endswith(("s", "x", "z", "ch", "sh"))
    if single[-1:] == "y" and single[-2:-1] not in ("", *"aeiouy"):  # "ferry": not "ferrys", as not "buss"
        return plural == single[:-1] + "ies"
    singular = (len(single) < 2 or len(single) == 2 and single[-1] in "aeiou" or single.endswith("si")
                or single.endswith("u") and not single.endswith(("au", "ou")))  # "gas", "bus", "oasis" ("bayous")
    return plural == single + "es" and (hiss or single.endswith("o")) or plural == single + "s" and not (hiss or singular)


class ClassFilter:
    """Whether a class name is among ``--classes`` (comma-separated; a ``;`` or ``|`` in it is refused, saying so,
    the hint quoted for a shell: ``ship;harbor`` or ``ship;`` was one class of none, every annotation left out).
    Names match as ``clean_label`` writes them, so case, ``-``, ``_`` and spaces do not matter: ``Small-Vehicle``, ``small_vehicle``
    and ``small vehicle`` are all ``small vehicle`` (they become the same record label anyway). A name given
    in the plural (``small vehicles``, ``ships``, ``buses``) takes its singular class too (it matched nothing, said
    only as no annotation of the class), noted as ``--classes NAME: read as CLASS`` (``… too`` where NAME was a class
    as well); so too, where the user chose the classes, a name given in the singular of a class the data names in the
    plural (``plane`` of the data's ``planes`` was left out, as of another class). A name no annotation had whose
    words are classes the data has (``ship large-vehicle``: a space is legal in a class name) is noted with the
    hint to separate them by commas.
    ``chosen``: the user gave the classes (else they are a converter's default list, DOTA's)."""

    def __init__(self, classes: str, chosen: bool = True) -> None:
        if re.search(r"[;|]", classes):  # one class of none ("ship;harbor", "ship;"): every annotation left out
            run = ",".join(c for c in re.split(r"\s*[;|,]\s*", classes.strip()) if c)
            raise ConversionError(f"--classes {classes!r}: separate classes by commas: --classes {shlex.quote(run)}")
        self.given = {clean_label(c): c.strip() for c in classes.split(",") if c.strip()}  # as written, by label
        self.wanted = set(self.given)
        self.seen: set[str] = set()
        self.met: set[str] = set()  # every class asked about: a name of classes run together by spaces is told
        self.plurals: dict[str, str] = {}  # a wanted plural name -> the singular class it took, or singular -> plural
        self.chosen = chosen

    def __call__(self, name: str) -> bool:
        label = clean_label(name)
        self.met.add(label)
        if label in self.wanted:
            self.seen.add(label)
            return True
        for plural in (label + "s", label + "es", label[:-1] + "ies"):
            if plural in self.wanted and plural_of(plural, label) and self.plurals.setdefault(plural, label) == label:
                return True
        if self.chosen:  # "plane" given, the data's class "planes": left out, unlike the other way round
            for single in [label[:-n] for n in (1, 2) if label.endswith("es"[2 - n:])] + [label[:-3] + "y"]:
                if single in self.wanted and plural_of(label, single) and self.plurals.setdefault(single, label) == label:
                    return True
        return False

    def leaves_out(self, name: str, out: Output, where: str) -> bool:
        """Whether an annotation of class ``name`` (at ``where``, file:line) is left out: counted in ``out``
        as ``filtered`` (``--classes: NAME``) where the user chose the classes, or else, a class outside
        the default list, skipped as ``unknown_class`` (a bad annotation). Left-out classes of a chosen
        ``--classes`` were counted as skipped ``unknown_class``, read as errors, and raised under ``--strict``."""
        if self(name):
            return False
        if self.chosen:
            out.filter("--classes", clean_label(name))
        else:
            out.skip("unknown_class", where, name)
        return True

    def note_unmatched(self, out: Output, unit: str = "file") -> None:
        """Count in ``out``'s notes each asked-for class that no annotation had, keyed by its name, and each plural
        read as its singular class (or singular as its plural); not those of a default list (each DOTA class a scene lacks was noted as if
        asked for). Under ``--limit`` with inputs left unread (``unit``: one input's word) the note says the class
        may be in them: it said "no annotation of this class" of a dataset read in part; a plural read as its
        singular says it was so in the inputs read (the unread ones are not looked at for either)."""
        if not self.chosen:
            return
        left = f"the {counted(out.left_out, unit)} --limit {out.limit} left unread" if out.left_out else ""
        read = f" in the {counted(out.taken, unit)} read" if left else ""
        for name in sorted(self.wanted):
            if name in self.plurals:  # the unread inputs may hold the name as a class of its own
                out.note(f"--classes {name}: read as {self.plurals[name]}{' too' * (name in self.seen)}{read}"
                         f"{f', not looked at in {left}' * bool(left)}")
            elif name not in self.seen:
                out.note(f"--classes {name}: no annotation of this class{read}{f'; it may be in {left}' * bool(left)}"
                         f"{self._run_together(name)}")

    def _run_together(self, name: str) -> str:
        """Where the asked-for ``name`` (no annotation's) is classes the data has run together by spaces (``ship
        large-vehicle``, a space being legal in a class name): the hint to separate them by commas; "" otherwise."""
        words = self.given[name].split()
        if len(words) < 2 or not all(clean_label(w) in self.met for w in words):
            return ""
        run = shlex.quote(",".join(words))
        return f" (but {', '.join(map(clean_label, words))} are: separate classes by commas, --classes {run})"


def class_filter(classes: str, chosen: bool = True) -> ClassFilter | None:
    """``--classes`` → None (empty: any class) or a ``ClassFilter`` (``chosen``: see there)."""
    f = ClassFilter(classes, chosen)
    return f if f.wanted else None
