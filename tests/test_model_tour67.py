"""Model area, tour 67: an LLM weight file's extra tensors said in rsvlm's own words, the adapter file read once
(its tied-head config.json test is test_model_review67's, beside the review's sharded case)."""

import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file


def test_an_extra_tensor_in_llm_weights_is_named_by_rsvlm_not_only_a_load_report_table(tmp_path, ckpt):
    """A tensor in llm/model.safetensors the LLM has no place for was said only by transformers' LOAD REPORT
    table, naming no folder and no cause; rsvlm now warns in one line naming the folder and the tensor too."""
    from rsvlm.model.checkpoint import load_pretrained

    d = shutil.copytree(ckpt, tmp_path / "ck")
    path = d / "llm" / "model.safetensors"
    state = load_file(str(path))
    state["model.extra_thing.weight"] = torch.zeros(3)
    save_file(state, str(path), metadata={"format": "pt"})
    with pytest.warns(UserWarning, match=r"llm\.name_or_path .*/llm: 1 tensor .* no place for, ignored "
                                         r"\(first: model\.extra_thing\.weight\)"):
        load_pretrained(d)


def test_a_checkpoint_without_extra_llm_tensors_loads_without_that_warning(ckpt, recwarn):
    from rsvlm.model.checkpoint import load_pretrained

    load_pretrained(ckpt)
    assert not [w for w in recwarn if "no place for" in str(w.message)]


def test_the_adapter_file_is_read_once(ckpt, monkeypatch):
    """peft reads adapter_model.safetensors, and rsvlm's NaN/integer check read the whole file again."""
    import peft.utils.save_and_load as peft_io
    import safetensors.torch

    from rsvlm.model.checkpoint import load_pretrained

    reads = []
    real = safetensors.torch.load_file

    def counted(filename, *a, **k):
        reads.append(str(filename))
        return real(filename, *a, **k)

    monkeypatch.setattr(safetensors.torch, "load_file", counted)
    monkeypatch.setattr(peft_io, "safe_load_file", counted)
    load_pretrained(ckpt)
    assert [r for r in reads if r.endswith("adapter_model.safetensors")] == [str(ckpt / "adapter" / "adapter_model.safetensors")]


@pytest.mark.parametrize("part", ["lora_B", "trainable_tokens_delta"])
def test_a_nan_adapter_tensor_is_named_as_the_file_names_it(tmp_path, ckpt, part):
    """The NaN check now reads the tensors peft loaded (NAME.lora_B.default.weight): the message still names the
    file's tensor (NAME.lora_B.weight)."""
    from rsvlm.model.checkpoint import load_pretrained

    d = shutil.copytree(ckpt, tmp_path / "ck")
    path = d / "adapter" / "adapter_model.safetensors"
    state = {k: v.clone() for k, v in load_file(str(path)).items()}
    key = next((k for k in sorted(state) if part in k), None)
    if key is None:
        pytest.skip(f"the tiny checkpoint's adapter has no {part}")
    state[key].view(-1)[0] = float("inf")
    save_file(state, str(path), metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"adapter_model\.safetensors: 1 weight holds NaN or inf") as err:
        load_pretrained(d)
    assert f"(first: {key})" in str(err.value)


def test_a_missing_relative_tokenizer_names_the_folders_looked_in(tmp_path, ckpt, monkeypatch):
    """config.yaml's llm.tokenizer 'tokenizer' (relative: the checkpoint's tokenizer/, else one here) gone: the
    message named only 'tokenizer', not where it was looked for."""
    from rsvlm.model.checkpoint import load_pretrained

    d = shutil.copytree(ckpt, tmp_path / "ck")
    shutil.rmtree(d / "tokenizer")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="tokenizer 'tokenizer' not found") as err:
        load_pretrained(d)
    assert f"neither {d / 'tokenizer'} nor {tmp_path / 'tokenizer'}" in str(err.value)


def test_compare_counts_every_tensor_of_another_dtype_not_only_those_of_equal_values(tmp_path, monkeypatch, capsys):
    """A float16 copy of float32 weights: every tensor differs in dtype, but the summary counted only those whose
    values came through exactly ('2 of 2 tensors differ (1 in dtype)'), as if the other differed otherwise."""
    from script_loader import load_script

    cmp = load_script("compare_checkpoints", monkeypatch)
    weights = {"exact": torch.tensor([0.5, 1.0]), "rounded": torch.tensor([0.1, 1 / 3])}
    save_file(weights, str(tmp_path / "a.safetensors"))
    save_file({k: v.half() for k, v in weights.items()}, str(tmp_path / "b.safetensors"))
    assert cmp.main([str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors")]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "2 of 2 tensors differ (2 in dtype: 1 of those equal in value)"


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_average_refuses_an_input_weight_of_nan_or_inf(tmp_path, monkeypatch, capsys, bad):
    """A diverged run's checkpoint averaged in gave a model of NaN weights, 'wrote' and exit 0 (and an LLM's
    weights are not scanned for NaN when loaded)."""
    from script_loader import load_script

    avg = load_script("average_checkpoints", monkeypatch)
    for name, value in (("a", 1.0), ("b", bad)):
        (tmp_path / name / "llm").mkdir(parents=True)
        (tmp_path / name / "config.yaml").write_text("encoders: {}\n")
        save_file({"w": torch.tensor([1.0, value])}, str(tmp_path / name / "llm" / "model.safetensors"))
        save_file({"v": torch.ones(2)}, str(tmp_path / name / "vision.safetensors"))
    out = tmp_path / "avg"
    assert avg.main([str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'b' / 'llm' / 'model.safetensors'}: tensor 'w' holds NaN or inf" in err
    assert not out.exists()
