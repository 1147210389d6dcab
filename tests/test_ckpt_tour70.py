"""Checkpoints and LoRA merges, tour 70: an adapter_config.json whose rank is not its weights' is refused in one
line naming both files' ranks, before anything is built (was peft's 'size mismatch' traceback, a line per tensor)."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import save_file


def _rank_edited(ckpt, tmp_path, r: int):
    """A copy of ``ckpt`` whose adapter_config.json says rank ``r`` (its weights are of another)."""
    src = shutil.copytree(ckpt, tmp_path / "ck")
    conf = json.loads((src / "adapter" / "adapter_config.json").read_text())
    assert conf["r"] != r
    (src / "adapter" / "adapter_config.json").write_text(json.dumps({**conf, "r": r}))
    return src, conf["r"]


def test_merge_lora_refuses_an_adapter_config_of_another_rank_in_one_line(ckpt, tmp_path, capsys):
    from rsvlm.cli import main

    src, was = _rank_edited(ckpt, tmp_path, 8)
    assert main(["merge-lora", "--model", str(src), "--out", str(tmp_path / "merged")]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "size mismatch" not in err and len(err.strip().splitlines()) == 1
    assert f"{src / 'adapter' / 'adapter_config.json'}: says r=8" in err and f"(r: {was})" in err
    assert not (tmp_path / "merged").exists()


def test_load_pretrained_names_the_rank_mismatch_before_building(ckpt, tmp_path):
    from rsvlm.model import load_pretrained

    src, was = _rank_edited(ckpt, tmp_path, 2)
    with pytest.raises(ValueError, match=rf"says r=2, but .*lora_[AB]\.weight .* of rank {was}"):
        load_pretrained(src)


def _adapter(folder, conf: dict, ranks: dict[str, int]):
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps(conf))
    save_file({f"base_model.model.{name}.lora_A.weight": torch.zeros(r, 16) for name, r in ranks.items()}
              | {f"base_model.model.{name}.lora_B.weight": torch.zeros(16, r) for name, r in ranks.items()},
              str(folder / "adapter_model.safetensors"))
    return folder


def test_a_rank_pattern_layer_of_its_own_rank_passes_the_check(tmp_path):
    """peft's rank_pattern gives some layers other ranks: those are the adapter's own, not a mismatch."""
    from rsvlm.model.ckpt_files import adapter_rank_mismatch

    ranks = {"model.layers.0.self_attn.q_proj": 4, "model.layers.0.self_attn.v_proj": 8}
    assert adapter_rank_mismatch(_adapter(tmp_path / "a", {"r": 4, "rank_pattern": {"v_proj": 8}}, ranks)) is None
    assert "of rank 8" in adapter_rank_mismatch(_adapter(tmp_path / "b", {"r": 4}, ranks))


def test_memory_plan_names_the_yaml_files_of_a_config_folder_given_whole(tmp_path, monkeypatch, capsys):
    """``memory_plan.py configs/model`` said 'not an rsvlm checkpoint (no config.yaml)' alone, not that the folder
    holds the model YAMLs to give; a run's out_dir keeps pointing at its final/ instead."""
    from script_loader import REPO, load_script

    plan = load_script("memory_plan", monkeypatch)
    folder = shutil.copytree(REPO / "configs" / "model", tmp_path / "model")
    assert plan.main([str(folder)]) == 2
    err = capsys.readouterr().err
    assert "geochat-7b.yaml" in err and f"give them as files ({folder / '*.yaml'})" in err
    run = tmp_path / "run"
    (run / "final").mkdir(parents=True)
    (run / "final" / "config.yaml").write_text("{}")
    (run / "train_config.yaml").write_text("{}")
    assert plan.main([str(run)]) == 2
    err = capsys.readouterr().err
    assert f"whose model is {run / 'final'}" in err and "give them as files" not in err


def test_compare_two_weight_files_with_no_tensor_name_in_common_is_an_error(tmp_path, monkeypatch, capsys):
    """vision.safetensors against llm/model.safetensors was '99 of 99 tensors differ (78 only in A, 21 only in B)',
    exit 1, as if two versions of one file differed; one file empty is still a difference (exit 1)."""
    from script_loader import load_script

    cmp = load_script("compare_checkpoints", monkeypatch)
    files = {}
    for name, keys in (("a", ["x.weight", "y.weight"]), ("b", ["z.weight"]), ("c", []), ("d", ["x.weight"])):
        save_file({k: torch.ones(2) for k in keys}, str(tmp_path / f"{name}.safetensors"))
        files[name] = str(tmp_path / f"{name}.safetensors")
    assert cmp.main([files["a"], files["b"]]) == 2
    err = capsys.readouterr().err
    assert f"{files['a']} (2 tensors) and {files['b']} (1): no tensor name in common" in err
    assert cmp.main([files["a"], files["c"]]) == 1  # an empty file: its tensors are missing, the same file's name
    assert cmp.main([files["a"], files["d"]]) == 1  # one name shared: y.weight only in A
    assert "only in A" in capsys.readouterr().out


@pytest.mark.parametrize("edit, said", [
    (lambda conf: [conf], "not a JSON object (peft's adapter config)"),
    (lambda conf: {**conf, "r": "4"}, "r is '4', not a rank"),
    (lambda conf: {**conf, "r": 0}, "r is 0, not a rank"),
])
def test_an_adapter_config_that_is_no_object_or_gives_no_rank_is_named(ckpt, tmp_path, capsys, edit, said):
    """Was 'adapter …: cannot be read (TypeError: list indices must be integers …)' or '(TypeError: '<=' not
    supported between instances of 'str' and 'int')', naming neither the file nor the key."""
    from rsvlm.cli import main

    src = shutil.copytree(ckpt, tmp_path / "ck")
    path = src / "adapter" / "adapter_config.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    assert main(["merge-lora", "--model", str(src), "--out", str(tmp_path / "merged")]) != 0
    assert f"{path}: {said}" in capsys.readouterr().err
