"""Rough edges of loading a model and asking it (the model / chat / predict tour)."""

import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, load_pretrained
from rsvlm.model.llm import build_llm

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs/model/tiny.yaml"


def test_a_quick_llm_load_draws_no_progress_bar_and_leaves_transformers_hook_alone(base_dir, capfd):
    from transformers.utils import logging as hf_logging

    cfg = load_config(VLMConfig, TINY).llm
    cfg.name_or_path, cfg.config = str(base_dir), None
    build_llm(cfg, bar_delay_s=0)  # the bar as transformers draws it: this test can see one
    assert "Loading weights" in capfd.readouterr().err
    build_llm(cfg)  # every `rsvlm predict` / `chat` printed "Loading weights: 100%|...| 39/39"
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.set_tqdm_hook(None) is None  # the hook is taken off again


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_missing_or_pickled_checkpoint_parts_are_named_before_the_model_is_built(ckpt, tmp_path):
    # a .bin LLM loaded silently through pickle; a missing tokenizer/ was looked up on the hub
    # (an OSError traceback about huggingface.co); a vision.pt was "No such file ... vision.safetensors"
    d = _copy(ckpt, tmp_path / "bin_llm")
    torch.save(load_file(str(d / "llm" / "model.safetensors")), d / "llm" / "pytorch_model.bin")
    (d / "llm" / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"llm: no \*\.safetensors LLM weights; it holds pytorch_model\.bin"):
        load_pretrained(d)

    d = _copy(ckpt, tmp_path / "no_tok")
    shutil.rmtree(d / "tokenizer")
    with pytest.raises(FileNotFoundError, match="tokenizer 'tokenizer' not found"):
        load_pretrained(d)

    d = _copy(ckpt, tmp_path / "pt_vision")
    torch.save(load_file(str(d / "vision.safetensors")), d / "vision.pt")
    (d / "vision.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"no vision\.safetensors .*it holds vision\.pt"):
        load_pretrained(d)

    d = _copy(ckpt, tmp_path / "bin_adapter")
    (d / "adapter" / "adapter_model.safetensors").rename(d / "adapter" / "adapter_model.bin")
    with pytest.raises(FileNotFoundError, match="adapter: no adapter_model.safetensors .*adapter_model.bin"):
        load_pretrained(d)


def test_cli_names_a_pickled_llm_without_a_traceback(ckpt, tmp_path, capsys):
    from rsvlm.cli import main

    d = _copy(ckpt, tmp_path / "ck")
    (d / "llm" / "model.safetensors").rename(d / "llm" / "pytorch_model.bin")
    img = REPO / "rsvlm/assets/samples/harbour_optical.png"
    assert main(["predict", "--model", str(d), "--image", str(img), "--task", "cls", "--device", "cpu"]) == 2
    assert "no *.safetensors LLM weights" in capsys.readouterr().err


@pytest.mark.parametrize("part, says", [
    ("llm/model.safetensors", r"llm\.name_or_path: .*llm/model\.safetensors: not a readable safetensors file"),
    ("llm/config.json", r"llm\.name_or_path .*llm: cannot be read \(OSError: .*config\.json"),
    ("tokenizer/tokenizer.json", r"llm\.tokenizer .*tokenizer: cannot be read \(JSONDecodeError"),
    # was 'adapter …/adapter: cannot be read (SafetensorError …)': the folder, not the file cut (stop 76)
    ("adapter/adapter_model.safetensors", r"adapter/adapter_model\.safetensors: not a readable safetensors file \("),
    ("adapter/adapter_config.json", r"adapter .*adapter: cannot be read"),
])
def test_a_cut_file_of_a_checkpoint_is_one_error_naming_it(ckpt, tmp_path, part, says):
    # tracebacks from safetensors, transformers and peft (KeyError: 'peft_type'), or a bare
    # "Expecting value: line 11 column 17" that named no file
    d = _copy(ckpt, tmp_path / "ck")
    (d / part).write_bytes((d / part).read_bytes()[:40])
    with pytest.raises(ValueError, match=says):
        load_pretrained(d)


def test_model_pointing_into_a_checkpoint_or_at_a_bare_adapter_says_what_it_is(ckpt, tmp_path, capsys):
    from rsvlm.cli import main

    img = str(REPO / "rsvlm/assets/samples/harbour_optical.png")
    bare = shutil.copytree(ckpt / "adapter", tmp_path / "my_lora")
    for model, says in [(ckpt / "adapter", f"it is the adapter/ of the checkpoint {ckpt}: load that folder"),
                        (ckpt / "llm", f"it is the llm/ of the checkpoint {ckpt}"),
                        (bare, "it is a bare peft LoRA adapter")]:  # all were a plain "(no config.yaml)"
        assert main(["predict", "--model", str(model), "--image", img, "--task", "cls"]) == 2
        assert says in capsys.readouterr().err
        with pytest.raises(FileNotFoundError, match="bare peft" if model == bare else "load that folder"):
            load_pretrained(model)


def test_a_score_is_never_moved_onto_another_shape_of_a_broken_answer():
    from types import SimpleNamespace

    from rsvlm import inference as inf

    img = SimpleNamespace(width=100, height=100, window=None, scene_size=None, georeferenced=False)
    # free decoding: a closed box cut to 2 locations is dropped (its score stays), the unclosed
    # point after it is recovered without one; the box's 0.9 went to the point
    broken = "<box><loc_1><loc_2></box><point><loc_10><loc_20>"
    r = inf.locate(broken, img, [0.9])
    assert [o["kind"] for o in r["objects"]] == ["point"] and "score" not in r["objects"][0]
    ok = inf.locate("<box><loc_1><loc_2><loc_3><loc_4></box><point><loc_10><loc_20></point>", img, [0.9, 0.3])
    assert [o["score"] for o in ok["objects"]] == [0.9, 0.3]


def test_saving_a_small_checkpoint_draws_no_progress_bar(tmp_path, capfd):
    from rsvlm.model import create_model

    model, _ = create_model(load_config(VLMConfig, TINY))
    capfd.readouterr()
    model.save_pretrained(tmp_path / "ck")  # "Writing model shards: 100%|...| 1/1" at every save
    assert (tmp_path / "ck" / "llm").is_dir() and "Writing model shards" not in capfd.readouterr().err
