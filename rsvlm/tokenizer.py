"""Tokenizers: train a small sentencepiece tokenizer offline, or load any Hugging Face one.

Either way the result carries rsvlm's special tokens (``rsvlm.tokens``) and a chat template,
and round-trips through ``save_pretrained`` / ``AutoTokenizer.from_pretrained`` with no network.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from rsvlm.tokens import add_special_tokens, all_special_tokens

MODEL_TYPES = ("bpe", "unigram", "char", "word")  # sentencepiece's

# The chat template of tokenizers rsvlm trains itself (Vicuna-like plain text, one line per turn).
# A base LLM's own template is used instead wherever the tokenizer has one. The generation prompt
# ends on "ASSISTANT:" and the answer brings its space, so the prompt's tokens are a prefix of the
# answered turn's ("ASSISTANT: " ended on a lone "▁" where the turn had "▁ships": that first token
# was left out of the training labels, a one-word answer entirely, and never followed a prompt).
RSVLM_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}\n"
    "{% elif m['role'] == 'user' %}USER: {{ m['content'] }}\n"
    "{% else %}ASSISTANT: {{ m['content'] }}{{ eos_token }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)


def train_tokenizer(
    texts: Iterable[str],
    out_dir: str | Path,
    vocab_size: int = 2000,
    model_type: str = "bpe",
    chat_template: str = RSVLM_CHAT_TEMPLATE,
):
    """Train a sentencepiece model on ``texts`` (strings, e.g. one per conversation; any length) and save
    a Llama-style HF tokenizer in ``out_dir``.

    Byte fallback is on, so no input is ever unknown. Geometry/task/image tokens are added as
    special tokens afterwards; where ``texts`` hold them they are blanked out before sentencepiece
    training, so no vocabulary goes to pieces of them. ``vocab_size`` must exceed the corpus
    alphabet plus 259 byte/control pieces.
    """
    import sentencepiece as spm
    from transformers import LlamaTokenizer

    out_dir = Path(out_dir)
    if model_type not in MODEL_TYPES:
        raise ValueError(f"train_tokenizer: model_type {model_type!r} is not one of {', '.join(MODEL_TYPES)}")
    if isinstance(texts, (str, bytes, Path)) or not isinstance(texts, Iterable):  # a str was read letter by letter
        raise ValueError(f"train_tokenizer: texts must be an iterable of strings, got a {type(texts).__name__}"
                         f"{' (one text: split a corpus into lines)' if isinstance(texts, (str, bytes)) else ''}")
    texts = list(texts)
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:  # was re's "expected string or bytes-like object, got 'NoneType'"
        raise ValueError(f"train_tokenizer: text {bad} is a {type(texts[bad]).__name__}, not a str: {texts[bad]!r:.60}")
    for i, t in enumerate(texts):  # JSON's "\ud800" loads as a lone surrogate: was a bare UnicodeEncodeError
        try:
            t.encode()
        except UnicodeEncodeError as e:
            raise ValueError(f"train_tokenizer: text {i} holds {t[e.start]!r} at character {e.start}, a lone "
                             f"surrogate no UTF-8 can hold (a broken \\u escape in its JSON?): {t!r:.60}") from None
    named = (re.escape(t) for t in all_special_tokens() if not t.startswith("<loc_"))
    special = re.compile(r"<loc_\d+>|" + "|".join(named))
    texts = [special.sub(" ", t) for t in texts]  # "<loc_5>" spent pieces on "loc", "><" …
    texts = [t for t in texts if t.strip()]
    if not texts:  # sentencepiece said "RuntimeError: INTERNAL: ... [!sentences_.empty()]"
        raise ValueError("train_tokenizer: no non-empty texts to train on")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(texts),
                model_prefix=f"{tmp}/sp",
                vocab_size=vocab_size,
                model_type=model_type,
                byte_fallback=True,
                character_coverage=1.0,
                split_digits=True,  # numbers tokenise digit by digit: counts generalise
                unk_id=0,
                bos_id=1,
                eos_id=2,
                pad_id=-1,
                # its default (4192 bytes) skipped longer texts without a word: a long conversation taught nothing
                max_sentence_length=max([4192] + [len(t.encode()) + 1 for t in texts]),
                minloglevel=2,
            )
        except RuntimeError as e:  # "INTERNAL: src/trainer_interface.cc(744) [...] Vocabulary size too high ..."
            raise ValueError(f"train_tokenizer: vocab_size {vocab_size}: {str(e).split('] ')[-1].strip()}") from e
        src = Path(tmp) / "hf"
        src.mkdir()
        shutil.copy(f"{tmp}/sp.model", src / "tokenizer.model")
        tok = LlamaTokenizer.from_pretrained(src)  # converts the sentencepiece model to a fast tokenizer
    tok.chat_template = chat_template
    add_special_tokens(tok)
    tok.save_pretrained(out_dir)
    return tok


def load_tokenizer(name_or_path: str | Path, chat_template: str | None = None):
    """``AutoTokenizer`` from a local folder or hub name, with rsvlm's tokens added.

    Never passes ``trust_remote_code``. Where the tokenizer has no chat template and none is
    given, ``RSVLM_CHAT_TEMPLATE`` is set. A local folder with no tokenizer files (an rsvlm
    checkpoint's, whose tokenizer is in ``tokenizer/``), a file, one it cannot read, or one with no
    vocabulary (a folder that lost its tokenizer.json, as ``build_llm`` refuses it) is an error
    naming it.
    """
    from rsvlm.model.llm_checks import check_tokenizer_folder
    from rsvlm.model.llm_files import home_expanded, local_folder, read_tokenizer

    path = home_expanded(str(name_or_path))  # '~/tok': transformers' "Repo id must use alphanumeric chars"
    folder = local_folder(path, "tokenizer")  # a file: "Repo id must be in the form …"
    if folder is not None:
        check_tokenizer_folder(folder, "tokenizer")
    tok = read_tokenizer(path, "tokenizer")
    if chat_template is not None or not getattr(tok, "chat_template", None):
        tok.chat_template = chat_template or RSVLM_CHAT_TEMPLATE
    add_special_tokens(tok)
    return tok
