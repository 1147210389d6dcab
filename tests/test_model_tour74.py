"""Stop 74, a user's own LLM folder: a tokenizer asking for its own code, and a 4-bit model saved whole."""

from __future__ import annotations

import pytest


def test_a_tokenizer_asking_for_its_own_code_is_loaded_without_it_and_said(tmp_path, base_dir):
    """A tokenizer_config.json auto_map (ChatGLM's, InternLM's) was taken without a word: transformers built a
    tokenizer from tokenizer.json, which may not tokenise as the model's own code did; its code never ran."""
    import json
    import shutil

    from rsvlm.model.llm import LLMConfig, build_llm

    folder = tmp_path / "base"
    shutil.copytree(base_dir, folder)
    conf = json.loads((folder / "tokenizer_config.json").read_text())
    conf["auto_map"] = {"AutoTokenizer": ["tokenization_own.OwnTokenizer", None]}
    (folder / "tokenizer_config.json").write_text(json.dumps(conf))
    (folder / "tokenization_own.py").write_text('raise SystemExit("the folder code ran")\n')
    with pytest.warns(UserWarning, match=r"llm.tokenizer .*base: its tokenizer_config.json asks for code of its own "
                                         r"\(tokenization_own.OwnTokenizer\), which rsvlm never runs"):
        _, tok, _ = build_llm(LLMConfig(name_or_path=str(folder)))
    assert tok("ship", add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize("llm, says", [
    ("lora", r"x: a 4/8-bit LLM is saved adapter_only, .*: model.save_pretrained\('.*x', adapter_only=True\)"),
    ("frozen", r"x: a 4/8-bit LLM without LoRA is not saved .*: where nothing was trained, keep the checkpoint it "
               r"was loaded from; to keep a trained projector or stems, train with trainable.llm: lora"),
])
def test_saving_a_4bit_model_whole_says_what_to_save_and_writes_no_folder(tmp_path, base_dir, llm, says):
    """It said 'a 4/8-bit LLM is saved adapter_only' (how, not said; a frozen one cannot be), leaving an
    empty folder."""
    import dataclasses

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model
    from tests.conftest import REPO

    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml")
    cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, name_or_path=str(base_dir), config=None,
                                                           load_in_4bit=True),
                              trainable=dataclasses.replace(cfg.trainable, llm=llm))
    model, _ = create_model(cfg)  # the tiny sizes fit bitsandbytes' CPU 4-bit kernel
    with pytest.raises(ValueError, match=says):
        model.save_pretrained(tmp_path / "x")
    assert not (tmp_path / "x").exists()
