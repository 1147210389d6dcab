"""Value types of the ``rsvlm`` command line's options (``argparse`` ``type=``): each refuses a value naming
what it takes, so the usage error names the option."""

from __future__ import annotations

import argparse
import math


def stdin_image(text: str, files: list[str]) -> str | None:
    """Why an image typed as ``text`` (its band files ``files``: ``inference.band_files``) is refused: it, or one of
    its band files, is ``-`` (``--image -``, ``/image -``: it was "image not found: -"); None where none is."""
    if "-" not in files:
        return None
    why = ("'-' (standard input): an image is read from a file, not from standard input; give its path (save a piped "
           "image to a file first; ./- for a file named '-')")
    return why if len(files) == 1 else f"{text!r}: band file {files.index('-') + 1} of {len(files)} is {why}"


def count(least: int):
    """argparse type: an int of at least ``least`` (a usage error naming the option otherwise)."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if n < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {n}")
        return n

    return parse


def pixels(least: int, what: str):
    """argparse type: a whole number of pixels (``--tile``, ``--overlap``); ``inf``, ``1e3`` or ``64.5`` was
    argparse's bare "invalid int value". One below ``least`` is left to the command, which says it with the
    other options it depends on (``--overlap < --tile``)."""

    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number of pixels >= {least} ({what}), got "
                                              f"{text!r}") from None

    return parse


def number(low: float, high: float = float("inf")):
    """argparse type: a finite float in [low, high]."""

    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(x):  # nan was told "must be at least 0", which it is not below
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
        if not low <= x <= high:
            # bound below alone: "must be in [0.0, inf]" read as if inf were a value to give
            raise argparse.ArgumentTypeError((f"must be in [{low}, {high}]" if high < float("inf") else
                                              f"must be at least {low:g}") + f", got {text}")
        return x

    return parse


def device(text: str) -> str:
    """``--device``: in any case (``CPU`` was "not a device" where ``--modality SAR`` is taken); an empty one
    (``--device "$DEV"``, DEV unset) is refused: it ran on the default device unsaid."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give cpu, cuda or cuda:N, or leave --device out (cuda if available)")
    return text.strip().lower()


def history(text: str) -> int | str:
    """``--history``: a count >= 0, or ``all``."""
    if text.lower() == "all":  # ALL, as --modality SAR is taken
        return "all"
    try:
        return count(0)(text)
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"{e} (or all)") from None


def temperature(text: str) -> float:
    """``--temperature``: a finite number >= 0 (``number``; inf reached the sampler's check as a traceback)."""
    return number(0.0)(text)


def region(text: str) -> list[float]:
    """``--region``: X1,Y1,X2,Y2 in pixels, X1 < X2 and Y1 < Y2."""
    try:
        xs = [float(v) for v in text.split(",")]
    except ValueError:
        xs = []
    if len(xs) == 4 and not all(map(math.isfinite, xs)):  # nan was told "X1 < X2", which it may not be
        raise argparse.ArgumentTypeError(f"expected a finite number for each of X1,Y1,X2,Y2 (pixels), got {text!r}")
    if len(xs) != 4 or xs[0] >= xs[2] or xs[1] >= xs[3]:
        raise argparse.ArgumentTypeError(f"expected X1,Y1,X2,Y2 in pixels, X1 < X2 and Y1 < Y2; got {text!r}")
    return xs


class OneRegion(argparse.Action):
    """``--region`` given twice with two regions is refused, naming both (the last was answered, the first
    dropped unsaid): a run asks about one region."""

    def __call__(self, parser, namespace, values, option_string=None):
        before = getattr(namespace, self.dest, None)
        if before is not None and before != values:
            said = [",".join(f"{v:g}" for v in r) for r in (before, values)]
            parser.error(f"argument {option_string}: given twice ({said[0]} and {said[1]}); a run asks about one "
                         "region: run predict once per region")
        setattr(namespace, self.dest, values)


def rgb_bands(text: str) -> list[str]:
    """``--rgb-bands``: three comma-separated band names (a name may repeat: VV,VH,VV); checked against an
    image's bands once it is read (``output_options.rgb_bands_problem``)."""
    names = [b.strip() for b in text.split(",")]
    if len(names) != 3 or not all(names):
        raise argparse.ArgumentTypeError(f"expected 3 comma-separated band names drawn as red, green, blue "
                                          f"(B08,B04,B03; VV,VH,VV); got {text!r}")
    return names


def _band_keys(names: list[str]) -> list[str]:
    """``names`` as an image's bands are matched to them (``bandnames.band_key``: any case, ``B4`` is ``B04``)."""
    from rsvlm.io.bandnames import band_key  # numpy, with rsvlm.io: only where --rgb-bands is given twice

    return [band_key(n) for n in names]


rgb_bands.compared_as = _band_keys  # a repeat, --rgb-bands B04,B03,B02 --rgb-bands b4,b3,b2, is the same bands


def given(hint: str):
    """A path option that must name something: an empty one ("$OUT" unset) read as '.', the current folder (eval's
    --out "is a folder", --data "a folder; give a JSONL file in it"), or as not given (--image-root)."""

    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"empty; give {hint}")
        return text

    return parse


def new_folder(text: str) -> str:
    """``--out`` of merge-lora and convert-llava: a folder, so neither empty (it read as '.', "already exists
    and is not empty") nor ``-`` (a folder was made named '-': a folder cannot go to stdout)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give a new or empty folder for the checkpoint")
    if text == "-":
        raise argparse.ArgumentTypeError("'-' (stdout) cannot take a checkpoint, which is a folder; give a new or "
                                         "empty folder (./- for one named '-')")
    return text
