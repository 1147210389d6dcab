"""Generating answers, as chat, predict and eval do: a batch of conversations answered greedily
(``generate_answers``), answers the token limit cut short (``Answer.cut``), a batch the model
refuses asked a conversation at a time (``answers_or_refusals``), and a detection question asked
once per class of the model (``class_questions``).
"""

from __future__ import annotations

import functools
import re

from rsvlm.answer_words import says_none
from rsvlm.data.conversation import PromptConfig
from rsvlm.geometry.codec import KINDS, MAX_LABEL_CHARS
from rsvlm.progress import counted, plural  # plural: a class name's (ship → ships, bus → buses)
from rsvlm.tokens import IMAGE_TOKEN, opening_task, task_tag

SHAPE_OPEN = f"<(?:{'|'.join(KINDS)})>"  # a shape's opening tag in an answer
SHAPE_CLOSE = f"</(?:{'|'.join(KINDS)})>"
WINDOW = "window"  # a user turn's key: (x0, y0, width, height) of the part of the image its images show (a TTA crop)


class Answer(tuple):
    """One generated answer: unpacks as ``(text, scores)`` (one score per shape closed); ``cut`` is
    True where ``max_new_tokens`` stopped it before EOS (under the grammar a cut answer reads as a
    whole one: no open shape for the codec to report); ``past_context`` where its prompt and answer
    ran past the LLM's context (``context_of``), past which a RoPE LLM's answer is unreliable;
    ``worded`` the classes of a joined answer (``join_shapes``) whose own answer was words only, left
    out of it (``worded_note``); ``cut_known`` where the limit is known to have cut it (the grammar hid a shape
    or label the model wanted, or left no room for one ``min_objects`` owed), not only reached (``cut_note``);
    ``fused`` where it is the vote of ``--tta`` views (``fusion.Fused``): its polygons and masks carry no score."""

    cut: bool
    past_context: bool
    worded: tuple[str, ...]
    cut_known: bool
    fused: bool

    def __new__(cls, text: str, scores: list[float], cut: bool = False, past_context: bool = False,
                worded: tuple[str, ...] = (), cut_known: bool = False, fused: bool = False) -> Answer:
        self = super().__new__(cls, (text, scores))
        self.cut, self.past_context, self.worded = cut, past_context, tuple(worded)
        self.cut_known, self.fused = cut and cut_known, fused
        return self

    @property
    def text(self) -> str:
        return self[0]

    @property
    def scores(self) -> list[float]:
        return self[1]


def is_cut(answer) -> bool:
    """Whether an answer (an ``Answer``; a plain ``(text, scores)`` pair is not) was cut short."""
    return bool(getattr(answer, "cut", False))


def is_cut_known(answer) -> bool:
    """Whether the token limit is known to have cut an answer short (``Answer.cut_known``), not only stopped it."""
    return bool(getattr(answer, "cut_known", False))


def is_fused(answer) -> bool:
    """Whether an answer is the fusion of ``--tta`` views (``Answer.fused``), not the plain one kept."""
    return bool(getattr(answer, "fused", False))


def is_past_context(answer) -> bool:
    """Whether an answer (an ``Answer``; a plain pair is not) ran past the LLM's context."""
    return bool(getattr(answer, "past_context", False))


def context_of(model) -> int | None:
    """The tokens ``model``'s LLM has positions for (``max_position_embeddings``); None where it
    does not say, or ``model`` has no LLM (a stand-in)."""
    from rsvlm.model.llm import context_length

    llm = getattr(model, "llm", None)
    return context_length(llm) if llm is not None and hasattr(llm, "config") else None


def context_cap(model, max_new_tokens: int, sharer: str = "the question") -> tuple[int, str | None]:
    """``max_new_tokens`` held to ``model``'s LLM context (``--max-new-tokens 100000`` on a 512-token LLM generated
    on for many minutes) and the note saying so (None where it fits or the context is unknown); ``sharer``: what
    shares the context with the answer, as the note says it."""
    if not (ctx := context_of(model)) or max_new_tokens <= ctx:
        return max_new_tokens, None
    return ctx, (f"--max-new-tokens {max_new_tokens} is more than the LLM's whole context ({ctx} tokens), which "
                 f"{sharer} shares: {ctx} taken")


