"""``rsvlm chat``'s loop over the lines it reads (``talk``), split from ``rsvlm.chat``: a line holding lone CRs read
as the lines they end (``cr_lines``), and the status a piped chat ends with (``_ended``)."""
from __future__ import annotations

import contextlib
import os
import re
import sys
from typing import TYPE_CHECKING

from rsvlm.answer_shown import shown
from rsvlm.tokens import encoding_advice, undecoded

if TYPE_CHECKING:
    from rsvlm.chat import ChatREPL


def talk(repl: ChatREPL) -> int:
    """The chat's loop: lines read and handled until Ctrl-D or /quit. Status 0; a piped chat (stdin no terminal)
    whose lines failed (``ChatREPL.fail``) ends with a line on stderr naming them and status 1: it was 0, and a
    script could not tell a /vis that wrote nothing from one that wrote. Ctrl-C at a piped chat's read (a terminal's
    is told how to leave), or where no step catches it, ends it: a line on stderr counting the questions answered,
    status 130."""
    repl.say("rsvlm chat — /help for commands, /quit to leave")
    try:
        import readline  # noqa: F401  (line editing and history where available)
    except ImportError:
        pass
    echo = not sys.stdin.isatty()  # piped questions: no one types the next line, and no terminal echoes them
    with contextlib.suppress(AttributeError, ValueError):  # a strict stdin's bad byte lost its read-ahead's lines
        sys.stdin.reconfigure(errors="surrogateescape")  # each such line is refused by itself (tokens.py)
    repl.encoding = getattr(sys.stdin, "encoding", None)  # named where a line's byte is not of it
    try:
        return _lines(repl, echo)
    except _Interrupted as e:  # piped: Ctrl-C at a read said "(Ctrl-D or /quit to leave)" to a pipe, and read on
        read = e.read
    except KeyboardInterrupt:  # between the steps that catch it (an echo, the end's count): was cli's bare line
        read = -1
    from rsvlm.progress import counted

    lines = f" of {counted(read, 'line')} read; the lines after it were not read" if read >= 0 and echo else ""
    print(f"\nrsvlm chat: interrupted (Ctrl-C); {counted(repl.answered, 'question')} answered{lines}",
          file=sys.stderr, flush=True)
    return 130


def typed_eof() -> bool:
    """Whether a Ctrl-D typed on the terminal while an answer was written waits alone to be read, now read: the
    terminal holds it as an empty read, which readline's raw mode drops, so the chat sat at its prompt. An empty
    read waiting in canonical mode (FIONREAD 0) is nothing else; a line typed ahead is left for input()."""
    try:
        import fcntl
        import select
        import struct
        import termios
    except ImportError:  # no termios (Windows)
        return False
    try:
        fd = sys.stdin.fileno()
        if not (os.isatty(fd) and termios.tcgetattr(fd)[3] & termios.ICANON and select.select([fd], [], [], 0)[0]):
            return False
        if struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]:
            return False
        return os.read(fd, 1) == b""
    except (AttributeError, OSError, ValueError, termios.error):  # no terminal, a replaced stdin, a hang-up
        return False


class _Interrupted(Exception):  # noqa: N818  (Ctrl-C at a piped chat's read: ends it, ``read`` lines read)
    def __init__(self, read: int):
        super().__init__(read)
        self.read = read


