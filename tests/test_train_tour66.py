"""Training tour 66: hints for override keys two or more sections off, every unknown YAML key at once."""

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig


@pytest.mark.parametrize("override", ["lora_r=8", "train.lora.r=8", "lora.r=8", "train.lora_r=8",
                                      "model.llm.lora.r=8", "llm.lora.r=8"])
def test_an_override_sections_off_or_dotted_names_the_full_key(override):
    """lora_r=8 (two sections left out) and train.lora.r=8 (a section too many, lora_r dotted) listed the top
    keys and no hint: the user had to find model.llm.lora_r themselves."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, [override])
    assert str(e.value).endswith("(did you mean model.llm.lora_r=8?)"), str(e.value)


def test_an_override_naming_a_trainable_part_names_the_trainable_key():
    """encoder=lora was refused with no hint (model.encoders, the one-slip key, is a mapping)."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, ["encoder=lora"])
    assert str(e.value).endswith("(did you mean model.trainable.encoder=lora?)"), str(e.value)


def test_an_override_whose_name_several_keys_end_with_gets_no_guess():
    """seed is a key at the top and in model.llm: a.b.seed=1 names no one of them."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, ["a.b.seed=1"])
    assert "did you mean" not in str(e.value)


def test_unknown_keys_of_a_config_file_are_all_named_at_once(tmp_path):
    """A file with slips in three sections was refused for the top one only: fix, rerun, see the next."""
    p = tmp_path / "run.yaml"
    p.write_text("lora_r: 8\noptim: {lrr: 0.1}\nmodel:\n  llm: {lora_rank: 3}\n  encoders:\n"
                 "    default: {widht: 64}\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, p)
    text = str(e.value)
    assert text.startswith(f"{p}: unknown keys in 4 places:\n"), text
    lines = text.splitlines()[1:]
    assert [line.split(" for ")[0].strip() for line in lines] == [
        "unknown key lora_r", "unknown key model.encoders.default.widht", "unknown key model.llm.lora_rank",
        "unknown key optim.lrr"], lines
    assert [line.rsplit(" (", 1)[-1] for line in lines] == [
        "did you mean model.llm.lora_r?)", "did you mean model.encoders.default.width?)",
        "did you mean model.llm.lora_r?)", "did you mean optim.lr?)"], lines
    assert set(e.value.keys) == {"lora_r", "optim.lrr", "model.llm.lora_rank", "model.encoders.default.widht"}


def test_one_unknown_file_key_sections_off_names_the_full_key(tmp_path):
    """lora_r: 8 at the top of a recipe listed the top keys and no hint."""
    p = tmp_path / "run.yaml"
    p.write_text("lora_r: 8\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, p)
    assert str(e.value).endswith("slow_step_s (did you mean model.llm.lora_r?)"), str(e.value)


@pytest.mark.parametrize("same_bytes", [True, False])
def test_a_renamed_records_file_of_the_same_bytes_is_not_said_to_move_the_data_position(tmp_path, capsys,
                                                                                        same_bytes):
    """data.train renamed (train.jsonl → train_v1.jsonl, the same bytes) on resume was said to "move the data
    position", though the batches drawn from the same records are the checkpoint's."""
    import json

    from rsvlm.config import save_config
    from rsvlm.train.resume import check_changes, file_prints

    old, new = tmp_path / "train.jsonl", tmp_path / "train_v1.jsonl"
    old.write_text('{"id": "a"}\n' * 1000)
    was = load_config(TrainConfig, None, [f"data.train={old}"])
    save_config(was, tmp_path / "train_config.yaml")
    state = {"step": 2, "records": {"n": 1000, "sha256": "0"}, "files": file_prints(was)}
    (tmp_path / "trainer_state_rank0.json").write_text(json.dumps(state))
    old.rename(new)
    if not same_bytes:  # the same size, one byte other
        new.write_text('{"id": "b"}\n' + '{"id": "a"}\n' * 999)
    check_changes(tmp_path, load_config(TrainConfig, None, [f"data.train={new}"]), 0)
    err = capsys.readouterr().err
    assert "ckpt.resume: this run changes 1 setting from" in err, err
    if same_bytes:
        assert "data position" not in err and "; data.train: the same bytes as the checkpoint's files" in err, err
    else:
        assert "; data.train moves the data position" in err and "same bytes" not in err, err


