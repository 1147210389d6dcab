"""Checkpoints as a user edits, cuts or quantises them: the file and tensor at fault are named."""

import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model, load_pretrained

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


@pytest.fixture(scope="module")
def full_ckpt(tmp_path_factory):
    """A full checkpoint (llm/ and a LoRA adapter/) of the tiny model."""
    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY))
    return model.save_pretrained(tmp_path_factory.mktemp("full") / "ck")


def _copy(src: Path, dest: Path) -> Path:
    import shutil

    return Path(shutil.copytree(src, dest))


def _edit(file: Path, change) -> None:
    state = load_file(str(file))
    change(state)
    save_file(state, str(file), metadata={"format": "pt"})


def test_a_cut_llm_weight_file_is_named_not_taken_for_a_model_without_its_head(full_ckpt, tmp_path):
    """A checkpoint's llm/model.safetensors lacking a layer's weight was "give a causal LM with its LM head
    (…ForCausalLM)", of a LlamaForCausalLM, naming no file."""
    ck = _copy(full_ckpt, tmp_path / "ck")
    _edit(ck / "llm" / "model.safetensors", lambda s: s.pop("model.layers.0.mlp.down_proj.weight"))
    with pytest.raises(ValueError) as e:
        load_pretrained(ck)
    said = str(e.value)
    assert "(first: model.layers.0.mlp.down_proj.weight)" in said
    assert f"{ck / 'llm' / 'model.safetensors'} lacks them: cut or edited" in said
    assert "LM head" not in said


def test_an_adapter_file_missing_one_factor_is_named_as_cut(full_ckpt, tmp_path):
    """adapter_model.safetensors lacking one lora_A (its lora_B still there) was "a LoRA adapter trained on
    another base", naming peft's in-memory key (….lora_A.default.weight), not the file's."""
    ck = _copy(full_ckpt, tmp_path / "ck")
    key = "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight"
    _edit(ck / "adapter" / "adapter_model.safetensors", lambda s: s.pop(key))
    with pytest.raises(ValueError) as e:
        load_pretrained(ck)
    said = str(e.value)
    assert said.startswith(f"{ck / 'adapter' / 'adapter_model.safetensors'}: lacks 1 tensor of layers it adapts "
                           f"(first: {key}, whose layer's lora_B.weight is there): cut or edited"), said
    assert "another base" not in said


def test_an_adapter_tensor_peft_has_no_place_for_is_said(full_ckpt, tmp_path):
    """peft ignored a tensor of the adapter file that no adapter layer takes, without a word."""
    ck = _copy(full_ckpt, tmp_path / "ck")
    key = "base_model.model.model.layers.0.mlp.up_proj.lora_C.weight"
    _edit(ck / "adapter" / "adapter_model.safetensors", lambda s: s.update({key: torch.zeros(2, 2)}))
    with pytest.warns(UserWarning, match=rf"adapter_model\.safetensors: 1 tensor .* ignored \(first: {key}\)"):
        load_pretrained(ck)
    with warnings.catch_warnings():  # an untouched adapter: nothing said
        warnings.simplefilter("error", UserWarning)
        load_pretrained(full_ckpt)


def test_an_adapter_trained_4_bit_reloads_in_full_precision_with_its_own_shapes(tmp_path, base_dir):
    """The leftover 'a 4-bit adapter may carry padding rows': on a CPU each LoRA factor of a 4-bit run has its
    layer's own size (a Linear4bit keeps out_features; its packed weight is another shape), and a full-precision
    reload holds exactly the trained factors; only the base's quantisation error differs."""
    pytest.importorskip("bitsandbytes", reason="bitsandbytes not installed")
    from peft.utils import get_peft_model_state_dict

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir}", "llm.config=null",
                                                          "llm.load_in_4bit=true"]))
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.05)
    trained = {k: v.clone() for k, v in get_peft_model_state_dict(model.llm, save_embedding_layers=False).items()}
    full, _ = load_pretrained(model.save_pretrained(tmp_path / "ad", adapter_only=True))
    assert not full.cfg.llm.load_in_4bit
    reloaded = get_peft_model_state_dict(full.llm, save_embedding_layers=False)
    assert set(reloaded) == set(trained)
    for k, v in trained.items():
        assert torch.equal(reloaded[k], v), k
    for name, m in full.llm.named_modules():
        if hasattr(m, "lora_B") and "default" in m.lora_B:
            assert m.lora_B["default"].weight.shape[0] == m.get_base_layer().out_features, name


