"""The project's vocabulary: image placeholder, geometry tags, ``<loc_N>`` bins, task tags.

``add_special_tokens`` adds all of them to any Hugging Face tokenizer as special tokens (never
split, never merged with neighbours) and returns their ids, so the model can resize its
embeddings and mark the new rows trainable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rsvlm.near import near_names

NUM_BINS = 1000
IMAGE_TOKEN = "<image>"
GEOMETRY_TAGS = ("ref", "box", "obb", "point", "poly", "mask")
TASKS = ("cls", "vqa", "cap", "count", "det", "ground", "regcap", "seg", "change")
MODALITIES = ("optical", "msi", "sar", "ir")
MODALITY_WORDS = {"rgb": "optical", "rgbn": "msi", "aerial": "optical", "multispectral": "msi", "ms": "msi",
                  "radar": "sar", "thermal": "ir", "infrared": "ir", "tir": "ir", "lwir": "ir"}  # others' words for ours


def loc_token(i: int) -> str:
    return f"<loc_{i}>"


def geometry_tag_tokens() -> list[str]:
    return [t for tag in GEOMETRY_TAGS for t in (f"<{tag}>", f"</{tag}>")]


def task_tag(task: str) -> str:
    return f"[{task}]"


def task_name(task: object) -> str:
    """A record's or a prediction's ``task`` field as the task name it means, by one rule: trimmed, any
    case, one bracket read past on each side (``"DET"``, ``" [det] "`` → ``"det"``); ``""`` for None or
    blank (malformed in a record, "no task" in a prediction: the caller says which). Not checked against
    ``TASKS``: ``"[detect]"`` → ``"detect"``, for the caller to refuse or count."""
    return "" if task is None else str(task).strip().lower().removeprefix("[").removesuffix("]").strip()


def opening_task(text: str) -> str | None:
    """The task whose tag opens a user turn ``text``, after any image placeholders, bare or as a
    prompt writes them (``"SAR image: <image> (SAR)\\n"``): ``"<image>\\n[det] Detect ships"`` →
    ``"det"``. None for free chat, a tag further on (``"[vqa] what does [ground] mean?"`` is ``"vqa"``)
    and a bracketed word that is no task's tag as the model learnt it (``[DET]``, ``[detect]``: the
    tokenizer reads those as plain characters; ``rsvlm.inference.tagged`` writes them as tags)."""
    tag = opening_tag(text)
    return tag if tag in TASKS else None


_OPENING_TAG = re.compile(rf"(?:\s*(?:[\w-]+ image: )?{re.escape(IMAGE_TOKEN)}(?: \([\w-]+\))?)*\s*\[(\w+)\]")


def opening_tag(text: str) -> str | None:
    """The bracketed word opening a user turn ``text`` after any image placeholders (``opening_task``),
    a task's tag or not (``"<image>\\n[detect] ships"`` → ``"detect"``); None where none does."""
    m = _OPENING_TAG.match(text)
    return m.group(1) if m else None


# words written in a task tag's place, and the task each means: [detection] is [det] (read by ``tag_meant``)
TASK_WORDS = {
    "detect": "det", "detection": "det", "detections": "det", "objects": "det", "obj": "det",
    "classify": "cls", "classification": "cls", "class": "cls", "scene": "cls", "clf": "cls",
    "qa": "vqa", "question": "vqa", "answer": "vqa",
    "caption": "cap", "captioning": "cap", "describe": "cap", "description": "cap",
    "counting": "count", "counts": "count", "number": "count", "howmany": "count",
    "grounding": "ground", "locate": "ground", "localize": "ground", "localization": "ground",
    "refer": "ground", "referring": "ground", "rec": "ground",
    "region": "regcap", "regioncap": "regcap", "regioncaption": "regcap", "regcaption": "regcap",
    "segment": "seg", "segmentation": "seg", "mask": "seg", "segm": "seg",
    "changes": "change", "changed": "change", "changedetection": "change", "cd": "change",
}


def tag_meant(word: str) -> str | None:
    """The task a bracketed word that is no task tag likely means, any case, ``_``/``-`` ignored (``detection``,
    ``Change-Detection``), misspelt (``segmnt``, ``grund``), a 3-letter tag's letters swapped (``dte``) or one added
    (``dets``), a tag's consonants where they are 3 and no other tag's (``cnt``); None where none is that near
    (``note``; ``cat``, ``set``: one letter from ``cap``, ``seg``, as many words are from a 3-letter tag, so not
    taken as meant)."""
    w = re.sub(r"[_\-]", "", word.lower())
    if w in TASKS or w in TASK_WORDS:
        return TASK_WORDS.get(w, w)
    short = [t for t in TASKS if len(t) == 3 and (sorted(w) == sorted(t) or (len(w) == 4 and w.startswith(t)))]
    if short:
        return short[0]
    if len(w) == 3 and len(bare := [t for t in TASKS if re.sub("[aeiou]", "", t) == w]) == 1:  # cnt: count's
        return bare[0]  # consonants, where they are no other tag's
    longer = [t for t in (*TASKS, *TASK_WORDS) if len(t) >= 5]  # one slip in 5+ letters leaves the word plain
    near = near_names(w, longer, cutoff=0.8, slips=False) if len(w) >= 4 else []  # slips: the rules above
    return TASK_WORDS.get(near[0], near[0]) if near else None


