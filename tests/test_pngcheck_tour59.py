"""Tour 59: the image reader refuses a PNG whose pixel data stops early (``rsvlm.io.pngcheck``)."""

import json
import struct
import zlib

import numpy as np
import pytest

from rsvlm.io import ImageReadError, read_image

W, H = 64, 48


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(path, keep: float = 1.0):
    """An RGB PNG (no zero pixel) whose compressed stream holds the first ``keep`` of its rows, its chunks
    well formed (CRCs right, an IEND): what a cut copy re-wrapped, or a writer stopped early, leaves."""
    arr = (np.arange(W * H * 3) % 251 + 1).astype(np.uint8).reshape(H, W, 3)  # (H, W, 3)
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(H))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
                     + _chunk(b"IDAT", zlib.compress(raw[:int(len(raw) * keep)])) + _chunk(b"IEND", b""))
    return arr


def test_a_whole_png_reads_as_written(tmp_path):
    _png(tmp_path / "good.png")
    img = read_image(tmp_path / "good.png")
    assert (img.width, img.height) == (W, H) and (img.data.max(axis=(0, 2)) > 0).all()  # no black row


@pytest.mark.parametrize("name", ["short.png", "short.jpg"])  # a PNG whatever its name
def test_a_png_whose_pixel_data_stops_early_is_an_error_naming_it(tmp_path, name):
    _png(tmp_path / name, keep=0.5)
    # was read without a word, its lower 24 rows black (PIL and GDAL fill them), and trained or answered on
    with pytest.raises(ImageReadError) as err:
        read_image(tmp_path / name)
    assert str(err.value).startswith(f"{tmp_path / name}: PNG pixel data not whole, truncated or corrupt (the pixel "
                                     "data holds 4632 bytes where 64 x 48 px need 9264 (a reader fills")


def test_a_png_read_through_gdal_whose_pixel_data_stops_early_is_an_error(tmp_path):
    pytest.importorskip("rasterio")
    _png(tmp_path / "geo.png", keep=0.5)  # a world file beside it: GDAL reads it, its checksum finds the rows missing
    (tmp_path / "geo.pgw").write_text("1\n0\n0\n-1\n500000\n4000000\n")
    with pytest.raises(ImageReadError, match=r"geo.png: .*truncated or corrupt"):
        read_image(tmp_path / "geo.png")


def _training_set(tmp_path):
    """A tiny model's SFTDataset over 4 synthetic optical scenes (PNGs)."""
    import subprocess
    import sys
    from pathlib import Path

    from rsvlm.config import load_config
    from rsvlm.data.records import ReadReport
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.train import data as D

    subprocess.run([sys.executable, "-m", "data_gen", "synth", "--out", str(tmp_path), "--n", "4", "--seed", "5",
                    "--modalities", "optical", "--size", "32"], check=True, capture_output=True)
    path = tmp_path / "train.jsonl"
    _, processor = create_model(load_config(VLMConfig, Path(__file__).resolve().parents[1] / "configs/model/tiny.yaml"))
    index = D.build_index(path, processor.tokenizer, dict(processor.n_tokens), ReadReport(str(path)))
    return D.SFTDataset(index, path.parent, processor, processor.prompt, 512), index


def _count_checks(monkeypatch) -> list:
    from rsvlm.io import pngcheck

    seen, check = [], pngcheck.check_png_data
    monkeypatch.setattr(pngcheck, "check_png_data", lambda p: (seen.append(str(p)), check(p))[1])
    return seen


def test_training_checks_each_png_once_not_every_epoch(tmp_path, monkeypatch):
    """The check costs 30-65% of a decode, and training read every PNG again each epoch (and checked it)."""
    ds, index = _training_set(tmp_path)
    seen = _count_checks(monkeypatch)
    files = {str(tmp_path / im["path"]) for row in index for im in json.loads(row["record"])["images"]}
    for epoch in range(2):
        ds.set_epoch(epoch)
        assert not any(ds[i].get("bad") for i in range(len(ds)))
        if epoch == 0:
            assert sorted(set(seen)) == sorted(files) and len(files) >= 2  # every PNG checked on its first read
    assert len(seen) == len(set(seen))  # and never again: epoch 2 read them unchecked
    read_image(next(iter(files)))  # predict/chat/eval (no set passed) check on every read
    assert len(seen) == len(set(seen)) + 1