def test_a_model_config_with_a_key_this_rsvlm_lacks_is_not_called_no_checkpoint(full_ckpt, tmp_path):
    """A checkpoint's config.yaml from another rsvlm version (a key since dropped, or a hand edit) was
    "not an rsvlm checkpoint (its config.yaml is no model config …)", beside its vision.safetensors and llm/."""
    from rsvlm.config import ConfigError

    ck = _copy(full_ckpt, tmp_path / "ck")
    text = (ck / "config.yaml").read_text()
    (ck / "config.yaml").write_text(text.replace("projector:\n", "projector:\n  dropout: 0.1\n", 1))
    with pytest.raises(ConfigError) as e:
        load_pretrained(ck)
    said = str(e.value)
    assert said.startswith(f"{ck / 'config.yaml'}: a model config this rsvlm cannot read (unknown key "
                           "projector.dropout"), said
    assert "another rsvlm version" in said and "not an rsvlm checkpoint" not in said
    assert e.value.keys == ("projector.dropout",)


def test_an_llm_of_its_own_code_is_refused_naming_auto_map_and_its_code_never_runs(tmp_path, base_dir):
    """A base whose config.json asks for its own code (auto_map, a model_type transformers lacks) was
    "give a causal LM's folder (…ForCausalLM)", though it names one: the code rsvlm will not run."""
    import json
    import shutil

    from rsvlm.model.llm import LLMConfig, build_llm

    base = Path(shutil.copytree(base_dir, tmp_path / "base"))
    conf = json.loads((base / "config.json").read_text())
    conf.update(model_type="geofancy", auto_map={"AutoConfig": "configuration_geo.GeoConfig",
                                                 "AutoModelForCausalLM": "modeling_geo.GeoForCausalLM"})
    (base / "config.json").write_text(json.dumps(conf))
    for name in ("configuration_geo.py", "modeling_geo.py"):
        (base / name).write_text("raise SystemExit('remote code ran')\n")
    with pytest.raises(ValueError, match=r"has model_type 'geofancy', of which transformers has no causal LM; its "
                                         r"auto_map names code of its own \(modeling_geo\.GeoForCausalLM\), which rsvlm "
                                         r"never runs \(no trust_remote_code\)"):
        build_llm(LLMConfig(name_or_path=str(base)))
    conf["model_type"] = "llama"  # one transformers ships: its class loads, and rsvlm says so (was: no word)
    (base / "config.json").write_text(json.dumps(conf))
    with pytest.warns(UserWarning, match=r"names a model of its own code \(modeling_geo\.GeoForCausalLM\), which "
                                         r"rsvlm never runs \(no trust_remote_code\): loaded as transformers' "
                                         r"LlamaForCausalLM"):
        llm, _, _ = build_llm(LLMConfig(name_or_path=str(base)))
    assert type(llm).__name__ == "LlamaForCausalLM"