def tagged(question: str, encoding: str | None = None) -> str:
    """``question`` (chat's, predict's ``--prompt``, ``ChatSession.ask``'s) with its leading task tag as the model
    learnt it: lower case, no space inside, one after (``[DET]Detect ships``, ``[ det ] Detect ships`` → ``[det] Detect
    ships``: the tokenizer read ``[ det ]`` as plain characters, asked as free chat unsaid); a ValueError for a
    bracketed first word that is no task tag (``[detection]``, which the model would read as plain text: the tag
    it likely means is said, ``tag_meant``), for a tag left open (``[det Detect ships``: ``unclosed_tag``), for
    ``<image>``, and for bytes the text's source could not decode (surrogate-escaped), the byte and its offset in
    ``question`` named with ``encoding``, the source's (chat's stdin's, predict's argv's; None: UTF-8)."""
    if bad := re.search("[\udc80-\udcff]", question):  # stdin's surrogateescape: the tokenizer failed, chat with it
        raise ValueError(undecoded(question, bad.start(), encoding))
    if IMAGE_TOKEN in question:  # it took the image's place in the first turn, and failed in a later one
        raise ValueError(f"{IMAGE_TOKEN} is where an image goes in the prompt, and rsvlm writes it there; "
                         "a question refers to the image in words")
    m = re.match(r"\s*\[\s*([A-Za-z][\w-]*)\s*\]\s*", question)  # [change-detection], [ det ] too: were free chat
    if not m:
        if opened := unclosed_tag(question):  # "[det Detect ships" was asked as free chat (answered "0")
            rest = question.strip()[1:].lstrip()[len(opened):].lstrip(" :;,").rstrip()
            rest = rest[:-1].rstrip() if rest.endswith("]") and "[" not in rest else rest  # [det Detect ships]
            raise ValueError(f"the tag [{opened} is not closed: write {task_tag(opened.lower())} {rest}".rstrip())
        return question.strip()
    if m.group(1).lower() not in TASKS:
        meant = tag_meant(m.group(1))
        raise ValueError(f"unknown task tag [{m.group(1)}]"
                         + (f": did you mean {task_tag(meant)}? The tags" if meant else ": the tags")
                         + f" are {' '.join(map(task_tag, TASKS))}; a question without one is free chat")
    return f"{task_tag(m.group(1).lower())} {question[m.end():]}".rstrip()


def undecoded(text: str, at: int, encoding: str | None = None) -> str:
    """Why ``text``, whose character ``at`` is a surrogate-escaped byte, is refused: the byte, its offset in ``text``
    as read (0-based, in bytes of ``encoding``; None: UTF-8, the name as ``codecs`` spells it, upper case), and how to
    give text of that encoding. Where the prefix does not encode back, the offset counts characters (said so)."""
    import codecs

    try:
        enc = codecs.lookup(encoding or "utf-8").name.upper()
    except LookupError:  # an encoding codecs does not know: named as given
        enc = str(encoding)
    try:
        where = f"at byte {len(text[:at].encode(enc, 'surrogateescape'))}"
    except (LookupError, UnicodeEncodeError):
        where = f"at character {at}"
    return f"the question is not {enc} text (byte 0x{ord(text[at]) - 0xdc00:x} {where}): {encoding_advice(enc)}"


def encoding_advice(enc: str) -> str:
    """How to give text of ``enc``, said where a byte is not of it (``undecoded``; ``chat_loop``'s lost read)."""
    return (f"set the terminal to {enc}, or, where the questions come from a file, convert that file to {enc} first "
            f"(from Latin-1: iconv -f latin1 -t {enc.lower()} q.txt > q-{enc.lower()}.txt)")


def unclosed_tag(question: str) -> str | None:
    """The task name, as written, that follows a ``[`` opening ``question`` with no ``]`` after it (``[det Detect
    ships``, ``[DET``, ``[det Detect ships]``: a ``]`` ending the question closes no tag); None otherwise, where the
    word is no task's name (``[note to self``: free chat, as ``[note]``'s refusal is ``tagged``'s), and where a
    ``]`` within closes a phrase (``[change detection] compare …``, ``[ground truth: 3] right?``: free chat)."""
    m = re.match(r"\s*\[\s*([A-Za-z][\w-]*)(?![\w-])(\s*\])?", question)
    if not m or m.group(2) or m.group(1).lower() not in TASKS:
        return None
    rest = question[m.end():]
    shut = rest.find("]")
    return m.group(1) if shut < 0 or "[" in rest[:shut] or not rest[shut + 1:].strip() else None


