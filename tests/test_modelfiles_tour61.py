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


@pytest.mark.filterwarnings("ignore:.*holds no vision tower weights")
def test_a_vision_config_typo_of_a_llava_is_named_with_the_key_it_is_close_to(tmp_path, tiny_llava):
    """'hidden_sise' in an HF-layout LLaVA's vision_config: transformers built CLIP's 768-wide default and the
    conversion said only that 38 tensors do not fit ('is config.json the one saved with them?'). In the tower
    folder of an original-layout LLaVA it was named as encoders.default.hf_config.hidden_sise, not its file.
    Both name the file and the key, with the one it is close to, before any weight is read."""
    import json

    import torch
    from conftest import tiny_llava_config, write_llava
    from transformers import LlavaForConditionalGeneration

    from rsvlm.model import convert_llava

    sd, conf, tower, tok = tiny_llava
    torch.manual_seed(0)
    hf = tmp_path / "hf"
    LlavaForConditionalGeneration(tiny_llava_config(tok)).save_pretrained(hf)
    tok.save_pretrained(hf)
    c = json.loads((hf / "config.json").read_text())
    c["vision_config"]["hidden_sise"] = c["vision_config"].pop("hidden_size")
    (hf / "config.json").write_text(json.dumps(c))
    with pytest.raises(ValueError, match=r"hf/config\.json: vision_config\.hidden_sise is not a CLIPVisionConfig field; "
                                         r"did you mean vision_config\.hidden_size\?"):
        convert_llava(hf, tmp_path / "out")
    odd = shutil.copytree(tower, tmp_path / "tower")
    t = json.loads((odd / "config.json").read_text())
    t["patch_sise"] = t.pop("patch_size")
    (odd / "config.json").write_text(json.dumps(t))
    src = write_llava(tmp_path / "orig", sd, conf, tok)
    with pytest.raises(ValueError, match=r"tower/config\.json: patch_sise is not a CLIPVisionConfig field; did you mean "
                                         r"patch_size\?"):
        convert_llava(src, tmp_path / "out", vision_tower=odd)
    conf = {**conf, "num_hiden_layers": conf["num_hidden_layers"]}
    del conf["num_hidden_layers"]
    with pytest.raises(ValueError, match=r"orig2/config\.json: num_hiden_layers is not a LlamaConfig field"):
        convert_llava(write_llava(tmp_path / "orig2", sd, conf, tok), tmp_path / "out", vision_tower=tower)
    assert not (tmp_path / "out").exists()
