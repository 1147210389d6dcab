"""Rough edges of configs, conversation formatting and the training data pipeline (tour 51)."""

from __future__ import annotations

from rsvlm.train.data import view_of


def test_a_text_only_record_in_an_augmented_run_is_taken_as_recorded():
    msgs = [{"role": "user", "content": "Which way does the river flow, left or right?"},
            {"role": "assistant", "content": "left"}]
    for view in ("h", "v", "t"):  # flip_view read images[0]: an IndexError ended the DataLoader
        assert view_of([], msgs, view) == ([], msgs)


def test_a_records_own_system_turn_takes_the_place_of_the_models():
    from rsvlm.data.conversation import PromptConfig, record_messages
    from rsvlm.model.templates import render

    rec = {"images": [{"modality": "sar"}], "conversations": [
        {"from": "system", "value": "Answer in one word."},
        {"from": "human", "value": "<image>\n[cls] What scene?"}, {"from": "gpt", "value": "harbour"}]}
    msgs = record_messages(rec, PromptConfig(system="You are a remote sensing assistant."))
    assert [m["role"] for m in msgs] == ["system", "user", "assistant"]  # was system, system, …
    assert msgs[0]["content"] == "Answer in one word."
    text = render(msgs, "rsvlm")  # two system messages: "message 1: role must be user or assistant"
    assert "Answer in one word." in text and "remote sensing assistant" not in text
    plain = {**rec, "conversations": rec["conversations"][1:]}
    assert record_messages(plain, PromptConfig(system="S."))[0] == {"role": "system", "content": "S."}


def _char_tokenizer(text, add_special_tokens=False):
    """One id per character, 0 for ``<image>``: enough for ``encode_conversation``'s bookkeeping."""
    import re

    return {"input_ids": [0 if p == "<image>" else ord(p) for p in re.findall(r"<image>|.", text, re.S)]}


def _render(messages, add_generation_prompt):
    return "".join(f"{m['role'][0].upper()}:{m['content']}\n" for m in messages) + ("A:" if add_generation_prompt else "")


def test_a_conversation_that_does_not_fit_says_what_length_it_needs():
    import pytest

    from rsvlm.data.conversation import encode_conversation

    msgs = [{"role": "user", "content": "<image>\nQ?"}, {"role": "assistant", "content": "yes"},
            {"role": "user", "content": "<image>\nAnd this?"}, {"role": "assistant", "content": "no"}]
    full = encode_conversation(_char_tokenizer, msgs, 0, [5, 5], render=_render)
    assert full["n_tokens"] == len(full["input_ids"]) == 40
    with pytest.raises(ValueError, match=r"40 tokens cannot be cut to max_length=20 without cutting an image "
                                         r"\(the last image ends at token 24\)"):
        encode_conversation(_char_tokenizer, msgs, 0, [5, 5], max_length=20, render=_render)
    cut = encode_conversation(_char_tokenizer, msgs, 0, [5, 5], max_length=38, render=_render)
    assert (cut["n_tokens"], len(cut["input_ids"])) == (40, 38)  # cut in the last answer, counted
    text = [{"role": "user", "content": "Q" * 30}, {"role": "assistant", "content": "yes"}]
    with pytest.raises(ValueError, match=r"no assistant token left after cutting 39 tokens to max_length=20 "
                                         r"\(the first answer starts at token 36\)"):
        encode_conversation(_char_tokenizer, text, 0, [], max_length=20, render=_render)
    with pytest.raises(ValueError, match="^no assistant turn to train on$"):  # was "... within max_length=None"
        encode_conversation(_char_tokenizer, text[:1], 0, [], render=_render)


def test_band_dropout_drops_only_bands_the_model_reads():
    """A 13-band Sentinel-2 file under a 4-band stem: the draw was over all 13, so about one
    sample in eight lost every band the stem reads and was skipped as bad."""
    import numpy as np

    from rsvlm.model import ImageInput
    from rsvlm.model.stem import StemConfig, prepare
    from rsvlm.train.data import drop_bands, read_channels

    s2 = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]
    stem = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08"], mean=[0.1] * 4, std=[0.1] * 4)
    image = ImageInput(np.random.default_rng(0).random((13, 8, 8), dtype=np.float32), "msi", s2, "s2.tif")
    used = read_channels(stem, image)
    assert used == [1, 2, 3, 7]
    for seed in range(64):
        kept = drop_bands(image, 1.0, np.random.default_rng(seed), used)
        left = [b for b in stem.bands if b in kept.bands]
        assert 1 <= len(left) < 4, (seed, kept.bands)  # a proper, non-empty subset of the stem's bands
        assert set(s2) - set(stem.bands) <= set(kept.bands)  # the bands it does not read are untouched
        assert prepare(stem, kept.array, 8, kept.bands, kept.name, fill="copy").shape == (4, 8, 8)
    generic = ImageInput(image.array[:4], "msi", ["b1", "b2", "b3", "b4"], "unnamed.tif")
    assert read_channels(stem, generic) == []  # matched by count: a subset could not be read
    assert drop_bands(generic, 1.0, np.random.default_rng(0), []) is generic
