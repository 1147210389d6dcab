"""The contrastive loop's data (``rsvlm.train.clip``): caption pairs from instruction records, their
weighted draws, their pixels through each modality's stem, and how many decoded images to keep."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from rsvlm.data.records import ReadReport, read_records
from rsvlm.processes import env_int
from rsvlm.progress import counted, plural


def caption_pairs(records: list[dict]) -> list[tuple[dict, str]]:
    """(record, caption) of each single-image ``cap`` record, or, where there is none, the first answer of each
    single-image record. ``records`` holds no [change] record of other than two images (``caption_pool`` leaves
    them out: "New buildings." is no caption of the one image)."""
    caps = [r for r in records if r["task"] == "cap"] or records
    out = []
    for r in caps:
        answer = next((t["value"] for t in r["conversations"] if t["from"] in ("gpt", "assistant")), None)
        if answer and len(r["images"]) == 1:
            out.append((r, answer))
    return out


def pair_pixels(rec: dict, root: Path, cfg, image_size: int, png_checked=None) -> torch.Tensor:
    """The pair's image through its modality's stem and the stem's initial mixing to 3 channels.
    ``png_checked``: PNGs found whole before, not checked again (``data.read_inputs``); those found now added."""
    from rsvlm.model.stem import mixing_init, prepare
    from rsvlm.train.data import read_inputs

    (img,) = read_inputs(rec, root, png_checked)
    stem = cfg.model.stems.get(img.modality)
    if stem is None:
        raise ValueError(f"{img.name}: no stem for modality {img.modality!r}")
    x = prepare(stem, img.array, image_size, img.bands, img.name, cfg.data.missing_bands)  # (n_bands,S,S)
    return torch.einsum("oc,chw->ohw", mixing_init(stem, 3), x)  # (3,S,S)


def caption_pool(cfg, unpaired: list[str] | None = None
                 ) -> tuple[list[tuple[dict, str, Path]], torch.Tensor | None, ReadReport]:
    """(record, caption, image root) of ``data.train`` and each ``data.extra`` file; the draw weight of
    each pair (None: uniform, when there is no extra file); one read report for all files. An image
    whose record does not name its modality has it inferred from its file (``ModalityFinder``,
    counted in the report; a pair whose file cannot be opened is left out, counted as skipped).
    [change] records of other than two images are left out, as the LM loop leaves them out: one
    ``FILE:LINE: record ID: why`` each appended to ``unpaired``, not counted in the report as read."""
    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.record_fields import pair_problem
    from rsvlm.data.records import RecordError
    from rsvlm.train.data import leave_out_unpaired
    from rsvlm.train.inputs import records_sources

    files = [(Path(s.path), s.image_root, s.weight) for s in records_sources(cfg)]
    report = ReadReport(" + ".join(str(f) for f, _, _ in files))
    pairs, weights, unpaired = [], [], unpaired if unpaired is not None else []
    with ModalityFinder() as finder:
        for path, root, weight in files:
            found, records, n_unpaired = [], [], len(unpaired)
            for rec in read_records(path, strict=False, report=report):
                if why := pair_problem(rec["task"], rec["images"]):  # its answer was a caption where no [cap] was
                    leave_out_unpaired(rec, why, path, report, unpaired)
                else:
                    records.append(rec)
            for rec, cap in caption_pairs(records):
                try:
                    found.append((finder.fill(rec, root, report), cap, root))
                except RecordError as e:
                    report.drop(e.field, f"{path}: {e}")
            if cfg.data.extra and not found:  # a file of one-image [change] records was refused unsaid why
                left = (f"; {counted(len(unpaired) - n_unpaired, '[change] record')} of other than two images left "
                        f"out, a [change] answer being no caption of one image (first: {unpaired[n_unpaired]})"
                        if len(unpaired) > n_unpaired else "")
                raise ValueError(f"{path}: no single-image caption pair ({report.summary()}{left})")
            pairs += found
            weights += [weight] * len(found)
    return pairs, (torch.tensor(weights, dtype=torch.double) if cfg.data.extra else None), report


def without_stem(pairs: list[tuple[dict, str, Path]], weights: torch.Tensor | None, cfg
                 ) -> tuple[list[tuple[dict, str, Path]], torch.Tensor | None, dict[str, int]]:
    """``pairs`` (and their ``weights``) less those whose image's modality has no stem in
    ``model.stems``, and how many were left out by modality: a config that leaves a modality out,
    not unreadable data, so they are not bad samples (each draw of one was counted against
    ``data.max_bad_fraction``)."""
    from collections import Counter

    modality = [rec["images"][0]["modality"] for rec, _, _ in pairs]
    left = Counter(m for m in modality if m not in cfg.model.stems)
    if not left:
        return pairs, weights, {}
    keep = [i for i, m in enumerate(modality) if m in cfg.model.stems]
    return [pairs[i] for i in keep], (weights[keep] if weights is not None else None), dict(sorted(left.items()))


def cache_budget() -> int | None:
    """Bytes of decoded images this process may keep: a quarter of the machine's memory, shared by the
    processes on it (None where the memory size is not known)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    return total // 4 // env_int("LOCAL_WORLD_SIZE", 1, low=1)


