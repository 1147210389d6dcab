"""Training, tour 77: the contrastive loop measures its caption pool a share a rank and tokenizes each batch's
captions as drawn (every rank tokenized the whole pool and kept its ids); a resume over another pool warns
naming the step folder; a launcher's SIGTERM note reads summary.json's own finish time, not its mtime."""
import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from script_loader import load_script
from test_train_utils import recipe

from rsvlm.model.llm import byte_tokenizer


def _pairs(lengths) -> list:
    return [({"id": f"r{i}"}, "x" * n, Path()) for i, n in enumerate(lengths)]


def test_pool_cuts_counts_the_cut_captions_and_says_the_first():
    from rsvlm.train.clip_data import cut_note, pool_cuts

    tok, pairs = byte_tokenizer(), _pairs([10, 31, 32, 70, 5, 40])
    said = pool_cuts(pairs, tok, 32, chunk=4)  # r2 (32), r3 (70) and r5 (40) over 31 tokens
    assert said == cut_note(pairs, 3, 70, (2, 32), 32) and "3 of 6 captions" in said[1] and "of r2 is 32" in said[1]
    assert pool_cuts(pairs, tok, 71) == ({"cut_caption_pairs": 0, "longest_caption_tokens": 70}, None)
    assert pool_cuts([], tok, 8) == ({"cut_caption_pairs": 0, "longest_caption_tokens": 0}, None)


def test_pool_cuts_shares_the_pool_between_ranks_and_gathers_the_counts(monkeypatch):
    """Rank 0 measures r0-r2 (none cut), rank 1 r3-r5: both say the counts of all six, the first cut one r4."""
    from rsvlm.train.clip_data import cut_note, pool_cuts

    tok, pairs = byte_tokenizer(), _pairs([10, 20, 30, 12, 50, 40])
    seen, parts_of = [], {}

    def gather(parts, mine):  # the other rank's part where it has run, else this rank's again
        seen.append(mine)
        parts[:] = [parts_of.get(0, mine), parts_of.get(1, mine)]

    monkeypatch.setattr(torch.distributed, "all_gather_object", gather)
    pool_cuts(pairs, tok, 32, rank=1, world=2)
    parts_of[1] = seen[-1]
    zero = pool_cuts(pairs, tok, 32, rank=0, world=2)
    assert seen == [(2, 50, (4, 50), None), (0, 30, None, None)]  # each rank measured its own half alone
    assert zero == cut_note(pairs, 2, 50, (4, 50), 32)
    assert zero[0] == {"cut_caption_pairs": 2, "longest_caption_tokens": 50} and "the caption of r4 is 50" in zero[1]


@pytest.mark.parametrize("bundled", [False, True])
def test_a_batch_tokenized_as_drawn_is_the_pool_rows_it_was_taken_from(bundled):
    """Against the pool rows as the loop built them before (each caption alone here: comparing with the old
    caption_tokens, which went through caption_rows, could not fail), with the byte and the default model's tokenizer."""
    from rsvlm.train.clip_data import caption_rows

    tok = byte_tokenizer()
    if bundled:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(Path(__file__).parents[1] / "rsvlm/assets/default_model/tokenizer")
    caps = ["", " ", "a road", "x" * 40, "é中文 field " * 4, "harbour 🙂\n", "e\u0301"]
    old = torch.full((len(caps), 16), tok.pad_token_id, dtype=torch.int32)  # the loop's pool rows before tour 77
    for j, cap in enumerate(caps):
        t = tok(cap, add_special_tokens=False)["input_ids"]
        old[j, : min(len(t), 15) + 1] = torch.tensor(t[:15] + [tok.eos_token_id], dtype=torch.int32)
    kept = [4, 0, 3, 6, 1]
    rows, lens = caption_rows([caps[i] for i in kept], tok, 16)
    assert torch.equal(rows, old[kept]) and rows.dtype == torch.int32
    assert lens.tolist() == [len(tok(caps[i], add_special_tokens=False)["input_ids"]) for i in kept]
    assert lens[2] > 15 and rows[2, -1] == tok.eos_token_id  # a cut caption still ends in the end token
    assert caption_rows([], tok, 16)[0].shape == (0, 16)


