"""One batch of test records answered as ``rsvlm eval`` writes them (``answer_batch``): each record's prompt
(``prompt_of``: its conversation up to its last answer, tags as the model learnt them, ``tagged_record``), its
row (``put_answer``: the answer, its ``cut``/``past_context`` flags and a ``det`` record's scored ``objects``),
and an ``error`` row where its images cannot be read or its prompt is past the LLM's context. The run around it
(resume, stderr counts, merge) is ``rsvlm.evaluate``; ``term_as_interrupt`` is its SIGTERM policy.
"""

from __future__ import annotations

import contextlib
import math
import re
from pathlib import Path

from rsvlm import inference as inf
from rsvlm.data.conversation import PromptConfig, record_messages
from rsvlm.data.records import ROLES, as_record_fields, with_modalities
from rsvlm.eval_reading import ReadNotes, record_images
from rsvlm.predictions import inputs_digest
from rsvlm.tokens import IMAGE_TOKEN, TASKS, unclosed_tag
from rsvlm.tta import FuseConfig, fused_answers, no_view_note


def prompt_of(record: dict, prompt: PromptConfig | None = None, images: list | None = None) -> list[dict]:
    """Messages up to (not including) the last assistant turn, written as ``prompt`` (the model's);
    all of them for a record with no answer (a blind test set's, ending on its question). ``images``:
    the record's images as read (ImageInputs), whose modalities name those the record leaves unsaid."""
    if images is not None:
        record = with_modalities(record, [im.modality for im in images])
    msgs = record_messages(record, prompt or PromptConfig())
    answers = [i for i, m in enumerate(msgs) if m["role"] == "assistant"]
    return msgs[:answers[-1]] if answers else msgs


def late_system_turn(record: dict) -> int | None:
    """The index in ``conversations`` of the first system turn after the first turn that the prompt holds (before
    the last answer; all turns of a record with none), or None."""
    turns = record["conversations"]
    answers = [i for i, t in enumerate(turns) if ROLES.get(t.get("from")) == "assistant"]
    end = answers[-1] if answers else len(turns)
    return next((i for i in range(1, end) if ROLES.get(turns[i].get("from")) == "system"), None)


def late_system_of(processor) -> str | None:
    """Why ``processor``'s chat format cannot write a system turn after a conversation's first, or None where it
    writes one: training's probe (``train.sft_index.late_system``), its registry template named as the config
    names it (``model.llm.chat_template``), so eval and the probes leave out what training left out."""
    from rsvlm.model.templates import TEMPLATES
    from rsvlm.train.sft_index import late_system

    tpl = processor.template
    name = None if tpl is None else next(
        (n for n, t in TEMPLATES.items() if {**t, "answer_lead": tpl.get("answer_lead")} == tpl), None)
    return late_system(processor, name)


def late_system_error(record: dict, at: int, why: str) -> str:
    """The error of a record whose prompt holds a system turn (``conversations[at]``) its chat format cannot write
    (``why``: ``late_system_of``), in training's words where it leaves such a record out."""
    # eval has torch loaded already; train's module owns the words
    from rsvlm.train.data import late_system_words

    return f"record {record['id']!r}: {late_system_words(at, why)}"


def tagged_record(record: dict) -> tuple[dict, str | None]:
    """``record`` with the task tag opening each user turn written as the model learnt it, as chat and
    predict write a question (``inference.tagged``: ``<image>\\n[GROUND]The ship`` → ``<image>\\n[ground] The
    ship``), and the first bracketed word opening a turn that is no task's tag (``[refer]``; None where
    none does): that turn is left as written, which the model reads as plain text."""
    turns, unknown = [], None
    for turn in record["conversations"]:
        value = turn.get("value")
        if ROLES.get(turn.get("from")) == "user" and isinstance(value, str):
            pieces = value.split(IMAGE_TOKEN)  # the tag opens the first words, before or after placeholders
            k = next((i for i, p in enumerate(pieces) if p.strip()), None)
            m = re.match(r"\s*\[\s*([A-Za-z][\w-]*)\s*\]", pieces[k]) if k is not None else None  # [change-detection], [ det ]
            if m is None and k is not None and (opened := unclosed_tag(pieces[k])):  # "[det Detect ships": no tag
                unknown = unknown or f"[{opened} (not closed)"
            elif m and m.group(1).lower() not in TASKS:
                unknown = unknown or m.group(0).strip()
            elif m and (m.group(1) not in TASKS or m.group(0).strip() != f"[{m.group(1)}]"
                        or pieces[k][m.end():][:1] not in ("", " ", "\n")):
                piece = pieces[k]
                lead, trail = piece[: len(piece) - len(piece.lstrip())], piece[len(piece.rstrip()):]
                with contextlib.suppress(ValueError):  # text that is no UTF-8: asked as written
                    pieces[k] = lead + inf.tagged(piece.strip()) + trail
                turn = {**turn, "value": IMAGE_TOKEN.join(pieces)}
        turns.append(turn)
    return {**record, "conversations": turns}, unknown


