"""Model building, checkpoints and LoRA merge (tour 59)."""

from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def _tiny():
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, REPO / "configs/model/tiny.yaml")


def _count_builds(monkeypatch):
    from transformers import AutoModelForCausalLM

    orig = AutoModelForCausalLM.from_config.__func__
    devices = []

    def spy(cls, conf, **kw):
        devices.append(torch.empty(0).device.type)
        return orig(cls, conf, **kw)

    monkeypatch.setattr(AutoModelForCausalLM, "from_config", classmethod(spy))
    return devices


@pytest.mark.parametrize("source", ["config", "folder"])
def test_meta_llm_built_once_for_lora_checks(monkeypatch, base_dir, source):
    """A meta build of a LoRA model built the LLM on meta twice (LoRA checks, then build_llm); once now,
    with the same parameter shapes as a real build."""
    from rsvlm.model import create_model

    cfg = _tiny()
    if source == "folder":
        cfg.llm.name_or_path, cfg.llm.config = str(base_dir), None
    real, _ = create_model(cfg)
    devices = _count_builds(monkeypatch)
    meta, _ = create_model(cfg, device="meta")
    assert devices == ["meta"]
    assert {n: p.shape for n, p in meta.named_parameters()} == {n: p.shape for n, p in real.named_parameters()}
    assert all(p.device.type == "meta" for p in meta.parameters())


@pytest.mark.parametrize("tie", [True, False])
def test_merge_says_when_it_unties_a_tied_head_and_what_it_costs(tmp_path, tie):
    """Merging a LoRA on a tied lm_head writes the head apart (a vocabulary x width matrix more); the merge
    said nothing of it. It warns with the llm/ weights' size before and after; an untied LLM gets no note."""
    import warnings

    from test_model_checkpoint import perturb_trainables

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, merge_lora

    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                      [f"llm.config.tie_word_embeddings={str(tie).lower()}", "llm.target_modules=[q_proj,lm_head]",
                       "llm.lora_token_rows=false"])
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    perturb_trainables(model)
    ck = model.save_pretrained(tmp_path / "ck")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = merge_lora(ck, tmp_path / "merged")
    notes = [str(w.message) for w in seen if "unties" in str(w.message)]
    assert not [w for w in seen if "ensure_weight_tying" in str(w.message)]  # peft's, for what rsvlm does itself
    if not tie:
        assert notes == []
        return
    size = [sum(f.stat().st_size for f in (d / "llm").glob("*.safetensors")) / 2**20 for d in (ck, out)]
    assert size[1] > size[0]
    rows, width = model.llm.get_base_model().get_output_embeddings().weight.shape
    assert len(notes) == 1 and f"({rows} x {width}, " in notes[0]
    assert f"{size[0]:.1f} MiB -> {size[1]:.1f} MiB" in notes[0]


HF = "{hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, patch_size: 8, image_size: 32, intermediate_size: 128}"


def test_an_old_hf_clip_checkpoint_saying_sincos2d_loads_with_its_learned_positions(tmp_path):
    """Older rsvlm took pos_embed: sincos2d on an hf_clip tower without a word and trained CLIP's learned
    table; such a checkpoint was refused on load. It loads as trained (same logits), with a warning; an
    override asking for sincos2d is still refused."""
    import yaml
    from test_model_checkpoint import logits_of, make_batch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, load_pretrained

    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                      ["encoders.default.type=hf_clip", f"encoders.default.hf_config={HF}"])
    torch.manual_seed(0)
    model, proc = create_model(cfg)
    ref = logits_of(model, make_batch(proc))
    ck = model.save_pretrained(tmp_path / "ck")
    with pytest.raises(ValueError, match=r"encoders\.default\.pos_embed 'sincos2d': an hf_clip tower"):
        load_pretrained(ck, overrides=["encoders.default.pos_embed=sincos2d"])
    raw = yaml.safe_load((ck / "config.yaml").read_text())
    raw["encoders"]["default"]["pos_embed"] = "sincos2d"  # as an older rsvlm saved it
    (ck / "config.yaml").write_text(yaml.safe_dump(raw))
    with pytest.warns(UserWarning, match=r"encoders\.default\.pos_embed 'sincos2d' on an hf_clip tower.*loaded as "
                                         r"pos_embed: learned"):
        loaded, proc2 = load_pretrained(ck)
    assert loaded.cfg.encoders["default"].pos_embed == "learned"
    torch.testing.assert_close(logits_of(loaded, make_batch(proc2)), ref)


def test_a_config_json_field_of_the_wrong_type_is_named_not_a_traceback(tmp_path, ckpt):
    """"hidden_size": "64" in llm/config.json was huggingface_hub's StrictDataclassFieldValidationError
    traceback out of ``rsvlm predict``; one ValueError naming the key, folder and field now."""
    import json
    import shutil

    from rsvlm.model import load_pretrained

    ck = shutil.copytree(ckpt, tmp_path / "ck")
    conf = json.loads((ck / "llm" / "config.json").read_text())
    (ck / "llm" / "config.json").write_text(json.dumps({**conf, "hidden_size": str(conf["hidden_size"])}))
    with pytest.raises(ValueError, match=r"^llm\.name_or_path .*llm: its config\.json is not valid \(.*'hidden_size'"
                                         r".*expected int, got str"):
        load_pretrained(ck)


