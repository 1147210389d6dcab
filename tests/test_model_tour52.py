"""Model package, tour 52: building on the meta device; arrays that are no image (complex,
empty, channels last) and band names (lower-case S2, a band named twice); the processor's and
generate's image lists; templates' malformed messages; checkpoints whose weights or llm/ do not
fit their config or tokenizer; tensors moved to the model's device; generation settings; a chat
past the context; sharded LLaVA folders; the loc pointer's per-image grid."""

from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "model" / "tiny.yaml"


def test_create_model_on_meta_builds_the_llm_there_not_on_the_cpu_first(monkeypatch):
    from transformers import AutoModelForCausalLM

    seen = []
    real = AutoModelForCausalLM.from_config

    def spy(*a, **k):
        seen.append(torch.empty(0).device.type)  # where a fresh tensor lands while the LLM is made
        return real(*a, **k)

    monkeypatch.setattr(AutoModelForCausalLM, "from_config", spy)
    model, _ = create_model(load_config(VLMConfig, TINY), device="meta")
    assert seen and set(seen) == {"meta"}  # was "cpu": a 7B config filled 30 GB of RAM before the move to meta
    # (twice on meta where a LoRA is asked: checks.check_lora_names builds it first to check the targets)
    assert {p.device.type for p in model.parameters()} == {"meta"}
    assert torch.empty(0).device.type == "cpu"  # the default device is left as it was


@pytest.mark.parametrize("array, says", [
    ((np.ones((2, 8, 8)) + 1j).astype(np.complex64), "complex values"),  # took the real part, warning only
    (np.ones((2, 0, 8), np.float32), "empty image"),  # torch's interpolate error named no file
    (np.full((2, 8, 8), "a", dtype=object), "not numbers"),  # torch's TypeError named no file
])
def test_prepare_refuses_an_array_that_is_no_image_naming_it(array, says):
    from rsvlm.model.stem import StemConfig, prepare

    cfg = StemConfig(modality="sar", bands=["VV", "VH"], mean=[0.5, 0.4], std=[0.2, 0.2])
    with pytest.raises(ValueError, match=f"slc.tif: .*{says}"):
        prepare(cfg, array, 16, name="slc.tif")


def test_prepare_names_a_channels_last_array():
    from rsvlm.model.stem import StemConfig, prepare

    rgb = np.random.default_rng(0).random((40, 30, 3), dtype=np.float32)  # np.asarray(PIL image) / 255
    with pytest.raises(ValueError, match=r"scene.png: shape \(40, 30, 3\) looks like \(H,W,C\)"):
        prepare(StemConfig(), rgb, 16, name="scene.png")  # was: 'expects 3 band(s) … got 40'
    assert prepare(StemConfig(), rgb.transpose(2, 0, 1), 16).shape == (3, 16, 16)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return create_model(load_config(VLMConfig, TINY))


def _img(modality="optical", c=3):
    from rsvlm.model.processor import ImageInput

    return ImageInput(np.random.default_rng(0).random((c, 8, 8), dtype=np.float32), modality)


def test_processor_takes_one_image_unwrapped_and_refuses_a_flat_list_for_a_batch(tiny):
    _, proc = tiny
    one = proc("<image>\nWhat is this?", _img())  # was: TypeError 'ImageInput' object is not iterable
    assert len(one["images"]) == 1 and len(one["images"][0]) == 1
    assert (one["input_ids"] == proc.image_token_id).sum() == proc.n_tokens["optical"]
    with pytest.raises(ValueError, match="one list of images per text"):
        proc(["<image> a", "<image> b"], [_img(), _img()])


@pytest.mark.parametrize("kwargs, says", [
    ({"text": [], "images": []}, "empty batch"),  # was: 'max() arg is an empty sequence'
    ({"text": ["a", "bbb"], "padding_side": "middle"}, "padding_side"),  # was: padded on the right
])
def test_processor_refuses_an_empty_batch_and_an_unknown_padding_side(tiny, kwargs, says):
    _, proc = tiny
    with pytest.raises(ValueError, match=says):
        proc(**kwargs)


@pytest.mark.parametrize("message", [{"content": "hi"}, {"role": "user", "content": None}, "hi"])
def test_render_names_a_malformed_message(message):
    from rsvlm.model.templates import render

    with pytest.raises(ValueError, match="message 1: must be"):  # was KeyError 'role' / a TypeError
        render([{"role": "system", "content": "S"}, message], "rsvlm")


