"""Checkpoints, review of tour 70: a merged model records the adapters merged into it (merged_lora.json), so one
copied back into its adapter/ is refused by every load and merge instead of being applied a second time; two
merged models still average, and the average records the adapters of both."""

from __future__ import annotations

import json
import shutil

import pytest
from safetensors.torch import load_file, save_file


def _other_adapter(folder):
    """Make the adapter in ``folder``/adapter another one (its weights moved): as one trained further would be."""
    f = folder / "adapter" / "adapter_model.safetensors"
    save_file({k: v + 0.01 for k, v in load_file(str(f)).items()}, str(f))
    return folder


def test_an_adapter_put_back_beside_the_weights_it_was_merged_into_is_not_merged_twice(ckpt, tmp_path):
    """A merged model with its adapter/ copied back in (as GeoChat-style folders keep one beside the weights) was
    merged again without a word, and loaded with it applied on top: the LoRA added twice, other answers. Another
    adapter there (one trained on the merged model) still merges."""
    from rsvlm.model import load_pretrained, merge_lora
    from rsvlm.model.ckpt_files import adapter_sha256

    merged = merge_lora(ckpt, tmp_path / "merged")
    assert json.loads((merged / "merged_lora.json").read_text()) == {"adapter_sha256": [adapter_sha256(ckpt)]}
    shutil.copytree(ckpt / "adapter", merged / "adapter")
    with pytest.raises(ValueError, match=r"merged into .* weights already .*merged_lora\.json.*count twice: remove "):
        merge_lora(merged, tmp_path / "twice")
    assert not (tmp_path / "twice").exists()
    with pytest.raises(ValueError, match=rf"{merged / 'adapter'}: merged into"):  # chat, predict, eval: on top
        load_pretrained(merged)
    again = merge_lora(_other_adapter(merged), tmp_path / "again")  # a LoRA trained on the merged model: its own
    assert json.loads((again / "merged_lora.json").read_text())["adapter_sha256"] == sorted(
        [adapter_sha256(ckpt), adapter_sha256(merged)])  # both are in its weights now
    shutil.copytree(ckpt / "adapter", again / "adapter")  # the first one put back there counts twice as well
    with pytest.raises(ValueError, match="merged into"):
        load_pretrained(again)


def test_merged_models_average_and_the_average_refuses_their_adapters_put_back(ckpt, tmp_path):
    """average_checkpoints requires the inputs' other files to match: two merges' merged_lora.json (each its own
    adapter's hash) made merged models impossible to average. The average holds both adapters (weighted), so it
    records both; a copy of either put back beside it is refused."""
    from rsvlm.model import load_pretrained, merge_lora
    from rsvlm.model.ckpt_files import adapter_sha256
    from rsvlm.model.weights import average_checkpoints, merged_adapters

    a = shutil.copytree(ckpt, tmp_path / "a")
    b = _other_adapter(shutil.copytree(ckpt, tmp_path / "b"))
    avg = average_checkpoints([merge_lora(a, tmp_path / "ma"), merge_lora(b, tmp_path / "mb")], tmp_path / "avg",
                              progress=False)
    assert merged_adapters(avg) == {adapter_sha256(a), adapter_sha256(b)} and len(merged_adapters(avg)) == 2
    load_pretrained(avg)
    shutil.copytree(b / "adapter", avg / "adapter")
    with pytest.raises(ValueError, match=rf"{avg / 'adapter'}: merged into"):
        load_pretrained(avg)


def test_a_merged_lora_json_that_cannot_be_read_refuses_nothing(ckpt, tmp_path):
    """A cut or edited record names no adapter: the folder loads as any other (nothing to compare with)."""
    from rsvlm.model import merge_lora
    from rsvlm.model.weights import merged_adapters

    merged = merge_lora(ckpt, tmp_path / "merged")
    for text in ('{"adapter_sha256": ', "[1, 2]", '{"adapter_sha256": 3}'):
        (merged / "merged_lora.json").write_text(text)
        assert merged_adapters(merged) == set()
    (merged / "merged_lora.json").write_text('{"adapter_sha256": "ab"}')  # one hash as a string: read as one
    assert merged_adapters(merged) == {"ab"}
