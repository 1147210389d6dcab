"""Review of stop 78's config work: a later check's refusal whose key is followed by ``[`` or ``=``
(``data.band_dropout['sar'] must …``, ``data.extra[0]: no path``, ``log.profile_steps=3 …``) was opened with neither
the file nor the override that set it (``value_blamed``/``override_named`` took the key only before a space or ':')."""

from __future__ import annotations

import pytest

from rsvlm.config_bases import refused_key, value_blamed
from rsvlm.overrides import override_named


@pytest.mark.parametrize("message, key", [
    ("data.band_dropout['sar'] must lie in [0, 1], got 2", "data.band_dropout"),
    ("data.extra[0]: no path given", "data.extra"),
    ("log.profile_steps=3 profiles steps 11..13", "log.profile_steps"),
    ("precision must be fp32, bf16 or fp16, got 'fp17'", "precision"),
    ("model.llm.lora_r2 must be >= 1", "model.llm.lora_r2"),
    ("Nothing would train", None),
])
def test_the_key_a_refusal_opens_with(message, key):
    assert refused_key(message) == key


def test_a_refusal_keyed_with_a_bracket_names_the_file_line_or_the_override(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("seed: 1\ndata:\n  band_dropout:\n    sar: 2\n")
    said = "data.band_dropout['sar'] must lie in [0, 1], got 2"
    assert value_blamed(said, path, []) == f"{path}: {said} (line 3 of r.yaml)"
    assert override_named(said, ["seed=2", "data.band_dropout={sar: 2}"]) == \
        "override 'data.band_dropout={sar: 2}' (command line)"
