"""Tour 63 (helper M) of the model: a LoRA adapter folder, or an adapter-only rsvlm checkpoint, given as the LLM."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_model_llava import llava_dir  # noqa: F401 (a fixture)

REPO = Path(__file__).resolve().parents[1]


def _cfg(base, *over: str):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                       [f"llm.name_or_path={base}", "llm.config=null", f"llm.tokenizer={base}", *over])


@pytest.fixture(scope="module")
def adapter_ckpt(base_dir, tmp_path_factory):
    """An adapter-only rsvlm checkpoint (LoRA on the LLM, rsvlm's token rows trained): adapter/, no llm/."""
    from rsvlm.model import create_model, save_pretrained

    model, _ = create_model(_cfg(base_dir, "trainable.llm=lora"))
    out = tmp_path_factory.mktemp("ckpt") / "final"
    save_pretrained(model, out, adapter_only=True)
    assert (out / "adapter" / "adapter_config.json").is_file() and not (out / "llm").exists()
    return out


def _peft_adapter(base, out: Path, **kw) -> Path:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    get_peft_model(AutoModelForCausalLM.from_pretrained(base), LoraConfig(r=2, target_modules=["q_proj"], **kw)) \
        .save_pretrained(out)
    return out


def test_an_rsvlm_checkpoints_adapter_as_the_llm_is_refused_pointing_to_merge_lora(adapter_ckpt, base_dir):
    """It passed the checks and every run crashed building the LLM (its token rows past the base's: IndexError;
    a traceback, exit 1), whatever trainable.llm was."""
    from rsvlm.model import create_model
    from rsvlm.model.checks import check_model_files

    adapter = adapter_ckpt / "adapter"
    for trainable in ("lora", "full", "frozen"):
        cfg = _cfg(adapter, f"trainable.llm={trainable}", f"llm.tokenizer={adapter_ckpt / 'tokenizer'}")
        with pytest.raises(ValueError) as e:
            check_model_files(cfg)
        msg = str(e.value)
        assert msg.startswith(f"model.llm.name_or_path: {adapter} is the LoRA adapter of the rsvlm checkpoint "
                              f"{adapter_ckpt}"), msg
        assert f"rsvlm merge-lora --model {adapter_ckpt} --out DIR" in msg and "DIR/llm" in msg, msg
    with pytest.raises(ValueError, match="merge-lora"):
        create_model(cfg)


def test_an_adapter_only_checkpoint_as_the_llm_is_told_to_merge_first(adapter_ckpt):
    """It was told only that it 'holds no Hugging Face model'; the hint naming <folder>/llm came only with an llm/."""
    from rsvlm.model.checks import check_model_files

    with pytest.raises(FileNotFoundError) as e:
        check_model_files(_cfg(adapter_ckpt))
    msg = str(e.value)
    assert f"{adapter_ckpt} holds no Hugging Face model" in msg, msg
    assert f"is an rsvlm checkpoint whose LLM is a LoRA adapter on its base: merge it first (rsvlm merge-lora " \
           f"--model {adapter_ckpt} --out DIR) and give DIR/llm" in msg, msg


@pytest.mark.parametrize("kw", [{"trainable_token_indices": [5, 6, 7]}, {"modules_to_save": ["lm_head"]}],
                         ids=["tokens", "modules"])
def test_a_peft_adapter_training_rows_or_modules_is_refused_naming_them(tmp_path, base_dir, kw):
    """build_llm crashed resizing it to rsvlm's tokens: "'TrainableTokensWrapper' object has no attribute
    'num_embeddings'", or transformers' 'Old language model head is of type ModulesToSaveWrapper'."""
    from rsvlm.model.llm import LLMConfig, build_llm

    adapter = _peft_adapter(base_dir, tmp_path / "adapter", **kw)
    with pytest.raises(ValueError) as e:
        build_llm(LLMConfig(name_or_path=str(adapter), tokenizer=str(base_dir)))
    msg = str(e.value)
    key = next(iter(kw))
    assert msg.startswith(f"llm.name_or_path: {adapter} is a peft adapter (adapter_config.json) on {base_dir}"), msg
    assert f"it also trains {key}: " in msg and "merge_and_unload()" in msg, msg


def test_a_model_on_a_plain_peft_adapter_is_refused_and_the_merge_it_names_trains(tmp_path, base_dir):
    """A model built on a LoRA adapter's folder saved that adapter alone as its llm/ (a full run's training lost)
    and the checkpoint could not be loaded ('no *.safetensors LLM weights'); the merge the error gives works."""
    from peft import AutoPeftModelForCausalLM

    from rsvlm.model import create_model
    from rsvlm.model.checks import check_model_files

    adapter = _peft_adapter(base_dir, tmp_path / "adapter")
    cfg = _cfg(adapter, "trainable.llm=full")
    for check in (check_model_files, create_model):
        with pytest.raises(ValueError, match="saves the adapter alone as its LLM") as e:
            check(cfg)
        assert f"{adapter} is a peft adapter (adapter_config.json) on {base_dir}" in str(e.value)
    merged = tmp_path / "merged"
    AutoPeftModelForCausalLM.from_pretrained(adapter).merge_and_unload().save_pretrained(merged)
    check_model_files(_cfg(merged, f"llm.tokenizer={base_dir}"))
    model, _ = create_model(_cfg(merged, f"llm.tokenizer={base_dir}", "trainable.llm=full"))
    assert not any("lora" in k for k in model.state_dict())


def test_a_config_yaml_edited_to_build_a_smaller_projector_is_refused_naming_the_tensors(tmp_path):
    """projector.type mlp2x_gelu edited to linear loaded the MLP's first layer alone as the projector (another
    model, whose answers are noise): 'unexpected keys ignored' was the only word. A stem the config leaves out
    still warns (test_model_checkpoint)."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, load_pretrained, save_pretrained

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml"))
    save_pretrained(model, tmp_path / "ck")
    conf = tmp_path / "ck" / "config.yaml"
    text = conf.read_text()
    assert "type: mlp2x_gelu" in text
    conf.write_text(text.replace("type: mlp2x_gelu", "type: linear", 1))
    with pytest.raises(ValueError) as e:
        load_pretrained(tmp_path / "ck")
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 'ck' / 'vision.safetensors'}: 4 tensors of parts that {conf} builds "
                          "without them (projectors.default.net.2.bias"), msg


def test_checkpoints_whose_config_files_differ_in_comments_alone_are_averaged(tmp_path):
    """A config.yaml annotated by hand (a comment) or a config.json re-saved with another indent was refused as
    'differs …: only checkpoints of one config and tokenizer can be averaged', naming no setting; a real change
    is still refused, naming it."""
    import json

    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, save_pretrained
    from rsvlm.model.weights import average_checkpoints

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", ["trainable.llm=full"]))
    for name in ("a", "b"):
        save_pretrained(model, tmp_path / name)
    conf = tmp_path / "b" / "config.yaml"
    conf.write_text("# soup ingredient 2 (lr 1e-4)\n" + conf.read_text())
    llm_conf = tmp_path / "b" / "llm" / "config.json"
    llm_conf.write_text(json.dumps(json.loads(llm_conf.read_text()), indent=4, sort_keys=True))
    average_checkpoints([tmp_path / "a", tmp_path / "b"], tmp_path / "avg", progress=False)
    assert (tmp_path / "avg" / "config.yaml").read_bytes() == (tmp_path / "a" / "config.yaml").read_bytes()
    conf.write_text(conf.read_text().replace("pool: 1", "pool: 2", 1))
    with pytest.raises(ValueError, match=r"config.yaml differs from .*\(projector.pool: 1 → 2\)"):
        average_checkpoints([tmp_path / "a", tmp_path / "b"], tmp_path / "avg2", progress=False)


def _llava_variant(src: Path, dest: Path, **conf_changes) -> Path:
    import json
    import shutil

    shutil.copytree(src, dest)
    conf = json.loads((dest / "config.json").read_text())
    conf.update(conf_changes)
    (dest / "config.json").write_text(json.dumps(conf))
    return dest


def test_a_llava_next_is_refused_by_convert_llava_naming_what_makes_it_one(tmp_path, llava_dir):  # noqa: F811
    """An HF-layout LLaVA-NeXT (model_type llava_next) was converted as a LLaVA-1.5 without a word (its tiles and
    image_newline dropped); an original-layout 1.6 (anyres, model.image_newline) was 'LLM weights do not fit llama:
    missing [], unexpected ['model.image_newline']'."""
    import torch
    from safetensors.torch import save_file
    from test_model_llava import original_layout

    from rsvlm.model import convert_llava

    src, hf, _ = llava_dir
    nxt = _llava_variant(src, tmp_path / "next", model_type="llava_next",
                         architectures=["LlavaNextForConditionalGeneration"])
    with pytest.raises(ValueError, match=r"model_type 'llava_next' is not LLaVA-1.5's \('llava'\); only LLaVA-1.5 "):
        convert_llava(nxt, tmp_path / "out")
    sd, conf = original_layout(hf)
    orig = tmp_path / "orig16"
    orig.mkdir()
    save_file({**sd, "model.image_newline": torch.zeros(64)}, orig / "model.safetensors")
    (orig / "config.json").write_text(__import__("json").dumps({**conf, "image_aspect_ratio": "anyres",
                                                                "mm_patch_merge_type": "spatial_unpad"}))
    for f in src.glob("tokenizer*"):
        (orig / f.name).write_bytes(f.read_bytes())
    with pytest.raises(ValueError, match=r"image_aspect_ratio 'anyres' is LLaVA-1.6 \(NeXT\)'s"):
        convert_llava(orig, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_llm_folder_whose_config_json_builds_fewer_layers_than_saved_is_refused(tmp_path, base_dir):
    """num_hidden_layers edited down (2 -> 1) loaded the model with its last layer dropped: transformers' table of
    UNEXPECTED tensors was the only word."""
    import json
    import shutil

    from rsvlm.model.llm import LLMConfig, build_llm

    folder = tmp_path / "llm"
    shutil.copytree(base_dir, folder)
    conf = json.loads((folder / "config.json").read_text())
    assert conf["num_hidden_layers"] == 2
    (folder / "config.json").write_text(json.dumps({**conf, "num_hidden_layers": 1}))
    with pytest.raises(ValueError) as e:
        build_llm(LLMConfig(name_or_path=str(folder)))
    assert str(e.value) == (f"llm.name_or_path {folder}: its weights hold 1 layer the LlamaForCausalLM its "
                            "config.json builds has not (model.layers.1), which would be dropped; is config.json the "
                            "one saved with them (num_hidden_layers)?")
    build_llm(LLMConfig(name_or_path=str(base_dir)))  # the folder as saved loads