def context_note(n: int, of: int, ctx: int | None, what: str | None = None) -> str:
    """The note on ``n`` of ``of`` answers (``what``: "answer" or "answers", as ``of`` takes) that ran past the
    LLM's context of ``ctx`` tokens, as predict and eval say it."""
    return (f"{n} of the {of} {what or plural('answer', of)} ran past the LLM's context of {ctx or '?'} tokens "
            f"(prompt and answer; max_position_embeddings): {'its end is' if n == 1 else 'their ends are'} unreliable; "
            f"a lower --max-new-tokens stops {'it' if n == 1 else 'them'} short of it")


class PromptsRefused(ValueError):
    """Conversations of a batch whose prompts, once tokenised, are past the LLM's context: ``why``
    under each one's position; the batch's others can be asked without them."""

    def __init__(self, why: dict[int, str]):
        super().__init__(next(iter(why.values())))
        self.why = why


def answers_or_refusals(generate, messages: list[list[dict]], images: list[list]) -> tuple[list, dict[int, str]]:
    """``generate``'s answers (an ``answerer``) to a batch, and where it refuses conversations of it
    (``PromptsRefused``) the others asked again together, or where it refuses the batch otherwise
    (ValueError), each conversation asked alone: a refused one's answer None and why under its position."""
    if not messages:
        return [], {}
    refused: dict[int, str] = {}
    try:
        return generate(messages, images), {}
    except PromptsRefused as e:
        refused = dict(e.why)
        rest = [j for j in range(len(messages)) if j not in refused]
        try:
            got = dict(zip(rest, generate([messages[j] for j in rest], [images[j] for j in rest]))) if rest else {}
            return [got.get(j) for j in range(len(messages))], refused
        except ValueError:
            pass
    except ValueError:
        pass
    out = []
    for j, (m, im) in enumerate(zip(messages, images)):
        try:
            out.append(None if j in refused else generate([m], [im])[0])
        except ValueError as e:
            refused[j] = str(e)
            out.append(None)
    return out, refused


def worded_note(answer) -> str | None:
    """The note on the classes of a joined answer (``join_shapes``) that answered in words only, no
    shape and not "None.": left out of it; None where none did (or ``answer`` is no joined ``Answer``)."""
    worded = getattr(answer, "worded", ())
    if not worded:
        return None
    return (f"{counted(len(worded), 'class answer')} said words with no shape and {'was' if len(worded) == 1 else 'were'} "
            "left out of the joined answer: "
            + ", ".join(f"'{w}'" for w in worded))


def cut_note(max_new_tokens: int, what: str = "the answer", many: bool = False, known: bool = False,
             text: str = "", tta: bool = False) -> str:
    """The note on answers that reached the token limit (``what`` reached …), as chat, predict and eval say it:
    the model wrote no EOS within ``max_new_tokens``. It says "may be cut", not "stopped" nor "cut": an answer
    whose last word fell on the last token allowed is whole (its EOS was next), and only running longer tells.
    ``known`` (``is_cut_known``): the limit cut it, said so (was "may be cut" of an answer the grammar had ended
    short, hiding the shape or label the model wanted next); where the answer's ``text`` holds a ``<ref>`` label
    of ``MAX_LABEL_CHARS`` or more, the label's bound (``grammar.MAX_LABEL_TOKENS``) may have cut it instead, said too.
    ``tta``: fused answers (``rsvlm eval --tta``), of which a plain answer or a view's reached the limit, said so."""
    n = counted(max_new_tokens, "token") + (f"; with --tta: {'their' if many else 'its'} plain answer or a view's did"
                                            if tta else "")
    it, them = ("they", "them") if many else ("it", "it")
    if known:
        bound = stays = ""
        if (longest := max(map(len, re.findall(r"<ref>(.*?)</ref>", text, re.S)), default=0)) >= MAX_LABEL_CHARS:
            from rsvlm.model.grammar import MAX_LABEL_TOKENS  # torch: not at import

            bound = f" or by a <ref> label's bound ({MAX_LABEL_TOKENS} tokens; its longest label is {longest} characters)"
            stays = " (a label stays within its bound)"
        return (f"{what} {'were' if many else 'was'} cut short by the token limit ({n}){bound}: the model wanted to "
                f"write more than fitted; --max-new-tokens lets {them} run longer{stays}")
    return f"{what} reached the token limit ({n}); {it} may be cut: --max-new-tokens lets {them} run longer"