def _hf_llava(folder, tok):
    """A tiny random LLaVA in Hugging Face layout (LlavaForConditionalGeneration.save_pretrained) in ``folder``."""
    from conftest import tiny_llava_config
    from transformers import LlavaForConditionalGeneration

    LlavaForConditionalGeneration(tiny_llava_config(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("layout", ["hf", "original"])
def test_convert_llava_names_a_config_field_of_the_wrong_type(tmp_path, tiny_llava, layout):
    """"hidden_size": "64" in a LLaVA's config.json was huggingface_hub's validation traceback out of
    ``rsvlm convert-llava``; one error naming the file and field, and nothing left in --out."""
    import json

    from conftest import write_llava

    from rsvlm.model import convert_llava

    sd, conf, tower, tok = tiny_llava
    src = _hf_llava(tmp_path / "src", tok) if layout == "hf" else write_llava(tmp_path / "src", sd, conf, tok)
    c = json.loads((src / "config.json").read_text())
    text = c["text_config"] if layout == "hf" else c
    text["hidden_size"] = str(text["hidden_size"])
    (src / "config.json").write_text(json.dumps(c))
    with pytest.raises(ValueError, match=r"src/config\.json: not a valid config \(.*'hidden_size'.*expected int"):
        convert_llava(src, tmp_path / "out", vision_tower=None if layout == "hf" else tower)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("llava-base-")] == []


def test_a_config_json_typo_that_misshapes_the_llm_is_named(tmp_path, ckpt):
    """llm/config.json with 'hidden_sise' for 'hidden_size' built a 4096-wide LLM and ended in transformers'
    RuntimeError traceback ("You set `ignore_mismatched_sizes` to `False`"); one error naming the folder, the
    first tensor of another shape and the likely typo."""
    import json
    import shutil

    from rsvlm.model import load_pretrained

    ck = shutil.copytree(ckpt, tmp_path / "ck")
    conf = json.loads((ck / "llm" / "config.json").read_text())
    conf["hidden_sise"] = conf.pop("hidden_size")
    (ck / "llm" / "config.json").write_text(json.dumps(conf))
    with pytest.raises(ValueError, match=r"^llm\.name_or_path .*llm: its weights do not fit the LlamaForCausalLM its "
                                         r"config\.json builds: \d+ tensors? of another shape \(first: .*\); "
                                         r"config\.json has 'hidden_sise' \(did you mean 'hidden_size'\?\)"):
        load_pretrained(ck)


def _band_hints():
    """Each note and error of match_bands that tells the user to name an image's bands."""
    from rsvlm.model.stem import StemConfig, match_bands

    sar = StemConfig(modality="sar", bands=["VV", "VH"], mean=[0.5, 0.4], std=[0.2, 0.2], encoder="default")
    msi = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08"], encoder="default")
    said = [*match_bands(sar, ["b1", "b2"], 2).notes,                      # unnamed, taken in order
            *match_bands(msi, None, 1, fill="copy").notes,                 # one unnamed band
            *match_bands(msi, ["B02", "B03", "B04", "B08", "X"], 5).notes,  # a band none of the model's
            *match_bands(msi, ["B02", "B03", "B04", "R", "B08"], 5).notes]  # two bands naming one
    for bands, n, fill in [(None, 2, "copy"), (None, 13, "error"), (["X", "Y"], 2, "copy")]:
        with pytest.raises(ValueError) as e:
            match_bands(msi, bands, n, fill=fill)
        said.append(str(e.value))
    return [s for s in said if "name" in s]


def test_band_naming_hints_say_the_record_field_as_well_as_the_predict_flag():
    """match_bands said 'name them with --bands', predict's flag: in training or eval the fix is the record
    image's "bands" (chat's is /image PATH MODALITY BANDS). Every hint says both."""
    hints = _band_hints()
    assert len(hints) == 7, hints
    assert all("--bands" in h and '"bands" in a record\'s image' in h for h in hints), hints


def test_compare_weights_gives_both_shapes_of_a_tensor_of_another_shape(tmp_path):
    """A 'shape' row named the tensor and not its shapes: a LoRA of rank 4 against 8 could not be told
    from a widened layer without reading both files again."""
    from safetensors.torch import save_file

    from rsvlm.model.weights import compare_weights

    for name, rank in (("a", 4), ("b", 8)):
        save_file({"lora_A.weight": torch.zeros(rank, 16), "bias": torch.zeros(3)}, str(tmp_path / f"{name}.safetensors"))
    rows = {r["name"]: r for r in compare_weights(tmp_path / "a.safetensors", tmp_path / "b.safetensors")}
    assert rows["lora_A.weight"] == {"file": "a.safetensors", "name": "lora_A.weight", "status": "shape", "max_abs": 0.0,
                                     "shape_a": (4, 16), "shape_b": (8, 16)}
    assert rows["bias"] == {"file": "a.safetensors", "name": "bias", "status": "same", "max_abs": 0.0}
