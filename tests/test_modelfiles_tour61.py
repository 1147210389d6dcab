"""Model files (tour 61): a cut JSON file of a tokenizer folder is named, not only its folder."""

from __future__ import annotations

import shutil

import pytest


def test_a_cut_tokenizer_json_is_named_by_its_file(tmp_path, base_dir):
    """A tokenizer.json cut short by a copy: the error said 'llm.tokenizer DIR: cannot be read (JSONDecodeError:
    ... line 4774 column 4)', naming the folder and a line but not which of its JSON files that line is in."""
    from rsvlm.model.llm import LLMConfig, build_llm
    from rsvlm.tokenizer import load_tokenizer

    cut = shutil.copytree(base_dir, tmp_path / "cut")
    text = (cut / "tokenizer.json").read_text()
    (cut / "tokenizer.json").write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=r"^llm\.tokenizer \S+cut: cannot be read \(JSONDecodeError in tokenizer\.json: "):
        build_llm(LLMConfig(name_or_path=str(base_dir), tokenizer=str(cut)))
    with pytest.raises(ValueError, match=r"cut: cannot be read \(JSONDecodeError in tokenizer\.json: "):
        load_tokenizer(str(cut))