def _clip_data(tmp_path: Path, n: int) -> Path:
    Image.new("RGB", (32, 32), (90, 120, 60)).save(tmp_path / "a.png")
    data = tmp_path / f"train{n}.jsonl"
    data.write_text("".join(json.dumps({"id": f"cap{i}", "task": "cap", "images": [{"path": "a.png",
                                                                                  "modality": "optical"}],
                                        "conversations": [{"from": "human", "value": "<image>\n[cap] Describe it."},
                                                          {"from": "gpt", "value": "field " * (1 + i % 5)}]}) + "\n"
                            for i in range(n)))
    return data


def test_a_resume_over_another_caption_pool_warns_naming_the_step_folder(tmp_path, capsys):
    """A CLIP run resumed where its records yield fewer caption pairs (one-image [change] records no longer
    captions, since stop 76) drew from a smaller pool and said nothing; the step folder records the pool now."""
    from rsvlm.train import main as train_main

    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), "device=cpu", "log.progress=false",
            "batch_size=3", "ckpt.every=1", "clip.context_length=16"]
    assert train_main([*argv, f"data.train={_clip_data(tmp_path, 10)}", f"out_dir={tmp_path / 'a'}",
                       "max_steps=2"]) == 0
    step = tmp_path / "a" / "checkpoints" / "step_000001"
    assert json.loads((step / "trainer_state_rank0.json").read_text())["caption_pairs"] == 10
    capsys.readouterr()
    assert train_main([*argv, f"data.train={_clip_data(tmp_path, 10)}", f"out_dir={tmp_path / 'b'}",
                       "max_steps=2", f"ckpt.resume={step}"]) == 0
    assert "caption pair" not in capsys.readouterr().err.split("resumed contrastive")[1]  # the same pool: unsaid
    assert train_main([*argv, f"data.train={_clip_data(tmp_path, 8)}", f"out_dir={tmp_path / 'c'}",
                       "max_steps=2", f"ckpt.resume={step}"]) == 0
    warned = [x for x in capsys.readouterr().err.splitlines() if "drawing from" in x]
    assert warned == [f"[rsvlm.train] warning: {step} was saved drawing from 10 caption pairs and this run has 8: the "
                      "draws from here are not those the saved run would have made, and the losses will not match an "
                      "unbroken run (the records, or how they are read, changed since)"]


def test_pool_note_names_the_change_records_left_out_and_stays_quiet_for_an_older_folder(tmp_path):
    from rsvlm.train.clip_ckpt import pool_note

    assert pool_note(tmp_path, None, 8, 3) is None and pool_note(tmp_path, 8, 8, 3) is None
    assert (f"{tmp_path} was saved drawing from 11 caption pairs and this run has 8; 3 [change] records of other "
            "than two images are left out of the captions (rsvlm used their answers as captions before)") \
        in pool_note(tmp_path, 11, 8, 3)


def test_stopped_hint_reads_the_finish_time_inside_summary_json(tmp_path):
    """A SIGTERM to a launch resuming a finished run (summary.json there, written a moment before) was told
    "nothing to continue" by the file's mtime with a second's slack; the mark inside the file tells them apart."""
    from rsvlm.train.checkpoint import finish_mark, stopped_hint, write_summary

    assert finish_mark(tmp_path) is None
    write_summary(tmp_path, {"steps": 4})
    before = finish_mark(tmp_path)
    assert before and json.loads((tmp_path / "summary.json").read_text())["steps"] == 4
    assert "nothing to continue" not in stopped_hint(tmp_path, before)  # not written since: stopped mid-run
    write_summary(tmp_path, {"steps": 8})
    assert stopped_hint(tmp_path, before).endswith("nothing to continue")
    (tmp_path / "summary.json").write_text("{}")  # written by another rsvlm: no mark, but written since
    assert stopped_hint(tmp_path, None).endswith("nothing to continue") and finish_mark(tmp_path) == ""
    (tmp_path / "summary.json").write_text("{\"steps\": ")  # cut: not taken as finished
    assert "nothing to continue" not in stopped_hint(tmp_path, None)


@pytest.mark.parametrize("name", ["launcher_shell", "script_python", "wait_for"])
def test_launch_keeps_the_runner_names_it_moved_out(name, monkeypatch):
    from rsvlm.train import launcher_run

    launch = load_script("launch", monkeypatch)

    assert getattr(launch, name) is getattr(launcher_run, name)
    assert len((Path(launch.__file__)).read_text().splitlines()) < 400
