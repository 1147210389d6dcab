"""Tour 79 of model building and checkpoints: a script's warnings as one line each, a mapping override for the whole
llm section, pickled code in a torch file told from its opcodes."""

import argparse
import shutil
import sys
import warnings

import pytest
from conftest import REPO
from setup_helpers import lora_save, torch_load_reworded


def _lora_cfg(base):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                       [f"llm.name_or_path={base}", "llm.config=null", f"llm.tokenizer={base}", "trainable.llm=lora"])


def test_export_step_says_the_no_fingerprint_note_as_one_warning_line(base_dir, tmp_path, monkeypatch, capsys):
    """A LoRA step on a base of pytorch_model.bin alone: the export printed save_pretrained's note as Python's two
    lines ('…/vlm.py:355: UserWarning: …' and the source line); now one 'warning: …' line, before 'wrote …'."""
    import torch
    from safetensors.torch import load_file

    from rsvlm.model import create_model
    from rsvlm.model.base_print import FINGERPRINT
    from rsvlm.train import loop

    sys.path.insert(0, str(REPO / "scripts"))
    import export_step as script

    base = shutil.copytree(base_dir, tmp_path / "binbase")
    torch.save(load_file(base / "model.safetensors"), base / "pytorch_model.bin")
    (base / "model.safetensors").unlink()
    step = tmp_path / "checkpoints" / "step_000002"
    step.mkdir(parents=True)
    (step / "train_config.yaml").write_text("objective: lm\n")
    model, _ = create_model(_lora_cfg(base))

    def fake_export(folder, out):  # the real save of a LoRA step, without a training run to build it from
        model.save_pretrained(out, adapter_only=True)
        return out

    monkeypatch.setattr(loop, "export_step", fake_export)
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # as a script run's: pytest's own recording is not what a user sees
        assert script.main([str(step), "--out", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: {tmp_path / 'out' / 'adapter'}: no {FINGERPRINT} "
                                                   f"written: the base {base} has no safetensors weights"), err
    assert "UserWarning" not in err and "vlm.py" not in err
    assert out.startswith("wrote ")
    # the note said only that another base would go uncaught; every load refuses this base, as it now says
    assert "only pickled ones (pytorch_model.bin), which rsvlm chat, eval and merge-lora do not load" in lines[0]
    from rsvlm.model import load_pretrained

    with pytest.raises(FileNotFoundError, match="binbase: no [*].safetensors LLM weights; it holds pytorch_model.bin"):
        load_pretrained(tmp_path / "out")


def test_script_write_names_a_category_and_keeps_a_failed_writes_warning(tmp_path, capsys):
    from rsvlm.model.out_folder import script_write

    def write():
        warnings.warn("first\n  note", stacklevel=2)
        warnings.warn("old key", DeprecationWarning, stacklevel=2)
        raise ValueError("refused")

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert script_write(write, tmp_path / "o", True, "failed", "interrupted") == 2
    assert capsys.readouterr().err.splitlines() == ["warning: first note", "warning (DeprecationWarning): old key",
                                                    "error: refused"]
    assert warnings.showwarning is not None and warnings.showwarning.__name__ != "one_line_warning"


@pytest.mark.parametrize("override, said", [
    ("llm={config: {hidden_size: 64}}", "; its llm.config would not be used anyway: the LLM is "
                                        "loaded from llm, whose config.json sets its model"),
    ("llm={chat_template: rsvlm}", ""),
])
def test_a_mapping_for_the_whole_llm_section_is_blamed_not_the_config_yaml(ckpt, override, said):
    """``llm={config: {hidden_size: 64}}`` replaced the whole llm section, and the refusal blamed the checkpoint's
    config.yaml ('names no LLM'), which names one; the override is named, with what to give instead."""
    from rsvlm.config import ConfigError
    from rsvlm.model import load_pretrained

    with pytest.raises(ConfigError) as e:
        load_pretrained(ckpt, overrides=[override])
    assert str(e.value) == (f"override {override!r}: names no LLM (llm.name_or_path): a mapping for llm replaces the "
                            f"whole llm section of {ckpt / 'config.yaml'}, its llm.name_or_path (llm) with it; give "
                            f"the keys one by one (llm.KEY=VALUE){said}")


def test_llm_name_or_path_null_is_blamed_on_the_override(ckpt):
    from rsvlm.config import ConfigError
    from rsvlm.model import load_pretrained

    with pytest.raises(ConfigError, match=r"^override 'llm.name_or_path=null': names no LLM \(llm.name_or_path\), "
                                          r"where .*config.yaml names llm; drop it$"):
        load_pretrained(ckpt, overrides=["llm.name_or_path=null"])


def test_a_mapping_naming_the_llm_has_its_config_said_unused_like_a_dotted_key(ckpt):
    """``llm={name_or_path: llm, tokenizer: tokenizer, config: {…}}`` loads, its config unread without a word; now
    said as ``llm.config.hidden_size=…`` is, naming the unused key inside it."""
    from rsvlm.model import load_pretrained

    o = "llm={name_or_path: llm, tokenizer: tokenizer, config: {hidden_size: 8}}"
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        model, _ = load_pretrained(ckpt, overrides=[o])
    notes = [str(w.message) for w in said if "not used" in str(w.message)]
    assert notes == [f"override llm.config in {o!r} not used: the LLM is loaded from {ckpt / 'llm'}, whose config.json "
                     "sets its model and whose weights it keeps (llm.config and llm.loc_init build a random LLM only "
                     "where llm.name_or_path names none); drop it"]
    assert model.llm.config.hidden_size != 8
    from rsvlm.model.own_llm import unused_llm_config

    assert unused_llm_config(["llm={name_or_path: x, config: null}", "llm={config: {}}"], "x") is None


@pytest.mark.parametrize("zipped", [True, False])
def test_pickled_objects_are_named_from_the_opcodes_not_torchs_wording(tmp_path, monkeypatch, zipped):
    """Old-style and zip ``.bin``: the class a file pickles is named though torch's error says nothing of it
    (its wording may change); a plain state dict loads; a pickled module is named too; nothing is unpickled."""
    import torch

    from rsvlm.model import vision
    from rsvlm.model.pickle_scan import foreign_global, pickled_globals

    plain = {"w": torch.randn(2, 3), "p": torch.nn.Parameter(torch.ones(1)), "h": torch.zeros(2, dtype=torch.bfloat16)}
    torch.save(plain, tmp_path / "plain.bin", _use_new_zipfile_serialization=zipped)
    torch.save({"args": argparse.Namespace(lr=1), **plain}, tmp_path / "ns.bin", _use_new_zipfile_serialization=zipped)
    torch.save(torch.nn.Linear(2, 2), tmp_path / "mod.bin", _use_new_zipfile_serialization=zipped)
    assert "torch._utils._rebuild_tensor_v2" in pickled_globals(tmp_path / "plain.bin")
    assert foreign_global(tmp_path / "plain.bin") is None
    assert set(vision.read_state_dict(tmp_path / "plain.bin")) == {"w", "p", "h"}
    assert foreign_global(tmp_path / "mod.bin") == "torch.nn.modules.linear.Linear"
    torch_load_reworded(monkeypatch)  # a torch whose refusal names no GLOBAL
    with pytest.raises(ValueError, match=r"ns.bin: not a plain tensor state dict \(pickled objects: "
                                         r"argparse.Namespace, which rsvlm never unpickles\)"):
        vision.read_state_dict(tmp_path / "ns.bin")
    (tmp_path / "cut.bin").write_bytes((tmp_path / "plain.bin").read_bytes()[:200])
    with pytest.raises(ValueError, match="cut.bin: cannot be read as a torch file, cut or damaged"):
        vision.read_state_dict(tmp_path / "cut.bin")


def test_a_torchscript_archive_is_told_by_its_members(tmp_path, monkeypatch):
    import torch

    from rsvlm.model import vision

    torch.jit.script(torch.nn.Linear(2, 2)).save(str(tmp_path / "ts.pt"))
    monkeypatch.setattr(torch, "load", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("refused")))
    with pytest.raises(ValueError, match=r"ts.pt: not a plain tensor state dict \(a TorchScript archive, "):
        vision.read_state_dict(tmp_path / "ts.pt")


