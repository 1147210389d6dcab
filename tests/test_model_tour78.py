"""Tour 78 (area A): ``HFConfigError.key`` survives pickling (pinned); a bf16 full save of a LoRA model named back at its
bf16 base loads in float32; the transformers-source scan takes no local variable for another model's field."""

import pickle
from pathlib import Path

import pytest
import torch
from setup_helpers import lora_save


def test_an_hf_config_errors_key_survives_pickling():
    """Stop 77 listed ``key`` as lost when pickled (a rank or worker sending the error on). It is not:
    BaseException's pickling rebuilds from ``args`` (the message; ``key`` defaults) and then restores the instance
    ``__dict__``, ``key`` and notes with it. Pinned, so a ``key`` moved into ``__slots__`` or made required fails here."""
    from rsvlm.model.llm_files import HFConfigError

    error = HFConfigError("llm.config.hidden_sise is not a LlamaConfig field", "llm.config.hidden_sise")
    error.add_note("a note")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is HFConfigError and str(back) == str(error)
    assert back.key == "llm.config.hidden_sise" and back.__notes__ == ["a note"]


def lora_save_of(base_dtype, save_dtype, tmp_path):
    """setup_helpers.lora_save's (checkpoint, base), its ``llm/`` and ``llm.base_vocab`` checked."""
    ckpt, base = lora_save(tmp_path, base_dtype, save_dtype)
    assert (ckpt / "llm").is_dir() and "base_vocab: 260" in (ckpt / "config.yaml").read_text()
    return ckpt, base


@pytest.mark.parametrize("base_dtype", [torch.bfloat16, torch.float32])
def test_a_bf16_lora_save_named_back_at_its_base_loads_in_float32(tmp_path, base_dtype):
    """Was refused ('lm_head.weight holds other values'): the float32 build draws rsvlm's token rows unrounded,
    the bf16 save holds them rounded; rounded to bf16 they are the save's, so this is the model saved (a CPU user
    loads float32: no bf16 matmul speed there)."""
    from rsvlm.model.checkpoint import load_pretrained

    ckpt, base = lora_save_of(base_dtype, torch.bfloat16, tmp_path)
    model, _ = load_pretrained(ckpt, dtype="float32", overrides=[f"llm.name_or_path={base}"])
    assert model.llm.get_input_embeddings().weight.dtype == torch.float32


def test_a_base_of_other_values_is_still_refused_when_the_save_is_narrower(tmp_path):
    """The rounding rule compares in the stored dtype: a base changed beyond bf16's rounding is another model."""
    from safetensors.torch import load_file, save_file

    from rsvlm.model.checkpoint import load_pretrained

    ckpt, base = lora_save_of(torch.float32, torch.bfloat16, tmp_path)
    sd = load_file(str(base / "model.safetensors"))
    sd["model.norm.weight"] = sd["model.norm.weight"] + 0.25
    save_file(sd, str(base / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"model\.norm\.weight holds other values than .*llm/model\.safetensors"):
        load_pretrained(ckpt, dtype="float32", overrides=[f"llm.name_or_path={base}"])


def test_same_values_rounds_only_a_wider_build_to_the_stored_dtype():
    from rsvlm.model.own_llm import same_values

    built = torch.tensor([1.0001, 2.0])  # float32; bf16 rounds 1.0001 to 1.0
    assert same_values(built.bfloat16(), built)  # stored narrower: the build rounded is the save
    assert same_values(built, built.bfloat16())  # built narrower: compared in the built dtype, as before
    assert not same_values(torch.tensor([1.0, 2.5]).bfloat16(), built)


@pytest.mark.parametrize("key", ["i", "Args", "config_dict", "rope_parameters_factor", "legacy_vision_config"])
def test_the_source_scan_takes_no_local_variable_or_docstring_line_for_a_field(key):
    """The text alone took 195 such names for another model's fields (transformers 5.23): ``config_dict = …`` in a
    method body, ``    Args:`` in a docstring."""
    from rsvlm.model.llm_files import other_models_field

    assert other_models_field(key) == []


@pytest.mark.parametrize("key, model", [("moe_intermediate_size", "qwen2_moe"), ("original_max_position_embeddings",
                                                                                  "phi3"), ("hidden_sizes", "resnet")])
def test_the_source_scan_still_finds_a_class_field(key, model):
    from rsvlm.model.llm_files import other_models_field

    assert model in other_models_field(key)


def test_defines_reads_a_field_an_init_argument_self_and_a_legacy_kwargs_pop():
    from rsvlm.model.llm_files import defines_field

    source = ('class C:\n    """\n    Args:\n        a: one\n    """\n    a: int = 1\n\n'
              '    def __init__(self, b=2, **kwargs):\n        c = 3\n        self.d = c\n'
              '        e = kwargs.pop("e", None)\n        f = other.pop("f")\n')
    assert [k for k in "abcdef" if defines_field(source, k)] == ["a", "b", "d", "e"]
    assert not defines_field(source, "Args")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (a folder no one can make folders in)")
def test_an_out_folder_nothing_can_be_written_in_is_refused_before_the_model_loads(tmp_path):
    """``rsvlm merge-lora --out /proc/x`` loaded the model (35 s on the tiny one) and then said only
    "[Errno 2] No such file or directory: '/proc/x'"; as root, mode bits never refuse, so it is tried."""
    from rsvlm.model.out_folder import check_new_folder

    with pytest.raises(PermissionError, match=r"^/proc/rsvlm_x/merged: cannot write in /proc \(.*\); merge into a "
                                              r"folder you can write$"):
        check_new_folder(Path("/proc/rsvlm_x/merged"), "merged checkpoint", "merge")
    check_new_folder(tmp_path / "new" / "merged", "merged checkpoint", "merge")
    check_new_folder(tmp_path, "merged checkpoint", "merge")  # empty: written into
    assert list(tmp_path.iterdir()) == []  # the check's own folder is gone


class _System:
    """Pickles as a call of os.system: what a hostile pytorch_model.bin holds."""

    def __init__(self, flag):
        self.flag = flag

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.flag}",)


