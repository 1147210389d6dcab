"""Tour 64 of the model area (helper M): an adapter given as the LLM is refused alike everywhere (memory_plan,
a hub name in the cache), checkpoints, merges and averages at odd inputs."""

from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import hub_cache, peft_adapter
from script_loader import REPO, load_script


def _model_yaml(path, name_or_path, tokenizer):
    """configs/model/tiny.yaml with its LLM at ``name_or_path`` (no llm.config) written to ``path``."""
    conf = yaml.safe_load((REPO / "configs/model/tiny.yaml").read_text())
    conf["llm"] = {**{k: v for k, v in conf["llm"].items() if k != "config"},
                   "name_or_path": name_or_path, "tokenizer": tokenizer}
    path.write_text(yaml.safe_dump(conf))
    return path


def test_memory_plan_refuses_an_adapter_folder_as_a_run_does(tmp_path, base_dir, monkeypatch, capsys):
    """memory_plan checked the LLM folder with adapters allowed, so an adapter folder holding its base's config.json
    (as some hub adapters ship) was planned, and the run it planned for then refused it."""
    adapter = peft_adapter(base_dir, tmp_path / "adapter")
    shutil.copy(base_dir / "config.json", adapter)
    config = _model_yaml(tmp_path / "model.yaml", str(adapter), str(base_dir))
    plan = load_script("memory_plan", monkeypatch)
    capsys.readouterr()  # the adapter's making
    assert plan.main([str(config), "--seq-len", "64"]) == 2
    out = capsys.readouterr()
    assert out.err.startswith(f"memory_plan: {config}: llm.name_or_path: {adapter} is a peft adapter"), out.err
    assert "merge it into its base first" in out.err and not out.out


def test_a_cached_hub_adapter_is_named_an_adapter_not_missing_from_the_cache(tmp_path, base_dir, monkeypatch, capsys):
    """A hub name whose cached files are a peft adapter's (adapter_config.json, no config.json) was 'not in the
    Hugging Face cache ... download it first', which the user had done; it is refused as the adapter it is (by
    build_llm and memory_plan alike), naming the name, the cached folder and the merge."""
    from rsvlm.model.llm import LLMConfig, build_llm

    snap = hub_cache(tmp_path, monkeypatch, "acme/tiny-lora", peft_adapter(base_dir, tmp_path / "adapter"))
    with pytest.raises(ValueError) as e:
        build_llm(LLMConfig(name_or_path="acme/tiny-lora", tokenizer=str(base_dir)))
    msg = str(e.value)
    assert msg.startswith(f"llm.name_or_path: acme/tiny-lora (the Hugging Face cache's {snap}) is a peft adapter "
                          f"(adapter_config.json) on {base_dir}"), msg
    assert "from_pretrained('acme/tiny-lora').merge_and_unload()" in msg and "not in the" not in msg
    plan = load_script("memory_plan", monkeypatch)
    config = _model_yaml(tmp_path / "model.yaml", "acme/tiny-lora", str(base_dir))
    assert plan.main([str(config), "--seq-len", "64"]) == 2
    assert "acme/tiny-lora (the Hugging Face cache's" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="acme/other is a hub name .* not in the Hugging Face cache"):
        build_llm(LLMConfig(name_or_path="acme/other", tokenizer=str(base_dir)))  # one not cached: as before


def test_a_cached_hub_model_still_loads_offline(tmp_path, base_dir, monkeypatch):
    """The cache is searched for adapter_config.json only where config.json is not there: a model still loads."""
    from rsvlm.model.llm import LLMConfig, build_llm

    hub_cache(tmp_path, monkeypatch, "acme/tiny", base_dir)
    llm, _, _ = build_llm(LLMConfig(name_or_path="acme/tiny"))
    assert not any("lora" in k for k in llm.state_dict())


def test_an_adapter_transformers_takes_anyway_is_refused_after_the_load(tmp_path, base_dir, monkeypatch):
    """A hub adapter not in the cache, online, passes the file checks (nothing on disk to read) and transformers
    builds the base its adapter_config.json names with the adapter on it: that LLM is refused after the load.
    Here the checks are skipped and the folder is taken for a hub name, as for such a name."""
    import rsvlm.model.checks as checks
    import rsvlm.model.llm as llm_mod
    from rsvlm.model.llm import LLMConfig, build_llm

    adapter = peft_adapter(base_dir, tmp_path / "adapter")
    monkeypatch.setattr(checks, "check_llm_files", lambda *a, **k: None)
    monkeypatch.setattr(llm_mod, "local_folder", lambda *a, **k: None)
    with pytest.raises(ValueError, match=r"adapter is a peft adapter \(adapter_config.json\), not a model: merge"):
        build_llm(LLMConfig(name_or_path=str(adapter), tokenizer=str(base_dir)))


