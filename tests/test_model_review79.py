"""Review of stop 79's model work: pickle_scan follows protocol 4's memo and torch's own list of what it loads; a
mapping for the llm section is told by the keys it gives; an empty llm.name_or_path is blamed on its override."""

import argparse

import pytest
from setup_helpers import torch_load_reworded


class _Calls:
    """Pickles as a call of ``func`` (never made here: the files are only scanned or refused by torch)."""

    def __init__(self, func):
        self.func = func

    def __reduce__(self):
        return self.func, ("x",)


@pytest.mark.parametrize("protocol", [2, 4])
def test_a_pickles_globals_are_named_through_the_memo(tmp_path, monkeypatch, protocol):
    """Protocol 4 pickles 'torch' once and fetches it from the memo: the scan named 'b.BFloat16Storage' (the last
    two strings pushed), so a plain state dict of two dtypes was foreign and a Namespace was called that."""
    import torch

    from rsvlm.model import vision
    from rsvlm.model.pickle_scan import foreign_global, pickled_globals

    plain = {"a": torch.randn(2, 3), "b": torch.zeros(2, dtype=torch.bfloat16), "c": torch.nn.Parameter(torch.ones(1))}
    torch.save(plain, tmp_path / "plain.bin", pickle_protocol=protocol)
    torch.save({**plain, "args": argparse.Namespace(lr=1)}, tmp_path / "ns.bin", pickle_protocol=protocol)
    assert pickled_globals(tmp_path / "plain.bin") == [
        "torch._utils._rebuild_tensor_v2", "torch.FloatStorage", "collections.OrderedDict", "torch.BFloat16Storage",
        "torch._utils._rebuild_parameter"]
    assert foreign_global(tmp_path / "plain.bin") is None
    assert foreign_global(tmp_path / "ns.bin") == "argparse.Namespace"
    torch_load_reworded(monkeypatch)
    with pytest.raises(ValueError, match=r"ns.bin: not a plain tensor state dict \(pickled objects: argparse.Namespace,"):
        vision.read_state_dict(tmp_path / "ns.bin")


def test_a_torch_function_torch_refuses_is_named(tmp_path, monkeypatch):
    """Any name in torch, torch._utils or torch.storage counted as a tensor's rebuilding: torch.load or
    torch._utils._import_dotted_name went unnamed; now what torch's own list leaves out is named."""
    import torch

    from rsvlm.model import pickle_scan, vision

    for func in (torch._utils._import_dotted_name, torch.load, eval):
        torch.save({"w": torch.ones(1), "x": _Calls(func)}, tmp_path / "f.bin", pickle_protocol=4)
        name = f"{func.__module__}.{func.__name__}"
        assert pickle_scan.foreign_global(tmp_path / "f.bin") == name
    monkeypatch.setattr(pickle_scan, "_allowed", lambda: None)  # a torch without that list: the modules' rule
    torch.save({"w": torch.ones(1), "x": argparse.Namespace()}, tmp_path / "ns.bin")
    assert pickle_scan.foreign_global(tmp_path / "ns.bin") == "argparse.Namespace"
    torch.save({"w": torch.ones(1), "s": {1}}, tmp_path / "set.bin")  # __builtin__.set at protocol 2
    assert pickle_scan.foreign_global(tmp_path / "set.bin") is None
    monkeypatch.undo()
    assert pickle_scan.foreign_global(tmp_path / "set.bin") is None
    assert set(vision.read_state_dict(tmp_path / "set.bin")) == {"w", "s"}


@pytest.mark.parametrize("override, said", [
    ("llm={loc_init: x}", "override 'llm={loc_init: x}': names no LLM (llm.name_or_path): a mapping for llm "
                          "replaces the whole llm section of CFG, its llm.name_or_path (llm) with it; give the keys "
                          "one by one (llm.KEY=VALUE); its llm.loc_init would not be used anyway: the LLM is loaded "
                          "from llm, whose config.json sets its model"),
    ("llm={name_or_path: null}", "override 'llm={name_or_path: null}': sets llm.name_or_path to nothing, where CFG "
                                 "names llm; drop it, and give any other key one by one (llm.KEY=VALUE): a mapping "
                                 "for llm replaces the whole llm section"),
    ("llm.name_or_path=", "override 'llm.name_or_path=': names no LLM (llm.name_or_path), where CFG names llm; "
                          "drop it"),
])
def test_an_override_naming_no_llm_says_what_it_gave(ckpt, override, said):
    """``{loc_init: x}`` was said to carry 'llm.config and llm.loc_init'; ``{name_or_path: null}`` that its
    name_or_path went with the section; ``llm.name_or_path=`` was '.: no *.safetensors LLM weights'."""
    from rsvlm.config import ConfigError
    from rsvlm.model import load_pretrained

    with pytest.raises(ConfigError) as e:
        load_pretrained(ckpt, overrides=[override])
    assert str(e.value) == said.replace("CFG", str(ckpt / "config.yaml"))


def test_drawn_alike_reads_a_large_table_in_parts():
    import torch

    from rsvlm.model.own_llm import drawn_alike

    torch.manual_seed(0)
    base_rows = torch.randn(20000, 4) * 0.02
    stored = torch.cat([base_rows, base_rows.mean(0, keepdim=True).expand(3, 4)]).bfloat16()
    rounded = base_rows.bfloat16().float()
    built = torch.cat([rounded, rounded.mean(0, keepdim=True).expand(3, 4)]).bfloat16()
    assert drawn_alike(stored, built, 20000)
    built[20001] += 1e-3
    assert not drawn_alike(stored, built, 20000)


def test_a_sharded_bin_bases_note_counts_the_shards_it_leaves_unnamed(tmp_path):
    from rsvlm.model.base_print import record_base

    base, adapter = tmp_path / "base", tmp_path / "adapter"
    base.mkdir()
    adapter.mkdir()
    for i in range(1, 5):
        (base / f"pytorch_model-0000{i}-of-00004.bin").write_bytes(b"x")
    note = record_base(adapter, "base", base)
    assert "only pickled ones (pytorch_model-00001-of-00004.bin, pytorch_model-00002-of-00004.bin and 2 more), " in note
