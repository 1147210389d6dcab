"""Review of stop 68, training: the torchrun global-batch note as `rsvlm train` prints it (tour68 tested the
function alone), and every shipped model config still passing check_links' refusal of an unread encoder near a
read one. (The review's cases of other trainers' names, HF Trainer's save_steps/logging_steps and FOREIGN's steps
after a section of ours, are in tour68's tests of those hints.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig, check_config, check_links, global_batch_note

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


@pytest.fixture
def two_ranks(monkeypatch):
    """`rsvlm train` as rank 0 of two, with the preflight and the loop stubbed: what it prints before training."""
    import rsvlm.train.loop as loop
    import rsvlm.train.run as run

    ran = []
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(run, "preflight", lambda cfg, scans=None, expanded=False: None)
    monkeypatch.setattr(loop, "train", lambda cfg, **kw: ran.append(cfg))
    return ran


def test_rsvlm_train_on_two_processes_prints_the_global_batch_note(two_ranks, tmp_path, capsys):
    from rsvlm.train import main

    argv = ["--config", str(SFT), f"data.train={tmp_path / 't.jsonl'}", f"out_dir={tmp_path / 'run'}"]
    assert main(argv) == 0 and len(two_ranks) == 1
    err = capsys.readouterr().err
    assert "[rsvlm.train] note: global batch 8 (batch_size 4 × grad_accum 1 × 2 processes), not the 4 of" in err, err
    assert "set batch_size=2" in err, err
    assert main(argv + ["batch_size=2"]) == 0 and len(two_ranks) == 2
    assert "note:" not in capsys.readouterr().err  # the header's own global batch: nothing to say


def test_the_note_does_not_say_a_multi_gpu_recipes_header_is_for_one_process():
    """The 7B/1.5B recipes' headers are written for 8 GPUs (geochat-7b-sft: 9 × 2 × 8 = 144); the note said
    "(written for one process)" of every header."""
    path = REPO / "configs" / "train" / "recipes" / "geochat-7b-sft.yaml"
    cfg = load_config(TrainConfig, path)
    assert global_batch_note(cfg, path, 8) is None
    note = global_batch_note(cfg, path, 4)
    assert note and "one process" not in note and "set batch_size=18" in note, note


TRAIN = sorted([*(REPO / "configs" / "train").glob("*.yaml"), *(REPO / "configs" / "train" / "recipes").glob("*.yaml"),
                *(REPO / "configs" / "default").glob("[agps]*.yaml")])
MODELS = sorted([*(REPO / "configs" / "model").glob("*.yaml"), REPO / "configs" / "default" / "model.yaml",
                 REPO / "rsvlm" / "assets" / "default_model" / "config.yaml"])


@pytest.mark.parametrize("path", TRAIN, ids=lambda p: p.name)
def test_every_shipped_training_config_passes_check_config(path):
    cfg = load_config(TrainConfig, path, ["data.train=x.jsonl"])
    check_config(cfg)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_model_config_passes_check_links(path):
    from rsvlm.model.vlm import VLMConfig

    check_links(load_config(VLMConfig, path))


def test_two_read_encoders_of_near_names_pass_and_one_left_unread_is_named(tmp_path):
    """A GeoChat-like recipe with one encoder per sensor (clip_l for optical, clip_s for SAR) is legitimate; an
    override leaving SAR out makes clip_s unread, which is refused, saying how to keep it or drop it."""
    enc = "{type: open_clip, width: 64, layers: 2, heads: 4, patch_size: 8, image_size: 32, feature_layer: -2}"
    stem = "{{modality: {m}, bands: {b}, mean: {z}, std: {z}, encoder: {e}}}"
    path = tmp_path / "multi.yaml"
    path.write_text(f"base: {SFT}\nmodel:\n  encoders: {{clip_l: {enc}, clip_s: {enc}}}\n  stems:\n"
                    f"    optical: {stem.format(m='optical', b='[R, G, B]', z='[0.5, 0.5, 0.5]', e='clip_l')}\n"
                    f"    sar: {stem.format(m='sar', b='[VV, VH]', z='[0.5, 0.5]', e='clip_s')}\n")
    cfg = load_config(TrainConfig, path, ["data.train=x.jsonl"])
    check_config(cfg)
    optical = f"model.stems={{optical: {stem.format(m='optical', b='[R, G, B]', z='[0.5, 0.5, 0.5]', e='clip_l')}}}"
    cfg = load_config(TrainConfig, path, ["data.train=x.jsonl", optical])
    with pytest.raises(ValueError, match=r"model\.encoders\.clip_s: no stem reads it .*did you mean clip_l\? "
                                         r"Point a stem at it with model\.stems\.NAME\.encoder, or leave it out"):
        check_config(cfg)
