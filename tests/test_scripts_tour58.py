"""Tour 58 of the checkpoint scripts: averaging, exporting, comparing and the build's model card on a
full disk, an --out below a file, odd folders, and cut weight files."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from script_loader import load_script
from test_scripts_checkpoints import fake_ckpt


def _disk_full_after_one_file(monkeypatch, target: str) -> None:
    """``target``'s save_file writes its first file, then fails on the next as a full disk does."""
    import safetensors.torch

    real, calls = safetensors.torch.save_file, []

    def save(tensors, path, *a, **k):
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return real(tensors, path, *a, **k)

    monkeypatch.setattr(target, save)


def _lines(err: str) -> list[str]:
    """stderr's lines, tqdm's carriage-return redraws split off."""
    return [line for line in re.split(r"[\r\n]", err) if line.strip()]


def test_average_on_a_full_disk_is_one_line_and_leaves_no_half_written_checkpoint(tmp_path, monkeypatch, capsys):
    avg = load_script("average_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    _disk_full_after_one_file(monkeypatch, "safetensors.torch.save_file")
    out = tmp_path / "avg"
    out.mkdir()  # made by the user beforehand: kept, empty
    # was: an OSError traceback, and avg/ left with config.yaml and llm/ but no vision.safetensors
    assert avg.main([str(a), str(b), "--out", str(out)]) == 2
    err = _lines(capsys.readouterr().err)  # the progress bar's lines aside
    assert err[-1].startswith("error: [Errno 28] No space left on device") and err[-1].endswith(f"nothing written to {out}")
    assert sum(line.startswith("error") for line in err) == 1 and out.is_dir() and not any(out.iterdir())


def test_average_into_a_folder_below_a_file_is_one_line(tmp_path, monkeypatch, capsys):
    avg = load_script("average_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    (tmp_path / "notes").write_text("")
    assert avg.main([str(a), str(b), "--out", str(tmp_path / "notes" / "avg")]) == 2  # was a NotADirectoryError traceback
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'notes' / 'avg'}: {tmp_path / 'notes'} is a file, not a folder"), err
    assert (tmp_path / "notes").is_file() and err.count("\n") == 1


def _step_folder(root):
    """A folder the script takes for a step folder (it checks for train_config.yaml first)."""
    root.mkdir(parents=True)
    (root / "train_config.yaml").write_text("")
    return root


def test_export_on_a_full_disk_is_one_line_and_removes_what_it_wrote(tmp_path, monkeypatch, capsys):
    export = load_script("export_step", monkeypatch)

    def disk_full(step, out):  # the tokenizer and vision.safetensors written, then the LLM's weights fail
        (tmp_path / "new" / "tokenizer").mkdir(parents=True)
        (tmp_path / "new" / "vision.safetensors").write_bytes(b"\0" * 8)
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "new" / "llm" / "model.safetensors"))

    monkeypatch.setattr("rsvlm.train.loop.export_step", disk_full)
    step = _step_folder(tmp_path / "step_000002")
    # was: an OSError traceback, and new/ left half-written: loaded as a broken model, refused by the rerun
    assert export.main([str(step), "--out", str(tmp_path / "new")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: [Errno 28] No space left on device") and err.count("\n") == 1
    assert err.rstrip().endswith(f"nothing exported, what it wrote to {tmp_path / 'new'} removed")
    assert not (tmp_path / "new").exists()
    (tmp_path / "mine").mkdir()  # an empty folder the user made is kept, empty

    def disk_full_in_mine(step, out):
        (tmp_path / "mine" / "config.yaml").write_text("")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("rsvlm.train.loop.export_step", disk_full_in_mine)
    assert export.main([str(step), "--out", str(tmp_path / "mine")]) == 2
    assert (tmp_path / "mine").is_dir() and not any((tmp_path / "mine").iterdir())


def test_export_into_a_folder_below_a_file_is_one_line(tmp_path, monkeypatch, capsys):
    export = load_script("export_step", monkeypatch)
    monkeypatch.setattr("rsvlm.train.loop.export_step", lambda step, out: Path(out).mkdir(parents=True))  # as save_pretrained
    (tmp_path / "notes").write_text("")
    step = _step_folder(tmp_path / "step_000002")
    assert export.main([str(step), "--out", str(tmp_path / "notes" / "x")]) == 2  # was a NotADirectoryError traceback
    err = capsys.readouterr().err
    assert err.startswith(f"error: [Errno 20] Not a directory: '{tmp_path / 'notes' / 'x'}'") and err.count("\n") == 1
    assert (tmp_path / "notes").is_file()


def test_the_model_card_of_a_build_whose_weights_are_cut_names_the_file(tmp_path, monkeypatch):
    b = load_script("build_default_model", monkeypatch)
    (tmp_path / "final" / "llm").mkdir(parents=True)
    save_file({"w": torch.zeros(10, 10)}, str(tmp_path / "final" / "vision.safetensors"))
    cut = tmp_path / "final" / "llm" / "model.safetensors"
    save_file({"w": torch.zeros(64, 64)}, str(cut))
    cut.write_bytes(cut.read_bytes()[:200])  # a copy stopped short, a full disk
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "report.json").write_text('{"metrics": []}')
    # was a bare SafetensorError naming no file, which the build's 'stopped; …' line does not catch: a traceback
    with pytest.raises(ValueError, match=rf"{cut}: not a readable safetensors file"):
        b.write_card(tmp_path, b.BuildConfig(), b.STAGES)
    assert not (tmp_path / "MODEL_CARD.md").exists()


def test_compare_of_a_folder_holding_a_folder_named_like_weights_skips_it(tmp_path, monkeypatch, capsys):
    cmp = load_script("compare_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    (b / "old.safetensors").mkdir()  # e.g. an unpacked archive's folder
    assert cmp.main([str(a), str(b)]) == 0  # was an OSError traceback ('No such device (os error 19)')
    got = capsys.readouterr()
    assert "old.safetensors" not in got.out + got.err and not any(x.startswith("error") for x in _lines(got.err))
    assert "vision.safetensors" in got.out and got.out.strip().endswith("identical")  # the real weights compared


def test_make_samples_into_a_folder_below_a_file_is_refused_before_any_scene_is_drawn(tmp_path, monkeypatch, capsys):
    samples = load_script("make_samples", monkeypatch)
    monkeypatch.setattr("data_gen.synth.run.synthesize", lambda *a, **k: pytest.fail("scenes drawn first"))
    (tmp_path / "notes").write_text("")
    with pytest.raises(SystemExit) as e:  # was a NotADirectoryError traceback once the scenes were drawn
        samples.main(["--out", str(tmp_path / "notes" / "samples")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"--out {tmp_path / 'notes' / 'samples'}: {tmp_path / 'notes'} is a file" in err