def test_a_slow_load_into_a_log_file_draws_no_bar(tmp_path, monkeypatch):
    """transformers' "Loading weights" bar, once a load had taken bar_delay_s, redrew itself with '\\r' into
    '2> log.txt'; off a terminal it is not drawn now (tqdm's disable=None), and a caller's own disable is kept."""
    import sys
    import time

    from transformers.utils import logging as hf_logging

    from rsvlm.model.quiet import bars_after

    def slow(n):
        for i in range(n):
            time.sleep(0.12)  # past tqdm's 0.1 s between redraws
            yield i

    log = tmp_path / "log.txt"
    with log.open("w") as f:
        monkeypatch.setattr(sys, "stderr", f)
        with bars_after(0.05):
            list(hf_logging.tqdm(slow(3), total=3, desc="Loading weights"))
            list(hf_logging.tqdm(slow(2), total=2, desc="mine", disable=False))
    text = log.read_bytes().decode()  # read_text turns each '\r' into a newline
    assert "Loading weights" not in text and "mine" in text and "\r" in text


@pytest.mark.parametrize("change", ["lack", "extra"])
def test_averaging_names_which_checkpoint_lacks_a_file(tmp_path, ckpt, change):
    """Two checkpoints, one with its llm/model.safetensors gone (or a stray weight file added), were refused as
    "files differ from A: ['llm/model.safetensors']", not saying which of them lacks or holds it."""
    from rsvlm.model.weights import average_checkpoints

    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        shutil.copytree(ckpt, d, ignore=shutil.ignore_patterns("adapter"))  # a full checkpoint: llm/ and no adapter
    if change == "lack":
        (b / "llm" / "model.safetensors").unlink()
    else:
        shutil.copyfile(b / "vision.safetensors", b / "extra.safetensors")
    with pytest.raises(ValueError) as e:
        average_checkpoints([a, b], tmp_path / "out", progress=False)
    said = (f"{b}: lacks what {a} holds: ['llm/model.safetensors']" if change == "lack" else
            f"{b}: holds what {a} has not: ['extra.safetensors']")
    assert str(e.value).startswith(said), str(e.value)
    assert not (tmp_path / "out").exists()


def test_merge_into_a_folder_below_a_file_is_refused_before_the_load(tmp_path, ckpt, monkeypatch):
    """rsvlm merge-lora --out model.yaml/merged loaded the whole model, then failed with
    'NotADirectoryError: [Errno 20] Not a directory'; it is refused first, naming the file."""
    import rsvlm.model.merge as merge

    (tmp_path / "model.yaml").write_text("x")
    monkeypatch.setattr(merge, "load_pretrained", lambda *a, **k: pytest.fail("loaded before --out was checked"))
    with pytest.raises(FileExistsError, match=r"model\.yaml/merged: .*model\.yaml is a file, not a folder; merge into"):
        merge.merge_lora(ckpt, tmp_path / "model.yaml" / "merged")


@pytest.mark.parametrize("edit", ["int", "nan"])
def test_vision_weights_of_integers_or_nan_are_refused_naming_the_tensor(tmp_path, ckpt, edit):
    """vision.safetensors with a weight stored as int64 (values cut to integers) or holding NaN (a diverged run)
    loaded without a word: torch cast the integers, and every answer of a NaN model is garbage."""
    from safetensors.torch import load_file, save_file

    from rsvlm.model import load_pretrained

    d = tmp_path / "ck"
    shutil.copytree(ckpt, d)
    state = load_file(d / "vision.safetensors")
    name = "projectors.default.0.weight" if "projectors.default.0.weight" in state else sorted(state)[0]
    state[name] = state[name].long() if edit == "int" else state[name] * float("nan")
    save_file(state, d / "vision.safetensors")
    said = "stored as integers where the model's are floating point" if edit == "int" else "holds NaN or inf"
    with pytest.raises(ValueError, match=rf"vision\.safetensors: 1 weight {said} \(first: {name}"):
        load_pretrained(d)


def test_merge_or_average_into_another_checkpoint_is_refused(tmp_path, ckpt, monkeypatch, capsys):
    """--out runs/x/final/merged (a folder inside a checkpoint other than the source) was written there: the outer
    checkpoint then held a second one (averaging it: 'holds what A has not: [merged/README.md, …]')."""
    import rsvlm.model.merge as merge

    outer = tmp_path / "outer"
    shutil.copytree(ckpt, outer)
    monkeypatch.setattr(merge, "load_pretrained", lambda *a, **k: pytest.fail("loaded before --out was checked"))
    with pytest.raises(ValueError, match=rf"{outer}/merged: inside the checkpoint {outer}; merge into a folder"):
        merge.merge_lora(ckpt, outer / "merged")
    average = load_script("average_checkpoints", monkeypatch)
    with pytest.raises(SystemExit):
        average.main([str(ckpt), str(shutil.copytree(ckpt, tmp_path / "b")), "--out", str(outer / "avg")])
    assert f"inside the checkpoint {outer}; write the average into a new folder" in capsys.readouterr().err
    assert not (outer / "merged").exists() and not (outer / "avg").exists()
