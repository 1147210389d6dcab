"""Captioning, region captioning and change captioning: BLEU-1..4, ROUGE-L, CIDEr (CIDEr-D as
pycocoevalcap computes it) and METEOR, through pycocoevalcap.

``python -m eval.captioning --gt GT.jsonl --pred PRED.jsonl [--out scores.json] [--no-java]``

Scored records: ``cap`` and ``regcap``, and ``change`` records whose reference answer is text
and that do not ask for a change map; change maps, "No change." ones included, are ``eval.change``'s. References: the last ``gpt`` turn plus
the strings in ``meta.references``, a list or one string (RSICD/UCM-captions give five per image).

Tokenisation: with Java on the PATH, Stanford's PTBTokenizer as pycocoevalcap ships it (the
COCO caption protocol); without Java (or with ``--no-java``) a pure-Python stand-in: lowercase,
split off the punctuation PTBTokenizer removes, drop it. The two agree on plain sentences but
not on every contraction or quote, so scores from the two are not interchangeable;
``tokenizer`` in the output says which ran. METEOR needs Java: without it ``METEOR`` is null and
a note says why. A missing, unparseable or empty answer is scored as the one-word caption
``<missing>``, which matches no reference (pycocoevalcap cannot score an empty string). End tokens
an answer ends on (``</s>``, ``<|im_end|>``: ``eval.text.strip_end_tokens``) are not part of it, nor is
the geometry of a grounded caption, in the reference or the answer (``eval.text.caption_text``: its
``<ref>`` phrases are words, its shapes, rsvlm's, GeoChat's or Falcon's, are left out). A modality's CIDEr is
the mean of its records' CIDEr in the whole set (n-grams weighted by their rarity over all references), so
the modality rows average to the overall one; BLEU, ROUGE-L and METEOR are computed on the modality's records.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from eval import common
from eval.counts import counted, their
from eval.text import caption_text, strip_end_tokens

HEADLINE = ["BLEU-4", "METEOR", "ROUGE-L", "CIDEr"]
EMPTY = "<missing>"
NO_REFERENCE = "<no-reference>"  # a record none of whose references has a word: matches no answer, EMPTY included
_BRACKETS = {"(": "-lrb-", ")": "-rrb-", "[": "-lsb-", "]": "-rsb-", "{": "-lcb-", "}": "-rcb-"}
_PTB_PUNCT = {"\"", "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--",
              "...", ";"}
_SPLIT = re.compile(r"\.\.\.|--|\w+(?=n't\b)|n't\b|'\w+|\w+(?:[-.]\w+)*|[^\w\s]")


def is_worded(record: dict) -> bool:
    """A record of this script's tasks that it scores: a caption's, a region's, or a change's in words (a change map's,
    ``eval.change.is_change_map``, is ``eval.change``'s)."""
    from eval.change import is_change_map

    return record.get("task") != "change" or not is_change_map(record)


def python_tokenize(text: str) -> str:
    """Lowercased tokens without PTBTokenizer's removed punctuation (the Java-free stand-in;
    brackets become ``-lrb-`` etc. as PTBTokenizer -lowerCase leaves them)."""
    toks = _SPLIT.findall(text.lower().replace("\n", " "))
    return " ".join(_BRACKETS.get(t, t) for t in toks if t not in _PTB_PUNCT)


def java_available() -> bool:
    return shutil.which("java") is not None


def _tokenize(texts: dict, use_java: bool, dropped: set | None = None) -> dict:
    """{key: [str]} -> {key: [tokenised str]}; empty strings stay empty (PTBTokenizer drops
    trailing empty lines, so they are not sent to it). ``dropped`` gains the characters PTB's lexer warned it
    could not tokenise (its warnings are taken off stderr: ``score`` counts the answers holding them). Each text is NFKC-normalised first, as the short answers are
    (``eval.text.normalize_answer``): a decomposed "é" (e + U+0301) was another word than a composed one."""
    texts = {k: [unicodedata.normalize("NFKC", t) for t in v] for k, v in texts.items()}
    if not use_java or not texts:  # nothing to tokenise: no JVM to start
        return {k: [python_tokenize(t) for t in v] for k, v in texts.items()}
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    # whitespace collapsed: Java ends a line at \r, \f, U+2028 too, and one extra line shifts every later caption
    sent = {k: [{"caption": " ".join(t.split())} for t in v if t.strip()] for k, v in texts.items()}
    warned: set = set()
    with _without_progress_line(warned):  # its Java wrote "PTBTokenizer tokenized 49 tokens at …" on stderr, every run
        done = PTBTokenizer().tokenize({k: v for k, v in sent.items() if v})
    if warned and dropped is not None:  # it warns of the first it drops alone: every one asked of a second Java run,
        # given a caption for each character other than printable ASCII (the rare run where one was dropped)
        with _without_progress_line(warned):
            ptb_warnings(each_odd_once(c["caption"] for v in sent.values() for c in v))
        dropped |= warned
    out = {}
    for k, v in texts.items():
        it = iter(done.get(k, []))
        out[k] = [next(it, "") if t.strip() else "" for t in v]
    if sum(len(v) for v in done.values()) != sum(len(v) for v in sent.values()):
        raise RuntimeError("PTBTokenizer returned a different number of captions than it was given")
    return out


def each_odd_once(captions) -> list[str]:
    """The first caption of ``captions`` to hold each character other than printable ASCII (PTB drops none of those),
    in its context: Java warns of each drop it makes, and every caption holding U+FFFD thrice (a ground truth read in
    the wrong encoding) took 18 s more for 20k captions. The notes count a character's captions by the character."""
    seen: set = set()
    out = []
    for text in captions:
        if not (text.isascii() and text.isprintable()) and (new := {c for c in text if not (
                c.isascii() and c.isprintable())} - seen):
            seen |= new
            out.append(text)
    return out


def ptb_warnings(texts: list[str]) -> None:
    """PTBTokenizer's Java (the jar pycocoevalcap ships) run on ``texts`` to warn, on standard error, of every
    character its lexer drops (``untokenizable=allDelete``; pycocoevalcap's run warns of the first alone, so a note
    named one of several); its tokens are not read (pycocoevalcap's run gave them). Its file of sentences is written
    to the temporary folder."""
    import subprocess

    from pycocoevalcap.tokenizer import ptbtokenizer as ptb

    with tempfile.NamedTemporaryFile("wb", suffix=".txt") as f:
        f.write("\n".join(texts).encode())
        f.flush()
        jar = os.path.join(os.path.dirname(os.path.abspath(ptb.__file__)), ptb.STANFORD_CORENLP_3_4_1_JAR)
        subprocess.run(["java", "-cp", jar, "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines", "-lowerCase",
                        "-options", "untokenizable=allDelete", f.name], stdout=subprocess.DEVNULL, check=False)


_PTB_PROGRESS = re.compile(rb"PTBTokenizer tokenized \d+ tokens at [\d.,]+ tokens per second\.\r?\n?")
# java.util.logging's pair for each character PTBLexer drops: "Dec 07, 2026 6:54:34 AM edu.stanford.nlp.process.
# PTBLexer next" then "WARNING: Untokenizable: \ufffd (U+FFFD, decimal: 65533)" (a line pair per occurrence)
_PTB_UNTOKENIZABLE = re.compile(rb"[^\n]*edu\.stanford\.nlp\.process\.PTBLexer \w+\r?\n"
                                rb"[A-Z]+: Untokenizable: [^\n]*?\(U\+(?P<code>[0-9A-Fa-f]+)[^\n]*(\r?\n|$)")


def without_java_noise(caught: bytes, dropped: set) -> bytes:
    """``caught`` (PTBTokenizer's Java's stderr) less its speed line and its lexer's "Untokenizable" warning pairs,
    whose characters are added to ``dropped``; any other line (a Java error) is kept."""
    def take(m: re.Match) -> bytes:
        dropped.add(chr(int(m["code"], 16)))
        return b""

    return _PTB_UNTOKENIZABLE.sub(take, _PTB_PROGRESS.sub(b"", caught))


@contextlib.contextmanager
def _without_progress_line(dropped: set | None = None):
    """Standard error (the file descriptor: the Java process PTBTokenizer starts writes to it) caught while in the
    block and written back on leaving, less PTBTokenizer's line of its speed and its lexer's warnings of characters
    it drops (into ``dropped``: ``without_java_noise``); anything else (a Java error) is kept."""
    if sys.stderr is None:  # `2>&-`: no standard error to catch, nothing is printed either
        yield
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # fd 2 closed under a stderr object
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            if rest := without_java_noise(caught.read(), set() if dropped is None else dropped):
                sys.stderr.write(rest.decode("utf-8", "replace"))
                sys.stderr.flush()


@dataclass
class JavaOnce:
    """What ``score`` keeps over the calls of one scoring (the whole set, then each modality's subset): each
    record's captions once tokenised, one METEOR process (each started anew per call, a set of 4 modalities
    took 5 PTBTokenizer and 5 METEOR starts, ~6 s each), and each record's CIDEr in the whole set."""

    tokens: dict = field(default_factory=dict)  # (record id, "ref" | "cand") -> [tokenised caption]
    meteor: Any = None  # pycocoevalcap's Meteor, started at first use
    cider: dict = field(default_factory=dict)  # record id -> its CIDEr with the first (whole) set's n-gram weights
    dropped: set = field(default_factory=set)  # characters PTB's lexer warned it could not tokenise


def score(items: list[common.Item], args=None, java: JavaOnce | None = None) -> dict:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    java = java if java is not None else JavaOnce()
    use_java = java_available() and not getattr(args, "no_java", False)
    refs, cands, statuses = {}, {}, []
    for i, it in enumerate(items):
        # a grounded caption's geometry (GeoChat's [grounding]) scored as words: "loc_405" matched only the same bin
        refs[i] = [caption_text(r) for r in [common.gt_answer(it.record), *meta_references(it.record)]]
        ans = None if it.pred is None else it.pred.get("answer")
        ans = strip_end_tokens(ans) if isinstance(ans, str) else ans  # "<|im_end|>" scored as the words im, end
        status = common.MISSING if it.pred is None else (
            common.OK if isinstance(ans, str) and ans.strip() else common.UNPARSEABLE)
        statuses.append(status)
        cands[i] = [caption_text(ans) if status == common.OK else ""]
    texts = {(it.id, side): by_i[i] for i, it in enumerate(items) for side, by_i in (("ref", refs), ("cand", cands))}
    java.tokens.update(_tokenize({k: v for k, v in texts.items() if k not in java.tokens}, use_java, java.dropped))
    # an empty reference (a "" in meta.references, one of geometry alone) is left out: as EMPTY it matched a missing answer
    refs = {i: [r for r in java.tokens[(it.id, "ref")] if r.strip()] or [NO_REFERENCE] for i, it in enumerate(items)}
    cands = {i: [java.tokens[(it.id, "cand")][0].strip() or EMPTY] for i, it in enumerate(items)}  # empty or punctuation
    out: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        bleu, _ = Bleu(4).compute_score(refs, cands, verbose=0)
        out.update({f"BLEU-{n + 1}": float(b) for n, b in enumerate(bleu)})
        out["ROUGE-L"] = float(Rouge().compute_score(refs, cands)[0])
        if not all(it.id in java.cider for it in items):  # the whole set: CIDEr weighs n-grams by their rarity in it
            whole, each = Cider().compute_score(refs, cands)
            java.cider.update(zip((it.id for it in items), map(float, each)))
            out["CIDEr"] = float(whole)  # pycocoevalcap's own figure, to the last bit (np.mean, not sum / len)
        else:  # a modality's CIDEr: its records' in the whole set. Re-weighted over its own records a modality of
            # one scored a perfect caption 0 (every n-gram is in all of them: weight log(1/1))
            out["CIDEr"] = sum(java.cider[it.id] for it in items) / len(items)
    notes = []
    if wordless := [it.id for i, it in enumerate(items) if refs[i] == [NO_REFERENCE]]:
        notes.append(f"{counted(len(wordless), 'record', 'has/have')} no reference with a word (first: {wordless[0]}; a reference of "
                     f"geometry or punctuation alone): {'it scores' if len(wordless) == 1 else 'they score'} 0 whatever the answer")
    if short := [it.id for i, (it, st) in enumerate(zip(items, statuses))
                 if st == common.OK and cands[i][0] != EMPTY and len(cands[i][0].split()) < 4]:
        notes.append(short_answers_note(short, len(items)))
    # Java's warnings of them are taken off stderr: a reference's (a ground truth read in the wrong encoding) said too
    for side, what in (("cand", ("answer", "holds/hold")),
                       ("ref", ("record", "has a reference holding/have references holding"))):
        found = [(it.id, java.dropped & set("".join(texts[(it.id, side)]))) for it in items]
        if held := [(rid, chars) for rid, chars in found if chars]:
            notes.append(f"{counted(len(held), *what)} characters the PTB tokenizer drops (first: id {held[0][0]}; "
                         f"{dropped_chars(set().union(*(chars for _, chars in held)))}): scored without them")
    if use_java:
        from pycocoevalcap.meteor.meteor import Meteor

        java.meteor = java.meteor or Meteor()
        out["METEOR"] = float(java.meteor.compute_score(refs, cands)[0])
    else:
        out["METEOR"] = None
        notes.append("METEOR not computed: it needs Java, which "
                     + ("--no-java turned off" if java_available() else "is not on the PATH")
                     + "; tokenisation used the pure-Python stand-in for PTBTokenizer")
    by_task = {}
    for t in sorted({it.record["task"] for it in items}):
        by_task[t] = sum(1 for it in items if it.record["task"] == t)
    return {**out, **common.counts(items, statuses), "tokenizer": "ptb" if use_java else "python",
            "n_records_by_task": by_task, "notes": notes}


def short_answers_note(short: list[str], n: int) -> str:
    """What is said of the answers ``short`` (their ids) of fewer than 4 words, of ``n`` scored: BLEU-4 and CIDEr
    beside METEOR and ROUGE-L read as if the model failed where it answered in a word as asked ("ship")."""
    said = ("the one answer is" if n == 1 else f"all {n} answers are" if len(short) == n else
            f"{len(short)} of the {n} answers {'is' if len(short) == 1 else 'are'}")
    return (f"{said} shorter than 4 words (first: "
            f"{short[0]}): BLEU-4 counts the 4-word runs of the whole set, none in {their(len(short), 'it/them')}, so it is "
            "near 0 where every answer is that short (3e-5 where each is one word: a 0 count is smoothed) and lower the more are; CIDEr averages 1- to 4-word runs, so an exact "
            "one-word answer scores at most a quarter of a whole match, and any answer 0 in a set of one record (a "
            "word's weight is its rarity over the set's records); METEOR and ROUGE-L score short answers as they are")


def dropped_chars(chars: set[str], cap: int = 8) -> str:
    """``U+0001, U+FFFD``: the characters of ``chars`` in code order, the first ``cap`` of more than that named and the
    rest counted (``10 distinct: U+0001, …, U+0008 and 2 more``)."""
    named = ", ".join(f"U+{ord(c):04X}" for c in sorted(chars)[:cap])
    return named if len(chars) <= cap else f"{len(chars)} distinct: {named} and {len(chars) - cap} more"


def meta_references(record: dict) -> list[str]:
    """The extra reference captions of ``meta.references``: a list of strings, or one string (not one
    reference per character). Anything else raises ScoreError naming the record: a list of RSICD-style
    ``{"raw": …}`` sentences was left out without a word, scoring against the one reference answer."""
    extra = (record.get("meta") or {}).get("references")
    extra = [] if extra is None else [extra] if isinstance(extra, str) else extra  # "" is left out with the rest
    if not isinstance(extra, list) or not all(isinstance(r, str) for r in extra):
        raise common.ScoreError(f"record {record['id']!r}: meta.references must be a list of strings (or one string), "
                                f"got {extra!r:.80}")
    return extra


def main(argv: list[str] | None = None) -> dict:
    def extra(ap):
        ap.add_argument("--no-java", action="store_true",
                        help="use the pure-Python tokeniser and skip METEOR even where Java is present")

    java = JavaOnce()
    return common.run("captioning", ("cap", "regcap", "change"), lambda items, args: score(items, args, java),
                      HEADLINE, argv, extra_args=extra,
                      keep=lambda args: is_worded, geometry=False)


if __name__ == "__main__":
    common.main_guard(main)
