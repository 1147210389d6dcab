"""Model area, review of tour 67: a tied-head config over a sharded llm/ (head and embeddings in two shards)."""

import json
import shutil

import pytest
from safetensors.torch import load_file, save_file


def _tie(llm_dir) -> None:
    conf = json.loads((llm_dir / "config.json").read_text())
    assert conf.get("tie_word_embeddings") is False
    (llm_dir / "config.json").write_text(json.dumps({**conf, "tie_word_embeddings": True}))


def test_a_tied_head_config_over_a_head_in_another_shard_is_refused(tmp_path, ckpt):
    """The check looked for the head and the embeddings in one file: with the head in a shard of its own (a
    sharded llm/), the edited config.json loaded without rsvlm's word."""
    from rsvlm.model.checkpoint import load_pretrained

    d = shutil.copytree(ckpt, tmp_path / "ck")
    llm = d / "llm"
    state = load_file(str(llm / "model.safetensors"))
    head = {"lm_head.weight": state.pop("lm_head.weight")}
    save_file(state, str(llm / "model-00001-of-00002.safetensors"), metadata={"format": "pt"})
    save_file(head, str(llm / "model-00002-of-00002.safetensors"), metadata={"format": "pt"})
    weight_map = {**{k: "model-00001-of-00002.safetensors" for k in state}, "lm_head.weight": "model-00002-of-00002.safetensors"}
    (llm / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (llm / "model.safetensors").unlink()
    _tie(llm)
    with pytest.raises(ValueError, match=r"model-00002-of-00002\.safetensors: holds its own lm_head\.weight, but "
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
