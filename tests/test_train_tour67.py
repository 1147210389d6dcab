"""Training tour 67: override and recipe hints for the keys of a mapping's entries (model.encoders.NAME.x)."""

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig

TINY = "configs/train/sft_tiny.yaml"


def refusal(path, overrides=()) -> str:
    """The ConfigError's text for the recipe at ``path`` (None: none) with ``overrides``."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path, list(overrides))
    return str(e.value)


def written(tmp_path, text: str):
    """A recipe file of ``text``."""
    p = tmp_path / "run.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("override, hint", [
    ("patch_size=16", "model.encoders.NAME.patch_size=16, NAME one of default, sar"),
    ("lora_target_modules=[qkv]", "model.encoders.NAME.lora_target_modules=[qkv], NAME one of default, sar"),
    ("bands=[R]", "model.stems.NAME.bands=[R], NAME one of optical, msi, sar, ir"),
])
def test_an_override_naming_a_mapping_entrys_key_names_that_key(override, hint):
    """patch_size=16 was offered batch_size=16 and lora_target_modules the LLM's target_modules: the keys of
    model.encoders' and model.stems' entries were never looked at."""
    text = refusal(TINY, [override])
    assert text.endswith(f"(did you mean {hint}?)"), text


def test_an_override_names_the_one_entry_a_recipe_has():
    """With one encoder, the hint names it, not NAME."""
    text = refusal(None, ["model.encoders={default: {}}", "patch_size=16"])
    assert text.endswith("(did you mean model.encoders.default.patch_size=16?)"), text


def test_lora_r_still_names_the_llms_key():
    """An encoder's lora_r does not make lora_r=8 ambiguous: the key outside a mapping goes first."""
    text = refusal(TINY, ["lora_r=8"])
    assert text.endswith("(did you mean model.llm.lora_r=8?)"), text


def test_a_recipe_key_of_an_encoder_at_the_top_names_where_it_goes(tmp_path):
    text = refusal(written(tmp_path, "patch_size: 16\n"))
    assert text.endswith("(did you mean model.encoders.NAME.patch_size?)"), text


def test_preflight_builds_each_lora_tower_once(tmp_path, monkeypatch):
    """With trainable.encoder=lora each encoder was built on the meta device twice in preflight: for its LoRA
    targets (check_lora_names) and again for the rank note."""
    from test_preflight_tour67 import counting_builds
    from test_train_utils import make_records, recipe

    from rsvlm.train.run import preflight

    built = counting_builds(monkeypatch)
    data = make_records(tmp_path / "d", n=8)
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "model.trainable.encoder=lora",
                                                      "model.encoders.default.lora_target_modules=[nothing]"])
    with pytest.raises(ValueError, match="model.encoders.default.lora_target_modules"):  # still checked
        preflight(cfg)
    built.clear()
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "model.trainable.encoder=lora"])
    preflight(cfg)
    assert len(built) == len(cfg.model.encoders), built


def resume_renamed_under_5e2de20f_prints(tmp_path, text: bytes, edited: bytes | None = None) -> None:
    """``check_changes`` (rank 0) resuming from a step folder whose trainer state holds 5e2de20f's print
    ("SIZE:HASH": the SHA-256 of the first MiB, then of the MiB from max(size - 1 MiB, 0)) of a records file of
    ``text``, that file renamed since (and holding ``edited`` where given)."""
    import hashlib
    import json

    from rsvlm.config import save_config
    from rsvlm.train.resume import check_changes

    old, new = tmp_path / "train.jsonl", tmp_path / "train_v1.jsonl"
    old.write_bytes(text)
    save_config(load_config(TrainConfig, None, [f"data.train={old}"]), tmp_path / "train_config.yaml")
    h = hashlib.sha256(text[: 1 << 20])
    h.update(text[-(1 << 20):])  # the whole file again where it is under 1 MiB
    state = {"step": 2, "records": {"n": 1, "sha256": "0"}, "files": [f"{len(text)}:{h.hexdigest()[:16]}"]}
    (tmp_path / "trainer_state_rank0.json").write_text(json.dumps(state))
    old.rename(new)
    if edited is not None:
        new.write_bytes(edited)
    check_changes(tmp_path, load_config(TrainConfig, None, [f"data.train={new}"]), 0)


@pytest.mark.parametrize("edited", [False, True])
def test_a_renamed_records_file_under_a_step_folder_with_5e2de20f_prints(tmp_path, capsys, edited):
    """A step folder saved with 5e2de20f's prints ("SIZE:HASH" of the ends) matched no print of today's form: a
    records file renamed, same bytes, was said to move the data position."""
    text = b'{"id": "a"}\n' * 100
    resume_renamed_under_5e2de20f_prints(tmp_path, text, text.replace(b"a", b"b") if edited else None)
    err = capsys.readouterr().err
    if edited:
        assert "; data.train moves the data position" in err and "first and last MiB" not in err, err
    else:
        assert "; data.train: the same bytes as the checkpoint's files" in err, err  # its ends are all of it
        assert "data position" not in err, err