def generate_answers(model, processor, messages: list[list[dict]], images: list[list], max_new_tokens: int,
                     constrain: bool = True, min_objects: int = 0,
                     by_class: bool = False) -> list[Answer]:
    """Greedy answers to a batch of conversations (each ending on a user turn) with their images
    (ImageInputs): an ``Answer`` each, ``(text, one score per shape closed)`` with ``cut`` where
    the token limit stopped it (a joined one where any of its parts was). ``min_objects`` keeps the answers
    to detection questions (the ``[det]`` tag) writing objects until they have that many
    (``GrammarConstraint.push``): more recall, the extra ones scored low by the model itself.
    Under the grammar (``constrain``) an answer to a ``[ground]`` question closes a box before it ends
    (``owes_shape``: not one asked of a crop), and one to a ``[cls]``, ``[vqa]`` or ``[regcap]`` question
    writes none (``shape_need``).
    ``by_class`` asks a detection question that names none of the model's classes once per class
    (``class_questions``) in the same batch, and joins the answers' shapes."""
    if not by_class:
        return _generate(model, processor, messages, images, max_new_tokens, constrain, min_objects)
    plan, asked, imgs = [], [], []
    for m, im in zip(messages, images):
        qs = class_questions(m, processor.prompt) or [m]
        plan.append((len(asked), len(qs)))
        asked += qs
        imgs += [im] * len(qs)
    try:
        answers = _generate(model, processor, asked, imgs, max_new_tokens, constrain, min_objects)
    except PromptsRefused as e:  # by class question: said of the conversation it belongs to (its first such)
        owner = [i for i, (_, n) in enumerate(plan) for _ in range(n)]
        why: dict[int, str] = {}
        for j, w in sorted(e.why.items()):
            why.setdefault(owner[j], w)
        raise PromptsRefused(why) from None
    classes = processor.prompt.det_classes
    return [answers[a] if n == 1 else join_shapes(answers[a:a + n], classes) for a, n in plan]


def class_questions(messages: list[dict], prompt: PromptConfig) -> list[list[dict]] | None:
    """The conversation once per class of ``prompt.det_classes``, its last question asking for
    that class (``prompt.det_class_question``, then the question's later sentences, e.g. "Use
    oriented boxes."), when that question is a ``[det]`` question naming none of the classes as a
    whole word, singular or plural ("shipyards" names no "ship"); else None. A question given as a
    list of parts has its text part holding the tag rewritten, its other parts kept. Cannot: tell a
    question asking for a class by another word ("cars", "harbours" for "harbor") from one asking
    for all objects."""
    if not prompt.det_classes or not asks_detection(messages):
        return None
    i = max(k for k, m in enumerate(messages) if m["role"] == "user")
    content, tag = messages[i]["content"], task_tag("det")
    if isinstance(content, str):
        asked = _class_texts(content, prompt)
        return None if asked is None else [
            messages[:i] + [{**messages[i], "content": q}] + messages[i + 1:] for q in asked]
    at = next((k for k, p in enumerate(content) if isinstance(p, dict) and tag in str(p.get("text", ""))), None)
    asked = None if at is None else _class_texts(content[at]["text"], prompt)
    if asked is None:
        return None
    return [messages[:i] + [{**messages[i], "content": [*content[:at], {**content[at], "text": q}, *content[at + 1:]]}]
            + messages[i + 1:] for q in asked]


