"""Review of stop 74's modality order (f232d9f5): a set made before it with modalities in another order than
optical, sar, ir, msi is made again from its config.yaml with other records and scene JSON (the same images); the
run says so, naming the set it replaced."""

from __future__ import annotations

import yaml

from data_gen.__main__ import main

_RUN = ["--n", "3", "--size", "32", "--seed", "4", "--no-progress"]
_NOTE = "were rendered and drawn in the order"


def test_a_set_of_another_modality_order_made_again_is_said_to_differ(tmp_path, capsys):
    out = tmp_path / "old"
    assert main(["synth", "--out", str(out), *_RUN, "--modalities", "optical,sar"]) == 0
    assert _NOTE not in capsys.readouterr().err  # the order it is made in: nothing to say
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    cfg["modalities"] = ["sar", "optical"]  # what the code before f232d9f5 wrote for --modalities sar,optical
    (out / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert main(["synth", "--out", str(out), *_RUN, "--config", str(out / "config.yaml")]) == 0
    err = capsys.readouterr().err
    assert f"note: modalities [sar, optical] {_NOTE} optical, sar" in err
    assert f"; {out} was one (its config.yaml named that order)" in err
    assert yaml.safe_load((out / "config.yaml").read_text())["modalities"] == ["optical", "sar"]


def test_modalities_named_out_of_order_for_a_new_set_say_the_order_used(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path / "new"), *_RUN, "--modalities", "ir,sar"]) == 0
    err = capsys.readouterr().err
    assert f"note: --modalities ir,sar {_NOTE} sar, ir (config.yaml says so)" in err and "was one" not in err
