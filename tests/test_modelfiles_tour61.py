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


@pytest.fixture(scope="module")
def bare_base(tmp_path_factory):
    """A tiny Llama saved with its own 260-row vocabulary (no rsvlm tokens), as a downloaded base is."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from rsvlm.model.llm import byte_tokenizer

    torch.manual_seed(0)
    conf = AutoConfig.for_model("llama", vocab_size=260, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
    d = tmp_path_factory.mktemp("bare")
    AutoModelForCausalLM.from_config(conf).save_pretrained(d)
    byte_tokenizer().save_pretrained(d)
    return d


def _lora_model(name_or_path, **llm):
    import dataclasses

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    cfg = load_config(VLMConfig, "configs/model/tiny.yaml")
    cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, name_or_path=str(name_or_path), config=None, **llm))
    return create_model(cfg)[0]


@pytest.mark.parametrize("token_rows", [True, False])
def test_the_adapter_holds_no_whole_embeddings_where_the_vocabulary_grew(tmp_path, bare_base, token_rows):
    """rsvlm's tokens grow a base's vocabulary, so peft ('save_embedding_layers' auto) saved the whole input
    embeddings and LM head into adapter/ beside the new rows' deltas, with a warning: 1,220,656 bytes for this tiny
    model's 561,904, about 2 GB more for a 152k x 3584 bf16 vocabulary; llm/ holds them already, and an
    adapter-only load resizes the base as training did. Saved either way, the model loads with the same rows."""
    import warnings

    import torch
    from safetensors import safe_open

    from rsvlm.model import load_pretrained

    model = _lora_model(bare_base, lora_token_rows=token_rows)
    with torch.no_grad():  # a trained state: the new rows' deltas are not zero
        for name, p in model.llm.named_parameters():
            if "trainable_tokens_delta" in name:
                p.add_(0.5)
    for adapter_only in (False, True):
        out = tmp_path / f"ck{adapter_only}"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.save_pretrained(out, adapter_only=adapter_only)
        with safe_open(out / "adapter" / "adapter_model.safetensors", "pt") as f:
            assert [k for k in f.keys() if "lora_" not in k and "trainable_tokens_delta" not in k] == []
        loaded, _ = load_pretrained(out)
        for get in ("get_input_embeddings", "get_output_embeddings"):
            ids = torch.arange(len(model.tokenizer))
            if get == "get_input_embeddings":
                a, b = (getattr(m.llm.get_base_model(), get)()(ids) for m in (model, loaded))
            else:
                a, b = (getattr(m.llm.get_base_model(), get)().weight for m in (model, loaded))
            assert torch.equal(a, b), (adapter_only, get)


def test_saving_an_adapter_on_a_cached_hub_base_asks_no_hub(tmp_path, bare_base, monkeypatch):
    """A LoRA on a hub name (acme/tiny, from the HF cache): with HF_HUB_OFFLINE unset, peft's save looked the base's
    config.json up on the hub ('Unable to fetch remote file ... Name or service not known' and 'Could not find a config
    file in acme/tiny', two warnings; a wait where the network hangs); set, it warned the second. Neither now."""
    import socket
    import warnings

    import huggingface_hub

    repo = tmp_path / "cache" / "models--acme--tiny"
    shutil.copytree(bare_base, repo / "snapshots" / "0123abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    model = _lora_model("acme/tiny")
    asked = []

    def no_network(*a, **k):
        asked.append(a)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    for offline in ("1", None):
        if offline:
            monkeypatch.setenv("HF_HUB_OFFLINE", offline)
        else:
            for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
                monkeypatch.delenv(var, raising=False)
            monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.save_pretrained(tmp_path / f"ck{offline}", adapter_only=True)
    assert asked == []


def test_a_base_whose_vocabulary_grows_builds_on_meta(bare_base):
    """A saved base without rsvlm's tokens (any downloaded LLM) built on meta, as memory_plan and the checks do:
    the new rows' mean init read values meta tensors do not have ('Tensor.item() cannot be called on meta
    tensors'). On meta they get shapes only; the rows are the tokenizer's."""
    model = _lora_model(bare_base)
    import dataclasses

    from rsvlm.model import create_model

    meta, _ = create_model(dataclasses.replace(model.cfg), device="meta")
    rows = meta.llm.get_base_model().get_input_embeddings().weight
    assert rows.is_meta and rows.shape == model.llm.get_base_model().get_input_embeddings().weight.shape


def test_memory_plan_plans_a_cached_hub_base_as_loading_does(tmp_path, bare_base, monkeypatch, capsys):
    """A model config naming a hub base in the Hugging Face cache (llm.name_or_path: acme/tiny, no llm.config), and
    an adapter-only checkpoint on it, were refused ('acme/tiny' is no local folder with a config.json) where they
    load from the cached folder; they are planned from it. A hub name not in the cache is still refused, saying so."""
    import huggingface_hub
    import yaml
    from script_loader import load_script

    repo = tmp_path / "cache" / "models--acme--tiny"
    shutil.copytree(bare_base, repo / "snapshots" / "0123abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    conf = yaml.safe_load(open("configs/model/tiny.yaml"))
    conf["llm"] = {**{k: v for k, v in conf["llm"].items() if k != "config"}, "name_or_path": "acme/tiny"}
    (tmp_path / "hub.yaml").write_text(yaml.safe_dump(conf))
    _lora_model("acme/tiny").save_pretrained(tmp_path / "ck", adapter_only=True)
    plan = load_script("memory_plan", monkeypatch)
    rows = len(_lora_model(bare_base).tokenizer)
    for given in (tmp_path / "hub.yaml", tmp_path / "ck"):
        cfg = plan.model_config(given)
        inv = plan.inventory(plan.offline(cfg), "hub")
        assert inv.vocab_rows == rows and inv.layers == 2 and inv.hidden == 64
        assert plan.main([str(given), "--seq-len", "64"]) == 0, capsys.readouterr().err
    (tmp_path / "hub.yaml").write_text(yaml.safe_dump({**conf, "llm": {**conf["llm"], "name_or_path": "acme/other"}}))
    assert plan.main([str(tmp_path / "hub.yaml"), "--seq-len", "64"]) == 2
    assert "'acme/other' is no local folder with a config.json" in capsys.readouterr().err


def test_one_meta_build_of_the_llm_per_model_a_cached_hub_base_included(tmp_path, bare_base, monkeypatch):
    """The LLM is built on meta once per model (LoRA checks, a meta build, a 4-bit plan share it) for a local base and
    for a hub name in the cache, whose LoRA targets were not checked before the load: a typo there was found once
    the weights had been read (minutes for a 7B). Now it is refused with from_pretrained never called."""
    import dataclasses

    import huggingface_hub
    import torch
    import transformers

    from rsvlm.model import create_model

    repo = tmp_path / "cache" / "models--acme--tiny"
    shutil.copytree(bare_base, repo / "snapshots" / "0123abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    built = []
    from_config = transformers.AutoModelForCausalLM.from_config

    def counted(*a, **k):
        built.append(torch.get_default_device().type)
        return from_config(*a, **k)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_config", counted)
    cfg = _lora_model(bare_base).cfg
    for name in (str(bare_base), "acme/tiny"):
        for device in ("meta", None):
            built.clear()
            create_model(dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, name_or_path=name)), device=device)
            assert built == ["meta"], (name, device, built)

    def never(*a, **k):
        raise AssertionError("from_pretrained was called")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", never)
    typo = dataclasses.replace(cfg.llm, name_or_path="acme/tiny", target_modules=["q_proj", "v_prj"])
    with pytest.raises(ValueError, match=r"^llm\.target_modules: \['v_prj'\] match no module"):
        create_model(dataclasses.replace(cfg, llm=typo))


def test_merging_an_adapter_on_a_cached_hub_base_keeps_its_dtype(tmp_path, monkeypatch):
    """merge-lora stores each tensor in its source's dtype, read from the base's safetensors at llm.name_or_path;
    for an adapter-only checkpoint on a hub base (acme/bf, bf16, in the HF cache) that path is no folder, so the
    merged llm/ came out float32, twice the size. Its cached folder is read now."""
    import huggingface_hub
    import torch
    from safetensors import safe_open
    from transformers import AutoConfig, AutoModelForCausalLM

    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.model.merge import merge_lora

    repo = tmp_path / "cache" / "models--acme--bf"
    snap = repo / "snapshots" / "0123abc"
    torch.manual_seed(0)
    conf = AutoConfig.for_model("llama", vocab_size=260, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
    AutoModelForCausalLM.from_config(conf).to(torch.bfloat16).save_pretrained(snap)
    byte_tokenizer().save_pretrained(snap)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    _lora_model("acme/bf").save_pretrained(tmp_path / "ck", adapter_only=True)
    merge_lora(tmp_path / "ck", tmp_path / "merged")
    with safe_open(tmp_path / "merged" / "llm" / "model.safetensors", "pt") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"BF16"}


def test_a_base_under_the_home_folder_given_with_a_tilde_builds_saves_and_loads(tmp_path, bare_base, monkeypatch):
    """llm.name_or_path: ~/models/base passed the checks (a local folder there) and transformers refused it: 'Repo id
    must use alphanumeric chars ... '~/models/base''. It builds; an adapter-only save names it by its absolute path,
    and a config.yaml written with ~ loads (it was 'LLM base not found')."""
    from rsvlm.model import load_pretrained

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    shutil.copytree(bare_base, tmp_path / "home" / "models" / "base")
    model = _lora_model("~/models/base")
    model.save_pretrained(tmp_path / "ck", adapter_only=True)
    text = (tmp_path / "ck" / "config.yaml").read_text()
    assert f"name_or_path: {(tmp_path / 'home' / 'models' / 'base').resolve()}\n" in text
    (tmp_path / "ck" / "config.yaml").write_text(text.replace(str((tmp_path / "home").resolve()), "~"))
    assert "name_or_path: ~/models/base\n" in (tmp_path / "ck" / "config.yaml").read_text()
    load_pretrained(tmp_path / "ck")
    from rsvlm.tokenizer import load_tokenizer

    assert len(load_tokenizer("~/models/base")) == len(model.tokenizer)
    from script_loader import load_script

    plan = load_script("memory_plan", monkeypatch)  # planned from it too (was 'no local folder with a config.json')
    assert plan.inventory(plan.offline(plan.model_config(tmp_path / "ck")), "ck").vocab_rows == len(model.tokenizer)