def _class_texts(content: str, prompt: PromptConfig) -> list[str] | None:
    """``content`` (a question holding the ``[det]`` tag) once per class (``class_questions``); None
    where it names a class."""
    tag = task_tag("det")
    head, body = content[: content.index(tag)], content[content.index(tag) + len(tag):]
    # images after the words (prompt.image_last): their lines stay after the class question
    at = body.rfind("\n", 0, body.find(IMAGE_TOKEN)) if IMAGE_TOKEN in body else -1
    ask, tail = (body[:at].strip(), body[at:]) if at >= 0 else (body.strip(), "")
    said = _spaced(ask)  # "storage-tanks" names "storage tank"
    if any(re.search(rf"\b(?:{re.escape(_spaced(c))}|{re.escape(plural(_spaced(c)))})\b", said)
           for c in prompt.det_classes):
        return None  # it names a class (its plural too): asked as it is
    rest = " ".join(re.split(r"(?<=[.?!])\s+", ask)[1:])
    return [f"{head}{tag} {prompt.det_class_question.format(s=c, pl=plural(c))}" + (f" {rest}" if rest else "") + tail
            for c in prompt.det_classes]


def _spaced(text: str) -> str:
    """``text`` in lower case, its hyphens, underscores and runs of spaces one space each."""
    return re.sub(r"[\s_-]+", " ", text.lower())


def no_det_classes(processor, model: str | None) -> str | None:
    """Why ``--det-by-class`` cannot run with this model, or None when it can."""
    if processor.prompt.det_classes:
        return None
    return (f"--det-by-class needs the model's detection classes, and {model or 'the default model'}'s config "
            f"lists none (prompt.det_classes in its config.yaml)")


def join_shapes(answers: list[tuple[str, list[float]]], labels: list[str] | None = None) -> Answer:
    """One answer from several: those that found something joined in order with their scores (each
    answer's scores follow its shapes, so they stay aligned); the first answer if none did ("None."
    each). One whose geometry does not parse, or with text besides its shapes, is joined as it is, so
    the joined answer's decode reports it (it was dropped unsaid: a class's objects lost). It is
    ``cut`` where any of them was (a class's answer stopped short misses its later objects), and
    ``past_context`` where any of them ran past the context. ``labels``, where given, is what each
    answer was asked for (its class): one whose shapes open without a ``<ref>`` is labelled with it,
    where joined after another its shapes read as the earlier answer's label. One in words only (no
    geometry, and no none in words: "None.", "There are no ships.", ``_says_none``) is left out, its label
    (its position where none) in the result's ``worded`` (``worded_note``): it found no shape, yet said something."""
    from rsvlm import geometry

    cut, past = any(is_cut(a) for a in answers), any(is_past_context(a) for a in answers)
    flags = dict(cut=cut, past_context=past, cut_known=any(is_cut_known(a) for a in answers))
    labels = list(labels or [None] * len(answers))
    decoded = [geometry.decode(t, 1000, 1000) for t, _ in answers]
    keep = [(t if lab is None or t.lstrip().startswith("<ref>") else f"<ref>{lab}</ref>{t.lstrip()}", s)
            for (t, s), lab, d in zip(answers, labels, decoded) if _found(d)]
    worded = tuple(lab or f"answer {j + 1}" for j, ((t, _), lab, d) in enumerate(zip(answers, labels, decoded))
                   if not _found(d) and not _says_none(t))
    if not keep:
        return Answer(*answers[0], worded=worded, **flags)
    return Answer("".join(t for t, _ in keep), [x for _, s in keep for x in s], worded=worded, **flags)


def _found(decoded) -> bool:
    """Whether a class's answer (``geometry.decode``'s) says more than that it found none ("None."):
    shapes, or geometry with problems to report."""
    return bool(decoded.objects or decoded.problems)


def _says_none(text: str) -> bool:
    """Whether a class's answer says it found none, as ``--tta`` reads a view's answer (``answer_words.says_none``:
    "None.", "There are no ships.", "No ships detected"), or nothing: not words (``worded``)."""
    return says_none(text) or not text.strip()


