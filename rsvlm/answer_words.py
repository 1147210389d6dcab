"""What an answer says in words, where its shapes are read: whether it says it found none
(``says_none``) and when two labels name one class (``label_key``). ``rsvlm.fusion`` and ``rsvlm.tta``
read answers so; a plain answer's reader should too (``answering.join_shapes``).

The rule for "none" (an answer with no shape to a question that asks for shapes): the whole answer,
``<ref>`` labels left out, case, punctuation and spacing ignored, is one of

* ``none``, ``nothing`` or ``zero``, or ``no`` or ``zero`` (not a hyphened ``zero-emission``: a compound) + a noun
  phrase of one to three words (``no ships``, ``no objects``, ``no white planes``), either optionally followed by
  ``found`` / ``detected`` / ``visible`` / ``present`` / ``seen`` / ``spotted`` / ``identified`` / ``observed``,
  with or without ``is`` / ``are`` / ``was`` / ``were`` / ``can be`` / ``could be`` / ``has been`` / ``have been``
  before it, or by ``changed`` / ``has changed`` / ``have changed``, and by ``in the image`` (``picture``,
  ``scene``, ``photo``, ``area``) or ``in`` / ``between the two images`` (``these``, ``both``; ``pictures``,
  ``scenes``, ``photos``) (``none found``, ``no ships were detected``, ``no ships are visible in this image``,
  ``no vessels could be found``, ``nothing changed``: data_gen's caption of a pair with no change, ``there is no
  change between the two images``);
* any of those after ``there is`` / ``there are`` (``there are none``, ``there are no ships``);
* ``not found``;
* ``unchanged``, optionally after ``the image`` (as above), ``the two images`` (as below), ``it`` or ``everything`` +
  ``is`` / ``are`` / ``was`` / ``were`` / ``remain(s)`` / ``stay(s)`` / ``remained`` / ``stayed`` (or ``has`` / ``have`` before
  these two) (+ ``completely`` / ``entirely``), and optionally followed by ``in the image`` or ``between the two images`` (``Unchanged.``, ``the two
  images are unchanged``: a change answer saying no change, as ``no change`` is; ``largely unchanged`` is words);
* ``there is not`` / ``there aren't`` (``isn't``, ``wasn't``, ``weren't``) ``any`` + an optional noun phrase, as above
  (``there aren't any ships``), ``I`` / ``we`` + ``do not`` / ``don't`` / ``did not`` / ``cannot`` / ``could not`` / ...
  + ``see`` / ``find`` / ``detect`` / ``identify`` / ``spot`` / ``observe`` + ``any`` ... (``I could not find any ships``),
  and ``the image`` (``picture``, ``scene``, ``photo``, ``area``) ``contains`` / ``shows`` / ``has`` / ``includes`` + ``no``
  and a noun phrase (``the image contains no ships``), and ``the two images`` (as above) ``contain`` / ``show`` /
  ``have`` / ``include`` + ``no`` and a noun phrase (``the two images show no change``);
* any of those after a ``no`` reply (``no, there are no ships``: ``no, there are 3 ships`` is words).

A stop between words (``,`` ``.`` ``;`` ``:`` ``!`` ``?``) is kept apart, not read as a space: ``no,
commercial`` is a yes/no reply and a class, not ``no commercial``.
Anything more is words, not "none": ``no`` alone (a yes/no answer), ``no, there are 3 ships``, ``no ships but
planes`` (``but``, ``except``, ``only``, ``besides`` end the noun phrase),
``none of the ships is white``, ``no idea`` (a non-answer, not a none), a number ("0" is a count, read by the
counting eval). ``no damage`` and ``no change`` are nones here (to a question asking for shapes they are);
the text vote (``fusion.vote``) reads them so but writes the spelling most views gave, and on a ``[cls]``
question reads no none at all (xBD's "no damage" is a class). An empty answer
is neither: callers say what it is (``fusion.vote``: no vote). English only: "aucun" is words.

Labels name one class where they agree lowercased, with ``_`` and ``-`` as spaces, whitespace
collapsed, NFKC-normalised (``eval.answers.norm_label``'s rule: ``storage_tank`` is ``Storage tank``, a
decomposed ``é`` the composed one), and the last word's English plural read as its singular (``ships`` is
``ship``, ``ferries`` is ``ferry``); where a plural in ``-es`` may be of a singular with or without its
``e`` (``houses``, ``buses``), the key leaves that ``e`` out of both (``house`` and ``houses`` are ``hous``):
it is for comparing labels, never written. The irregular plurals of ``IRREGULAR`` are read as their singular
(``leaves`` is ``leaf``, ``geese`` ``goose``, ``people`` ``person``), and the plurals of a ``-man`` in ``MEN`` as it
(``fishermen``, ``women``, ``seamen``), their compounds too (``policewomen``, ``coastguardsmen``); any other word in ``-men`` is its own (``specimen``, ``omen``: "specimens" is
``specimen``, never "speciman", "omen" no "Oman", and a place, ``Bremen``, ``Yemen``, ``Xiamen``, no plural); any word spelt two ways in ``SPELLINGS`` is one (``harbour`` and ``harbor``: the synthetic scenes
say the first, DOTA and iSAID the second; ``colour``, ``centre``, ``grey``, ``metre``, ``theatre``, ``aeroplane``,
``tyre``, ``neighbourhood``). Synonyms are not mapped ("vessel" is not "ship"): nothing here knows the class list.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_VERB = r"(?: (?:is|are|was|were|can be|could be|has been|have been))?"
_SEEN = r" (?:found|detected|visible|present|seen|spotted|identified|observed)"
_IMAGE = r"(?:the|this) (?:image|picture|scene|photo|area)"  # "in the image", "the image contains no ships"
_PAIR = r"(?:the|these|both) (?:two )?(?:images|pictures|scenes|photos)"  # "no change between the two images"
# "Nothing changed." (data_gen's caption of a pair with no change, which the bundled model writes), "has changed"
_AFTER = rf"(?:{_VERB}(?:{_SEEN})?|(?: has| have)? changed)?(?: in {_IMAGE}| (?:in|between) {_PAIR})?"
_NOUN = r"(?!(?:there|it|they|but|is|are|was|were|i|we|the|idea|clue)\b)[a-z]+(?: (?!(?:is|are|was|were|be|but|except|only|besides)\b)[a-z]+){0,2}"
_NOT = r"(?:do not|don t|does not|doesn t|did not|didn t|cannot|can not|can t|could not|couldn t)"
_ANY = rf"any(?: {_NOUN})?{_AFTER}"
# "Unchanged.", "The two images are unchanged.", "The scene remains completely unchanged." ("largely unchanged": words)
_UNCHANGED = (rf"(?:(?:{_IMAGE}|{_PAIR}|it|everything) (?:is|are|was|were|(?:has |have )?(?:remained|stayed)"
              rf"|remains|remain|stays|stay)(?: completely| entirely)? )?unchanged(?: in {_IMAGE}| (?:in|between) {_PAIR})?")
NONE_FORMS = re.compile(  # on the normalised answer (``_plain``); a "no ," reply first: "No, there are no ships."
    rf"(?:no , )?(?:(?:there (?:is|are|were|was) )?(?:none|nothing|zero|(?:no|zero) {_NOUN}){_AFTER}|not found"
    rf"|{_UNCHANGED}"
    rf"|there (?:(?:is|are|was|were) not|isn t|aren t|wasn t|weren t) {_ANY}"  # "There aren't any ships."
    rf"|(?:i|we) {_NOT} (?:see|find|detect|identify|spot|observe) {_ANY}"  # "I could not find any ships."
    rf"|{_IMAGE} (?:contains|shows|has|includes) no {_NOUN}|{_PAIR} (?:contain|show|have|include) no {_NOUN})")


def _plain(text: str) -> str:
    """``text`` without ``<ref>`` labels, NFKC-normalised, lowercased, stops between words as a ``,`` word
    (one at either end dropped), other punctuation as spaces, whitespace collapsed."""
    text = re.sub(r"<ref>.*?</ref>", " ", text, flags=re.DOTALL)
    text = re.sub(r"[.,;:!?]+", " , ", unicodedata.normalize("NFKC", text).lower())
    return " ".join(re.sub(r"[^\w\s,]|_", " ", text).split()).strip(" ,")


def says_none(text: str) -> bool:
    """Whether an answer says in words that it found nothing (the module's rule: "None.", "There are
    no ships.", "<ref>ship</ref> none found"); False for an empty answer and for any other words."""
    plain = _plain(text)
    if re.search(r"(?<!\w)zero[-\u2010\u2011][a-z]", text, flags=re.IGNORECASE):
        return False  # a compound ("zero-emission bus", "zero-energy building") names a thing: no none
    return bool(plain) and NONE_FORMS.fullmatch(plain) is not None


def singular(word: str) -> str:
    """An English plural read as its singular (ships → ship, buses → bus, ferries → ferry, overpasses →
    overpass, ties → tie); a word that reads as no plural (bus, glass, gas: three letters or fewer) as it is.
    A plural in -es whose singular ends in e (houses) loses it too: ``label_key`` drops that e of both."""
    if len(word) > 4 and re.search(r"[^aeiou]ies$", word):
        return word[:-3] + "y"
    if re.search(r"(?:s|x|z|ch|sh)es$", word):
        return word[:-2]
    if len(word) > 3 and re.search(r"[^su'i]s$", word):
        return word[:-1]
    return word


def plain_label(label: str) -> str:
    """``label`` NFKC-normalised, lowercased, ``_`` and ``-`` as spaces, whitespace collapsed: how labels are
    compared before plurals are read (``label_key``), and how eval compares class names (``eval.answers.norm_label``)."""
    return " ".join(re.sub(r"[-_]", " ", unicodedata.normalize("NFKC", label)).lower().split())


def label_key(label: str | None) -> str:
    """The class a label names, for comparing labels (the module's rule; "house", "Houses" → "hous"): "" for none."""
    return _key(str(label or ""))


IRREGULAR = {"leaves": "leaf", "geese": "goose", "people": "person", "children": "child", "feet": "foot",
             "teeth": "tooth", "mice": "mouse", "oxen": "ox", "wolves": "wolf", "shelves": "shelf", "halves": "half",
             "calves": "calf", "knives": "knife", "lives": "life", "sheaves": "sheaf", "loaves": "loaf"}
SPELLINGS = {"harbour": "harbor", "colour": "color", "centre": "center", "grey": "gray", "metre": "meter",
             "theatre": "theater", "aeroplane": "airplane", "tyre": "tire", "neighbourhood": "neighborhood"}
MEN = frozenset(f"{stem}men" for stem in (  # plurals of a -man, read as it; any other -men word is its own
    "", "wo", "fisher", "fire", "police", "work", "sea", "line", "lines", "crew", "horse", "sports", "snow", "watch",
    "boat", "crafts", "service", "gun", "frog", "chair", "country", "trades", "sales", "herds", "camera", "fore",
    "kins", "states", "noble", "gentle", "business", "post", "milk", "garbage", "coast", "mail", "middle", "yachts",
    "oars", "marks", "hunts", "swords", "lay", "church", "air", "bow", "long", "longshore", "ferry", "fresh",
    "patrol", "rifle", "cattle", "door", "journey", "handy", "show", "space", "spokes", "tax", "cave", "sand",
    "guards", "clergy", "congress", "alder", "drafts", "draughts", "repair", "delivery", "militia", "signal", "rail",
    "railway", "barge", "water", "yeo", "brake", "switch", "train"))
# a word ending in one of MEN but "men" itself is its compound ("policewomen", "coastguardsmen"): no name ends so
_MEN_END = re.compile(f"(?:{'|'.join(sorted((m for m in MEN if m != 'men'), key=len, reverse=True))})$")
# each also with its -s plural ("harbours"), read by ``singular`` after the spelling is unified
SPELLINGS |= {f"{a}s": f"{b}s" for a, b in SPELLINGS.items()}


@lru_cache(maxsize=4096)  # a fusion compares the labels of every pair of clusters it may join
def _key(label: str) -> str:
    words = [SPELLINGS.get(w, w) for w in plain_label(label).split(" ")]
    last = IRREGULAR.get(words[-1]) or singular(words[-1])  # leaves; ships
    last = last[:-3] + "man" if last == "men" or _MEN_END.search(last) else last  # fishermen; not specimen, Bremen
    last = re.sub(r"(?:(?<=[sxzo])|(?<=[cs]h))e$", "", last)  # house, houses: plurals in -es drop an e
    return " ".join([*words[:-1], last]) if words[-1] else ""


def majority_label(shapes: list[dict], tie: str | None = None) -> str | None:
    """The class most of ``shapes`` name (``answer_words.label_key``: "storage_tank" and "Storage tanks"
    are one), those with no label left out of the vote (ties: ``tie``'s class where it is one of them, else the
    earliest), in its most common spelling (ties: the earliest); None where none has one."""
    labels = [o["label"] for o in shapes if o.get("label")]
    keys = [label_key(lab) for lab in labels]
    if not labels:
        return None
    counts = {k: keys.count(k) for k in dict.fromkeys(keys)}
    best = max(counts, key=counts.get)  # ties: the earliest
    if tie and counts.get(label_key(tie)) == counts[best]:
        best = label_key(tie)
    said = [lab for lab, k in zip(labels, keys) if k == best]
    return max(dict.fromkeys(said), key=said.count)