def test_training_still_refuses_a_png_cut_short_on_its_first_read_and_checks_a_rewritten_one(tmp_path, monkeypatch):
    ds, index = _training_set(tmp_path)
    seen = _count_checks(monkeypatch)
    rec = json.loads(index[0]["record"])
    png = tmp_path / rec["images"][0]["path"]
    _png(png, keep=0.5)  # the record's PNG cut short (well-formed chunks) before training reads it
    bad = ds[0]
    assert bad["bad"] and f"{png}: PNG pixel data not whole" in bad["error"] and not ds.png_checked
    assert ds[0]["bad"]  # a file found damaged is not remembered as checked: refused on every read
    _png(png)  # rewritten whole: another size and mtime, checked anew, then remembered
    assert not ds[0].get("bad") and not ds[0].get("bad")
    assert seen.count(str(png)) == 3


def _train_with_a_worker(tmp_path, monkeypatch, damaged: int = 0):
    """A tiny SFT run on 8 PNG records, 4 a step, ``data.num_workers=1``, 4 steps (epochs 0 and 1), the first
    ``damaged`` PNGs cut short (chunks well formed: PIL decodes them, the check refuses them). Returns the run's
    folder and the (pid, path) of each ``check_png_data`` call, in the worker processes too (forked: a file)."""
    import multiprocessing
    import os

    from test_train_utils import make_records, recipe

    from rsvlm.io import pngcheck
    from rsvlm.train import main as train_main

    if multiprocessing.get_start_method() != "fork":  # the patched check below reaches forked workers only
        pytest.skip(f"DataLoader workers start by {multiprocessing.get_start_method()!r}, not fork: a patch made here does not reach them")
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    for i in range(damaged):
        _png(data.parent / "images" / f"im{i}.png", keep=0.5)
    log, check = tmp_path / "checks.log", pngcheck.check_png_data

    def counted(p):
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {p}\n")
        return check(p)

    monkeypatch.setattr(pngcheck, "check_png_data", counted)
    out = tmp_path / "run"
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
                       "batch_size=4", "max_steps=4", "data.num_workers=1", "data.max_bad_fraction=0.5"]) == 0
    calls = [line.split(" ", 1) for line in log.read_text().splitlines()]
    # read in the workers, not here: but for the first record's image, whose bands training says at start (f7372392)
    assert [p for pid, p in calls if int(pid) == os.getpid()] == [str(data.parent / "images" / "im0.png")]
    return out, [p for pid, p in calls if int(pid) != os.getpid()]


def test_training_with_dataloader_workers_checks_each_png_once_over_two_epochs(tmp_path, monkeypatch):
    # each epoch's workers copy the dataset anew: they copied an empty set, and every PNG was checked every epoch
    out, checked = _train_with_a_worker(tmp_path, monkeypatch)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["samples"] == 16  # two epochs of the 8 records
    assert len(checked) == len(set(checked)) == 8, checked


def test_training_with_dataloader_workers_refuses_a_damaged_png_on_every_read(tmp_path, monkeypatch):
    out, checked = _train_with_a_worker(tmp_path, monkeypatch, damaged=1)
    summary = json.loads((out / "summary.json").read_text())
    bad = [p for p in checked if p.endswith("im0.png")]
    assert len(bad) == 2 and summary["bad_samples"] == 2  # checked and refused in both epochs, never remembered
    assert len(checked) == 2 + 7 and len(set(checked)) == 8  # the 7 whole ones checked once


def test_contrastive_training_checks_a_png_read_again_past_the_cache_budget_once(tmp_path, monkeypatch):
    from test_train_utils import make_records, recipe

    import rsvlm.train.clip as clip
    from rsvlm.train import main as train_main

    seen = _count_checks(monkeypatch)
    monkeypatch.setattr(clip, "cache_budget", lambda: 3 * 32 * 32 * 2)  # one 32-px bf16 image kept: the rest re-read
    data = make_records(tmp_path / "d", n=12, ir_every=0)
    assert train_main(["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}",
                       f"out_dir={tmp_path / 'clip'}", "log.progress=false", "batch_size=4", "max_steps=2"]) == 0
    assert len(seen) == len(set(seen)) == 4, seen  # 4 caption pairs; step 2's 3 re-reads were checked again (7)
