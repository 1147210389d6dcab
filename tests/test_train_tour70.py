"""Stop 70, training: the model's stem-link check names the stem it found (one owner of the condition)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


@pytest.mark.parametrize("override,stem,field", [("model.stems.ir.encoder=thermal", "ir", "encoder"),
                                                 ("model.stems.ir.modality=tir", "ir", "modality")])
def test_the_stem_link_check_names_its_stem_and_link(override, stem, field):
    """check_links found the stem again with a copy of check_stem_links' two conditions."""
    from rsvlm.model.vlm import StemLinkError, check_stem_links

    cfg = load_config(TrainConfig, SFT, [override])
    with pytest.raises(StemLinkError) as e:
        check_stem_links(cfg.model, "model.")
    assert (e.value.stem, e.value.field) == (stem, field)
    assert isinstance(e.value, ValueError)


def test_an_evaluation_key_reads_alike_in_a_recipe_and_an_override(tmp_path):
    """A recipe's eval: said "unknown key(s) eval for TrainConfig; valid keys at this level: batch_size, …" (keys
    none of which evaluates), an override's eval.steps "unknown key 'eval' for TrainConfig": two wordings."""
    from rsvlm.config import ConfigError

    path = tmp_path / "r.yaml"
    path.write_text(f"base: {SFT}\neval: {{steps: 500}}\n")
    with pytest.raises(ConfigError) as recipe:
        load_config(TrainConfig, path)
    with pytest.raises(ConfigError) as override:
        load_config(TrainConfig, SFT, ["eval.steps=500"])
    said = str(recipe.value).split(": ", 1)[1]  # after the file's name
    assert said.startswith("unknown key 'eval' for TrainConfig; rsvlm train does not evaluate"), said
    assert str(override.value) == f"override 'eval.steps=500': {said}"


def test_records_with_absolute_image_paths_are_not_told_of_relative_ones(tmp_path):
    """Records whose absolute image paths had moved were told "a record's relative image paths are read from
    data.root=…; set data.root", which no data.root could mend: an absolute path does not use it."""
    from rsvlm.train.run import TooManyBadSamples, check_bad

    cfg = load_config(TrainConfig, SFT, [f"data.train={tmp_path / 'train.jsonl'}", f"data.root={tmp_path / 'im'}"])
    gone = "/nonexistent/moved/images/a_optical.png"
    state = {"samples": 52, "bad": 52, "bad_ids": ["a"], "first_bad": f"a: FileNotFoundError: image not found: {gone}"}
    with pytest.raises(TooManyBadSamples) as e:
        check_bad(state, cfg, final=False)
    said = str(e.value)
    assert f"the first is an absolute path ({gone}): data.root is not used for a record's absolute paths" in said, said
    assert "set data.root" not in said
    state["first_bad"] = f"a: FileNotFoundError: image not found: {tmp_path / 'im' / 'a.png'}"  # a relative one, joined
    with pytest.raises(TooManyBadSamples, match=f"relative image paths are read from data.root={tmp_path / 'im'} "):
        check_bad(state, cfg, final=False)


def test_measuring_samples_counts_records_not_chunks_of_a_thousand(tmp_path, capsys):
    """256 records were measured under "measuring samples: 100% 1/1 [… k records/s]": one chunk of 1000."""
    import json

    from rsvlm.data.records import ReadReport
    from rsvlm.train import data as D

    turns = [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "ok"}]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps({"id": f"r{i}", "conversations": turns}) + "\n"
                                              for i in range(3)))
    D.build_index(tmp_path / "t.jsonl", lambda texts, **k: {"input_ids": [[0]] * len(texts)}, {"optical": 16},
                  ReadReport("t"), progress=True)
    err = capsys.readouterr().err
    assert "measuring samples: 100% 3/3 [" in err and " records/s]" in err, repr(err)


@pytest.mark.parametrize("device,said", [("gpu", "did you mean cuda?"), ("GPU", "did you mean cuda?"),
                                         ("cuda:1", "did you mean cuda? (a process's GPU is chosen by its launcher's "
                                                    "LOCAL_RANK, or on one process by CUDA_VISIBLE_DEVICES=1)"),
                                         ("cpus", "did you mean cpu?")])
def test_a_gpu_by_another_name_is_offered_cuda(device, said):
    """device=gpu was offered cpu (the spelling it is nearest), the opposite of what was asked."""
    from rsvlm.train.config import check_config

    cfg = load_config(TrainConfig, SFT, [f"device={device}"])
    with pytest.raises(ValueError) as e:
        check_config(cfg)
    assert str(e.value).endswith(f"; {said}"), str(e.value)


def test_a_recipe_not_found_is_offered_the_yaml_file_beside_it(tmp_path):
    """configs/train/sft_tiny.yml said "config file not found" of a file one letter from sft_tiny.yaml."""
    from rsvlm.config import ConfigError

    (tmp_path / "sft_tiny.yaml").write_text("max_steps: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, tmp_path / "sft_tiny.yml")
    assert str(e.value) == f"config file not found: {tmp_path / 'sft_tiny.yml'}; did you mean {tmp_path / 'sft_tiny.yaml'}?"
    with pytest.raises(ConfigError, match=r"\(its folder .*trian is not there\)$"):
        load_config(TrainConfig, tmp_path / "trian" / "sft_tiny.yaml")
    with pytest.raises(ConfigError, match=r"not found: .*other\.yaml$"):
        load_config(TrainConfig, tmp_path / "other.yaml")