def test_a_lora_rank_above_an_encoders_width_is_warned_of_in_preflight(tmp_path, capsys):
    """encoders.default.lora_r=128 on a 64-wide tower (trainable.encoder=lora) trained without a word: the
    rank note looked at the LLM only."""
    from test_train_utils import make_records, recipe

    from rsvlm.train.run import preflight

    data = make_records(tmp_path / "d", n=8)
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "model.trainable.encoder=lora",
                                                      "model.encoders.default.lora_r=128"])
    preflight(cfg)
    err = capsys.readouterr().err
    assert ("warning: model.encoders.default.lora_r=128 is above the rank an update of c_fc (64), c_proj (64) can "
            "have") in err, err
    assert "model.llm.lora_r" not in err, err


def test_the_lora_rank_note_takes_the_narrowest_layer_of_a_kind():
    """Layers of one kind of other widths: the note kept the width of the last one met (64), not the 16 of an
    earlier, narrower one, and said nothing of lora_r=32 there."""
    import torch

    from rsvlm.train.run import lora_rank_note

    llm = torch.nn.ModuleDict({"a": torch.nn.ModuleDict({"q": torch.nn.Linear(64, 16)}),
                               "b": torch.nn.ModuleDict({"q": torch.nn.Linear(64, 64)})})
    cfg = load_config(TrainConfig, None, ["model.llm.lora_r=32", "model.llm.target_modules=[q]",
                                          "model.trainable.llm=lora"])
    note = lora_rank_note(llm, cfg)
    assert note is not None and note.startswith("model.llm.lora_r=32 is above the rank an update of q (16)"), note


def test_training_owns_the_late_system_turn_words_and_its_index_uses_them(tmp_path):
    """The "system turn after the first" text was built twice, in train/data.py and eval_answers.py: one could
    be reworded apart from the other. Training's index builds it from late_system_words."""
    from rsvlm.data.records import ReadReport
    from rsvlm.train.data import build_index, late_system_words

    assert late_system_words(2, "WHY") == ("conversations[2] is a system turn after the first, which WHY; fold it "
                                           "into the opening one")
    data = tmp_path / "t.jsonl"
    data.write_text('{"id": "late", "images": [], "conversations": [{"from": "human", "value": "a"}, '
                    '{"from": "system", "value": "s"}, {"from": "gpt", "value": "b"}]}\n')
    report = ReadReport(str(data))

    class Tok:
        def __call__(self, texts, add_special_tokens=False):
            return {"input_ids": [[0] * len(t) for t in texts]}

    with pytest.raises(ValueError):  # the one record left out: no usable record
        build_index(data, Tok(), {}, report, late_system="WHY")
    assert report.skipped == {"system turn after the first": 1}
    assert f"{data}:1: record late: {late_system_words(1, 'WHY')}" in report.examples, report.examples


def test_ckpt_resume_given_a_model_folder_says_what_it_is_and_what_to_give():
    """ckpt.resume=runs/a/final said "not a step folder of rsvlm train (out_dir/checkpoints/step_N)": not that
    final/ holds weights only, nor the way on (the run's step folders, or init_from for a next stage)."""
    import tempfile
    from pathlib import Path

    from rsvlm.train.checkpoint import check_step_folder, not_a_step_folder

    with tempfile.TemporaryDirectory() as tmp:
        final = Path(tmp) / "final"
        final.mkdir()
        (final / "vision.safetensors").write_bytes(b"")
        (final / "config.yaml").write_text("{}\n")
        with pytest.raises(FileNotFoundError) as e:
            check_step_folder(final, 0, deepspeed=False)
        assert str(e.value).endswith(f"(a model folder (a run's final/ or an export): weights only, no optimizer "
                                     f"state or data position; or start a next stage from its weights with "
                                     f"init_from={final})"), str(e.value)
        assert "init_from" not in not_a_step_folder(final, then="export")  # an export is told no init_from


@pytest.mark.parametrize("text, said", [
    ("optim:\n  lr: 1e-3\n lr2: 3\n", "; line 3 is indented 1 space, line 2 2: the keys of one mapping start in "
                                     "the same column"),
    ("data:\n  train: a\n    extra: b\n", "; line 3 is indented more than line 2 (train: a), whose value is no "
                                          "mapping to hold it: indent it as that line is"),
    ("optim:\n  lr: a: b\n", None)])  # a colon in a value: no indentation slip
def test_a_recipe_key_indented_unlike_its_siblings_is_told_so(tmp_path, text, said):
    """A key indented one space off read "expected <block end>, but found '<block mapping start>'" or "mapping
    values are not allowed here" alone: PyYAML's words, not that the indentation was wrong."""
    p = tmp_path / "run.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, p)
    assert str(e.value).endswith(said or "(mapping values are not allowed here)"), str(e.value)


