"""Review of stop 74's area M: a tokenizer asking for its own code is said once, where its base is read."""

from __future__ import annotations

import warnings


def test_a_checkpoint_of_a_base_whose_tokenizer_asks_for_its_own_code_loads_without_repeating_it(tmp_path, base_dir):
    """The checkpoint's tokenizer/ kept the base's auto_map (naming code it does not hold), so every load of the
    checkpoint repeated the base's warning; it now loads without a word, as the same tokenizer."""
    import dataclasses
    import json
    import shutil

    import pytest

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.model.checkpoint import load_pretrained
    from tests.conftest import REPO

    folder = tmp_path / "base"
    shutil.copytree(base_dir, folder)
    conf = json.loads((folder / "tokenizer_config.json").read_text())
    conf["auto_map"] = {"AutoTokenizer": ["tokenization_own.OwnTokenizer", None]}
    (folder / "tokenizer_config.json").write_text(json.dumps(conf))
    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml")
    cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, name_or_path=str(folder), config=None))
    with pytest.warns(UserWarning, match=r"tokenizer_config.json asks for code of its own"):
        model, _ = create_model(cfg)
    model.save_pretrained(tmp_path / "ckpt")
    assert "auto_map" not in json.loads((tmp_path / "ckpt/tokenizer/tokenizer_config.json").read_text())
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        loaded, _ = load_pretrained(tmp_path / "ckpt")
    assert not [w for w in said if "code of its own" in str(w.message)], [str(w.message) for w in said]
    text = "ship <loc_3> at <box> the harbour"
    assert type(loaded.tokenizer) is type(model.tokenizer)
    assert loaded.tokenizer(text)["input_ids"] == model.tokenizer(text)["input_ids"]
