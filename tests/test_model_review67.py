"""Model area, tour 67 and its review: a tied-head config.json over weights holding a head apart, in one file
or in another shard than the embeddings (the review: the check looked in one file only)."""

import json
import re
import shutil

import pytest
from safetensors.torch import load_file, save_file


def _tie(llm_dir) -> None:
    conf = json.loads((llm_dir / "config.json").read_text())
    assert conf.get("tie_word_embeddings") is False
    (llm_dir / "config.json").write_text(json.dumps({**conf, "tie_word_embeddings": True}))


@pytest.mark.parametrize("sharded", [False, True])
def test_a_tied_head_config_over_a_head_of_its_own_is_refused(tmp_path, ckpt, sharded):
    """llm/config.json edited to tie_word_embeddings: true over weights holding their own lm_head: the trained head
    was replaced without rsvlm's word (transformers' warning said it would NOT tie them), every answer another
    model's. With the head in a shard of its own (a sharded llm/), the check looked in one file only."""
    from rsvlm.model.checkpoint import load_pretrained

    d = shutil.copytree(ckpt, tmp_path / "ck")
    llm = d / "llm"
    held = "model.safetensors"
    if sharded:
        state = load_file(str(llm / held))
        head = {"lm_head.weight": state.pop("lm_head.weight")}
        held = "model-00002-of-00002.safetensors"
        save_file(state, str(llm / "model-00001-of-00002.safetensors"), metadata={"format": "pt"})
        save_file(head, str(llm / held), metadata={"format": "pt"})
        weight_map = {**{k: "model-00001-of-00002.safetensors" for k in state}, "lm_head.weight": held}
        (llm / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
        (llm / "model.safetensors").unlink()
    _tie(llm)
    with pytest.raises(ValueError, match=rf"llm/{re.escape(held)}: holds its own lm_head\.weight, but "
                                         r".*config\.json ties the head to model\.embed_tokens\.weight"):
        load_pretrained(d)


def test_a_tied_head_config_over_a_head_equal_to_the_embeddings_loads(tmp_path, ckpt):
    """Both saved, of equal values (a torch .bin converted as is): nothing is dropped by tying them, not refused."""
    from rsvlm.model.checkpoint import load_pretrained

    d = shutil.copytree(ckpt, tmp_path / "ck")
    path = d / "llm" / "model.safetensors"
    state = load_file(str(path))
    state["lm_head.weight"] = state["model.embed_tokens.weight"].clone()
    save_file(state, str(path), metadata={"format": "pt"})
    _tie(d / "llm")
    load_pretrained(d)
