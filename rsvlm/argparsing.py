"""The argument parser every rsvlm command line uses (``rsvlm``, ``python -m data_gen …``, ``python -m eval.…``,
``scripts/``, ``bench/``): options are not abbreviated, and a usage error names the option meant.

Standard library only, so a ``--help`` imports nothing heavy.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose "invalid choice" error suggests the nearest choice (``rsvlm predcit``,
    ``--task detect``): Python 3.14's ``suggest_on_error``, for the Pythons before it; and whose
    "expected one argument" says how to give a value that starts with ``-`` (``--region -1,0,5,5``,
    which argparse takes for an option), where ``argv`` (set by ``rsvlm.cli.main``, else the words parsed)
    shows one. Options are not abbreviated (``--reg`` for ``--region``): an unknown one is answered with
    the option meant."""

    argv: tuple[str, ...] = ()  # the command line as typed, for error's hints (rsvlm.cli.main sets it)
    _parsing: tuple[str, ...] = ()  # the words of the parse under way, where argv is not set
    explained: tuple[str, ...] = ()  # options an error's caller said the hint for (chat --task): no "did you mean"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)  # --reg ran as --region unsaid; a typo is said with the option meant
        for text in ("description", "epilog"):  # a module docstring's reST ``x`` reads as x in --help
            if isinstance(kwargs.get(text), str):
                kwargs[text] = kwargs[text].replace("``", "")
        super().__init__(*args, **kwargs)

    def meant(self, word: str) -> str:
        """The hint for an unknown option ``word`` that starts one of this parser's options (``--reg``: " (… did
        you mean --region?)") or is near one (``--regoin``, ``--Region``); "" where none is."""
        from rsvlm.near import near_names

        head = word.split("=", 1)[0]
        if not head.startswith("-") or head.strip("-") == "":  # "--" ends the options: no typo of one
            return ""
        options = [o for o in self._option_string_actions if o.startswith("--")]
        if near := [o for o in options if head.startswith("--") and o.startswith(head)]:
            said = f"{head} is no option; options are not abbreviated"
        else:
            said, near = f"{head} is no option", near_names(head, options, n=3, cutoff=0.7, slips=False)  # --x: no --n
        if not near:
            return ""
        named = "one of " + ", ".join(near) if len(near) > 2 else " or ".join(near)  # --m: --model, --modality, …
        return f" ({said}: did you mean {named}?)"

    def parse_known_args(self, args=None, namespace=None):
        self._parsing = tuple(sys.argv[1:] if args is None else args)  # for error's hints
        return super().parse_known_args(args, namespace)

    def _is_option(self, word: str) -> bool:
        """Whether ``word`` is one of this parser's options (or a ``--`` one cut short, which ``meant`` names):
        the value was left out before the next option (``--region --prompt …``), not one to quote."""
        head = word.split("=", 1)[0]
        return any(o == head or (head.startswith("--") and o.startswith(head)) for o in self._option_string_actions)

    def _loose_paths(self, typed: tuple[str, ...]) -> list[str]:
        """Words of ``typed`` that no option takes and that name a file (one that exists, or a name with an
        extension): ``rsvlm predict scene.tif --task det``, the image given without ``--image``."""
        from pathlib import Path

        loose = []
        for prev, word in zip(("",) + typed, typed):
            action = self._option_string_actions.get(prev)
            if word == "--":
                break
            if word.startswith("-") or (action is not None and action.nargs != 0) or self.prog.endswith(f" {word}"):
                continue
            if Path(word).suffix or Path(word).exists():
                loose.append(word)
        return loose

    def _command(self, typed: tuple[str, ...]) -> Parser | None:
        """The subcommand's parser (a Parser) that ``typed`` chose, if this parser has subcommands."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for word in typed:
                    if isinstance(sub := action.choices.get(word), Parser):
                        return sub
        return None

    def error(self, message: str):
        from rsvlm.near import near_names

        typed = self.argv or self._parsing
        required = re.match(r"the following arguments are required|one of the arguments .* is required$", message)
        if required:  # eval --dat x: said before the stray --dat; a word after "--" is no option (a file --x.tif)
            options = typed[:typed.index("--")] if "--" in typed else typed
            message += "".join(dict.fromkeys(self.meant(a) for a in options
                                             if a.startswith("--") and a.split("=", 1)[0] not in self._option_string_actions))
            if re.search(r"[ ,]--image(?![\w-])", message) and (loose := self._loose_paths(typed)):
                message += f" ({loose[0]}: an image is given as --image {shlex.quote(loose[0])})"  # rsvlm predict a.tif
        if message.startswith("unrecognized arguments: "):  # --g for --gt; rsvlm.cli's _stray says them itself
            if (sub := self._command(typed)) is not None:  # convert dota --sr: said with dota's usage and options
                sub.error(message)
            words = message.split(": ", 1)[1].split(" (", 1)[0].split()  # the words, not a hint said after them
            words = words[:words.index("--")] if "--" in words else words  # after "--" a word is no option
            hints = dict.fromkeys(self.meant(a) for a in words if a.startswith("-") and a.split("=", 1)[0] not in
                                  self.explained)
            message += "".join(h for h in hints if h not in message)

        if m := re.match(r"argument (\S+): expected one argument$", message):
            names, argv = m.group(1).split("/"), list(typed)
            value = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a in names), None)
            if value and value.startswith("-") and len(value) > 1 and not self._is_option(value):
                if typo := self.meant(value):  # --region --promt hi: the value left out before a misspelt option
                    message += typo
                else:
                    message += f" (a value starting with '-' is given as {shlex.quote(f'{names[-1]}={value}')})"

        if m := re.match(r"argument (.+?): invalid choice: '(.*)' \(choose from (.*)\)$", message):
            choices = re.findall(r"'([^']*)'", m.group(3)) or m.group(3).split(", ")  # unquoted in newer Pythons
            if near := near_names(m.group(2), choices, cutoff=0.5):  # DET: det, as written small
                message = f"argument {m.group(1)}: invalid choice: {m.group(2)!r}, maybe {near[0]!r}? " \
                          f"(choose from {m.group(3)})"
        super().error(message)


class Noted(argparse.Action):
    """argparse's "store", which notes what an option of one value is given (``--seed 1``, ``--seed=1``; not a
    list, as rsivqa's ``--src``, which adds up): ``(option, value as its type read it)`` appended to
    ``parser.values_given``, which ``data_gen.argv.given_twice`` compares after the parse. Where the parser
    keeps ``given`` (``OnceParser``), a repeat with another value is said at once naming both, the last taken
    (``--out a.json --out b.json`` kept the last unsaid: the run wrote where its command line does not read);
    not refused: a wrapper script's defaults are overridden by the words after them. Values compare as the
    option reads them: through its type's ``compared_as`` where it has one (``--rgb-bands`` b04 is B04)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string is not None and self.nargs is None:
            vars(parser).setdefault("values_given", []).append((option_string, values))
            if (given := vars(parser).get("given")) is not None:
                same = getattr(self.type, "compared_as", lambda v: v)
                if self.dest in given and same(given[self.dest]) != same(values):
                    print(f"{parser.prog}: warning: {'/'.join(self.option_strings)} given twice, "
                          f"{given[self.dest]!r} and {values!r}: the last, {values!r}, is taken", file=sys.stderr)
                given[self.dest] = values
        setattr(namespace, self.dest, values)


class OnceParser(Parser):
    """A ``Parser`` whose one-value options say a repeat with another value (``Noted``); a repeat with the
    same value is taken unsaid. Give it as ``add_subparsers(parser_class=OnceParser)`` for the commands too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register("action", None, Noted)  # add_argument's default action, and "store" named
        self.register("action", "store", Noted)

    def parse_known_args(self, args=None, namespace=None):
        self.given = {}  # option's dest -> the value it was given last: what Noted compares a repeat with
        self.values_given = []
        return super().parse_known_args(args, namespace)