def test_load_pretrained_names_weights_of_another_shape_than_the_config(ckpt):
    from rsvlm.model import load_pretrained

    with pytest.raises(ValueError, match=r"vision.safetensors: \d+ tensors? of another shape .*config.yaml "
                                         r"with the overrides given.*class_embedding \(64,\) \(the config builds \(48,\)\)"):
        load_pretrained(ckpt, overrides=["encoders.default.width=48"])  # was torch's RuntimeError, no file named


class _Moves(torch.Tensor):
    """A tensor that records the devices it is sent to with ``.to`` (no second device on a CPU runner)."""

    sent: list = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.Tensor.to and any(isinstance(a, torch.device) for a in args[1:]):
            cls.sent.append(args[0].shape)
        return super().__torch_function__(func, types, args, kwargs or {})


def test_forward_moves_the_processors_cpu_tensors_to_the_models_device(tiny):
    model, proc = tiny
    batch = proc("<image>\n[cls] What is this?", _img())
    _Moves.sent = []
    ids, mask = batch["input_ids"].as_subclass(_Moves), batch["attention_mask"].as_subclass(_Moves)
    labels = batch["input_ids"].clone().as_subclass(_Moves)
    with torch.no_grad():
        out = model(ids, mask, batch["images"], labels=labels)
    # generate did so already; forward (the module docstring's `model(**batch, labels=labels)`) met
    # a CUDA model's embeddings with CPU ids
    assert _Moves.sent[:3] == [ids.shape] * 3
    assert torch.isfinite(out.loss)


def test_a_chat_answer_that_runs_past_the_context_warns_as_generate_does():
    from rsvlm.model.session import ChatSession

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, ["llm.config.max_position_embeddings=200"]))
    chat = ChatSession(model.eval(), proc, max_new_tokens=120, constrain=False)
    with pytest.warns(UserWarning, match=r"an answer ran \d+ tokens? past the LLM's context of 200"):
        chat.ask("What is this?", images=[_img()])  # ~150 prompt tokens + 120 new: was silent
    assert chat.stats[-1]["cache_len"] > 200




def _sharded_llava(tmp_path, parts, stale: bool, index: bool):
    """An original-layout LLaVA folder in two shards (with or without their index), and a stale
    consolidated ``model.safetensors`` of other weights beside them where ``stale``."""
    import json

    from safetensors.torch import save_file

    sd, conf, tower, tok = parts
    src = tmp_path / "src"
    src.mkdir()
    keys = sorted(sd)
    shards = {"model-00001-of-00002.safetensors": keys[::2], "model-00002-of-00002.safetensors": keys[1::2]}
    for name, ks in shards.items():
        save_file({k: sd[k].contiguous() for k in ks}, str(src / name))
    if index:
        (src / "model.safetensors.index.json").write_text(
            json.dumps({"weight_map": {k: name for name, ks in shards.items() for k in ks}}))
    if stale:  # an older download's single file, sorted after the shards: its tensors replaced theirs
        save_file({k: torch.zeros_like(v) for k, v in sd.items()}, str(src / "model.safetensors"))
    (src / "config.json").write_text(json.dumps(conf))
    tok.save_pretrained(src)
    return src, tower


def test_convert_llava_reads_the_shards_its_index_lists_not_a_stale_file_beside_them(tmp_path, tiny_llava):
    from safetensors.torch import load_file

    from rsvlm.model import convert_llava

    src, tower = _sharded_llava(tmp_path, tiny_llava, stale=True, index=True)
    with pytest.warns(UserWarning, match=r"src: model.safetensors not listed in model.safetensors.index.json: left out"):
        out = convert_llava(src, tmp_path / "out", vision_tower=tower)
    proj = load_file(str(out / "vision.safetensors"))["projectors.default.net.0.weight"]
    assert torch.equal(proj, tiny_llava[0]["model.mm_projector.0.weight"])  # was all zeros


