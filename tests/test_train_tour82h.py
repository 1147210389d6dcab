"""Tour 82 (H): a step_N.tmp one rank wrote nothing into was taken for a smaller world's step, whole (its ranks were
counted from the files there); what a .tmp lacks is now named, and a resume from a cut .tmp offers the step to take
instead, as a cut step_N does. A records file every record of which has no stem is refused naming its own counts
and what to change."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import save_file

from rsvlm.train import checkpoint as ckpt
from rsvlm.train import renames


def plain_step_of(folder: Path, ranks, world: int | None = 2) -> Path:
    """A plain-engine step folder holding rank 0's shared files and the own files of ``ranks``; each rank's trainer
    state records ``world`` (None: as a step saved before it was recorded)."""
    folder.mkdir(parents=True)
    for name in ("trainable", "optimizer"):
        save_file({"w": torch.zeros(2)}, str(folder / f"{name}.safetensors"))
    (folder / "optimizer.json").write_text("{}")
    (folder / "scheduler.json").write_text("{}")
    for r in ranks:
        (folder / f"rng_rank{r}.json").write_text("{}")
        save_file({"s": torch.zeros(2)}, str(folder / f"rng_rank{r}.safetensors"))
        ckpt.save_trainer_state(folder, {"step": 2}, r, world)
    return folder


def test_a_tmp_the_last_rank_wrote_nothing_into_is_not_whole_and_the_rank_is_named(tmp_path):
    tmp = plain_step_of(tmp_path / "checkpoints" / "step_000002.tmp", ranks=[0])  # rank 1 of 2 killed first
    assert renames.step_world(tmp) == 2
    assert not renames.whole_step_tmp(tmp, tmp_path / "checkpoints" / "step_000002.old")  # was True: world 1
    said = renames.unfinished_save(tmp, "resume")
    assert ("some of its files are missing or cut (rng_rank1.json, rng_rank1.safetensors, trainer_state_rank1.json; "
            "2 processes saved it)") in said, said
    assert "its files are there and parse" not in said


def test_a_rank_missing_between_others_is_found_without_a_recorded_world(tmp_path):
    tmp = plain_step_of(tmp_path / "step_000002.tmp", ranks=[0, 2], world=None)  # saved before world was recorded
    assert renames.step_world(tmp) == 3  # rank 2's files: three processes, whatever rank 1 left
    assert renames.step_tmp_gaps(tmp, tmp_path / "step_000002.old") == [
        "rng_rank1.json", "rng_rank1.safetensors", "trainer_state_rank1.json"]
    whole = plain_step_of(tmp_path / "step_000004.tmp", ranks=[0, 1])
    assert renames.step_tmp_gaps(whole, tmp_path / "step_000004.old") == [] and renames.whole_step_tmp(whole, whole)


def test_a_cut_rename_left_as_it_is_names_what_the_tmp_lacks(tmp_path):
    root = tmp_path / "checkpoints"
    plain_step_of(root / "step_000002.old", ranks=[0, 1])
    tmp = plain_step_of(root / "step_000002.tmp", ranks=[0, 1])
    (tmp / "scheduler.json").write_text('{"last_epoch": ')  # cut mid-write
    said = renames.finish_rename(root / "step_000002", renames.step_tmp_gaps, "ckpt.resume")
    assert said.endswith("step_000002.tmp is not whole; left as it is (step_000002.old holds the earlier save of it); "
                         "missing or cut in it: scheduler.json; 2 processes saved it"), said
    assert tmp.is_dir() and (root / "step_000002.old").is_dir() and not (root / "step_000002").exists()
    (tmp / "scheduler.json").write_text("{}")
    assert "finished it" in renames.finish_rename(root / "step_000002", renames.step_tmp_gaps, "ckpt.resume")
    assert (root / "step_000002").is_dir() and not (root / "step_000002.old").exists()


def test_a_resume_from_a_tmp_lacking_a_file_offers_the_step_before(tmp_path):
    """Was 'lacks scheduler.json (a half-written or damaged step folder)' alone: a step_N's refusal names the step
    before it, a .tmp's named nothing (its name is no step folder's)."""
    root = tmp_path / "checkpoints"
    before = plain_step_of(root / "step_000002", ranks=[0], world=1)
    tmp = plain_step_of(root / "step_000004.tmp", ranks=[0], world=1)
    (tmp / "scheduler.json").unlink()
    try:
        ckpt.check_step_folder(tmp, 0, False, 1)
    except FileNotFoundError as e:
        said = str(e)
    assert said.startswith(f"ckpt.resume: {tmp} lacks scheduler.json (a half-written or damaged step folder; "
                           "an unfinished save of step_000004"), said
    assert said.endswith(f"missing or cut (scheduler.json); resume from the step before it, ckpt.resume={before})")
    (tmp / "scheduler.json").write_text('{"last_epoch": ')
    try:
        ckpt.check_step_readable(tmp, 0, False)
    except ValueError as e:
        said = str(e)
    assert f"{tmp / 'scheduler.json'}: cut or damaged" in said and f"ckpt.resume={before}" in said, said


def test_both_loops_record_the_world_in_every_ranks_trainer_state(tmp_path, monkeypatch):
    from rsvlm.train import clip_ckpt, loop

    monkeypatch.setattr(ckpt, "barrier", lambda world: None)  # rank 1 alone here: no group to meet
    cfg = SimpleNamespace(out_dir=str(tmp_path), ckpt=SimpleNamespace(keep=2))
    ckpt.tmp_dir(ckpt.step_dir(tmp_path / "checkpoints", 3)).mkdir(parents=True)  # rank 0's prepare_tmp
    engine = SimpleNamespace(save=lambda folder: None)
    loop.save_checkpoint(engine, cfg, {"step": 3}, rank=1, world=2)
    tmp = ckpt.tmp_dir(ckpt.step_dir(tmp_path / "checkpoints", 3))
    assert json.loads((tmp / "trainer_state_rank1.json").read_text()) == {"step": 3, "world": 2}
    ckpt.tmp_dir(ckpt.step_dir(tmp_path / "checkpoints", 5)).mkdir(parents=True)
    clip_ckpt.save_clip(cfg, None, None, None, None, {"step": 5}, rank=1, world=3)
    tmp = ckpt.tmp_dir(ckpt.step_dir(tmp_path / "checkpoints", 5))
    assert json.loads((tmp / "trainer_state_rank1.json").read_text())["world"] == 3


def test_a_records_file_all_of_a_modality_without_a_stem_is_refused_naming_its_own_and_what_to_do(tmp_path):
    """data.extra's file of SAR records alone for a model without a SAR stem: was 'left out for want of a stem:
    {'sar': 40}' (every file's count, as a dict) and no word of what to change."""
    from rsvlm.data.read_report import ReadReport
    from rsvlm.train.data import build_index

    def rows(modality, n, first=0):
        return "".join(json.dumps({"id": f"{modality}{i}", "images": [{"path": f"{modality}{i}.png",
                                   "modality": modality}], "conversations": [{"from": "human", "value": "<image>\n[cls] Class?"},
                                   {"from": "gpt", "value": "field"}]}) + "\n" for i in range(first, first + n))

    (tmp_path / "a.jsonl").write_text(rows("optical", 2) + rows("sar", 1))
    (tmp_path / "b.jsonl").write_text(rows("sar", 3, first=1) + rows("ir", 2))
    no_stem = Counter()
    with pytest.raises(ValueError) as e:
        build_index([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], None, {"optical": 4, "msi": 4}, ReadReport("x"),
                    no_stem, progress=False)
    said = str(e.value)
    assert said.startswith(f"{tmp_path / 'b.jsonl'}: no usable record"), said
    assert ("its records of ir (2), sar (3) left out: model.stems has no stem for those modalities (it has msi, "
            "optical): add one, or leave the file out") in said, said  # a.jsonl's sar record not counted as b's
    assert no_stem == Counter({"sar": 4, "ir": 2})


def test_a_resume_from_a_step_a_rank_left_no_files_in_is_refused_as_half_written_not_as_fewer_processes(tmp_path):
    """Seen with scripts/launch.py on 2 processes and a step_N.tmp rank 1 wrote nothing into: 'was saved by 1
    process and this run has 2; resume with 1'. Rank 1's own check said 'it was saved with fewer processes'."""
    root = tmp_path / "checkpoints"
    before = plain_step_of(root / "step_000002", ranks=[0, 1])
    for name in ("step_000004.tmp", "step_000004"):
        folder = plain_step_of(root / name, ranks=[0])
        for rank in (0, 1):
            with pytest.raises(FileNotFoundError) as e:
                ckpt.check_step_folder(folder, rank, False, 2)
            said = str(e.value)
            assert f"{folder} lacks " in said and "half-written" in said and "fewer" not in said, said
            assert said.endswith(f"resume from the step before it, ckpt.resume={before})"), said
        shutil.rmtree(folder)
    with pytest.raises(FileNotFoundError, match=r"step_000006 lacks rng_rank1.json, rng_rank1.safetensors, "
                                                r"trainer_state_rank1.json \(a half-written step folder: 2 processes"):
        ckpt.check_world(plain_step_of(root / "step_000006", ranks=[0]), 2)


def test_a_step_saved_by_another_number_of_processes_is_still_said_so(tmp_path):
    two = plain_step_of(tmp_path / "step_000002", ranks=[0, 1])
    with pytest.raises(ValueError, match="was saved by 2 processes and this run has 1; resume with 2"):
        ckpt.check_world(two, 1)
    one = plain_step_of(tmp_path / "step_000004", ranks=[0], world=1)
    with pytest.raises(FileNotFoundError, match=r"lacks rng_rank1.json.* \(it was saved with fewer processes\)"):
        ckpt.check_step_folder(one, 1, False, 2)
    old = plain_step_of(tmp_path / "step_000006", ranks=[0], world=None)  # saved before world was recorded
    with pytest.raises(ValueError, match="was saved by 1 process and this run has 2"):
        ckpt.check_world(old, 2)