def answer_batch(model, processor, records: list[dict], root: Path, max_new_tokens: int,
                 constrain: bool = True, tta: FuseConfig | None = None, min_objects: int = 0,
                 by_class: bool = False, notes: ReadNotes | None = None,
                 untagged: dict[str, str] | None = None) -> list[dict]:
    """Rows of the predictions file for ``records``; with ``tta``, each answer that is shapes only or
    short text is fused over the views of ``tta.views`` (``rsvlm.tta``), one more generation per view.
    A row has ``"cut": true`` where the token limit stopped its answer (or one fused into it), a
    ``"note"`` where a view of its record was refused (its plain answer kept), and a ``"tta_note"``
    where view answers were left out of its fusion (``Fused.note``), a ``"tta_voted_out"`` where "None." replaced
    its plain answer's shapes, saying why (``Fused.voted_out``), a ``"tta_unasked"`` where some views were
    not asked of it (``Fused.unasked``), a ``"tta_skipped"`` where no view was asked of it, saying why
    (``tta.no_view_note``: its plain answer stands).
    ``min_objects``, ``by_class``: see ``inference.generate_answers``; ``notes`` tallies what reading
    each record's images noted. A record's questions are asked with their tags as the model learnt them
    (``tagged_record``); ``untagged`` gets the id of each whose turn opens with a bracketed word that is no
    task's tag, and that word (the turn is asked as written). A record whose prompt holds a system turn after
    the first that the chat format cannot write (``late_system_of``, as training leaves it out) is an error row
    naming the turn."""
    rows, ok, msgs, images = [], [], [], []
    late: list[str | None] = []  # the chat format's probe, once a record has a later system turn
    for r in records:
        row = {"id": r["id"], "task": r["task"], "answer": ""}
        said: list[str] = []
        try:
            sizes = getattr(processor, "image_sizes", None)
            imgs = record_images(r, root, said, sizes, {m: inf.resize_of(processor, m) for m in sizes or {}})
            # the scorers table the record by these: written before the band check, which fails a read image
            if any(im["modality"] is None for im in r["images"]):
                row["modalities"] = [im.modality for im in imgs]
            for im in imgs:  # bands the model cannot take fail this record here, not the batch later
                said += processor.band_notes(im)
            if (at := late_system_turn(r)) is not None:  # was "message 3: role must be …", a renderer's index
                late = late or [late_system_of(processor)]
                if late[0] is not None:
                    raise ValueError(late_system_error(r, at, late[0]))
            asked, unknown = tagged_record(r)  # "[GROUND]The ship": the model learnt "[ground] The ship"
            if unknown and untagged is not None:
                untagged[r["id"]] = unknown
            m = prompt_of(asked, processor.prompt, imgs)
        except (FileNotFoundError, ValueError) as e:  # a DEM's "give the modality (--modality, …)": the record's field
            row["error"], row["inputs_digest"] = as_record_fields(str(e)), inputs_digest(r, root)
        else:
            ok.append(len(rows))
            msgs.append(m)
            images.append(imgs)
        if notes is not None:
            notes.add(r["id"], said)
        rows.append(row)
    if not ok:
        return rows

    generate = inf.answerer(model, processor, max_new_tokens, constrain, min_objects, by_class)
    # a prompt past the context (found on the batch's ids: each prompt is tokenised once) is this record's error
    # row, the others asked together; anything else that fails the batch: each record alone, failures named
    answers, refused = inf.answers_or_refusals(generate, msgs, images)
    if refused:
        for j, why in refused.items():
            k = ok[j]
            rows[k]["error"], rows[k]["inputs_digest"] = why, inputs_digest(records[k], root)
        keep = [j for j, a in enumerate(answers) if a is not None]
        ok, msgs, images, answers = ([xs[j] for j in keep] for xs in (ok, msgs, images, answers))
    for k, answer in zip(ok, answers):
        put_answer(rows[k], answer, records[k])
    if tta is None:
        return rows
    refused: dict[int, str] = {}
    views = inf.answerer(model, processor, max_new_tokens, constrain, 0, by_class) if min_objects else generate
    unasked: set[int] = set()  # the answers no view was asked of (also the Nones that are not refused)
    for j, (k, fused) in enumerate(zip(ok, fused_answers(views, msgs, images, answers, tta, refused,
                                                         unasked=unasked))):
        if j in refused:
            rows[k]["note"] = refused[j]
        elif j in unasked:  # no view asked of it (--tta crops on [cls], a long caption): why
            rows[k]["tta_skipped"] = no_view_note(msgs[j], images[j], answers[j], tta)
        if fused is None:
            continue
        put_answer(rows[k], fused.as_answer(), records[k])  # cut, past_context: where the plain or any view's was
        if fused.note:  # view answers left out of the fusion: not "note", which counts refused prompts
            rows[k]["tta_note"] = fused.note
            rows[k]["tta_left_out"] = fused.left_out  # the count (0: shapes repaired only); the note is for people
        if fused.voted_out:  # "None." in place of the plain answer's shapes: why (not views left out)
            rows[k]["tta_voted_out"] = fused.voted_out
        if fused.unasked:  # some views not asked of it ("above" under a transpose): none left out
            rows[k]["tta_unasked"] = fused.unasked
    return rows