def test_convert_llava_refuses_a_tensor_in_two_files_without_an_index(tmp_path, tiny_llava):
    from rsvlm.model import convert_llava

    src, tower = _sharded_llava(tmp_path, tiny_llava, stale=True, index=False)
    with pytest.raises(ValueError, match=r"src: \d+ tensors? in both model-00001-of-00002.safetensors and "
                                         r"model.safetensors .*remove the stale file"):
        convert_llava(src, tmp_path / "out", vision_tower=tower)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kwargs, says", [
    ({"max_new_tokens": 0}, "max_new_tokens must be an integer >= 1"),  # answered '' without a word
    ({"max_new_tokens": -3}, "max_new_tokens must be an integer >= 1"),
    ({"do_sample": True, "temperature": float("nan")}, "temperature must be > 0 and finite"),  # torch.multinomial
    ({"do_sample": True, "top_p": 2.0}, r"top_p must be in \(0, 1\]"),  # was taken as 1
])
def test_generation_settings_out_of_range_are_refused_by_generate_and_by_a_chat(tiny, kwargs, says):
    from rsvlm.model.session import ChatSession

    model, proc = tiny
    batch = proc("<image>\nWhat is this?", _img())
    with pytest.raises(ValueError, match=says):
        model.generate(**{"max_new_tokens": 4, **batch, **kwargs})
    with pytest.raises(ValueError, match=says):  # at once, not at the first question
        ChatSession(model, proc, **kwargs)


def test_generate_refuses_an_empty_prompt_by_its_row(tiny):
    model, proc = tiny
    with pytest.raises(ValueError, match="sequence 1: empty prompt"):  # was a reshape error inside the LLM
        model.generate(**proc(["What is this?", ""]), max_new_tokens=2)


def test_load_pretrained_refuses_an_llm_folder_not_saved_with_its_tokenizer(tmp_path, ckpt):
    import shutil

    from transformers import AutoConfig, AutoModelForCausalLM

    from rsvlm.model import load_pretrained

    bad = tmp_path / "ckpt"
    shutil.copytree(ckpt, bad)
    conf = AutoConfig.from_pretrained(bad / "llm")
    conf.vocab_size = 260  # the base as published, before rsvlm's tokens were added
    shutil.rmtree(bad / "llm")
    AutoModelForCausalLM.from_config(conf).save_pretrained(bad / "llm")
    with pytest.raises(ValueError, match=r"llm: 260 embedding rows, but .*tokenizer needs 1286; this llm/ was not"):
        load_pretrained(bad)  # was loaded, the <loc_N> and tag rows made anew at the mean row
    load_pretrained(ckpt)  # the checkpoint as saved loads


def test_an_open_clip_tower_of_another_width_is_named_with_the_file(tmp_path):
    from safetensors.torch import save_file

    from rsvlm.model.vision import OpenClipEncoder, VisionConfig

    small = OpenClipEncoder(VisionConfig(width=32, layers=1, heads=2, patch_size=8, image_size=32))
    save_file({f"visual.{k}": v.contiguous() for k, v in small.visual.state_dict().items()},
              str(tmp_path / "vit-b.safetensors"))
    with pytest.raises(ValueError, match=r"vit-b.safetensors: \d+ tensors? of another shape .*class_embedding "
                                         r"\(32,\) \(the config builds \(64,\)\)"):  # was torch's RuntimeError
        OpenClipEncoder(VisionConfig(width=64, layers=1, heads=4, patch_size=8, image_size=32,
                                     pretrained=str(tmp_path / "vit-b.safetensors")))


def test_lower_case_sentinel2_band_names_are_matched_by_name_not_taken_in_order():
    from rsvlm.model.stem import StemConfig, match_bands

    cfg = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08"], mean=[0.1] * 4, std=[0.1] * 4)
    m = match_bands(cfg, ["b04", "b03", "b02", "b08"], 4, "s2.tif")  # --bands b04,b03,b02,b08
    assert m.index == [2, 1, 0, 3]  # was [0, 1, 2, 3]: red fed in as blue, as 'unnamed bands'
    assert match_bands(cfg, ["b1", "b2", "b3", "b4"], 4).index == [0, 1, 2, 3]  # a reader's unnamed bands


def test_a_chat_takes_one_image_unwrapped_as_the_processor_does(tiny):
    from rsvlm.model.session import ChatSession

    model, proc = tiny
    chat = ChatSession(model.eval(), proc, max_new_tokens=2, constrain=False)
    chat.ask("What is this?", images=_img())  # was: TypeError 'ImageInput' object is not iterable
    assert chat.stats[-1]["images_encoded"] == 1 and len(chat.pixels) == 1


