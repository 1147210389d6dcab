"""A record with a late system turn only (kept since the run's chat template decides, 2731b47) still gets the
model's system prompt: the length estimates must count it."""

import json

import pytest

from rsvlm.config import load_config

SFT = "configs/train/sft_tiny.yaml"


@pytest.fixture(scope="module")
def tiny_processor():
    from rsvlm.model import create_model
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, SFT, [])
    return cfg, create_model(cfg.model, device="meta")[1]


def _index(convs: list[list[dict]]):
    from datasets import Dataset

    recs = [json.dumps({"id": f"r{i}", "images": [{"path": "a.png", "modality": "optical"}], "conversations": c})
            for i, c in enumerate(convs)]
    return Dataset.from_dict({"record": recs, "modality": ["optical"] * len(recs),
                              "id": [f"r{i}" for i in range(len(recs))], "length": [0] * len(recs)})


def test_only_an_opening_system_turn_replaces_the_models_system_prompt(tiny_processor):
    from rsvlm.train.max_length import opens_with_system, sample_lengths, shortest_sample, unfit_records

    cfg, processor = tiny_processor
    qa = [{"from": "human", "value": "<image>q"}, {"from": "gpt", "value": "a"}]
    sys = {"from": "system", "value": ""}
    index = _index([qa, [sys, *qa], [*qa, sys, *qa]])  # none, opening, late only
    assert [opens_with_system(r) for r in index["record"][:]] == [False, True, False]
    lengths = sample_lengths(index, processor, cfg.model.prompt)
    assert lengths[0] == lengths[2] > lengths[1]  # the late one is estimated with the model's system prompt
    optical = shortest_sample(processor, cfg.model.prompt, "optical")
    ids: set[str] = set()
    assert unfit_records(index, processor, cfg.model.prompt, optical - 1, ids) == {"optical": 2}
    assert ids == {"r0", "r2"}  # before: the late system turn was read as the record's own, r2 not counted