def test_a_bin_holding_pickled_code_is_refused_naming_it_and_its_code_never_runs(tmp_path, tiny_llava):
    """Refused before too, but the message quoted torch's advice to load it with weights_only=False (run its
    code), cut at 200 characters, then told a LLaVA user to fetch open_clip's safetensors release."""
    from conftest import write_llava

    from rsvlm.model import convert_llava

    sd, conf, tower, tok = tiny_llava
    src = write_llava(tmp_path / "llava", {}, conf, tok)
    (src / "model.safetensors").unlink()
    flag = tmp_path / "ran"
    torch.save({**sd, "x": _System(flag)}, src / "pytorch_model.bin")
    with pytest.raises(ValueError) as e:
        convert_llava(src, tmp_path / "out", vision_tower=tower)
    said = str(e.value)
    assert said.startswith(f"{src / 'pytorch_model.bin'}: not a plain tensor state dict (pickled objects: ")
    assert "system, which rsvlm never unpickles); re-save it with safetensors" in said
    assert "weights_only" not in said and "open_clip" not in said and not flag.exists()


def test_a_plain_bin_checkpoint_converts_as_its_safetensors_does(tmp_path, tiny_llava):
    """GeoChat-7B ships pytorch_model-*.bin: read with weights_only=True (tensors only), so it must not be refused."""
    from conftest import write_llava
    from safetensors.torch import load_file

    from rsvlm.model import convert_llava

    sd, conf, tower, tok = tiny_llava
    src = write_llava(tmp_path / "llava", {}, conf, tok)
    (src / "model.safetensors").unlink()
    torch.save(sd, src / "pytorch_model.bin")
    with pytest.warns(UserWarning, match="holds no vision tower weights"):
        out = convert_llava(src, tmp_path / "out", vision_tower=tower)
    proj = load_file(str(out / "vision.safetensors"))["projectors.default.net.0.weight"]
    assert torch.equal(proj, sd["model.mm_projector.0.weight"])


def test_a_llava_folder_without_its_projector_is_refused_before_the_llm_is_built(tmp_path, tiny_llava, monkeypatch):
    """Was 'vision weights do not fit: missing [projectors.default.net.0.weight, …]' after the LLM was built and
    saved, saying nothing of a stage-1 ``mm_projector.bin`` saved apart; refused before the tower is read (no
    'holds no vision tower weights' warning first)."""
    import warnings

    from conftest import write_llava

    from rsvlm.model import convert_llava

    sd, conf, tower, tok = tiny_llava
    src = write_llava(tmp_path / "llava", {k: v for k, v in sd.items() if "mm_projector" not in k}, conf, tok)
    (src / "mm_projector.bin").write_bytes(b"")
    with pytest.raises(ValueError, match=rf"^{src}: holds no projector weights \(no model\.mm_projector\.\* tensor\); "
                                         r"mm_projector\.bin beside it is a projector saved apart .*; give the folder "
                                         r"of the whole LLaVA-1\.5 / GeoChat checkpoint \(LLM and projector\)$"):
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            convert_llava(src, tmp_path / "out", vision_tower=tower)
    assert [str(w.message) for w in said] == []
    assert not (tmp_path / "out").exists()


def test_compare_says_a_checkpoint_against_its_merge_differs_by_design(tmp_path, ckpt, monkeypatch, capsys):
    """Was a list of llm/ tensors differing and an adapter 'only in A', nothing saying B is A merged."""
    from script_loader import load_script

    from rsvlm.model import merge_lora

    merged = merge_lora(ckpt, tmp_path / "merged")
    compare = load_script("compare_checkpoints", monkeypatch)
    assert compare.main([str(ckpt), str(merged)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"note: {merged} is {ckpt} merged (rsvlm merge-lora: its merged_lora.json records {ckpt}'s adapter), so its "
        f"llm/ holds W + BA where {ckpt} keeps W and adapter/ apart: they differ by design")
    assert compare.main([str(merged), str(ckpt)]) == 1  # either way round
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"note: {merged} is {ckpt} merged")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (a folder no one can make folders in)")
def test_a_script_told_of_an_unwritable_out_says_nothing_was_written(tmp_path, monkeypatch, capsys):
    """export_step's refusal ended '…; nothing exported, what it wrote to /proc/x removed' though it wrote nothing."""
    from script_loader import load_script

    export = load_script("export_step", monkeypatch)
    step = tmp_path / "step_000002"
    step.mkdir()
    (step / "train_config.yaml").write_text("")
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(step / "trainable.safetensors"))
    assert export.main([str(step), "--out", "/proc/rsvlm_x"]) == 2
    assert capsys.readouterr().err.strip() == ("error: /proc/rsvlm_x: cannot write in /proc (No such file or directory);"
                                               " export into a folder you can write")
