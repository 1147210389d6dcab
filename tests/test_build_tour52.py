"""scripts/build_default_model.py and the bundled model's training provenance (tour 52): the build
script in modules each read at one sitting; the training scenes recorded beside a shipped model
(training_data.json) so that ``rsvlm eval`` flags a test set made with a training seed."""

from __future__ import annotations

import sys

from script_loader import REPO, load_script


def test_the_build_script_is_split_into_modules_under_500_lines(monkeypatch):
    b = load_script("build_default_model", monkeypatch)
    modules = {name: REPO / "scripts" / f"{name}.py" for name in ("build_default_model", "build_stages", "build_report")}
    # was: one file of 702 lines (the project's guideline is 500)
    for name, path in modules.items():
        assert len(path.read_text().splitlines()) < 500, name
    # one stage table, in build order, from both modules; and --help still the whole docstring
    assert b.STAGES["data"] is sys.modules["build_stages"].stage_data
    assert b.STAGES["eval"] is sys.modules["build_report"].stage_eval
    assert list(b.STAGES) == ["data", "tokenizer", *b.TRAIN_STAGES[:-1], "merge", "sft_chat", "merge_chat",
                              "eval", "eval_tta"]