@pytest.mark.parametrize("given, said", [("b.jsonl", "[{path: b.jsonl}]"),
                                         ("b.jsonl,c.jsonl", "[{path: b.jsonl}, {path: c.jsonl}]")])
def test_data_extra_given_as_a_path_shows_the_list_of_mappings_to_write(given, said):
    """data.extra=b.jsonl read "expected a list, got 'b.jsonl'", and b.jsonl,c.jsonl was told to write
    [b.jsonl,c.jsonl], which is refused next (each file is a mapping with its path)."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, [f"data.extra={given}"])
    assert str(e.value).endswith(f"expected a list, got {given!r} (a list of mappings, each a SourceConfig: "
                                 f"{said})"), str(e.value)


def test_a_recipe_given_first_without_config_is_read_as_the_recipe(tmp_path, capsys):
    """rsvlm train configs/train/x.yaml max_steps=3 was refused "the following arguments are required: --config"
    (exit 2 from argparse), though the word could be nothing but the recipe."""
    from rsvlm.train import main
    from rsvlm.train.flags import flag_overrides

    assert flag_overrides(["x.yaml", "--max_steps=3"]) == ["--config", "x.yaml", "max_steps=3"]
    assert flag_overrides(["x.yaml", "--conf", "y.yaml"])[:3] == ["--config", "x.yaml", "--conf"]  # argparse's
    assert flag_overrides(["max_steps=3"]) == ["max_steps=3"]
    missing = tmp_path / "nope.yaml"
    assert main([str(missing), "max_steps=3"]) == 2
    assert capsys.readouterr().err.strip() == f"rsvlm train: config file not found: {missing}"


def _resume_renamed(tmp_path, capsys, text: bytes, edit=None, files=True) -> str:
    """check_changes' words for data.train renamed after a step folder saved over ``text`` (``edit``: the renamed
    file's bytes from it; ``files``: whether the folder keeps the prints, as ones saved before them do not)."""
    import json

    from rsvlm.config import save_config
    from rsvlm.train.resume import check_changes, file_prints

    old, new = tmp_path / "train.jsonl", tmp_path / "train_v1.jsonl"
    old.write_bytes(text)
    was = load_config(TrainConfig, None, [f"data.train={old}"])
    save_config(was, tmp_path / "train_config.yaml")
    state = {"step": 2, "records": {"n": 1, "sha256": "0"}, **({"files": file_prints(was)} if files else {})}
    (tmp_path / "trainer_state_rank0.json").write_text(json.dumps(state))
    old.rename(new)
    if edit:
        new.write_bytes(edit(text))
    check_changes(tmp_path, load_config(TrainConfig, None, [f"data.train={new}"]), 0)
    return capsys.readouterr().err


def test_a_renamed_records_file_edited_in_its_middle_is_not_said_to_hold_the_same_bytes(tmp_path, capsys):
    """One record edited in the middle of a 3 MiB file (same size) kept its size and first and last MiB, all
    that was hashed: the resume said "the same bytes ... moves nothing", which was false."""
    text = b"".join(b'{"id": "%07d"}\n' % i for i in range(3 << 16))  # 16 bytes a line: 3 MiB
    middle = len(text) // 2 // 16 * 16
    err = _resume_renamed(tmp_path, capsys, text, lambda t: t[:middle] + b'{"id": "EDITED"}\n'[:16] + t[middle + 16:])
    assert "; data.train moves the data position" in err and "same bytes" not in err, err


def test_a_renamed_records_file_past_the_whole_hash_size_says_what_was_compared(tmp_path, capsys, monkeypatch):
    """A file past WHOLE_HASH_MAX is compared by its size and first and last MiB: the note says so, not "the
    same bytes"."""
    from rsvlm.train import resume

    monkeypatch.setattr(resume, "WHOLE_HASH_MAX", 1 << 20)
    err = _resume_renamed(tmp_path, capsys, b'{"id": "a"}\n' * (3 << 18))
    assert ("; data.train: the same size and first and last MiB as the checkpoint's files (renamed or copied; a file "
            "over 1 MiB is not hashed whole") in err and "data position" not in err, err


def test_a_step_folder_saved_without_file_prints_still_resumes_a_renamed_file_as_moved(tmp_path, capsys):
    """Step folders saved before the prints (no "files" in the trainer state): the rename is said to move the
    data position, as before, and nothing fails."""
    err = _resume_renamed(tmp_path, capsys, b'{"id": "a"}\n' * 10, files=False)
    assert "; data.train moves the data position" in err and "same bytes" not in err, err