def _generate(model, processor, messages: list[list[dict]], images: list[list], max_new_tokens: int,
              constrain: bool, min_objects: int) -> list[Answer]:
    texts = [processor.chat_prompt(m, add_generation_prompt=True) for m in messages]
    mins = [min_objects if min_objects and asks_detection(m) else 0 for m in messages]
    need = [shape_need(m) for m in messages]  # under the grammar: one box at least, or none (DESIGN.md)
    batch = processor(texts, images)  # tokenised once: each prompt's length is checked on these ids
    if (check := getattr(model, "check_context", None)) is not None:  # else one long prompt failed the batch
        why = {}
        for j, (row, mask) in enumerate(zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist())):
            try:
                check([i for i, keep in zip(row, mask) if keep])
            except ValueError as e:
                why[j] = str(e)
        if why:
            raise PromptsRefused(why)
    # each answer past the context is flagged (Answer.past_context), for the caller to say: no warning a batch
    out = model.generate(**batch, max_new_tokens=max_new_tokens, stop_strings=processor.stop_strings,
                         constrain=constrain, min_shapes=mins, need_shape=need, warn_context=False)
    finished = out.finished or [True] * len(out.text)  # a model that does not say: none cut
    # under --min-objects the grammar lets an answer end short of its count only when the token limit
    # leaves no room for another shape: it ends on EOS, yet the limit cut it; so a [ground] answer
    # with no shape at all, where the limit is below a box's tokens (``SMALLEST_SHAPE``)
    from rsvlm.model.grammar import SMALLEST_SHAPE

    no_room = max_new_tokens < SMALLEST_SHAPE
    closed = [len(re.findall(SHAPE_CLOSE, t)) for t in out.text]
    short = [constrain and (0 < n < m or (g is True and n == 0 and no_room)) for n, m, g in zip(closed, mins, need)]
    past = out.past_context or [False] * len(out.text)  # a model that does not say: none past
    # the budget hid a token the model ranked first (decode's cut_by_budget), where the model says so: known cut
    hid = getattr(out, "budget_cut", None) or [False] * len(out.text)
    return [Answer(t.strip(), s, cut=not f or h, past_context=p, cut_known=h or b)
            for t, s, f, h, p, b in zip(out.text, out.scores, finished, short, past, hid)]


def last_question(messages: list[dict]) -> str:
    """The text of the last user turn ("" without one)."""
    content = _last_turn(messages).get("content", "")
    if not isinstance(content, str):  # a list of parts
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content


def last_task(messages: list[dict]) -> str | None:
    """The task whose tag opens the last user turn (DESIGN.md; one further on is text:
    ``tokens.opening_task``), None where none does."""
    return opening_task(last_question(messages))


def asks_task(messages: list[dict], task: str) -> bool:
    """Whether ``task``'s tag (``"ground"``: ``[ground]``) opens the last user turn (``last_task``)."""
    return last_task(messages) == task


def owes_shape(messages: list[dict]) -> bool:
    """Whether the answer owes a shape under the grammar: a ``[ground]`` question (DESIGN.md: one or
    more boxes) about the whole image. One asked of a part of it (its turn's ``WINDOW``: a TTA corner
    crop, ``tta.crop_messages``) owes none: what it asks for may be outside that part."""
    return asks_task(messages, "ground") and _last_turn(messages).get(WINDOW) is None


def shape_need(messages: list[dict]) -> bool | str:
    """``need_shape`` of the answer, as the grammar takes it: its task's (``grammar.shape_need``: a
    ``[cls]`` answer is a class name, never a box), but a ``[ground]`` question about a part of the image
    owes no box (``owes_shape``)."""
    from rsvlm.model.grammar import shape_need as task_need

    need = task_need(last_task(messages))
    return False if need is True and not owes_shape(messages) else need


def _last_turn(messages: list[dict]) -> dict:
    """The last user turn ({} without one)."""
    return next((m for m in reversed(messages) if m["role"] == "user"), {})


def asks_detection(messages: list[dict]) -> bool:
    """Whether the ``[det]`` task tag opens the last user turn."""
    return asks_task(messages, "det")


def answerer(model, processor, max_new_tokens: int, constrain: bool = True, min_objects: int = 0,
             by_class: bool = False):
    """``(messages, images) -> [Answer]``: ``generate_answers`` with these settings bound,
    the form ``tta.fused_answers`` asks the other views with."""
    return functools.partial(generate_answers, model, processor, max_new_tokens=max_new_tokens, constrain=constrain,
                             min_objects=min_objects, by_class=by_class)
