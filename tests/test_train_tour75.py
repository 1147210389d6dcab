"""Stop 75 (E): an old-plan checkpoint saved at its epoch's end resumes without the old-plan note; a batch_plan
from a newer rsvlm is refused naming the file; the tail note offers a batch_size that divides the records; the
bands a stem leaves out are said at the start; an empty recipe is said to be empty."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train import main as train_main
from rsvlm.train.batch_plan import check_plan, epoch_batches, old_plan_note
from rsvlm.train.config import TrainConfig

NOTE = "was saved by an older rsvlm"


def _base(tmp_path, n: int = 10):
    data = make_records(tmp_path / "d", n=n, ir_every=0)
    return [f"data.train={data}", f"out_dir={tmp_path / 'run'}", "log.progress=false", "batch_size=4",
            "device=cpu", "ckpt.every=1"]


def test_old_plan_note_only_while_the_epoch_has_batches_left():
    """Plan 1 drew 2 batches of 10 records at batch_size 4: saved after the 1st, the note; after the 2nd, none."""
    state = {"epoch": 0, "micro_in_epoch": 1}
    assert NOTE in old_plan_note(state, "step_1", 2)
    assert old_plan_note({**state, "micro_in_epoch": 2}, "step_2", 2) is None
    assert old_plan_note({**state, "batch_plan": 2}, "step_1", 2) is None


def test_an_old_checkpoint_saved_after_its_epochs_last_batch_resumes_without_the_note(tmp_path, monkeypatch, capsys):
    """Saved at micro-batch 2 of an epoch plan 1 cuts into 2: nothing of it is left to draw, so the resumed run
    goes straight on to the next epoch under plan 2, and says nothing of the old plan (it said it ended its epoch
    with the old batches)."""
    from rsvlm.train import data as D
    from rsvlm.train import loop

    base = _base(tmp_path)
    loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=2"]))
    state_file = tmp_path / "run/checkpoints/step_000002/trainer_state_rank0.json"
    state = json.loads(state_file.read_text())
    assert (state["epoch"], state["micro_in_epoch"]) == (0, 2)
    del state["batch_plan"]  # as an rsvlm before plan 2 saved it
    state_file.write_text(json.dumps(state))
    real, calls = D.epoch_batches, []

    def spy(*a, **k):
        if len(a) > 10:  # the loop's own calls, which name the plan
            calls.append((a[5], a[10]))
        return real(*a, **k)

    monkeypatch.setattr(D, "epoch_batches", spy)
    capsys.readouterr()
    loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=3", "ckpt.resume=auto"]))
    err = capsys.readouterr().err
    assert NOTE not in err, err
    assert calls == [(0, 1), (1, 2)]
    third = json.loads((tmp_path / "run/checkpoints/step_000003/trainer_state_rank0.json").read_text())
    assert (third["epoch"], third["micro_in_epoch"], third["batch_plan"]) == (1, 1, 2)


@pytest.mark.parametrize("plan, said", [(3, "saved by a newer rsvlm"), ("2", "is no batch plan"),
                                        (0, "is no batch plan")])
def test_a_batch_plan_this_rsvlm_cannot_draw_is_refused_naming_the_file(tmp_path, capsys, plan, said):
    """batch_plan 3 ran as plan 2 (its epoch went on with other batches, unsaid); now exit 2 before the build."""
    from rsvlm.train import loop

    base = _base(tmp_path)
    loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=1"]))
    state_file = tmp_path / "run/checkpoints/step_000001/trainer_state_rank0.json"
    state_file.write_text(json.dumps({**json.loads(state_file.read_text()), "batch_plan": plan}))
    capsys.readouterr()
    rc = train_main(["--config", str(recipe(tmp_path)), *base, "max_steps=2", "ckpt.resume=auto"])
    err = capsys.readouterr().err
    assert rc == 2 and str(state_file) in err and said in err, err


def test_check_plan_takes_the_plans_it_knows():
    for state in ({}, {"batch_plan": 1}, {"batch_plan": 2}):
        check_plan(state, "x.json")
    with pytest.raises(ValueError, match=r"x\.json: batch_plan True is no batch plan"):
        check_plan({"batch_plan": True}, "x.json")


@pytest.mark.parametrize("counts, bs, world, want", [
    ({"optical": 10}, 4, 1, "batch_size=2 (a global batch of 2) divides the records"),
    ({"optical": 12, "sar": 9}, 4, 1, "batch_size=3 (a global batch of 3) divides each modality's records"),
    ({"optical": 12}, 4, 2, "batch_size=3 (a global batch of 6) divides the records"),
    ({"optical": 7}, 4, 1, None),  # 7 is prime: only batch_size 1 divides it, which is no advice
])
def test_the_tail_note_offers_a_batch_size_that_divides_the_records(counts, bs, world, want):
    """Checked against the plan itself: at the batch_size offered, every record is drawn exactly once."""
    from rsvlm.train.sft_index import tail_note

    modalities = [m for m, n in counts.items() for _ in range(n)]
    cfg = load_config(TrainConfig, None, [f"batch_size={bs}", "max_steps=100", "data.train=x.jsonl"])
    note = tail_note(modalities, cfg, world)
    assert note is not None and "drawn twice" in note
    if want is None:
        assert "divides" not in note, note
        return
    assert want in note, note
    b = int(want.split("=")[1].split()[0])
    ranks = [epoch_batches([5] * len(modalities), b, world, r, 0, 0, True, 16, None, modalities) for r in range(world)]
    assert Counter(i for r in ranks for batch in r for i in batch) == Counter(range(len(modalities)))


def test_the_bands_a_stem_leaves_out_are_said_once_per_modality_at_the_start(tmp_path, capsys):
    """A 13-band Sentinel-2 record under the 4-band msi stem: its 9 other bands were left out without a word
    (rsvlm eval said so); now one note at the start, for the first msi record, however many there are."""
    import tifffile

    from rsvlm.train.sft_index import read_train_data

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    s2 = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]
    lines = data.read_text().splitlines()
    for i in range(4):
        tifffile.imwrite(tmp_path / "d" / "images" / f"s2_{i}.tif",
                         np.random.default_rng(i).uniform(0, 0.3, (13, 32, 32)).astype(np.float32))
        rec = json.loads(lines[i])
        rec["id"], rec["images"] = f"s2_{i}", [{"path": f"images/s2_{i}.tif", "modality": "msi", "bands": s2}]
        lines.append(json.dumps(rec))
    data.write_text("\n".join(lines) + "\n")
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", "log.progress=false", "batch_size=4",
                                                        "device=cpu"])
    read_train_data(cfg, 0, 1)
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "none of the model's bands" in line]
    assert len(said) == 1, err
    assert said[0].startswith("[rsvlm.train] note: msi (the first such record, s2_0") and "B01, B05" in said[0], err


def test_an_empty_recipe_is_said_to_be_empty(tmp_path, capsys):
    """Was 'data.train: no training file given', as if the recipe had keys but that one."""
    for text in ("", "# a recipe to come\n\n"):
        empty = tmp_path / "empty.yaml"
        empty.write_text(text)
        assert train_main(["--config", str(empty)]) == 2
        err = capsys.readouterr().err
        assert f"{empty}: the config file is empty" in err and "no training file given" not in err, err
    data = make_records(tmp_path / "d", n=4, ir_every=0)  # the data named, the LLM not: still no recipe
    assert train_main(["--config", str(empty), f"data.train={data}"]) == 2
    assert "the config file is empty" in capsys.readouterr().err


def test_ctrl_c_says_its_note_after_the_progress_bars_last_line(tmp_path, monkeypatch, capsys):
    """The bar was closed after the note, so its last line ('train: 12% 7/60 …') came below 'Ctrl-C after step 7 …',
    as the run's last word; now the note comes last."""
    from rsvlm.train import loop

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "log.progress=true", "max_steps=6", "batch_size=2",
                                                      "ckpt.every=2", "device=cpu"])
    real = loop.stop_due

    def ctrl_c(stopping, step, max_steps):
        if step == 3:
            raise KeyboardInterrupt
        return real(stopping, step, max_steps)

    monkeypatch.setattr(loop, "stop_due", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        loop.train(cfg)
    err = capsys.readouterr().err
    assert "3/6" in err and err.rindex("3/6") < err.index("Ctrl-C after step 3"), err


def test_memory_plans_bar_counts_configs_not_its(monkeypatch, capsys):
    """'building on meta: 100% 1/1 [00:07<00:00, 7.89s/it]': tqdm's 'it' where every rsvlm bar names its unit."""
    from script_loader import load_script

    plan = load_script("memory_plan", monkeypatch)
    plan.main([str(plan.REPO / "configs/model/tiny.yaml")])
    err = capsys.readouterr().err
    assert "building on meta: 100% 1/1" in err and "config" in err.split("building on meta: 100% 1/1")[1].split("\n")[0]
    assert "it/s" not in err and "s/it" not in err, err


def test_the_malformed_line_note_names_the_first_line_plainly(tmp_path, capsys):
    """Was "first: ['/…/train.jsonl:5: not valid JSON (…)']", a Python list's repr, brackets and quotes."""
    from rsvlm.train.sft_index import read_train_data

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    lines = data.read_text().splitlines()
    lines[4] = '{"id": "broken", "images": ['
    data.write_text("\n".join(lines) + "\n")
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", "log.progress=false", "batch_size=2",
                                                        "device=cpu", "data.max_bad_fraction=0.5"])
    read_train_data(cfg, 0, 1)
    err = capsys.readouterr().err
    assert f"1 skipped (invalid JSON: 1); first: {data}:5: not valid JSON" in err, err


@pytest.mark.parametrize("words, said", [
    (["--deepspeed", "configs/deepspeed/zero2.json"], "--deepspeed is no option of launch.py; the recipe's keys go "
                                                      "as key=value: dist.deepspeed=configs/deepspeed/zero2.json"),
    (["--max-steps=3"], "--max-steps is no option of launch.py; the recipe's keys go as key=value: max_steps=3"),
])
def test_launch_names_a_recipe_key_typed_as_an_option(monkeypatch, capsys, words, said):
    """'--deepspeed FILE' (Hugging Face's flag) was 'unrecognized arguments: --deepspeed FILE data.train=… out_dir=…',
    calling the overrides after it unrecognised too."""
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    with pytest.raises(SystemExit) as e:
        launch.main(["configs/train/sft_tiny.yaml", *words, "data.train=x.jsonl", "--dry-run"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and said in err and "unrecognized" not in err, err
