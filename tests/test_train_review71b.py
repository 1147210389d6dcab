"""Training review 71b: exporting a DeepSpeed step folder (DeepSpeed's zero_to_fp32 reads its files with
``torch.load(weights_only=False)``) unpickles nothing but tensors and DeepSpeed's own classes."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("deepspeed")


class _Payload:
    """A pickled object that runs code when unpickled: it makes the folder ``path``."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_exporting_a_deepspeed_step_runs_no_code_its_files_hold(tmp_path):
    """zero_to_fp32 loaded every file of deepspeed/state/ with weights_only=False: a step folder from elsewhere
    ran whatever it held (here: made a folder) before anything was checked."""
    import torch

    from rsvlm.train.deepspeed_config import zero_trainable

    state = tmp_path / "step_000002" / "deepspeed" / "state"
    state.mkdir(parents=True)
    ran = tmp_path / "ran"
    for name in ("mp_rank_00_model_states.pt", "zero_pp_rank_0_mp_rank_00_optim_states.pt"):
        torch.save({"module": {}, "buffer_names": [], "payload": _Payload(str(ran))}, state / name)
    with pytest.raises(ValueError, match=r"model_states.pt: holds \S*mkdir besides tensors and DeepSpeed's own "
                                         r"classes, which rsvlm does not unpickle"):
        zero_trainable(tmp_path / "step_000002")
    assert not ran.exists()
    assert torch.load is torch.serialization.load  # put back after the export