def test_convert_llava_names_what_its_src_is_instead(full_ckpt, tmp_path, base_dir):
    """--src a missing path, a file, or an rsvlm checkpoint was 'no config.json; not a LLaVA checkpoint
    directory' each; a plain Hugging Face LM was 'not a LLaVA checkpoint' without saying what to do with it."""
    from rsvlm.model import convert_llava

    for src, says in [(tmp_path / "nope", "no such folder"),
                      (full_ckpt / "vision.safetensors", "a file; give the LLaVA checkpoint's folder"),
                      (full_ckpt, f"an rsvlm checkpoint already (config.yaml, vision.safetensors): load it as it is "
                                  f"(--model {full_ckpt})")]:
        with pytest.raises(FileNotFoundError) as e:
            convert_llava(src, tmp_path / "out")
        assert str(e.value) == f"{src}: {says}" or str(e.value).startswith(f"{src}: {says}"), str(e.value)
    with pytest.raises(ValueError, match=r"not a LLaVA checkpoint but a language model \(llama\) with no vision side: "
                                         r"give it as llm\.name_or_path"):
        convert_llava(base_dir, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_whole_embeddings_an_older_adapter_save_kept_load_without_an_ignored_warning(tmp_path, base_dir):
    """An adapter saved with peft's save_embedding_layers (whole embeddings and head, as older saves did) is
    loaded by peft, those tensors included: they are not 'ignored' (adapter_extras counted them so)."""
    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir}", "llm.config=null"]))
    ck = model.save_pretrained(tmp_path / "ck", adapter_only=True)
    with torch.no_grad():  # a change only the adapter's whole embeddings carry
        model.llm.get_input_embeddings().weight[5] += 1.0
    model.llm.save_pretrained(ck / "adapter", save_embedding_layers=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        loaded, _ = load_pretrained(ck)
    assert torch.equal(loaded.llm.get_input_embeddings().weight[5], model.llm.get_input_embeddings().weight[5])


def test_a_checkpoint_whose_prompt_text_holds_the_image_placeholder_is_refused_naming_its_key(full_ckpt, tmp_path):
    """A model.prompt text holding <image> was refused by training only (8829d35): chat, predict and eval loaded
    such a checkpoint, then each sample failed with '2 image placeholder token(s) in the prompt but 1 image(s)'."""
    from rsvlm.model.checks import check_model_config

    with pytest.raises(ValueError, match=r"config\.yaml with the overrides given: prompt\.det_classes\[1\]: '<image> car' "
                                         r"holds <image>, the image placeholder"):
        load_pretrained(full_ckpt, overrides=["prompt.det_classes=[ship, <image> car]"])
    cfg = load_config(VLMConfig, TINY, ["prompt.answer_lead=See <image>:"])
    with pytest.raises(ValueError, match=r"^model\.prompt\.answer_lead: 'See <image>:' holds <image>"):
        check_model_config(cfg)
    with pytest.raises(ValueError, match=r"^prompt\.answer_lead: 'See <image>:' holds <image>"):
        create_model(cfg)


def test_a_cut_llm_weight_file_whose_config_names_no_architecture_is_named_as_cut(tmp_path, base_dir):
    """lacking_note took an LLM folder whose config.json gives no architectures (a hand-written one) for a
    '…Model' without its head: 'it holds a ?: give a causal LM with its LM head', for a layer's tensor cut out."""
    import json
    import shutil

    from rsvlm.model.llm import LLMConfig, build_llm

    base = Path(shutil.copytree(base_dir, tmp_path / "base"))
    conf = json.loads((base / "config.json").read_text())
    conf.pop("architectures", None)
    (base / "config.json").write_text(json.dumps(conf))
    _edit(base / "model.safetensors", lambda s: s.pop("model.layers.0.mlp.down_proj.weight"))
    with pytest.raises(ValueError) as e:
        build_llm(LLMConfig(name_or_path=str(base)))
    said = str(e.value)
    assert f"{base / 'model.safetensors'} lacks them: cut or edited" in said and "LM head" not in said, said


def test_a_prompt_past_the_context_with_two_images_side_by_side_is_told_to_use_fewer_images():
    """6f62d88 counted images as runs of image tokens: '<image><image>' (two images, no text between) is one run,
    and was told only '; use a shorter text'."""
    from rsvlm.model.llm import context_length

    model, _ = create_model(load_config(VLMConfig, TINY, ["trainable.llm=frozen"]))
    n = max(map(model.n_visual_tokens, model.cfg.stems))
    img, ctx = model.special.image, context_length(model.llm)
    with pytest.raises(ValueError, match=rf"\({2 * n} of them for images\).*; use fewer images or a shorter text$"):
        model.check_context([img] * (2 * n) + [5] * ctx)
    with pytest.raises(ValueError, match=r"; use a shorter text$"):
        model.check_context([img] * n + [5] * ctx)


def test_an_llm_whose_auto_map_names_only_a_tokenizer_pair_is_named_by_its_class(tmp_path, base_dir):
    """auto_map's AutoTokenizer entry is a [slow, fast] pair: an LLM folder of an unknown model_type naming only
    that was told its auto_map names code of its own "(['tokenization_geo.GeoTokenizer', None])"."""
    import json
    import shutil

    from rsvlm.model.llm import LLMConfig, build_llm

    base = Path(shutil.copytree(base_dir, tmp_path / "base"))
    conf = json.loads((base / "config.json").read_text())
    conf.update(model_type="geofancy", auto_map={"AutoTokenizer": [None, "tokenization_geo.GeoTokenizerFast"]})
    (base / "config.json").write_text(json.dumps(conf))
    with pytest.raises(ValueError, match=r"its auto_map names code of its own \(tokenization_geo\.GeoTokenizerFast\), "):
        build_llm(LLMConfig(name_or_path=str(base)))
