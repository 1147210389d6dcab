"""Stop 78 (E), training: ``rsvlm train`` hands preflight's transformers-source lookups to the build, so a
llm.config key near a defined one is looked up once per start (it was twice: preflight made a dict of its own)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_train_utils import make_records

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


class _Built(Exception):
    pass


@pytest.mark.filterwarnings("ignore:model.llm.config.moe_intermediate_size")
@pytest.mark.parametrize("through_main", [True, False])
def test_a_training_start_looks_an_other_models_key_up_once(tmp_path, monkeypatch, through_main):
    """moe_intermediate_size (a Qwen2-MoE field, near llama's intermediate_size) cost one transformers-source scan in
    preflight and another in the loop's build (0.7 s cold, measured); both paths (``rsvlm train`` and
    ``train(cfg)`` unchecked) share one dict now, and the build is handed it filled."""
    from rsvlm.config import load_config
    from rsvlm.model import llm_files
    from rsvlm.train import loop
    from rsvlm.train import main as train_main
    from rsvlm.train.config import TrainConfig

    real, asked, seen = llm_files.other_models_field, [], {}
    monkeypatch.setattr(llm_files, "other_models_field", lambda key: asked.append(key) or real(key))

    def build(cfg, device, shapes=None, rank=0, scans=None):  # the real one would scan only where scans lacks it
        seen["scans"] = dict(scans or {})
        raise _Built

    monkeypatch.setattr(loop, "build_model", build)
    overrides = [f"data.train={make_records(tmp_path / 'd', n=8)}", f"out_dir={tmp_path / 'out'}", "batch_size=2",
                 "max_steps=1", "model.llm.config.moe_intermediate_size=8"]
    with pytest.raises(_Built):
        if through_main:
            train_main(["--config", str(SFT), *overrides])
        else:
            loop.train(load_config(TrainConfig, str(SFT), overrides))
    assert asked == ["moe_intermediate_size"]
    assert "qwen2_moe" in seen["scans"]["moe_intermediate_size"]


def test_deepspeeds_build_lines_are_held_for_the_setup_log(tmp_path, capsys):
    """What DeepSpeed prints (stdout) and torch's extension loader logs while the group starts is held, not shown,
    and written to out_dir/setup.log with its rank; a failure inside shows what was held (it may say why)."""
    import logging

    from rsvlm.train.chatter import kept, write_setup_log

    said: list[str] = []
    with kept(said):
        print("DeepSpeed deepspeed.ops.comm.deepspeed_shm_comm_op built successfully")
        logging.getLogger("torch.utils.cpp_extension").warning("No CUDA runtime is found")
    captured = capsys.readouterr()
    assert captured.out == "" and "No CUDA runtime" not in captured.err
    assert write_setup_log(tmp_path, said, 0, 1) == tmp_path / "setup.log"
    assert (tmp_path / "setup.log").read_text().splitlines() == [
        "[rank 0] DeepSpeed deepspeed.ops.comm.deepspeed_shm_comm_op built successfully",
        "[rank 0] WARNING torch.utils.cpp_extension: No CUDA runtime is found"]
    assert not logging.getLogger("torch.utils.cpp_extension").handlers  # put back as it was

    with pytest.raises(RuntimeError), kept([]):
        print("building op X failed: see above")
        raise RuntimeError("no group")
    assert "building op X failed" in capsys.readouterr().err
    with kept(None):  # log.verbose: as DeepSpeed prints it
        print("built successfully")
    assert capsys.readouterr().out == "built successfully\n"
    assert write_setup_log(tmp_path, [""], 0, 1) is None  # nothing held (no DeepSpeed, log.verbose): no file, and
    assert not (tmp_path / "setup.log").exists()  # an earlier start's is not left as if it were this one's