def put_answer(row: dict, answer, record: dict) -> None:
    """``row``'s ``"answer"``, its ``"cut"`` and ``"past_context"`` flags and, for a ``det`` record, its
    scored ``"objects"`` (in meta's pixels, not the image's as read), replacing any it had, from an
    ``inference.Answer`` (a plain ``(text, scores)`` pair: not cut, not past the context); ``"worded"``: the
    classes asked on their own (``--det-by-class``) that answered in words, left out (``Answer.worded``), kept
    from the plain answer where a fused one replaces it."""
    text, scores = answer
    row["answer"] = text
    for key in ("cut", "past_context", "objects"):
        row.pop(key, None)
    if inf.is_cut(answer):
        row["cut"] = True
    if inf.is_past_context(answer):
        row["past_context"] = True
    if worded := getattr(answer, "worded", ()):
        row["worded"] = list(worded)
    if record["task"] == "det":
        row.update(scored_objects(text, scores, record))


def grammar_problem(answer: str) -> str | None:
    """The first problem the geometry decoder finds in an answer; None where it reads cleanly."""
    from rsvlm import geometry

    return next(iter(geometry.decode(answer, 1000, 1000).problems), None) if "<" in answer else None


def scored_objects(answer: str, scores: list[float], record: dict) -> dict:
    """``{"objects": [...]}`` for a cleanly decoded answer with one score per object, else ``{}``."""
    from rsvlm import geometry

    meta = record.get("meta") or {}
    w, h = meta.get("width"), meta.get("height")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 1 for v in (w, h)):
        return {}
    dec = geometry.decode(answer, int(w), int(h))
    if dec.problems or len(dec.objects) != len(scores):
        return {}
    return {"objects": inf.with_scores(dec.objects, scores, answer)}


def term_as_interrupt():
    """The SIGTERM policy of ``rsvlm eval``: ``rsvlm.processes.StopOnTerm(over_default_only=True)`` (SIGTERM raises
    ``Terminated`` as Ctrl-C raises KeyboardInterrupt; one ignored or handled by the caller is left as it is)."""
    from rsvlm.processes import StopOnTerm

    return StopOnTerm(over_default_only=True)
