"""Training review, stop 76: step folders record how rsvlm's rows on a base's spare rows were filled (a resume or
export of one that does not warns), a carried ``model.llm.base_vocab`` is refused naming what set it, launch.py's
guess at a flag is asked, not asserted, and compare_checkpoints.py says the NaN/inf a tensor holds."""
import json
import shutil

import pytest
import torch
import yaml
from script_loader import load_script
from test_train_utils import make_records, recipe


def _spare_run(tmp_path):
    """A frozen LLM on a base with spare embedding rows, one step saved; (its overrides, the step folder)."""
    from test_model_tour75 import spare_base

    from rsvlm.train import main

    spare_base(tmp_path / "base")
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    common = ["--config", str(recipe(tmp_path)), f"data.train={data}", "log.progress=false", "device=cpu",
              "data.batching=naive", f"model.llm.name_or_path={tmp_path / 'base'}", "model.llm.config=null",
              "model.trainable.llm=frozen", "ckpt.every=1", "batch_size=2", "optim.warmup_steps=0"]
    assert main([*common, f"out_dir={tmp_path / 'a'}", "max_steps=1"]) == 0
    return common, tmp_path / "a" / "checkpoints" / "step_000001"


def test_a_step_folder_records_its_row_fill_and_one_without_it_is_warned_of_at_resume_and_export(
        tmp_path, monkeypatch, capsys):
    """row_fill's record and warning were called nowhere: a pre-stop-76 step folder resumed or exported unsaid."""
    from rsvlm.model.row_fill import MEAN, ROW_FILL
    from rsvlm.train import main

    common, step = _spare_run(tmp_path)
    assert json.loads((step / ROW_FILL).read_text())["added_rows"] == MEAN
    assert main([*common, f"out_dir={tmp_path / 'b'}", "max_steps=2", f"ckpt.resume={step}"]) == 0
    assert ROW_FILL not in capsys.readouterr().err  # recorded: nothing to say
    (step / ROW_FILL).unlink()  # as a folder saved before stop 76
    assert main([*common, f"out_dir={tmp_path / 'c'}", "max_steps=2", f"ckpt.resume={step}"]) == 0
    err = capsys.readouterr().err
    said = f"[rsvlm.train] warning: {step} has no {ROW_FILL} (saved before stop 76)"
    assert err.count(said) == 1 and "(trainable.llm frozen)" in err, err
    export = load_script("export_step", monkeypatch)
    assert export.main([str(step), "--out", str(tmp_path / "exported")]) == 0
    assert capsys.readouterr().err.count(said) == 1


@pytest.mark.parametrize("how", ["override", "recipe", "base"])
def test_a_carried_base_vocab_the_build_refuses_names_what_set_it(tmp_path, capsys, how):
    """Was 'rsvlm train: ValueError: llm.base_vocab 999999: …', exit 1, naming neither the file nor the override."""
    from rsvlm.train import main

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    cfg = recipe(tmp_path)
    said = "override 'model.llm.base_vocab=999999' (command line)"
    extra = ["model.llm.base_vocab=999999"] if how == "override" else []
    if how != "override":
        d = yaml.safe_load(cfg.read_text())
        d["model"]["llm"]["base_vocab"] = 999999
        cfg.write_text(yaml.safe_dump(d))
        said = str(cfg)
    if how == "base":
        top = tmp_path / "top.yaml"
        top.write_text(yaml.safe_dump({"base": str(cfg)}))
        cfg, said = top, f"{cfg} (a base of {top})"
    argv = ["--config", str(cfg), f"data.train={data}", f"out_dir={tmp_path / 'run'}", "log.progress=false",
            "device=cpu", "max_steps=1", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"rsvlm train: {said}: model.llm.base_vocab 999999: the base's own vocabulary" in err, err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("words, said", [
    (["--config", "configs/train/sft_tiny.yaml"],  # was told model.llm.config=configs/train/sft_tiny.yaml
     "--config is no option of launch.py: the recipe is its first argument (launch.py RECIPE [key=value …])"),
    (["configs/train/sft_tiny.yaml", "--dtype", "bf16"],  # chat's --dtype: was offered model.projector.type
     "--dtype is no option of launch.py; the recipe's keys go as key=value: did you mean precision=bf16?"),
])
def test_launch_asks_of_a_guessed_key_and_tells_where_the_recipe_goes(monkeypatch, capsys, words, said):
    launch = load_script("launch", monkeypatch)
    with pytest.raises(SystemExit) as e:
        launch.main([*words, "data.train=x.jsonl", "--dry-run"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and said in err, err


def test_compare_lists_a_nan_row_s_note_and_counts_nan_held_alike_on_identical(tmp_path, monkeypatch, capsys):
    """compare_weights notes NaN/inf places; the script printed no note, and 'identical' hid NaN held alike."""
    from safetensors.torch import save_file

    nan = torch.tensor([1.0, float("nan"), float("inf"), 2.0])
    for side in "ab":
        (tmp_path / side).mkdir()
        save_file({"w": nan.clone(), "v": torch.ones(3)}, tmp_path / side / "m.safetensors")
    compare = load_script("compare_checkpoints", monkeypatch)
    assert compare.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == ["1 tensor holds NaN or inf, at the same places on both sides", "identical"], out
    shutil.rmtree(tmp_path / "b")
    (tmp_path / "b").mkdir()
    save_file({"w": torch.tensor([1.0, 0.0, float("inf"), 2.0]), "v": torch.ones(3)}, tmp_path / "b" / "m.safetensors")
    assert compare.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert ("  m.safetensors: w  differs  inf (non-finite values at 2 places in A and 1 in B, 1 not matched on the "
            "other side)") in out, out
