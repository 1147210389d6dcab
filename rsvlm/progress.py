"""Progress bars that keep a log readable.

On a terminal ``bar`` is tqdm as it always was. Where the stream is no terminal (``2> log.txt``, a CI
log, ``nohup``) every redraw of a bar was a ``\\r`` line piling up in the file; there ``bar`` is the same
tqdm (its counts, ``update``, ``set_postfix``, ``write`` all work) whose redraws are written as plain
lines: at most one every ``every`` seconds, and the final count when it closes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` says it is a terminal (``isatty()`` true); one without ``isatty``, a closed one or None
    is not. The one rule for rsvlm's bars and third-party ones (``model.quiet.bars_after``)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def is_widget(tqdm_class: Any) -> bool:
    """A notebook's bar (``tqdm.auto`` under Jupyter): an ipywidget, drawn without the stream."""
    notebook = sys.modules.get("tqdm.notebook")
    return notebook is not None and isinstance(tqdm_class, type) and issubclass(tqdm_class, notebook.tqdm_notebook)


class _LineFile:
    """The file a bar off a terminal writes to: a redraw (``'\\r' + text``) is written to ``stream`` as a line
    of its own where ``every`` seconds have passed since the last line (others are dropped), and the
    final one when the bar closes (tqdm closes by drawing once more, the bar then ``disable``-d). tqdm's
    own cursor moves and clearings (``'\\n'``, ``'\\x1b[A'``, a lone ``'\\r'``) write nothing, but a
    ``leave=False`` bar's clearing at close writes its final count (a log's line cannot be taken back)."""

    def __init__(self, stream: TextIO, every: float, clock: Callable[[], float]) -> None:
        self.stream, self.every, self.clock = stream, every, clock
        self.bar = None  # the tqdm writing here, set by ``bar`` once made
        self.said, self.said_n = "", None  # the last line written, and the bar's count then
        self.due = clock() + every

    def write(self, s: str) -> int:
        if s.startswith("\r"):
            text = s[1:].rstrip()
            closing = bool(getattr(self.bar, "disable", False))  # tqdm.close sets it before its last draw
            n = getattr(self.bar, "n", None)
            if closing and n is not None and n == self.said_n:
                return len(s)  # its last count is the line written last
            if text:
                if closing or self.clock() >= self.due:
                    self._say(text, n)
            elif closing and self.bar is not None:  # a leave=False bar's clearing: a log's line cannot be
                self._say(str(self.bar).rstrip(), n)  # taken back, and its final count is what it did
        return len(s)

    def _say(self, text: str, n) -> None:
        if text != self.said:
            self.stream.write(text + "\n")
            self.stream.flush()
            self.said, self.said_n = text, n
        self.due = self.clock() + self.every

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str):  # encoding, closed, … as the stream's
        return getattr(self.stream, name)


def plural(word: str, n: float = 2) -> str:
    """``word`` as it reads after the count ``n``: ``1 tile``, ``3 tiles``, ``2 batches``, ``0 entries``."""
    if n == 1 or not word:
        return word
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    return word + "s"


def counted(n: float, word: str, verbs: str = "") -> str:
    """``n`` and ``word`` in agreement: ``1 tile``, ``4 tiles``; and where ``verbs`` is given
    (``"singular/plural"``, a word or words each side of one ``/``), the verb agreeing too:
    ``counted(1, "record", "was/were")`` is ``1 record was``, ``counted(3, "record", "was/were")`` ``3 records were``.
    It cannot inflect a verb itself: both forms are given, and ``n == 1`` alone picks the first."""
    said = f"{n} {plural(word, n)}"
    if not verbs:
        return said
    forms = verbs.split("/")
    if len(forms) != 2 or not all(f.strip() for f in forms):
        raise ValueError(f"counted: verbs={verbs!r} is not 'singular/plural' (one '/', words each side: 'was/were')")
    return f"{said} {forms[n != 1].strip()}"


class Unit(str):
    """A bar's unit as words. tqdm writes a fast rate as ``rate + unit + '/s'`` and a slow one as
    ``inverse + 's/' + unit`` (and a count without total as ``n + unit``); as the unit ``" records"``
    this reads ``13.30 records/s``, ``2.80 s/record`` and ``5 records`` where a bare word read
    ``13.30rec/s`` and a spaced plural ``2.80s/ records`` (``1 record``: ``_CountFormat``)."""

    word: str

    def __new__(cls, word: str) -> Unit:
        made = super().__new__(cls, " " + plural(word))
        made.word = word
        return made

    def __getnewargs__(self) -> tuple[str]:  # copy and pickle rebuild it from its word (was "  recordses")
        return (self.word,)

    def __radd__(self, left: str) -> str:  # str + Unit: tqdm's rate text before the unit
        if left.endswith("s/"):
            return f"{left[:-2].rstrip()} s/{self.word}"
        return left + str(self)


