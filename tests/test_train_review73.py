"""Review of stop 73, area train: a step folder's buffers (on meta, shared, in their own dtype), build.yaml's scene
counts named by their keys, the build's records cache against a file made again, and the trainer's progress unit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch


class _Buffers(torch.nn.Module):
    """Two Linears sharing one persistent buffer, a bf16 buffer, and (``meta``) a persistent buffer on meta."""

    def __init__(self, meta: bool = False):
        super().__init__()
        self.a, self.b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
        shared = torch.zeros(3)
        self.a.register_buffer("stat", shared)
        self.b.register_buffer("stat", shared)
        self.register_buffer("scale", torch.ones(2, dtype=torch.bfloat16))
        if meta:
            self.register_buffer("lazy", torch.empty(2, device="meta"))


def _plain(model):
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)


def test_a_step_folder_of_a_model_with_a_buffer_on_meta_is_saved_and_a_shared_buffer_comes_back_shared(tmp_path):
    """A persistent buffer on meta made the save fail ('Cannot copy out of meta tensor'): the step was lost."""
    from rsvlm.train import checkpoint as ckpt

    model = _Buffers(meta=True)
    model.a.stat.add_(5)
    model.scale.mul_(3)
    ckpt.save_plain(tmp_path, model, *_plain(model))
    saved = ckpt.read_tensors(tmp_path / "trainable.safetensors")
    assert "lazy" not in saved and saved["scale"].dtype == torch.bfloat16, sorted(saved)
    fresh = _Buffers(meta=True)
    ckpt.load_plain(tmp_path, fresh, *_plain(fresh))
    assert fresh.a.stat.tolist() == [5.0] * 3 and fresh.b.stat.data_ptr() == fresh.a.stat.data_ptr()
    assert fresh.scale.dtype == torch.bfloat16 and fresh.scale.tolist() == [3.0, 3.0]


def test_a_scene_count_over_synths_limit_is_named_by_its_build_yaml_key(monkeypatch, tmp_path, capsys):
    """train_scenes=20000000 passed the build's checks (with extra.data set: refused as '--n 20000000', a flag the
    user never typed), and synth refused it once the data stage ran."""
    from script_loader import load_script

    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(b, "STAGES", {n: (lambda *_: pytest.fail("a stage ran")) for n in b.STAGES})
    for extra in ([], ["extra={data: [--workers, '2']}"]):
        with pytest.raises(SystemExit) as e:
            b.main(["--out", str(tmp_path), "--only", "tokenizer", "train_scenes=20000000", *extra])
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert e.value.code == 2 and "out of range: train_scenes 20000000 (at most 10000000" in err, err
        assert "--n" not in err, err
    with pytest.raises(SystemExit):  # extra.data's own --workers is still said as typed
        b.main(["--out", str(tmp_path), "--only", "tokenizer", "extra={data: [--workers, '0']}"])
    assert "extra.data: out of range: --workers 0" in capsys.readouterr().err


def test_the_builds_records_cache_reads_a_file_made_again_even_at_the_same_size(monkeypatch, tmp_path):
    """RecordReads keys a file by size, mtime (ns) and inode: a split made again (a new file renamed over it, or
    rewritten in place) is read again, an unchanged one is not."""
    import sys

    from script_loader import load_script

    load_script("build_default_model", monkeypatch)
    checks = sys.modules["build_checks"]
    calls = []
    reads = checks.RecordReads(read=lambda path, root: calls.append(Path(path).read_text()) or len(calls))
    path = tmp_path / "train.jsonl"
    path.write_text("aaaa\n")
    assert reads(path, tmp_path) == reads(path, tmp_path) == 1 and calls == ["aaaa\n"]
    (tmp_path / "new.jsonl").write_text("bbbb\n")
    os.replace(tmp_path / "new.jsonl", path)  # the same size, another inode
    assert reads(path, tmp_path) == 2
    before = os.stat(path).st_mtime_ns
    path.write_text("cccc\n")  # in place, the same size; its mtime as a later write would leave it
    os.utime(path, ns=(before + 1, before + 1))
    assert reads(path, tmp_path) == 3 and calls[-1] == "cccc\n"
    assert reads(path, tmp_path / "other") == 4  # another root: its modalities are inferred under that root


def test_the_trainers_reading_and_measuring_bars_name_their_unit_as_a_plain_word(tmp_path, monkeypatch):
    """progress.bar makes the unit's words itself: the trainer passed ' records' (the old spelling)."""
    import tqdm.auto

    from rsvlm.data.records import ReadReport
    from rsvlm.progress import Unit
    from rsvlm.train import data as D

    units = {}

    class Recording(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            units[kwargs.get("desc")] = kwargs.get("unit")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    (tmp_path / "t.jsonl").write_text('{"id": "a", "conversations": [{"from": "human", "value": "hi"}, '
                                      '{"from": "gpt", "value": "ok"}]}\n')
    D.build_index(tmp_path / "t.jsonl", lambda texts, **k: {"input_ids": [[0]] * len(texts)}, {"optical": 16},
                  ReadReport("t"), progress=True)
    for desc in ("reading t.jsonl", "measuring samples"):
        assert isinstance(units[desc], Unit) and units[desc].word == "record", units


def test_the_weight_a_rarely_drawn_group_is_told_to_set_gives_it_a_batch_however_large_it_is():
    """The factor was printed with ':g' (6 digits): 380952.2 read '380952', a share of 31.99999 draws of a batch of 32,
    which the same note then named again."""
    import re

    import numpy as np

    from rsvlm.train.data import undrawn_groups

    groups = ["optical"] * 199 + ["ir"]
    weights = np.array([(1 - 5e-7) / 199] * 199 + [5e-7])  # ir: 1e-4 of 200 draws an epoch
    (note,) = undrawn_groups(groups, weights, 32)
    f = float(re.search(r"data\.modality_weights: \{ir: ([0-9.e+]+)\}", note).group(1))
    share = f * 5e-7 / (f * 5e-7 + 1 - 5e-7)  # ir's share once its weight is f times as large
    assert share * 200 >= 32, (f, share * 200)
    raised = np.where(np.array(groups) == "ir", weights * f, weights)
    assert undrawn_groups(groups, raised / raised.sum(), 32) == []  # no note left to give
