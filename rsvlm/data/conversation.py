"""Conversations → token ids and labels, with only the assistant's tokens trained.

Rendering goes through the tokenizer's own chat template (``rsvlm.tokenizer.load_tokenizer``
sets rsvlm's template on tokenizers that have none), so training and chat share one prompt
format. Assistant spans are found by rendering growing prefixes of the conversation; a
template whose rendering of a prefix is not a token prefix of the whole is rejected, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rsvlm.data.records import ROLES
from rsvlm.progress import counted, plural
from rsvlm.tokens import IMAGE_TOKEN, MODALITIES

IGNORE_INDEX = -100
MODALITY_WORDS = {"optical": "optical", "msi": "multispectral", "sar": "SAR", "ir": "infrared"}


@dataclass
class PromptConfig:
    """How a model's prompts are written. Part of the model's config (``model.prompt``), so chat,
    predict and eval prompt exactly as training did.

    ``annotate_modality`` tells the LLM each image's sensor (``"SAR image: <image>"``);
    LLaVA-converted models keep the bare placeholder. ``modality_after`` repeats the word after
    the visual tokens (``"SAR image: <image> (SAR)"``), next to the question. ``image_last`` moves
    a turn's images after its words (``"[count] How many ships?\nSAR image: <image>"``): in a
    causal LLM only tokens after the question can attend to it, so this way every visual token can
    weigh itself against what is asked; records keep their placeholders where they are, only the
    rendering moves them. ``system`` is the system message of every conversation (None: the chat
    template's default; "": none, so an rsvlm-format prompt starts at the user turn and saves the
    default's 21 tokens per sample; a tokenizer's own template gets an empty system message).
    ``det_classes`` are the object classes the model was trained to detect and
    ``det_class_question`` how its training asked for one of them (``{s}`` singular, ``{pl}``
    plural): ``--det-by-class`` asks a detection question that names no class once per class.
    ``answer_lead`` replaces the registry template's text put before every answer (None: the
    template's own; rsvlm's is "", so an answer's first word follows a line break and a
    sentencepiece tokenizer splits it into pieces it uses nowhere else: "bottom" is ``b o ttom``
    there and ``▁bottom`` mid-sentence; " " makes it the mid-sentence token). ``max_history`` is
    how many earlier exchanges a chat shows the model (the turn that brought the images is one;
    0: every question is asked as the first turn about the images; None: as many as the LLM's
    context holds): a model trained on single questions and short conversations answers a later
    turn worse than a first one."""

    annotate_modality: bool = True
    modality_after: bool = False
    image_last: bool = False
    system: str | None = None
    det_classes: list[str] = field(default_factory=list)
    det_class_question: str = "Detect all {pl}."
    answer_lead: str | None = None
    max_history: int | None = None


def annotate_images(text: str, modalities: list[str], after: bool = False) -> str:
    """Prefix the k-th ``<image>`` in ``text`` with the k-th modality's name (and repeat it after
    the placeholder when ``after``)."""
    parts = text.split(IMAGE_TOKEN)
    if len(parts) - 1 != len(modalities):
        raise ValueError(f"{len(parts) - 1} {IMAGE_TOKEN} {plural('placeholder', len(parts) - 1)} but "
                         f"{counted(len(modalities), 'modality')}")
    if bad := next(((k, m) for k, m in enumerate(modalities, 1) if m not in MODALITY_WORDS), None):
        k, m = bad  # None was written "None image: <image>", a word the model never learnt
        raise ValueError(f"image {k}'s modality {m!r} is not one of {', '.join(MODALITIES)}: give it (read the "
                         "image with rsvlm.io.read_image, which infers it, or name it: --modality)")
    out = parts[0]
    for mod, rest in zip(modalities, parts[1:]):
        word = MODALITY_WORDS[mod]
        out += f"{word} image: {IMAGE_TOKEN}" + (f" ({word})" if after else "") + rest
    return out


def images_last(text: str) -> str:
    """``text`` with its ``<image>`` placeholders, and the line break after each, moved after its
    words, one per line, in their order."""
    n = text.count(IMAGE_TOKEN)
    if not n:
        return text
    words = ""  # the pieces between placeholders, one space where a placeholder sat mid-sentence
    for piece in re.split(rf"[ \t]*{re.escape(IMAGE_TOKEN)}[ \t]*\n?", text):
        if words and piece and not words[-1].isspace() and not piece[0].isspace():
            words += " "
        words += piece
    words = words.strip()
    return (words + "\n" if words else "") + "\n".join([IMAGE_TOKEN] * n)


def write_images(text: str, modalities: list[str], prompt: PromptConfig) -> str:
    """``text``'s ``<image>`` placeholders as ``prompt`` writes them: bare or with the sensor word,
    where the record has them or after the words."""
    if prompt.image_last:
        text = images_last(text)
    return annotate_images(text, modalities, prompt.modality_after) if prompt.annotate_modality else text


def image_turn(text: str, modalities: list[str], prompt: PromptConfig) -> str:
    """A user turn that brings images of ``modalities``: one placeholder per image before ``text``,
    written as ``prompt`` says. Text with placeholders of its own is taken as already written."""
    if not modalities or IMAGE_TOKEN in text:
        return text
    return write_images((IMAGE_TOKEN + "\n") * len(modalities) + text, modalities, prompt)


def system_messages(system: str | None) -> list[dict]:
    """The opening of a conversation: one system message, or none when ``system`` is None (None: the
    template writes its default; ``""``: an empty one, which rsvlm's template writes as none)."""
    return [{"role": "system", "content": system}] if system is not None else []


def record_messages(record: dict, prompt: PromptConfig | None = None) -> list[dict]:
    """A canonical record's ``conversations`` as chat messages (``role``/``content``).

    Placeholders are counted across turns, so a second image in a later turn gets the second
    modality. A record's own leading system turn takes the place of ``prompt.system``. An image whose
    modality the record leaves unsaid (None) is a ValueError where the prompt names modalities: give
    the one reading found (``rsvlm.data.records.with_modalities``) first.
    """
    prompt = prompt or PromptConfig()
    mods = [im["modality"] for im in record.get("images", [])]
    if prompt.annotate_modality and None in mods:  # was written "None image: <image>"
        raise ValueError(f"record {record.get('id')}: the modality of image {mods.index(None)} is not known (the "
                         "record does not name it, and it was not inferred from the file): the prompt names it")
    turns = record["conversations"]
    own_system = bool(turns) and ROLES[turns[0]["from"]] == "system"  # two made rsvlm's templates raise
    messages = [] if own_system else system_messages(prompt.system)
    k = 0
    for turn in turns:
        text = turn["value"]
        n = text.count(IMAGE_TOKEN)
        if n:
            text = write_images(text, mods[k : k + n], prompt)
        k += n
        messages.append({"role": ROLES[turn["from"]], "content": text})
    return messages


def render_with_template(tokenizer, messages: list[dict], add_generation_prompt: bool = False) -> str:
    """Messages rendered by the tokenizer's own chat template."""
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("tokenizer has no chat template; load it with rsvlm.tokenizer.load_tokenizer")
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)