def test_a_bf16_save_of_a_float32_base_loads_in_bf16_on_that_base(tmp_path):
    """Was refused ('lm_head.weight holds other values'): a bf16 build draws rsvlm's 1026 token rows from the base's
    rows rounded to bf16, so they came out up to a few bf16 steps off the save's (float32 draw, then rounded); the
    base's own rows compare exactly, and a drawn row moved by a training step, or another base, is still refused."""
    import torch
    from safetensors.torch import load_file, save_file

    from rsvlm.model.checkpoint import load_pretrained

    ckpt, base = lora_save(tmp_path, torch.float32, torch.bfloat16)
    model, _ = load_pretrained(ckpt, dtype="bfloat16", overrides=[f"llm.name_or_path={base}"])
    assert model.llm.get_input_embeddings().weight.dtype == torch.bfloat16
    llm_file = ckpt / "llm" / "model.safetensors"
    sd = load_file(str(llm_file))
    moved = dict(sd, **{"lm_head.weight": sd["lm_head.weight"].clone()})
    moved["lm_head.weight"][1000] += 2e-4  # one drawn row, as a training step of lr 2e-4 moves it
    save_file(moved, str(llm_file), metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"lm_head\.weight holds other values than .*llm/model\.safetensors"):
        load_pretrained(ckpt, dtype="bfloat16", overrides=[f"llm.name_or_path={base}"])
    save_file(sd, str(llm_file), metadata={"format": "pt"})
    base_sd = load_file(str(base / "model.safetensors"))
    base_sd["model.embed_tokens.weight"][7] += 0.01  # a base row: another base
    save_file(base_sd, str(base / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"holds other values than .*llm/model\.safetensors"):
        load_pretrained(ckpt, dtype="bfloat16", overrides=[f"llm.name_or_path={base}"])


def test_drawn_alike_allows_the_rounding_of_a_narrow_build_only():
    import torch

    from rsvlm.model.own_llm import drawn_alike

    torch.manual_seed(0)
    base_rows = torch.randn(8, 4) * 0.02
    drawn = base_rows.mean(0, keepdim=True).expand(3, 4)
    stored = torch.cat([base_rows, drawn]).bfloat16()
    from_rounded = torch.cat([base_rows.bfloat16().float(), base_rows.bfloat16().float().mean(0, keepdim=True).expand(
        3, 4)]).bfloat16()  # the bf16 build's draw
    assert drawn_alike(stored, from_rounded, 8)
    assert not drawn_alike(stored, (from_rounded.float() + torch.tensor([0, 0, 0, 0, 0, 0, 0, 0, 1e-3, 0, 0])[:, None]
                                    ).bfloat16(), 8)
