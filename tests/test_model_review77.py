"""Review of stop 77's model work: another transformers model's config field given alone is still a typo (a
ResNet's ``hidden_sizes`` for ``hidden_size`` built a default-width model with a warning), and the adapter-base
fingerprint recorded before stop 77 still matches."""

import hashlib
import json
import shutil
import struct
import warnings

import pytest
import torch


@pytest.mark.parametrize("key, close", [("hidden_sizes", "hidden_size"), ("num_layers", "num_labels")])
def test_another_models_field_alone_is_still_refused_as_a_typo(key, close):
    """Stop 77 warned of any key some transformers config defines: ``hidden_sizes`` (ResNet's) and ``num_layers``
    (T5's), refused before, built the default 4096-wide, 32-layer LlamaConfig with a warning. Alone such a key may
    stand for the one it is close to: refused, saying which models define it; beside that key it is warned of."""
    from rsvlm.model.convert_llava import check_key_typos
    from rsvlm.model.llm_files import check_config_keys, unknown_config_keys

    with pytest.raises(ValueError, match=rf"^llm.config.{key} is not a LlamaConfig field; did you mean \['{close}'\]\? "
                                         rf"\(.+'s config in transformers has a {key}, but no {close} is given beside "
                                         r"it: taken for a typo\)$"):
        check_config_keys("llama", {key: 8})
    assert unknown_config_keys("llama", {key: 8}) == [(key, [close])]
    with pytest.raises(ValueError, match=rf"^config.json: {key} is not a LlamaConfig field; did you mean {close}\?"):
        check_key_typos("config.json", {"model_type": "llama", key: 8})  # a converted LLaVA's config.json too
    with pytest.warns(UserWarning, match=rf"^llm.config.{key} is not a LlamaConfig field \(a field of "):
        check_config_keys("llama", {key: 8, close: 8})


def test_an_hf_clip_towers_hf_config_typo_of_another_models_field_is_refused():
    from rsvlm.model.llm_files import check_config_keys

    with pytest.raises(ValueError, match=r"^hf_config.hidden_sizes is not a CLIPVisionConfig field; did you mean"):
        check_config_keys("clip_vision_model", {"hidden_sizes": 64}, "hf_config")


def _sampled_print(folder):
    """The fingerprint as base_print computed it before stop 77 (its code, copied): what rsvlm_base.json records."""
    from rsvlm.model.llm_files import weight_files

    heads = {}
    for f in [folder / n for n in weight_files(folder)]:
        with f.open("rb") as h:
            size = struct.unpack("<Q", h.read(8))[0]
            heads.update({k: (f, 8 + size, v) for k, v in json.loads(h.read(size)).items() if k != "__metadata__"})
    names, digest = sorted(heads), hashlib.sha256()
    for name in names:
        digest.update(f"{name}:{heads[name][2]['dtype']}:{heads[name][2]['shape']};".encode())
    for name in names[:: max(1, len(names) // 8)][:8]:
        file, start, entry = heads[name]
        begin, end = entry["data_offsets"]
        with file.open("rb") as h:
            h.seek(start + begin)
            digest.update(h.read(min(end - begin, 1 << 16)))
    return digest.hexdigest()[:32]


def test_an_adapter_base_record_written_before_stop_77_still_matches(tmp_path):
    """own_llm's compare now hashes every tensor's ends (recorded nowhere); the adapter's recorded form must not
    move, or every adapter-only checkpoint saved before would be refused as trained on another base."""
    from safetensors.torch import save_file

    from rsvlm.model.base_print import FINGERPRINT, fingerprint, other_base

    base = tmp_path / "base"
    base.mkdir()
    torch.manual_seed(0)
    save_file({f"model.layers.{i}.w": torch.randn(200, 300) for i in range(20)}, base / "model.safetensors")
    assert fingerprint(base) == _sampled_print(base) != fingerprint(base, ends=True)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / FINGERPRINT).write_text(json.dumps({"base": str(base), "fingerprint": _sampled_print(base)}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert other_base(adapter, str(base), base) == (None, None)


def test_a_transformers_without_config_sources_refuses_as_before(tmp_path, monkeypatch):
    """No ``models/*/configuration_*.py`` to read (another layout, sources not installed): no model is found, so a
    key close to a defined one is refused as it was before stop 77, with no error of the scan's own."""
    import transformers

    from rsvlm.model.llm_files import check_config_keys, other_models_field

    monkeypatch.setattr(transformers, "__file__", str(tmp_path / "transformers" / "__init__.py"))
    assert other_models_field("moe_intermediate_size") == []
    with pytest.raises(ValueError, match=r"^llm.config.moe_intermediate_size is not a LlamaConfig field; did you mean "
                                         r"\['intermediate_size'\]\?$"):
        check_config_keys("llama", {"moe_intermediate_size": 8, "intermediate_size": 16})


def test_weights_that_do_not_fit_still_hint_another_models_field_as_a_typo(monkeypatch):
    """``mismatch_note`` reads ``to_dict()``, which holds every defined key, so stop 77's rule dropped its hint for a
    ResNet's ``hidden_sizes`` in a hand-edited config.json: the very typo that built the wrong shapes. Hinted again,
    with no transformers source read for it (an error path listing every close key)."""
    from transformers import LlamaConfig

    from rsvlm.model import llm_files

    monkeypatch.setattr(llm_files, "other_models_field", lambda key: pytest.fail(f"scanned for {key}"))

    class Built:
        config = LlamaConfig(hidden_sizes=8, num_hidden_layers=1)

    note = llm_files.mismatch_note("/x", Built(), [("model.embed_tokens.weight", (10, 8), (10, 4096))])
    assert note.endswith("config.json has 'hidden_sizes' (did you mean 'hidden_size'?)")


@pytest.mark.filterwarnings("ignore:.*holds no vision tower weights")
def test_a_diff_saved_tower_config_with_another_models_field_for_a_size_is_refused(tmp_path, tiny_llava):
    """A tower config.json saved without defaults gets CLIP's hidden_size, patch_size and image_size filled in
    before its typos were checked, so ``patch_sizes`` (a PVT field) sat beside a filled ``patch_size`` and passed as
    another model's field: converted at CLIP's default patch size. Its keys are checked as given."""
    from conftest import write_llava

    from rsvlm.model import convert_llava

    sd, conf, tower, tok = tiny_llava
    full = shutil.copytree(tower, tmp_path / "tower")
    own = json.loads((full / "config.json").read_text())
    own["patch_sizes"] = own.pop("patch_size")
    (full / "config.json").write_text(json.dumps({**own, "model_type": "clip_vision_model"}))
    src = write_llava(tmp_path / "orig", sd, conf, tok)
    with pytest.raises(ValueError, match=r"config\.json: patch_sizes is not a CLIPVisionConfig field; did you mean "
                                         r"patch_size\?"):
        convert_llava(src, tmp_path / "out", vision_tower=full)