def task_tag_tokens() -> list[str]:
    return [task_tag(t) for t in TASKS]


def mask_tokens() -> list[str]:
    """Extra tokens of the grid run-length mask grammar (see ``rsvlm.geometry``)."""
    return ["<grid>", "</grid>", "<row>", "<run>"]


def all_special_tokens() -> list[str]:
    """Every token rsvlm adds, in a fixed order (so ids are reproducible)."""
    return (
        [IMAGE_TOKEN]
        + geometry_tag_tokens()
        + mask_tokens()
        + task_tag_tokens()
        + [loc_token(i) for i in range(NUM_BINS)]
    )


def base_vocab_end(vocab: dict[str, int]) -> int:
    """One past the highest id in ``vocab`` (a tokenizer's ``get_vocab()``) that is not one of rsvlm's tokens: the
    embedding rows the base vocabulary needs (``build_llm`` refuses an LLM with fewer). rsvlm's tokens are listed
    once (set anew per entry, 152k entries took 22.3 CPU s, now 8.5 ms: ``bench/tokenizer_check.py``)."""
    ours = set(all_special_tokens())
    return max((i for t, i in vocab.items() if t not in ours), default=-1) + 1


@dataclass
class SpecialTokenIds:
    image: int
    loc_start: int  # id of <loc_0>; <loc_N> is loc_start + N
    added: list[int]  # ids of every added token (the rows to keep trainable)
    base: int | None = None  # the tokenizer's length before rsvlm's tokens were first added; None: it had them all

    def loc_id(self, n: int) -> int:
        return self.loc_start + n


def add_special_tokens(tokenizer) -> SpecialTokenIds:
    """Add rsvlm's tokens to ``tokenizer`` (idempotent) and return their ids.

    Task tags are added too: ``[det]`` stays one token whatever the base vocabulary does.
    The caller must resize the LLM's embeddings to ``len(tokenizer)``.
    """
    tokens = all_special_tokens()
    vocab = tokenizer.get_vocab()
    base = len(tokenizer) if any(t not in vocab for t in tokens) else None
    had = [vocab[loc_token(i)] for i in range(NUM_BINS) if loc_token(i) in vocab]  # ids kept where they are
    if had and had != list(range(had[0], had[0] + NUM_BINS)):  # checked before the tokenizer is changed
        raise RuntimeError(f"the tokenizer already has {len(had)} of the {NUM_BINS} <loc_N> tokens, not all at "
                           f"consecutive ids (<loc_N> is <loc_0>'s id + N); use one that has none or all of them in order")
    if _supports_replace(tokenizer):
        # transformers 5 looks each token up in its extra_special_tokens, a list rebuilt at every read (a saved
        # tokenizer, every load: 1026 lists of 1026): those it lists already are left out of the call
        listed = set(map(str, getattr(tokenizer, "extra_special_tokens", None) or []))
        if new := [t for t in tokens if t not in listed]:
            tokenizer.add_special_tokens({"additional_special_tokens": new}, replace_extra_special_tokens=False)
    else:
        tokenizer.add_special_tokens({"additional_special_tokens": tokens})
    ids = tokenizer.convert_tokens_to_ids(tokens)
    unk = getattr(tokenizer, "unk_token_id", None)
    bad = [t for t, i in zip(tokens, ids) if i is None or (unk is not None and i == unk)]
    if bad:
        raise RuntimeError(f"tokenizer did not register special tokens: {bad[:5]}…")
    loc0 = tokenizer.convert_tokens_to_ids(loc_token(0))
    locs = tokenizer.convert_tokens_to_ids([loc_token(i) for i in range(NUM_BINS)])
    if locs != list(range(loc0, loc0 + NUM_BINS)):
        raise RuntimeError("<loc_N> tokens did not receive consecutive ids")
    if tokenizer.pad_token is None and (tokenizer.eos_token or tokenizer.unk_token):
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    elif tokenizer.pad_token is None:  # none to borrow: batching failed on a None pad id
        tokenizer.add_special_tokens({"pad_token": "<pad>"})
    return SpecialTokenIds(image=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN), loc_start=loc0, added=ids, base=base)


def _supports_replace(tokenizer) -> bool:
    import inspect

    try:
        return "replace_extra_special_tokens" in inspect.signature(tokenizer.add_special_tokens).parameters
    except (TypeError, ValueError):
        return False