class _CountFormat(str):
    """``bar_format`` for a bar whose unit is a ``Unit``: without a total tqdm writes its count as ``n_fmt + unit``
    ("1 records"), so this writes that line (tqdm's layout) with the unit agreeing with ``n`` ("1 record",
    "5 records"). With a total it is tqdm's default format (its text), which tqdm uses as given."""

    def __new__(cls) -> _CountFormat:
        return super().__new__(cls, "{l_bar}{bar}{r_bar}")

    def __getnewargs__(self) -> tuple[()]:  # copy and pickle make it anew (its text is no argument of __new__)
        return ()

    def __str__(self) -> str:  # tqdm takes str(bar_format) where the stream takes unicode: a plain str lost .format
        return self

    def format(self, *args, **kw) -> str:
        unit = kw.get("unit")
        if kw.get("total") or not isinstance(unit, Unit) or "l_bar" not in kw:
            return str.format(self, *args, **kw)
        desc = kw["l_bar"][:-1]  # "desc: " and the "|" tqdm adds for a bar_format without a total
        n, n_fmt = kw["n"], kw["n_fmt"]
        if float(n).is_integer() and abs(n) < 1000:  # unit_scale's "1.00" for a whole count below 1k: "1 record", "3 records"
            n_fmt = str(int(n))
        return f"{desc}{n_fmt} {plural(unit.word, n)} [{kw['elapsed']}, {kw['rate_fmt']}{kw['postfix']}]"


def _unit(unit: str) -> str:
    """``unit`` as ``bar`` hands it to tqdm: a plain word (``"record"``) as a ``Unit``; tqdm's ``it`` and an
    old-style unit (``" records"``, leading space: its caller's own spelling) as given."""
    if not unit or unit == "it" or unit[0].isspace() or isinstance(unit, Unit):
        return unit
    return Unit(unit)


def bar(iterable: Iterable | None = None, *, total: float | None = None, desc: str | None = None,
        unit: str = "it", disable: bool | None = False, file: TextIO | None = None, every: float = 30.0,
        clock: Callable[[], float] = time.monotonic, tqdm_class: Any = None, **tqdm_kwargs):
    """A tqdm bar over ``iterable`` (or of ``total`` steps, ``update``-d) on ``file`` (stderr when None).

    On a terminal, or as a notebook's widget: ``tqdm_class`` (``tqdm.auto.tqdm`` when None) as given.
    ``unit`` is a plain word (``"record"``): the bar reads ``13.30 records/s`` fast and ``2.80 s/record`` slow,
    and without a total ``1 record``, ``5 records`` (a unit with a leading space, ``" records"``, is shown as
    given, as tqdm would; so is a given ``bar_format``, or tqdm's ``TQDM_BAR_FORMAT``).
    Elsewhere: the same bar drawing plain lines (no meter: ``desc: 40% 400/1000 [00:30<00:45, 13.30 records/s]``),
    one at most every ``every`` seconds of ``clock`` and the final count. ``disable=True`` draws nothing anywhere; tqdm's
    ``disable=None`` (off where no terminal) is kept, and ``delay``: a bar closed before it writes nothing.
    ``leave=False`` clears a terminal's bar; a log keeps its final line (a line written cannot be taken back).
    tqdm's ``TQDM_DISABLE`` environment variable turns every bar off."""
    if tqdm_class is None:
        import tqdm.auto

        tqdm_class = tqdm.auto.tqdm
    stream = sys.stderr if file is None else file
    if stream is None:  # python run with its stderr closed (2>&-): nowhere to draw; tqdm raised at its first draw
        disable = True
    if os.environ.get("TQDM_DISABLE"):  # tqdm's own switch (any value, as tqdm reads it), else lost where
        disable = True  # disable is passed: CI's TQDM_DISABLE=1 stopped the converters' bars before
    unit = _unit(unit)
    if isinstance(unit, Unit) and not os.environ.get("TQDM_BAR_FORMAT"):  # "1 record" without a total (tqdm's own
        tqdm_kwargs.setdefault("bar_format", _CountFormat())  # line reads "1 records"); a user's format as tqdm reads
        # it, but one set empty (TQDM_BAR_FORMAT=) is tqdm's default format: no format of the user's to keep
    over = () if iterable is None else (iterable,)  # tqdm's first argument, given only where there is one
    if is_terminal(stream) or is_widget(tqdm_class):  # a widget given ncols=0 was 0 px wide
        return tqdm_class(*over, total=total, desc=desc, unit=unit, disable=disable, file=stream, **tqdm_kwargs)
    lines = _LineFile(stream, every, clock)
    tqdm_kwargs.setdefault("ncols", 0)  # tqdm's "stats only, no meter"
    tqdm_kwargs["dynamic_ncols"] = False  # else the width of the terminal that is not there
    made = tqdm_class(*over, total=total, desc=desc, unit=unit, disable=disable, file=lines, **tqdm_kwargs)
    lines.bar = made
    return made


class ProgressLines:
    """Progress as lines of their own where there is no bar: a line at each tenth of the ``n`` steps
    (``synth: 4/10 scenes (40%) in 12 s``), with the seconds since ``t0`` of ``clock``."""

    def __init__(self, n: int, t0: float, desc: str = "synth", unit: str = "scenes", file: TextIO | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.n, self.t0, self.desc, self.unit, self.file, self.clock = n, t0, desc, unit, file, clock
        self.done, self.said = 0, 0

    def step(self) -> None:
        self.done += 1
        tenth = 10 * self.done // self.n
        if tenth > self.said:
            self.said = tenth
            print(f"{self.desc}: {self.done}/{self.n} {self.unit} ({100 * self.done // self.n}%) in "
                  f"{self.clock() - self.t0:.0f} s", file=self.file or sys.stderr, flush=True)