def other_encoders(pairs: list[tuple[dict, str, Path]], cfg) -> str:
    """``N modality pairs (encoder E)`` for each modality of ``pairs`` whose stem names an encoder other
    than ``default``, joined; empty when there is none."""
    from collections import Counter

    stems = cfg.model.stems
    counts = Counter(m for rec, _, _ in pairs if (m := rec["images"][0]["modality"]) in stems
                     and stems[m].encoder != "default")
    return ", ".join(f"{n} {m} {plural('pair', n)} (encoder {stems[m].encoder!r})" for m, n in sorted(counts.items()))


def caption_rows(captions: list[str], tok, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``captions`` tokenized: (n, ``context``) int32 ids, each cut to ``context`` - 1 tokens, then the end token
    and padding; (n,) uncut lengths. The loop tokenizes each batch's captions so (a few ms for 32)."""
    text = torch.full((len(captions), context), tok.pad_token_id, dtype=torch.int32)
    lengths = torch.zeros(len(captions), dtype=torch.long)
    for j, t in enumerate(tok(captions, add_special_tokens=False)["input_ids"] if captions else []):
        lengths[j] = len(t)
        t = t[: context - 1] + [tok.eos_token_id]
        text[j, : len(t)] = torch.tensor(t, dtype=torch.int32)
    return text, lengths


def byte_lengths(tok):
    """Where ``tok`` gives every text one token per UTF-8 byte (``llm.byte_tokenizer``'s kind, saved and loaded
    too: a BPE model with no merges over all 256 byte-level symbols, not looking words up whole (``ignore_merges``:
    a padded vocabulary's ``<unused_260>`` would be one token), a ByteLevel pre-tokenizer without a prefix space,
    no normalizer), a pattern of its added tokens' texts, which it reads whole (``<s>``: one token, not 3);
    None for any other tokenizer. Read from the tokenizer's own JSON (a few ms)."""
    import json
    import re

    from tokenizers import pre_tokenizers

    try:
        spec = json.loads(tok.backend_tokenizer.to_str())
    except (AttributeError, ValueError, TypeError):  # a slow (Python) tokenizer: none such
        return None
    model, pre = spec.get("model") or {}, spec.get("pre_tokenizer") or {}
    plain = (model.get("type") == "BPE" and not model.get("merges") and not model.get("ignore_merges")
             and not model.get("dropout")
             and not model.get("byte_fallback") and not model.get("continuing_subword_prefix")
             and not model.get("end_of_word_suffix") and spec.get("normalizer") is None
             and pre.get("type") == "ByteLevel" and pre.get("add_prefix_space") is False
             and set(pre_tokenizers.ByteLevel.alphabet()) <= set(model.get("vocab") or ()))
    if not plain:
        return None
    texts = sorted({t["content"] for t in spec.get("added_tokens") or () if t.get("content")}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, texts)) if texts else r"(?!)")


def token_counts(tok, captions: list[str], added=None) -> list[int]:
    """Each caption's token count without special tokens; where ``added`` (``byte_lengths``' pattern) is given,
    its UTF-8 length, the tokenizer run only on a caption holding an added token's text. A lone surrogate:
    ValueError (UnicodeEncodeError) or the tokenizer's TypeError, as tokenizing it raises."""
    if added is None:
        return [len(t) for t in tok(captions, add_special_tokens=False)["input_ids"]] if captions else []
    counts = [None if added.search(c) else len(c.encode("utf-8")) for c in captions]
    if odd := [i for i, n in enumerate(counts) if n is None]:
        for i, t in zip(odd, tok([captions[i] for i in odd], add_special_tokens=False)["input_ids"]):
            counts[i] = len(t)
    return counts


