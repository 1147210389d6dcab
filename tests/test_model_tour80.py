"""Stop 80's model tour: a TorchScript archive is told by its data.pkl's scripted classes as well as by its
members; pickle_scan asks torch's public get_unsafe_globals_in_checkpoint first, its private list next."""

import argparse
import warnings
import zipfile

import pytest
import torch


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(x)


def _jit_file(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.trace's deprecation note
        torch.jit.save(torch.jit.trace(_Tiny(), torch.zeros(1, 2)), path)
    return path


def _without(src, dst, drop):
    """``src``'s zip members, less those ``drop`` says of, written to ``dst``."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for n in a.namelist():
            if not drop(n):
                b.writestr(n, a.read(n))
    return dst


def test_a_torchscript_archive_is_told_by_its_members_or_its_data_pkl(tmp_path):
    """Only the code/ and constants.pkl members told TorchScript: an archive repacked without them (a zip tool,
    a partial extract) was called a pickle of '__torch__…' classes; its data.pkl's classes now tell it too."""
    from rsvlm.model.pickle_scan import is_torchscript, pickled_globals

    ts = _jit_file(tmp_path / "ts.pt")
    assert is_torchscript(ts)
    bare = _without(ts, tmp_path / "bare.pt", lambda n: "/code/" in n or n.endswith("constants.pkl"))
    assert not any("/code/" in n or n.endswith("constants.pkl") for n in zipfile.ZipFile(bare).namelist())
    assert any(n.startswith("__torch__.") for n in pickled_globals(bare))
    assert is_torchscript(bare)
    torch.save({"w": torch.ones(2), "s": {1}}, tmp_path / "sd.pt")  # a plain zip state dict
    torch.save(_Tiny(), tmp_path / "mod.pt")  # a pickled (not scripted) module
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    for name in ("sd.pt", "mod.pt", "legacy.pt"):
        assert not is_torchscript(tmp_path / name), name
    assert not is_torchscript(_without(ts, tmp_path / "nodata.pt", lambda n: "/code/" in n or n.endswith(".pkl")))


def test_read_state_dict_calls_a_repacked_torchscript_file_so(tmp_path):
    from rsvlm.model.vision import read_state_dict

    ts = _jit_file(tmp_path / "ts.pt")
    bare = _without(ts, tmp_path / "bare.pt", lambda n: "/code/" in n or n.endswith("constants.pkl"))
    with pytest.raises(ValueError, match=r"bare.pt: not a plain tensor state dict \(a TorchScript archive,"):
        read_state_dict(bare)


def _files(tmp_path):
    w = torch.ones(2)
    torch.save({"w": w, "args": argparse.Namespace(lr=1)}, tmp_path / "ns2.pt")
    torch.save({"w": w, "args": argparse.Namespace(lr=1)}, tmp_path / "ns4.pt", pickle_protocol=4)
    torch.save({"w": w, "s": {1}}, tmp_path / "set.pt")
    torch.save({"w": w, "m": _Tiny()}, tmp_path / "mod.pt")
    return {"ns2.pt": "argparse.Namespace", "ns4.pt": "argparse.Namespace", "set.pt": None,
            "mod.pt": f"{__name__}._Tiny"}


def test_the_public_torch_api_answers_first_and_the_private_list_after_it(tmp_path, monkeypatch):
    """Torch's private _get_allowed_globals was asked alone; torch's public get_unsafe_globals_in_checkpoint is
    asked first, and where it cannot answer (protocol 4: it reads GLOBAL alone) the private list is."""
    import torch.serialization

    from rsvlm.model import pickle_scan

    want = _files(tmp_path)
    asked = []
    real = torch.serialization.get_unsafe_globals_in_checkpoint

    def spy(f):
        asked.append(str(f))
        return real(f)

    monkeypatch.setattr(torch.serialization, "get_unsafe_globals_in_checkpoint", spy)
    for name, said in want.items():
        assert pickle_scan.foreign_global(tmp_path / name) == said, name
    assert len(asked) == 4
    assert pickle_scan._unsafe(tmp_path / "ns2.pt") == {"argparse.Namespace"}
    assert pickle_scan._unsafe(tmp_path / "ns4.pt") is None  # the public call raised: the private list answers
    monkeypatch.delattr(torch.serialization, "get_unsafe_globals_in_checkpoint")  # a torch before 2.5
    assert pickle_scan._unsafe(tmp_path / "ns2.pt") is None
    for name, said in want.items():
        assert pickle_scan.foreign_global(tmp_path / name) == said, name
    import torch._weights_only_unpickler as wou

    monkeypatch.delattr(wou, "_get_allowed_globals")  # nor the private list: the modules' rule (_PLAIN)
    assert pickle_scan._allowed() is None
    for name, said in want.items():
        assert pickle_scan.foreign_global(tmp_path / name) == said, name