def _ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def expand_image_tokens(
    ids: list[int], labels: list[int] | None, image_token_id: int, n_tokens: list[int]
) -> tuple[list[int], list[int] | None]:
    """Repeat the k-th image token ``n_tokens[k]`` times (labels ignored there)."""
    positions = [i for i, t in enumerate(ids) if t == image_token_id]
    if len(positions) != len(n_tokens):
        raise ValueError(f"{len(positions)} image placeholder token(s) in the prompt but {len(n_tokens)} image(s)")
    out_ids, out_labels, prev = [], [] if labels is not None else None, 0
    for pos, n in zip(positions, n_tokens):
        out_ids += ids[prev:pos] + [image_token_id] * n
        if labels is not None:
            out_labels += labels[prev:pos] + [IGNORE_INDEX] * n
        prev = pos + 1
    out_ids += ids[prev:]
    if labels is not None:
        out_labels += labels[prev:]
    return out_ids, out_labels


def encode_conversation(
    tokenizer,
    messages: list[dict],
    image_token_id: int,
    n_image_tokens: list[int],
    max_length: int | None = None,
    render=None,
    add_special_tokens: bool = False,
) -> dict[str, list[int]]:
    """Token ids and labels (−100 outside assistant turns) of a whole conversation, and
    ``n_tokens``, its length before any cut.

    ``render(messages, add_generation_prompt) -> str`` is the chat format (the processor's
    ``chat_prompt``; default: the tokenizer's own chat template). Image placeholders are
    expanded to ``n_image_tokens[k]`` tokens each. Over ``max_length`` the sequence is cut from
    the end; a cut that would drop an image token, or leave no assistant token, raises.
    """
    if render is None:
        def render(msgs, add_generation_prompt):
            return render_with_template(tokenizer, msgs, add_generation_prompt)

    def ids_of(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"]

    full = ids_of(render(messages, add_generation_prompt=False))
    labels = [IGNORE_INDEX] * len(full)
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        prompt = ids_of(render(messages[:i], add_generation_prompt=True))
        start = len(prompt)
        upto = ids_of(render(messages[: i + 1], add_generation_prompt=False))
        if full[: len(upto)] != upto or len(upto) < start:
            raise ValueError(
                "chat format renders a conversation prefix that is not a token prefix of the whole; "
                "assistant spans cannot be located"
            )
        if full[:start] != prompt:  # "ASSISTANT: " as a lone "▁" where the answer has "▁ships": its first token unlearnt
            raise ValueError(
                "chat format's generation prompt is not a token prefix of the answered turn (a prompt ending in "
                f"a space the answer's first token takes? it ends {render(messages[:i], True)[-20:]!r}); the "
                "answer's first token would not be trained, nor match what generation continues from"
            )
        labels[start : len(upto)] = full[start : len(upto)]
    ids, labels = expand_image_tokens(full, labels, image_token_id, n_image_tokens)
    n_tokens = len(ids)
    first_label = next((i for i, t in enumerate(labels) if t != IGNORE_INDEX), None)
    if first_label is None:
        raise ValueError("no assistant turn to train on")
    if max_length is not None and len(ids) > max_length:
        if image_token_id in ids[max_length:]:
            end = len(ids) - ids[::-1].index(image_token_id)
            raise ValueError(f"{len(ids)} tokens cannot be cut to max_length={max_length} without cutting an "
                             f"image (the last image ends at token {end})")
        if first_label >= max_length:
            raise ValueError(f"no assistant token left after cutting {len(ids)} tokens to max_length={max_length} "
                             f"(the first answer starts at token {first_label + 1})")
        ids, labels = ids[:max_length], labels[:max_length]
    return {"input_ids": ids, "labels": labels, "n_tokens": n_tokens}
