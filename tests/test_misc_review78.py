"""Review of stop 78's routed items: the step before a damaged one is named only where it is whole, and the folder
hint's header reads never raise out of it; rsvlm train blames the override that set a refused pair's second key."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_a_cut_step_before_is_passed_over_and_named(tmp_path):
    """step_before named the step folder just before a damaged one, cut or not: 'resume from the step before it,
    ckpt.resume=…/step_000001', a folder whose trainable.safetensors was cut too. It names the last whole one and
    the cut ones passed over; where none is whole, it says so; a whole one just before keeps the old words."""
    from conftest import step_folders

    from rsvlm.train import checkpoint as ckpt

    root = tmp_path / "checkpoints"
    step_folders(root)  # step_000001, step_000002, whole
    last = ckpt.step_dir(root, 3)
    last.mkdir()
    one, two = ckpt.step_dir(root, 1), ckpt.step_dir(root, 2)
    assert ckpt.step_before(last) == f"; resume from the step before it, ckpt.resume={two}"
    cut = two / "trainable.safetensors"
    cut.write_bytes(cut.read_bytes()[:-7])
    assert ckpt.step_before(last) == (f"; resume from the last whole step before it (step_000002 not whole "
                                      f"either), ckpt.resume={one}")
    assert ckpt.step_before(last, "export") == (f"; export the last whole step before it (step_000002 not whole "
                                                f"either): python scripts/export_step.py {one} --out DIR")
    (one / "rng_rank0.json").write_text("{")  # cut JSON: none before is whole
    assert ckpt.step_before(last) == "; no step folder before it is whole either (step_000001, step_000002)"
    with pytest.raises(ValueError, match=r"step_000002/trainable\.safetensors: .*; no step folder before it is whole"):
        ckpt.check_step_readable(two, 0, deepspeed=False)  # the message a resume from step 2 ends with


@pytest.mark.parametrize("error", ["CRSError", "RuntimeError"])
def test_a_header_that_fails_to_read_never_raises_out_of_the_folder_hint(tmp_path, monkeypatch, error):
    """_header caught OSError and RasterioError only: a CRSError (a ValueError) or another library error took the
    place of 'FOLDER is a folder, not an image file; …'. Such a file is left unjudged, by its name."""
    import rasterio
    from rasterio.errors import CRSError

    from rsvlm.io.checks import check_image_path

    for k in (1, 2):
        (tmp_path / f"B0{k}.tif").write_bytes(b"x")
    kind = CRSError if error == "CRSError" else RuntimeError

    def failing(*_a, **_k):
        raise kind("odd header")

    monkeypatch.setattr(rasterio, "open", failing)
    with pytest.raises(FileNotFoundError) as e:
        check_image_path(tmp_path)
    said = str(e.value)
    assert said.startswith(f"{tmp_path} is a folder, not an image file") and said.endswith(
        f"comma-separated: {tmp_path / 'B01.tif'},{tmp_path / 'B02.tif'}"), said


@pytest.mark.parametrize("recipe, override, says", [
    ("pretrain_encoder_tiny.yaml", "clip.text_heads=3", "clip.text_width=64 must be a multiple of clip.text_heads=3"),
    ("sft_tiny.yaml", "data.modality_temperature=0", "data.task_temperature and data.modality_temperature must be > 0"),
])
def test_a_refusal_of_two_keys_names_the_override_that_set_the_second(tmp_path, capsys, recipe, override, says):
    """fc41414a blamed the recipe's line of the first key, a value it kept ('configs/train/sft_tiny.yaml: data.
    task_temperature and … (line 58 of sft_tiny.yaml)') where the override typed for the second was the slip."""
    from rsvlm.train import main as train_main

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    argv = ["--config", str(repo / "configs" / "train" / recipe), "data.train=x.jsonl", f"out_dir={out}", override]
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"rsvlm train: override {override!r} (command line): {says}"], err
    assert not out.exists()