def test_the_loc_pointer_reads_four_images_as_four_grids_not_one_larger_grid():
    from rsvlm.model.pointer import LocPointer, LocPointerConfig
    from rsvlm.tokens import NUM_BINS

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY, ["loc_pointer.enabled=true"]))
    assert model.loc_pointer.grid == 4  # the tiny model's 16 tokens per image
    ptr = LocPointer(LocPointerConfig(enabled=True, dim=8, sigma_cells=0.3), d_llm=16)
    ptr.grid = 4
    with torch.no_grad():
        ptr.q.weight.copy_(torch.eye(8, 16) * 10)
        ptr.k.weight.copy_(torch.eye(8, 16) * 10)
        vis = torch.zeros(64, 16)  # four images of 4 × 4 tokens
        vis[2 * 16 + 1 * 4 + 2, 0] = 1.0  # the third image's row 1, column 2
        h = torch.zeros(2, 16)
        h[:, 0] = 1.0
        logp = ptr.log_prior(h, vis, torch.tensor([0, 1]))
    cell = NUM_BINS / 4  # was 1/8: 64 tokens read as one 8 × 8 image (x at 812, y at 562)
    assert int(logp[0].argmax()) == pytest.approx(2.5 * cell, abs=2)
    assert int(logp[1].argmax()) == pytest.approx(1.5 * cell, abs=2)


@pytest.mark.parametrize("bands, std, says", [
    (["B02", "B8", "B08"], [0.1, 0.1, 0.1], r"bands \['B08', 'B8'\] name one band twice"),  # fed one channel twice
    (["VV", "VH"], [0.2, float("nan")], "std must be positive"),  # every pixel came out NaN
])
def test_a_stem_config_naming_a_band_twice_or_a_nan_std_is_refused(bands, std, says):
    from rsvlm.model.stem import Stem, StemConfig

    with pytest.raises(ValueError, match=says):
        Stem(StemConfig(modality="msi", bands=bands, mean=[0.1] * len(bands), std=std), width=8)


def test_generate_takes_one_sequences_images_as_a_flat_list(tiny):
    model, proc = tiny
    batch = proc("<image>\nWhat is this?", _img())
    flat = model.generate(batch["input_ids"], batch["attention_mask"], batch["images"][0], max_new_tokens=2)
    nested = model.generate(**batch, max_new_tokens=2)  # was: TypeError 'Pixels' object is not iterable
    assert flat.tokens == nested.tokens
    two = proc(["<image> a", "<image> b"], [[_img()], [_img()]])
    with pytest.raises(ValueError, match="2 sequences take one list of images each"):
        model.generate(two["input_ids"], two["attention_mask"], [im[0] for im in two["images"]], max_new_tokens=2)


def test_load_pretrained_names_an_empty_config_yaml(tmp_path, ckpt):
    import shutil

    from rsvlm.config import ConfigError
    from rsvlm.model import load_pretrained

    shutil.copytree(ckpt, tmp_path / "ckpt")
    (tmp_path / "ckpt" / "config.yaml").write_text("")
    with pytest.raises(ConfigError, match=r"ckpt/config.yaml: empty"):  # was 'LLM base None not found'
        load_pretrained(tmp_path / "ckpt")


def test_band_notes_name_a_channels_last_array_as_prepare_does(tiny):
    from rsvlm.model.processor import ImageInput

    _, proc = tiny
    hwc = ImageInput(np.zeros((40, 30, 3), np.float32), "optical", name="scene.png")
    with pytest.raises(ValueError, match=r"scene.png: shape \(40, 30, 3\) looks like \(H,W,C\)"):
        proc.band_notes(hwc)  # checked before the model runs: was 'expects 3 band(s) … got 40'


def test_create_model_on_meta_takes_a_pretrained_llm_folder_by_its_config(base_dir):
    cfg = load_config(VLMConfig, TINY, [f"llm.name_or_path={base_dir}", "llm.config=null"])
    model, _ = create_model(cfg, device="meta")  # was transformers' RuntimeError (from_pretrained under meta)
    assert {p.device.type for p in model.parameters()} == {"meta"}
    assert model.llm.get_input_embeddings().weight.shape[0] == len(model.tokenizer)
