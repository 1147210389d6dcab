"""The checkpoint scripts used as a demanding user would: memory_plan's counts against a real tiny
build, export_step's and average_checkpoints' refusals, compare_checkpoints on odd inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_loader import REPO, load_script


def test_memory_plan_counts_a_tiny_model_as_its_real_build(monkeypatch):
    import torch

    from rsvlm.model import create_model

    plan = load_script("memory_plan", monkeypatch)
    cfg = plan.model_config(REPO / "configs/model/tiny.yaml", "lora")  # no tokenizer in the table: llm.config's vocab
    inv = plan.inventory(plan.offline(cfg), "tiny", plan.tokenizer_len(cfg.llm.name_or_path))
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    rows = model.llm.get_input_embeddings().weight.shape[0]
    assert rows == 260 + len(model.special.added)
    assert inv.vocab_rows == rows  # was 2,312: the meta build's resized 1,286 rows + the added tokens again
    assert inv.total == sum(p.numel() for p in model.parameters())
    assert inv.trainable == sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_memory_plan_names_a_checkpoints_config_in_one_line(monkeypatch, capsys, ckpt, tmp_path):
    plan = load_script("memory_plan", monkeypatch)
    # a checkpoint's config.yaml names its llm/ folder, not the architecture: was a ValueError traceback;
    # beside its llm/ it is planned now (test_memory_plan_tour57), away from it still refused
    (tmp_path / "config.yaml").write_text((ckpt / "config.yaml").read_text())
    assert plan.main([str(REPO / "configs/model/tiny.yaml"), str(tmp_path / "config.yaml")]) == 2
    out = capsys.readouterr()
    assert out.err.startswith(f"memory_plan: {tmp_path / 'config.yaml'}: no llm.config") and out.err.count("\n") == 1
    assert "train_config.yaml" in out.err and "###" not in out.out  # refused before any plan is printed


def test_export_step_refuses_an_out_inside_the_step_folder(tmp_path, monkeypatch, capsys):
    export = load_script("export_step", monkeypatch)
    monkeypatch.setattr("rsvlm.train.loop.export_step", lambda step, out: Path(out).mkdir() or Path(out))
    step = tmp_path / "run" / "checkpoints" / "step_000006"
    step.mkdir(parents=True)
    (step / "train_config.yaml").write_text("")
    # was: written there, and deleted with the step when a resumed run pruned it (ckpt.keep)
    assert export.main([str(step), "--out", str(step / "model")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {step / 'model'}: inside the step folder {step}") and err.count("\n") == 1
    assert not (step / "model").exists()
    beside = step.parent / "step_000010"  # was picked by ckpt.resume=auto as the latest step, then refused
    assert export.main([str(step), "--out", str(beside)]) == 2
    assert f"--out {beside}: named as a step folder beside {step}" in capsys.readouterr().err
    assert not beside.exists()
    assert export.main([str(step), "--out", str(step.parent / "exported")]) == 0  # a name resume never takes
    assert export.main([str(step), "--out", str(tmp_path / "run" / "step6")]) == 0


def test_average_says_what_an_input_that_is_no_checkpoint_is(tmp_path, monkeypatch, capsys):
    from test_scripts_checkpoints import fake_ckpt

    avg = load_script("average_checkpoints", monkeypatch)
    a, run = fake_ckpt(tmp_path / "a"), tmp_path / "run"
    fake_ckpt(run / "final")
    step = run / "checkpoints" / "step_000004"
    step.mkdir(parents=True)
    (step / "trainable.safetensors").write_bytes(b"")
    for given, says in ((run, f"{run}: not an rsvlm checkpoint (no config.yaml); it is a training run's out_dir, "
                              f"whose model is {run / 'final'}"),  # was the first half alone
                        (step, "it is a training step folder: write it as a model with scripts/export_step.py"),
                        (tmp_path / "gone", f"{tmp_path / 'gone'}: no such checkpoint folder")):
        assert avg.main([str(a), str(given), "--out", str(tmp_path / "avg")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and says in err and err.count("\n") == 1, err
    assert not (tmp_path / "avg").exists()


def test_compare_of_a_file_that_is_not_weights_says_what_to_give(tmp_path, monkeypatch, capsys):
    from test_scripts_checkpoints import fake_ckpt

    cmp = load_script("compare_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    assert cmp.main([str(a / "config.yaml"), str(b / "config.yaml")]) == 2
    err = capsys.readouterr().err  # was '(pickled .bin/.pt weights are never loaded)', of a YAML file
    assert err == f"error: {a / 'config.yaml'}: not a .safetensors file; give two checkpoint folders or two " \
                  ".safetensors files\n"
    (tmp_path / "w.pt").write_bytes(b"")
    assert cmp.main([str(tmp_path / "w.pt"), str(b / "vision.safetensors")]) == 2
    assert "w.pt: not a .safetensors file; pickled weights, which are never loaded" in capsys.readouterr().err


def test_memory_plan_for_the_users_gpus_matches_a_hand_count(monkeypatch, capsys):
    plan = load_script("memory_plan", monkeypatch)
    # tiny at 64 tokens: h 64, i 128, L 2, g 2/4, V 260 + the added rows; ViT n 17 (4×4 + CLS), w 64, 1 block
    # run (feature_layer -2 of 2), 16 visual tokens; the stems train, so the ViT's block inputs are kept and one
    # block is recomputed
    cfg = plan.model_config(REPO / "configs/model/tiny.yaml", "lora")
    inv = plan.inventory(plan.offline(cfg), "tiny")
    s, h, V = 64, 64, inv.vocab_rows
    a = s - 16  # the logits kept: all but the visual tokens
    act = 2 * s * h * 2 + 2 * s * (6 * h + 2 * h // 2 + 4 * 128) + 14 * a * V + 2 * 17 * 64 + 4 * 16 * h + 2 * 17 * 64 + 32 * 17 * 64
    assert plan.activation_bytes(inv, s) == act
    T, F = inv.trainable, inv.total - inv.trainable
    free = 40 * 2**30 - (4 * 2**30 + 2 * 2**30) - (2 * T + 18 * T + 2 * F)  # reserve 10% + 2 GiB; ZeRO-2 on one GPU
    assert plan.main([str(REPO / "configs/model/tiny.yaml"), "--seq-len", "64", "--gpus", "40", "2x8x80"]) == 0
    out = capsys.readouterr().out  # was: always 1×24, 1×80 and 8×80 GB, whatever GPU the user has
    assert "| strategy | 1×40 GB: GiB/GPU (states) · max micro-batch | 2×8×80 GB:" in out
    assert f"| zero2 | 0.0 · {free // act} | " in out
    with pytest.raises(SystemExit):
        plan.main([str(REPO / "configs/model/tiny.yaml"), "--gpus", "8x0"])
    assert "--gpus: '8x0': give GiB per GPU, GPUSxGiB or NODESxGPUSxGiB" in capsys.readouterr().err


def test_average_names_an_out_that_is_a_file_as_a_file(tmp_path, monkeypatch, capsys):
    from test_scripts_checkpoints import fake_ckpt

    avg = load_script("average_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    (tmp_path / "soup.safetensors").write_bytes(b"x")
    assert avg.main([str(a), str(b), "--out", str(tmp_path / "soup.safetensors")]) == 2
    err = capsys.readouterr().err  # was '…: already exists and is not empty'
    assert err == f"error: {tmp_path / 'soup.safetensors'}: a file, where the average (a folder) goes; write the " \
                  "average into a new folder\n"
    assert (tmp_path / "soup.safetensors").read_bytes() == b"x"


def test_compare_puts_a_nan_tensor_first_and_in_its_files_line(tmp_path, monkeypatch, capsys):
    import torch
    from safetensors.torch import save_file

    cmp = load_script("compare_checkpoints", monkeypatch)
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    save_file({"a": torch.zeros(2), "m": torch.zeros(2), "w": torch.ones(3)}, str(a))
    save_file({"a": torch.full((2,), 0.5), "m": torch.full((2,), 0.25), "w": torch.tensor([1.0, float("nan"), 1.0])},
              str(b))
    assert cmp.main([str(a), str(b), "--show", "1"]) == 1
    lines = capsys.readouterr().out.splitlines()
    # was: max(0.5, 0.25, nan) = 0.5 in the file's line, and the NaN tensor sorted anywhere (here last, unlisted)
    # a NaN on one side only: an infinite |Δ| (it read 'nan', as a NaN on both sides did, which is equal there)
    assert lines[1].split()[-3:] == ["3", "3", "inf"], lines
    assert lines[2].split()[:4] == ["a.safetensors:", "w", "differs", "inf"], lines  # (then the row's note, if said)
    assert lines[3] == "3 of 3 tensors differ"


def test_memory_plan_keeps_a_recipes_own_llm_trainability(monkeypatch, capsys):
    from rsvlm.model import create_model

    plan = load_script("memory_plan", monkeypatch)
    recipe = REPO / "configs/train/align_tiny.yaml"  # trainable.llm: frozen (projector and stems only)
    cfg = plan.model_config(recipe)
    assert cfg.trainable.llm == "frozen"
    inv = plan.inventory(plan.offline(cfg), "align")
    model, _ = create_model(cfg)
    assert inv.trainable == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert plan.main([str(recipe), "--seq-len", "64"]) == 0
    out = capsys.readouterr().out  # was: '(LLM lora)', LoRA adapters and token rows planned that align never has
    assert out.startswith("### align_tiny (LLM frozen)") and f"{inv.trainable / 1e6:.1f} M trainable" in out
    assert "qlora_4bit" not in out
    assert plan.main([str(recipe), "--seq-len", "64", "--llm", "lora"]) == 0
    assert capsys.readouterr().out.startswith("### align_tiny (LLM lora)")


def test_memory_plan_plans_for_the_costliest_stems_image(monkeypatch):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    plan = load_script("memory_plan", monkeypatch)
    # tiny's sar stem on its own encoder at 64 px: 64 visual tokens, 65 patches + CLS (optical: 16 and 17)
    cfg = plan.offline(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", ["encoders.sar.image_size=64"]))
    inv = plan.inventory(cfg, "tiny")
    assert list(cfg.stems)[0] == "optical"  # was planned alone: 16 tokens, 17 patches, a quarter of sar's
    assert (inv.vis_tokens, inv.vis_seq, inv.vis_width, inv.vis_blocks) == (64, 65, 64, 1)


def test_probe_pointer_cells_says_a_model_has_no_pointer(tmp_path, monkeypatch, capsys, ckpt):
    from test_probe_pointer_cells import ground_records

    probe = load_script("probe_pointer_cells", monkeypatch)
    assert probe.main(["--model", str(ckpt), "--data", str(ground_records(tmp_path)), "--limit", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].split()[:2] == ["pointer", "0.250"]  # a flat term: one cell's share of the bins
    # was unexplained: a 'pointer' row for a model without one, its argmax (bin 0) scoring the first cell
    assert out[4].startswith("  (no location pointer in this model: its row is a flat term's")


def test_compare_of_a_step_folder_with_a_model_says_to_export_it(tmp_path, monkeypatch, capsys):
    import torch
    from safetensors.torch import save_file
    from test_scripts_checkpoints import fake_ckpt

    cmp = load_script("compare_checkpoints", monkeypatch)
    final = fake_ckpt(tmp_path / "run" / "final")
    step = tmp_path / "run" / "checkpoints" / "step_000006"
    step.mkdir(parents=True)
    save_file({"w": torch.ones(4)}, str(step / "trainable.safetensors"))
    for args in ([step, final], [final, step]):
        assert cmp.main([str(x) for x in args]) == 2
        err = capsys.readouterr().err  # was: 'no .safetensors file in common …; compare folders at the same level'
        assert err == f"error: {step} is a training step folder and {final} a model: write the step as a model " \
                      "with scripts/export_step.py, then compare the two models\n"
    assert cmp.main([str(step), str(step)]) == 0  # two step folders compare as they are


def test_memory_plan_of_a_4bit_recipe_plans_what_it_runs(tmp_path, monkeypatch, capsys):
    plan = load_script("memory_plan", monkeypatch)
    recipe = tmp_path / "qlora.yaml"  # sft_tiny (LoRA) with its LLM loaded 4-bit, as qlora_tiny (which has no llm.config)
    text = (REPO / "configs/train/sft_tiny.yaml").read_text()
    recipe.write_text(text.replace("    chat_template: rsvlm\n", "    chat_template: rsvlm\n    load_in_4bit: true\n"
                                   "    name_or_path: weights/llm/absent\n", 1))  # 4-bit loads a saved LLM
    assert plan.main([str(recipe), "--seq-len", "64"]) == 0
    rows = [line.split(" | ")[0] for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows == ["| strategy", "| ---", "| qlora_4bit"]  # was zero2 … zero3_offload too, of a bf16 LLM
    # was a plan for full fine-tuning of a 4-bit LLM, which training refuses
    assert plan.main([str(recipe), "--seq-len", "64", "--llm", "full"]) == 2
    out = capsys.readouterr()
    assert out.err == f"memory_plan: {recipe}: model.llm: a 4/8-bit LLM cannot be trained 'full'; set " \
                      "trainable.llm to lora (QLoRA)\n" and not out.out
    # a frozen 4-bit LLM was planned, though training refuses it (it is never saved: bb534415)
    assert plan.main([str(recipe), "--seq-len", "64", "--llm", "frozen"]) == 2
    out = capsys.readouterr()
    assert out.err == f"memory_plan: {recipe}: model.trainable.llm: frozen, with a 4/8-bit LLM: such a model is " \
                      "never saved (its LLM cannot be written whole): set model.trainable.llm to lora (QLoRA), or " \
                      "load the LLM in full precision\n" and not out.out


@pytest.mark.parametrize("args, says", [
    (["--hostfile", "{gone}"], "launch: hostfile {gone}: no such file (one 'HOST slots=N' line per node)"),
    (["--hostfile", "{gone}", "--launcher", "torchrun"], "launch: hostfile {gone}: no such file (one"),
    # a dry run does not read the hosts, but torchrun's rendezvous comes from the file: it was 'needs --hostfile'
    (["--hostfile", "{gone}", "--launcher", "torchrun", "--dry-run"],
     "launch: hostfile {gone}: no such file, where torchrun's rendezvous host (the first) comes from; give it, or "
     "--master-addr"),
])
def test_launch_names_a_missing_hostfile(tmp_path, monkeypatch, capsys, args, says, sft_record):
    launch = load_script("launch", monkeypatch)
    gone = tmp_path / "hosts"
    recipe = REPO / "configs/train/recipes/qwen2.5-1.5b-sft.yaml"
    given = [*(a.format(gone=gone) for a in args), f"data.train={sft_record}"]  # a records file the launch checks
    assert launch.main([str(recipe), "--nodes", "2", *given]) == 2
    err = capsys.readouterr().err  # was "launch: [Errno 2] No such file or directory: '…/hosts'"
    assert err.startswith(says.format(gone=gone)) and err.count("\n") == 1, err


@pytest.mark.parametrize("weights", [["-1", "2"], ["0", "0"]])
def test_average_names_negative_or_zero_weights_as_its_option(tmp_path, monkeypatch, capsys, weights):
    from test_scripts_checkpoints import fake_ckpt

    avg = load_script("average_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    with pytest.raises(SystemExit) as e:  # was 'error: weights [-1.0, 2.0]: need one non-negative weight …'
        avg.main([str(a), str(b), "--out", str(tmp_path / "avg"), "--weights", *weights])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--weights" in err and "give non-negative numbers, not all zero" in err
    assert not (tmp_path / "avg").exists()