def _lines(repl: ChatREPL, echo: bool) -> int:
    """``talk``'s loop over the lines read, its status; ``_Interrupted`` where Ctrl-C comes at a piped chat's read."""
    read, failed = 0, []  # lines read; (number, line) of those that failed (None: a line lost whole)
    queued, split = [], 0  # the lines after the first of a line holding lone CRs (cr_lines); how many it held
    cut, last = b"", None  # a re-read chunk's last line, cut at its end (undecoded_lines); the decode error read last
    # whether the next read starts at a line's start (the stream's, a re-read chunk's end); torn: the first line of a
    # re-read chunk that may not (a line input() had begun is lost with that read: its end alone was asked)
    known, torn = True, False
    while True:
        repl.failed = False
        try:
            read += 1
            tail, torn = torn and bool(queued), False
            if queued:
                line = queued.pop(0)
                repl.out.write(">>> ")  # input()'s prompt, as for every line read
            else:
                if not echo and typed_eof():  # Ctrl-D typed while an answer was written: readline dropped it
                    repl.out.write(">>> ")
                    raise EOFError
                line, known = input(">>> "), False
                if cut:  # the rest of the line a re-read chunk cut (at an ASCII byte: its rest decoded)
                    line, cut = cut.decode(last.encoding, "surrogateescape") + line, b""
                line, last = line.lstrip("\ufeff"), None  # a file saved "UTF-8 with BOM": its BOM was echoed
                line, *queued = cr_lines(line)
                if queued:  # said once, after the prompt's line
                    split = len(queued) + 1
            if echo:  # the answer followed the prompt on its line, read as if typed there (">>> >>> " for blanks)
                repl.say(line.rstrip("\r"))  # a questions file with Windows line ends: a ^M in every echoed line
            if split:
                repl.say(f"(note: the line read holds {split} lines ended by a lone CR, an old Mac's line ends: "
                         "each is read as a line)")
                split = 0
        except EOFError:
            if cut:  # the stream's last line, no line end after it
                read, queued, cut = read - 1, [cut.decode(last.encoding, "surrogateescape")], b""
                continue
            repl.say()
            return _ended(read - 1, failed, echo)
        except UnicodeDecodeError as e:  # a strict stdin reconfigure could not change (a replaced input()): the
            read -= 1  # read's bytes were lost with the lines before the bad one; each is read from them again
            if e.encoding == "charmap":  # cp1252's, cp437's… own name: decoding with it takes every byte, and says
                e.encoding = getattr(sys.stdin, "encoding", None) or e.encoding  # "CHARMAP": stdin's names it
            if echo and last is not None and e.end == len(e.object) and bytes(last.object).startswith(e.object):
                # the stream's end, its decoder holding the start of a character cut there or in the chunk read
                # again (those bytes are that chunk's): it raised the same at each read, refused for ever
                if cut:  # the stream's last line, refused where it ends inside a character
                    queued, cut = [cut.decode(e.encoding, "surrogateescape")], b""
                    continue
                repl.say()
                return _ended(read, failed, echo)
            full = echo and len(e.object) >= getattr(sys.stdin, "_CHUNK_SIZE", 8192)  # a whole read: cut at its end
            if (got := undecoded_lines(e, cut, full)) is not None:  # the bad line is refused by itself (undecoded)
                torn, known = echo and not (known or cut), True  # a terminal's read is a line: none torn
                repl.encoding, last, (queued, cut) = e.encoding, e, got
                continue
            read += 1
            failed.append((read, f"not {e.encoding} text"))
            at = e.start - bytes(e.object).rfind(b"\n", 0, e.start) - 1  # in its line
            repl.say(f"error: the line is not {e.encoding} text (byte 0x{e.object[e.start]:x} at byte {at}); "
                     f"the lines read with it are lost: {encoding_advice(e.encoding)}")
            continue
        except KeyboardInterrupt:
            read -= 1
            if echo:
                raise _Interrupted(read) from None
            repl.say("\n(Ctrl-D or /quit to leave)")
            continue
        if tail:  # "[det] Detect every ship." cut at the read: "ery ship." was asked as a question of its own
            # a pipe written a line at a time (a program driving the chat) reads the bad byte's line whole: its byte
            bad = re.search("[\udc80-\udcff]", line)  # was unsaid, the line refused only as maybe the end of one
            if not line.strip():  # the read began at a line end: "line 2 ()" was the line read whole, then lost
                repl.say("error: a line may be lost whole here (read up to its end before the bad byte's read, it was "
                         "lost when that read failed); nothing asked or run")
                failed.append((read, None))  # its text unknown
                continue
            repl.say("error: this may be only the end of a line (its start, read before the bad byte's read, was lost "
                     "when that read failed); neither asked nor run"
                     + (f"; {undecoded(line, bad.start(), repl.encoding)}" if bad else ""))
            failed.append((read, line.strip()))
            continue
        try:
            if not repl.handle(line):
                return _ended(read, failed, echo)  # /quit: no line of its own failed
        except KeyboardInterrupt:  # reading a large /image, drawing /vis: stop it, not the session
            repl.failed = True
            repl.say("\n(stopped)")
        if repl.failed:
            failed.append((read, line.strip()))


def undecoded_lines(e: UnicodeDecodeError, cut: bytes = b"", full: bool = False) -> tuple[list[str], bytes] | None:
    """The lines of the bytes a strict stdin failed to decode after ``cut`` (``e.object``: its read's chunk, the
    lines before the bad byte's line and after it), each decoded with its bad bytes surrogate-escaped, and where
    the chunk is a ``full`` read (8 KiB) its last line's bytes, for the next read to end (a character cut at the
    read's end was refused as a bad byte, its rest too). None where they cannot be decoded (not bytes, an encoding
    without that handler). A line a shorter read cuts is read as two; one the chunk's start cuts lost its start with
    the read before (``_lines`` refuses that first line where the chunk may begin inside a line)."""
    if not isinstance(e.object, (bytes, bytearray)):
        return None
    data = cut + bytes(e.object)
    whole, rest = data.rsplit(b"\n", 1) if full and b"\n" in data else (data.removesuffix(b"\n"), b"")
    try:
        lines = [line.decode(e.encoding, "surrogateescape") for line in whole.split(b"\n")]
    except (LookupError, UnicodeDecodeError):
        return None
    return [part for line in lines for part in cr_lines(line.lstrip("\ufeff"))], rest


def cr_lines(line: str) -> list[str]:
    """``line`` as the lines a lone CR ends in it (an old Mac's line ends: a questions file of them arrived as
    one line, refused naming its ``\\x0d``); a CR at the line's end (Windows') stays for ``handle`` to strip. A CR
    typed on purpose inside a question cannot be told from a line end."""
    body = line.rstrip("\r")
    return body.split("\r") if "\r" in body else [line]


def _ended(read: int, failed: list[tuple[int, str | None]], piped: bool) -> int:
    """A chat's status once its ``read`` lines are done: 1 where it was ``piped`` and lines ``failed`` (their numbers
    and words, the first five said on stderr), else 0 (a terminal's user saw each error as it came)."""
    if piped and not read:  # < empty.txt: the model loaded, and the chat ended saying nothing
        print("rsvlm chat: its standard input was empty: no line read, nothing asked", file=sys.stderr, flush=True)
    if not (piped and failed):
        return 0
    from rsvlm.progress import counted

    named = ", ".join(f"line {k} ({shown(text if len(text) <= 40 else text[:39] + '…')})" if text is not None
                      else f"line {k} (maybe lost whole with a failed read)" for k, text in failed[:5])  # a refused ESC [ A too
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    print(f"rsvlm chat: {len(failed)} of {counted(read, 'line')} read failed: {named}{more}", file=sys.stderr,
          flush=True)
    return 1