def pool_cuts(pairs: list[tuple[dict, str, Path]], tok, context: int, rank: int = 0, world: int = 1,
              progress: bool = False, chunk: int = 10_000) -> tuple[dict, str | None]:
    """(collective where ``world`` > 1) ``cut_note`` of the whole pool, its tokenizing shared: each rank measures
    a contiguous 1/``world`` of the captions (lengths only: no ids are kept, the loop tokenizes each batch's) and
    the counts are gathered. Every rank tokenized the whole pool and kept its ids (1M captions: ~60 s and
    ~256 MB a rank). ``progress``: rank 0's bar over its share, drawn where it runs over 3 s. A byte tokenizer
    (``byte_lengths``) is not run: a caption's count is its UTF-8 length (one holding an added token's text aside)."""
    from rsvlm.progress import bar

    lo, hi = (min(len(pairs) * r // world, len(pairs)) for r in (rank, rank + 1))  # a rank past the world (a test's
    # stand-in rank 1 of 1) measures nothing: its slice past the end made an empty batch, which HF tokenizers refuse
    added = byte_lengths(tok)
    cut, longest, first, bad = 0, 0, None, None  # first: (index, length) of the first cut caption; bad: untokenized
    with bar(total=hi - lo, desc="caption lengths", unit="caption", disable=not progress, delay=3) as shown:
        for a in range(lo, hi, chunk):
            try:
                counts = token_counts(tok, [cap for _, cap, _ in pairs[a:min(a + chunk, hi)]], added)
            except (TypeError, ValueError):  # a lone surrogate (JSON "\ud800"): was a traceback, one rank's alone
                bad = next((j for j in range(a, min(a + chunk, hi)) if not _tokenizes(tok, pairs[j][1])), a)
                break
            for j, n in enumerate(counts, a):
                longest = max(longest, n)
                if n > context - 1:
                    cut += 1
                    first = first or (j, n)
            shown.update(len(counts))
    if world > 1:
        parts = [None] * world
        torch.distributed.all_gather_object(parts, (cut, longest, first, bad))
        cut, longest = sum(p[0] for p in parts), max(p[1] for p in parts)
        first = next((p[2] for p in parts if p[2]), None)  # ranks hold the pool in order
        bad = next((p[3] for p in parts if p[3] is not None), None)
    if bad is not None:  # on every rank alike
        from rsvlm.train.inputs import RefusedData

        odd = next((f"U+{ord(c):04X}" for c in pairs[bad][1] if "\ud800" <= c <= "\udfff"), None)
        raise RefusedData(f"record {pairs[bad][0]['id']}: its caption cannot be tokenized"
                          f"{f' (it holds a lone surrogate, {odd}: a JSON escape of half a character?)' if odd else ''};"
                          " mend or remove the record")
    return cut_note(pairs, cut, longest, first, context)


def _tokenizes(tok, caption: str) -> bool:
    """Whether ``tok`` takes ``caption`` (a lone surrogate is refused by every tokenizer rsvlm uses)."""
    try:
        tok([caption], add_special_tokens=False)
    except (TypeError, ValueError):
        return False
    return True


def cut_note(pairs: list[tuple[dict, str, Path]], cut: int, longest: int, first: tuple[int, int] | None,
             context: int) -> tuple[dict, str | None]:
    """summary.json's ``cut_caption_pairs`` and ``longest_caption_tokens``, and the stderr line saying how many of
    ``pairs``' captions the context cuts (``first``: the first cut one's index and length); None where none is."""
    counts = {"cut_caption_pairs": cut, "longest_caption_tokens": longest}
    if not cut:
        return counts, None
    return counts, (
        f"[rsvlm.train] {cut} of {counted(len(pairs), 'caption')} ({cut / len(pairs):.0%}) "
        f"{'is' if cut == 1 else 'are'} longer than the text tower's context holds, the longest "
        f"{longest} tokens: each is cut to clip.context_length - 1 = {context - 1} (the "
        f"caption of {pairs[first[0]][0]['id']} is {first[1]} tokens); clip.context_length="
        f"{longest + 1} would hold them all, at more cost in the text tower (every draw of "
        "one is counted as cut_captions in summary.json)")


def draw(gen: torch.Generator, n: int, weights: torch.Tensor | None, k: int) -> list[int]:
    """``k`` distinct pair indices: a random permutation's head, or weighted without replacement."""
    if weights is None:
        return torch.randperm(n, generator=gen)[:k].tolist()
    return torch.multinomial(weights, k, replacement=False, generator=gen).tolist()
