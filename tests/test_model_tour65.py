"""Tour 65 of the model area: an adapter loaded on another base of the same shapes, export_step's inputs."""

import shutil
import warnings

import pytest
import yaml
from conftest import REPO


def _cfg(base, *over: str):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                       [f"llm.name_or_path={base}", "llm.config=null", f"llm.tokenizer={base}", *over])


@pytest.fixture(scope="module")
def two_bases(tmp_path_factory):
    """Two tiny random Llamas of one config (same shapes, other weights), saved in HF layout."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.llm import build_llm

    out = []
    for seed in (1, 2):
        llm, tok, _ = build_llm(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", [f"llm.seed={seed}"]).llm)
        d = tmp_path_factory.mktemp(f"base{seed}")
        llm.save_pretrained(d)
        tok.save_pretrained(d)
        out.append(d)
    return out


@pytest.fixture(scope="module")
def lora_on_first(two_bases, tmp_path_factory):
    from rsvlm.model import create_model, save_pretrained

    model, _ = create_model(_cfg(two_bases[0], "trainable.llm=lora"))
    out = tmp_path_factory.mktemp("ckpt") / "final"
    save_pretrained(model, out, adapter_only=True)
    return out


def _pointed_at(ckpt, tmp_path, base):
    """A copy of checkpoint ``ckpt`` whose config.yaml names the LLM base ``base``."""
    copy = shutil.copytree(ckpt, tmp_path / "ckpt")
    raw = yaml.safe_load((copy / "config.yaml").read_text())
    raw["llm"]["name_or_path"] = str(base)
    (copy / "config.yaml").write_text(yaml.safe_dump(raw))
    return copy


def test_adapter_on_another_base_of_same_shapes_is_refused(two_bases, lora_on_first, tmp_path):
    from rsvlm.model import load_pretrained, merge_lora
    from rsvlm.model.base_print import fingerprint

    assert fingerprint(two_bases[0]) != fingerprint(two_bases[1])
    other = _pointed_at(lora_on_first, tmp_path, two_bases[1])
    with pytest.raises(ValueError, match=f"trained on the base {two_bases[0]}, but {two_bases[1]} holds other"):
        load_pretrained(other)
    with pytest.raises(ValueError, match="holds other weights"):
        merge_lora(other, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


def test_adapter_on_its_base_moved_elsewhere_loads(two_bases, lora_on_first, tmp_path):
    from rsvlm.model import load_pretrained

    moved = shutil.copytree(two_bases[0], tmp_path / "moved" / two_bases[0].name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_pretrained(_pointed_at(lora_on_first, tmp_path, moved))


def test_older_adapter_without_fingerprint_warns_naming_both_bases(two_bases, lora_on_first, tmp_path):
    from rsvlm.model import load_pretrained
    from rsvlm.model.base_print import FINGERPRINT

    other = _pointed_at(lora_on_first, tmp_path, two_bases[1])
    (other / "adapter" / FINGERPRINT).unlink()
    with pytest.warns(UserWarning, match=f"peft recorded the base {two_bases[0]}, but it is loaded on {two_bases[1]}"):
        load_pretrained(other)


def test_full_save_over_an_adapter_only_one_drops_its_fingerprint(two_bases, lora_on_first, tmp_path):
    from rsvlm.model import load_pretrained, save_pretrained
    from rsvlm.model.base_print import FINGERPRINT

    assert (lora_on_first / "adapter" / FINGERPRINT).is_file()
    model, _ = load_pretrained(lora_on_first)
    out = shutil.copytree(lora_on_first, tmp_path / "full")
    save_pretrained(model, out)
    assert not (out / "adapter" / FINGERPRINT).exists()


def test_export_of_a_step_folder_with_an_empty_train_config_names_the_file(tmp_path, monkeypatch, capsys):
    from safetensors.torch import save_file
    from script_loader import load_script

    export = load_script("export_step", monkeypatch)
    step = tmp_path / "checkpoints" / "step_000004"
    step.mkdir(parents=True)
    (step / "train_config.yaml").write_text("")  # cut short: read as every default
    (step / "trainer_state_rank0.json").write_text("{}")
    save_file({}, str(step / "trainable.safetensors"))
    assert export.main([str(step), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err  # was: 'error: llm needs name_or_path (a saved model) or config (random weights)'
    assert err.strip() == f"error: {step / 'train_config.yaml'}: empty; a half-written or damaged step folder", err
    assert not (tmp_path / "out").exists()


def test_an_llm_of_an_architecture_only_a_newer_transformers_knows_says_to_upgrade(base_dir, tmp_path):
    import json

    import transformers

    from rsvlm.model.llm import LLMConfig, build_llm

    base = shutil.copytree(base_dir, tmp_path / "base")
    conf = json.loads((base / "config.json").read_text())
    conf.update(model_type="llama9", transformers_version="99.0.0")  # an architecture added after this transformers
    (base / "config.json").write_text(json.dumps(conf))
    with pytest.raises(ValueError, match=rf"model_type 'llama9', of which transformers has no causal LM; it was written "
                                         rf"by transformers 99\.0\.0, newer than this one \({transformers.__version__}\)"
                                         r".*upgrade transformers"):  # was: 'give a causal LM's folder'
        build_llm(LLMConfig(name_or_path=str(base)))
    conf["transformers_version"] = transformers.__version__  # this one's: not a matter of its version
    (base / "config.json").write_text(json.dumps(conf))
    with pytest.raises(ValueError, match=r"no causal LM; give a causal LM's folder"):
        build_llm(LLMConfig(name_or_path=str(base)))


def test_the_same_base_sharded_from_the_hub_cache_or_loaded_in_bf16_is_not_another(two_bases, lora_on_first, tmp_path,
                                                                                   monkeypatch):
    """The fingerprint reads the base's files: one file or shards, a hub name's cached folder (its files links
    into blobs/), the dtype the base is loaded in (bf16, 4-bit) leave it as it was."""
    import os

    import torch
    from conftest import hub_cache
    from transformers import AutoModelForCausalLM

    from rsvlm.model import load_pretrained
    from rsvlm.model.base_print import fingerprint

    sharded = tmp_path / "sharded"
    AutoModelForCausalLM.from_pretrained(two_bases[0]).save_pretrained(sharded, max_shard_size="100KB")
    assert len(list(sharded.glob("model-*.safetensors"))) > 1
    snap = hub_cache(tmp_path, monkeypatch, "org/tiny", two_bases[0])
    for f in snap.glob("*.safetensors"):  # as the cache holds them: links into blobs/
        os.replace(f, snap.parents[1] / f.name)
        f.symlink_to(os.path.relpath(snap.parents[1] / f.name, snap))
    assert fingerprint(sharded) == fingerprint(snap) == fingerprint(two_bases[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model, _ = load_pretrained(_pointed_at(lora_on_first, tmp_path, "org/tiny"), dtype=torch.bfloat16)
    assert next(model.llm.parameters()).dtype == torch.bfloat16


def test_a_stray_safetensors_file_beside_the_base_weights_is_not_fingerprinted(two_bases, lora_on_first, tmp_path):
    """Every *.safetensors of the base's folder was hashed, so a file transformers never reads (Mistral's hub repos
    ship consolidated.safetensors beside the model-*.safetensors shards; a download of it later) made the base
    another: the fingerprint covers model.safetensors or the shards its index lists, what the load reads."""
    import torch
    from safetensors.torch import save_file

    from rsvlm.model import load_pretrained

    base = shutil.copytree(two_bases[0], tmp_path / "base")
    save_file({"layers.0.attention.wq.weight": torch.ones(2, 2)}, str(base / "consolidated.safetensors"))
    load_pretrained(_pointed_at(lora_on_first, tmp_path, base))  # was: 'holds other weights'


def test_merge_lora_force_merges_onto_a_base_of_other_weights_and_the_refusal_names_it(two_bases, lora_on_first,
                                                                                         tmp_path, capsys):
    from rsvlm.cli import main

    other = _pointed_at(lora_on_first, tmp_path, two_bases[1])
    assert main(["merge-lora", "--model", str(other), "--out", str(tmp_path / "refused")]) == 2
    err = capsys.readouterr().err
    assert "holds other weights" in err and "rsvlm merge-lora --force" in err, err  # was: only 'remove …json'
    assert not (tmp_path / "refused").exists()
    assert main(["merge-lora", "--model", str(other), "--out", str(tmp_path / "merged"), "--force"]) == 0
    assert "rsvlm merge-lora: warning" in (err := capsys.readouterr().err) and "holds other weights" in err, err
    assert (tmp_path / "merged" / "llm" / "model.safetensors").is_file()


def test_export_of_a_step_with_a_cut_file_names_the_step_before_it_to_export(tmp_path, monkeypatch, capsys):
    """A cut trainable.safetensors was told 'resume from the step before it, ckpt.resume=…' by export_step,
    whose user exports: the step before it is named as the export to run instead."""
    from conftest import step_folders
    from script_loader import load_script

    export = load_script("export_step", monkeypatch)
    step = step_folders(tmp_path / "checkpoints")
    (step / "train_config.yaml").write_text("seed: 0\n")
    (step / "trainable.safetensors").write_bytes((step / "trainable.safetensors").read_bytes()[:-7])
    assert export.main([str(step), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    before = tmp_path / "checkpoints" / "step_000001"
    assert "trainable.safetensors" in err and "ckpt.resume" not in err, err
    assert f"export the step before it: python scripts/export_step.py {before} --out DIR" in err, err
    (step / "trainable.safetensors").unlink()  # gone: the same advice
    assert export.main([str(step), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no trainable.safetensors" in err and f"export_step.py {before} --out DIR" in err, err


@pytest.mark.parametrize("extra, says, upgrade", [
    ({"model_type": "llava_llama", "mm_vision_tower": "openai/clip"}, "converts first: rsvlm convert-llava", False),
    ({"model_type": "internlm9", "auto_map": {"AutoModelForCausalLM": "m.InternLM9ForCausalLM"}}, "code of its own",
     True),
])
def test_a_newer_transformers_is_not_all_a_llava_or_own_code_folder_is_told(base_dir, tmp_path, extra, says, upgrade):
    """b3372ac: a LLaVA folder written by a newer transformers was told to upgrade transformers, which loads none
    (convert-llava is its way in), and one naming code of its own lost that note: each keeps its own hint, the
    latter with the upgrade (a later transformers may ship the model)."""
    import json

    from rsvlm.model.llm import LLMConfig, build_llm

    base = shutil.copytree(base_dir, tmp_path / "base")
    conf = {**json.loads((base / "config.json").read_text()), **extra, "transformers_version": "99.0.0"}
    (base / "config.json").write_text(json.dumps(conf))
    with pytest.raises(ValueError, match=says) as e:
        build_llm(LLMConfig(name_or_path=str(base)))
    assert ("upgrade transformers" in str(e.value)) == upgrade, str(e.value)