def test_the_contrastive_loop_saves_the_file_prints_so_a_renamed_file_moves_nothing(tmp_path, capsys):
    """The contrastive loop saved no "files": its resume over a renamed data.train still said it moved the data
    position."""
    import json

    from test_train_utils import make_records, recipe

    from rsvlm.train import main as train_main

    data = make_records(tmp_path / "d", n=12, ir_every=0)
    out = tmp_path / "clip"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"out_dir={out}", "log.progress=false",
            "batch_size=4", "ckpt.every=1"]
    assert train_main([*argv, f"data.train={data}", "max_steps=1"]) == 0
    step = next((out / "checkpoints").iterdir())
    assert json.loads((step / "trainer_state_rank0.json").read_text())["files"][0].startswith(
        f"{data.stat().st_size}:all:")
    renamed = data.rename(data.with_name("renamed.jsonl"))
    capsys.readouterr()
    assert train_main([*argv, f"data.train={renamed}", "max_steps=2", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert "data.train: the same bytes as the checkpoint's files (renamed or copied), which moves nothing" in err, err
    assert "data position" not in err, err


@pytest.mark.parametrize("argv, said", [
    (["a.yaml", "--config", "b.yaml"], "error: --config given 2 times (a.yaml, b.yaml): a run has one recipe"),
    (["--config", "a.yaml", "b.yaml"], "error: --config given 2 times (a.yaml, b.yaml): a run has one recipe"),
    (["a.yaml", "--conf", "b.yaml"], "(--conf is no option; options are not abbreviated: did you mean --config?)"),
])
def test_a_recipe_beside_config_is_refused_as_a_second_recipe(argv, said, capsys):
    """a.yaml --config b.yaml (and --config a.yaml b.yaml) was refused "override 'a.yaml' is not of the form
    key=value": a second recipe, said as --config given twice is; a --conf slip still gets argparse's hint, not
    the override conf=b.yaml."""
    from rsvlm.train import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and said in capsys.readouterr().err


def test_a_recipe_after_the_overrides_is_read_as_the_recipe(tmp_path, capsys):
    """max_steps=3 x.yaml and --max_steps 3 x.yaml: the recipe not first was "required: --config"."""
    from rsvlm.train import main
    from rsvlm.train.flags import flag_overrides

    assert flag_overrides(["--max_steps", "3", "x.yml"]) == ["max_steps=3", "--config", "x.yml"]
    assert flag_overrides(["--config", "x.yaml", "--", "y.yaml"]) == ["--config", "x.yaml", "--", "y.yaml"]
    missing = tmp_path / "nope.yaml"
    assert main(["max_steps=3", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"rsvlm train: config file not found: {missing}"


@pytest.mark.parametrize("override, said", [
    ("precision=bf17", "precision must be fp32, bf16 or fp16, got 'bf17'; did you mean bf16?"),
    ("precision=BF16", "precision must be fp32, bf16 or fp16, got 'BF16'; did you mean bf16?"),
    ("optim.schedule=cosin", "optim.schedule must be cosine or constant, got 'cosin'; did you mean cosine?"),
    ("model.trainable.llm=lroa", "got 'lroa'; did you mean lora?"),
    ("precision=int8", "precision must be fp32, bf16 or fp16, got 'int8'")])  # near none: no guess
def test_a_value_near_an_allowed_one_is_offered_it(override, said):
    """precision=bf17 listed the three values with no word of the one meant."""
    from rsvlm.train.config import check_config

    with pytest.raises(ValueError) as e:
        check_config(load_config(TrainConfig, None, [override, "data.train=t.jsonl"]))
    assert str(e.value).endswith(said), str(e.value)


@pytest.mark.parametrize("given, said", [
    ("[b.jsonl,c.jsonl]", "data.extra[0]: expected a mapping for SourceConfig, got 'b.jsonl' (write {path: b.jsonl})"),
    ("b.jsonl,", "got 'b.jsonl,' (a list of mappings, each a SourceConfig: [{path: b.jsonl}])"),
    ("{path: b.jsonl, weight: 2}", "(a list of mappings, each a SourceConfig: [{path: b.jsonl, weight: 2}])")])
def test_data_extra_as_a_list_of_paths_or_one_mapping_shows_what_to_write(given, said):
    """[b.jsonl,c.jsonl], what the old hint said to write, was refused with no hint; one mapping not in a list
    had none; a trailing comma showed an empty {path: }."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, [f"data.extra={given}"])
    assert str(e.value).endswith(said), str(e.value)
